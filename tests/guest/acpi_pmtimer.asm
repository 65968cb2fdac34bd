; ACPI from a guest's side, with this program as the firmware: the PIIX4 PM function, the tables
; as fw_cfg hands them over (loaded with the linker/loader script), RSDP -> RSDT -> FADT, ACPI
; enable through SMI_CMD, the PM timer against a PIT-timed interval (the PM timer runs at exactly
; 3 times the PIT's clock: 14.31818 MHz / 4 and / 12), and the timer's SCI through the 8259
; (TMR_EN, IRQ 9 level-triggered, vector 0x29) at the bit-23 transition.
; ACPI spec "ACPI Hardware Specification" (PM1, PM timer); 8254 mode 0 on channel 2 gated by
; port 0x61.
%include "lib.inc"
%include "pm_common.inc"
%include "acpi_common.inc"

%define T_SMI_CMD (SCRATCH + 0x00)
%define T_ENABLE (SCRATCH + 0x04)
%define T_PM1_EVT (SCRATCH + 0x08)
%define T_PM1_CNT (SCRATCH + 0x0C)
%define T_PM_TMR (SCRATCH + 0x10)
%define T_T0 (SCRATCH + 0x14)
%define T_SCI_STS (SCRATCH + 0x18)
%define T_SCI_N (SCRATCH + 0x1C)
%define T_SCI_TMR (SCRATCH + 0x20)
%define PIT_N 0x8000

bits 32
test_main:
    mov ax, SEL_DATA0
    mov es, ax
    ACPI_SETUP
    mov esi, [ACPI_FADT]
    test esi, esi
    jz .finish
    mov eax, [esi + 48]
    mov [T_SMI_CMD], eax
    movzx eax, byte [esi + 52]
    mov [T_ENABLE], eax
    mov eax, [esi + 56]
    mov [T_PM1_EVT], eax
    mov eax, [esi + 64]
    mov [T_PM1_CNT], eax
    mov eax, [esi + 76]
    mov [T_PM_TMR], eax
    cmp dword [T_PM_TMR], PM_BASE + 8
    CHECK e, "FADT PM_TMR_BLK = PMBA + 8"
    cmp word [esi + 46], 9
    CHECK e, "FADT SCI_INT = 9"

    ; ---- ACPI enable through SMI_CMD ----
    mov edx, [T_PM1_CNT]
    in ax, dx
    test al, 1
    CHECK z, "SCI_EN clear before ACPI enable"
    mov edx, [T_SMI_CMD]
    mov eax, [T_ENABLE]
    out dx, al
    mov edx, [T_PM1_CNT]
    in ax, dx
    test al, 1
    CHECK nz, "SCI_EN set after writing ACPI_ENABLE to SMI_CMD"

    ; ---- PM timer over a PIT interval: PIT channel 2, mode 0, count PIT_N ----
    in al, 0x61
    and al, 0xFC                    ; gate 2 low, speaker off
    out 0x61, al
    mov al, 0xB0                    ; channel 2, lobyte/hibyte, mode 0, binary
    out 0x43, al
    mov al, PIT_N & 0xFF
    out 0x42, al
    mov al, PIT_N >> 8
    out 0x42, al
    mov edx, [T_PM_TMR]
    in eax, dx
    mov [T_T0], eax
    in al, 0x61
    or al, 0x01                     ; gate 2 high: counting starts
    out 0x61, al
.wait_out2:
    in al, 0x61
    test al, 0x20
    jz .wait_out2
    mov edx, [T_PM_TMR]
    in eax, dx
    sub eax, [T_T0]
    and eax, 0xFFFFFF
    push eax
    PUTS "# PM timer ticks over 0x8000 PIT ticks: "
    call lib_putdec
    PUTS `\n`
    pop eax
    cmp eax, 3 * PIT_N - 8
    CHECK ae, "PM timer advanced at least 3 x the PIT count"
    cmp eax, 3 * PIT_N + 300
    CHECK b, "PM timer advanced at most 3 x the PIT count + polling time"
    mov edx, [T_PM_TMR]
    in eax, dx
    test eax, 0xFF000000
    CHECK z, "PM timer is 24 bits"

    ; ---- the timer's SCI: 8259 with IRQ 9 level-triggered at vector 0x29 ----
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 0x04
    out 0x21, al
    mov al, 0x02
    out 0xA1, al
    mov al, 0x01
    out 0x21, al
    out 0xA1, al
    mov al, 0xFB                    ; master: only the cascade
    out 0x21, al
    mov al, 0xFD                    ; slave: only IRQ 9
    out 0xA1, al
    mov dx, 0x4D1
    in al, dx
    or al, 0x02                     ; ELCR: IRQ 9 level-triggered
    out dx, al
    SET_GATE 0x29, SEL_CODE0, sci_handler, 0x8E
    mov dword [T_SCI_N], 0
    mov edx, [T_PM1_EVT]
    mov ax, 0x0001                  ; clear a stale TMR_STS
    out dx, ax
    add edx, 2
    mov ax, 0x0001                  ; TMR_EN
    out dx, ax
    sti
.idle:
    hlt                             ; time jumps to the bit-23 transition
    cmp dword [T_SCI_N], 0
    je .idle
    cli
    cmp dword [T_SCI_N], 1
    CHECK e, "one SCI for the timer's bit-23 transition"
    test dword [T_SCI_STS], 1
    CHECK nz, "the SCI handler saw TMR_STS"
    mov eax, [T_SCI_TMR]
    and eax, 0x7FFFFF
    cmp eax, 64
    CHECK b, "the SCI came right at the transition (timer bits 22:0 small)"
    mov edx, [T_PM1_EVT]
    in ax, dx
    test al, 1
    CHECK z, "TMR_STS cleared by the handler's write of 1"
    add edx, 2
    xor eax, eax
    out dx, ax                      ; TMR_EN off
.finish:
    FINISH

sci_handler:
    push eax
    push edx
    mov edx, [T_PM_TMR]
    in eax, dx
    mov [T_SCI_TMR], eax
    mov edx, [T_PM1_EVT]
    in ax, dx
    movzx eax, ax
    mov [T_SCI_STS], eax
    out dx, ax                      ; write the set bits back: clears them, the SCI drops
    inc dword [T_SCI_N]
    mov al, 0x20
    out 0xA0, al
    out 0x20, al
    pop edx
    pop eax
    iretd

ACPI_ROUTINES
PM_COMMON_END
