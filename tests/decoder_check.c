/* Differential test of the decoder against Capstone (an independent disassembler).
 *
 * Generates random instruction byte strings (fixed seed), biased toward valid encodings: random
 * prefixes, then either a random opcode-table entry with a ModRM byte that fits its extension,
 * or a random opcode byte, then random bytes. Each is decoded in 16- and 32-bit mode by
 * decode_insn and by Capstone (CS_MODE_16 / CS_MODE_32); instruction length and mnemonic must
 * agree. Every disagreement must match a rule in tests/decoder_exceptions.txt, one per line:
 *
 *   mode  kind  capstone-text  our-text  : reason
 *
 * mode is 16, 32 or *. kind says how the two differ: `mnem` (same length, other mnemonic), `len`
 * (other length), `ud` (we decode #UD, Capstone decodes), `csbad` (Capstone refuses, we decode),
 * `toolong` (we say longer than 15 bytes, Capstone decodes), `lock` (we decode #UD only because
 * of a LOCK prefix that Capstone accepts), `sse16` (16-bit mode, an opcode with SSE mandatory-
 * prefix forms, given a 66/F2/F3 prefix) and `ssepfx` (32-bit mode, such an opcode with more than
 * one of 66/F2/F3, or one that is not the last prefix before the opcode). The two text fields
 * are shell patterns (fnmatch with GNU extglob; quote them with "..." when they contain spaces)
 * matched against Capstone's text and our disassembly, both without prefixes; "-" when there is
 * none, and our text for #UD is "#ud" followed by the opcode bytes in hex ("#ud 0f 38 00").
 *
 *   usage: decoder_check [cases-per-mode] [exceptions-file] [-v]
 */
#define _GNU_SOURCE
#include <capstone/capstone.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder/decode.h"

#define MAX_RULES 256
#define SHOW_MAX 40

typedef struct Rule {
    char mode[4], kind[16], cs[96], ours[96];
    char reason[200];
    long hits;
    int line;
} Rule;

static Rule g_rules[MAX_RULES];
static int g_nrules;

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static int load_rules(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "decoder_check: cannot open %s\n", path);
        return -1;
    }
    char line[512];
    int ln = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        char *s = line;
        while (*s == ' ' || *s == '\t') {
            s++;
        }
        if (*s == '#' || *s == '\n' || *s == 0) {
            continue;
        }
        if (g_nrules == MAX_RULES) {
            fprintf(stderr, "%s:%d: too many rules\n", path, ln);
            fclose(f);
            return -1;
        }
        Rule *r = &g_rules[g_nrules];
        char *fields[4] = {r->mode, r->kind, r->cs, r->ours};
        size_t sizes[4] = {sizeof r->mode, sizeof r->kind, sizeof r->cs, sizeof r->ours};
        for (int k = 0; k < 4; k++) {
            while (*s == ' ' || *s == '\t') {
                s++;
            }
            size_t w;
            if (*s == '"') {
                s++;
                w = strcspn(s, "\"\n");
            } else {
                w = strcspn(s, " \t\n");
            }
            if (w == 0 || w >= sizes[k]) {
                fprintf(stderr, "%s:%d: expected 'mode kind capstone ours : reason'\n", path, ln);
                fclose(f);
                return -1;
            }
            memcpy(fields[k], s, w);
            fields[k][w] = 0;
            s += w + (*s && s[w] == '"');
        }
        char *colon = strchr(s, ':');
        if (!colon) {
            fprintf(stderr, "%s:%d: a rule needs ': reason'\n", path, ln);
            fclose(f);
            return -1;
        }
        colon++;
        while (*colon == ' ') {
            colon++;
        }
        snprintf(r->reason, sizeof r->reason, "%s", colon);
        r->reason[strcspn(r->reason, "\n")] = 0;
        if (!r->reason[0]) {
            fprintf(stderr, "%s:%d: a rule needs a reason\n", path, ln);
            fclose(f);
            return -1;
        }
        r->line = ln;
        g_nrules++;
    }
    fclose(f);
    return 0;
}

static Rule *find_rule(int mode, const char *kind, const char *cs, const char *ours)
{
    char m[4];
    snprintf(m, sizeof m, "%d", mode);
    for (int k = 0; k < g_nrules; k++) {
        Rule *r = &g_rules[k];
        if ((!strcmp(r->mode, "*") || !strcmp(r->mode, m)) && !strcmp(r->kind, kind) &&
            !fnmatch(r->cs, cs, FNM_EXTMATCH) && !fnmatch(r->ours, ours, FNM_EXTMATCH)) {
            return r;
        }
    }
    return NULL;
}

/* text without its leading prefix words (lock, rep, segment overrides ...) */
static const char *strip_prefixes(const char *text)
{
    static const char *const kPrefixes[] = {
        "lock",   "rep",    "repe", "repz",    "repne",    "repnz",    "es",
        "cs",     "ss",     "ds",   "fs",      "gs",       "data16",   "addr16",
        "addr32", "data32", "bnd",  "notrack", "xacquire", "xrelease", NULL};
    const char *s = text;
    for (;;) {
        while (*s == ' ') {
            s++;
        }
        size_t w = strcspn(s, " ");
        int pre = 0;
        for (int k = 0; kPrefixes[k]; k++) {
            if (strlen(kPrefixes[k]) == w && !strncmp(s, kPrefixes[k], w) && s[w] == ' ') {
                pre = 1;
            }
        }
        if (!pre) {
            return s;
        }
        s += w;
    }
}

/* the mnemonic: the first word after the prefixes */
static void bare_mnemonic(const char *text, char *out, size_t n)
{
    const char *s = strip_prefixes(text);
    snprintf(out, n, "%.*s", (int)strcspn(s, " "), s);
}

static const uint8_t kPrefixBytes[] = {0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65,
                                       0x66, 0x67, 0xF0, 0xF2, 0xF3};

static void gen(uint8_t *b)
{
    for (int k = 0; k < 16; k++) {
        b[k] = (uint8_t)rnd();
    }
    int p = 0;
    uint32_t r = rnd() % 100;
    int npfx = r < 55 ? 0 : r < 80 ? 1 : r < 93 ? 2 : r < 98 ? 3 : 4 + (int)(rnd() % 12);
    for (int k = 0; k < npfx; k++) {
        b[p++] = kPrefixBytes[rnd() % sizeof kPrefixBytes];
    }
    r = rnd() % 100;
    if (r < 75) {
        const OpInfo *e = &kOpTable[rnd() % OPX_COUNT];
        if (e->pfx >= P66 && p < 15 && rnd() % 8) {
            static const uint8_t kMand[] = {[P66] = 0x66, [PF3] = 0xF3, [PF2] = 0xF2};
            b[p++] = kMand[e->pfx];
        }
        unsigned code = (unsigned)e->code;
        for (int j = 0; j < 3; j++) {
            if (e->opnd[j] == Zb || e->opnd[j] == Zv || e->opnd[j] == Zd) {
                code += rnd() % (8 - (code & 7));
            }
        }
        if (code >= 0x100 && p < 16) {
            b[p++] = 0x0F;
        }
        if (p < 16) {
            b[p++] = (uint8_t)code;
        }
        if (p < 16 && e->ext != NX) {
            unsigned m = b[p];
            int kind = EXT_KIND(e->ext);
            if (kind == 3) {
                m = (unsigned)e->ext & 0xFF;
            } else {
                m = (m & 0xC7) | (unsigned)EXT_REG(e->ext) << 3;
                if (kind == 1 && (m >> 6) == 3) {
                    m &= 0x7F;
                } else if (kind == 2) {
                    m |= 0xC0;
                }
            }
            b[p] = (uint8_t)m;
        }
    } else if (r < 90) {
        b[p] = (uint8_t)rnd();
    } else if (p < 15) {
        b[p] = 0x0F;
    }
}

typedef struct Stats {
    long cases, agree, excepted, failed;
} Stats;

static void report(const char *what, const uint8_t *b, const char *cs_text, const char *ours,
                   int cs_len, int our_len, int mode)
{
    printf("  %-7s %2d-bit ", what, mode);
    for (int k = 0; k < 16; k++) {
        printf("%02x", b[k]);
    }
    printf("  cs[%d] '%s'  ours[%d] '%s'\n", cs_len, cs_text, our_len, ours);
}

/* prefix bytes at the start of b: count; whether 66/F2/F3 or F0 occur; whether the 66/F2/F3
 * present are a single byte placed last, as Capstone 4 expects of a mandatory prefix */
static int scan_prefixes(const uint8_t *b, bool *mand, bool *lock, bool *canonical)
{
    int p = 0, nmand = 0, last = -1;
    *mand = *lock = false;
    while (p < 16 && memchr(kPrefixBytes, b[p], sizeof kPrefixBytes)) {
        if (b[p] == 0x66 || b[p] == 0xF2 || b[p] == 0xF3) {
            nmand++;
            last = p;
        }
        *lock |= b[p] == 0xF0;
        p++;
    }
    *mand = nmand > 0;
    *canonical = nmand == 0 || (nmand == 1 && last == p - 1);
    return p;
}

/* does the opcode after the prefixes have forms chosen by a mandatory prefix? */
static bool is_sse_code(const uint8_t *b, int p)
{
    if (p >= 15 || b[p] != 0x0F) {
        return false;
    }
    for (unsigned k = 0; k < OPX_COUNT; k++) {
        if (kOpTable[k].code == (0x100 | b[p + 1]) && kOpTable[k].pfx != ANY) {
            return true;
        }
    }
    return false;
}

static void run_mode(csh h, int mode, long ncases, Stats *st, int verbose)
{
    bool d32 = mode == 32;
    for (long n = 0; n < ncases; n++) {
        uint8_t b[16];
        gen(b);
        Insn i;
        DecodeStatus ds = decode_insn(&i, b, sizeof b, d32);
        char text[128] = "-", ours[64] = "-", cs_text[192] = "-", cs_m[64] = "-";
        bool mand, lock, canonical;
        int np = scan_prefixes(b, &mand, &lock, &canonical);
        if (ds == DEC_OK) {
            disasm_insn(&i, 0x1000, text, sizeof text);
            bare_mnemonic(text, ours, sizeof ours);
        } else {
            int k = snprintf(text, sizeof text, "#ud");
            for (int q = np; q < np + 3 && q < 16; q++) {
                k += snprintf(text + k, sizeof text - (size_t)k, " %02x", b[q]);
            }
        }
        cs_insn *ci = NULL;
        size_t got = cs_disasm(h, b, sizeof b, 0x1000, 1, &ci);
        int cs_len = 0;
        if (got) {
            snprintf(cs_text, sizeof cs_text, "%s%s%s", ci->mnemonic, ci->op_str[0] ? " " : "",
                     ci->op_str);
            bare_mnemonic(ci->mnemonic, cs_m, sizeof cs_m);
            cs_len = ci->size;
            cs_free(ci, got);
        }
        st->cases++;
        const char *kind = NULL;
        if (ds == DEC_OK && got) {
            if (cs_len != i.len) {
                kind = "len";
            } else if (strcmp(cs_m, ours)) {
                kind = "mnem";
            }
        } else if (ds == DEC_OK) {
            kind = "csbad";
        } else if (got) {
            kind = ds == DEC_TOOLONG ? "toolong" : "ud";
        }
        if (!kind) {
            st->agree++;
            continue;
        }
        if (mand && is_sse_code(b, np) && (mode == 16 || !canonical)) {
            kind = mode == 16 ? "sse16" : "ssepfx";
        } else if (!strcmp(kind, "ud") && lock) {
            /* #UD only because of LOCK? decode again with each F0 turned into a DS override,
             * which changes neither the length nor the instruction */
            uint8_t c[16];
            memcpy(c, b, sizeof c);
            for (int k = 0; k < np; k++) {
                c[k] = c[k] == 0xF0 ? 0x3E : c[k];
            }
            Insn j;
            if (decode_insn(&j, c, sizeof c, d32) == DEC_OK && j.len == cs_len) {
                kind = "lock";
            }
        }
        Rule *r = find_rule(mode, kind, strip_prefixes(cs_text), strip_prefixes(text));
        if (r) {
            r->hits++;
            st->excepted++;
            if (verbose > 1) {
                report(kind, b, cs_text, text, cs_len, ds == DEC_OK ? i.len : 0, mode);
            }
        } else {
            if (st->failed < SHOW_MAX || verbose) {
                report(kind, b, cs_text, text, cs_len, ds == DEC_OK ? i.len : 0, mode);
            }
            st->failed++;
        }
    }
}

int main(int argc, char **argv)
{
    long ncases = 400000;
    const char *rules = "tests/decoder_exceptions.txt";
    int verbose = 0;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "-v")) {
            verbose++;
        } else if (argv[k][0] >= '0' && argv[k][0] <= '9') {
            ncases = atol(argv[k]);
        } else {
            rules = argv[k];
        }
    }
    if (load_rules(rules)) {
        return 2;
    }
    Stats total = {0};
    static const struct {
        int bits;
        cs_mode mode;
    } kModes[] = {{16, CS_MODE_16}, {32, CS_MODE_32}};
    for (int m = 0; m < 2; m++) {
        csh h;
        if (cs_open(CS_ARCH_X86, kModes[m].mode, &h) != CS_ERR_OK) {
            fprintf(stderr, "decoder_check: cs_open failed\n");
            return 2;
        }
        Stats st = {0};
        run_mode(h, kModes[m].bits, ncases, &st, verbose);
        cs_close(&h);
        printf("%d-bit: %ld cases, %ld agree, %ld excepted, %ld unexplained\n", kModes[m].bits,
               st.cases, st.agree, st.excepted, st.failed);
        total.cases += st.cases;
        total.agree += st.agree;
        total.excepted += st.excepted;
        total.failed += st.failed;
    }
    printf("exceptions used (tests/decoder_exceptions.txt):\n");
    for (int k = 0; k < g_nrules; k++) {
        Rule *r = &g_rules[k];
        printf("  %7ld  line %3d  %-2s %-7s %-24s %-16s %s\n", r->hits, r->line, r->mode, r->kind,
               r->cs, r->ours, r->reason);
    }
    printf("%ld passed, %ld failed\n", total.agree + total.excepted, total.failed);
    return total.failed ? 1 : 0;
}
