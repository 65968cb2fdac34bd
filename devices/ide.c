/* An IDE channel with ATA disks, following ATA/ATAPI-6 (T13 1410D): the command block registers
 * at base+0..7 (data, error/features, sector count, LBA low/mid/high, device, status/command) and
 * the control block register (alternate status / device control) at base+0x206; both devices
 * latch every task file write and the selected one answers reads; the 48-bit address feature
 * set with the "previous content" (HOB) registers; the PIO data-in, PIO data-out, non-data and
 * DMA protocols with their BSY/DRQ sequences (section 9); software reset through SRST with the
 * device signatures (ATA 01/01/00/00, PACKET 01/01/14/EB) and diagnostic code 01; nIEN; and
 * the PACKET command protocol whose SCSI/MMC commands devices/atapi.c carries out.
 *
 * Departures from a real drive: no seek or rotation times (results come IDE_CMD_DELAY_NS after
 * the command, PIO blocks IDE_BLOCK_DELAY_NS apart, a DMA command moves all its data at once when
 * both the drive and the bus master are ready); one INTRQ per channel rather than per device;
 * SLEEP behaves as STANDBY (any command wakes the device). A channel with no device reads 0x7F
 * in every register, as the PIIX's floating bus with the pull-down on DD7 does; an absent
 * device next to a present one reads 0 except for the device register, so that SeaBIOS's and
 * Linux's presence checks see nothing there.
 */
#include "devices/ide.h"

#include <stdio.h>
#include <string.h>

#include "devices/ide_int.h"
#include "mmu/log.h"

/* ---- saved state ---- */

static const VmsField kIdeDriveFields[] = {
    VMS_U8F(IdeDrive, feature),     VMS_U8F(IdeDrive, nsector),
    VMS_U8F(IdeDrive, sector),      VMS_U8F(IdeDrive, lcyl),
    VMS_U8F(IdeDrive, hcyl),        VMS_U8F(IdeDrive, hob_feature),
    VMS_U8F(IdeDrive, hob_nsector), VMS_U8F(IdeDrive, hob_sector),
    VMS_U8F(IdeDrive, hob_lcyl),    VMS_U8F(IdeDrive, hob_hcyl),
    VMS_U8F(IdeDrive, select),      VMS_U8F(IdeDrive, status),
    VMS_U8F(IdeDrive, error),       VMS_U8F(IdeDrive, mult_sectors),
    VMS_U8F(IdeDrive, xfer_mode),   VMS_U8F(IdeDrive, power),
    VMS_U8F(IdeDrive, write_cache), VMS_U16F(IdeDrive, cur_heads),
    VMS_U16F(IdeDrive, cur_secs),   VMS_U32F(IdeDrive, cur_cyls),
    VMS_U8F(IdeDrive, sense_key),   VMS_U8F(IdeDrive, asc),
    VMS_U8F(IdeDrive, ascq),        VMS_U8F(IdeDrive, ua_pending),
    VMS_U8F(IdeDrive, media_event), VMS_U8F(IdeDrive, locked),
    VMS_U8F(IdeDrive, tray_open),   VMS_FIELDS_END,
};
static const VmsDesc kIdeDriveDesc = {"ide-drive", 1, kIdeDriveFields, NULL, NULL};

static int ide_post_load(void *opaque);
static const VmsField kIdeChannelFields[] = {
    VMS_U8F(IdeChannel, unit),
    VMS_U8F(IdeChannel, devctl),
    VMS_U8F(IdeChannel, intrq),
    VMS_U8F(IdeChannel, cmd),
    VMS_U8F(IdeChannel, phase),
    VMS_U8F(IdeChannel, action),
    VMS_U8F(IdeChannel, lba48),
    VMS_U8F(IdeChannel, is_write),
    VMS_U8F(IdeChannel, use_dma),
    VMS_U64F(IdeChannel, lba),
    VMS_U32F(IdeChannel, nleft),
    VMS_U32F(IdeChannel, blk_sectors),
    VMS_U32F(IdeChannel, data_pos),
    VMS_U32F(IdeChannel, data_end),
    VMS_U32F(IdeChannel, buf_len),
    VMS_U32F(IdeChannel, atapi_left),
    VMS_U16F(IdeChannel, byte_limit),
    VMS_U8F(IdeChannel, next_status),
    VMS_U8F(IdeChannel, next_irq),
    VMS_U8F(IdeChannel, dma_waiting),
    VMS_TIMERF(IdeChannel, timer),
    VMS_ARRAY(IdeChannel, buf, VMS_U8, IDE_BUF_SIZE),
    VMS_FIELDS_END,
};
static const VmsDesc kIdeChannelDesc = {"ide", 1, kIdeChannelFields, NULL, ide_post_load};

/* ---- interrupts and timing ---- */

static void update_irq(IdeChannel *ch)
{
    int level = ch->intrq && !(ch->devctl & IDE_DC_NIEN);
    if (level != ch->irq.level) {
        irq_set(&ch->irq, level);
    }
}

void ide_raise_irq(IdeChannel *ch)
{
    ch->intrq = 1;
    if (ch->dma && ch->dma->intr) {
        ch->dma->intr(ch->dma_opaque);
    }
    update_irq(ch);
}

static void lower_irq(IdeChannel *ch)
{
    ch->intrq = 0;
    update_irq(ch);
}

static int ide_post_load(void *opaque)
{
    IdeChannel *ch = opaque;
    if (ch->data_pos > IDE_BUF_SIZE || ch->data_end > IDE_BUF_SIZE || ch->buf_len > IDE_BUF_SIZE ||
        ch->unit > 1 || ch->phase > IDE_PH_DMA || ch->action > IDE_ACT_DIAG ||
        ch->blk_sectors > IDE_MAX_MULT) {
        return -1;
    }
    ch->irq.level = -1; /* the line's level is not saved: drive it from INTRQ and nIEN */
    update_irq(ch);
    return 0;
}

IdeDrive *ide_cur(IdeChannel *ch)
{
    return &ch->drive[ch->unit];
}

void ide_schedule(IdeChannel *ch, uint8_t action, uint32_t delay_ns)
{
    ch->action = action;
    timer_mod(&ch->timer, clock_now(ch->clock) + delay_ns);
}

/* Present `status` (and INTRQ if irq) after `delay_ns`; BSY until then. */
void ide_finish_later(IdeChannel *ch, uint8_t status, bool irq, uint32_t delay_ns)
{
    IdeDrive *d = ide_cur(ch);
    d->status = IDE_ST_BSY;
    ch->phase = IDE_PH_BUSY;
    ch->next_status = status;
    ch->next_irq = irq;
    ide_schedule(ch, IDE_ACT_STATUS, delay_ns);
}

static void cmd_error(IdeChannel *ch, uint8_t err)
{
    IdeDrive *d = ide_cur(ch);
    d->error = err;
    ide_finish_later(ch, IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_ERR, true, IDE_CMD_DELAY_NS);
}

static void cmd_ok(IdeChannel *ch)
{
    ide_finish_later(ch, IDE_ST_DRDY | IDE_ST_DSC, true, IDE_CMD_DELAY_NS);
}

/* ---- signatures and IDENTIFY ---- */

static void set_signature(IdeDrive *d)
{
    d->nsector = 1;
    d->sector = 1;
    if (d->kind == IDE_CDROM) {
        d->lcyl = 0x14;
        d->hcyl = 0xEB;
    } else {
        d->lcyl = 0;
        d->hcyl = 0;
    }
    d->hob_nsector = d->hob_sector = d->hob_lcyl = d->hob_hcyl = d->hob_feature = 0;
    d->select = 0;
    d->error = 0x01; /* diagnostics passed */
}

static uint8_t ready_status(const IdeDrive *d)
{
    return d->kind == IDE_DISK ? IDE_ST_DRDY | IDE_ST_DSC : 0;
}

static void put_word(uint8_t *p, int w, uint16_t v)
{
    p[2 * w] = (uint8_t)v;
    p[2 * w + 1] = (uint8_t)(v >> 8);
}

/* ATA strings: two characters a word, the first in the high byte, padded with spaces. */
static void put_string(uint8_t *p, int first_word, int nwords, const char *s)
{
    size_t len = strlen(s);
    for (int i = 0; i < 2 * nwords; i++) {
        char c = (size_t)i < len ? s[i] : ' ';
        p[2 * first_word + (i ^ 1)] = (uint8_t)c;
    }
}

static uint16_t mwdma_word(const IdeDrive *d)
{
    uint16_t w = 0x0007; /* multiword DMA modes 0-2 supported */
    if ((d->xfer_mode & 0xF8) == 0x20) {
        w |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    }
    return w;
}

static uint16_t udma_word(const IdeDrive *d)
{
    uint16_t w = 0x003F; /* Ultra DMA modes 0-5 supported */
    if ((d->xfer_mode & 0xF8) == 0x40) {
        w |= (uint16_t)(0x100 << (d->xfer_mode & 7));
    }
    return w;
}

/* Word 255: signature A5h and a checksum making the 512 bytes sum to zero. */
static void put_integrity(uint8_t *p)
{
    p[510] = 0xA5;
    uint8_t sum = 0;
    for (int i = 0; i < 511; i++) {
        sum = (uint8_t)(sum + p[i]);
    }
    p[511] = (uint8_t)-sum;
}

static void build_identify(IdeDrive *d, uint8_t *p)
{
    memset(p, 0, 512);
    uint64_t n = d->nsectors;
    put_word(p, 0, 0x0040); /* fixed device */
    put_word(p, 1, d->cyls);
    put_word(p, 3, d->heads);
    put_word(p, 4, (uint16_t)(512 * d->secs)); /* retired: unformatted bytes per track */
    put_word(p, 5, 512);
    put_word(p, 6, d->secs);
    put_string(p, 10, 10, d->serial);
    put_word(p, 20, 3);   /* retired: buffer type */
    put_word(p, 21, 512); /* retired: buffer size */
    put_string(p, 23, 4, d->fw_rev);
    put_string(p, 27, 20, d->model);
    put_word(p, 47, 0x8000 | IDE_MAX_MULT);
    put_word(p, 49, 0x0B00); /* IORDY, LBA, DMA */
    put_word(p, 50, 0x4000);
    put_word(p, 51, 0x0200); /* PIO mode 2 timing */
    put_word(p, 53, 0x0007); /* words 54-58, 64-70 and 88 are valid */
    put_word(p, 54, (uint16_t)(d->cur_cyls > 0xFFFF ? 0xFFFF : d->cur_cyls));
    put_word(p, 55, d->cur_heads);
    put_word(p, 56, d->cur_secs);
    uint64_t cur_cap = (uint64_t)d->cur_cyls * d->cur_heads * d->cur_secs;
    if (cur_cap > 0xFFFFFFFFu) {
        cur_cap = 0xFFFFFFFFu;
    }
    put_word(p, 57, (uint16_t)cur_cap);
    put_word(p, 58, (uint16_t)(cur_cap >> 16));
    put_word(p, 59, d->mult_sectors ? (uint16_t)(0x100 | d->mult_sectors) : 0);
    uint64_t lba28 = n < 0x0FFFFFFF ? n : 0x0FFFFFFF;
    put_word(p, 60, (uint16_t)lba28);
    put_word(p, 61, (uint16_t)(lba28 >> 16));
    put_word(p, 63, mwdma_word(d));
    put_word(p, 64, 0x0003); /* PIO modes 3 and 4 */
    put_word(p, 65, 120);
    put_word(p, 66, 120);
    put_word(p, 67, 120);
    put_word(p, 68, 120);
    put_word(p, 80, 0x007E); /* ATA-1 to ATA-6 */
    put_word(p, 82, 0x0028); /* power management, write cache */
    put_word(p, 83, 0x7400); /* FLUSH CACHE EXT, FLUSH CACHE, 48-bit addresses */
    put_word(p, 84, 0x4000);
    put_word(p, 85, d->write_cache ? 0x0028 : 0x0008);
    put_word(p, 86, 0x3400);
    put_word(p, 87, 0x4000);
    put_word(p, 88, udma_word(d));
    put_word(p, 93, 0x600B); /* reset result: jumpered, diagnostics passed, 80-wire cable */
    for (int i = 0; i < 4; i++) {
        put_word(p, 100 + i, (uint16_t)(n >> (16 * i)));
    }
    put_integrity(p);
}

static void build_identify_packet(IdeDrive *d, uint8_t *p)
{
    memset(p, 0, 512);
    put_word(p, 0, 0x85C0); /* ATAPI, CD-ROM, removable, accelerated DRQ, 12-byte packets */
    put_string(p, 10, 10, d->serial);
    put_string(p, 23, 4, d->fw_rev);
    put_string(p, 27, 20, d->model);
    put_word(p, 49, 0x0B00); /* IORDY, LBA, DMA */
    put_word(p, 50, 0x4000);
    put_word(p, 51, 0x0200);
    put_word(p, 53, 0x0006); /* words 64-70 and 88 are valid */
    put_word(p, 63, mwdma_word(d));
    put_word(p, 64, 0x0003);
    put_word(p, 65, 120);
    put_word(p, 66, 120);
    put_word(p, 67, 120);
    put_word(p, 68, 120);
    put_word(p, 71, 30); /* PACKET to bus release, ns */
    put_word(p, 72, 30); /* SERVICE to BSY clear */
    put_word(p, 80, 0x007E);
    put_word(p, 82, 0x0218); /* DEVICE RESET, PACKET, power management */
    put_word(p, 83, 0x4000);
    put_word(p, 84, 0x4000);
    put_word(p, 85, 0x0218);
    put_word(p, 86, 0x0000);
    put_word(p, 87, 0x4000);
    put_word(p, 88, udma_word(d));
    put_word(p, 93, 0x600B);
    put_integrity(p);
}

/* ---- addresses ---- */

/* The command's starting sector and count from the task file; false for a CHS address outside
 * the current geometry. */
static bool get_lba(IdeChannel *ch, IdeDrive *d, uint64_t *lba, uint32_t *count)
{
    if (ch->lba48) {
        *lba = (uint64_t)d->sector | (uint64_t)d->lcyl << 8 | (uint64_t)d->hcyl << 16 |
               (uint64_t)d->hob_sector << 24 | (uint64_t)d->hob_lcyl << 32 |
               (uint64_t)d->hob_hcyl << 40;
        uint32_t c = (uint32_t)d->nsector | (uint32_t)d->hob_nsector << 8;
        *count = c ? c : 65536;
        return true;
    }
    *count = d->nsector ? d->nsector : 256;
    if (d->select & 0x40) {
        *lba = (uint64_t)d->sector | (uint64_t)d->lcyl << 8 | (uint64_t)d->hcyl << 16 |
               (uint64_t)(d->select & 0x0F) << 24;
        return true;
    }
    uint32_t cyl = d->lcyl | (uint32_t)d->hcyl << 8;
    uint32_t head = d->select & 0x0F;
    uint32_t sect = d->sector;
    if (sect == 0 || sect > d->cur_secs || head >= d->cur_heads) {
        return false;
    }
    *lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_secs + sect - 1;
    return true;
}

/* After a transfer or an error: the task file holds the address of the last sector reached. */
static void set_lba(IdeChannel *ch, IdeDrive *d, uint64_t lba)
{
    if (ch->lba48) {
        d->sector = (uint8_t)lba;
        d->lcyl = (uint8_t)(lba >> 8);
        d->hcyl = (uint8_t)(lba >> 16);
        d->hob_sector = (uint8_t)(lba >> 24);
        d->hob_lcyl = (uint8_t)(lba >> 32);
        d->hob_hcyl = (uint8_t)(lba >> 40);
    } else if (d->select & 0x40) {
        d->sector = (uint8_t)lba;
        d->lcyl = (uint8_t)(lba >> 8);
        d->hcyl = (uint8_t)(lba >> 16);
        d->select = (uint8_t)((d->select & 0xF0) | ((lba >> 24) & 0x0F));
    } else if (d->cur_heads && d->cur_secs) {
        uint64_t per_cyl = (uint64_t)d->cur_heads * d->cur_secs;
        uint64_t cyl = lba / per_cyl;
        uint32_t rem = (uint32_t)(lba % per_cyl);
        d->lcyl = (uint8_t)cyl;
        d->hcyl = (uint8_t)(cyl >> 8);
        d->select = (uint8_t)((d->select & 0xF0) | (rem / d->cur_secs));
        d->sector = (uint8_t)(rem % d->cur_secs + 1);
    }
}

/* ---- ATA data commands ---- */

static void start_rw(IdeChannel *ch, IdeDrive *d, bool write, bool dma, bool multiple)
{
    uint64_t lba;
    uint32_t count;
    if (!get_lba(ch, d, &lba, &count)) {
        cmd_error(ch, IDE_ER_IDNF | IDE_ER_ABRT);
        return;
    }
    if (lba >= d->nsectors || count > d->nsectors - lba) {
        xlog(LOG_IDE, "ide%d: sectors %llu+%u beyond the disk (%llu)", ch->index,
             (unsigned long long)lba, count, (unsigned long long)d->nsectors);
        set_lba(ch, d, lba < d->nsectors ? d->nsectors - 1 : lba);
        cmd_error(ch, IDE_ER_IDNF);
        return;
    }
    if (multiple && !d->mult_sectors) {
        cmd_error(ch, IDE_ER_ABRT);
        return;
    }
    ch->lba = lba;
    ch->nleft = count;
    ch->is_write = write;
    ch->use_dma = dma;
    ch->blk_sectors = multiple ? d->mult_sectors : 1;
    d->status = IDE_ST_BSY;
    ch->phase = IDE_PH_BUSY;
    if (dma) {
        d->status = IDE_ST_BSY | IDE_ST_DRQ;
        ch->phase = IDE_PH_DMA;
        ide_schedule(ch, IDE_ACT_DMA, IDE_CMD_DELAY_NS);
    } else if (write) {
        ide_schedule(ch, IDE_ACT_PIO_OUT, IDE_CMD_DELAY_NS);
    } else {
        ide_schedule(ch, IDE_ACT_PIO_IN, IDE_CMD_DELAY_NS);
    }
}

/* The next PIO data-in block: IDENTIFY data or sectors from the image. */
static void pio_in_block(IdeChannel *ch)
{
    IdeDrive *d = ide_cur(ch);
    if (ch->cmd == IDE_CMD_IDENTIFY || ch->cmd == IDE_CMD_IDENTIFY_PACKET) {
        if (ch->cmd == IDE_CMD_IDENTIFY) {
            build_identify(d, ch->buf);
        } else {
            build_identify_packet(d, ch->buf);
        }
        ch->nleft = 0;
        ch->data_pos = 0;
        ch->data_end = 512;
    } else {
        uint32_t n = ch->nleft < ch->blk_sectors ? ch->nleft : ch->blk_sectors;
        if (block_read(d->blk, ch->lba * 512, ch->buf, (size_t)n * 512)) {
            set_lba(ch, d, ch->lba);
            d->error = IDE_ER_UNC;
            d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_ERR;
            ch->phase = IDE_PH_IDLE;
            ide_raise_irq(ch);
            return;
        }
        ch->lba += n;
        ch->nleft -= n;
        ch->data_pos = 0;
        ch->data_end = n * 512;
    }
    ch->phase = IDE_PH_PIO_IN;
    d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ;
    ide_raise_irq(ch);
}

/* The data port emptied the PIO data-in window. */
static void pio_in_done(IdeChannel *ch)
{
    IdeDrive *d = ide_cur(ch);
    if (ch->nleft) {
        d->status = IDE_ST_BSY;
        ch->phase = IDE_PH_BUSY;
        ide_schedule(ch, IDE_ACT_PIO_IN, IDE_BLOCK_DELAY_NS);
        return;
    }
    /* the last block: no interrupt, straight to ready */
    if (ch->cmd != IDE_CMD_IDENTIFY && ch->cmd != IDE_CMD_IDENTIFY_PACKET) {
        set_lba(ch, d, ch->lba - 1);
    }
    ch->phase = IDE_PH_IDLE;
    d->status = ready_status(d) | (d->kind == IDE_CDROM ? IDE_ST_DRDY : 0);
}

/* Open the next PIO data-out window (the first one without an interrupt). */
static void pio_out_block(IdeChannel *ch, bool irq)
{
    IdeDrive *d = ide_cur(ch);
    uint32_t n = ch->nleft < ch->blk_sectors ? ch->nleft : ch->blk_sectors;
    ch->data_pos = 0;
    ch->data_end = n * 512;
    ch->phase = IDE_PH_PIO_OUT;
    d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_DRQ;
    if (irq) {
        ide_raise_irq(ch);
    }
}

/* The guest filled the data-out window: write it, then ask for more or complete. */
static void pio_out_done(IdeChannel *ch)
{
    IdeDrive *d = ide_cur(ch);
    uint32_t n = ch->data_end / 512;
    if (block_write(d->blk, ch->lba * 512, ch->buf, (size_t)n * 512)) {
        set_lba(ch, d, ch->lba);
        cmd_error(ch, IDE_ER_ABRT | IDE_ER_UNC);
        return;
    }
    ch->lba += n;
    ch->nleft -= n;
    d->status = IDE_ST_BSY;
    ch->phase = IDE_PH_BUSY;
    if (ch->nleft) {
        ide_schedule(ch, IDE_ACT_PIO_OUT_NEXT, IDE_BLOCK_DELAY_NS);
    } else {
        set_lba(ch, d, ch->lba - 1);
        ide_finish_later(ch, IDE_ST_DRDY | IDE_ST_DSC, true, IDE_BLOCK_DELAY_NS);
    }
}

/* A DMA command's data, once both the drive and the bus master are ready. */
static void ata_dma(IdeChannel *ch)
{
    IdeDrive *d = ide_cur(ch);
    bool short_prd = false, io_error = false;
    while (ch->nleft && !short_prd && !io_error) {
        uint32_t n = ch->nleft < IDE_BUF_SIZE / 512 ? ch->nleft : IDE_BUF_SIZE / 512;
        uint32_t bytes = n * 512;
        if (!ch->is_write) {
            if (block_read(d->blk, ch->lba * 512, ch->buf, bytes)) {
                io_error = true;
                break;
            }
            uint32_t moved = ch->dma->rw(ch->dma_opaque, ch->buf, bytes, true);
            if (moved < bytes) {
                short_prd = true;
                n = moved / 512;
            }
        } else {
            uint32_t moved = ch->dma->rw(ch->dma_opaque, ch->buf, bytes, false);
            if (moved < bytes) {
                short_prd = true;
                n = moved / 512;
            }
            if (n && block_write(d->blk, ch->lba * 512, ch->buf, (size_t)n * 512)) {
                io_error = true;
                break;
            }
        }
        ch->lba += n;
        ch->nleft -= n;
    }
    ch->phase = IDE_PH_IDLE;
    if (short_prd || io_error) {
        xlog(LOG_IDE, "ide%d: DMA %s at sector %llu", ch->index,
             short_prd ? "PRD table too short" : "I/O error", (unsigned long long)ch->lba);
        set_lba(ch, d, ch->lba);
        d->error = io_error ? (ch->is_write ? IDE_ER_ABRT : IDE_ER_UNC) : IDE_ER_ABRT;
        d->status = IDE_ST_DRDY | IDE_ST_DSC | IDE_ST_ERR;
    } else {
        set_lba(ch, d, ch->lba - 1);
        d->status = IDE_ST_DRDY | IDE_ST_DSC;
    }
    ch->dma->done(ch->dma_opaque, short_prd || io_error);
    ide_raise_irq(ch);
}

/* ---- resets ---- */

static void cancel_command(IdeChannel *ch)
{
    timer_del(&ch->timer);
    ch->phase = IDE_PH_IDLE;
    ch->action = IDE_ACT_NONE;
    ch->dma_waiting = 0;
    ch->data_pos = ch->data_end = 0;
    ch->nleft = 0;
    ch->atapi_left = 0;
}

static void device_reset(IdeDrive *d)
{
    set_signature(d);
    d->status = ready_status(d);
    d->power = 0xFF;
}

/* ---- commands ---- */

static bool is_present(const IdeDrive *d)
{
    return d->kind != IDE_NONE;
}

static bool channel_empty(const IdeChannel *ch)
{
    return !is_present(&ch->drive[0]) && !is_present(&ch->drive[1]);
}

static void set_features(IdeChannel *ch, IdeDrive *d)
{
    switch (d->feature) {
    case 0x03: { /* set transfer mode */
        uint8_t m = d->nsector;
        bool ok = m <= 0x01 || (m >= 0x08 && m <= 0x0C) || (m >= 0x20 && m <= 0x22) ||
                  (m >= 0x40 && m <= 0x45);
        if (!ok) {
            cmd_error(ch, IDE_ER_ABRT);
            return;
        }
        d->xfer_mode = m;
        break;
    }
    case 0x02:
        d->write_cache = 1;
        break;
    case 0x82:
        d->write_cache = 0;
        break;
    case 0x55: /* read look-ahead off/on, reverting to defaults off/on: nothing to do */
    case 0xAA:
    case 0x66:
    case 0xCC:
        break;
    default:
        xlog(LOG_IDE, "ide%d: SET FEATURES 0x%02x not supported", ch->index, d->feature);
        cmd_error(ch, IDE_ER_ABRT);
        return;
    }
    cmd_ok(ch);
}

/* Commands a PACKET device accepts besides PACKET and IDENTIFY PACKET DEVICE. */
static void atapi_ata_command(IdeChannel *ch, IdeDrive *d, uint8_t cmd)
{
    switch (cmd) {
    case IDE_CMD_PACKET:
        ch->use_dma = d->feature & 1;
        ch->byte_limit = (uint16_t)(d->lcyl | d->hcyl << 8);
        d->status = IDE_ST_BSY;
        ch->phase = IDE_PH_BUSY;
        ide_schedule(ch, IDE_ACT_PACKET_READY, IDE_CMD_DELAY_NS / 4);
        return;
    case IDE_CMD_IDENTIFY_PACKET:
        d->status = IDE_ST_BSY;
        ch->phase = IDE_PH_BUSY;
        ide_schedule(ch, IDE_ACT_PIO_IN, IDE_CMD_DELAY_NS);
        return;
    case IDE_CMD_DEVICE_RESET:
        cancel_command(ch);
        device_reset(d);
        return; /* no interrupt */
    case 0xEF:
        set_features(ch, d);
        return;
    case 0xE5: /* CHECK POWER MODE */
    case 0x98:
        d->nsector = d->power;
        ide_finish_later(ch, IDE_ST_DRDY, true, IDE_CMD_DELAY_NS);
        return;
    case 0xE0: /* STANDBY IMMEDIATE, IDLE IMMEDIATE, SLEEP */
    case 0xE1:
    case 0xE6:
        d->power = cmd == 0xE1 ? 0xFF : 0x00;
        ide_finish_later(ch, IDE_ST_DRDY, true, IDE_CMD_DELAY_NS);
        return;
    default:
        /* IDENTIFY DEVICE, READ SECTORS and the other ATA commands: abort with the PACKET
         * signature in the task file (how drivers tell an ATAPI device) */
        set_signature(d);
        d->select = (uint8_t)(ch->unit << 4);
        d->error = IDE_ER_ABRT;
        ide_finish_later(ch, IDE_ST_DRDY | IDE_ST_ERR, true, IDE_CMD_DELAY_NS);
        return;
    }
}

static void ata_command(IdeChannel *ch, IdeDrive *d, uint8_t cmd)
{
    ch->lba48 = 0;
    switch (cmd) {
    case 0x20: /* READ SECTORS (with and without retry) */
    case 0x21:
        start_rw(ch, d, false, false, false);
        return;
    case 0x24: /* READ SECTORS EXT */
        ch->lba48 = 1;
        start_rw(ch, d, false, false, false);
        return;
    case 0x30: /* WRITE SECTORS */
    case 0x31:
        start_rw(ch, d, true, false, false);
        return;
    case 0x34: /* WRITE SECTORS EXT */
        ch->lba48 = 1;
        start_rw(ch, d, true, false, false);
        return;
    case 0xC4: /* READ MULTIPLE */
        start_rw(ch, d, false, false, true);
        return;
    case 0x29: /* READ MULTIPLE EXT */
        ch->lba48 = 1;
        start_rw(ch, d, false, false, true);
        return;
    case 0xC5: /* WRITE MULTIPLE */
        start_rw(ch, d, true, false, true);
        return;
    case 0x39: /* WRITE MULTIPLE EXT */
        ch->lba48 = 1;
        start_rw(ch, d, true, false, true);
        return;
    case 0xC8: /* READ DMA (with and without retry) */
    case 0xC9:
        start_rw(ch, d, false, true, false);
        return;
    case 0x25: /* READ DMA EXT */
        ch->lba48 = 1;
        start_rw(ch, d, false, true, false);
        return;
    case 0xCA: /* WRITE DMA */
    case 0xCB:
        start_rw(ch, d, true, true, false);
        return;
    case 0x35: /* WRITE DMA EXT */
        ch->lba48 = 1;
        start_rw(ch, d, true, true, false);
        return;
    case 0x40: /* READ VERIFY SECTORS */
    case 0x41:
    case 0x42: { /* READ VERIFY SECTORS EXT */
        ch->lba48 = cmd == 0x42;
        uint64_t lba;
        uint32_t count;
        if (!get_lba(ch, d, &lba, &count)) {
            cmd_error(ch, IDE_ER_IDNF | IDE_ER_ABRT);
        } else if (lba >= d->nsectors || count > d->nsectors - lba) {
            set_lba(ch, d, lba < d->nsectors ? d->nsectors - 1 : lba);
            cmd_error(ch, IDE_ER_IDNF);
        } else {
            set_lba(ch, d, lba + count - 1);
            cmd_ok(ch);
        }
        return;
    }
    case IDE_CMD_IDENTIFY:
        d->status = IDE_ST_BSY;
        ch->phase = IDE_PH_BUSY;
        ide_schedule(ch, IDE_ACT_PIO_IN, IDE_CMD_DELAY_NS);
        return;
    case 0xC6: { /* SET MULTIPLE MODE */
        uint8_t n = d->nsector;
        if (n > IDE_MAX_MULT || (n & (n - 1))) {
            cmd_error(ch, IDE_ER_ABRT);
            return;
        }
        d->mult_sectors = n;
        cmd_ok(ch);
        return;
    }
    case 0x91: /* INITIALIZE DEVICE PARAMETERS */
        if (d->nsector == 0) {
            cmd_error(ch, IDE_ER_ABRT);
            return;
        }
        d->cur_heads = (uint16_t)((d->select & 0x0F) + 1);
        d->cur_secs = d->nsector;
        {
            uint64_t c = d->nsectors / ((uint64_t)d->cur_heads * d->cur_secs);
            d->cur_cyls = (uint32_t)(c > 0xFFFF ? 0xFFFF : c);
        }
        cmd_ok(ch);
        return;
    case 0xEF:
        set_features(ch, d);
        return;
    case 0xE5: /* CHECK POWER MODE */
    case 0x98:
        d->nsector = d->power;
        cmd_ok(ch);
        return;
    case 0xE0: /* STANDBY IMMEDIATE */
    case 0x94:
    case 0xE2: /* STANDBY */
    case 0x96:
    case 0xE6: /* SLEEP */
    case 0x99:
        d->power = 0x00;
        cmd_ok(ch);
        return;
    case 0xE1: /* IDLE IMMEDIATE */
    case 0x95:
    case 0xE3: /* IDLE */
    case 0x97:
        d->power = 0xFF;
        cmd_ok(ch);
        return;
    case 0xE7: /* FLUSH CACHE */
    case 0xEA: /* FLUSH CACHE EXT */
        if (block_flush(d->blk)) {
            cmd_error(ch, IDE_ER_ABRT);
        } else {
            cmd_ok(ch);
        }
        return;
    default:
        if ((cmd & 0xF0) == 0x10 || (cmd & 0xF0) == 0x70) { /* RECALIBRATE, SEEK */
            cmd_ok(ch);
            return;
        }
        xlog(LOG_IDE, "ide%d: ATA command 0x%02x not supported", ch->index, cmd);
        cmd_error(ch, IDE_ER_ABRT);
        return;
    }
}

static void command_write(IdeChannel *ch, uint8_t cmd)
{
    if (channel_empty(ch)) {
        return;
    }
    IdeDrive *d = ide_cur(ch);
    if (cmd == IDE_CMD_DIAGNOSTIC) {
        /* both devices run their diagnostics; device 0 reports */
        cancel_command(ch);
        lower_irq(ch);
        ch->cmd = cmd;
        ch->unit = 0;
        for (int i = 0; i < 2; i++) {
            if (is_present(&ch->drive[i])) {
                ch->drive[i].status = IDE_ST_BSY;
            }
        }
        ide_schedule(ch, IDE_ACT_DIAG, IDE_RESET_DELAY_NS);
        return;
    }
    if (!is_present(d)) {
        xlog(LOG_IDE, "ide%d: command 0x%02x to absent device %d", ch->index, cmd, ch->unit);
        return;
    }
    if (d->status & IDE_ST_BSY) {
        if (d->kind == IDE_CDROM && cmd == IDE_CMD_DEVICE_RESET) {
            cancel_command(ch);
            lower_irq(ch);
            device_reset(d);
        } else {
            xlog(LOG_IDE, "ide%d: command 0x%02x while busy ignored", ch->index, cmd);
        }
        return;
    }
    xlog(LOG_IDE, "ide%d.%d: command 0x%02x", ch->index, ch->unit, cmd);
    cancel_command(ch);
    lower_irq(ch);
    ch->cmd = cmd;
    ch->use_dma = 0;
    d->error = 0;
    if (d->power == 0x00 && cmd != 0xE5 && cmd != 0x98) {
        d->power = 0xFF; /* any media access spins the disk up again */
    }
    if (d->kind == IDE_CDROM) {
        atapi_ata_command(ch, d, cmd);
    } else if (cmd == IDE_CMD_IDENTIFY_PACKET || cmd == IDE_CMD_PACKET ||
               cmd == IDE_CMD_DEVICE_RESET) {
        cmd_error(ch, IDE_ER_ABRT);
    } else {
        ata_command(ch, d, cmd);
    }
}

/* ---- the timer: what a command does after its delay ---- */

static void ide_timer(void *opaque)
{
    IdeChannel *ch = opaque;
    IdeDrive *d = ide_cur(ch);
    uint8_t act = ch->action;
    ch->action = IDE_ACT_NONE;
    switch (act) {
    case IDE_ACT_STATUS:
        ch->phase = IDE_PH_IDLE;
        d->status = ch->next_status;
        if (ch->next_irq) {
            ide_raise_irq(ch);
        }
        break;
    case IDE_ACT_PIO_IN:
        pio_in_block(ch);
        break;
    case IDE_ACT_PIO_OUT:
        pio_out_block(ch, false);
        break;
    case IDE_ACT_PIO_OUT_NEXT:
        pio_out_block(ch, true);
        break;
    case IDE_ACT_DMA:
    case IDE_ACT_ATAPI_DMA:
        if (!ch->dma || !ch->dma->ready(ch->dma_opaque)) {
            ch->dma_waiting = act; /* ide_dma_kick goes on */
            break;
        }
        ch->dma_waiting = 0;
        if (act == IDE_ACT_DMA) {
            ata_dma(ch);
        } else {
            atapi_dma(ch);
        }
        break;
    case IDE_ACT_PACKET_READY:
        ch->phase = IDE_PH_PACKET;
        ch->data_pos = 0;
        ch->data_end = 12;
        d->nsector = (uint8_t)((d->nsector & 0xF8) | IDE_IR_COD);
        d->status = IDE_ST_DRDY | IDE_ST_DRQ;
        break;
    case IDE_ACT_ATAPI_PIO:
        atapi_pio_window(ch);
        break;
    case IDE_ACT_RESET:
    case IDE_ACT_DIAG:
        for (int i = 0; i < 2; i++) {
            if (is_present(&ch->drive[i])) {
                set_signature(&ch->drive[i]);
                ch->drive[i].status = ready_status(&ch->drive[i]);
            }
        }
        ch->unit = 0;
        if (act == IDE_ACT_DIAG && is_present(&ch->drive[0])) {
            ide_raise_irq(ch);
        }
        break;
    default:
        break;
    }
}

void ide_dma_kick(IdeChannel *ch)
{
    if (ch->dma_waiting && !timer_pending(&ch->timer)) {
        uint8_t act = ch->dma_waiting;
        ch->dma_waiting = 0;
        ide_schedule(ch, act, IDE_BLOCK_DELAY_NS);
    }
}

/* ---- ports ---- */

static uint32_t data_read(IdeChannel *ch, unsigned size)
{
    if (ch->phase != IDE_PH_PIO_IN && ch->phase != IDE_PH_ATAPI_IN) {
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        if (ch->data_pos < ch->data_end) {
            v |= (uint32_t)ch->buf[ch->data_pos++] << (8 * i);
        }
    }
    if (ch->data_pos >= ch->data_end) {
        if (ch->phase == IDE_PH_PIO_IN) {
            pio_in_done(ch);
        } else {
            atapi_window_done(ch);
        }
    }
    return v;
}

static void data_write(IdeChannel *ch, uint32_t val, unsigned size)
{
    if (ch->phase != IDE_PH_PIO_OUT && ch->phase != IDE_PH_PACKET) {
        return;
    }
    for (unsigned i = 0; i < size && ch->data_pos < ch->data_end; i++) {
        ch->buf[ch->data_pos++] = (uint8_t)(val >> (8 * i));
    }
    if (ch->data_pos >= ch->data_end) {
        if (ch->phase == IDE_PH_PIO_OUT) {
            pio_out_done(ch);
        } else {
            IdeDrive *d = ide_cur(ch);
            d->status = IDE_ST_BSY;
            ch->phase = IDE_PH_BUSY;
            atapi_packet(ch, d);
        }
    }
}

static uint8_t reg_read(IdeChannel *ch, uint32_t reg)
{
    if (channel_empty(ch)) {
        return 0x7F;
    }
    IdeDrive *d = ide_cur(ch);
    if (!is_present(d)) {
        return reg == 6 ? d->select : 0x00;
    }
    bool hob = ch->devctl & IDE_DC_HOB;
    switch (reg) {
    case 1:
        return d->error;
    case 2:
        return hob ? d->hob_nsector : d->nsector;
    case 3:
        return hob ? d->hob_sector : d->sector;
    case 4:
        return hob ? d->hob_lcyl : d->lcyl;
    case 5:
        return hob ? d->hob_hcyl : d->hcyl;
    case 6:
        return d->select;
    default: /* 7: status; reading it acknowledges the interrupt */
        if (ch->intrq) {
            lower_irq(ch);
        }
        return d->status;
    }
}

static void reg_write(IdeChannel *ch, uint32_t reg, uint8_t v)
{
    if (reg == 7) {
        command_write(ch, v);
        return;
    }
    ch->devctl &= (uint8_t)~IDE_DC_HOB; /* a task file write clears HOB */
    for (int i = 0; i < 2; i++) {
        IdeDrive *d = &ch->drive[i];
        switch (reg) {
        case 1:
            d->hob_feature = d->feature;
            d->feature = v;
            break;
        case 2:
            d->hob_nsector = d->nsector;
            d->nsector = v;
            break;
        case 3:
            d->hob_sector = d->sector;
            d->sector = v;
            break;
        case 4:
            d->hob_lcyl = d->lcyl;
            d->lcyl = v;
            break;
        case 5:
            d->hob_hcyl = d->hcyl;
            d->hcyl = v;
            break;
        case 6:
            d->select = v;
            break;
        default:
            break;
        }
    }
    if (reg == 6) {
        ch->unit = (v >> 4) & 1;
    }
}

static uint32_t cmd_read(void *opaque, uint32_t addr, unsigned size)
{
    IdeChannel *ch = opaque;
    if (addr == 0) {
        if (channel_empty(ch)) {
            return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
        }
        return data_read(ch, size);
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size && addr + i < 8; i++) {
        v |= (uint32_t)reg_read(ch, addr + i) << (8 * i);
    }
    return v;
}

static void cmd_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    IdeChannel *ch = opaque;
    if (addr == 0) {
        data_write(ch, val, size);
        return;
    }
    for (unsigned i = 0; i < size && addr + i < 8; i++) {
        reg_write(ch, addr + i, (uint8_t)(val >> (8 * i)));
    }
}

static uint32_t ctl_read(void *opaque, uint32_t addr, unsigned size)
{
    IdeChannel *ch = opaque;
    uint8_t v;
    if (channel_empty(ch)) {
        v = 0x7F;
    } else if (!is_present(ide_cur(ch))) {
        v = 0;
    } else {
        v = ide_cur(ch)->status; /* alternate status: no acknowledge */
    }
    return size == 1 ? v : v | ((size == 4 ? 0xFFFFFF00u : 0xFF00u));
}

static void ctl_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    IdeChannel *ch = opaque;
    uint8_t old = ch->devctl, v = (uint8_t)val;
    ch->devctl = v;
    if ((v & IDE_DC_SRST) && !(old & IDE_DC_SRST)) {
        xlog(LOG_IDE, "ide%d: software reset", ch->index);
        cancel_command(ch);
        ch->intrq = 0;
        for (int i = 0; i < 2; i++) {
            if (is_present(&ch->drive[i])) {
                ch->drive[i].status = IDE_ST_BSY;
            }
        }
    } else if (!(v & IDE_DC_SRST) && (old & IDE_DC_SRST)) {
        ide_schedule(ch, IDE_ACT_RESET, IDE_RESET_DELAY_NS);
    }
    update_irq(ch);
}

static const IoOps kIdeCmdOps = {cmd_read, cmd_write, 0};
static const IoOps kIdeCtlOps = {ctl_read, ctl_write, IO_SIZE_1};

/* ---- setup ---- */

void ide_channel_reset(IdeChannel *ch)
{
    cancel_command(ch);
    ch->unit = 0;
    ch->devctl = 0;
    ch->intrq = 0;
    ch->cmd = 0;
    for (int i = 0; i < 2; i++) {
        IdeDrive *d = &ch->drive[i];
        if (!is_present(d)) {
            continue;
        }
        device_reset(d);
        d->feature = 0;
        d->mult_sectors = 0; /* multiple mode is off until SET MULTIPLE MODE */
        d->xfer_mode = 0;
        d->write_cache = 1;
        d->cur_cyls = d->cyls;
        d->cur_heads = d->heads;
        d->cur_secs = d->secs;
        d->sense_key = d->asc = d->ascq = 0;
        d->locked = 0;
        d->tray_open = 0;
        /* the medium present at power-on is no news; a change later is */
        d->ua_pending = 0;
        d->media_event = 0;
    }
    update_irq(ch);
}

void ide_channel_init(IdeChannel *ch, Bus *bus, Clock *clock, SnapRegistry *reg, int index,
                      uint16_t cmd_base, uint16_t ctl_port)
{
    memset(ch, 0, sizeof *ch);
    ch->clock = clock;
    ch->index = index;
    timer_init(&ch->timer, clock, ide_timer, ch);
    bus_register_pio(bus, cmd_base, 8, &kIdeCmdOps, ch, index ? "ide1" : "ide0");
    bus_register_pio(bus, ctl_port, 1, &kIdeCtlOps, ch, index ? "ide1-ctl" : "ide0-ctl");
    snap_register(reg, &kIdeChannelDesc, ch, index);
    snap_register(reg, &kIdeDriveDesc, &ch->drive[0], index * 2);
    snap_register(reg, &kIdeDriveDesc, &ch->drive[1], index * 2 + 1);
    ide_channel_reset(ch);
}

/* The usual translation of a disk's size to CHS: 16 heads of 63 sectors, at most 16383
 * cylinders; tiny images get fewer heads so that the geometry still fits inside them. */
static void default_geometry(IdeDrive *d)
{
    uint64_t n = d->nsectors;
    if (n >= 16ull * 63 * 16383) {
        d->cyls = 16383;
        d->heads = 16;
        d->secs = 63;
    } else if (n >= 16 * 63) {
        d->cyls = (uint16_t)(n / (16 * 63));
        d->heads = 16;
        d->secs = 63;
    } else if (n >= 63) {
        d->heads = (uint16_t)(n / 63);
        d->secs = 63;
        d->cyls = 1;
    } else {
        d->heads = 1;
        d->secs = (uint16_t)(n ? n : 1);
        d->cyls = 1;
    }
}

static int attach(IdeChannel *ch, int unit, BlockDev *blk, IdeKind kind)
{
    if (unit < 0 || unit > 1 || ch->drive[unit].kind != IDE_NONE) {
        return -1;
    }
    IdeDrive *d = &ch->drive[unit];
    d->kind = kind;
    d->blk = blk;
    int n = ch->index * 2 + unit;
    if (kind == IDE_DISK) {
        if (!blk || block_size(blk) < 512) {
            d->kind = IDE_NONE;
            return -1;
        }
        d->nsectors = block_size(blk) / 512;
        default_geometry(d);
        snprintf(d->model, sizeof d->model, "X86PC HARDDISK");
    } else {
        d->nsectors = blk ? block_size(blk) / 2048 : 0;
        snprintf(d->model, sizeof d->model, "X86PC CD-ROM");
    }
    snprintf(d->serial, sizeof d->serial, "XP%08d", n + 1);
    snprintf(d->fw_rev, sizeof d->fw_rev, "0.1");
    ide_channel_reset(ch);
    return 0;
}

int ide_attach_disk(IdeChannel *ch, int unit, BlockDev *blk)
{
    return attach(ch, unit, blk, IDE_DISK);
}

int ide_attach_cdrom(IdeChannel *ch, int unit, BlockDev *blk)
{
    return attach(ch, unit, blk, IDE_CDROM);
}

void ide_cdrom_change(IdeChannel *ch, int unit, BlockDev *blk)
{
    if (unit < 0 || unit > 1 || ch->drive[unit].kind != IDE_CDROM) {
        return;
    }
    IdeDrive *d = &ch->drive[unit];
    d->blk = blk;
    d->nsectors = blk ? block_size(blk) / 2048 : 0;
    d->tray_open = 0;
    d->ua_pending = 1;
    d->media_event = blk ? 2 : 3;
}

void ide_set_dma(IdeChannel *ch, const IdeDmaOps *ops, void *opaque)
{
    ch->dma = ops;
    ch->dma_opaque = opaque;
}

int ide_geometry(const IdeChannel *ch, int unit, uint16_t *cyls, uint16_t *heads, uint16_t *secs)
{
    if (unit < 0 || unit > 1 || ch->drive[unit].kind != IDE_DISK) {
        return -1;
    }
    *cyls = ch->drive[unit].cyls;
    *heads = ch->drive[unit].heads;
    *secs = ch->drive[unit].secs;
    return 0;
}

void ide_flush(IdeChannel *ch)
{
    for (int i = 0; i < 2; i++) {
        if (ch->drive[i].kind == IDE_DISK && ch->drive[i].blk) {
            block_flush(ch->drive[i].blk);
        }
    }
}
