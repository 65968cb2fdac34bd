; #PF error codes and CR2 for every combination a P6 reports (SDM vol. 3A 4.7, figure 4-12):
; P (protection vs not present), W/R, U/S (CPL 3), RSVD; CR0.WP for supervisor writes; combined
; PDE/PTE rights; instruction fetches (no I/D bit without NX); a write across a page boundary
; that faults on the second page (CR2 = that page, nothing written). Ring 3 runs through a TSS.
%include "lib.inc"
%include "paging_common.inc"

%define PT1 0x12000                ; page table for 4-8 MB
%define LIN 0x00400000
%define PTE1(n) (PT1 + 4 * (n))
%define PG(n) (LIN + 0x1000 * (n))
%define DATA 0x00300000            ; physical backing for the test pages
; page n of LIN:  0 not present, 1 supervisor RW, 2 user read-only, 3 user RW,
;                 4 user RW in the PTE but covered by PDE 3 (supervisor) -> separate table
%define PT3 0x13000
%define SUPER_PDE_LIN 0x00C00000   ; PDE 3: supervisor-only, its PTE says user

; a faulting access: resume after it
%macro FAULTING 1
    mov dword [PF_RESUME], %%after
    %1
%%after:
%endmacro

test_main:
    mov edi, PT1
    xor eax, eax
    mov ecx, 2048                      ; PT1 and PT3
    rep stosd
    mov dword [PD + 4], PT1 | 7        ; user, writable: the PTEs decide
    mov dword [PTE1(1)], (DATA + 0x1000) | 3
    mov dword [PTE1(2)], (DATA + 0x2000) | 5
    mov dword [PTE1(3)], (DATA + 0x3000) | 7
    mov dword [PTE1(5)], (DATA + 0x5000) | 7
    mov dword [PTE1(6)], 0             ; page 6 missing: page 5's neighbour
    mov dword [PD + 12], PT3 | 3       ; PDE 3: supervisor
    mov dword [PT3], (DATA + 0x4000) | 7
    mov dword [DATA + 0x5FFC], 0x11111111
    call enable_paging
    call setup_ring3

    ; ---- supervisor accesses ----
    FAULTING {mov eax, [PG(0) + 0x10]}
    FAULTING {mov dword [PG(0) + 0x20], 1}
    mov eax, cr0
    or eax, 0x10000                    ; WP
    mov cr0, eax
    FAULTING {mov dword [PG(2) + 0x30], 1}
    mov eax, cr0
    and eax, ~0x10000
    mov cr0, eax
    mov dword [PG(2) + 0x34], 0x5EC0DE ; WP clear: allowed
    mov eax, PG(0) + 0x40 - ROM_BASE   ; fetch from a missing page (CS is based at the ROM)
    FAULTING {jmp eax}
    PF_EXPECT 0, 0, PG(0) + 0x10, "supervisor read, not present: 0"
    PF_EXPECT 1, 2, PG(0) + 0x20, "supervisor write, not present: 2 (W)"
    PF_EXPECT 2, 3, PG(2) + 0x30, "supervisor write, read-only, CR0.WP=1: 3 (P, W)"
    cmp dword [DATA + 0x2034], 0x5EC0DE
    CHECK e, "supervisor write, read-only, CR0.WP=0: no fault"
    PF_EXPECT 3, 0, PG(0) + 0x40, "supervisor fetch, not present: 0, CR2 = the target"

    ; ---- user accesses (ring 3) ----
    mov dword [PF_COUNT], 0
    mov dword [ring0_resume], .back
    mov eax, ring3_code
    call enter_ring3
.back:
    cmp dword [PF_COUNT], 8
    CHECK e, "ring 3: eight page faults"
    PF_EXPECT 0, 4, PG(0) + 0x10, "user read, not present: 4 (U)"
    PF_EXPECT 1, 6, PG(0) + 0x20, "user write, not present: 6 (U, W)"
    PF_EXPECT 2, 5, PG(1) + 0x10, "user read, supervisor page: 5 (P, U)"
    PF_EXPECT 3, 7, PG(1) + 0x20, "user write, supervisor page: 7 (P, U, W)"
    PF_EXPECT 4, 7, PG(2) + 0x30, "user write, read-only page: 7"
    PF_EXPECT 5, 5, SUPER_PDE_LIN + 0x44, "user read, PDE supervisor / PTE user: 5"
    PF_EXPECT 6, 6, PG(6), "user dword write across into a missing page: CR2 = that page"
    cmp dword [DATA + 0x5FFC], 0x11111111
    CHECK e, "... and the first page was not written"
    PF_EXPECT 7, 4, PG(0) + 0x80, "user fetch, not present: 4"
    cmp dword [DATA + 0x3010], 0xACCE55
    CHECK e, "user write to a user read/write page succeeded"

    ; ---- reserved bits (4 MB PDE, bit 13) from ring 0 and ring 3 ----
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov dword [PD + 16], 0x00402087    ; PDE 4: 4 MB user page with bit 13 set
    mov dword [PF_COUNT], 0
    FAULTING {mov eax, [0x01000008]}
    mov dword [ring0_resume], .back2
    mov eax, ring3_rsvd
    call enter_ring3
.back2:
    PF_EXPECT 0, 9, 0x01000008, "supervisor read, reserved bit: 9 (P, RSVD)"
    PF_EXPECT 1, 0xF, 0x0100000C, "user write, reserved bit: 0xF (P, W, U, RSVD)"
    FINISH

; ---- ring 3 code (CS is based at the ROM, so ring-3 EIPs are these offsets) ----
ring3_code:
    FAULTING {mov eax, [PG(0) + 0x10]}
    FAULTING {mov dword [PG(0) + 0x20], 1}
    FAULTING {mov eax, [PG(1) + 0x10]}
    FAULTING {mov dword [PG(1) + 0x20], 1}
    FAULTING {mov dword [PG(2) + 0x30], 1}
    FAULTING {mov eax, [SUPER_PDE_LIN + 0x44]}
    FAULTING {mov dword [PG(5) + 0xFFE], 0x22222222}
    mov eax, PG(0) + 0x80 - ROM_BASE
    FAULTING {jmp eax}
    mov dword [PG(3) + 0x10], 0xACCE55
    int 0x30

ring3_rsvd:
    FAULTING {mov dword [0x0100000C], 1}
    int 0x30

PAGING_COMMON_END
