; Mode 12h (640x480, 16 colours, four planes) programmed register by register, drawn with the
; graphics controller's write modes: 16 vertical bars in write mode 2, a filled rectangle with
; set/reset in write mode 0, a diagonal line one pixel at a time through the bit mask and the
; latches, and an XOR rectangle with the logical function (GR3).
%include "vga.inc"

main:
    mov si, mode12
    call load_regs
    mov si, ega_dac
    mov cx, 16
    call load_dac
    mov ax, 0xA000
    mov es, ax
    ; write mode 2: byte column b (0..79) gets colour b / 5
    mov dx, 0x3CE
    mov ax, 0x0205
    out dx, ax
    xor di, di
    mov bx, 480
.row:
    xor cx, cx
.col:
    mov ax, cx
    mov dl, 5
    div dl
    mov [es:di], al
    inc di
    inc cx
    cmp cx, 80
    jb .col
    dec bx
    jnz .row
    ; write mode 0 with set/reset (colour 14) on all planes: rectangle of bytes 10..29, rows 100..199
    mov dx, 0x3CE
    mov ax, 0x0005
    out dx, ax
    mov ax, 0x0E00
    out dx, ax
    mov ax, 0x0F01
    out dx, ax
    mov di, 100 * 80 + 10
    mov bx, 100
.rect:
    mov cx, 20
    push di
    rep stosb
    pop di
    add di, 80
    dec bx
    jnz .rect
    ; the diagonal (x = y, 0..479) in colour 15: bit mask one pixel, latches keep the rest
    mov ax, 0x0F00
    out dx, ax
    xor bx, bx
.diag:
    mov cx, bx
    and cl, 7
    mov ah, 0x80
    shr ah, cl
    mov al, 8
    out dx, ax                 ; GR8 bit mask
    mov ax, bx
    mov cx, 80
    push dx
    mul cx
    pop dx
    mov di, ax
    mov ax, bx
    shr ax, 3
    add di, ax
    mov al, [es:di]            ; load the latches
    mov [es:di], al            ; set/reset supplies the colour
    inc bx
    cmp bx, 480
    jb .diag
    ; XOR rectangle: set/reset colour 9, function XOR, bytes 40..69, rows 300..399
    mov ax, 0xFF08
    out dx, ax
    mov ax, 0x0900
    out dx, ax
    mov ax, 0x1803
    out dx, ax
    mov di, 300 * 80 + 40
    mov bx, 100
.xrect:
    mov cx, 30
.xb:
    mov al, [es:di]
    mov [es:di], al
    inc di
    loop .xb
    add di, 80 - 30
    dec bx
    jnz .xrect
    ret

; registers of mode 12h (IBM VGA Technical Reference), attribute palette = identity
mode12:
    db 0xE3
    db 0x03, 0x01, 0x0F, 0x00, 0x06
    db 0x5F, 0x4F, 0x50, 0x82, 0x54, 0x80, 0x0B, 0x3E, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00
    db 0x00, 0xEA, 0x8C, 0xDF, 0x28, 0x00, 0xE7, 0x04, 0xE3, 0xFF
    db 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x0F, 0xFF
    db 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E
    db 0x0F, 0x01, 0x00, 0x0F, 0x00, 0x00

VGA_END
