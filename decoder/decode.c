/* Instruction decoding for the 32-bit x86 (P6 with SSE2), driven by decoder/opcodes.def.
 *
 * Follows the SDM vol. 2 chapter 2 (instruction format: prefixes, opcode, ModRM, SIB,
 * displacement, immediate) and appendix A (opcode maps). The table is indexed once, at first use
 * (pthread_once), into a selector array: for every opcode (512: one-byte and 0F maps), mandatory
 * prefix class (none, 66, F3, F2) and ModRM slot (reg field x register/memory) it holds the
 * table entry, so that decoding never scans the table. Exact-ModRM entries (x87 D9 E0 ...) sit
 * in a short per-opcode list consulted only for mod == 3. docs/decoder.md has the design notes.
 */
#include <pthread.h>
#include <string.h>

#include "decoder/decode.h"

#define MAX_LEN 15
#define NCODES 0x200

/* mandatory-prefix classes, the second index of the selector */
enum { PC_NONE, PC_66, PC_F3, PC_F2, PC_COUNT };

/* per-opcode flags */
#define CF_MODRM 0x01u /* a ModRM byte follows */
#define CF_MB 0x02u    /* some entries match an exact ModRM byte */
#define CF_MOD3 0x04u  /* MOV to/from CRn/DRn: mod is read as 3 */

/* segment registers, as cpu/state.h numbers them */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS };
enum { G_AX, G_CX, G_DX, G_BX, G_SP, G_BP, G_SI, G_DI };

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
/* op + 1 per (opcode, prefix class, reg * 2 + (mod == 3)); 0 = #UD */
static uint16_t g_sel[NCODES][PC_COUNT][16];
static uint8_t g_rank[NCODES][PC_COUNT][16]; /* only while building */
static uint8_t g_cflags[NCODES];
static uint8_t g_pcused[NCODES]; /* bit per prefix class that has an entry */
static uint16_t
    g_mb_first[NCODES + 1]; /* exact-ModRM entries of code c: g_mb[first[c]..first[c+1]) */
static uint16_t g_mb[OPX_COUNT];

static bool kind_is_modrm(int k)
{
    return (k >= Eb && k <= Ux) || k == STi;
}

static bool kind_is_mem(int k)
{
    return k >= M && k <= Mx;
}

static bool kind_is_regonly(int k)
{
    return k == Nq || k == Ux;
}

/* the range of opcodes an entry covers: +r forms cover up to the next multiple of 8 */
static unsigned entry_span(const OpInfo *e)
{
    for (int j = 0; j < 3; j++) {
        if (e->opnd[j] == Zb || e->opnd[j] == Zv || e->opnd[j] == Zd) {
            return 8 - (e->code & 7);
        }
    }
    return 1;
}

static void build_index(void)
{
    unsigned mb_count[NCODES] = {0};
    for (unsigned op = 0; op < OPX_COUNT; op++) {
        const OpInfo *e = &kOpTable[op];
        unsigned span = entry_span(e);
        int ek = EXT_KIND(e->ext);
        unsigned modreq = ek == 1 ? 1 : ek == 2 ? 2 : 0; /* 1 memory only, 2 register only */
        bool modrm = e->ext != NX, mod3 = false;
        for (int j = 0; j < 3; j++) {
            int k = e->opnd[j];
            modrm |= kind_is_modrm(k);
            if (kind_is_mem(k)) {
                modreq = 1;
            } else if (kind_is_regonly(k)) {
                modreq = 2;
            } else if (k == Rd) {
                mod3 = true;
            }
        }
        for (unsigned c = e->code; c < e->code + span; c++) {
            g_cflags[c] |= (modrm ? CF_MODRM : 0) | (mod3 ? CF_MOD3 : 0);
            if (ek == 3) {
                g_pcused[c] = 0xF;
                g_cflags[c] |= CF_MB;
                mb_count[c]++;
                continue;
            }
            unsigned rank = (e->pfx != ANY ? 4 : 0) + (modreq ? 2 : 1);
            for (unsigned pc = 0; pc < PC_COUNT; pc++) {
                static const uint8_t kPfxClass[] = {
                    [NP] = PC_NONE, [P66] = PC_66, [PF3] = PC_F3, [PF2] = PC_F2};
                if (e->pfx != ANY && kPfxClass[e->pfx] != pc) {
                    continue;
                }
                for (unsigned k = 0; k < 16; k++) {
                    unsigned reg = k >> 1, isreg = k & 1;
                    if ((EXT_IS_REGFIELD(e->ext) && reg != EXT_REG(e->ext)) ||
                        (modreq == 1 && isreg) || (modreq == 2 && !isreg)) {
                        continue;
                    }
                    g_pcused[c] |= (uint8_t)(1u << pc);
                    if (rank > g_rank[c][pc][k]) {
                        g_rank[c][pc][k] = (uint8_t)rank;
                        g_sel[c][pc][k] = (uint16_t)(op + 1);
                    }
                }
            }
        }
    }
    unsigned n = 0;
    for (unsigned c = 0; c < NCODES; c++) {
        g_mb_first[c] = (uint16_t)n;
        n += mb_count[c];
        mb_count[c] = g_mb_first[c];
    }
    g_mb_first[NCODES] = (uint16_t)n;
    for (unsigned op = 0; op < OPX_COUNT; op++) {
        const OpInfo *e = &kOpTable[op];
        if (EXT_KIND(e->ext) == 3) {
            for (unsigned c = e->code; c < e->code + entry_span(e); c++) {
                g_mb[mb_count[c]++] = (uint16_t)op;
            }
        }
    }
}

static inline uint32_t rd16(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8;
}

static inline uint32_t rd32(const uint8_t *b)
{
    return rd16(b) | rd16(b + 2) << 16;
}

static inline uint32_t sext8(uint32_t v)
{
    return (uint32_t)(int32_t)(int8_t)(uint8_t)v;
}

static inline uint32_t sext16(uint32_t v)
{
    return (uint32_t)(int32_t)(int16_t)(uint16_t)v;
}

/* Bytes p..p+n-1 are needed: too long beats "fetch more", so a guest that runs a 16-byte
 * instruction off the end of a page gets #GP, not #PF, as on hardware. */
#define NEED(n)                                                                                    \
    do {                                                                                           \
        if (p + (n) > MAX_LEN) {                                                                   \
            out->len = (uint8_t)p;                                                                 \
            return DEC_TOOLONG;                                                                    \
        }                                                                                          \
        if (p + (n) > avail) {                                                                     \
            out->len = (uint8_t)p;                                                                 \
            return DEC_MORE;                                                                       \
        }                                                                                          \
    } while (0)

#define FAIL_UD()                                                                                  \
    do {                                                                                           \
        out->len = (uint8_t)p;                                                                     \
        return DEC_UD;                                                                             \
    } while (0)

DecodeStatus decode_insn(Insn *out, const uint8_t *b, unsigned avail, bool d32)
{
    pthread_once(&g_once, build_index);
    memset(out, 0, sizeof *out);
    out->base = out->index = EA_NONE;
    unsigned p = 0;
    bool opsz = false, adsz = false, lock = false, has66 = false;
    unsigned seg = 0xFF, rep = 0;
    for (;;) {
        NEED(1);
        uint8_t c = b[p];
        switch (c) {
        case 0x26:
            seg = S_ES;
            break;
        case 0x2E:
            seg = S_CS;
            break;
        case 0x36:
            seg = S_SS;
            break;
        case 0x3E:
            seg = S_DS;
            break;
        case 0x64:
            seg = S_FS;
            break;
        case 0x65:
            seg = S_GS;
            break;
        case 0x66:
            has66 = true;
            break;
        case 0x67:
            adsz = true;
            break;
        case 0xF0:
            lock = true;
            break;
        case 0xF2:
        case 0xF3:
            rep = c;
            break;
        default:
            goto opcode;
        }
        p++;
    }
opcode:;
    unsigned code = b[p++];
    if (code == 0x0F) {
        NEED(1);
        code = 0x100 | b[p++];
    }
    out->opcode = (uint8_t)code;
    unsigned pc = rep == 0xF3 ? PC_F3 : rep == 0xF2 ? PC_F2 : has66 ? PC_66 : PC_NONE;
    if (!(g_pcused[code] & (1u << pc))) {
        /* a prefix that selects no form of this opcode is ignored, as on hardware (F3 0F FC is
         * PADDB mm, F2 66 0F D4 is PADDQ xmm) */
        pc = has66 && (g_pcused[code] & (1u << PC_66)) ? PC_66 : PC_NONE;
    }
    unsigned cf = g_cflags[code], modrm = 0, mod = 3;
    unsigned slot = 0;
    if (cf & CF_MODRM) {
        NEED(1);
        modrm = b[p++];
        mod = (cf & CF_MOD3) ? 3 : modrm >> 6;
        slot = ((modrm >> 3) & 7) * 2 + (mod == 3);
        out->modrm = (uint8_t)modrm;
    }
    unsigned op = g_sel[code][pc][slot];
    if ((cf & CF_MB) && mod == 3) {
        for (unsigned k = g_mb_first[code]; k < g_mb_first[code + 1]; k++) {
            const OpInfo *m = &kOpTable[g_mb[k]];
            if ((m->ext & 0xFF) == (int)modrm) {
                op = g_mb[k] + 1u;
                break;
            }
        }
    }
    if (op == 0) {
        FAIL_UD();
    }
    op--;
    const OpInfo *e = &kOpTable[op];
    out->op = (uint16_t)op;
    /* a mandatory prefix that chose the entry has no other meaning */
    if (e->pfx != ANY && e->pfx != NP) {
        out->pfx = (uint8_t)(pc == PC_66 ? 0x66 : rep);
        if (pc == PC_66) {
            has66 = false;
        } else {
            rep = 0;
        }
    }
    opsz = d32 ^ has66;
    bool a32 = d32 ^ adsz;
    unsigned flags = (opsz ? INSN_OP32 : 0) | (a32 ? INSN_ADDR32 : 0) | (lock ? INSN_LOCK : 0) |
                     (rep == 0xF3 ? INSN_REP : 0) | (rep == 0xF2 ? INSN_REPNE : 0) |
                     (seg != 0xFF ? INSN_SEG_OVR : 0) | ((cf & CF_MODRM) ? INSN_HAS_MODRM : 0);
    unsigned dseg = S_DS;

    if ((cf & CF_MODRM) && mod != 3) {
        unsigned rm = modrm & 7;
        flags |= INSN_MEM;
        if (!a32) {
            static const uint8_t kBase16[8] = {G_BX, G_BX, G_BP, G_BP, G_SI, G_DI, G_BP, G_BX};
            static const uint8_t kIndex16[8] = {G_SI,    G_DI,    G_SI,    G_DI,
                                                EA_NONE, EA_NONE, EA_NONE, EA_NONE};
            if (mod == 0 && rm == 6) {
                NEED(2);
                out->disp = rd16(b + p);
                p += 2;
            } else {
                out->base = kBase16[rm];
                out->index = kIndex16[rm];
                if (mod == 1) {
                    NEED(1);
                    out->disp = sext8(b[p++]);
                } else if (mod == 2) {
                    NEED(2);
                    out->disp = sext16(rd16(b + p));
                    p += 2;
                }
            }
            if (out->base == G_BP) {
                dseg = S_SS;
            }
        } else {
            unsigned base = rm;
            if (rm == 4) {
                NEED(1);
                unsigned sib = b[p++];
                unsigned idx = (sib >> 3) & 7;
                base = sib & 7;
                if (idx != 4) {
                    out->index = (uint8_t)idx;
                    out->scale = (uint8_t)(sib >> 6);
                }
            }
            if (mod == 0 && base == 5) {
                NEED(4);
                out->disp = rd32(b + p);
                p += 4;
            } else {
                out->base = (uint8_t)base;
                if (base == G_SP || base == G_BP) {
                    dseg = S_SS;
                }
                if (mod == 1) {
                    NEED(1);
                    out->disp = sext8(b[p++]);
                } else if (mod == 2) {
                    NEED(4);
                    out->disp = rd32(b + p);
                    p += 4;
                }
            }
        }
    }

    /* operands that need more than the ModRM byte: immediates, moffs, register validity */
    unsigned nimm = 0;
    for (int j = 0; j < 3; j++) {
        uint32_t v;
        switch (e->opnd[j]) {
        case Ib:
        case Ibs:
        case Jb:
            NEED(1);
            v = b[p++];
            if (e->opnd[j] == Jb) {
                v = sext8(v);
            } else if (e->opnd[j] == Ibs) {
                v = opsz ? sext8(v) : (sext8(v) & 0xFFFF);
            }
            break;
        case Iw:
            NEED(2);
            v = rd16(b + p);
            p += 2;
            break;
        case Iz:
        case Iv:
        case Jz:
            if (opsz) {
                NEED(4);
                v = rd32(b + p);
                p += 4;
            } else {
                NEED(2);
                v = rd16(b + p);
                p += 2;
                if (e->opnd[j] == Jz) {
                    v = sext16(v);
                }
            }
            break;
        case Ap:
            NEED(opsz ? 6 : 4);
            out->imm = opsz ? rd32(b + p) : rd16(b + p);
            p += opsz ? 4 : 2;
            out->imm2 = rd16(b + p);
            p += 2;
            continue;
        case Ob:
        case Ov:
            NEED(a32 ? 4 : 2);
            out->disp = a32 ? rd32(b + p) : rd16(b + p);
            p += a32 ? 4 : 2;
            flags |= INSN_MEM;
            continue;
        case Sw:
            /* no segment register 6 or 7; MOV CS, r/m is #UD */
            if (((modrm >> 3) & 7) > 5 || (op == OPX_MOV_SwEw && ((modrm >> 3) & 7) == S_CS)) {
                FAIL_UD();
            }
            continue;
        case Cd: {
            unsigned r = (modrm >> 3) & 7;
            if (r == 1 || r > 4) {
                FAIL_UD();
            }
            continue;
        }
        default:
            continue;
        }
        if (nimm++ == 0) {
            out->imm = v;
        } else {
            out->imm2 = v;
        }
    }

    if (lock && (!(e->attr & LOCK) || !(flags & INSN_MEM))) {
        FAIL_UD();
    }
    out->seg = (uint8_t)(seg != 0xFF ? seg : dseg);
    out->flags = (uint8_t)flags;
    out->len = (uint8_t)p;
    return DEC_OK;
}
