; CPU-bound benchmark, run as a 64 KB BIOS image: enters 32-bit flat protected mode, then runs
; an integer loop, memory copies (REP MOVSD), string instructions (REP STOSB, REPNE SCASB, a byte
; copy loop) and x87 arithmetic, and exits through isa-debug-exit (0x10 = done). The work is
; fixed, so the instruction count is the same every run; tests/bench.sh divides it by host time.
bits 16
org 0
BASE equ 0xF0000

start:
    cli
    o32 lgdt [cs:gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:(pm_entry + BASE)

bits 32
pm_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x90000

    ; 1. integer loop: ALU, multiply, shifts, branches
    mov ecx, 8000000
    xor eax, eax
    mov ebx, 0x12345678
.int_loop:
    add eax, ebx
    xor ebx, ecx
    imul edx, eax, 3
    shr edx, 3
    lea esi, [eax + edx*2 + 1]
    sub ebx, esi
    test ecx, 1
    jz .even
    inc eax
.even:
    dec ecx
    jnz .int_loop

    ; 2. memory copy: 64 KB with REP MOVSD, 300 times
    mov ebp, 300
.copy_loop:
    mov esi, 0x100000
    mov edi, 0x200000
    mov ecx, 16384
    cld
    rep movsd
    dec ebp
    jnz .copy_loop

    ; 3. string instructions: fill, scan, and a LODSB/STOSB copy loop
    mov ebp, 200
.str_loop:
    mov edi, 0x300000
    mov ecx, 8192
    mov al, 0x5A
    rep stosb
    mov byte [0x300000 + 8000], 0
    mov edi, 0x300000
    mov ecx, 8192
    xor al, al
    repne scasb
    mov esi, 0x300000
    mov edi, 0x310000
    mov ecx, 512
.bytecopy:
    lodsb
    stosb
    loop .bytecopy
    dec ebp
    jnz .str_loop

    ; 4. x87 arithmetic
    finit
    fld1
    fldz
    mov ecx, 1000000
.fp_loop:
    fadd st0, st1          ; x += 1
    fld st0
    fmul st0, st0          ; x*x
    fsqrt                  ; |x|
    fdiv st0, st2          ; /1
    fstp dword [0x400000]
    dec ecx
    jnz .fp_loop
    fstp st0
    fstp st0

    mov dx, 0xF4
    mov al, 0x10
    out dx, al
    hlt

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF ; 0x08: flat code, 32-bit
    dq 0x00CF92000000FFFF ; 0x10: flat data
gdt_desc:
    dw 23
    dd gdt + BASE

    times 0xFFF0 - ($ - $$) db 0
bits 16
reset_vector:
    jmp 0xF000:start
    times 65536 - ($ - $$) db 0
