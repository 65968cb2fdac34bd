; Mode 13h (320x200, 256 colours, chain-4) programmed register by register: a 256-entry DAC
; ramp, every colour as a diagonal pattern, and a few rectangles; the picture is 640x400 dots
; (each pixel two dots wide and, by double scanning, two lines high).
%include "vga.inc"

main:
    mov si, mode13
    call load_regs
    ; DAC entry i = (i & 63, (i >> 2) & 63, 63 - (i & 63)) built in RAM, then loaded from CS
    ; through a copy: simpler to program it directly here
    mov dx, 0x3C8
    xor al, al
    out dx, al
    inc dx
    xor bx, bx
.dac:
    mov al, bl
    and al, 63
    out dx, al
    mov al, bl
    shr al, 2
    out dx, al
    mov al, bl
    and al, 63
    neg al
    add al, 63
    out dx, al
    inc bx
    cmp bx, 256
    jb .dac
    ; pixel (x, y) = (x + 2y) & 255
    mov ax, 0xA000
    mov es, ax
    xor di, di
    xor dx, dx                 ; y
.y:
    mov ax, dx
    add ax, ax                 ; 2y
    mov cx, 320
.x:
    stosb
    inc al
    loop .x
    inc dx
    cmp dx, 200
    jb .y
    ; a 100x50 rectangle of colour 0x0F at (20, 30) and one of 0xF0 at (200, 120)
    mov di, 30 * 320 + 20
    mov al, 0x0F
    call rect
    mov di, 120 * 320 + 200
    mov al, 0xF0
    call rect
    ret

rect:
    mov bx, 50
.r:
    mov cx, 100
    push di
    rep stosb
    pop di
    add di, 320
    dec bx
    jnz .r
    ret

; registers of mode 13h (IBM VGA Technical Reference)
mode13:
    db 0x63
    db 0x03, 0x01, 0x0F, 0x00, 0x0E
    db 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0xBF, 0x1F, 0x00, 0x41, 0x00, 0x00, 0x00, 0x00, 0x00
    db 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x40, 0x96, 0xB9, 0xA3, 0xFF
    db 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x05, 0x0F, 0xFF
    db 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E
    db 0x0F, 0x41, 0x00, 0x0F, 0x00, 0x00

VGA_END
