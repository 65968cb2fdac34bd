; Boot sector for tests/guest_boot_disk.sh. SeaBIOS loads it from the first IDE disk to
; 0000:7C00 and jumps there with the drive number in DL. It prints through the debug console
; (port 0xE9), then through INT 13h: reads sector 1 by CHS (AH=02h) and sector 2 by LBA
; (AH=42h, after AH=41h finds the extensions) and checks their magic strings, writes sector 4
; (AH=03h) and reads it back. It ends through isa-debug-exit: 0x10 passes (exit status 33),
; 0x11 fails (exit status 35).
bits 16
org 0x7C00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    cld
    mov [drive], dl
    mov si, msg_boot
    call print

    ; CHS read: cylinder 0, head 0, sector 2 (= LBA 1) to 0000:8000
    mov ax, 0x0201
    mov cx, 0x0002
    xor dh, dh
    mov dl, [drive]
    mov bx, 0x8000
    int 0x13
    jc fail
    mov si, 0x8000
    mov di, magic1
    call compare8
    jne fail
    mov si, msg_chs
    call print

    ; LBA read of sector 2 through the EDD extensions
    mov ah, 0x41
    mov bx, 0x55AA
    mov dl, [drive]
    int 0x13
    jc fail
    cmp bx, 0xAA55
    jne fail
    mov si, dap
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    jc fail
    mov si, 0x9000
    mov di, magic2
    call compare8
    jne fail
    mov si, msg_lba
    call print

    ; write LBA 4 (CHS 0/0/5) from a buffer that starts with "GUESTWRT", read it back
    mov di, 0xA000
    mov si, wrdata
    mov cx, 8
    rep movsb
    mov ax, 0x0301
    mov cx, 0x0005
    xor dh, dh
    mov dl, [drive]
    mov bx, 0xA000
    int 0x13
    jc fail
    mov ax, 0x0201
    mov cx, 0x0005
    xor dh, dh
    mov dl, [drive]
    mov bx, 0xB000
    int 0x13
    jc fail
    mov si, 0xB000
    mov di, wrdata
    call compare8
    jne fail
    mov si, msg_ok
    call print
    mov al, 0x10
    out 0xF4, al
    jmp halt

fail:
    mov si, msg_fail
    call print
    mov al, 0x11
    out 0xF4, al
halt:
    hlt
    jmp halt

; print the NUL-terminated string at DS:SI on port 0xE9
print:
    lodsb
    test al, al
    jz .done
    out 0xE9, al
    jmp print
.done:
    ret

; ZF set if the 8 bytes at DS:SI equal those at ES:DI
compare8:
    mov cx, 8
    repe cmpsb
    ret

drive:    db 0
msg_boot: db "bootsect: booted from IDE", 10, 0
msg_chs:  db "bootsect: CHS read ok", 10, 0
msg_lba:  db "bootsect: LBA read ok", 10, 0
msg_ok:   db "bootsect: write ok, PASS", 10, 0
msg_fail: db "bootsect: FAIL", 10, 0
magic1:   db "MAGIC-S1"
magic2:   db "MAGIC-S2"
wrdata:   db "GUESTWRT"
dap:      db 16, 0
          dw 1          ; sectors
          dw 0x9000, 0  ; buffer offset, segment
          dq 2          ; LBA

    times 510 - ($ - $$) db 0
    dw 0xAA55
