; Integer instructions the 286 captures and the host-differential tests do not reach: ENTER with
; nesting levels and LEAVE, PUSH/POP of ESP and POP with an ESP-relative destination, PUSHAD and
; POPAD, BSF/BSR with a zero source, BSWAP, CMPXCHG8B, XLAT, LOOP/JCXZ by address size, string
; instructions with 16-bit addressing and DF, REPE CMPS termination, the #DE cases of DIV, IDIV
; and AAM, BT with a negative memory bit offset, RET imm16. SDM vol. 2, the pages of each.
%include "lib.inc"
%include "pm_common.inc"

%define BUF (SCRATCH + 0x100)      ; free RAM for the tests
%define BUF2 (SCRATCH + 0x200)

test_main:
    ; ---- ENTER / LEAVE (32-bit stack, 32-bit operands) ----
    mov ebp, 0x12345678
    mov esi, esp                       ; ESP before
    enter 16, 0
    lea eax, [esi - 4]
    cmp ebp, eax
    CHECK e, "enter 16,0: EBP = ESP after pushing EBP"
    lea eax, [esi - 4 - 16]
    cmp esp, eax
    CHECK e, "enter 16,0: ESP = EBP - 16"
    cmp dword [ebp], 0x12345678
    CHECK e, "enter 16,0: the old EBP is on the stack"
    leave
    cmp esp, esi
    CHECK e, "leave: ESP restored"
    cmp ebp, 0x12345678
    CHECK e, "leave: EBP restored"

    ; nesting level 3: the display copies two frame pointers from the old frame, then the new one
    mov ebp, BUF + 0x40
    mov dword [BUF + 0x40 - 4], 0xAAAA0001
    mov dword [BUF + 0x40 - 8], 0xAAAA0002
    mov esi, esp
    enter 8, 3
    lea eax, [esi - 4]
    cmp ebp, eax
    CHECK e, "enter 8,3: EBP = frame pointer"
    lea eax, [esi - 16 - 8]
    cmp esp, eax
    CHECK e, "enter 8,3: ESP = frame - 12 - 8"
    cmp dword [esi - 4], BUF + 0x40
    CHECK e, "enter 8,3: old EBP pushed first"
    cmp dword [esi - 8], 0xAAAA0001
    CHECK e, "enter 8,3: display entry 1 copied from [old EBP - 4]"
    cmp dword [esi - 12], 0xAAAA0002
    CHECK e, "enter 8,3: display entry 2 copied from [old EBP - 8]"
    lea eax, [esi - 4]
    cmp dword [esi - 16], eax
    CHECK e, "enter 8,3: the new frame pointer pushed last"
    leave
    cmp esp, esi
    CHECK e, "leave after enter 8,3"

    ; 16-bit operand size on a 32-bit stack: BP only, word pushes (LEAVE then uses all of EBP,
    ; so its upper half must match the stack's)
    mov ebp, esp
    mov bp, 0x1234
    mov esi, esp
    o16 enter 6, 0
    lea eax, [esi - 2]
    cmp bp, ax
    CHECK e, "o16 enter: BP = SP after the word push"
    mov eax, ebp
    xor eax, esi
    shr eax, 16
    CHECK z, "o16 enter: upper EBP kept"
    lea eax, [esi - 2 - 6]
    cmp esp, eax
    CHECK e, "o16 enter: ESP = frame - 6"
    o16 leave
    cmp esp, esi
    CHECK e, "o16 leave: ESP restored"
    cmp bp, 0x1234
    CHECK e, "o16 leave: BP restored"

    ; ---- PUSH ESP / POP ESP / POP [ESP+n] ----
    mov esi, esp
    push esp
    cmp [esp], esi
    CHECK e, "push esp pushes the value before the push"
    pop eax
    push dword 0x00123450
    pop esp
    cmp esp, 0x00123450
    CHECK e, "pop esp loads the popped value"
    mov esp, esi
    push dword 0x11111111              ; [esp+4] after the pop is this slot's upper neighbour
    push dword 0x22222222
    pop dword [esp + 0]                ; address computed after the increment: the 0x1111 slot
    cmp dword [esp], 0x22222222
    CHECK e, "pop [esp]: ESP incremented before the address is computed"
    add esp, 4
    cmp esp, esi
    CHECK e, "pop [esp]: ESP back"

    ; ---- PUSHAD / POPAD ----
    mov eax, 0xA0
    mov ecx, 0xC0
    mov edx, 0xD0
    mov ebx, 0xB0
    mov ebp, 0xBB
    mov esi, 0x51
    mov edi, 0xD1
    mov [BUF], esp
    pushad
    mov eax, [BUF]
    cmp [esp + 12], eax
    CHECK e, "pushad stores the original ESP"
    cmp dword [esp + 28], 0xA0
    CHECK e, "pushad stores EAX first (highest)"
    mov dword [esp + 12], 0x99999999   ; ignored by POPAD
    xor eax, eax
    xor ebx, ebx
    popad
    cmp esp, [BUF]
    CHECK e, "popad: ESP from the increment, not the stack"
    cmp eax, 0xA0
    CHECK e, "popad restores EAX"
    cmp ebx, 0xB0
    CHECK e, "popad restores EBX"

    ; ---- BSF / BSR / BSWAP ----
    mov eax, 0x5555
    xor ecx, ecx
    bsf eax, ecx
    CHECK z, "bsf of 0 sets ZF"
    cmp eax, 0x5555
    CHECK e, "bsf of 0 leaves the destination unchanged"
    mov ecx, 0x00100100
    bsf eax, ecx
    cmp eax, 8
    CHECK e, "bsf finds bit 8"
    bsr eax, ecx
    cmp eax, 20
    CHECK e, "bsr finds bit 20"
    mov eax, 0x11223344
    bswap eax
    cmp eax, 0x44332211
    CHECK e, "bswap eax"

    ; ---- CMPXCHG8B ----
    mov dword [BUF], 0x11111111
    mov dword [BUF + 4], 0x22222222
    mov eax, 0x11111111
    mov edx, 0x22222222
    mov ebx, 0x33333333
    mov ecx, 0x44444444
    cmpxchg8b [BUF]
    CHECK z, "cmpxchg8b equal: ZF"
    cmp dword [BUF + 4], 0x44444444
    CHECK e, "cmpxchg8b equal: ECX:EBX stored"
    mov eax, 0
    mov edx, 0
    cmpxchg8b [BUF]
    CHECK nz, "cmpxchg8b not equal: ZF clear"
    cmp eax, 0x33333333
    CHECK e, "cmpxchg8b not equal: EDX:EAX loaded"

    ; ---- XLAT ----
    mov dword [BUF], 0x03020100
    mov dword [BUF + 4], 0x77665544
    mov ebx, BUF
    mov eax, 0xFFFFFF05
    xlatb
    cmp eax, 0xFFFFFF55
    CHECK e, "xlat: AL = [EBX + AL]"

    ; ---- LOOP / JCXZ by address size ----
    mov ecx, 0x00010001
    a16 loop .l1                       ; CX 1 -> 0: not taken, upper ECX kept
    cmp ecx, 0x00010000
    CHECK e, "a16 loop decrements CX only"
    jmp .l2
.l1:
    PUTS `not ok - a16 loop taken\n`
    inc dword [LIB_FAILS]
.l2:
    mov ecx, 0x00010000
    a16 jcxz .l3
    PUTS `not ok - jcxz ignored CX = 0\n`
    inc dword [LIB_FAILS]
.l3:
    jecxz .l4
    jmp .l5
.l4:
    PUTS `not ok - jecxz with ECX != 0\n`
    inc dword [LIB_FAILS]
.l5:

    ; ---- strings: 16-bit addressing, DF = 1, REPE CMPS ----
    mov dword [BUF], 0x44332211
    mov dword [BUF2], 0
    mov esi, 0xABCD0000 + BUF + 3      ; upper halves must be kept with 16-bit addressing
    mov edi, 0x12340000 + BUF2 + 3
    mov ecx, 0x77770004
    std
    a16 rep movsb
    cld
    cmp dword [BUF2], 0x44332211
    CHECK e, "a16 rep movsb backwards copied 4 bytes"
    cmp ecx, 0x77770000
    CHECK e, "a16 rep: CX counted, upper ECX kept"
    cmp esi, 0xABCD0000 + BUF - 1
    CHECK e, "a16 rep: SI moved down, upper ESI kept"

    mov dword [BUF], 0x04030201
    mov dword [BUF2], 0x04FF0201
    mov esi, BUF
    mov edi, BUF2
    mov ecx, 4
    repe cmpsb
    CHECK ne, "repe cmpsb stops at the mismatch (ZF clear)"
    cmp ecx, 1
    CHECK e, "repe cmpsb: ECX counts the compared bytes"
    cmp esi, BUF + 3
    CHECK e, "repe cmpsb: ESI past the mismatch"

    mov edi, BUF
    mov dword [BUF], 0x5A5A5A5A
    xor ecx, ecx
    mov eax, 0x12345678
    rep stosd
    cmp dword [BUF], 0x5A5A5A5A
    CHECK e, "rep stosd with ECX = 0 stores nothing"
    cmp edi, BUF
    CHECK e, "rep stosd with ECX = 0 keeps EDI"

    ; ---- #DE: before any register changes ----
    TRY .de1
    mov eax, 0x1234
    mov edx, 0x5678
    xor ebx, ebx
.div0:
    div ebx
.de1:
    CAUGHT
    EXPECT_EXC 0, 0, "div by zero: #DE"
    cmp edx, 0x5678                    ; (the handler uses EAX)
    CHECK e, "div by zero: EDX unchanged"
    cmp dword [EXC_EIP], .div0
    CHECK e, "div by zero: a fault, EIP at the DIV"
    TRY .de2
    mov edx, 0xFFFFFFFF
    mov eax, 0x80000000
    mov ebx, -1
    idiv ebx                           ; -2^31 / -1 = 2^31 does not fit
.de2:
    CAUGHT
    EXPECT_EXC 0, 0, "idiv quotient overflow: #DE"
    TRY .de3
    mov eax, 0x1234
.aam0:
    aam 0
.de3:
    CAUGHT
    EXPECT_EXC 0, 0, "aam 0: #DE"
    cmp dword [EXC_EIP], .aam0
    CHECK e, "aam 0: a fault, EIP at the AAM"

    ; ---- BT with a negative bit offset reaches below the operand ----
    mov dword [BUF], 0
    mov dword [BUF + 4], 0
    mov eax, -1                        ; bit 31 of the dword at BUF
    bts [BUF + 4], eax
    cmp dword [BUF], 0x80000000
    CHECK e, "bts [m], -1 sets bit 31 of the dword below"
    mov eax, 33
    bt [BUF - 4], eax                  ; bit 1 of [BUF + 4 - 4]... of BUF + 4 - 4 + 4
    CHECK nc, "bt [m], 33 reads bit 1 of the next dword (clear)"

    ; ---- RET imm16, CALL ----
    mov esi, esp
    push dword 1
    push dword 2
    call .callee
    cmp esp, esi
    CHECK e, "ret 8 released the two arguments"
    jmp .after
.callee:
    ret 8
.after:

    ; ---- shifts and rotates by counts past the width ----
    mov al, 0x81
    stc
    mov cl, 9
    rcl al, cl                         ; 8-bit RCL by 9 is the identity, CF too
    CHECK c, "rcl al, 9 keeps CF"
    cmp al, 0x81
    CHECK e, "rcl al, 9 keeps AL"
    mov eax, 0x12345678
    mov edx, 0x9ABCDEF0
    shld eax, edx, 8
    cmp eax, 0x3456789A
    CHECK e, "shld eax, edx, 8"
    shrd eax, edx, 4
    cmp eax, 0x03456789
    CHECK e, "shrd eax, edx, 4"

    FINISH

    PM_COMMON_END
