; Virtual-8086 mode without VME (SDM vol. 3 chapter 20): entry by IRETD from CPL 0; with IOPL < 3
; each of PUSHF, POPF, CLI, STI, INT n and IRET raises #GP(0); with IOPL 3 they work on IF, and
; INT n goes to the protected-mode handler through the IDT with the V86 frame (GS FS DS ES SS
; ESP EFLAGS CS EIP on the ring-0 stack, data segments nulled) and IRETD returns to V86 mode;
; I/O uses the TSS bitmap whatever IOPL.
%include "lib.inc"
%include "pm_common.inc"

%define V_F1 (SCRATCH + 0)
%define V_F2 (SCRATCH + 4)
%define V_MARK (SCRATCH + 8)
%define H_ESP (SCRATCH + 12)
%define H_DS (SCRATCH + 16)
%define H_EFL (SCRATCH + 20)
%define H_ES (SCRATCH + 24)
%define H_GS (SCRATCH + 28)
%define H_SS (SCRATCH + 32)
%define H_CS (SCRATCH + 36)

; V86_FAULTS entry, "text": run V86 code at `entry` with IOPL 0; expect #GP(0) right there
%macro V86_FAULTS 2
    TRY %%back
    mov ax, %1
    mov ebx, 0x202
    jmp enter_v86
%%back:
    CAUGHT
    cmp dword [EXC_VEC], 13
    jne %%bad
    cmp dword [EXC_ERR], 0
    jne %%bad
    cmp dword [EXC_CS], 0xF000
    jne %%bad
    cmp dword [EXC_EIP], %1
    jne %%bad
    test dword [EXC_EFL], 0x20000
%%bad:
    CHECK nz, %2
%endmacro

bits 32
test_main:
    V86_FAULTS v86_pushf, "V86, IOPL 0, no VME: pushf -> #GP(0)"
    V86_FAULTS v86_popf, "V86, IOPL 0, no VME: popf -> #GP(0)"
    V86_FAULTS v86_cli, "V86, IOPL 0, no VME: cli -> #GP(0)"
    V86_FAULTS v86_sti, "V86, IOPL 0, no VME: sti -> #GP(0)"
    V86_FAULTS v86_int, "V86, IOPL 0, no VME: int n -> #GP(0)"
    V86_FAULTS v86_iret, "V86, IOPL 0, no VME: iret -> #GP(0)"
    V86_FAULTS v86_hlt, "V86: hlt -> #GP(0)"

    ; IOPL 3
    SET_GATE 0x31, SEL_CODE0, int31_handler, 0xEE
    mov dword [V_MARK], 0
    TRY .back
    mov ax, v86_iopl3
    mov ebx, 0x3202
    jmp enter_v86
.back:
    CAUGHT
    EXPECT_EXC 13, 0, "V86, IOPL 3: in from a port denied by the bitmap -> #GP(0)"
    cmp dword [EXC_EIP], v86_iopl3.in_denied
    CHECK e, "...at the IN"
    test dword [V_F1], 0x200
    CHECK z, "V86, IOPL 3: cli clears IF"
    test dword [V_F2], 0x200
    CHECK nz, "V86, IOPL 3: sti sets IF"
    cmp dword [H_ESP], STACK0 - 36
    CHECK e, "int n from V86: ring-0 frame of 9 dwords from ESP0"
    test dword [H_EFL], 0x20000
    CHECK nz, "int n from V86: pushed EFLAGS has VM"
    cmp dword [H_DS], 0
    CHECK e, "int n from V86: DS nulled in the handler"
    cmp dword [H_ES], 0x1234
    CHECK e, "int n from V86: V86 ES pushed"
    cmp dword [H_GS], 0x4321
    CHECK e, "int n from V86: V86 GS pushed"
    cmp dword [H_SS], 0x5000
    CHECK e, "int n from V86: V86 SS pushed"
    cmp dword [H_CS], 0xF000
    CHECK e, "int n from V86: V86 CS pushed"
    cmp dword [V_MARK], 0x1234
    CHECK e, "iretd from ring 0 returned to V86 with ES restored"
    FINISH

int31_handler:
    mov [ss:H_ESP], esp
    mov ax, ds
    movzx eax, ax
    mov [ss:H_DS], eax
    mov ax, SEL_DATA0
    mov ds, ax
    mov eax, [esp + 8]
    mov [H_EFL], eax
    mov eax, [esp + 20]
    mov [H_ES], eax
    mov eax, [esp + 32]
    mov [H_GS], eax
    mov eax, [esp + 16]
    mov [H_SS], eax
    mov eax, [esp + 4]
    mov [H_CS], eax
    iretd

bits 16
v86_pushf:
    pushf
v86_popf:
    popf
v86_cli:
    cli
v86_sti:
    sti
v86_int:
    int 0x21
v86_iret:
    iret
v86_hlt:
    hlt

v86_iopl3:
    cli
    pushf
    pop ax
    mov [V_F1], ax
    sti
    pushf
    pop ax
    mov [V_F2], ax
    mov ax, 0x1234
    mov es, ax
    mov ax, 0x4321
    mov gs, ax
    int 0x31
    mov ax, es
    mov [V_MARK], ax
.in_denied:
    in al, 0x60
bits 32

    PM_COMMON_END
