; A tiny "kernel" in bzImage format for testing x86pc's direct Linux boot (bios/linuxboot.c).
;
; The file is laid out as the Linux/x86 boot protocol (Documentation/arch/x86/boot.rst) says: a
; real-mode setup part of (setup_sects + 1) sectors holding the setup header at 0x1F1 ("HdrS",
; protocol 2.15, LOADED_HIGH), followed by the protected-mode kernel, which the boot loader puts
; at 1 MB and enters in 32-bit protected mode with ESI = boot_params. Here that kernel checks
; what it was given: the entry registers and segments, the zero page's header fields, the E820
; map, the command line (CMDLINE below, or CMDLINE plus " reboot") and the initrd (compared byte
; for byte with initrd.txt, which it includes). It reports "ok N - ..." / "not ok N - ..." on
; the debug console (port 0xE9) and ends through isa-debug-exit (port 0xF4): 0x10 for pass.
;
; With " reboot" on the command line it first resets the machine (port 0x92, fast reset) and
; checks on its second entry that the loader ran again from pristine images: a byte of its own
; image that it changed before the reset must be back, and a marker it left in RAM must remain.
;
; Build: nasm -f bin -I tests/linuxboot/ -o fake.bzImage tests/linuxboot/fake_kernel.asm

%define CMDLINE "console=ttyS0 x86pc.test=linuxboot"
%define MARKER_ADDR 0x9F000            ; RAM the loader never writes
%define MARKER 0x52424F4F              ; "OOBR"
%define STACK_TOP 0x90000

; boot_params offsets (Documentation/arch/x86/zero-page.rst)
%define BP_E820_ENTRIES 0x1E8
%define BP_E820_TABLE 0x2D0
%define BP_HEADER 0x202
%define BP_VERSION 0x206
%define BP_TYPE_OF_LOADER 0x210
%define BP_LOADFLAGS 0x211
%define BP_CODE32_START 0x214
%define BP_RAMDISK_IMAGE 0x218
%define BP_RAMDISK_SIZE 0x21C
%define BP_CMD_LINE_PTR 0x228

; ---------------------------------------------------------------- real-mode setup (not run)
        section setup start=0
        bits 16
        times 0x1F1 - ($ - $$) db 0
        db 1                            ; 0x1F1 setup_sects: setup is 2 sectors
        dw 0                            ; 0x1F2 root_flags
        dd (pm_end - pm_start + 15) / 16 ; 0x1F4 syssize
        dw 0                            ; 0x1F8 ram_size (obsolete)
        dw 0xFFFF                       ; 0x1FA vid_mode: normal
        dw 0                            ; 0x1FC root_dev
        dw 0xAA55                       ; 0x1FE boot_flag
        db 0xEB, hdr_end - 0x202        ; 0x200 jump over the header: its length
        db "HdrS"                       ; 0x202 header
        dw 0x020F                       ; 0x206 version 2.15
        dd 0                            ; 0x208 realmode_swtch
        dw 0                            ; 0x20C start_sys_seg
        dw 0                            ; 0x20E kernel_version
        db 0                            ; 0x210 type_of_loader (the loader writes it)
        db 0x01                         ; 0x211 loadflags: LOADED_HIGH
        dw 0                            ; 0x212 setup_move_size
        dd 0x100000                     ; 0x214 code32_start
        dd 0                            ; 0x218 ramdisk_image
        dd 0                            ; 0x21C ramdisk_size
        dd 0                            ; 0x220 bootsect_kludge
        dw 0                            ; 0x224 heap_end_ptr
        db 0                            ; 0x226 ext_loader_ver
        db 0                            ; 0x227 ext_loader_type
        dd 0                            ; 0x228 cmd_line_ptr
        dd 0x37FFFFFF                   ; 0x22C initrd_addr_max
        dd 0x100000                     ; 0x230 kernel_alignment
        db 0                            ; 0x234 relocatable_kernel: no
        db 0                            ; 0x235 min_alignment
        dw 0                            ; 0x236 xloadflags
        dd 2047                         ; 0x238 cmdline_size
        dd 0                            ; 0x23C hardware_subarch
        dq 0                            ; 0x240 hardware_subarch_data
        dd 0                            ; 0x248 payload_offset
        dd 0                            ; 0x24C payload_length
        dq 0                            ; 0x250 setup_data
        dq 0x100000                     ; 0x258 pref_address
        dd 0x10000                      ; 0x260 init_size
        dd 0                            ; 0x264 handover_offset
        dd 0                            ; 0x268 kernel_info_offset
hdr_end:
        times 1024 - ($ - $$) db 0

; ---------------------------------------------------------------- protected-mode kernel
        section pm follows=setup vstart=0x100000
        bits 32
pm_start:
        ; save the entry state before touching anything (DS must already be flat)
        mov [entry_eax], eax
        mov [entry_ebx], ebx
        mov [entry_ebp], ebp
        mov [entry_esi], esi
        mov [entry_edi], edi
        pushfd                          ; uses the loader's stack: checked afterwards
        pop dword [entry_eflags]
        mov esp, STACK_TOP
        call .here
.here:  pop eax
        mov [entry_eip], eax

        mov esi, msg_hello
        call puts

        ; ---- the reset round trip, when asked for
        cmp byte [reboot_mode], 0       ; always 0 in a fresh image
        je .fresh
        mov esi, msg_stale
        call fail_named
.fresh:
        mov ebx, [entry_esi]
        mov esi, [ebx + BP_CMD_LINE_PTR]
        mov edi, cmdline_reboot
        call strcmp
        jne .no_reboot
        cmp dword [MARKER_ADDR], MARKER
        je .second_boot
        mov dword [MARKER_ADDR], MARKER
        mov byte [reboot_mode], 1       ; the loader must restore this byte
        mov esi, msg_resetting
        call puts
        in al, 0x92
        and al, 0xFE
        out 0x92, al
        or al, 1
        out 0x92, al                    ; fast reset
.hang:  hlt
        jmp .hang
.second_boot:
        mov dword [MARKER_ADDR], 0
        mov esi, msg_second
        call puts
        inc dword [nrebooted]
.no_reboot:

        ; ---- 1: entry registers
        xor eax, eax
        or eax, [entry_ebx]
        or eax, [entry_ebp]
        or eax, [entry_edi]
        mov esi, t_regs
        call check_zero

        ; ---- 2: segments are __BOOT_CS / __BOOT_DS
        xor eax, eax
        mov bx, cs
        cmp bx, 0x10
        setne al
        mov bx, ds
        cmp bx, 0x18
        setne ah
        or al, ah
        mov bx, es
        cmp bx, 0x18
        setne ah
        or al, ah
        mov bx, ss
        cmp bx, 0x18
        setne ah
        or al, ah
        movzx eax, al
        mov esi, t_segs
        call check_zero

        ; ---- 3: protected mode, paging off, interrupts off
        mov eax, cr0
        and eax, 0x80000001
        xor eax, 1
        mov ebx, [entry_eflags]
        and ebx, 0x200
        or eax, ebx
        mov esi, t_mode
        call check_zero

        ; ---- 4: entered at code32_start = 1 MB
        mov eax, [entry_eip]
        sub eax, pm_start.here
        mov ebx, [entry_esi]
        mov ecx, [ebx + BP_CODE32_START]
        sub ecx, pm_start
        or eax, ecx
        mov esi, t_entry
        call check_zero

        ; ---- 5: flat 4 GB descriptors at GDT indexes 2 and 3
        sgdt [gdtr]
        mov ebx, [gdtr + 2]
        mov eax, [ebx + 16]
        xor eax, 0x0000FFFF
        mov ecx, [ebx + 20]
        and ecx, 0xFFCFFEFF             ; ignore AVL, L and the accessed bit
        xor ecx, 0x00CF9A00
        or eax, ecx
        mov ecx, [ebx + 24]
        xor ecx, 0x0000FFFF
        or eax, ecx
        mov ecx, [ebx + 28]
        and ecx, 0xFFCFFEFF
        xor ecx, 0x00CF9200
        or eax, ecx
        mov esi, t_gdt
        call check_zero

        ; ---- 6: the zero page's setup header
        mov ebx, [entry_esi]
        mov eax, [ebx + BP_HEADER]
        xor eax, 'HdrS'
        movzx ecx, word [ebx + BP_VERSION]
        xor ecx, 0x020F
        or eax, ecx
        movzx ecx, byte [ebx + BP_TYPE_OF_LOADER]
        xor ecx, 0xFF
        or eax, ecx
        movzx ecx, byte [ebx + BP_LOADFLAGS]
        and ecx, 1
        xor ecx, 1
        or eax, ecx
        mov esi, t_header
        call check_zero

        ; ---- 7: E820: at least 4 entries, [0, 0x9FC00) RAM first, RAM from 1 MB
        mov ebx, [entry_esi]
        movzx eax, byte [ebx + BP_E820_ENTRIES]
        cmp eax, 4
        setb al
        movzx eax, al
        lea edx, [ebx + BP_E820_TABLE]
        or eax, [edx]                   ; addr 0
        or eax, [edx + 4]
        mov ecx, [edx + 8]
        xor ecx, 0x9FC00
        or eax, ecx
        or eax, [edx + 12]
        mov ecx, [edx + 16]
        xor ecx, 1
        or eax, ecx
        ; find an entry {0x100000, size >= 1 MB, RAM}
        movzx ecx, byte [ebx + BP_E820_ENTRIES]
        mov edi, 1
.e820_loop:
        test ecx, ecx
        jz .e820_done
        cmp dword [edx], 0x100000
        jne .e820_next
        cmp dword [edx + 4], 0
        jne .e820_next
        cmp dword [edx + 16], 1
        jne .e820_next
        cmp dword [edx + 8], 0x100000
        jb .e820_next
        xor edi, edi
.e820_next:
        add edx, 20
        dec ecx
        jmp .e820_loop
.e820_done:
        or eax, edi
        mov esi, t_e820
        call check_zero

        ; ---- 8: the command line
        mov ebx, [entry_esi]
        mov esi, [ebx + BP_CMD_LINE_PTR]
        mov edi, cmdline_plain
        call strcmp
        je .cmd_ok
        mov esi, [ebx + BP_CMD_LINE_PTR]
        mov edi, cmdline_reboot
        call strcmp
.cmd_ok:
        setne al
        movzx eax, al
        mov esi, t_cmdline
        call check_zero

        ; ---- 9: the initrd: size, page alignment, contents
        mov ebx, [entry_esi]
        mov eax, [ebx + BP_RAMDISK_SIZE]
        xor eax, initrd_end - initrd_data
        mov ecx, [ebx + BP_RAMDISK_IMAGE]
        test ecx, 0xFFF
        setnz dl
        movzx edx, dl
        or eax, edx
        cmp ecx, pm_end                 ; above the kernel
        setb dl
        movzx edx, dl
        or eax, edx
        jnz .initrd_report
        mov esi, ecx
        mov edi, initrd_data
        mov ecx, initrd_end - initrd_data
        repe cmpsb
        setne al
        movzx eax, al
.initrd_report:
        mov esi, t_initrd
        call check_zero

        ; ---- the end
        cmp dword [nfail], 0
        jne .failed
        mov esi, msg_pass
        call puts
        mov al, 0x10
        out 0xF4, al
        jmp .hang2
.failed:
        mov esi, msg_fail
        call puts
        mov al, 0x01
        out 0xF4, al
.hang2: hlt
        jmp .hang2

; ---- helpers
; puts: the NUL-terminated string at ESI to port 0xE9
puts:
        push eax
        push esi
.loop:  lodsb
        test al, al
        jz .done
        out 0xE9, al
        jmp .loop
.done:  pop esi
        pop eax
        ret

; put_dec: EAX (< 100) in decimal
put_dec:
        push eax
        push edx
        push ecx
        xor edx, edx
        mov ecx, 10
        div ecx
        test eax, eax
        jz .units
        add al, '0'
        out 0xE9, al
.units: mov al, dl
        add al, '0'
        out 0xE9, al
        pop ecx
        pop edx
        pop eax
        ret

; check_zero: "ok N - name" if EAX == 0, else "not ok N - name" (name at ESI)
check_zero:
        inc dword [ntest]
        test eax, eax
        jz .ok
        inc dword [nfail]
        push esi
        mov esi, s_not
        call puts
        pop esi
.ok:
        push esi
        mov esi, s_ok
        call puts
        mov eax, [ntest]
        call put_dec
        mov esi, s_dash
        call puts
        pop esi
        call puts
        mov al, 10
        out 0xE9, al
        ret

; fail_named: a failing check named by ESI
fail_named:
        mov eax, 1
        jmp check_zero

; strcmp: ZF set if the strings at ESI and EDI are equal
strcmp:
        push esi
        push edi
        push eax
.loop:  mov al, [esi]
        cmp al, [edi]
        jne .done
        inc esi
        inc edi
        test al, al
        jnz .loop
.done:  pop eax
        pop edi
        pop esi
        ret

; ---- data
entry_eax: dd 0
entry_ebx: dd 0
entry_ebp: dd 0
entry_esi: dd 0
entry_edi: dd 0
entry_eflags: dd 0
entry_eip: dd 0
ntest: dd 0
nfail: dd 0
nrebooted: dd 0
gdtr: dw 0
        dd 0
reboot_mode: db 0
cmdline_plain: db CMDLINE, 0
cmdline_reboot: db CMDLINE, " reboot", 0
msg_hello: db "fake kernel: 32-bit entry reached", 10, 0
msg_resetting: db "fake kernel: first boot, resetting the machine", 10, 0
msg_second: db "fake kernel: second boot after reset", 10, 0
msg_stale: db "image reloaded after reset", 0
msg_pass: db "fake kernel: all checks passed", 10, 0
msg_fail: db "fake kernel: FAILED", 10, 0
s_ok: db "ok ", 0
s_not: db "not ", 0
s_dash: db " - ", 0
t_regs: db "EBX, EBP and EDI are zero at entry", 0
t_segs: db "CS = 0x10, DS = ES = SS = 0x18", 0
t_mode: db "protected mode, paging off, interrupts off", 0
t_entry: db "entered at code32_start (1 MB)", 0
t_gdt: db "GDT entries 2 and 3 are flat 4 GB code and data", 0
t_header: db "zero page header: HdrS, version, type_of_loader 0xFF, LOADED_HIGH", 0
t_e820: db "E820 map: low RAM and RAM from 1 MB", 0
t_cmdline: db "command line", 0
t_initrd: db "initrd size, alignment and contents", 0
initrd_data:
        incbin "initrd.txt"
initrd_end:
        align 16, db 0
pm_end:
