; A 64 KB BIOS image for tests/desktop.sh: it turns on the 8042's mouse port, makes the PS/2
; mouse an IntelliMouse (sample rates 200, 100, 80, then Get ID = 3) with reporting on, prints
; "READY id=XX" on the debug console (port 0xE9) and then every byte the mouse sends, in hex,
; one 4-byte packet per line ("M b0 b1 b2 b3"); keyboard bytes are dropped. Polled: no
; interrupts, no BIOS.
bits 16
org 0

start:
    cli
    xor ax, ax
    mov ss, ax
    mov sp, 0x7000
    mov al, 0xA8               ; enable the auxiliary (mouse) interface
    call ctl_cmd
    mov al, 0xF6               ; set defaults
    call mouse_cmd
    mov al, 0xF3
    call mouse_cmd
    mov al, 200
    call mouse_cmd
    mov al, 0xF3
    call mouse_cmd
    mov al, 100
    call mouse_cmd
    mov al, 0xF3
    call mouse_cmd
    mov al, 80
    call mouse_cmd
    mov al, 0xF2               ; get ID: ACK, then the ID
    call mouse_cmd
    call read_byte
    mov bl, al
    mov si, ready
    call puts
    mov al, bl
    call hex
    mov al, 10
    out 0xE9, al
    mov al, 0xF4               ; enable data reporting
    call mouse_cmd
.loop:
    mov si, mtag
    call puts
    mov cx, 4
.byte:
    call read_aux
    call hex
    mov al, ' '
    out 0xE9, al
    loop .byte
    mov al, 10
    out 0xE9, al
    jmp .loop

wait_in:                       ; until the controller's input buffer is empty
    push ax
.w:
    in al, 0x64
    test al, 2
    jnz .w
    pop ax
    ret

ctl_cmd:
    call wait_in
    out 0x64, al
    ret

mouse_cmd:                     ; AL to the mouse; waits for its ACK
    push ax
    mov al, 0xD4
    call ctl_cmd
    call wait_in
    pop ax
    out 0x60, al
    call read_byte
    ret

read_aux:                      ; the next byte from the mouse (keyboard bytes are dropped)
    in al, 0x64
    test al, 1
    jz read_aux
    test al, 0x20
    in al, 0x60
    jz read_aux
    ret

read_byte:                     ; the next byte from the output buffer
    in al, 0x64
    test al, 1
    jz read_byte
    in al, 0x60
    ret

hex:                           ; AL as two hex digits
    push ax
    shr al, 4
    call .digit
    pop ax
.digit:
    and al, 15
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 7
.out:
    out 0xE9, al
    ret

puts:                          ; CS:SI, 0-terminated
    mov al, [cs:si]
    test al, al
    jz .done
    out 0xE9, al
    inc si
    jmp puts
.done:
    ret

ready: db "READY id=", 0
mtag: db "M ", 0

    times 0xFFF0 - ($ - $$) db 0xFF
    jmp 0xF000:start
    times 0x10000 - ($ - $$) db 0xFF
