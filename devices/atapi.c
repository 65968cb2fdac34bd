/* The PACKET commands of an ATAPI CD-ROM drive: SCSI primary commands (SPC: TEST UNIT READY,
 * REQUEST SENSE with fixed-format sense data, INQUIRY) and the MMC-3 multimedia commands
 * (READ CAPACITY, READ(10)/(12), READ CD for user data, MODE SENSE(6)/(10) with the read error
 * recovery page 01h and the capabilities page 2Ah, START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL,
 * READ TOC/PMA/ATIP formats 0, 1 and 2 in LBA or MSF form, GET CONFIGURATION, GET EVENT STATUS
 * NOTIFICATION (polled, media class), READ DISC INFORMATION, READ TRACK INFORMATION, MECHANISM
 * STATUS, SET CD SPEED, SEEK) carried by the ATA PACKET protocol of ATA/ATAPI-6 section 9.8
 * (ide.c): data goes out in windows of at most the byte count limit the host wrote to the
 * cylinder registers, or through the bus master when the PACKET command's features asked for DMA.
 *
 * The disc is one data track (mode 1, 2048-byte sectors) in one closed session, as an ISO image
 * is. A command the drive does not know ends in CHECK CONDITION with ILLEGAL REQUEST / INVALID
 * COMMAND OPERATION CODE (so do INQUIRY's vital product data pages); a disc change is reported
 * once as UNIT ATTENTION / MEDIUM MAY HAVE CHANGED and as a media event.
 */
#include <string.h>

#include "devices/ide_int.h"
#include "mmu/log.h"

#define CD_SECTOR 2048u

enum {
    SENSE_NONE = 0x00,
    SENSE_NOT_READY = 0x02,
    SENSE_MEDIUM_ERROR = 0x03,
    SENSE_ILLEGAL_REQUEST = 0x05,
    SENSE_UNIT_ATTENTION = 0x06,
};
#define ASC_READ_ERROR 0x11
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_MEDIUM_MAY_HAVE_CHANGED 0x28
#define ASC_SAVING_NOT_SUPPORTED 0x39
#define ASC_NO_MEDIUM 0x3A
#define ASC_REMOVAL_PREVENTED 0x53

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A CD address: LBA 0 is 00:02:00 (the 150-frame pregap). */
static void put_addr(uint8_t *p, uint32_t lba, bool msf)
{
    if (!msf) {
        put_be32(p, lba);
        return;
    }
    uint32_t f = lba + 150;
    p[0] = 0;
    p[1] = (uint8_t)(f / (75 * 60));
    p[2] = (uint8_t)(f / 75 % 60);
    p[3] = (uint8_t)(f % 75);
}

static bool has_medium(const IdeDrive *d)
{
    return d->blk && !d->tray_open && d->nsectors;
}

static void check_condition(IdeChannel *ch, IdeDrive *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
    xlog(LOG_IDE, "ide%d.%d: ATAPI CHECK CONDITION %x/%02x/%02x", ch->index, ch->unit, key, asc,
         ascq);
    d->sense_key = key;
    d->asc = asc;
    d->ascq = ascq;
    d->error = (uint8_t)(key << 4 | (key == SENSE_ILLEGAL_REQUEST ? IDE_ER_ABRT : 0));
    d->nsector = IDE_IR_IO | IDE_IR_COD;
    ch->atapi_left = 0;
    ide_finish_later(ch, IDE_ST_DRDY | IDE_ST_ERR, true, IDE_CMD_DELAY_NS);
}

static void command_ok(IdeChannel *ch, IdeDrive *d, uint32_t delay_ns)
{
    d->sense_key = d->asc = d->ascq = 0;
    d->error = 0;
    d->nsector = IDE_IR_IO | IDE_IR_COD;
    ide_finish_later(ch, IDE_ST_DRDY | IDE_ST_DSC, true, delay_ns);
}

static void start_data(IdeChannel *ch, IdeDrive *d)
{
    d->status = IDE_ST_BSY;
    ch->phase = IDE_PH_BUSY;
    ide_schedule(ch, ch->use_dma ? IDE_ACT_ATAPI_DMA : IDE_ACT_ATAPI_PIO, IDE_CMD_DELAY_NS);
}

/* Data built in buf[0, len): send at most `alloc` bytes of it. */
static void reply(IdeChannel *ch, IdeDrive *d, uint32_t len, uint32_t alloc)
{
    if (len > alloc) {
        len = alloc;
    }
    if (len == 0) {
        command_ok(ch, d, IDE_CMD_DELAY_NS);
        return;
    }
    ch->buf_len = len;
    ch->data_pos = 0;
    ch->nleft = 0;
    ch->atapi_left = len;
    start_data(ch, d);
}

static void start_read(IdeChannel *ch, IdeDrive *d, uint32_t lba, uint32_t count)
{
    if ((uint64_t)lba + count > d->nsectors) {
        check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        return;
    }
    if (count == 0) {
        command_ok(ch, d, IDE_CMD_DELAY_NS);
        return;
    }
    if (count > UINT32_MAX / CD_SECTOR) {
        check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
        return;
    }
    ch->lba = lba;
    ch->nleft = count;
    ch->buf_len = 0;
    ch->data_pos = 0;
    ch->atapi_left = count * CD_SECTOR;
    start_data(ch, d);
}

/* Read the next sectors of a READ command into the buffer. */
static bool refill(IdeChannel *ch, IdeDrive *d)
{
    uint32_t n = ch->nleft < IDE_BUF_SIZE / CD_SECTOR ? ch->nleft : IDE_BUF_SIZE / CD_SECTOR;
    if (n == 0 || !has_medium(d) ||
        block_read(d->blk, ch->lba * CD_SECTOR, ch->buf, n * CD_SECTOR)) {
        return false;
    }
    ch->buf_len = n * CD_SECTOR;
    ch->data_pos = 0;
    ch->lba += n;
    ch->nleft -= n;
    return true;
}

void atapi_pio_window(IdeChannel *ch)
{
    IdeDrive *d = ide_cur(ch);
    if (ch->data_pos >= ch->buf_len && !refill(ch, d)) {
        check_condition(ch, d, SENSE_MEDIUM_ERROR, ASC_READ_ERROR, 0);
        return;
    }
    uint32_t limit = ch->byte_limit;
    if (limit == 0 || limit == 0xFFFF) {
        limit = 0xFFFE;
    }
    uint32_t w = ch->buf_len - ch->data_pos;
    if (w > ch->atapi_left) {
        w = ch->atapi_left;
    }
    if (w > limit) {
        /* more follows: an even window, whole sectors when the limit allows */
        w = limit & ~1u;
        if (w >= CD_SECTOR) {
            w -= w % CD_SECTOR;
        }
        if (w == 0) {
            w = 2;
        }
    }
    ch->data_end = ch->data_pos + w;
    ch->atapi_left -= w;
    d->lcyl = (uint8_t)w;
    d->hcyl = (uint8_t)(w >> 8);
    d->nsector = IDE_IR_IO;
    d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ;
    ch->phase = IDE_PH_ATAPI_IN;
    ide_raise_irq(ch);
}

void atapi_window_done(IdeChannel *ch)
{
    IdeDrive *d = ide_cur(ch);
    if (ch->atapi_left) {
        d->status = IDE_ST_BSY;
        ch->phase = IDE_PH_BUSY;
        ide_schedule(ch, IDE_ACT_ATAPI_PIO, IDE_BLOCK_DELAY_NS);
    } else {
        command_ok(ch, d, IDE_BLOCK_DELAY_NS);
    }
}

void atapi_dma(IdeChannel *ch)
{
    IdeDrive *d = ide_cur(ch);
    bool short_prd = false, read_error = false;
    while (ch->atapi_left) {
        if (ch->data_pos >= ch->buf_len && !refill(ch, d)) {
            read_error = true;
            break;
        }
        uint32_t n = ch->buf_len - ch->data_pos;
        if (n > ch->atapi_left) {
            n = ch->atapi_left;
        }
        uint32_t moved = ch->dma->rw(ch->dma_opaque, ch->buf + ch->data_pos, n, true);
        ch->data_pos += moved;
        ch->atapi_left -= moved;
        if (moved < n) {
            short_prd = true;
            break;
        }
    }
    ch->atapi_left = 0;
    ch->data_pos = ch->data_end = ch->buf_len = 0;
    ch->phase = IDE_PH_IDLE;
    d->nsector = IDE_IR_IO | IDE_IR_COD;
    if (read_error || short_prd) {
        xlog(LOG_IDE, "ide%d: ATAPI DMA %s", ch->index,
             read_error ? "read error" : "PRD table too short");
        d->sense_key = read_error ? SENSE_MEDIUM_ERROR : SENSE_ILLEGAL_REQUEST;
        d->asc = read_error ? ASC_READ_ERROR : ASC_INVALID_FIELD;
        d->ascq = 0;
        d->error = (uint8_t)(d->sense_key << 4);
        d->status = IDE_ST_DRDY | IDE_ST_ERR;
    } else {
        d->sense_key = d->asc = d->ascq = 0;
        d->error = 0;
        d->status = IDE_ST_DRDY | IDE_ST_DSC;
    }
    ch->dma->done(ch->dma_opaque, read_error || short_prd);
    ide_raise_irq(ch);
}

/* ---- replies ---- */

static uint32_t inquiry(uint8_t *p)
{
    memset(p, 0, 36);
    p[0] = 0x05; /* CD/DVD device */
    p[1] = 0x80; /* removable */
    p[2] = 0x00;
    p[3] = 0x21; /* ATAPI version 2, response data format 1 */
    p[4] = 31;   /* additional length */
    memcpy(p + 8, "X86PC   ", 8);
    memcpy(p + 16, "CD-ROM          ", 16);
    memcpy(p + 32, "0.1 ", 4);
    return 36;
}

static uint32_t request_sense(IdeDrive *d, uint8_t *p)
{
    memset(p, 0, 18);
    p[0] = 0x70; /* current error, fixed format */
    p[7] = 10;   /* additional length */
    if (d->ua_pending) {
        d->ua_pending = 0;
        p[2] = SENSE_UNIT_ATTENTION;
        p[12] = ASC_MEDIUM_MAY_HAVE_CHANGED;
    } else {
        p[2] = d->sense_key;
        p[12] = d->asc;
        p[13] = d->ascq;
    }
    d->sense_key = d->asc = d->ascq = 0;
    return 18;
}

/* Mode page `page` (or all for 3Fh) at p; pc 1 asks for the changeable mask (nothing is). */
static uint32_t mode_pages(const IdeDrive *d, uint8_t page, uint8_t pc, uint8_t *p)
{
    uint32_t n = 0;
    if (page == 0x01 || page == 0x3F) {
        uint8_t *q = p + n;
        memset(q, 0, 12);
        q[0] = 0x01;
        q[1] = 0x0A;
        if (pc != 1) {
            q[3] = 5; /* read retry count */
        }
        n += 12;
    }
    if (page == 0x2A || page == 0x3F) {
        uint8_t *q = p + n;
        memset(q, 0, 22);
        q[0] = 0x2A;
        q[1] = 0x14;
        if (pc != 1) {
            q[2] = 0x03; /* reads CD-R and CD-RW */
            q[3] = 0x00; /* writes nothing */
            q[4] = 0x71; /* audio play, mode 2 form 1 and 2, multisession */
            q[5] = 0x00;
            q[6] = (uint8_t)(0x29 | (d->locked ? 0x02 : 0)); /* tray, eject, lock */
            q[7] = 0x03;                                     /* separate volume and mute */
            put_be16(q + 8, 706);                            /* maximum read speed, KB/s (4x) */
            put_be16(q + 10, 256);                           /* volume levels */
            put_be16(q + 12, 512);                           /* buffer, KB */
            put_be16(q + 14, 706);                           /* current read speed */
        }
        n += 22;
    }
    return n;
}

static void mode_sense(IdeChannel *ch, IdeDrive *d, const uint8_t *cdb, bool ten)
{
    uint8_t page = cdb[2] & 0x3F, pc = cdb[2] >> 6;
    uint32_t alloc = ten ? be16(cdb + 7) : cdb[4];
    if (pc == 3) {
        check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_SAVING_NOT_SUPPORTED, 0);
        return;
    }
    uint32_t hdr = ten ? 8 : 4;
    uint8_t *p = ch->buf;
    memset(p, 0, hdr);
    uint32_t n = mode_pages(d, page, pc, p + hdr);
    if (n == 0) {
        check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
        return;
    }
    uint32_t total = hdr + n;
    uint8_t medium = has_medium(d) ? 0x01 : 0x70; /* 120 mm data disc / no disc */
    if (ten) {
        put_be16(p, total - 2);
        p[2] = medium;
    } else {
        p[0] = (uint8_t)(total - 1);
        p[1] = medium;
    }
    reply(ch, d, total, alloc);
}

static void read_toc(IdeChannel *ch, IdeDrive *d, const uint8_t *cdb)
{
    bool msf = cdb[1] & 2;
    uint8_t format = cdb[2] & 0x0F;
    if (format == 0) {
        format = cdb[9] >> 6; /* the SFF-8020 place of the format */
    }
    uint8_t track = cdb[6];
    uint32_t alloc = be16(cdb + 7);
    uint32_t leadout = (uint32_t)d->nsectors;
    uint8_t *p = ch->buf;
    uint32_t n;
    switch (format) {
    case 0:
        if (track > 1 && track != 0xAA) {
            check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
            return;
        }
        n = 4;
        p[2] = 1; /* first and last track */
        p[3] = 1;
        if (track <= 1) {
            memset(p + n, 0, 8);
            p[n + 1] = 0x14; /* ADR 1, data track */
            p[n + 2] = 1;
            put_addr(p + n + 4, 0, msf);
            n += 8;
        }
        memset(p + n, 0, 8);
        p[n + 1] = 0x14;
        p[n + 2] = 0xAA; /* lead-out */
        put_addr(p + n + 4, leadout, msf);
        n += 8;
        put_be16(p, n - 2);
        break;
    case 1: /* session information: one session starting with track 1 */
        memset(p, 0, 12);
        put_be16(p, 10);
        p[2] = 1;
        p[3] = 1;
        p[5] = 0x14;
        p[6] = 1;
        put_addr(p + 8, 0, msf);
        n = 12;
        break;
    case 2: { /* raw TOC: points A0, A1, A2 and track 1, always MSF */
        static const uint8_t kPoints[4] = {0xA0, 0xA1, 0xA2, 0x01};
        n = 4;
        p[2] = 1;
        p[3] = 1;
        for (int i = 0; i < 4; i++) {
            uint8_t *q = p + n;
            memset(q, 0, 11);
            q[0] = 1;    /* session */
            q[1] = 0x14; /* ADR 1, data track */
            q[3] = kPoints[i];
            if (kPoints[i] == 0xA0) {
                q[8] = 1; /* first track; PSEC 0: CD-DA or CD-ROM disc */
            } else if (kPoints[i] == 0xA1) {
                q[8] = 1; /* last track */
            } else {
                uint8_t a[4];
                put_addr(a, kPoints[i] == 0xA2 ? leadout : 0, true);
                q[8] = a[1];
                q[9] = a[2];
                q[10] = a[3];
            }
            n += 11;
        }
        put_be16(p, n - 2);
        break;
    }
    default:
        check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
        return;
    }
    reply(ch, d, n, alloc);
}

/* GET CONFIGURATION: the CD-ROM profile with the features a read-only drive has. */
static void get_configuration(IdeChannel *ch, IdeDrive *d, const uint8_t *cdb)
{
    uint8_t rt = cdb[1] & 3;
    uint16_t start = be16(cdb + 2);
    uint32_t alloc = be16(cdb + 7);
    bool cur = has_medium(d);
    uint8_t *p = ch->buf;
    memset(p, 0, 8);
    put_be16(p + 6, cur ? 0x0008 : 0x0000); /* current profile: CD-ROM */
    uint32_t n = 8;
    /* {feature code, version/persistent/current byte, additional bytes} */
    struct Feat {
        uint16_t code;
        uint8_t flags;
        uint8_t len;
        uint8_t data[8];
    };
    const struct Feat feats[] = {
        {0x0000, 0x03, 4, {0x00, 0x08, (uint8_t)(cur ? 1 : 0), 0}}, /* profile list */
        {0x0001, 0x0B, 8, {0, 0, 0, 2, 0x01, 0, 0, 0}},             /* core: ATAPI, DBE */
        {0x0002, 0x07, 4, {0x02, 0, 0, 0}},                         /* morphing: polled events */
        {0x0003, 0x03, 4, {0x29, 0, 0, 0}}, /* removable medium: tray, eject, lock */
        {0x0010, (uint8_t)(cur ? 0x01 : 0x00), 8, {0, 0, 0x08, 0x00, 0, 1, 0, 0}}, /* random read */
        {0x001E, (uint8_t)(0x08 | (cur ? 0x01 : 0x00)), 4, {0, 0, 0, 0}},          /* CD read */
    };
    for (size_t i = 0; i < sizeof feats / sizeof feats[0]; i++) {
        const struct Feat *f = &feats[i];
        if (f->code < start || (rt == 1 && !(f->flags & 1)) || (rt == 2 && f->code != start)) {
            continue;
        }
        put_be16(p + n, f->code);
        p[n + 2] = f->flags;
        p[n + 3] = f->len;
        memcpy(p + n + 4, f->data, f->len);
        n += 4u + f->len;
    }
    put_be32(p, n - 4);
    reply(ch, d, n, alloc);
}

static void get_event_status(IdeChannel *ch, IdeDrive *d, const uint8_t *cdb)
{
    if (!(cdb[1] & 1)) { /* only polled operation */
        check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
        return;
    }
    uint32_t alloc = be16(cdb + 7);
    uint8_t *p = ch->buf;
    memset(p, 0, 8);
    uint32_t n;
    if (cdb[4] & 0x10) {
        put_be16(p, 6);
        p[2] = 0x04; /* media class */
        p[3] = 0x10; /* supported: media */
        p[4] = d->media_event;
        p[5] = (uint8_t)((has_medium(d) ? 0x02 : 0) | (d->tray_open ? 0x01 : 0));
        d->media_event = 0;
        n = 8;
    } else {
        put_be16(p, 2);
        p[2] = 0x80; /* no event available */
        p[3] = 0x10;
        n = 4;
    }
    reply(ch, d, n, alloc);
}

static uint32_t disc_information(const IdeDrive *d, uint8_t *p)
{
    memset(p, 0, 34);
    put_be16(p, 32);
    p[2] = 0x0E;                   /* last session complete, disc complete */
    p[3] = 1;                      /* first track */
    p[4] = 1;                      /* sessions */
    p[5] = 1;                      /* first track of the last session */
    p[6] = 1;                      /* last track of the last session */
    p[7] = 0x20;                   /* unrestricted use */
    p[8] = 0x00;                   /* CD-DA or CD-ROM */
    put_be32(p + 16, 0xFFFFFFFFu); /* no next session */
    put_be32(p + 20, 0xFFFFFFFFu);
    return 34;
}

/* READ TRACK INFORMATION for the one track (by LBA, track 1, or session 1). */
static void track_information(IdeChannel *ch, IdeDrive *d, const uint8_t *cdb)
{
    uint8_t type = cdb[1] & 3;
    uint32_t addr = be32(cdb + 2);
    bool ok =
        (type == 0 && addr < d->nsectors) || (type == 1 && addr == 1) || (type == 2 && addr == 1);
    if (!ok) {
        check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
        return;
    }
    uint8_t *p = ch->buf;
    memset(p, 0, 36);
    put_be16(p, 34);
    p[2] = 1;                                    /* track */
    p[3] = 1;                                    /* session */
    p[5] = 0x04;                                 /* data track, recorded uninterrupted */
    p[6] = 0x01;                                 /* data mode 1 */
    put_be32(p + 24, (uint32_t)d->nsectors);     /* track size */
    put_be32(p + 28, (uint32_t)d->nsectors - 1); /* last recorded address */
    reply(ch, d, 36, be16(cdb + 7));
}

void atapi_packet(IdeChannel *ch, IdeDrive *d)
{
    uint8_t cdb[12];
    memcpy(cdb, ch->buf, sizeof cdb);
    uint8_t op = cdb[0];
    xlog(LOG_IDE, "ide%d.%d: ATAPI 0x%02x %s", ch->index, ch->unit, op,
         ch->use_dma ? "dma" : "pio");
    ch->buf_len = 0;
    ch->data_pos = ch->data_end = 0;
    ch->atapi_left = 0;
    ch->nleft = 0;
    /* a pending unit attention fails the first command that is not about status */
    if (d->ua_pending && op != 0x03 && op != 0x12 && op != 0x46 && op != 0x4A) {
        d->ua_pending = 0;
        check_condition(ch, d, SENSE_UNIT_ATTENTION, ASC_MEDIUM_MAY_HAVE_CHANGED, 0);
        return;
    }
    bool needs_medium = op == 0x00 || op == 0x25 || op == 0x28 || op == 0xA8 || op == 0x2B ||
                        op == 0x43 || op == 0x51 || op == 0x52 || op == 0xBE;
    if (needs_medium && !has_medium(d)) {
        check_condition(ch, d, SENSE_NOT_READY, ASC_NO_MEDIUM, d->tray_open ? 0x02 : 0x01);
        return;
    }
    uint8_t *p = ch->buf;
    switch (op) {
    case 0x00: /* TEST UNIT READY */
        command_ok(ch, d, IDE_CMD_DELAY_NS);
        return;
    case 0x03: /* REQUEST SENSE */
        reply(ch, d, request_sense(d, p), cdb[4]);
        return;
    case 0x12: /* INQUIRY */
        if (cdb[1] & 1) {
            check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
            return;
        }
        reply(ch, d, inquiry(p), be16(cdb + 3));
        return;
    case 0x1B: { /* START STOP UNIT */
        bool loej = cdb[4] & 2, start = cdb[4] & 1;
        if (loej && !start) {
            if (d->locked) {
                check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 0x02);
                return;
            }
            d->tray_open = 1;
            d->media_event = d->blk ? 3 : 0;
        } else if (loej && start && d->tray_open) {
            d->tray_open = 0;
            d->media_event = d->blk ? 2 : 0;
        }
        command_ok(ch, d, IDE_CMD_DELAY_NS);
        return;
    }
    case 0x1E: /* PREVENT ALLOW MEDIUM REMOVAL */
        d->locked = cdb[4] & 1;
        command_ok(ch, d, IDE_CMD_DELAY_NS);
        return;
    case 0x25: /* READ CAPACITY */
        put_be32(p, (uint32_t)(d->nsectors - 1));
        put_be32(p + 4, CD_SECTOR);
        reply(ch, d, 8, 8);
        return;
    case 0x28: /* READ(10) */
        start_read(ch, d, be32(cdb + 2), be16(cdb + 7));
        return;
    case 0xA8: /* READ(12) */
        start_read(ch, d, be32(cdb + 2), be32(cdb + 6));
        return;
    case 0xBE: { /* READ CD: user data of mode 1 sectors only */
        uint8_t type = (cdb[1] >> 2) & 7;
        uint32_t count = (uint32_t)cdb[6] << 16 | (uint32_t)cdb[7] << 8 | cdb[8];
        if (cdb[9] == 0) {
            command_ok(ch, d, IDE_CMD_DELAY_NS);
        } else if ((type == 0 || type == 2) && cdb[9] == 0x10) {
            start_read(ch, d, be32(cdb + 2), count);
        } else {
            check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
        }
        return;
    }
    case 0x2B: /* SEEK(10) */
        if (be32(cdb + 2) >= d->nsectors) {
            check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
        } else {
            command_ok(ch, d, IDE_CMD_DELAY_NS);
        }
        return;
    case 0x1A: /* MODE SENSE(6) */
        mode_sense(ch, d, cdb, false);
        return;
    case 0x5A: /* MODE SENSE(10) */
        mode_sense(ch, d, cdb, true);
        return;
    case 0x43: /* READ TOC/PMA/ATIP */
        read_toc(ch, d, cdb);
        return;
    case 0x46: /* GET CONFIGURATION */
        get_configuration(ch, d, cdb);
        return;
    case 0x4A: /* GET EVENT STATUS NOTIFICATION */
        get_event_status(ch, d, cdb);
        return;
    case 0x51: /* READ DISC INFORMATION */
        reply(ch, d, disc_information(d, p), be16(cdb + 7));
        return;
    case 0x52: /* READ TRACK INFORMATION */
        track_information(ch, d, cdb);
        return;
    case 0xBD: /* MECHANISM STATUS */
        memset(p, 0, 8);
        p[1] = (uint8_t)(d->tray_open ? 0x10 : 0);
        reply(ch, d, 8, be16(cdb + 8));
        return;
    case 0xBB: /* SET CD SPEED */
        command_ok(ch, d, IDE_CMD_DELAY_NS);
        return;
    default:
        check_condition(ch, d, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
        return;
    }
}
