; The debugger's test guest (tests/debugger.sh, tests/gdbstub.sh): a 64 KB BIOS image, loaded at
; physical 0xF0000 and entered at F000:FFF0 like tests/guest/*.asm. Its landmarks sit at fixed
; offsets (the AT macro pads to them) so that the scripts can name them:
;   F000:0100  call sub16 (real mode; 'next' steps over it, sub16 sets BX = 0x5678)
;   F000:0110  rep stosb  (real mode; 'next' steps over all 16 iterations)
;   then protected mode, flat segments based at 0, paging on: linear 0-4 MB identity mapped,
;   linear 0x400000 -> physical 0x200000 (a 4 KB page)
;   0xF2000    bp_here: EAX..EBP = 0x11111111 .. 0x77777777, ESP = 0x90000
;   0xF2001    mov dword [0x400010], 0xDEADBEEF (physical 0x200010, was 0xA5A5A5A5)
;   0xF200B    the instruction after the write
;   0xF3000    the string "x86pc debugger test"
; It ends by printing "DBGTEST DONE" on port 0xE9 and writing 0x10 to the isa-debug-exit port.

%include "lib.inc"

%macro AT 1
    jmp %1
    times (%1) - ($ - $$) db 0xCC
%endmacro

bits 16
org 0
start16:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7000
    cld
    mov ax, 0x1234
    AT 0x100
    call sub16
    mov cx, 16
    mov al, 0x5A
    mov di, 0x600
    AT 0x110
    rep stosb
    lgdt [cs:gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:(0xF0000 + pm32)

sub16:
    mov bx, 0x5678
    ret

gdtr:
    dw gdt_end - gdt - 1
    dd 0xF0000 + gdt
align 8
gdt:
    dq 0
    GDT_ENTRY 0, 0xFFFFF, 0xC09B   ; 0x08 flat 32-bit code
    GDT_ENTRY 0, 0xFFFFF, 0xC093   ; 0x10 flat data
gdt_end:

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x90000
    ; page directory 0x10000, page tables 0x11000 (identity 0-4 MB) and 0x12000 (4-8 MB)
    mov edi, 0x10000
    xor eax, eax
    mov ecx, 3 * 1024
    rep stosd
    mov dword [0x10000], 0x11003
    mov dword [0x10004], 0x12003
    mov edi, 0x11000
    mov eax, 3
.pt:
    stosd
    add eax, 0x1000
    cmp edi, 0x12000
    jb .pt
    mov dword [0x12000], 0x200003      ; linear 0x400000 -> physical 0x200000
    mov dword [0x200010], 0xA5A5A5A5
    mov eax, 0x10000
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov eax, 0x11111111
    mov ebx, 0x22222222
    mov ecx, 0x33333333
    mov edx, 0x44444444
    mov esi, 0x55555555
    mov edi, 0x66666666
    mov ebp, 0x77777777
    AT 0x2000
bp_here:
    nop
    mov dword [0x400010], 0xDEADBEEF
after_write:
    mov dword [0x3000], 0xCAFEF00D
    mov esi, 0xF0000 + done_msg
    mov dx, 0xE9
.print:
    mov al, [esi]
    test al, al
    jz .exit
    out dx, al
    inc esi
    jmp .print
.exit:
    mov dx, 0xF4
    mov al, 0x10
    out dx, al
.hang:
    cli
    hlt
    jmp .hang
done_msg:
    db `DBGTEST DONE\n`, 0

    times 0x3000 - ($ - $$) db 0
    db "x86pc debugger test", 0

    times 0xFFF0 - ($ - $$) db 0
bits 16
reset:
    jmp 0xF000:start16
    times 0x10000 - ($ - $$) db 0
