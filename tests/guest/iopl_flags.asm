; The IF/IOPL rules in protected mode (SDM vol. 2 CLI, STI, POPF; vol. 3 20.4 PVI; vol. 1 19.5
; I/O permissions), each its own check, at CPL 3:
;   POPF with IOPL 0 leaves IF unchanged and does not fault; POPF cannot change IOPL;
;   CLI and STI with CPL > IOPL raise #GP(0); with IOPL 3 they work;
;   with CR4.PVI at CPL 3: CLI/STI change VIF, not IF; STI with VIP set raises #GP(0);
;   IN/OUT with CPL > IOPL consult the TSS I/O bitmap.
%include "lib.inc"
%include "pm_common.inc"

%define V_EFL1 (SCRATCH + 0)
%define V_EFL2 (SCRATCH + 4)
%define V_EFL3 (SCRATCH + 8)
%define V_IN (SCRATCH + 12)

bits 32
test_main:
    ; --- POPF at CPL 3, IOPL 0 ---
    TRY .r1
    mov eax, r3_popf
    mov ebx, 0x202                     ; IF=1, IOPL 0
    jmp enter_ring3
.r1:
    CAUGHT
    EXPECT_EXC 13, 0, "cli at CPL 3, IOPL 0 -> #GP(0)"
    mov eax, [EXC_EIP]
    cmp eax, r3_popf.cli
    CHECK e, "the #GP(0) points at the CLI"
    test dword [V_EFL1], 0x200
    CHECK nz, "popf at CPL 3, IOPL 0 leaves IF set (no fault)"
    test dword [V_EFL2], 0x200
    CHECK nz, "...and cannot clear it with a 16-bit popf either"
    test dword [V_EFL3], 0x3000
    CHECK z, "popf at CPL 3 cannot change IOPL"
    test dword [EXC_EFL], 0x200
    CHECK nz, "IF still set when the CLI faulted"

    ; --- STI at CPL 3, IOPL 0 ---
    TRY .r2
    mov eax, r3_sti
    mov ebx, 0x002
    jmp enter_ring3
.r2:
    CAUGHT
    EXPECT_EXC 13, 0, "sti at CPL 3, IOPL 0 -> #GP(0)"

    ; --- IOPL 3 at CPL 3: CLI/STI/POPF work on IF ---
    TRY .r3
    mov eax, r3_iopl3
    mov ebx, 0x3202
    jmp enter_ring3
.r3:
    CAUGHT
    EXPECT_EXC 13, 0, "back from the IOPL 3 part (hlt -> #GP(0))"
    test dword [V_EFL1], 0x200
    CHECK z, "cli at CPL 3, IOPL 3 clears IF"
    test dword [V_EFL2], 0x200
    CHECK nz, "sti at CPL 3, IOPL 3 sets IF"
    test dword [V_EFL3], 0x200
    CHECK z, "popf at CPL 3, IOPL 3 changes IF"

    ; --- PVI at CPL 3, IOPL 0 ---
    SET_GATE 0x70, SEL_CODE0, set_vip, 0xEE
    mov eax, cr4
    or eax, 2
    mov cr4, eax
    TRY .r4
    mov eax, r3_pvi
    mov ebx, 0x80202                   ; IF=1, VIF=1
    jmp enter_ring3
.r4:
    CAUGHT
    EXPECT_EXC 13, 0, "PVI: sti with VIP set -> #GP(0)"
    mov eax, [EXC_EIP]
    cmp eax, r3_pvi.sti_vip
    CHECK e, "the #GP(0) points at that STI"
    mov eax, [V_EFL1]
    and eax, 0x80200
    cmp eax, 0x00200
    CHECK e, "PVI: cli at CPL 3 clears VIF, keeps IF"
    mov eax, [V_EFL2]
    and eax, 0x80200
    cmp eax, 0x80200
    CHECK e, "PVI: sti at CPL 3 sets VIF"

    ; --- the I/O permission bitmap at CPL 3, IOPL 0 ---
    and byte [TSS_A + TSS_A_IOBASE + 0x80 / 8], 0xF0 ; ports 0x80-0x83 allowed
    TRY .r5
    mov eax, r3_io
    mov ebx, 0x002
    jmp enter_ring3
.r5:
    CAUGHT
    EXPECT_EXC 13, 0, "in from a port whose bitmap bit is set -> #GP(0)"
    mov eax, [EXC_EIP]
    cmp eax, r3_io.denied
    CHECK e, "...at the IN of port 0x84"
    cmp dword [V_IN], 2
    CHECK e, "in from ports allowed by the bitmap works at CPL 3"
    FINISH

; ---- ring-3 code ----
r3_popf:
    pushfd
    and dword [esp], ~0x200            ; try to clear IF
    popfd
    pushfd
    pop dword [V_EFL1]
    push word 0x0002                   ; 16-bit popf of an image with IF=0
    popfw
    pushfd
    pop dword [V_EFL2]
    pushfd
    or dword [esp], 0x3000             ; try to raise IOPL
    popfd
    pushfd
    pop dword [V_EFL3]
.cli:
    cli

r3_sti:
    sti

r3_iopl3:
    cli
    pushfd
    pop dword [V_EFL1]
    sti
    pushfd
    pop dword [V_EFL2]
    push dword 0x3002
    popfd
    pushfd
    pop dword [V_EFL3]
    hlt

r3_pvi:
    cli
    pushfd
    pop dword [V_EFL1]
    sti
    pushfd
    pop dword [V_EFL2]
    cli
    ; VIP can only be set from ring 0 (IRET or a task switch): ask for it with a DPL-3 gate
    int 0x70
.sti_vip:
    sti

r3_io:
    mov dword [V_IN], 0
    in al, 0x80
    inc dword [V_IN]
    in ax, 0x82
    inc dword [V_IN]
.denied:
    in al, 0x84

; int 0x70 from ring 3: return with VIP set in the EFLAGS image
set_vip:
    or dword [esp + 8], 0x100000
    iretd

    PM_COMMON_END
