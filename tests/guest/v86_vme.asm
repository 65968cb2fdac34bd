; Virtual-8086 mode extensions (CR4.VME, SDM vol. 3 20.3 and table 20-2), IOPL 0:
;   CLI and STI change VIF, not IF; STI with VIP set raises #GP(0); POPF setting IF with VIP set
;   raises #GP(0), otherwise it loads VIF; PUSHF shows VIF as IF and IOPL as 3; the 32-bit forms
;   still fault; INT n whose bit in the TSS redirection bitmap is clear goes to the V86 program's
;   own IVT (FLAGS pushed with IF = VIF and IOPL 3, VIF cleared) and IRET comes back through VIF;
;   INT n whose bit is set raises #GP(0).
%include "lib.inc"
%include "pm_common.inc"

%define V_F1 (SCRATCH + 0)
%define V_F2 (SCRATCH + 4)
%define V_F3 (SCRATCH + 8)
%define V_F4 (SCRATCH + 12)
%define V_MARK (SCRATCH + 16)
%define V_HMARK (SCRATCH + 20)

%define VIF 0x80000
%define VIP 0x100000

; VME_RUN entry, eflags: CR4.VME on, run V86 code at `entry`, back at ring 0 after a fault
%macro VME_RUN 2
    mov eax, cr4
    or eax, 1
    mov cr4, eax
    TRY %%back
    mov ax, %1
    mov ebx, %2
    jmp enter_v86
%%back:
    CAUGHT
%endmacro

bits 32
test_main:
    ; CLI clears VIF only
    VME_RUN v86_cli, 0x202 | VIF
    EXPECT_EXC 13, 0, "VME: back through hlt -> #GP(0)"
    mov eax, [EXC_EFL]
    and eax, VIF | 0x200
    cmp eax, 0x200
    CHECK e, "VME, IOPL 0: cli clears VIF and leaves IF"
    mov eax, [V_F1]
    and eax, 0x3200
    cmp eax, 0x3000
    CHECK e, "VME: pushf shows VIF (0) as IF and IOPL 3"

    ; STI sets VIF only
    VME_RUN v86_sti, 0x002
    mov eax, [EXC_EFL]
    and eax, VIF | 0x200
    cmp eax, VIF
    CHECK e, "VME, IOPL 0: sti sets VIF and leaves IF"
    mov eax, [V_F2]
    and eax, 0x3200
    cmp eax, 0x3200
    CHECK e, "VME: pushf shows VIF (1) as IF"

    ; STI with VIP set
    VME_RUN v86_sti_vip, 0x202 | VIP
    EXPECT_EXC 13, 0, "VME: sti with VIP set -> #GP(0)"
    cmp dword [EXC_EIP], v86_sti_vip
    CHECK e, "...at the STI"

    ; POPF setting IF with VIP set
    VME_RUN v86_popf_vip, 0x202 | VIP
    EXPECT_EXC 13, 0, "VME: popf setting IF with VIP set -> #GP(0)"
    cmp dword [EXC_EIP], v86_popf_vip.popf
    CHECK e, "...at the POPF"

    ; POPF with IF=0 clears VIF, leaves IF
    VME_RUN v86_popf_clear, 0x202 | VIF
    mov eax, [EXC_EFL]
    and eax, VIF | 0x200 | 0x3000
    cmp eax, 0x200
    CHECK e, "VME: popf loads IF into VIF; IF and IOPL unchanged"

    ; 32-bit PUSHF
    VME_RUN v86_pushfd, 0x202
    EXPECT_EXC 13, 0, "VME: pushfd (32-bit) -> #GP(0)"
    cmp dword [EXC_EIP], v86_pushfd
    CHECK e, "...at the PUSHFD"

    ; INT n redirected through the bitmap to the V86 IVT
    and byte [TSS_A + TSS_A_IOBASE - 32 + 0x21 / 8], ~(1 << (0x21 & 7))
    mov word [0x21 * 4], v86_int21
    mov word [0x21 * 4 + 2], 0xF000
    mov dword [V_MARK], 0
    mov dword [V_HMARK], 0
    VME_RUN v86_int_redir, 0x202 | VIF
    EXPECT_EXC 13, 0, "VME: back through hlt after the redirected int"
    cmp dword [V_HMARK], 0x21
    CHECK e, "VME: int 0x21 with its bitmap bit clear ran the V86 IVT handler"
    mov eax, [V_F3]
    and eax, 0x3200
    cmp eax, 0x3200
    CHECK e, "redirected int: FLAGS image has IF = VIF (1) and IOPL 3"
    test dword [V_F4], 0x200
    CHECK z, "redirected int: VIF cleared in the handler (pushf shows IF 0)"
    cmp dword [V_MARK], 0x55
    CHECK e, "VME: iret from the V86 handler returned after the int"
    mov eax, [EXC_EFL]
    and eax, VIF | 0x200
    cmp eax, VIF | 0x200
    CHECK e, "VME: iret restored VIF from the popped IF"

    ; INT n with its bit set, IOPL 0
    VME_RUN v86_int_noredir, 0x202
    EXPECT_EXC 13, 0, "VME: int 0x22 with its bitmap bit set, IOPL 0 -> #GP(0)"
    cmp dword [EXC_EIP], v86_int_noredir
    CHECK e, "...at the INT"
    FINISH

bits 16
v86_cli:
    cli
    pushf
    pop ax
    mov [V_F1], ax
    hlt

v86_sti:
    sti
    pushf
    pop ax
    mov [V_F2], ax
    hlt

v86_sti_vip:
    sti

v86_popf_vip:
    push word 0x0202
.popf:
    popf

v86_popf_clear:
    push word 0x0002
    popf
    hlt

v86_pushfd:
    pushfd

v86_int_redir:
    int 0x21
    mov word [V_MARK], 0x55
    hlt

v86_int21:
    mov word [V_HMARK], 0x21
    mov bp, sp
    mov ax, [bp + 4]                   ; the pushed FLAGS
    mov [V_F3], ax
    pushf
    pop ax
    mov [V_F4], ax
    iret

v86_int_noredir:
    int 0x22
bits 32

    PM_COMMON_END
