/* The CPU models: what CPUID reports and which instruction sets the decoder may accept.
 *
 * Family/model/stepping follow Intel's P6 identification (SDM vol. 2A CPUID, "Processor
 * signatures"). The feature bits are exactly what x86pc implements, not everything the real part
 * had: the local APIC (chipset/lapic.c) but no PAE, no MCE/MCA, no PAT, no PSE-36.
 */
#include "cpu/cpu.h"
#include "decoder/opcodes.h"

/* CPUID.1 EDX bits */
#define CPUID_FPU (1u << 0)
#define CPUID_VME (1u << 1)
#define CPUID_DE (1u << 2)
#define CPUID_PSE (1u << 3)
#define CPUID_TSC (1u << 4)
#define CPUID_MSR (1u << 5)
#define CPUID_CX8 (1u << 8)
#define CPUID_APIC (1u << 9)
#define CPUID_SEP (1u << 11)
#define CPUID_MTRR (1u << 12)
#define CPUID_PGE (1u << 13)
#define CPUID_CMOV (1u << 15)
#define CPUID_MMX (1u << 23)
#define CPUID_FXSR (1u << 24)

#define P6_FEATURES                                                                            \
    (CPUID_FPU | CPUID_VME | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_CX8 |      \
     CPUID_APIC | CPUID_SEP | CPUID_MTRR | CPUID_PGE | CPUID_CMOV)
#define P6_ISA ((1u << I386) | (1u << I486) | (1u << I586) | (1u << I686) | (1u << FPU))

const CpuModel kCpuPentiumPro = {
    .name = "pentiumpro",
    .family = 6,
    .model = 1,
    .stepping = 9,
    .cpuid_edx = P6_FEATURES,
    .cpuid_ecx = 0,
    .isa_mask = P6_ISA,
};

const CpuModel kCpuPentium2 = {
    .name = "pentium2",
    .family = 6,
    .model = 5,
    .stepping = 2,
    .cpuid_edx = P6_FEATURES | CPUID_MMX | CPUID_FXSR,
    .cpuid_ecx = 0,
    .isa_mask = P6_ISA | (1u << MMX),
};
