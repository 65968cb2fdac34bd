; Privilege changes: ring 3 -> ring 0 through a call gate with a parameter and the stack switch
; from the TSS, RETF back to ring 3 (with the data-segment nulling rule), INT n from ring 3
; through a DPL-3 interrupt gate with a stack switch and IRET back, and the gate-DPL check for
; INT n (SDM vol. 3 5.8.5, 5.8.6, 6.12.1; vol. 2 CALL, RET, INT n, IRET).
%include "lib.inc"
%include "pm_common.inc"

%define R_CS (SCRATCH + 0)         ; what the ring-0 side saw
%define R_SS (SCRATCH + 4)
%define R_ESP (SCRATCH + 8)
%define R_PARAM (SCRATCH + 12)
%define R_OLDESP (SCRATCH + 16)
%define R_OLDSS (SCRATCH + 20)
%define R_RETCS (SCRATCH + 24)
%define R3_CS (SCRATCH + 28)       ; what the ring-3 side saw after returning
%define R3_ES (SCRATCH + 32)
%define R3_ESP (SCRATCH + 36)
%define I_SS (SCRATCH + 40)        ; interrupt frame as the handler saw it
%define I_ESP (SCRATCH + 44)
%define I_OLDSS (SCRATCH + 48)
%define I_OLDESP (SCRATCH + 52)
%define I_EFL (SCRATCH + 56)
%define I_OLDCS (SCRATCH + 60)
%define I_DONE (SCRATCH + 64)
%define I_IFNOW (SCRATCH + 68)

bits 32
test_main:
    mov dword [CGATE_HANDLER], gate_handler
    SET_GATE 0x50, SEL_CODE0, int50_handler, 0xEE   ; interrupt gate, DPL 3
    SET_GATE 0x51, SEL_CODE0, int50_handler, 0x8E   ; DPL 0: not for INT n from ring 3
    mov dword [I_DONE], 0

    ; run ring3_main at CPL 3, IOPL 0, IF 1; it comes back to ring 0 through the #GP of
    ; INT 0x51, whose gate has DPL 0
    TRY back_in_ring0
    mov eax, ring3_main
    mov ebx, 0x202
    jmp enter_ring3

back_in_ring0:
    CAUGHT
    EXPECT_EXC 13, 0x51 * 8 + 2, "int 0x51 (gate DPL 0) from ring 3 -> #GP(vector*8+2)"
    mov eax, [EXC_CS]
    cmp eax, SEL_CODE3
    CHECK e, "the #GP came from ring 3"

    ; call gate results
    cmp dword [R_CS], SEL_CODE0
    CHECK e, "call gate: CS is ring-0 code (CPL 0)"
    cmp dword [R_SS], SEL_DATA0
    CHECK e, "call gate: SS from the TSS ring-0 stack"
    cmp dword [R_ESP], STACK0 - 20
    CHECK e, "call gate: ESP0 minus SS, ESP, 1 parameter, CS, EIP"
    cmp dword [R_PARAM], 0x12345678
    CHECK e, "call gate: parameter copied to the new stack"
    cmp dword [R_OLDESP], STACK3 - 4
    CHECK e, "call gate: old ESP pushed"
    cmp dword [R_OLDSS], SEL_DATA3
    CHECK e, "call gate: old SS pushed"
    cmp dword [R_RETCS], SEL_CODE3
    CHECK e, "call gate: return CS pushed"
    cmp dword [R3_CS], SEL_CODE3
    CHECK e, "retf back to ring 3 (CPL 3)"
    cmp dword [R3_ESP], STACK3
    CHECK e, "retf 4 released the parameter on the ring-3 stack"
    cmp dword [R3_ES], 0
    CHECK e, "retf to ring 3 nulled ES holding ring-0 data"

    ; interrupt results
    cmp dword [I_SS], SEL_DATA0
    CHECK e, "int from ring 3: SS from the TSS"
    cmp dword [I_ESP], STACK0 - 20
    CHECK e, "int from ring 3: frame of SS, ESP, EFLAGS, CS, EIP"
    cmp dword [I_OLDSS], SEL_DATA3
    CHECK e, "int frame: old SS"
    cmp dword [I_OLDCS], SEL_CODE3
    CHECK e, "int frame: old CS"
    mov eax, [I_EFL]
    and eax, 0x3200
    cmp eax, 0x0200
    CHECK e, "int frame: EFLAGS with IF=1, IOPL 0"
    cmp dword [I_IFNOW], 0
    CHECK e, "interrupt gate cleared IF"
    cmp dword [I_DONE], 2
    CHECK e, "iret returned to ring 3 and execution went on"
    FINISH

; ---- ring 3 ----
ring3_main:
    mov ax, cs
    and eax, 3
    cmp eax, 3
    CHECK e, "running at CPL 3"
    push dword 0x12345678
    call SEL_CGATE:0
    mov ax, cs
    movzx eax, ax
    mov [R3_CS], eax
    mov ax, es
    movzx eax, ax
    mov [R3_ES], eax
    mov [R3_ESP], esp
    ; INT n through the DPL-3 gate
    int 0x50
    inc dword [I_DONE]
    int 0x51                           ; #GP: back to ring 0 at back_in_ring0

gate_handler:
    ; the call gate's code: ring 0, stack switched
    mov ax, cs
    movzx eax, ax
    mov [R_CS], eax
    mov ax, ss
    movzx eax, ax
    mov [R_SS], eax
    mov [R_ESP], esp
    mov eax, [esp + 8]
    mov [R_PARAM], eax
    mov eax, [esp + 12]
    mov [R_OLDESP], eax
    mov eax, [esp + 16]
    mov [R_OLDSS], eax
    mov eax, [esp + 4]
    mov [R_RETCS], eax
    mov ax, SEL_DATA0
    mov es, ax                         ; a ring-0 segment that RETF to ring 3 must null
    retf 4

int50_handler:
    mov ax, ss
    movzx eax, ax
    mov [I_SS], eax
    mov [I_ESP], esp
    mov eax, [esp + 16]
    mov [I_OLDSS], eax
    mov eax, [esp + 12]
    mov [I_OLDESP], eax
    mov eax, [esp + 8]
    mov [I_EFL], eax
    mov eax, [esp + 4]
    mov [I_OLDCS], eax
    pushfd
    pop eax
    and eax, 0x200
    mov [I_IFNOW], eax
    inc dword [I_DONE]
    iretd

    PM_COMMON_END
