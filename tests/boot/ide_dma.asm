; IDE seen from the CPU with no firmware, as a 64 KB BIOS image (tests/guest/lib.inc and
; pm_common.inc) that tests/guest_boot_disk.sh runs with -bios and the test disk as -hda (it is
; not in tests/guest/ because those run without disks): the PIIX3 IDE function's IDs and BAR4
; through PCI configuration mechanism #1, the empty secondary channel, IDENTIFY DEVICE completed
; by IRQ 14 through the 8259 pair, READ DMA through the bus master with a two-entry PRD table,
; WRITE DMA, and a DMA read over code the CPU has already run (the bus must tell the CPU its
; decoded instructions are stale). The script checks the DMA-written sector in the image file.
%include "lib.inc"
%include "pm_common.inc"

%define IRQ_COUNT (SCRATCH + 0)
%define IRQ_STATUS (SCRATCH + 4)   ; IDE status read by the interrupt handler
%define IRQ_BMST (SCRATCH + 8)     ; bus master status read by the interrupt handler
%define BM 0xC000                  ; where BAR4 is put
%define PRD 0x20000
%define BUF 0x30000
%define CODE 0x40000
%define VEC_IDE 0x2E               ; IRQ 14: slave 8259 input 6, vectors 0x28-0x2F

; WAIT_IRQ n: interrupts on until IRQ_COUNT reaches n (bounded)
%macro WAIT_IRQ 1
    mov ecx, 1000000
    sti
%%w:
    cmp dword [IRQ_COUNT], %1
    jae %%done
    dec ecx
    jnz %%w
%%done:
    cli
%endmacro

; PCI_WRITE reg, value (dword, device 00:01.1)
%macro PCI_WRITE 2
    mov eax, 0x80000900 | (%1)
    mov dx, 0xCF8
    out dx, eax
    mov eax, %2
    mov dx, 0xCFC
    out dx, eax
%endmacro

; PCI_READ reg -> eax
%macro PCI_READ 1
    mov eax, 0x80000900 | (%1)
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    in eax, dx
%endmacro

%macro OUTB 2
    mov dx, %1
    mov al, %2
    out dx, al
%endmacro

; ATA_LBA28 lba, count, command: device 0, LBA mode
%macro ATA_LBA28 3
    OUTB 0x1F6, 0xE0
    OUTB 0x1F2, %2
    OUTB 0x1F3, (%1) & 0xFF
    OUTB 0x1F4, ((%1) >> 8) & 0xFF
    OUTB 0x1F5, ((%1) >> 16) & 0xFF
    OUTB 0x1F7, %3
%endmacro

test_main:
    SET_GATE VEC_IDE, SEL_CODE0, ide_isr, 0x8E
    ; the 8259 pair: vectors 0x20/0x28, only the cascade and IRQ 14 unmasked
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 4
    out 0x21, al
    mov al, 2
    out 0xA1, al
    mov al, 1
    out 0x21, al
    out 0xA1, al
    mov al, 0xFB
    out 0x21, al
    mov al, 0xBF
    out 0xA1, al

    ; ---- the PCI function ----
    PCI_READ 0x00
    cmp eax, 0x70108086
    CHECK e, "00:01.1 is 8086:7010"
    PCI_READ 0x08
    cmp eax, 0x01018000
    CHECK e, "class IDE, prog-if 0x80"
    PCI_WRITE 0x20, BM
    PCI_WRITE 0x04, 0x0005             ; I/O and bus master
    PCI_WRITE 0x40, 0x80008000         ; IDETIM: both channels decoded
    PCI_READ 0x20
    cmp eax, BM | 1
    CHECK e, "BAR4 at 0xC000"
    mov dx, BM + 2
    in al, dx
    cmp al, 0
    CHECK e, "bus master status 0"

    ; ---- channels ----
    mov dx, 0x177
    in al, dx
    cmp al, 0x7F
    CHECK e, "empty secondary channel reads 0x7F"
    mov dx, 0x1F7
    in al, dx
    cmp al, 0x50
    CHECK e, "disk ready (0x50)"

    ; ---- IDENTIFY with IRQ 14 ----
    OUTB 0x3F6, 0x00
    OUTB 0x1F6, 0xA0
    OUTB 0x1F7, 0xEC
    WAIT_IRQ 1
    cmp dword [IRQ_COUNT], 1
    CHECK e, "IDENTIFY raised IRQ 14"
    cmp byte [IRQ_STATUS], 0x58
    CHECK e, "status DRDY DSC DRQ in the handler"
    mov edi, BUF
    mov ecx, 256
    mov dx, 0x1F0
    rep insw
    cmp word [BUF], 0x0040
    CHECK e, "IDENTIFY word 0"
    cmp dword [BUF + 120], 2048
    CHECK e, "IDENTIFY words 60-61: 2048 sectors"
    mov dx, 0x1F7
    in al, dx
    cmp al, 0x50
    CHECK e, "ready after the data"

    ; ---- READ DMA of LBA 1-2 into two regions ----
    mov dword [PRD + 0], BUF + 0x1000
    mov dword [PRD + 4], 512
    mov dword [PRD + 8], BUF + 0x2000
    mov dword [PRD + 12], 0x80000000 | 512
    mov dx, BM + 4
    mov eax, PRD
    out dx, eax
    OUTB BM + 0, 0x08
    OUTB BM + 2, 0x06
    ATA_LBA28 1, 2, 0xC8
    OUTB BM + 0, 0x09
    WAIT_IRQ 2
    OUTB BM + 0, 0x08
    cmp dword [IRQ_COUNT], 2
    CHECK e, "READ DMA raised IRQ 14"
    test byte [IRQ_BMST], 0x04
    CHECK nz, "bus master interrupt bit"
    cmp dword [BUF + 0x1000], 'MAGI'
    CHECK e, "sector 1 in the first region"
    cmp dword [BUF + 0x2004], 'C-S2'
    CHECK e, "sector 2 in the second region"

    ; ---- code the CPU runs, then overwritten by DMA ----
    mov dword [CODE], 0x000001B8       ; mov eax, 1 ; ret
    mov word [CODE + 4], 0xC300
    mov eax, CODE - ROM_BASE           ; CS is based at the ROM; the offset wraps to CODE
    call eax
    cmp eax, 1
    CHECK e, "code in RAM runs"
    ; WRITE DMA of "mov eax, 2 ; ret" to LBA 6
    mov dword [BUF + 0x3000], 0x000002B8
    mov word [BUF + 0x3004], 0xC300
    mov dword [PRD + 16], BUF + 0x3000
    mov dword [PRD + 20], 0x80000000 | 512
    mov dx, BM + 4
    mov eax, PRD + 16
    out dx, eax
    OUTB BM + 0, 0x00
    OUTB BM + 2, 0x06
    ATA_LBA28 6, 1, 0xCA
    OUTB BM + 0, 0x01
    WAIT_IRQ 3
    OUTB BM + 0, 0x00
    cmp byte [IRQ_STATUS], 0x50
    CHECK e, "WRITE DMA completed"
    ; READ DMA of LBA 6 over the code
    mov dword [PRD + 32], CODE
    mov dword [PRD + 36], 0x80000000 | 512
    mov dx, BM + 4
    mov eax, PRD + 32
    out dx, eax
    OUTB BM + 0, 0x08
    OUTB BM + 2, 0x06
    ATA_LBA28 6, 1, 0xC8
    OUTB BM + 0, 0x09
    WAIT_IRQ 4
    OUTB BM + 0, 0x08
    cmp dword [IRQ_COUNT], 4
    CHECK e, "READ DMA over code raised IRQ 14"
    mov eax, CODE - ROM_BASE
    call eax
    cmp eax, 2
    CHECK e, "the CPU runs the code DMA wrote"
    FINISH

ide_isr:
    push eax
    push edx
    inc dword [IRQ_COUNT]
    mov dx, BM + 2
    in al, dx
    mov [IRQ_BMST], al
    mov dx, 0x1F7
    in al, dx                          ; acknowledges the drive's interrupt
    mov [IRQ_STATUS], al
    mov al, 0x20
    out 0xA0, al
    out 0x20, al
    pop edx
    pop eax
    iretd

    PM_COMMON_END
