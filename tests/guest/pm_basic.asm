; Protected-mode entry and segment rules at CPL 0: the checks of MOV to DS/SS, the accessed
; bit, null selectors, far jumps to conforming code, same-level interrupts, double faults and
; the descriptor instructions (SDM vol. 3 chapters 3, 5, 6; vol. 2 MOV, LAR, LSL, VERR, ARPL).
%include "lib.inc"
%include "pm_common.inc"

bits 32
test_main:
    mov eax, cr0
    test al, 1
    CHECK nz, "protected mode entered"
    mov ax, cs
    cmp ax, SEL_CODE0
    CHECK e, "CS is the ring-0 code selector"

    ; MOV DS with a not-present segment: #NP(selector)
    TRY .np_done
    mov ax, SEL_NP
    mov ds, ax
    CAUGHT
.np_done:
    EXPECT_EXC 11, SEL_NP, "mov ds, not-present segment -> #NP(sel)"

    ; MOV SS with RPL != CPL: #GP(selector)
    TRY .ss_rpl_done
    mov ax, SEL_DATA3
    mov ss, ax
    CAUGHT
.ss_rpl_done:
    EXPECT_EXC 13, SEL_DATA3 & 0xFFFC, "mov ss, RPL != CPL -> #GP(sel)"

    ; MOV SS with a null selector: #GP(0)
    TRY .ss_null_done
    xor eax, eax
    mov ss, ax
    CAUGHT
.ss_null_done:
    EXPECT_EXC 13, 0, "mov ss, null -> #GP(0)"

    ; MOV SS with a not-present writable segment: #SS(selector)
    mov byte [GDT_RAM + SEL_NP + 5], 0x13  ; not present
    TRY .ss_np_done
    mov ax, SEL_NP
    mov ss, ax
    CAUGHT
.ss_np_done:
    EXPECT_EXC 12, SEL_NP, "mov ss, not present -> #SS(sel)"

    ; beyond the GDT limit
    TRY .lim_done
    mov ax, 0x0FF8
    mov es, ax
    CAUGHT
.lim_done:
    EXPECT_EXC 13, 0x0FF8, "mov es, beyond GDT limit -> #GP(sel)"

    ; a null DS loads, and any access through it is #GP(0)
    TRY .null_done
    xor eax, eax
    mov fs, ax
    mov eax, [fs:0x100]
    CAUGHT
.null_done:
    EXPECT_EXC 13, 0, "access through a null FS -> #GP(0)"

    ; the accessed bit is set in the descriptor by a load
    mov byte [GDT_RAM + SEL_DATA3 - 3 + 5], 0xF2
    mov ax, SEL_DATA3
    mov gs, ax
    cmp byte [GDT_RAM + SEL_DATA3 - 3 + 5], 0xF3
    CHECK e, "segment load sets the accessed bit"

    ; LAR / LSL / VERR / VERW
    mov ecx, SEL_DATA0
    lar eax, ecx
    CHECK z, "lar of ring-0 data sets ZF"
    cmp eax, 0x00C09300
    CHECK e, "lar returns the access rights (mask 00F0FF00)"
    lsl eax, ecx
    cmp eax, 0xFFFFFFFF
    CHECK e, "lsl returns the byte-granular limit"
    mov cx, SEL_RO3
    verr cx
    CHECK z, "verr read-only data: ZF=1"
    verw cx
    CHECK nz, "verw read-only data: ZF=0"
    mov ecx, 0x0FF8
    lar eax, ecx
    CHECK nz, "lar beyond the GDT limit: ZF=0, no fault"
    mov cx, SEL_CGATE
    lsl eax, ecx
    CHECK nz, "lsl of a call gate: ZF=0"
    str ax
    cmp ax, SEL_TSSA
    CHECK e, "str returns the task register"

    ; ARPL
    mov ax, 0x10
    mov cx, 0x3
    arpl ax, cx
    CHECK z, "arpl raises RPL: ZF=1"
    cmp ax, 0x13
    CHECK e, "arpl result"

    ; far jump to a conforming ring-0 segment and back
    jmp SEL_CONF0:.in_conf
.in_conf:
    mov ax, cs
    cmp ax, SEL_CONF0
    CHECK e, "far jmp to conforming code, CS.RPL = CPL"
    jmp SEL_CODE0:.back_conf
.back_conf:

    ; a far call into 16-bit code and a 16-bit RETF back: o32 call saves a 32-bit frame, so
    ; the 16-bit code returns with o32 retf
    call SEL_CODE0_16:code16
    cmp eax, 0x1616
    CHECK e, "far call to 16-bit code and back"

    ; INT n at the same privilege level through a DPL-0 gate, IRET back
    SET_GATE 0x40, SEL_CODE0, int40_handler, 0x8E
    mov esi, esp
    sti
    int 0x40
    cmp edx, esi
    CHECK e, "int/iret same level: ESP restored"
    cmp ebx, 0x40
    CHECK e, "int 0x40 reached its handler"
    pushfd
    pop eax
    test eax, 0x200
    CHECK nz, "iret restored IF"
    cli

    ; BOUND
    mov dword [SCRATCH], 10
    mov dword [SCRATCH + 4], 20
    TRY .br_done
    mov eax, 21
    bound eax, [SCRATCH]
    CAUGHT
.br_done:
    EXPECT_EXC 5, 0, "bound out of range -> #BR"

    ; a #NP while delivering #NP: double fault, error code 0
    mov byte [IDT_RAM + 8 * 11 + 5], 0x0E   ; #NP gate not present
    TRY .df_done
    mov ax, SEL_NP
    mov ds, ax
    CAUGHT
.df_done:
    mov byte [IDT_RAM + 8 * 11 + 5], 0x8E
    EXPECT_EXC 8, 0, "contributory during contributory -> #DF(0)"

    FINISH

int40_handler:
    mov ebx, 0x40
    lea edx, [esp + 12]
    pushfd
    pop eax
    iretd

bits 16
code16:
    mov eax, 0x1616
    o32 retf
bits 32

    PM_COMMON_END
