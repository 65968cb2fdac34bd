/* The snapshot engine (snapshots/snapshot.c) on a fake machine of two small sections, three
 * timers and a RAM buffer: round trip, byte-identical re-save, every kind of damage refused with
 * the target untouched, rollback when a post_load refuses, timer order; the CPU's descriptor
 * (snapshots/cpu_state.c) covers every byte of CpuState; and a real PIT and RTC continue after a
 * load exactly as the originals do. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "chipset/pit.h"
#include "chipset/rtc.h"
#include "snapshots/cpu_state.h"
#include "snapshots/snapshot.h"
#include "tests/unit/devtest.h"
#include "tests/unit/test.h"

typedef struct FakeA {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    int64_t i64;
    bool flag;
    uint16_t arr[3];
    Timer t1, t2;
} FakeA;

typedef struct FakeB {
    uint32_t x[4];
    Timer t3;
    int post_loads;      /* not saved */
    uint32_t refuse_val; /* not saved: post_load refuses x[0] == refuse_val (if nonzero) */
} FakeB;

static const VmsField kAFields[] = {
    VMS_U8F(FakeA, u8),   VMS_U16F(FakeA, u16),  VMS_U32F(FakeA, u32),
    VMS_U64F(FakeA, u64), VMS_I32F(FakeA, i32),  VMS_SCALAR(FakeA, i64, VMS_I64),
    VMS_BOOLF(FakeA, flag), VMS_ARRAY(FakeA, arr, VMS_U16, 3),
    VMS_TIMERF(FakeA, t1), VMS_TIMERF(FakeA, t2), VMS_FIELDS_END,
};
static const VmsDesc kADesc = {"fake-a", 1, kAFields, NULL, NULL};

static int b_post_load(void *opaque)
{
    FakeB *b = opaque;
    b->post_loads++;
    return (b->refuse_val && b->x[0] == b->refuse_val) ? -1 : 0;
}
static const VmsField kBFields[] = {
    VMS_ARRAY(FakeB, x, VMS_U32, 4),
    VMS_TIMERF(FakeB, t3),
    VMS_FIELDS_END,
};
static const VmsDesc kBDesc = {"fake-b", 1, kBFields, NULL, b_post_load};
static const VmsDesc kBDesc2 = {"fake-b", 2, kBFields, NULL, b_post_load};
static const VmsField kClockFields[] = {VMS_U64F(Clock, ticks), VMS_FIELDS_END};
static const VmsDesc kClockDesc = {"clock", 1, kClockFields, NULL, NULL};

#define FAKE_RAM ((3u << 20) + 123) /* not a whole number of chunks */
static const char kConfig[] = "ram=3M\ncpu=fake\n";

typedef struct Fake {
    Clock clock;
    FakeA a;
    FakeB b;
    uint8_t *ram;
    SnapRegistry reg;
    SnapTarget t;
} Fake;

static void nop_cb(void *opaque)
{
    (void)opaque;
}

static void fake_init(Fake *f, int variant)
{
    memset(f, 0, sizeof *f);
    clock_init(&f->clock, 0);
    timer_init(&f->a.t1, &f->clock, nop_cb, NULL);
    timer_init(&f->a.t2, &f->clock, nop_cb, NULL);
    timer_init(&f->b.t3, &f->clock, nop_cb, NULL);
    f->ram = calloc(1, FAKE_RAM);
    snap_register(&f->reg, &kClockDesc, &f->clock, 0);
    snap_register(&f->reg, &kADesc, &f->a, 0);
    snap_register(&f->reg, &kBDesc, &f->b, 0);
    f->t = (SnapTarget){&f->reg, f->ram, FAKE_RAM, kConfig, sizeof kConfig - 1};
    if (variant == 0) {
        f->clock.ticks = 1000;
        f->a = (FakeA){0x12, 0x3456, 0x789ABCDE, 0x0123456789ABCDEFull, -5, -6000000000ll, true,
                       {1, 2, 0xFFFF}, f->a.t1, f->a.t2};
        f->b.x[0] = 0xAAAA0000;
        f->b.x[3] = 0x5555;
        /* t2 armed before t1 at the same deadline: t2 must fire first after a load too */
        timer_mod_ticks(&f->a.t2, 5000);
        timer_mod_ticks(&f->a.t1, 5000);
        for (uint32_t k = 0; k < FAKE_RAM; k += 4093) {
            f->ram[k] = (uint8_t)(k * 7 + 1);
        }
        f->ram[FAKE_RAM - 1] = 0x99;
    } else {
        f->clock.ticks = 77;
        f->a.u32 = 0xDEADBEEF;
        f->b.x[1] = 42;
        timer_mod_ticks(&f->b.t3, 300);
        memset(f->ram, 0x5A, FAKE_RAM);
    }
}

static void fake_free(Fake *f)
{
    free(f->ram);
}

/* Everything a load could change, to compare before and after a refused one. */
typedef struct FakeImage {
    uint64_t ticks, next_deadline;
    FakeA a;
    uint32_t bx[4];
    bool t3_armed;
    uint64_t t3_deadline;
    const Timer *head;
    uint32_t ram_crc;
} FakeImage;

static void fake_image(const Fake *f, FakeImage *im, bool with_ram)
{
    memset(im, 0, sizeof *im);
    im->ticks = f->clock.ticks;
    im->next_deadline = f->clock.next_deadline;
    im->a = f->a;
    memcpy(im->bx, f->b.x, sizeof im->bx);
    im->t3_armed = f->b.t3.armed;
    im->t3_deadline = f->b.t3.deadline;
    im->head = f->clock.head;
    im->ram_crc = with_ram ? (uint32_t)crc32(0, f->ram, FAKE_RAM) : 0;
}

/* RAM too when im holds its CRC (slow: 3 MB) */
static bool fake_same(const Fake *f, const FakeImage *im, bool with_ram)
{
    FakeImage now;
    fake_image(f, &now, with_ram);
    return now.ticks == im->ticks && now.next_deadline == im->next_deadline &&
           !memcmp(&now.a, &im->a, offsetof(FakeA, flag) + sizeof(bool)) &&
           !memcmp(now.a.arr, im->a.arr, sizeof now.a.arr) &&
           now.a.t1.armed == im->a.t1.armed && now.a.t2.armed == im->a.t2.armed &&
           !memcmp(now.bx, im->bx, sizeof now.bx) && now.t3_armed == im->t3_armed &&
           now.t3_deadline == im->t3_deadline && now.head == im->head &&
           (!with_ram || now.ram_crc == im->ram_crc);
}

static void save(Fake *f, uint8_t **buf, size_t *len)
{
    char err[256] = "";
    *buf = NULL;
    EXPECT_EQ(snapshot_save_mem(&f->t, buf, len, err, sizeof err), 0);
}

TEST(snapshot, round_trip_and_identical_resave)
{
    Fake src, dst;
    fake_init(&src, 0);
    fake_init(&dst, 1);
    uint8_t *buf, *buf2;
    size_t len, len2;
    save(&src, &buf, &len);
    char err[256] = "";
    EXPECT_EQ(snapshot_load_mem(&dst.t, buf, len, err, sizeof err), 0);
    EXPECT_EQ(dst.clock.ticks, 1000);
    EXPECT_EQ(dst.a.u8, 0x12);
    EXPECT_EQ(dst.a.u16, 0x3456);
    EXPECT_EQ(dst.a.u32, 0x789ABCDE);
    EXPECT_EQ(dst.a.u64, 0x0123456789ABCDEFull);
    EXPECT_EQ(dst.a.i32, -5);
    EXPECT_EQ(dst.a.i64, -6000000000ll);
    EXPECT_TRUE(dst.a.flag);
    EXPECT_EQ(dst.a.arr[2], 0xFFFF);
    EXPECT_EQ(dst.b.x[0], 0xAAAA0000);
    EXPECT_EQ(dst.b.x[1], 0);
    EXPECT_EQ(dst.b.post_loads, 1);
    EXPECT_TRUE(memcmp(dst.ram, src.ram, FAKE_RAM) == 0);
    /* timers: t3 (armed in dst only) is off; t2 then t1 at 5000, in that order */
    EXPECT_TRUE(!dst.b.t3.armed);
    EXPECT_TRUE(dst.a.t1.armed && dst.a.t2.armed);
    EXPECT_EQ(dst.a.t1.deadline, 5000);
    EXPECT_TRUE(dst.clock.head == &dst.a.t2 && dst.a.t2.next == &dst.a.t1);
    EXPECT_EQ(dst.clock.next_deadline, 5000);
    save(&dst, &buf2, &len2);
    EXPECT_EQ(len2, len);
    EXPECT_TRUE(len2 == len && memcmp(buf, buf2, len) == 0);
    free(buf);
    free(buf2);
    fake_free(&src);
    fake_free(&dst);
}

TEST(snapshot, file_round_trip_is_atomic_and_identical)
{
    Fake src, dst;
    fake_init(&src, 0);
    fake_init(&dst, 1);
    char path[] = "/tmp/x86pc-snaptest-XXXXXX";
    int fd = mkstemp(path);
    EXPECT_TRUE(fd >= 0);
    close(fd);
    char err[256] = "";
    EXPECT_EQ(snapshot_save(&src.t, path, err, sizeof err), 0);
    EXPECT_EQ(snapshot_load(&dst.t, path, err, sizeof err), 0);
    uint8_t *mem;
    size_t len;
    save(&dst, &mem, &len);
    FILE *f = fopen(path, "rb");
    uint8_t *file = malloc(len + 1);
    size_t got = f ? fread(file, 1, len + 1, f) : 0;
    if (f) {
        fclose(f);
    }
    EXPECT_EQ(got, len);
    EXPECT_TRUE(got == len && memcmp(file, mem, len) == 0);
    /* a directory that does not exist: an error, and no file */
    EXPECT_EQ(snapshot_save(&src.t, "/nonexistent-dir/x.snap", err, sizeof err), -1);
    EXPECT_TRUE(strstr(err, "/nonexistent-dir/x.snap") != NULL);
    unlink(path);
    free(file);
    free(mem);
    fake_free(&src);
    fake_free(&dst);
}

/* Every single flipped byte and every truncation is refused, and the target is untouched. */
TEST(snapshot, every_damage_refused_target_untouched)
{
    Fake src, dst;
    fake_init(&src, 0);
    fake_init(&dst, 1);
    uint8_t *buf;
    size_t len;
    save(&src, &buf, &len);
    FakeImage before;
    fake_image(&dst, &before, true);
    uint8_t *bad = malloc(len + 1);
    char err[256];
    int accepted = 0, changed = 0;
    for (size_t off = 0; off < len; off++) {
        memcpy(bad, buf, len);
        bad[off] ^= 0x01;
        err[0] = 0;
        if (snapshot_load_mem(&dst.t, bad, len, err, sizeof err) == 0 || !err[0]) {
            accepted++;
        }
        if (!fake_same(&dst, &before, false) || dst.b.post_loads != 0) {
            changed++;
        }
    }
    EXPECT_EQ(accepted, 0);
    EXPECT_EQ(changed, 0);
    for (size_t n = 0; n < len; n++) {
        if (snapshot_load_mem(&dst.t, buf, n, err, sizeof err) == 0) {
            accepted++;
        }
    }
    memcpy(bad, buf, len);
    bad[len] = 0;
    if (snapshot_load_mem(&dst.t, bad, len + 1, err, sizeof err) == 0) {
        accepted++;
    }
    EXPECT_EQ(accepted, 0);
    EXPECT_TRUE(fake_same(&dst, &before, true));
    free(bad);
    free(buf);
    fake_free(&src);
    fake_free(&dst);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; k++) {
        p[k] = (uint8_t)(v >> (8 * k));
    }
}
/* Offset of the header's CRC, and of the first section record. */
static size_t header_crc_at(const uint8_t *buf)
{
    return 16 + rd32(buf + 12) + 4;
}

/* Load a copy of buf after edit(copy), expecting a refusal whose message holds `needle`. */
static void expect_refused(Fake *dst, const uint8_t *buf, size_t len, const char *needle)
{
    FakeImage before;
    fake_image(dst, &before, true);
    char err[256] = "";
    EXPECT_EQ(snapshot_load_mem(&dst->t, buf, len, err, sizeof err), -1);
    if (!strstr(err, needle)) {
        printf("  message '%s' lacks '%s'\n", err, needle);
        g_test_failed = 1;
    }
    EXPECT_TRUE(fake_same(dst, &before, true));
}

TEST(snapshot, mismatches_refused_with_a_clear_message)
{
    Fake src, dst;
    fake_init(&src, 0);
    fake_init(&dst, 1);
    uint8_t *buf;
    size_t len;
    save(&src, &buf, &len);
    uint8_t *b = malloc(len);

    memcpy(b, buf, len);
    memcpy(b, "X86PCSNQ", 8);
    expect_refused(&dst, b, len, "bad magic");

    /* another format version, with a valid header CRC so only the version is wrong */
    memcpy(b, buf, len);
    wr32(b + 8, 2);
    wr32(b + header_crc_at(b), (uint32_t)crc32(0, b, (uInt)header_crc_at(b)));
    expect_refused(&dst, b, len, "version 2");

    /* another machine: same structure, another config text */
    Fake other;
    fake_init(&other, 1);
    static const char kOther[] = "ram=3M\ncpu=else\n";
    other.t.config = kOther;
    other.t.config_len = sizeof kOther - 1;
    expect_refused(&other, buf, len, "cpu=fake, this machine has cpu=else");
    static const char kMore[] = "ram=3M\ncpu=fake\nfpu=yes\n";
    other.t.config = kMore;
    other.t.config_len = sizeof kMore - 1;
    expect_refused(&other, buf, len, "this machine has fpu=yes");
    fake_free(&other);

    /* a machine with a section more, and one with a section less */
    Fake more;
    fake_init(&more, 1);
    FakeB extra;
    memset(&extra, 0, sizeof extra);
    snap_register(&more.reg, &kBDesc, &extra, 1);
    expect_refused(&more, buf, len, "no state for 'fake-b.1'");
    more.reg.n = 2; /* clock and fake-a */
    expect_refused(&more, buf, len, "'fake-b', which this machine lacks");
    /* a section of another version */
    more.reg.sec[2].desc = &kBDesc2;
    more.reg.n = 3;
    more.reg.sec[2].opaque = &more.b;
    snprintf(more.reg.sec[2].name, sizeof more.reg.sec[2].name, "fake-b");
    expect_refused(&more, buf, len, "version 1 of 'fake-b'");
    fake_free(&more);

    /* another RAM size, with the same configuration text */
    Fake small;
    fake_init(&small, 1);
    small.t.ram_size = FAKE_RAM - 1;
    expect_refused(&small, buf, len, "bytes of RAM");
    fake_free(&small);

    /* a bool holding 2, with the section's CRC made valid: refused by value */
    memcpy(b, buf, len);
    size_t sec = header_crc_at(b) + 4; /* "clock", then "fake-a" */
    sec += 1 + b[sec] + 13 + rd32(b + sec + 1 + b[sec] + 9) + 4;
    size_t payload = sec + 1 + b[sec] + 13; /* raw: stored as it is */
    size_t flag_at = payload + 1 + 2 + 4 + 8 + 4 + 8;
    b[flag_at] = 2;
    size_t plen = rd32(b + payload - 4);
    wr32(b + payload + plen, (uint32_t)crc32(0, b + sec, (uInt)(payload + plen - sec)));
    expect_refused(&dst, b, len, "invalid value in 'flag'");

    free(b);
    free(buf);
    fake_free(&src);
    fake_free(&dst);
}

TEST(snapshot, refused_post_load_rolls_back)
{
    Fake src, dst;
    fake_init(&src, 0);
    fake_init(&dst, 1);
    src.b.x[0] = 0xBADBAD;
    dst.b.refuse_val = 0xBADBAD;
    uint8_t *buf;
    size_t len;
    save(&src, &buf, &len);
    FakeImage before;
    fake_image(&dst, &before, true);
    char err[256] = "";
    EXPECT_EQ(snapshot_load_mem(&dst.t, buf, len, err, sizeof err), -1);
    EXPECT_TRUE(strstr(err, "'fake-b' was refused") != NULL);
    EXPECT_TRUE(fake_same(&dst, &before, true));
    EXPECT_EQ(dst.b.post_loads, 2); /* the refusal, then the old state again */
    free(buf);
    fake_free(&src);
    fake_free(&dst);
}

/* A large section (video memory, say) is stored deflated: it round-trips, re-saves identically,
 * and any damage to it is refused. */
typedef struct Big {
    uint8_t mem[100000];
    uint32_t tail;
} Big;
static const VmsField kBigFields[] = {
    VMS_ARRAY(Big, mem, VMS_U8, 100000),
    VMS_U32F(Big, tail),
    VMS_FIELDS_END,
};
static const VmsDesc kBigDesc = {"big", 1, kBigFields, NULL, NULL};

TEST(snapshot, large_section_deflated)
{
    static Big a, b, before;
    for (size_t k = 0; k < sizeof a.mem; k++) {
        a.mem[k] = (uint8_t)(k % 251 == 0 ? k / 251 : 0);
    }
    a.tail = 0xC0FFEE;
    memset(&b, 0x77, sizeof b);
    before = b;
    SnapRegistry ra = {0}, rb = {0};
    snap_register(&ra, &kBigDesc, &a, 0);
    snap_register(&rb, &kBigDesc, &b, 0);
    uint8_t ram[64] = {0};
    SnapTarget ta = {&ra, ram, sizeof ram, "", 0}, tb = {&rb, ram, sizeof ram, "", 0};
    uint8_t *buf, *buf2;
    size_t len, len2;
    char err[256] = "";
    EXPECT_EQ(snapshot_save_mem(&ta, &buf, &len, err, sizeof err), 0);
    EXPECT_TRUE(len < sizeof a.mem / 4); /* it was compressed */
    int accepted = 0;
    uint8_t *bad = malloc(len);
    for (size_t off = 0; off < len; off++) {
        memcpy(bad, buf, len);
        bad[off] ^= 0x80;
        accepted += snapshot_load_mem(&tb, bad, len, err, sizeof err) == 0;
    }
    EXPECT_EQ(accepted, 0);
    EXPECT_TRUE(memcmp(&b, &before, sizeof b) == 0);
    EXPECT_EQ(snapshot_load_mem(&tb, buf, len, err, sizeof err), 0);
    EXPECT_TRUE(memcmp(&a, &b, sizeof a) == 0);
    EXPECT_EQ(snapshot_save_mem(&tb, &buf2, &len2, err, sizeof err), 0);
    EXPECT_TRUE(len2 == len && memcmp(buf, buf2, len) == 0);
    free(bad);
    free(buf);
    free(buf2);
}

/* ---- the CPU's descriptor ---- */

TEST(snapshot, cpu_state_descriptor_covers_every_byte)
{
    static uint8_t covered[sizeof(CpuState)];
    memset(covered, 0, sizeof covered);
    for (const VmsField *f = kCpuStateDesc.fields; f->type != VMS_END; f++) {
        size_t w = f->type == VMS_U8 ? 1 : f->type == VMS_U16 ? 2 : f->type == VMS_U32 ? 4 : 8;
        EXPECT_TRUE(f->type == VMS_U8 || f->type == VMS_U16 || f->type == VMS_U32 ||
                    f->type == VMS_U64);
        for (size_t k = 0; k < w * f->count; k++) {
            EXPECT_TRUE(f->offset + k < sizeof covered);
            if (f->offset + k < sizeof covered) {
                EXPECT_EQ(covered[f->offset + k], 0); /* no byte saved twice */
                covered[f->offset + k] = 1;
            }
        }
    }
    /* the bytes left out are the explicit pads and the compiler's padding, nothing else */
    static uint8_t pad[sizeof(CpuState)];
    memset(pad, 0, sizeof pad);
    pad[offsetof(CpuState, pad0)] = 1;
    pad[offsetof(CpuState, pad1)] = pad[offsetof(CpuState, pad1) + 1] = 1;
    for (int i = 0; i < 8; i++) {
        size_t e = offsetof(CpuState, fpu.st[i].sexp) + 2;
        size_t end = offsetof(CpuState, fpu.st[i]) + sizeof(Float80);
        for (; e < end; e++) {
            pad[e] = 1;
        }
    }
    pad[offsetof(CpuState, fpu.top) + 1] = 1; /* u8 top, then u16 fop */
    for (size_t e = offsetof(CpuState, fpu.fop) + 2; e < offsetof(CpuState, fpu.fip); e++) {
        pad[e] = 1;
    }
    for (size_t e = offsetof(CpuState, fpu.fds) + 2; e < offsetof(CpuState, fpu) + sizeof(FpuState);
         e++) {
        pad[e] = 1;
    }
    for (size_t e = offsetof(CpuState, gdtr.limit) + 2; e < offsetof(CpuState, idtr); e++) {
        pad[e] = 1;
    }
    for (size_t e = offsetof(CpuState, idtr.limit) + 2; e < offsetof(CpuState, cr0); e++) {
        pad[e] = 1;
    }
    /* anything else uncovered must be alignment padding before an 8-byte member: report it */
    int missing = 0;
    for (size_t k = 0; k < sizeof(CpuState); k++) {
        if (!covered[k] && !pad[k]) {
            size_t run = k;
            while (run < sizeof(CpuState) && !covered[run] && !pad[run]) {
                run++;
            }
            bool alignment = (run % 8) == 0 && run - k < 8 && run < sizeof(CpuState);
            if (!alignment) {
                printf("  CpuState bytes %zu-%zu are not saved\n", k, run - 1);
                missing++;
            }
            k = run;
        }
    }
    EXPECT_EQ(missing, 0);
}

TEST(snapshot, cpu_state_round_trip)
{
    static CpuState a, b;
    uint32_t seed = 12345;
    uint8_t *p = (uint8_t *)&a;
    for (size_t k = 0; k < sizeof a; k++) {
        seed = seed * 1103515245u + 12345u;
        p[k] = (uint8_t)(seed >> 16);
    }
    memset(&b, 0, sizeof b);
    SnapRegistry ra = {0}, rb = {0};
    snap_register(&ra, &kCpuStateDesc, &a, 0);
    snap_register(&rb, &kCpuStateDesc, &b, 0);
    uint8_t ram[16] = {0};
    SnapTarget ta = {&ra, ram, sizeof ram, "", 0}, tb = {&rb, ram, sizeof ram, "", 0};
    uint8_t *buf;
    size_t len;
    char err[256] = "";
    EXPECT_EQ(snapshot_save_mem(&ta, &buf, &len, err, sizeof err), 0);
    EXPECT_EQ(snapshot_load_mem(&tb, buf, len, err, sizeof err), 0);
    EXPECT_TRUE(memcmp(a.regs, b.regs, sizeof a.regs) == 0);
    EXPECT_EQ(a.seg[SEG_GS].limit, b.seg[SEG_GS].limit);
    EXPECT_EQ(a.tr.attr, b.tr.attr);
    EXPECT_EQ(a.fpu.st[7].mant, b.fpu.st[7].mant);
    EXPECT_EQ(a.fpu.st[7].sexp, b.fpu.st[7].sexp);
    EXPECT_EQ(a.fpu.fds, b.fpu.fds);
    EXPECT_TRUE(memcmp(a.xmm, b.xmm, sizeof a.xmm) == 0);
    EXPECT_EQ(a.mtrr_var[15], b.mtrr_var[15]);
    EXPECT_EQ(a.exc_error, b.exc_error);
    EXPECT_EQ(a.mxcsr, b.mxcsr);
    free(buf);
}

/* ---- real devices: the timers carry on exactly ---- */

typedef struct DevFx {
    Bus bus;
    Clock clock;
    PitState pit;
    RtcState rtc;
    DtIrq irq0, irq8;
    SnapRegistry reg;
    SnapTarget t;
} DevFx;

static void dev_init(DevFx *f)
{
    memset(f, 0, sizeof *f);
    bus_init(&f->bus, 1 << 20);
    clock_init(&f->clock, 0);
    pit_init(&f->pit, &f->bus, &f->clock, &f->reg);
    rtc_init(&f->rtc, &f->bus, &f->clock, &f->reg, 946684800);
    f->irq0 = (DtIrq){.level = 1, .clock = &f->clock};
    f->irq8 = (DtIrq){.clock = &f->clock};
    irq_connect(&f->pit.irq0, dt_irq_handler, &f->irq0, 0);
    irq_connect(&f->rtc.irq, dt_irq_handler, &f->irq8, 0);
    board_snap_register(&f->reg, &f->clock, &f->bus);
    f->t = (SnapTarget){&f->reg, f->bus.ram, f->bus.ram_size, "dev\n", 4};
}

TEST(snapshot, pit_and_rtc_continue_exactly)
{
    static DevFx a, b;
    dev_init(&a);
    dev_init(&b);
    /* a: PIT mode 2 at ~1 kHz, RTC periodic at 1024 Hz, run 10.3 ms */
    dt_outb(&a.bus, 0x43, 0x34);
    dt_outb(&a.bus, 0x40, 1193 & 0xFF);
    dt_outb(&a.bus, 0x40, 1193 >> 8);
    dt_outb(&a.bus, 0x70, 0x0B);
    dt_outb(&a.bus, 0x71, 0x42);
    dt_run_to(&a.clock, 10300000);
    /* b: something else entirely, then loaded from a */
    dt_outb(&b.bus, 0x43, 0x30);
    dt_outb(&b.bus, 0x40, 0x10);
    dt_outb(&b.bus, 0x40, 0x00);
    dt_run_to(&b.clock, 500);
    uint8_t *buf;
    size_t len;
    char err[256] = "";
    EXPECT_EQ(snapshot_save_mem(&a.t, &buf, &len, err, sizeof err), 0);
    EXPECT_EQ(snapshot_load_mem(&b.t, buf, len, err, sizeof err), 0);
    free(buf);
    EXPECT_EQ(b.clock.ticks, a.clock.ticks);
    EXPECT_EQ(b.irq0.level, a.irq0.level);
    a.irq0.rises = b.irq0.rises = 0;
    a.irq8.rises = b.irq8.rises = 0;
    /* the RTC's interrupt stays asserted until register C is read: read it at every rise */
    for (int ms = 11; ms <= 40; ms++) {
        dt_run_to(&a.clock, (uint64_t)ms * 1000000);
        dt_run_to(&b.clock, (uint64_t)ms * 1000000);
        dt_outb(&a.bus, 0x70, 0x0C);
        dt_outb(&b.bus, 0x70, 0x0C);
        EXPECT_EQ(dt_inb(&a.bus, 0x71), dt_inb(&b.bus, 0x71));
    }
    EXPECT_TRUE(a.irq0.rises > 25);
    EXPECT_EQ(b.irq0.rises, a.irq0.rises);
    EXPECT_EQ(b.irq8.rises, a.irq8.rises);
    int n = a.irq0.rises < 64 ? a.irq0.rises : 64;
    EXPECT_TRUE(memcmp(a.irq0.rise_ns, b.irq0.rise_ns, (size_t)n * sizeof(uint64_t)) == 0);
    bus_free(&a.bus);
    bus_free(&b.bus);
}
