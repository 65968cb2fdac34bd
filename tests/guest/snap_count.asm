; A long-running counter for the snapshot tests (tests/snapshot.sh): real mode, with the 8254's
; channel 0 at about 1 kHz (IRQ0) and the MC146818's periodic interrupt at 1024 Hz (IRQ8), it
; prints 40 lines "line N pit P rtc R hash H" on the debug console. The hash folds both tick
; counts into a busy computation, and every fourth line waits in HLT for the next interrupts, so
; the output depends on exactly which instruction each timer interrupt lands on. A run saved half
; way (savevm) and continued in another process (-loadvm) must print the very same lines.
; On its own it just runs to the end and passes (tests/run_guest.sh).
%include "lib.inc"

%define PIT_TICKS 0x600
%define RTC_TICKS 0x604
%define LINE 0x608
%define HASH 0x60C
%define NLINES 40
%define WORK 300000                ; busy iterations per line

bits 16
org 0
start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7000
    cld
    LIB_INIT
    mov dword [PIT_TICKS], 0
    mov dword [RTC_TICKS], 0
    mov dword [LINE], 0
    mov dword [HASH], 0x811C9DC5
    ; interrupt vectors: master PIC at 0x08, slave at 0x70 (the PC's real-mode layout)
    mov word [8 * 4], irq0
    mov word [8 * 4 + 2], 0xF000
    mov word [0x70 * 4], irq8
    mov word [0x70 * 4 + 2], 0xF000
    ; 8259 pair: ICW1-4, then unmask IRQ0, IRQ2 (cascade) and IRQ8
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x08
    out 0x21, al
    mov al, 0x70
    out 0xA1, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x02
    out 0xA1, al
    mov al, 0x01
    out 0x21, al
    out 0xA1, al
    mov al, 0xFA
    out 0x21, al
    mov al, 0xFE
    out 0xA1, al
    ; 8254 channel 0, mode 2, divisor 1193
    mov al, 0x34
    out 0x43, al
    mov al, 1193 & 0xFF
    out 0x40, al
    mov al, 1193 >> 8
    out 0x40, al
    ; RTC: 1024 Hz periodic interrupt (register A rate 6), PIE in register B
    mov al, 0x0A
    out 0x70, al
    mov al, 0x26
    out 0x71, al
    mov al, 0x0B
    out 0x70, al
    in al, 0x71
    or al, 0x40
    mov ah, al
    mov al, 0x0B
    out 0x70, al
    mov al, ah
    out 0x71, al
    sti

next_line:
    mov ecx, WORK
    mov eax, [HASH]
.work:
    imul eax, eax, 33
    xor eax, ecx
    add eax, [PIT_TICKS]
    rol eax, 3
    xor eax, [RTC_TICKS]
    dec ecx
    jnz .work
    mov [HASH], eax
    inc dword [LINE]
    test dword [LINE], 3
    jnz .print
    hlt                                ; wait for the next interrupt
.print:
    cli                                ; one consistent set of values per line
    PUTS "line "
    mov eax, [LINE]
    call lib_putdec
    PUTS " pit "
    mov eax, [PIT_TICKS]
    call lib_putdec
    PUTS " rtc "
    mov eax, [RTC_TICKS]
    call lib_putdec
    PUTS " hash "
    mov eax, [HASH]
    call lib_puthex
    mov al, 10
    call lib_putc
    sti
    cmp dword [LINE], NLINES
    jb next_line

    cli
    cmp dword [PIT_TICKS], 0
    CHECK a, "the PIT interrupted"
    cmp dword [RTC_TICKS], 0
    CHECK a, "the RTC interrupted"
    FINISH

irq0:
    push ax
    inc dword [PIT_TICKS]
    mov al, 0x20
    out 0x20, al
    pop ax
    iret

irq8:
    push ax
    inc dword [RTC_TICKS]
    mov al, 0x0C                       ; reading register C acknowledges the interrupt
    out 0x70, al
    in al, 0x71
    mov al, 0x20
    out 0xA0, al
    out 0x20, al
    pop ax
    iret

    LIB_ROUTINES

    times 0xFFF0 - ($ - $$) db 0xF4
reset:
    jmp 0xF000:start
    times 0x10000 - ($ - $$) db 0xF4
