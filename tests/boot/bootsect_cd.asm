; No-emulation El Torito boot image for tests/guest_boot_disk.sh. SeaBIOS loads its 2048 bytes
; from the CD to 0000:7C00 and jumps there with the CD's drive number in DL. It prints through
; the debug console (port 0xE9), reads the ISO 9660 primary volume descriptor (LBA 16, one
; 2048-byte sector) with INT 13h AH=42h and checks its "CD001" identifier, then ends through
; isa-debug-exit: 0x10 passes (exit status 33), 0x11 fails (exit status 35).
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
    mov ah, 0x41
    mov bx, 0x55AA
    mov dl, [drive]
    int 0x13
    jc fail
    mov si, dap
    mov ah, 0x42
    mov dl, [drive]
    int 0x13
    jc fail
    mov si, 0x8001
    mov di, cd001
    mov cx, 5
    repe cmpsb
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

print:
    lodsb
    test al, al
    jz .done
    out 0xE9, al
    jmp print
.done:
    ret

drive:    db 0
msg_boot: db "bootcd: booted from CD", 10, 0
msg_ok:   db "bootcd: volume descriptor ok, PASS", 10, 0
msg_fail: db "bootcd: FAIL", 10, 0
cd001:    db "CD001"
dap:      db 16, 0
          dw 1          ; one 2048-byte sector
          dw 0x8000, 0  ; buffer offset, segment
          dq 16         ; LBA of the primary volume descriptor

    times 2048 - ($ - $$) db 0
