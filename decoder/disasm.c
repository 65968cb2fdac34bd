/* Intel-syntax disassembly of a decoded instruction, in the style of `objdump -M intel`:
 * lower-case mnemonics padded to 6 columns, operands separated by commas, "DWORD PTR" and the
 * like on memory operands, segment overrides shown, relative targets resolved to absolute hex.
 * String instructions use their short forms (movsd, rep stosb) without operands.
 * Used by traces and the debugger; it reads nothing but the Insn and the opcode table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "decoder/decode.h"

static const char *const kReg8[8] = {"al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"};
static const char *const kReg16[8] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
static const char *const kReg32[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
static const char *const kSeg[8] = {"es", "cs", "ss", "ds", "fs", "gs", "?", "?"};

/* a bounded string builder that keeps counting past the end, like snprintf */
typedef struct Out {
    char *buf;
    size_t n;
    int len;
} Out;

static void put(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t at = (size_t)o->len < o->n ? (size_t)o->len : o->n;
    int k = vsnprintf(o->buf ? o->buf + at : NULL, o->n - at, fmt, ap);
    va_end(ap);
    if (k > 0) {
        o->len += k;
    }
}

static void put_hex_signed(Out *o, int32_t v)
{
    if (v < 0) {
        put(o, "-0x%x", (unsigned)(0u - (uint32_t)v));
    } else {
        put(o, "+0x%x", (unsigned)v);
    }
}

/* size keyword of a memory operand, or NULL for none */
static const char *mem_size(const Insn *i, int kind)
{
    bool o32 = i->flags & INSN_OP32;
    switch (kind) {
    case Eb:
        return "BYTE";
    case Ew:
    case Mw:
        return "WORD";
    case Ed:
    case Md:
    case Qd:
    case Wd:
        return "DWORD";
    case Ev:
        return i->op == OPX_MOV_EvSw ? "WORD" : o32 ? "DWORD" : "WORD";
    case Eq:
    case Mq:
    case Qq:
    case Wq:
        return "QWORD";
    case Mp:
        return o32 ? "FWORD" : "DWORD";
    case Ma:
        return o32 ? "QWORD" : "DWORD";
    case Mt:
        return "TBYTE";
    case Mx:
    case Wx:
        return "XMMWORD";
    default:
        return NULL;
    }
}

static void put_mem(Out *o, const Insn *i, int kind)
{
    const char *sz = mem_size(i, kind);
    if (sz) {
        put(o, "%s PTR ", sz);
    }
    bool a32 = i->flags & INSN_ADDR32;
    const char *const *regs = a32 ? kReg32 : kReg16;
    if (i->base == EA_NONE && i->index == EA_NONE) {
        put(o, "%s:0x%x", kSeg[i->seg & 7], a32 ? i->disp : (i->disp & 0xFFFF));
        return;
    }
    if (i->flags & INSN_SEG_OVR) {
        put(o, "%s:", kSeg[i->seg & 7]);
    }
    put(o, "[");
    if (i->base != EA_NONE) {
        put(o, "%s", regs[i->base & 7]);
    }
    if (i->index != EA_NONE) {
        put(o, "%s%s", i->base != EA_NONE ? "+" : "", regs[i->index & 7]);
        if (a32) {
            put(o, "*%d", 1 << i->scale);
        }
    }
    if (i->disp) {
        put_hex_signed(o, a32 ? (int32_t)i->disp : (int16_t)(uint16_t)i->disp);
    }
    put(o, "]");
}

/* register operand of an r/m kind when mod == 3 */
static void put_rm_reg(Out *o, const Insn *i, int kind)
{
    unsigned rm = MODRM_RM(i);
    switch (kind) {
    case Eb:
        put(o, "%s", kReg8[rm]);
        break;
    case Ew:
        put(o, "%s", kReg16[rm]);
        break;
    case Ev:
        put(o, "%s", (i->flags & INSN_OP32) ? kReg32[rm] : kReg16[rm]);
        break;
    case Qq:
    case Qd:
    case Nq:
        put(o, "mm%u", rm);
        break;
    case Wx:
    case Wd:
    case Wq:
    case Ux:
        put(o, "xmm%u", rm);
        break;
    case STi:
        put(o, "st(%u)", rm);
        break;
    default:
        put(o, "%s", kReg32[rm]);
        break; /* Ed, Eq, Rd */
    }
}

/* returns false when the operand prints nothing */
static bool put_operand(Out *o, const Insn *i, int kind, uint32_t eip, unsigned *nimm)
{
    bool o32 = i->flags & INSN_OP32;
    unsigned reg = MODRM_REG(i), low = i->opcode & 7;
    uint32_t imm = (*nimm)++ == 0 ? i->imm : i->imm2;
    switch (kind) {
    case Ib:
    case Iw:
    case Iz:
    case Iv:
    case Ibs:
        put(o, "0x%x", imm);
        return true;
    case Jb:
    case Jz: {
        uint32_t t = eip + i->len + imm;
        put(o, "0x%x", o32 ? t : (t & 0xFFFF));
        return true;
    }
    case Ap:
        put(o, "0x%x:0x%x", i->imm2 & 0xFFFF, i->imm);
        return true;
    default:
        (*nimm)--;
        break;
    }
    switch (kind) {
    case __:
        return false;
    case Eb:
    case Ew:
    case Ed:
    case Ev:
    case Eq:
    case M:
    case Mp:
    case Ma:
    case Ms:
    case Mw:
    case Md:
    case Mq:
    case Mt:
    case Mx:
    case Rd:
    case Qq:
    case Qd:
    case Wx:
    case Wd:
    case Wq:
    case Nq:
    case Ux:
    case STi:
        if (i->flags & INSN_MEM && kind != Rd && kind != STi) {
            put_mem(o, i, kind);
        } else {
            put_rm_reg(o, i, kind);
        }
        return true;
    case Ob:
    case Ov:
        put(o, "%s:0x%x", kSeg[i->seg & 7], i->disp);
        return true;
    case Gb:
        put(o, "%s", kReg8[reg]);
        return true;
    case Gw:
        put(o, "%s", kReg16[reg]);
        return true;
    case Gd:
        put(o, "%s", kReg32[reg]);
        return true;
    case Gv:
        put(o, "%s", o32 ? kReg32[reg] : kReg16[reg]);
        return true;
    case Sw:
        put(o, "%s", kSeg[reg]);
        return true;
    case Cd:
        put(o, "cr%u", reg);
        return true;
    case Dd:
        put(o, "dr%u", reg);
        return true;
    case Pq:
        put(o, "mm%u", reg);
        return true;
    case Vx:
        put(o, "xmm%u", reg);
        return true;
    case Zb:
        put(o, "%s", kReg8[low]);
        return true;
    case Zv:
        put(o, "%s", o32 ? kReg32[low] : kReg16[low]);
        return true;
    case Zd:
        put(o, "%s", kReg32[low]);
        return true;
    case AL:
        put(o, "al");
        return true;
    case AX:
        put(o, "ax");
        return true;
    case eAX:
        put(o, "%s", o32 ? "eax" : "ax");
        return true;
    case CL:
        put(o, "cl");
        return true;
    case DX:
        put(o, "dx");
        return true;
    case One:
        put(o, "1");
        return true;
    case sES:
    case sCS:
    case sSS:
    case sDS:
    case sFS:
    case sGS:
        put(o, "%s", kSeg[kind - sES]);
        return true;
    case ST0:
        put(o, "st");
        return true;
    default:
        return false; /* Xb Xv Yb Yv: implied by the short string forms */
    }
}

/* the mnemonic, with '%' resolved by operand size (address size for jcxz) */
static void put_mnemonic(Out *o, const Insn *i, const OpInfo *e)
{
    bool o32 = i->flags & INSN_OP32;
    const char *m = e->mnem;
    if (i->op == OPX_JCXZ) {
        put(o, "%s", (i->flags & INSN_ADDR32) ? "jecxz" : "jcxz");
        return;
    }
    const char *pct = strchr(m, '%');
    if (!pct) {
        put(o, "%s", m);
        return;
    }
    int stem = (int)(pct - m);
    if (!strcmp(m, "cbw%")) {
        put(o, "%s", o32 ? "cwde" : "cbw");
    } else if (!strcmp(m, "cwd%")) {
        put(o, "%s", o32 ? "cdq" : "cwd");
    } else if (stem > 0 && (m[stem - 1] == 's')) { /* movs% ins% outs% stos% ... */
        put(o, "%.*s%c", stem, m, o32 ? 'd' : 'w');
    } else { /* pusha% popa% pushf% popf% iret% */
        put(o, "%.*s%s", stem, m, o32 ? "d" : "");
    }
}

static bool has_string_operand(const OpInfo *e)
{
    for (int j = 0; j < 3; j++) {
        if (e->opnd[j] == Xb || e->opnd[j] == Xv || e->opnd[j] == Yb || e->opnd[j] == Yv) {
            return true;
        }
    }
    return false;
}

int disasm_insn(const Insn *i, uint32_t eip, char *buf, size_t n)
{
    Out o = {buf, buf ? n : 0, 0};
    if (o.n) {
        buf[0] = 0;
    }
    if (i->op >= OPX_COUNT) {
        put(&o, "(bad)");
        return o.len;
    }
    const OpInfo *e = &kOpTable[i->op];
    bool str = has_string_operand(e);
    if (i->flags & INSN_LOCK) {
        put(&o, "lock ");
    }
    if (i->flags & (INSN_REP | INSN_REPNE)) {
        bool cmp =
            i->op == OPX_CMPSB || i->op == OPX_CMPSV || i->op == OPX_SCASB || i->op == OPX_SCASV;
        if (i->flags & INSN_REPNE) {
            put(&o, "repnz ");
        } else {
            put(&o, "%s ", str && !cmp ? "rep" : "repz");
        }
    }
    /* an override that no operand shows is printed as a prefix */
    if ((i->flags & INSN_SEG_OVR) && !(i->flags & INSN_MEM)) {
        put(&o, "%s ", kSeg[i->seg & 7]);
    }
    int mstart = o.len;
    put_mnemonic(&o, i, e);
    if (str) {
        return o.len;
    }
    unsigned nimm = 0;
    bool first = true;
    for (int j = 0; j < 3 && e->opnd[j] != __; j++) {
        if (first) {
            put(&o, "%*s", o.len - mstart < 6 ? 6 - (o.len - mstart) + 1 : 1, "");
            first = false;
        } else {
            put(&o, ",");
        }
        put_operand(&o, i, e->opnd[j], eip, &nimm);
    }
    return o.len;
}

int disasm_bytes(const uint8_t *bytes, unsigned avail, bool d32, uint32_t eip, char *buf, size_t n)
{
    Insn i;
    if (decode_insn(&i, bytes, avail, d32) != DEC_OK) {
        if (n) {
            snprintf(buf, n, "(bad)");
        }
        return 0;
    }
    disasm_insn(&i, eip, buf, n);
    return i.len;
}
