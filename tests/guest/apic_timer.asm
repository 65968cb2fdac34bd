; Local APIC and I/O APIC seen from the CPU: CPUID and IA32_APIC_BASE, the version and ID
; registers, software enable, the timer in periodic mode counted over an interval measured by the
; PIT (whose IRQ 0 reaches the CPU through I/O APIC pin 2, the 8259 staying masked), one-shot
; mode and masking, EOI and ISR, TPR masking and the spurious vector, and a global disable through
; the MSR. SDM vol. 3A chapter 10; Intel 82093AA datasheet.
%include "lib.inc"
%include "pm_common.inc"

%define APIC 0xFEE00000
%define IOAPIC 0xFEC00000
%define A_ID (APIC + 0x20)
%define A_VER (APIC + 0x30)
%define A_TPR (APIC + 0x80)
%define A_PPR (APIC + 0xA0)
%define A_EOI (APIC + 0xB0)
%define A_SVR (APIC + 0xF0)
%define A_ISR(v) (APIC + 0x100 + ((v) >> 5) * 0x10)
%define A_IRR(v) (APIC + 0x200 + ((v) >> 5) * 0x10)
%define A_ICR_LO (APIC + 0x300)
%define A_LVT_TIMER (APIC + 0x320)
%define A_TIMER_INIT (APIC + 0x380)
%define A_TIMER_CUR (APIC + 0x390)
%define A_TIMER_DCR (APIC + 0x3E0)

%define VEC_PIT 0x30
%define VEC_TIMER 0x40
%define VEC_SELF 0x50
%define VEC_HIGH 0x70
%define VEC_SPURIOUS 0xEF

%define PIT_COUNT (SCRATCH + 0)
%define TIMER_COUNT (SCRATCH + 4)
%define SELF_COUNT (SCRATCH + 8)
%define SPURIOUS_COUNT (SCRATCH + 12)
%define HIGH_COUNT (SCRATCH + 16)
%define SELF_ISR (SCRATCH + 20)       ; ISR word of VEC_SELF seen inside its handler
%define SELF_PPR (SCRATCH + 24)       ; PPR seen inside the handler
%define T0 (SCRATCH + 28)

; 1 ms at the APIC timer's 100 MHz bus clock divided by 16
%define TIMER_1MS 6250
; 100 Hz from the PIT's 1.193182 MHz
%define PIT_10MS 11932

; WAIT_PIT n: halt until PIT_COUNT >= n (interrupts on while halted)
%macro WAIT_PIT 1
%%w:
    sti
    hlt
    cli
    cmp dword [PIT_COUNT], %1
    jb %%w
%endmacro

test_main:
    SET_GATE VEC_PIT, SEL_CODE0, pit_isr, 0x8E
    SET_GATE VEC_TIMER, SEL_CODE0, timer_isr, 0x8E
    SET_GATE VEC_SELF, SEL_CODE0, self_isr, 0x8E
    SET_GATE VEC_HIGH, SEL_CODE0, high_isr, 0x8E
    SET_GATE VEC_SPURIOUS, SEL_CODE0, spurious_isr, 0x8E
    xor eax, eax
    mov edi, SCRATCH
    mov ecx, 16
    rep stosd

    ; ---- discovery ----
    mov eax, 1
    cpuid
    bt edx, 9
    CHECK c, "CPUID.1 EDX reports the APIC"
    shr ebx, 24
    cmp ebx, 0
    CHECK e, "CPUID.1 EBX: initial APIC ID 0"
    mov ecx, 0x1B
    rdmsr
    cmp eax, 0xFEE00900
    CHECK e, "IA32_APIC_BASE = 0xFEE00900 (BSP, enabled)"
    mov eax, [A_VER]
    cmp al, 0x14
    CHECK e, "APIC version 0x14"
    cmp dword [A_ID], 0
    CHECK e, "APIC ID 0"
    cmp dword [A_SVR], 0xFF
    CHECK e, "SVR resets to 0xFF (software disabled)"
    mov dword [A_SVR], 0x100 | VEC_SPURIOUS
    cmp dword [A_SVR], 0x100 | VEC_SPURIOUS
    CHECK e, "SVR enabled with spurious vector 0xEF"

    ; ---- the PIT through I/O APIC pin 2 ----
    mov dword [IOAPIC], 0x01
    mov eax, [IOAPIC + 0x10]
    cmp eax, 0x00170011
    CHECK e, "I/O APIC version 0x11, 24 entries"
    mov dword [IOAPIC], 0x10 + 2 * 2 + 1
    mov dword [IOAPIC + 0x10], 0       ; destination: APIC 0
    mov dword [IOAPIC], 0x10 + 2 * 2
    mov dword [IOAPIC + 0x10], VEC_PIT ; fixed, edge, physical, unmasked
    mov al, 0x34                       ; channel 0, lobyte/hibyte, mode 2
    out 0x43, al
    mov al, PIT_10MS & 0xFF
    out 0x40, al
    mov al, PIT_10MS >> 8
    out 0x40, al

    ; ---- periodic timer: 1 ms, counted over 10 PIT periods (100 ms) ----
    mov dword [A_TIMER_DCR], 0x3       ; divide by 16
    mov dword [A_LVT_TIMER], 0x20000 | VEC_TIMER
    mov dword [A_TIMER_INIT], TIMER_1MS
    mov eax, [A_TIMER_CUR]
    cmp eax, TIMER_1MS
    CHECK be, "current count starts at or below the initial count"
    mov ebx, eax
    mov ecx, 200
.spin:
    loop .spin
    mov eax, [A_TIMER_CUR]
    cmp eax, ebx
    CHECK b, "current count goes down"
    mov eax, [PIT_COUNT]
    WAIT_PIT 1
    mov eax, [TIMER_COUNT]
    mov [T0], eax
    WAIT_PIT 11
    mov eax, [TIMER_COUNT]
    sub eax, [T0]
    PUTS "timer interrupts in 100 ms of PIT time: "
    call lib_putdec
    PUTS `\n`
    cmp eax, 99
    CHECK ae, "periodic timer: at least 99 interrupts in 100 ms"
    cmp eax, 101
    CHECK be, "periodic timer: at most 101 interrupts in 100 ms"

    ; ---- masked: the count stops ----
    mov dword [A_LVT_TIMER], 0x30000 | VEC_TIMER
    mov eax, [TIMER_COUNT]
    mov [T0], eax
    mov eax, [PIT_COUNT]
    add eax, 2
    mov [SCRATCH + 32], eax
.masked_wait:
    sti
    hlt
    cli
    mov eax, [PIT_COUNT]
    cmp eax, [SCRATCH + 32]
    jb .masked_wait
    mov eax, [TIMER_COUNT]
    cmp eax, [T0]
    CHECK e, "masked LVT timer: no interrupts"

    ; ---- one-shot: exactly one interrupt ----
    mov dword [A_LVT_TIMER], VEC_TIMER
    mov dword [A_TIMER_INIT], 1000     ; 160 us
    mov eax, [PIT_COUNT]
    add eax, 2
    mov [SCRATCH + 32], eax
.oneshot_wait:
    sti
    hlt
    cli
    mov eax, [PIT_COUNT]
    cmp eax, [SCRATCH + 32]
    jb .oneshot_wait
    mov eax, [TIMER_COUNT]
    sub eax, [T0]
    cmp eax, 1
    CHECK e, "one-shot timer: exactly one interrupt"
    cmp dword [A_TIMER_CUR], 0
    CHECK e, "one-shot timer: current count stays 0"
    mov dword [A_TIMER_INIT], 0
    ; the PIT stops interrupting: mask pin 2
    mov dword [IOAPIC], 0x10 + 2 * 2
    mov dword [IOAPIC + 0x10], 0x10000 | VEC_PIT

    ; ---- EOI and ISR: a self IPI taken with IF=1 ----
    mov dword [A_ICR_LO], 0x40000 | VEC_SELF
    bt dword [A_IRR(VEC_SELF)], VEC_SELF & 31
    CHECK c, "self IPI pending in IRR while IF=0"
    sti
    nop
    cli
    cmp dword [SELF_COUNT], 1
    CHECK e, "self IPI delivered once IF=1"
    bt dword [SELF_ISR], VEC_SELF & 31
    CHECK c, "the handler saw its vector in ISR"
    cmp dword [SELF_PPR], VEC_SELF
    CHECK e, "the handler saw PPR = its vector's class"
    bt dword [A_ISR(VEC_SELF)], VEC_SELF & 31
    CHECK nc, "EOI cleared the ISR bit"
    cmp dword [A_PPR], 0
    CHECK e, "PPR back to 0"

    ; ---- TPR masks by priority class ----
    mov dword [A_TPR], 0x50
    mov dword [A_ICR_LO], 0x40000 | VEC_SELF
    sti
    nop
    nop
    cli
    cmp dword [SELF_COUNT], 1
    CHECK e, "TPR 0x50 holds back vector 0x50"
    mov dword [A_TPR], 0x4F
    sti
    nop
    cli
    cmp dword [SELF_COUNT], 2
    CHECK e, "TPR 0x4F lets vector 0x50 through"
    mov dword [A_TPR], 0

    ; ---- spurious: TPR raised after INTR was asserted ----
    mov dword [A_ICR_LO], 0x40000 | VEC_HIGH   ; INTR goes up, IF=0 holds it
    mov dword [A_TPR], 0x80
    sti
    nop
    cli
    cmp dword [SPURIOUS_COUNT], 1
    CHECK e, "INTA after the TPR raise gets the spurious vector"
    cmp dword [HIGH_COUNT], 0
    CHECK e, "the masked vector is not delivered"
    mov dword [A_TPR], 0
    sti
    nop
    cli
    cmp dword [HIGH_COUNT], 1
    CHECK e, "lowering TPR delivers it"

    ; ---- global disable through the MSR ----
    mov ecx, 0x1B
    rdmsr
    and eax, ~0x800
    wrmsr
    mov eax, 1
    cpuid
    bt edx, 9
    CHECK nc, "globally disabled: CPUID reports no APIC"
    mov eax, [A_VER]
    cmp eax, 0xFFFFFFFF
    CHECK e, "globally disabled: the registers are gone"
    mov ecx, 0x1B
    rdmsr
    or eax, 0x800
    wrmsr
    cmp dword [A_SVR], 0xFF
    CHECK e, "re-enabled: back in the reset state"
    FINISH

pit_isr:
    inc dword [PIT_COUNT]
    mov dword [A_EOI], 0
    iretd

timer_isr:
    inc dword [TIMER_COUNT]
    mov dword [A_EOI], 0
    iretd

self_isr:
    push eax
    inc dword [SELF_COUNT]
    mov eax, [A_ISR(VEC_SELF)]
    mov [SELF_ISR], eax
    mov eax, [A_PPR]
    mov [SELF_PPR], eax
    mov dword [A_EOI], 0
    pop eax
    iretd

high_isr:
    inc dword [HIGH_COUNT]
    mov dword [A_EOI], 0
    iretd

spurious_isr:                          ; no EOI for the spurious vector
    inc dword [SPURIOUS_COUNT]
    iretd

    PM_COMMON_END
