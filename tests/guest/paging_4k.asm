; Paging with 4 KB pages: translation, accessed and dirty bits in the PDE and PTE, aliases,
; INVLPG and CR3 reloads, global pages with CR4.PGE, a read-only page under CR0.WP.
; SDM vol. 3A 4.3 (32-bit paging), 4.8 (A/D), 4.10 (TLBs).
%include "lib.inc"
%include "paging_common.inc"

%define PT1 0x12000                ; page table for 4-8 MB
%define LIN 0x00400000             ; test pages live at 4 MB + n * 4 KB
%define PHYS_A 0x00200000
%define PHYS_B 0x00201000
%define PTE1(n) (PT1 + 4 * (n))

test_main:
    ; PT1: nothing present; PDE 1 -> PT1
    mov edi, PT1
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov dword [PD + 4], PT1 | 3
    mov dword [PTE1(0)], PHYS_A | 3    ; LIN+0 -> A, supervisor read/write
    mov dword [PTE1(1)], PHYS_A | 3    ; LIN+4K -> A too (alias)
    mov dword [PTE1(2)], PHYS_B | 3
    mov dword [PHYS_A], 0x11111111
    mov dword [PHYS_B], 0x22222222
    call enable_paging

    mov eax, cr0
    test eax, 0x80000000
    CHECK nz, "CR0.PG reads back as 1"

    mov eax, [LIN]
    cmp eax, 0x11111111
    CHECK e, "linear 0x400000 reads physical 0x200000"

    mov eax, [PD + 4]
    and eax, 0x60
    cmp eax, 0x20
    CHECK e, "the read set A in the PDE (and not D)"
    mov eax, [PTE1(0)]
    and eax, 0x60
    cmp eax, 0x20
    CHECK e, "the read set A in the PTE, not D"

    mov dword [LIN + 8], 0xCAFEBABE
    mov eax, [PTE1(0)]
    and eax, 0x60
    cmp eax, 0x60
    CHECK e, "the write set D in the PTE"
    mov eax, [PD + 4]
    and eax, 0x40
    CHECK z, "D stays clear in the PDE"
    cmp dword [PHYS_A + 8], 0xCAFEBABE
    CHECK e, "the write reached physical 0x200008"

    mov eax, [LIN + 0x1000 + 8]
    cmp eax, 0xCAFEBABE
    CHECK e, "an alias page sees the write"
    mov eax, [PTE1(1)]
    and eax, 0x60
    cmp eax, 0x20
    CHECK e, "reading the alias set only its A bit"

    ; remap LIN+0 to B: visible after INVLPG
    mov dword [PTE1(0)], PHYS_B | 3
    invlpg [LIN]
    mov eax, [LIN]
    cmp eax, 0x22222222
    CHECK e, "INVLPG makes a new mapping visible"

    ; remap back: visible after a CR3 reload
    mov dword [PTE1(0)], PHYS_A | 3
    mov eax, cr3
    mov cr3, eax
    mov eax, [LIN]
    cmp eax, 0x11111111
    CHECK e, "a CR3 reload makes a new mapping visible"

    ; a word across the page boundary of two mapped pages: LIN+0xFFE..LIN+0x1001
    mov dword [PHYS_A + 0xFFC], 0x44332211
    mov dword [PHYS_A + 0x000], 0x88776655 ; LIN+0x1000 is an alias of A
    mov eax, [LIN + 0xFFE]
    cmp eax, 0x66554433
    CHECK e, "a dword read across two pages joins both"

    ; global page: with CR4.PGE a CR3 reload keeps its translation
    mov eax, cr4
    or eax, 0x80                       ; PGE
    mov cr4, eax
    mov dword [PTE1(3)], PHYS_A | 0x103 ; global
    mov eax, [LIN + 0x3000]
    cmp eax, 0x88776655
    CHECK e, "a global page translates"
    mov dword [PTE1(3)], PHYS_B | 0x103
    mov eax, cr3
    mov cr3, eax
    mov eax, [LIN + 0x3000]
    cmp eax, 0x88776655
    CHECK e, "a global translation survives a CR3 reload"
    mov eax, cr4
    and eax, ~0x80
    mov cr4, eax
    mov eax, [LIN + 0x3000]
    cmp eax, 0x22222222
    CHECK e, "clearing CR4.PGE flushes global translations"

    ; read-only page: supervisor writes succeed without CR0.WP
    mov dword [PTE1(4)], PHYS_B | 1
    mov dword [LIN + 0x4004], 0x5A5A5A5A
    cmp dword [PHYS_B + 4], 0x5A5A5A5A
    CHECK e, "CR0.WP=0: the supervisor writes a read-only page"
    mov eax, cr0
    or eax, 0x10000                    ; WP
    mov cr0, eax
    mov dword [PF_RESUME], .after_wp
    mov dword [LIN + 0x4004], 0xA5A5A5A5
.after_wp:
    cmp dword [PF_COUNT], 1
    CHECK e, "CR0.WP=1: the write faults"
    PF_EXPECT 0, 3, LIN + 0x4004, "error code 3 (P, W), CR2 = the address"
    cmp dword [PHYS_B + 4], 0x5A5A5A5A
    CHECK e, "the faulting write changed nothing"

    ; paging off again: linear = physical
    mov eax, cr0
    and eax, 0x7FFFFFFF
    mov cr0, eax
    mov eax, [PHYS_A]
    cmp eax, 0x88776655
    CHECK e, "paging off: identity again"
    FINISH

PAGING_COMMON_END
