; ACPI soft-off from a guest's side, with this program as the firmware: load the tables through
; fw_cfg and the linker/loader script, enable ACPI through SMI_CMD, read SLP_TYP for S5 from the
; DSDT's \_S5 package, and write SLP_TYP | SLP_EN to PM1a_CNT. x86pc must then end with exit
; status 0; every other ending (the isa-debug-exit failure code 0x11, a timeout) is a failure.
; Kept out of tests/guest/ because run_guest.sh expects every program there to end through
; isa-debug-exit; tests/acpi_poweroff.sh runs it. ACPI spec "Sleeping/Wake Control", "\_Sx".
%include "lib.inc"
%include "pm_common.inc"
%include "acpi_common.inc"

%define T_TYP (SCRATCH + 0x00)

bits 32
test_main:
    mov ax, SEL_DATA0
    mov es, ax
    ACPI_SETUP
    mov esi, [ACPI_FADT]
    test esi, esi
    jz .fail
    ; ACPI mode, as an OS enters it
    mov edx, [esi + 48]
    mov al, [esi + 52]
    out dx, al
    ; \_S5: Name(_S5_, Package(){SLP_TYPa, ...}) somewhere in the DSDT
    mov edi, [esi + 40]
    cmp dword [edi], 'DSDT'
    CHECK e, "DSDT signature"
    mov ecx, [edi + 4]
    sub ecx, 8
    mov dword [T_TYP], 0xFFFFFFFF
.scan:
    cmp dword [edi], '_S5_'
    jne .next
    cmp byte [edi + 4], 0x12        ; PackageOp
    jne .next
    movzx eax, byte [edi + 5]       ; PkgLength: skip its extra bytes
    shr eax, 6
    lea ebx, [edi + 7 + eax]        ; past PkgLength and NumElements
    movzx eax, byte [ebx]
    cmp al, 0x0A                    ; BytePrefix
    jne .small
    movzx eax, byte [ebx + 1]
    jmp .got
.small:
    cmp al, 1                       ; Zero or One
    ja .next
.got:
    mov [T_TYP], eax
    jmp .found
.next:
    inc edi
    loop .scan
.found:
    cmp dword [T_TYP], 7
    CHECK be, "\_S5 SLP_TYPa found in the DSDT"
    PUTS "# S5 SLP_TYP = "
    mov eax, [T_TYP]
    call lib_putdec
    PUTS `\n`
    mov esi, [ACPI_FADT]
    mov edx, [esi + 64]             ; PM1a_CNT_BLK
    in ax, dx
    and ax, 0xE3FF
    mov ebx, [T_TYP]
    shl ebx, 10
    or ax, bx
    out dx, ax                      ; SLP_TYP first, as ACPICA does
    or ax, 0x2000                   ; then SLP_EN
    out dx, ax
    PUTS `# still running after SLP_EN\n`
.fail:
    inc dword [LIB_FAILS]
    FINISH

ACPI_ROUTINES
PM_COMMON_END
