; A Bochs VBE mode, 800x600 with 32 bits per pixel, through the linear framebuffer in the PCI
; BAR of the VGA function (00:02.0): the program places BAR0 at 0xE0000000 and enables memory
; decoding itself (no BIOS), sets the mode through the DISPI ports 0x1CE/0x1CF, and draws with
; 32-bit stores from "unreal" mode (FS with a 4 GB limit):
;   pixel (x, y) = R x & 255, G y & 255, B (x + y) >> 2 & 255, with a white frame.
%include "vga.inc"

%define LFB 0xE0000000

dispi:                         ; AX = index, BX = value
    push dx
    mov dx, 0x1CE
    out dx, ax
    mov dx, 0x1CF
    mov ax, bx
    out dx, ax
    pop dx
    ret

main:
    ; PCI 00:02.0: BAR0 = LFB, command = memory + I/O
    mov dx, 0xCF8
    mov eax, 0x80001010
    out dx, eax
    mov dx, 0xCFC
    mov eax, LFB
    out dx, eax
    mov dx, 0xCF8
    mov eax, 0x80001004
    out dx, eax
    mov dx, 0xCFC
    mov ax, 3
    out dx, ax
    ; DISPI: ID check, then 800x600x32 with the linear framebuffer
    mov ax, 0
    mov bx, 0xB0C5
    call dispi
    mov ax, 1
    mov bx, 800
    call dispi
    mov ax, 2
    mov bx, 600
    call dispi
    mov ax, 3
    mov bx, 32
    call dispi
    mov ax, 4
    mov bx, 0x41
    call dispi
    ; unreal mode: FS reaches 4 GB
    o32 lgdt [cs:gdt_ptr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    mov bx, 8
    mov fs, bx
    and al, 0xFE
    mov cr0, eax
    mov edi, LFB
    xor edx, edx               ; y
.y:
    xor ecx, ecx               ; x
.x:
    mov eax, ecx
    and eax, 0xFF
    shl eax, 16                ; R
    mov ebx, edx
    and ebx, 0xFF
    shl ebx, 8                 ; G
    or eax, ebx
    mov ebx, ecx
    add ebx, edx
    shr ebx, 2
    and ebx, 0xFF              ; B
    or eax, ebx
    cmp ecx, 0
    je .white
    cmp ecx, 799
    je .white
    cmp edx, 0
    je .white
    cmp edx, 599
    jne .store
.white:
    mov eax, 0xFFFFFF
.store:
    mov [fs:edi], eax
    add edi, 4
    inc ecx
    cmp ecx, 800
    jb .x
    inc edx
    cmp edx, 600
    jb .y
    ret

align 8
gdt:
    dq 0
    dq 0x00CF92000000FFFF      ; flat 4 GB data
gdt_ptr:
    dw 15
    dd 0xF0000 + gdt

VGA_END
