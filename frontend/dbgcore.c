/* Shared debugger machinery (see dbgcore.h).
 *
 * Memory is read and written the way the debugger must: translated with ACC_NOFAULT (no accessed
 * or dirty bits, no #PF, no CR2 change) and moved through bus_mem_read/bus_mem_write, which
 * reach RAM, ROM and MMIO and tell the CPU about writes to code pages. Descriptor and page-table
 * decoding follows SDM vol. 3A 3.4.5 (segment descriptors), 3.5 (system descriptor types), 6.11
 * (IDT gates), 7.2.1 (the TSS) and 4.3 (32-bit paging entries, tables 4-4 to 4-6).
 */
#include "frontend/dbgcore.h"

#include <stdlib.h>
#include <string.h>

#include "decoder/decode.h"

/* ---- items ---- */

void dbgcore_init(DbgCore *c, Machine *m)
{
    memset(c, 0, sizeof *c);
    c->m = m;
    c->next_id = 1;
    c->stop_triple = true;
    m->cpu.dbg.hist = c->hist;
    m->cpu.dbg.hist_size = DBG_HIST_SIZE;
    dbgcore_sync(c);
}

void dbgcore_free(DbgCore *c)
{
    dbgcore_set_trace(c, NULL);
    c->m->cpu.dbg.hist = NULL;
    c->m->cpu.dbg.hist_size = 0;
    c->nitems = 0;
    dbgcore_sync(c);
}

int dbgcore_sync(DbgCore *c)
{
    Cpu *cpu = &c->m->cpu;
    CpuDebug *d = &cpu->dbg;
    Mmu *mmu = &cpu->mmu;
    int full = 0;
    d->nbp = 0;
    d->nio = 0;
    memset(d->vec_mask, 0, sizeof d->vec_mask);
    d->flags &= ~(DBG_F_CR0 | DBG_F_TRIPLE);
    if (c->stop_triple) {
        d->flags |= DBG_F_TRIPLE;
    }
    mmu->nwatch = 0;
    for (int k = 0; k < c->nitems; k++) {
        DbgItem *it = &c->items[k];
        if (!it->enabled) {
            continue;
        }
        switch (it->type) {
        case DBGI_BREAK:
            if (d->nbp >= DBG_MAX_BP) {
                it->enabled = 0;
                full = -1;
                break;
            }
            d->bp[d->nbp++] = (DbgBreak){.kind = it->kind,
                                         .enabled = 1,
                                         .cond_op = it->cond_op,
                                         .cond_reg = it->cond_reg,
                                         .sel = it->sel,
                                         .id = it->id,
                                         .addr = it->addr,
                                         .cond_val = it->cond_val};
            break;
        case DBGI_WATCH:
            if (mmu->nwatch >= MMU_MAX_WATCH) {
                it->enabled = 0;
                full = -1;
                break;
            }
            mmu->watch[mmu->nwatch++] = (MmuWatch){it->addr, it->len ? it->len : 1, it->kind,
                                                   it->rw, it->id};
            break;
        case DBGI_VECTOR:
            for (uint32_t v = it->addr; v <= it->len && v < 256; v++) {
                d->vec_mask[v >> 5] |= 1u << (v & 31);
            }
            break;
        case DBGI_IO:
            if (d->nio >= DBG_MAX_IO) {
                it->enabled = 0;
                full = -1;
                break;
            }
            d->io[d->nio].lo = (uint16_t)it->addr;
            d->io[d->nio].hi = (uint16_t)it->len;
            d->io[d->nio].rw = it->rw ? it->rw : 3;
            d->nio++;
            break;
        case DBGI_CR0:
            d->flags |= DBG_F_CR0;
            break;
        case DBGI_TRIPLE:
            d->flags |= DBG_F_TRIPLE;
            break;
        }
    }
    mmu->whit.hit = 0;
    mmu_flush_all(mmu); /* watched pages must lose their fast entries */
    cpu_dbg_update(cpu);
    return full;
}

int dbgcore_add(DbgCore *c, const DbgItem *it)
{
    if (c->nitems >= DBG_MAX_ITEMS || c->next_id > 0xFFFF) {
        return -1;
    }
    DbgItem *n = &c->items[c->nitems++];
    *n = *it;
    /* temporary items ('next', 'until') take no number from the user's sequence */
    n->id = it->owner == DBG_OWNER_TEMP ? 0 : (uint16_t)c->next_id++;
    n->hits = 0;
    int id = n->id;
    if (dbgcore_sync(c)) {
        /* did not fit in the CPU's or MMU's table */
        c->nitems--;
        dbgcore_sync(c);
        return -1;
    }
    return id;
}

DbgItem *dbgcore_find(DbgCore *c, int id)
{
    for (int k = 0; k < c->nitems; k++) {
        if (c->items[k].id == id) {
            return &c->items[k];
        }
    }
    return NULL;
}

int dbgcore_delete(DbgCore *c, int id)
{
    for (int k = 0; k < c->nitems; k++) {
        if (c->items[k].id == id) {
            memmove(&c->items[k], &c->items[k + 1], (size_t)(c->nitems - k - 1) * sizeof *c->items);
            c->nitems--;
            dbgcore_sync(c);
            return 0;
        }
    }
    return -1;
}

void dbgcore_delete_owner(DbgCore *c, int owner)
{
    int w = 0;
    for (int k = 0; k < c->nitems; k++) {
        if (c->items[k].owner != owner) {
            c->items[w++] = c->items[k];
        }
    }
    if (w != c->nitems) {
        c->nitems = w;
        dbgcore_sync(c);
    }
}

static const char *rw_name(unsigned rw)
{
    return rw == MMU_WATCH_READ ? "read" : rw == MMU_WATCH_WRITE ? "write" : "access";
}

static void describe_item(const DbgItem *it, char *buf, size_t n)
{
    char cond[64] = "";
    static const char *const kRegs[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi",
                                        "edi", "eip", "eflags", "es", "cs", "ss", "ds",
                                        "fs", "gs"};
    if (it->type == DBGI_BREAK && it->cond_op != DBG_COND_NONE && it->cond_reg < 16) {
        snprintf(cond, sizeof cond, " if %s %s 0x%x", kRegs[it->cond_reg],
                 it->cond_op == DBG_COND_EQ ? "==" : "!=", it->cond_val);
    }
    switch (it->type) {
    case DBGI_BREAK:
        if (it->kind == DBG_BP_SEGOFF) {
            snprintf(buf, n, "breakpoint at %04x:%08x%s", it->sel, it->addr, cond);
        } else {
            snprintf(buf, n, "breakpoint at %s 0x%08x%s",
                     it->kind == DBG_BP_PHYS ? "physical" : "linear", it->addr, cond);
        }
        break;
    case DBGI_WATCH:
        snprintf(buf, n, "%s watchpoint on %s 0x%08x, %u byte%s", rw_name(it->rw),
                 it->kind ? "physical" : "linear", it->addr, it->len, it->len == 1 ? "" : "s");
        break;
    case DBGI_VECTOR:
        if (it->addr == it->len) {
            snprintf(buf, n, "catch vector 0x%02x", it->addr);
        } else {
            snprintf(buf, n, "catch vectors 0x%02x-0x%02x", it->addr, it->len);
        }
        break;
    case DBGI_IO:
        snprintf(buf, n, "catch port 0x%04x-0x%04x (%s)", it->addr, it->len,
                 it->rw == 1 ? "in" : it->rw == 2 ? "out" : "in and out");
        break;
    case DBGI_CR0:
        snprintf(buf, n, "catch CR0.PE/CR0.PG changes");
        break;
    default:
        snprintf(buf, n, "catch triple fault");
        break;
    }
}

void dbgcore_list(DbgCore *c, FILE *out)
{
    int shown = 0;
    for (int k = 0; k < c->nitems; k++) {
        const DbgItem *it = &c->items[k];
        if (it->owner == DBG_OWNER_TEMP) {
            continue;
        }
        char d[160];
        describe_item(it, d, sizeof d);
        fprintf(out, "%3u %-8s %s%s, hit %u time%s\n", it->id, it->enabled ? "enabled" : "disabled",
                d, it->owner == DBG_OWNER_GDB ? " (gdb)" : "", it->hits, it->hits == 1 ? "" : "s");
        shown++;
    }
    if (!shown) {
        fprintf(out, "no breakpoints, watchpoints or catchpoints\n");
    }
    fprintf(out, "triple fault stops: %s\n",
            (c->m->cpu.dbg.flags & DBG_F_TRIPLE) ? "yes" : "no (the machine resets)");
}

static DbgItem *item_by_cpu_id(DbgCore *c, uint16_t id)
{
    return dbgcore_find(c, id);
}

void dbgcore_describe_stop(DbgCore *c, char *buf, size_t n)
{
    Cpu *cpu = &c->m->cpu;
    const DbgHit *h = &cpu->dbg.hit;
    DbgItem *it = NULL;
    switch (h->kind) {
    case DBG_HIT_BREAK:
        if (h->index < cpu->dbg.nbp) {
            it = item_by_cpu_id(c, cpu->dbg.bp[h->index].id);
        }
        if (it) {
            it->hits++;
            if (it->owner == DBG_OWNER_TEMP) {
                snprintf(buf, n, "reached 0x%08x", h->addr);
            } else {
                snprintf(buf, n, "breakpoint %u hit at linear 0x%08x", it->id, h->addr);
            }
        } else {
            snprintf(buf, n, "breakpoint hit at linear 0x%08x", h->addr);
        }
        break;
    case DBG_HIT_WATCH:
        if (h->index < cpu->mmu.nwatch) {
            it = item_by_cpu_id(c, cpu->mmu.watch[h->index].id);
        }
        if (it) {
            it->hits++;
        }
        snprintf(buf, n, "watchpoint %u: %s of %u byte%s at linear 0x%08x (physical 0x%08x), "
                 "value 0x%x",
                 it ? it->id : 0, h->write ? "write" : "read", h->size, h->size == 1 ? "" : "s",
                 h->addr, h->phys, h->value);
        break;
    case DBG_HIT_VECTOR:
        snprintf(buf, n, "vector 0x%02x delivered", h->vector);
        break;
    case DBG_HIT_IO:
        snprintf(buf, n, "port 0x%04x: %s of %u byte%s, value 0x%x", h->port,
                 h->write ? "OUT" : "IN", h->size, h->size == 1 ? "" : "s", h->value);
        break;
    case DBG_HIT_CR0:
        snprintf(buf, n, "CR0 changed from 0x%08x to 0x%08x (PE %u->%u, PG %u->%u)", h->value,
                 h->addr, h->value & 1, h->addr & 1, h->value >> 31, h->addr >> 31);
        break;
    case DBG_HIT_TRIPLE:
        snprintf(buf, n, "triple fault (shutdown); the faulting state is shown, 'continue' "
                 "resets the machine");
        break;
    case DBG_HIT_STEP:
        snprintf(buf, n, "step");
        break;
    default:
        snprintf(buf, n, "stopped");
        break;
    }
    /* catch items count their hits too */
    if (h->kind == DBG_HIT_VECTOR || h->kind == DBG_HIT_IO || h->kind == DBG_HIT_CR0 ||
        h->kind == DBG_HIT_TRIPLE) {
        for (int k = 0; k < c->nitems; k++) {
            DbgItem *x = &c->items[k];
            if (!x->enabled) {
                continue;
            }
            if ((h->kind == DBG_HIT_VECTOR && x->type == DBGI_VECTOR && h->vector >= x->addr &&
                 h->vector <= x->len) ||
                (h->kind == DBG_HIT_IO && x->type == DBGI_IO && h->port <= x->len &&
                 h->port + h->size - 1u >= x->addr) ||
                (h->kind == DBG_HIT_CR0 && x->type == DBGI_CR0) ||
                (h->kind == DBG_HIT_TRIPLE && x->type == DBGI_TRIPLE)) {
                x->hits++;
            }
        }
    }
}

void dbgcore_resume(DbgCore *c, bool step, bool noirq, bool notimer)
{
    Machine *m = c->m;
    Cpu *cpu = &m->cpu;
    if (cpu->shutdown) {
        /* continuing from a triple fault: what the board would have done */
        cpu->shutdown = 0;
        if (m->cfg.no_reboot) {
            m->quit = true;
            m->exit_status = 0;
        } else {
            machine_reset(m);
        }
    }
    dbgcore_delete_owner(c, DBG_OWNER_TEMP);
    cpu->dbg.hit = (DbgHit){0};
    cpu->mmu.whit.hit = 0;
    cpu->pending &= ~PEND_DEBUG;
    cpu->dbg.flags &= ~(DBG_F_STEP | DBG_F_NOIRQ | DBG_F_NOTIMER);
    if (step) {
        cpu->dbg.flags |= DBG_F_STEP | (noirq ? DBG_F_NOIRQ : 0) | (notimer ? DBG_F_NOTIMER : 0);
    }
    cpu->dbg.skip_valid = 1;
    cpu->dbg.skip_lin = cpu->s.seg[SEG_CS].base + cpu->s.eip;
    cpu_dbg_update(cpu);
}

/* ---- instruction trace ---- */

static void trace_cb(void *opaque, Cpu *cpu, const DbgHistEntry *e)
{
    DbgCore *c = opaque;
    char text[128];
    disasm_bytes(e->bytes, e->len, e->d32, e->eip, text, sizeof text);
    fprintf(c->trace, "%llu %04x:%08x [%08x] %-40s eax=%08x ebx=%08x ecx=%08x edx=%08x "
            "esi=%08x edi=%08x ebp=%08x esp=%08x\n",
            (unsigned long long)cpu->clock->ticks, e->cs, e->eip, e->lin, text,
            cpu->s.regs[R_EAX], cpu->s.regs[R_EBX], cpu->s.regs[R_ECX], cpu->s.regs[R_EDX],
            cpu->s.regs[R_ESI], cpu->s.regs[R_EDI], cpu->s.regs[R_EBP], cpu->s.regs[R_ESP]);
}

bool dbgcore_set_trace(DbgCore *c, const char *path)
{
    Cpu *cpu = &c->m->cpu;
    if (c->trace) {
        fclose(c->trace);
        c->trace = NULL;
    }
    cpu->dbg.trace = NULL;
    cpu->dbg.trace_opaque = NULL;
    if (path) {
        c->trace = fopen(path, "w");
        if (!c->trace) {
            cpu_dbg_update(cpu);
            return false;
        }
        cpu->dbg.trace = trace_cb;
        cpu->dbg.trace_opaque = c;
    }
    cpu_dbg_update(cpu);
    return true;
}

/* ---- memory ---- */

int dbg_lin_to_phys(Machine *m, uint32_t lin, uint32_t *pa)
{
    return mmu_translate(&m->cpu.mmu, lin, ACC_READ | ACC_NOFAULT, pa) ? -1 : 0;
}

uint32_t dbg_read_lin(Machine *m, uint32_t lin, void *buf, uint32_t len)
{
    uint8_t *p = buf;
    uint32_t done = 0;
    while (done < len) {
        uint32_t a = lin + done, pa;
        if (dbg_lin_to_phys(m, a, &pa)) {
            break;
        }
        uint32_t chunk = 0x1000 - (a & 0xFFF);
        if (chunk > len - done) {
            chunk = len - done;
        }
        bus_mem_read(&m->bus, pa, p + done, chunk);
        done += chunk;
    }
    return done;
}

uint32_t dbg_write_lin(Machine *m, uint32_t lin, const void *buf, uint32_t len)
{
    const uint8_t *p = buf;
    uint32_t done = 0;
    while (done < len) {
        uint32_t a = lin + done, pa;
        if (dbg_lin_to_phys(m, a, &pa)) {
            break;
        }
        uint32_t chunk = 0x1000 - (a & 0xFFF);
        if (chunk > len - done) {
            chunk = len - done;
        }
        bus_mem_write(&m->bus, pa, p + done, chunk);
        done += chunk;
    }
    return done;
}

uint32_t dbg_read_phys(Machine *m, uint64_t pa, void *buf, uint32_t len)
{
    if (pa >= 0x100000000ull) {
        return 0;
    }
    if (len > 0x100000000ull - pa) {
        len = (uint32_t)(0x100000000ull - pa);
    }
    bus_mem_read(&m->bus, (uint32_t)pa, buf, len);
    return len;
}

uint32_t dbg_write_phys(Machine *m, uint64_t pa, const void *buf, uint32_t len)
{
    if (pa >= 0x100000000ull) {
        return 0;
    }
    if (len > 0x100000000ull - pa) {
        len = (uint32_t)(0x100000000ull - pa);
    }
    bus_mem_write(&m->bus, (uint32_t)pa, buf, len);
    return len;
}

/* ---- registers by name ---- */

static const char *const kReg32[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
static const char *const kReg16[] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
static const char *const kReg8[] = {"al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"};
static const char *const kSeg[] = {"es", "cs", "ss", "ds", "fs", "gs"};

static int find_name(const char *const *tab, int n, const char *name)
{
    for (int k = 0; k < n; k++) {
        if (!strcmp(tab[k], name)) {
            return k;
        }
    }
    return -1;
}

static const char *skip_dollar(const char *name)
{
    return name[0] == '$' ? name + 1 : name;
}

int dbg_cond_reg(const char *name)
{
    name = skip_dollar(name);
    int r = find_name(kReg32, 8, name);
    if (r >= 0) {
        return r;
    }
    if (!strcmp(name, "eip")) {
        return DBG_REG_EIP;
    }
    if (!strcmp(name, "eflags")) {
        return DBG_REG_EFLAGS;
    }
    r = find_name(kSeg, 6, name);
    return r >= 0 ? DBG_REG_SEG0 + r : -1;
}

int dbg_reg_get(Machine *m, const char *name, uint32_t *v)
{
    Cpu *cpu = &m->cpu;
    CpuState *s = &cpu->s;
    name = skip_dollar(name);
    int r;
    if ((r = find_name(kReg32, 8, name)) >= 0) {
        *v = s->regs[r];
    } else if ((r = find_name(kReg16, 8, name)) >= 0) {
        *v = s->regs[r] & 0xFFFF;
    } else if ((r = find_name(kReg8, 8, name)) >= 0) {
        *v = cpu_reg8(cpu, r);
    } else if ((r = find_name(kSeg, 6, name)) >= 0) {
        *v = s->seg[r].sel;
    } else if (!strcmp(name, "eip") || !strcmp(name, "pc")) {
        *v = s->eip;
    } else if (!strcmp(name, "ip")) {
        *v = s->eip & 0xFFFF;
    } else if (!strcmp(name, "eflags") || !strcmp(name, "flags")) {
        *v = cpu_get_eflags(cpu);
    } else if (!strcmp(name, "cr0")) {
        *v = s->cr0;
    } else if (!strcmp(name, "cr2")) {
        *v = s->cr2;
    } else if (!strcmp(name, "cr3")) {
        *v = s->cr3;
    } else if (!strcmp(name, "cr4")) {
        *v = s->cr4;
    } else if (name[0] == 'd' && name[1] == 'r' && name[2] >= '0' && name[2] <= '7' && !name[3]) {
        *v = s->dr[name[2] - '0'];
    } else {
        return -1;
    }
    return 0;
}

int dbg_reg_set(Machine *m, const char *name, uint32_t v, char *err, size_t n)
{
    Cpu *cpu = &m->cpu;
    CpuState *s = &cpu->s;
    name = skip_dollar(name);
    int r;
    if ((r = find_name(kReg32, 8, name)) >= 0) {
        s->regs[r] = v;
    } else if ((r = find_name(kReg16, 8, name)) >= 0) {
        cpu_set_reg16(cpu, r, (uint16_t)v);
    } else if ((r = find_name(kReg8, 8, name)) >= 0) {
        cpu_set_reg8(cpu, r, (uint8_t)v);
    } else if ((r = find_name(kSeg, 6, name)) >= 0) {
        if (cpu->mode != MODE_PROT) {
            cpu_load_seg_real(cpu, r, (uint16_t)v);
        } else if (r == SEG_CS) {
            /* MOV cannot load CS: take the descriptor as a far jump would, without the checks
             * against the current CS (a debugger may set any code segment) */
            snprintf(err, n, "cs cannot be set in protected mode (set eip, or jump in the guest)");
            return -1;
        } else {
            CpuState saved = *s;
            if (cpu_load_seg(cpu, r, (uint16_t)v)) {
                unsigned vec = s->exc_vector, code = s->exc_error;
                *s = saved;
                snprintf(err, n, "loading %s with 0x%04x would fault (vector %u, error 0x%x)",
                         name, v & 0xFFFF, vec, code);
                return -1;
            }
        }
        cpu->pending |= PEND_FLUSH; /* CS.D may have changed the decoded code's meaning */
    } else if (!strcmp(name, "eip") || !strcmp(name, "pc")) {
        s->eip = v;
    } else if (!strcmp(name, "ip")) {
        s->eip = v & 0xFFFF;
    } else if (!strcmp(name, "eflags") || !strcmp(name, "flags")) {
        cpu_set_eflags_raw(cpu, v);
        cpu_update_mode(cpu);
        cpu->pending |= PEND_FLUSH;
    } else if (!strcmp(name, "cr0")) {
        if ((v & CR0_PG) && !(v & CR0_PE)) {
            snprintf(err, n, "CR0.PG needs CR0.PE");
            return -1;
        }
        s->cr0 = v | CR0_ET;
        cpu_update_mode(cpu);
        cpu->pending |= PEND_FLUSH;
    } else if (!strcmp(name, "cr2")) {
        s->cr2 = v;
    } else if (!strcmp(name, "cr3")) {
        s->cr3 = v & 0xFFFFF018u;
        cpu->pending |= PEND_FLUSH;
    } else if (!strcmp(name, "cr4")) {
        s->cr4 = v;
        cpu->pending |= PEND_FLUSH;
    } else if (name[0] == 'd' && name[1] == 'r' && name[2] >= '0' && name[2] <= '7' && !name[3]) {
        s->dr[name[2] - '0'] = v;
    } else {
        snprintf(err, n, "unknown register '%s'", name);
        return -1;
    }
    return 0;
}

/* ---- dumps ---- */

void dbg_show_eflags(uint32_t f, char *buf, size_t n)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } kBits[] = {{F_ID, "ID"}, {F_VIP, "VIP"}, {F_VIF, "VIF"}, {F_AC, "AC"}, {F_VM, "VM"},
                 {F_RF, "RF"}, {F_NT, "NT"},   {F_OF, "OF"},   {F_DF, "DF"}, {F_IF, "IF"},
                 {F_TF, "TF"}, {F_SF, "SF"},   {F_ZF, "ZF"},   {F_AF, "AF"}, {F_PF, "PF"},
                 {F_CF, "CF"}};
    size_t used = 0;
    buf[0] = 0;
    for (size_t k = 0; k < sizeof kBits / sizeof kBits[0] && used < n; k++) {
        if (f & kBits[k].bit) {
            used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? " " : "", kBits[k].name);
        }
    }
    if (used < n) {
        snprintf(buf + used, n - used, "%sIOPL=%u", used ? " " : "", (f >> 12) & 3);
    }
}

static const char *mode_name(const Cpu *cpu)
{
    if (cpu->mode == MODE_REAL) {
        return "real";
    }
    if (cpu->mode == MODE_V86) {
        return "v86";
    }
    return (cpu->s.seg[SEG_CS].attr & SEG_ATTR_DB) ? "protected 32-bit" : "protected 16-bit";
}

void dbg_show_regs(Machine *m, FILE *out)
{
    Cpu *cpu = &m->cpu;
    CpuState *s = &cpu->s;
    uint32_t f = cpu_get_eflags(cpu);
    char fl[96];
    dbg_show_eflags(f, fl, sizeof fl);
    fprintf(out, "eax=%08x ebx=%08x ecx=%08x edx=%08x\n", s->regs[R_EAX], s->regs[R_EBX],
            s->regs[R_ECX], s->regs[R_EDX]);
    fprintf(out, "esi=%08x edi=%08x ebp=%08x esp=%08x\n", s->regs[R_ESI], s->regs[R_EDI],
            s->regs[R_EBP], s->regs[R_ESP]);
    fprintf(out, "eip=%08x eflags=%08x [%s]\n", s->eip, f, fl);
    fprintf(out, "cs=%04x ds=%04x es=%04x fs=%04x gs=%04x ss=%04x  cpl=%u mode=%s%s\n",
            s->seg[SEG_CS].sel, s->seg[SEG_DS].sel, s->seg[SEG_ES].sel, s->seg[SEG_FS].sel,
            s->seg[SEG_GS].sel, s->seg[SEG_SS].sel, s->cpl, mode_name(cpu),
            s->halted ? " (halted)" : "");
    fprintf(out, "instructions=%llu ticks=%llu\n", (unsigned long long)cpu->retired,
            (unsigned long long)cpu->clock->ticks);
}

/* A segment register's cache (attr in SegReg layout) in words. */
static void fmt_attr(uint16_t attr, char *buf, size_t n)
{
    unsigned type = attr & 0xF;
    const char *t;
    if (attr & SEG_ATTR_S) {
        static const char *const kData[] = {"data r", "data rw", "data r expand-down",
                                            "data rw expand-down"};
        static const char *const kCode[] = {"code x", "code xr", "code x conforming",
                                            "code xr conforming"};
        t = (type & 8) ? kCode[(type >> 1) & 3] : kData[(type >> 1) & 3];
    } else {
        static const char *const kSys[16] = {
            "reserved", "16-bit TSS (available)", "LDT", "16-bit TSS (busy)",
            "16-bit call gate", "task gate", "16-bit interrupt gate", "16-bit trap gate",
            "reserved", "32-bit TSS (available)", "reserved", "32-bit TSS (busy)",
            "32-bit call gate", "reserved", "32-bit interrupt gate", "32-bit trap gate"};
        t = kSys[type];
    }
    snprintf(buf, n, "%s%s, dpl %u%s%s%s", t,
             ((attr & SEG_ATTR_S) && (type & 1)) ? " (accessed)" : "", (attr >> 5) & 3,
             (attr & SEG_ATTR_P) ? ", present" : ", NOT present",
             (attr & SEG_ATTR_S) ? ((attr & SEG_ATTR_DB) ? ", 32-bit" : ", 16-bit") : "",
             (attr & SEG_ATTR_G) ? ", 4K granular" : "");
}

static void show_seg(FILE *out, const char *name, const SegReg *sg)
{
    char a[128];
    fmt_attr(sg->attr, a, sizeof a);
    fprintf(out, "%-4s=%04x base=%08x limit=%08x attr=%04x  %s\n", name, sg->sel, sg->base,
            sg->limit, sg->attr, a);
}

void dbg_show_sregs(Machine *m, FILE *out)
{
    CpuState *s = &m->cpu.s;
    static const int kOrder[] = {SEG_CS, SEG_DS, SEG_ES, SEG_FS, SEG_GS, SEG_SS};
    for (int k = 0; k < 6; k++) {
        show_seg(out, kSeg[kOrder[k]], &s->seg[kOrder[k]]);
    }
    show_seg(out, "ldtr", &s->ldtr);
    show_seg(out, "tr", &s->tr);
    fprintf(out, "gdtr base=%08x limit=%04x\n", s->gdtr.base, s->gdtr.limit);
    fprintf(out, "idtr base=%08x limit=%04x\n", s->idtr.base, s->idtr.limit);
}

void dbg_show_cregs(Machine *m, FILE *out)
{
    CpuState *s = &m->cpu.s;
    static const struct {
        uint32_t bit;
        const char *name;
    } kCr0[] = {{CR0_PG, "PG"}, {CR0_CD, "CD"}, {CR0_NW, "NW"}, {CR0_AM, "AM"},
                {CR0_WP, "WP"}, {CR0_NE, "NE"}, {CR0_ET, "ET"}, {CR0_TS, "TS"},
                {CR0_EM, "EM"}, {CR0_MP, "MP"}, {CR0_PE, "PE"}},
      kCr4[] = {{CR4_OSXMMEXCPT, "OSXMMEXCPT"}, {CR4_OSFXSR, "OSFXSR"}, {CR4_PCE, "PCE"},
                {CR4_PGE, "PGE"}, {CR4_MCE, "MCE"}, {CR4_PAE, "PAE"}, {CR4_PSE, "PSE"},
                {CR4_DE, "DE"}, {CR4_TSD, "TSD"}, {CR4_PVI, "PVI"}, {CR4_VME, "VME"}};
    fprintf(out, "cr0=%08x [", s->cr0);
    for (size_t k = 0, sp = 0; k < sizeof kCr0 / sizeof kCr0[0]; k++) {
        if (s->cr0 & kCr0[k].bit) {
            fprintf(out, "%s%s", sp++ ? " " : "", kCr0[k].name);
        }
    }
    fprintf(out, "]\ncr2=%08x\ncr3=%08x (page directory 0x%08x%s%s)\ncr4=%08x [", s->cr2, s->cr3,
            s->cr3 & 0xFFFFF000u, (s->cr3 & 8) ? ", PWT" : "", (s->cr3 & 0x10) ? ", PCD" : "",
            s->cr4);
    for (size_t k = 0, sp = 0; k < sizeof kCr4 / sizeof kCr4[0]; k++) {
        if (s->cr4 & kCr4[k].bit) {
            fprintf(out, "%s%s", sp++ ? " " : "", kCr4[k].name);
        }
    }
    fprintf(out, "]\n");
}

void dbg_show_dregs(Machine *m, FILE *out)
{
    CpuState *s = &m->cpu.s;
    static const char *const kRw[] = {"exec", "write", "io", "rw"};
    static const unsigned kLen[] = {1, 2, 8, 4};
    for (int k = 0; k < 4; k++) {
        unsigned rw = (s->dr[7] >> (16 + 4 * k)) & 3, len = (s->dr[7] >> (18 + 4 * k)) & 3;
        fprintf(out, "dr%d=%08x %c%c %-5s len=%u\n", k, s->dr[k],
                (s->dr[7] >> (2 * k)) & 1 ? 'L' : '-', (s->dr[7] >> (2 * k + 1)) & 1 ? 'G' : '-',
                kRw[rw], kLen[len]);
    }
    fprintf(out, "dr6=%08x\ndr7=%08x\n", s->dr[6], s->dr[7]);
}

void dbg_show_fpu(Machine *m, FILE *out)
{
    const FpuState *f = &m->cpu.s.fpu;
    static const char *const kTag[] = {"valid", "zero", "special", "empty"};
    uint16_t sw = (uint16_t)((f->sw & ~0x3800u) | ((f->top & 7u) << 11));
    fprintf(out, "fcw=%04x fsw=%04x (top=%u) ftw=%04x fop=%03x\n", f->cw, sw, f->top & 7, f->tw,
            f->fop);
    fprintf(out, "fip=%04x:%08x fdp=%04x:%08x\n", f->fcs, f->fip, f->fds, f->fdp);
    for (int i = 0; i < 8; i++) {
        int phys = (f->top + i) & 7;
        const Float80 *r = &f->st[phys];
        unsigned tag = (f->tw >> (2 * phys)) & 3;
        /* a host long double view of the value, for reading only */
        int e = (r->sexp & 0x7FFF);
        double d = 0;
        if (e != 0x7FFF && (r->mant || e)) {
            d = (double)r->mant / 9223372036854775808.0;
            int ex = e - 16383;
            while (ex > 0) {
                d *= 2;
                ex--;
            }
            while (ex < 0) {
                d /= 2;
                ex++;
            }
        }
        if (r->sexp & 0x8000) {
            d = -d;
        }
        fprintf(out, "st(%d)=R%d %04x:%016llx %-7s %.17g\n", i, phys, r->sexp,
                (unsigned long long)r->mant, kTag[tag], d);
    }
}

/* ---- page walk ---- */

static void pte_flags(uint32_t e, bool pde, char *buf, size_t n)
{
    snprintf(buf, n, "%s %s %s%s%s%s%s%s%s", (e & 1) ? "P" : "not-present", (e & 2) ? "RW" : "RO",
             (e & 4) ? "U" : "S", (e & 8) ? " PWT" : "", (e & 0x10) ? " PCD" : "",
             (e & 0x20) ? " A" : "", (e & 0x40) ? " D" : "", (pde && (e & 0x80)) ? " PS" : "",
             (e & 0x100) ? " G" : "");
}

void dbg_page_walk(Machine *m, uint32_t lin, FILE *out)
{
    CpuState *s = &m->cpu.s;
    uint32_t a20 = m->bus.a20_mask;
    char fl[96];
    if (!(s->cr0 & CR0_PG)) {
        fprintf(out, "paging is off: linear 0x%08x = physical 0x%08x%s\n", lin, lin & a20,
                a20 != 0xFFFFFFFFu ? " (A20 masked)" : "");
        return;
    }
    uint32_t pde_addr = ((s->cr3 & 0xFFFFF000u) | ((lin >> 20) & 0xFFCu)) & a20;
    uint32_t pde = 0;
    bus_mem_read(&m->bus, pde_addr, &pde, 4);
    fprintf(out, "linear 0x%08x: directory index %u, table index %u, offset 0x%03x\n", lin,
            lin >> 22, (lin >> 12) & 0x3FF, lin & 0xFFF);
    fprintf(out, "cr3=%08x\n", s->cr3);
    pte_flags(pde, true, fl, sizeof fl);
    fprintf(out, "PDE at physical 0x%08x = %08x  [%s]\n", pde_addr, pde, fl);
    if (!(pde & 1)) {
        fprintf(out, "not mapped: the PDE is not present (#PF)\n");
        return;
    }
    if ((pde & 0x80) && (s->cr4 & CR4_PSE)) {
        uint32_t pa = ((pde & 0xFFC00000u) | (lin & 0x3FFFFFu)) & a20;
        fprintf(out, "4 MB page at physical 0x%08x%s\n", pde & 0xFFC00000u,
                (pde & 0x003FE000u) ? " (reserved bits set: #PF)" : "");
        fprintf(out, "linear 0x%08x -> physical 0x%08x (%s, %s)\n", lin, pa,
                (pde & 2) ? "writable" : "read-only", (pde & 4) ? "user" : "supervisor");
        return;
    }
    uint32_t pte_addr = ((pde & 0xFFFFF000u) | ((lin >> 10) & 0xFFCu)) & a20;
    uint32_t pte = 0;
    bus_mem_read(&m->bus, pte_addr, &pte, 4);
    pte_flags(pte, false, fl, sizeof fl);
    fprintf(out, "PTE at physical 0x%08x = %08x  [%s]\n", pte_addr, pte, fl);
    if (!(pte & 1)) {
        fprintf(out, "not mapped: the PTE is not present (#PF)\n");
        return;
    }
    uint32_t rights = pde & pte;
    uint32_t pa = ((pte & 0xFFFFF000u) | (lin & 0xFFF)) & a20;
    fprintf(out, "linear 0x%08x -> physical 0x%08x (%s, %s)\n", lin, pa,
            (rights & 2) ? "writable" : "read-only", (rights & 4) ? "user" : "supervisor");
}

/* ---- descriptors ---- */

void dbg_fmt_desc(uint32_t lo, uint32_t hi, bool idt, char *buf, size_t n)
{
    uint16_t attr = (uint16_t)((hi >> 8) & 0xF0FF);
    unsigned type = (hi >> 8) & 0xF;
    bool s = (hi >> 12) & 1;
    char a[128];
    if (!(hi & 0x8000) && lo == 0 && hi == 0) {
        snprintf(buf, n, "null");
        return;
    }
    fmt_attr(attr, a, sizeof a);
    bool gate = !s && (type == 4 || type == 5 || type == 6 || type == 7 || type == 12 ||
                       type == 14 || type == 15);
    if (gate) {
        uint16_t sel = (uint16_t)(lo >> 16);
        uint32_t off = (lo & 0xFFFF) | (hi & 0xFFFF0000u);
        if (type == 5) {
            snprintf(buf, n, "task gate -> TSS selector %04x, dpl %u%s", sel, (hi >> 13) & 3,
                     (hi & 0x8000) ? "" : ", NOT present");
        } else if (type == 4 || type == 12) {
            snprintf(buf, n, "%s -> %04x:%08x, %u parameter%s", a, sel,
                     type == 4 ? off & 0xFFFF : off, hi & 0x1F, (hi & 0x1F) == 1 ? "" : "s");
        } else {
            snprintf(buf, n, "%s -> %04x:%08x", a, sel, type < 8 ? off & 0xFFFF : off);
        }
        return;
    }
    if (idt) {
        snprintf(buf, n, "not a gate: %08x %08x (#GP on delivery)", hi, lo);
        return;
    }
    uint32_t base = (lo >> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000u);
    uint32_t limit = (lo & 0xFFFF) | (hi & 0x000F0000u);
    if (hi & 0x00800000u) {
        limit = (limit << 12) | 0xFFF;
    }
    snprintf(buf, n, "base=%08x limit=%08x  %s", base, limit, a);
}

void dbg_show_table(Machine *m, int table, uint32_t first, uint32_t count, FILE *out)
{
    CpuState *s = &m->cpu.s;
    uint32_t base, limit;
    const char *name;
    if (table == 'g') {
        base = s->gdtr.base;
        limit = s->gdtr.limit;
        name = "GDT";
    } else if (table == 'i') {
        base = s->idtr.base;
        limit = s->idtr.limit;
        name = "IDT";
    } else {
        base = s->ldtr.base;
        limit = s->ldtr.limit;
        name = "LDT";
        if (!(s->ldtr.sel & 0xFFFC) || !(s->ldtr.attr & SEG_ATTR_P)) {
            fprintf(out, "LDT: none loaded (ldtr=%04x)\n", s->ldtr.sel);
            return;
        }
    }
    bool real_ivt = table == 'i' && m->cpu.mode == MODE_REAL;
    uint32_t esize = real_ivt ? 4 : 8;
    uint32_t entries = (limit + 1) / esize;
    fprintf(out, "%s%s at linear 0x%08x, limit 0x%x (%u entries)\n", name,
            real_ivt ? " (real-mode vector table)" : "", base, limit, entries);
    if (count == 0 || first >= entries) {
        return;
    }
    if (count > entries - first) {
        count = entries - first;
    }
    for (uint32_t k = first; k < first + count; k++) {
        uint32_t e[2] = {0, 0};
        if (dbg_read_lin(m, base + k * esize, e, esize) != esize) {
            fprintf(out, "%s[0x%02x]: not mapped\n", name, k);
            continue;
        }
        if (real_ivt) {
            fprintf(out, "IVT[0x%02x]=%04x:%04x\n", k, e[0] >> 16, e[0] & 0xFFFF);
            continue;
        }
        char d[200];
        dbg_fmt_desc(e[0], e[1], table == 'i', d, sizeof d);
        if (table == 'i') {
            fprintf(out, "IDT[0x%02x]=%08x%08x  %s\n", k, e[1], e[0], d);
        } else {
            fprintf(out, "%s[0x%02x] sel=%04x =%08x%08x  %s\n", name, k,
                    k * 8 | (table == 'l' ? 4 : 0), e[1], e[0], d);
        }
    }
}

void dbg_show_tss(Machine *m, FILE *out)
{
    const SegReg *tr = &m->cpu.s.tr;
    char a[128];
    fmt_attr(tr->attr, a, sizeof a);
    fprintf(out, "tr=%04x base=%08x limit=%08x  %s\n", tr->sel, tr->base, tr->limit, a);
    unsigned t = tr->attr & 0xF;
    if (!(m->cpu.s.cr0 & CR0_PE) || !(tr->sel & 0xFFFC)) {
        fprintf(out, "no task register loaded\n");
        return;
    }
    if (t == 9 || t == 11) {
        uint32_t w[26] = {0};
        uint32_t got = dbg_read_lin(m, tr->base, w, tr->limit + 1 < 104 ? tr->limit + 1 : 104);
        if (got < 104) {
            fprintf(out, "TSS shorter than 104 bytes or not mapped (%u bytes readable)\n", got);
        }
        fprintf(out, "link=%04x esp0=%08x ss0=%04x esp1=%08x ss1=%04x esp2=%08x ss2=%04x\n",
                w[0] & 0xFFFF, w[1], w[2] & 0xFFFF, w[3], w[4] & 0xFFFF, w[5], w[6] & 0xFFFF);
        fprintf(out, "cr3=%08x eip=%08x eflags=%08x\n", w[7], w[8], w[9]);
        fprintf(out, "eax=%08x ecx=%08x edx=%08x ebx=%08x esp=%08x ebp=%08x esi=%08x edi=%08x\n",
                w[10], w[11], w[12], w[13], w[14], w[15], w[16], w[17]);
        fprintf(out, "es=%04x cs=%04x ss=%04x ds=%04x fs=%04x gs=%04x ldt=%04x\n", w[18] & 0xFFFF,
                w[19] & 0xFFFF, w[20] & 0xFFFF, w[21] & 0xFFFF, w[22] & 0xFFFF, w[23] & 0xFFFF,
                w[24] & 0xFFFF);
        fprintf(out, "T=%u iomap base=0x%04x\n", w[25] & 1, w[25] >> 16);
    } else {
        uint16_t w[22] = {0};
        dbg_read_lin(m, tr->base, w, 44);
        fprintf(out, "16-bit TSS: link=%04x sp0=%04x ss0=%04x sp1=%04x ss1=%04x sp2=%04x ss2=%04x\n",
                w[0], w[1], w[2], w[3], w[4], w[5], w[6]);
        fprintf(out, "ip=%04x flags=%04x ax=%04x cx=%04x dx=%04x bx=%04x sp=%04x bp=%04x si=%04x "
                "di=%04x\n", w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15], w[16]);
        fprintf(out, "es=%04x cs=%04x ss=%04x ds=%04x ldt=%04x\n", w[17], w[18], w[19], w[20],
                w[21]);
    }
}

/* ---- devices ---- */

static void show_pic(const Pic8259 *p, const char *name, FILE *out)
{
    fprintf(out, "%s: irr=%02x isr=%02x imr=%02x lines=%02x elcr=%02x vector_base=%02x%s%s%s%s\n",
            name, p->irr, p->isr, p->imr, p->lines, p->elcr, p->vector_base,
            p->init_step ? " (initialising)" : "", p->auto_eoi ? " auto-EOI" : "",
            p->special_mask ? " special-mask" : "", p->ltim ? " level" : "");
}

int dbg_show_device(Machine *m, const char *name, FILE *out)
{
    if (!strcmp(name, "pic")) {
        show_pic(&m->pic.chip[0], "master", out);
        show_pic(&m->pic.chip[1], "slave ", out);
        return 0;
    }
    if (!strcmp(name, "pit")) {
        for (int k = 0; k < 3; k++) {
            const PitChannel *c = &m->pit.ch[k];
            fprintf(out, "channel %d: mode %u count %u (0x%x) %s%s gate=%u out=%u%s\n", k, c->mode,
                    c->count, c->count, c->bcd ? "BCD" : "binary",
                    c->rw == 1 ? " lsb" : c->rw == 2 ? " msb" : " lsb/msb", c->gate, c->out,
                    c->running ? " running" : " stopped");
        }
        fprintf(out, "port 61h=%02x  pit clocks since power-on=%llu\n", m->pit.port61,
                (unsigned long long)pit_ticks(&m->pit));
        return 0;
    }
    if (!strcmp(name, "serial") || !strcmp(name, "com1")) {
        const SerialState *s = &m->com1;
        unsigned div = s->divisor ? s->divisor : 1;
        fprintf(out, "COM1 at 0x%03x: ier=%02x lcr=%02x mcr=%02x lsr=%02x msr=%02x scr=%02x "
                "fcr=%02x\n", s->base, s->ier, s->lcr, s->mcr, s->lsr, s->msr, s->scr, s->fcr);
        fprintf(out, "divisor=%u (%u baud) %u data bits, rx fifo %u byte%s, %llu bytes sent\n",
                s->divisor, 115200 / div, 5 + (s->lcr & 3), s->rx_count,
                s->rx_count == 1 ? "" : "s", (unsigned long long)s->tx_count);
        return 0;
    }
    /* ---- APIC (chipset/lapic.h, chipset/ioapic.h) ---- */
    if (!strcmp(name, "apic") || !strcmp(name, "lapic")) {
        const LapicState *a = &m->lapic;
        if (!a->bus) {
            fprintf(out, "local APIC: not present on this board\n");
            return 0;
        }
        fprintf(out, "local APIC: base msr=%08llx id=%u tpr=%02x svr=%08x ldr=%08x dfr=%08x "
                "esr=%08x\n", (unsigned long long)a->base_msr, a->id, a->tpr, a->svr, a->ldr,
                a->dfr, a->esr);
        static const char *const kLvt[] = {"timer", "thermal", "perf", "lint0", "lint1", "error"};
        for (int k = 0; k < LVT_COUNT; k++) {
            fprintf(out, "lvt %-7s=%08x%s\n", kLvt[k], a->lvt[k],
                    (a->lvt[k] & 0x10000) ? " (masked)" : "");
        }
        fprintf(out, "icr=%08x:%08x timer initial=%u divide=%x\n", a->icr_hi, a->icr_lo,
                a->timer_initial, a->timer_dcr);
        fprintf(out, "irr=");
        for (int k = 7; k >= 0; k--) {
            fprintf(out, "%08x", a->irr[k]);
        }
        fprintf(out, "\nisr=");
        for (int k = 7; k >= 0; k--) {
            fprintf(out, "%08x", a->isr[k]);
        }
        fprintf(out, "\n");
        return 0;
    }
    if (!strcmp(name, "ioapic")) {
        const IoapicState *io = &m->ioapic;
        if (!io->lapic) {
            fprintf(out, "I/O APIC: not present on this board\n");
            return 0;
        }
        fprintf(out, "I/O APIC: id=%u pins=%06x\n", io->id, io->pins);
        for (int k = 0; k < IOAPIC_PINS; k++) {
            uint64_t r = io->redir[k];
            fprintf(out, "pin %2d: %016llx vector=%02x mode=%u %s %s %s dest=%02x%s\n", k,
                    (unsigned long long)r, (unsigned)(r & 0xFF), (unsigned)((r >> 8) & 7),
                    (r >> 11) & 1 ? "logical" : "physical", (r >> 13) & 1 ? "low" : "high",
                    (r >> 15) & 1 ? "level" : "edge", (unsigned)(r >> 56),
                    (r >> 16) & 1 ? " masked" : "");
        }
        return 0;
    }
    /* ---- end APIC ---- */
    return -1;
}

/* ---- disassembly ---- */

uint32_t dbg_disasm_at(Machine *m, uint32_t lin, uint32_t eip, uint16_t cs, bool d32, FILE *out)
{
    uint8_t bytes[16];
    uint32_t got = dbg_read_lin(m, lin, bytes, 15);
    char text[128];
    if (got == 0) {
        fprintf(out, "[0x%08x] %04x:%0*x: (not mapped)\n", lin, cs, d32 ? 8 : 4, eip);
        return 0;
    }
    int len = disasm_bytes(bytes, got, d32, eip, text, sizeof text);
    char hex[48] = "";
    size_t used = 0;
    for (int k = 0; k < (len > 0 ? len : 1) && used < sizeof hex - 3; k++) {
        used += (size_t)snprintf(hex + used, sizeof hex - used, "%02x", bytes[k]);
    }
    fprintf(out, "[0x%08x] %04x:%0*x: %-36s ; %s\n", lin, cs, d32 ? 8 : 4, eip, text, hex);
    return len > 0 ? (uint32_t)len : 1;
}

void dbg_show_where(Machine *m, FILE *out)
{
    CpuState *s = &m->cpu.s;
    bool d32 = (s->seg[SEG_CS].attr & SEG_ATTR_DB) != 0;
    dbg_disasm_at(m, s->seg[SEG_CS].base + s->eip, s->eip, s->seg[SEG_CS].sel, d32, out);
}
