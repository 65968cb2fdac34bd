; A guest that triple-faults (tests/debugger.sh): in real mode, with an IDT limit of 0, INT3 finds
; no vector (#GP), the #GP finds none either (#DF), and the #DF neither: shutdown. Under -debug
; x86pc stops at the prompt with the faulting state (CS:IP at the INT3, EAX = 0x7777) instead
; of resetting.
bits 16
org 0
start:
    cli
    xor ax, ax
    mov ds, ax
    mov eax, 0x7777
    lidt [cs:empty_idt]
    int3
    hlt
empty_idt:
    dw 0
    dd 0
    times 0xFFF0 - ($ - $$) db 0
    jmp 0xF000:start
    times 0x10000 - ($ - $$) db 0
