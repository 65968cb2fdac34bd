; Paging with 4 MB pages (CR4.PSE): translation, A and D in the 4 MB PDE, 4 MB and 4 KB pages
; side by side, the PS bit ignored without CR4.PSE, reserved bits 21:13 (#PF with RSVD), and
; INVLPG of a 4 MB page. SDM vol. 3A 4.3 (table 4-4), 4.7, 4.10.4.1.
%include "lib.inc"
%include "paging_common.inc"

%define BIG_LIN 0x00800000         ; PDE 2: a 4 MB page
%define BIG_PHYS 0x00400000        ; ... backed by 4-8 MB, which PDE 1 maps 1:1 with a 4 MB page
%define PDE(n) (PD + 4 * (n))

test_main:
    mov eax, cr4
    or eax, 0x10                       ; PSE
    mov cr4, eax
    mov dword [PDE(1)], BIG_PHYS | 0x83 ; identity 4 MB page for 4-8 MB
    mov dword [PDE(2)], BIG_PHYS | 0x83 ; 8-12 MB -> 4-8 MB
    call enable_paging

    mov dword [BIG_PHYS + 0x123458], 0x600DCAFE
    mov eax, [BIG_LIN + 0x123458]
    cmp eax, 0x600DCAFE
    CHECK e, "a 4 MB page maps 0x923458 to 0x523458"
    mov eax, [PDE(2)]
    and eax, 0x60
    cmp eax, 0x20
    CHECK e, "the read set A in the 4 MB PDE, not D"
    mov dword [BIG_LIN + 0x3FFFFC], 0x12345678
    mov eax, [PDE(2)]
    and eax, 0x60
    cmp eax, 0x60
    CHECK e, "the write set D in the 4 MB PDE"
    cmp dword [BIG_PHYS + 0x3FFFFC], 0x12345678
    CHECK e, "the last dword of the 4 MB page is its last physical dword"
    mov eax, [0x7000]                  ; through the 4 KB identity table
    mov eax, [PT0 + 7 * 4]
    and eax, 0x20
    CHECK nz, "4 KB pages still work beside 4 MB ones"

    ; remap PDE 2 to 0 MB: INVLPG anywhere in the 4 MB page drops all of it
    mov dword [0x00023458], 0x0BADF00D
    mov eax, [BIG_LIN + 0x023458]      ; cache this piece
    mov dword [PDE(2)], 0x00000083
    invlpg [BIG_LIN + 0x2FF000]        ; a different 4 KB piece
    mov eax, [BIG_LIN + 0x023458]
    cmp eax, 0x0BADF00D
    CHECK e, "INVLPG drops every piece of a 4 MB page"

    ; reserved bit 13 in a 4 MB PDE: #PF with P and RSVD
    mov dword [PDE(3)], 0x00402083
    mov dword [PF_RESUME], .after_rsvd
    mov eax, [0x00C00010]
.after_rsvd:
    PF_EXPECT 0, 9, 0x00C00010, "reserved bit 13: #PF error 9 (P, RSVD), CR2"
    mov dword [PF_RESUME], .after_rsvd_w
    mov byte [0x00C00020], 1
.after_rsvd_w:
    PF_EXPECT 1, 0xB, 0x00C00020, "reserved bit on a write: error 0xB (P, W, RSVD)"

    ; without CR4.PSE the PS bit is ignored: PDE 2 (0x00000083) points at a page table at 0
    mov eax, cr4
    and eax, ~0x10
    mov cr4, eax
    mov eax, [0x5 * 4]                 ; the PTE for BIG_LIN + 0x5000 lives at physical 0x14
    mov dword [0x5 * 4], 0x00201003
    mov dword [0x00201000], 0x7777AAAA
    mov ebx, [BIG_LIN + 0x5000]
    mov [0x5 * 4], eax
    cmp ebx, 0x7777AAAA
    CHECK e, "CR4.PSE=0: the PS bit is ignored and the PDE names a page table"
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    FINISH

PAGING_COMMON_END
