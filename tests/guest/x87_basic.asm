; The x87 FPU through the interpreter: FNINIT state, loads and stores of every memory format
; (single, double, extended, word/dword/qword integer, packed BCD) with rounding and the masked
; integer-overflow response, arithmetic, compares into EFLAGS (FCOMI, FUCOMI, FNSTSW AX + SAHF,
; FCMOVcc), FSAVE/FRSTOR in the 32-bit protected-mode layout, FXSAVE/FXRSTOR (layout, alignment
; #GP; #UD on a CPU without FXSR), #NM with CR0.TS (and WAIT's MP rule), and #MF with CR0.NE for
; a pending unmasked exception. SDM vol. 1 chapter 8, vol. 3 2.5, vol. 2 the instruction pages.
%include "lib.inc"
%include "pm_common.inc"

%define BUF 0x20000                ; 16-byte aligned scratch RAM
%define BUF2 0x20400
%define R(x) (ROM_BASE + (x))      ; a constant in the ROM, through the flat data segment

; CMPQ addr, lo, hi: ZF = the qword at addr equals hi:lo
%macro CMPQ 3
    cmp dword [%1], %2
    jne %%done
    cmp dword [%1 + 4], %3
%%done:
%endmacro

bits 32
test_main:
    mov eax, cr0
    and eax, ~0x0C                     ; EM, TS off
    or eax, 0x22                       ; MP, NE on
    mov cr0, eax

    ; ---- FNINIT ----
    fninit
    fnstcw [BUF]
    cmp word [BUF], 0x037F
    CHECK e, "fninit: control word 037F"
    mov ax, 0xFFFF
    fnstsw ax
    test ax, ax
    CHECK z, "fninit: status word 0"
    fnstenv [BUF]
    cmp word [BUF + 8], 0xFFFF
    CHECK e, "fninit: tag word all empty"

    ; ---- loads and stores ----
    fld dword [R(f32_1p5)]
    fstp qword [BUF]
    CMPQ BUF, 0, 0x3FF80000
    CHECK e, "fld m32 1.5 / fstp m64"
    fld qword [R(f64_pi)]
    fstp dword [BUF]
    cmp dword [BUF], 0x40490FDB
    CHECK e, "fld m64 pi / fstp m32 rounds to nearest"
    fld tword [R(f80_one)]
    fstp tword [BUF]
    CMPQ BUF, 0, 0x80000000
    jne .m80_bad
    cmp word [BUF + 8], 0x3FFF
.m80_bad:
    CHECK e, "fld m80 / fstp m80 round trip"
    fild word [R(i16_m5)]
    fistp dword [BUF]
    cmp dword [BUF], -5
    CHECK e, "fild m16 -5 / fistp m32"
    fild qword [R(i64_big)]
    fistp qword [BUF]
    CMPQ BUF, 0x89ABCDEF, 0x01234567
    CHECK e, "fild m64 / fistp m64"
    fnclex                             ; drop the sticky PE of the rounding stores above
    fild dword [R(i32_100k)]
    fistp word [BUF]
    cmp word [BUF], 0x8000
    CHECK e, "fistp m16 of 100000: integer indefinite (IE masked)"
    fnstsw ax
    and ax, 0x00FF
    cmp ax, 0x0001
    CHECK e, "... with IE set and ES clear"
    fnclex
    fbld [R(bcd_12345)]
    fistp dword [BUF]
    cmp dword [BUF], 12345
    CHECK e, "fbld 12345 / fistp m32"
    fild dword [R(i32_m987654321)]
    fbstp [BUF]
    CMPQ BUF, 0x87654321, 0x00000009
    jne .bcd_bad
    cmp word [BUF + 8], 0x8000
.bcd_bad:
    CHECK e, "fild -987654321 / fbstp"
    fld dword [R(f32_2p5)]
    fistp word [BUF]
    cmp word [BUF], 2
    CHECK e, "fistp 2.5 rounds to even"
    fldcw [R(cw_down)]
    fld dword [R(f32_m2p5)]
    fistp word [BUF]
    cmp word [BUF], -3
    CHECK e, "fistp -2.5 rounding down"
    fldcw [R(cw_default)]

    ; ---- arithmetic ----
    fld dword [R(f32_1p5)]
    fadd dword [R(f32_2p25)]
    fstp dword [BUF]
    cmp dword [BUF], 0x40700000
    CHECK e, "1.5 + 2.25 = 3.75"
    fld1
    fadd st0, st0
    fsqrt
    fstp qword [BUF]
    CMPQ BUF, 0x667F3BCD, 0x3FF6A09E
    CHECK e, "sqrt(2) as a double"
    fld1
    fild word [R(i16_3)]
    fdivp st1, st0                     ; 1 / 3
    fstp qword [BUF]
    CMPQ BUF, 0x55555555, 0x3FD55555
    CHECK e, "1 / 3 as a double"
    fild word [R(i16_3)]
    fimul dword [R(i32_m4)]
    fistp dword [BUF]
    cmp dword [BUF], -12
    CHECK e, "3 * -4 = -12"
    fild word [R(i16_10)]
    fild word [R(i16_4)]
    db 0xDE, 0xE9                      ; fsubp st(1), st(0): 10 - 4
    fistp dword [BUF]
    cmp dword [BUF], 6
    CHECK e, "fsubp st1, st0: 10 - 4 = 6"
    fnstsw ax
    and ax, 0x3800
    CHECK z, "stack balanced (TOP = 0)"

    ; ---- compares into EFLAGS ----
    fld1
    fild word [R(i16_3)]               ; st0 = 3, st1 = 1
    mov eax, 0x8D5                     ; OF SF ZF AF PF CF all set
    push eax
    popfd
    fcomi st0, st1
    pushfd
    pop eax
    and eax, 0x8D5
    test eax, eax
    CHECK z, "fcomi 3 > 1: ZF PF CF clear, OF SF AF cleared"
    fxch st1                           ; st0 = 1, st1 = 3
    fcomi st0, st1
    CHECK b, "fcomi 1 < 3: CF"
    fld st0
    fcomip st0, st1
    CHECK e, "fcomip equal: ZF"
    fld dword [R(f32_qnan)]
    fucomip st0, st1
    CHECK p, "fucomip with a NaN: PF (unordered)"
    fcom st1                           ; 1 < 3: C0
    fnstsw ax
    sahf
    CHECK b, "fcom + fnstsw ax + sahf: C0 -> CF"
    stc
    fcmovb st0, st1                    ; CF = 1: st0 := 3
    fistp dword [BUF]
    cmp dword [BUF], 3
    CHECK e, "fcmovb with CF set moves"
    fld1
    clc
    fcmovb st0, st1
    fistp dword [BUF]
    cmp dword [BUF], 1
    CHECK e, "fcmovb with CF clear does not move"
    fstp st0
    fnstsw ax
    and ax, 0x3800
    CHECK z, "stack balanced again"

    ; ---- FSAVE / FRSTOR (32-bit protected-mode image, 108 bytes) ----
    fninit
    fld1
    fldpi
    fsave [BUF]
    cmp word [BUF], 0x037F
    CHECK e, "fsave: control word"
    mov ax, [BUF + 4]
    and ax, 0x3800
    cmp ax, 0x3000
    CHECK e, "fsave: TOP = 6"
    cmp word [BUF + 8], 0x0FFF
    CHECK e, "fsave: tag word R6 R7 valid, others empty"
    CMPQ BUF + 28, 0x2168C235, 0xC90FDAA2
    jne .fsave_st0_bad
    cmp word [BUF + 36], 0x4000
.fsave_st0_bad:
    CHECK e, "fsave: ST(0) = pi"
    fnstcw [BUF2]
    fnstsw [BUF2 + 2]
    cmp dword [BUF2], 0x0000037F
    CHECK e, "fsave reinitialises the FPU"
    frstor [BUF]
    fstp qword [BUF2]
    CMPQ BUF2, 0x54442D18, 0x400921FB
    CHECK e, "frstor: ST(0) = pi again"
    fistp dword [BUF2]
    cmp dword [BUF2], 1
    CHECK e, "frstor: ST(1) = 1 again"

    ; ---- FXSAVE / FXRSTOR ----
    mov eax, 1
    cpuid
    test edx, 1 << 24
    jz .no_fxsr
    fninit
    fld1
    fxsave [BUF]
    cmp word [BUF], 0x037F
    CHECK e, "fxsave: FCW at 0"
    cmp word [BUF + 2], 0x3800
    CHECK e, "fxsave: FSW at 2 (TOP = 7)"
    cmp byte [BUF + 4], 0x80
    CHECK e, "fxsave: abridged tag byte at 4 (R7 full)"
    CMPQ BUF + 32, 0, 0x80000000
    jne .fx_st0_bad
    cmp word [BUF + 40], 0x3FFF
.fx_st0_bad:
    CHECK e, "fxsave: ST(0) = 1.0 at 32"
    fninit
    fxrstor [BUF]
    fistp dword [BUF2]
    cmp dword [BUF2], 1
    CHECK e, "fxrstor brings ST(0) back"
    TRY .fx_align_done
    fxsave [BUF + 8]
    CAUGHT
.fx_align_done:
    EXPECT_EXC 13, 0, "fxsave to a misaligned operand -> #GP(0)"
    jmp .fx_done
.no_fxsr:
    TRY .fx_ud_done
    fxsave [BUF]
    CAUGHT
.fx_ud_done:
    EXPECT_EXC 6, 0, "fxsave without FXSR -> #UD"
.fx_done:

    ; ---- #NM with CR0.TS ----
    fninit
    mov eax, cr0
    or eax, 0x08                       ; TS
    mov cr0, eax
    TRY .nm1_done
    fld1
    CAUGHT
.nm1_done:
    EXPECT_EXC 7, 0, "fld1 with CR0.TS -> #NM"
    TRY .nm2_done
    fnstsw ax
    CAUGHT
.nm2_done:
    EXPECT_EXC 7, 0, "fnstsw with CR0.TS -> #NM"
    TRY .nm3_done
    fwait
    CAUGHT
.nm3_done:
    EXPECT_EXC 7, 0, "fwait with CR0.TS and MP -> #NM"
    mov eax, cr0
    and eax, ~0x02                     ; MP off
    mov cr0, eax
    TRY .nm4_done
    fwait
    CAUGHT
.nm4_done:
    EXPECT_NO_EXC "fwait with CR0.TS but not MP: no fault"
    clts
    mov eax, cr0
    or eax, 0x02
    mov cr0, eax
    mov eax, cr0
    or eax, 0x04                       ; EM
    mov cr0, eax
    TRY .nm5_done
    fld1
    CAUGHT
.nm5_done:
    EXPECT_EXC 7, 0, "fld1 with CR0.EM -> #NM"
    mov eax, cr0
    and eax, ~0x04
    mov cr0, eax

    ; ---- #MF with CR0.NE for a pending unmasked exception ----
    fninit
    fldcw [R(cw_ze_unmasked)]
    fld1
    fldz
    TRY .mf0_done
    fdivp st1, st0                     ; 1 / 0: ZE unmasked, flagged, no fault yet
    CAUGHT
.mf0_done:
    EXPECT_NO_EXC "fdivp by zero (ZE unmasked) does not fault itself"
    fnstsw ax
    and ax, 0x00BF
    cmp ax, 0x0084
    CHECK e, "ZE and ES set in the status word"
    fnstsw ax
    and ax, 0x3800
    cmp ax, 0x3000
    CHECK e, "unmasked ZE: nothing popped"
    TRY .mf1_done
.mf1_insn:
    fwait
    CAUGHT
.mf1_done:
    EXPECT_EXC 16, 0, "fwait with a pending exception -> #MF"
    mov eax, [EXC_EIP]
    cmp eax, .mf1_insn
    CHECK e, "#MF reported at the waiting instruction"
    TRY .mf2_done
    fld1
    CAUGHT
.mf2_done:
    EXPECT_EXC 16, 0, "fld1 with a pending exception -> #MF"
    mov eax, cr0
    and eax, ~0x20                     ; NE off: PC-style reporting (FERR#, IRQ13)
    mov cr0, eax
    TRY .mf3_done
    fwait
    CAUGHT
.mf3_done:
    EXPECT_NO_EXC "CR0.NE clear: no #MF (FERR# goes to IRQ13 instead)"
    mov eax, cr0
    or eax, 0x20
    mov cr0, eax
    fnclex
    TRY .mf4_done
    fwait
    CAUGHT
.mf4_done:
    EXPECT_NO_EXC "fnclex clears the pending exception"
    fninit

    FINISH

align 16
f32_1p5: dd 0x3FC00000
f32_2p25: dd 0x40100000
f32_2p5: dd 0x40200000
f32_m2p5: dd 0xC0200000
f32_qnan: dd 0x7FC00000
f64_pi: dq 0x400921FB54442D18
f80_one: dq 0x8000000000000000
    dw 0x3FFF
i16_m5: dw -5
i16_3: dw 3
i16_4: dw 4
i16_10: dw 10
i32_m4: dd -4
i32_100k: dd 100000
i32_m987654321: dd -987654321
i64_big: dq 0x0123456789ABCDEF
bcd_12345: db 0x45, 0x23, 0x01, 0, 0, 0, 0, 0, 0, 0
cw_default: dw 0x037F
cw_down: dw 0x077F
cw_ze_unmasked: dw 0x037B

    PM_COMMON_END
