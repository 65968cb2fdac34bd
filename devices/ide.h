/* An IDE channel (the ATA task file, master and slave) with ATA hard disks and ATAPI CD-ROMs.
 *
 * Board wiring (the PC has two channels; QEMU's -cdrom is the secondary master):
 *   ide_channel_init(&ide[0], bus, clock, snap, 0, 0x1F0, 0x3F6);
 *   ide_channel_init(&ide[1], bus, clock, snap, 1, 0x170, 0x376);
 *   irq_connect(&ide[0].irq, pic_set_irq, &pic, 14);  irq_connect(&ide[1].irq, ..., 15);
 *   (and ioapic_set_irq pins 14 and 15: a line feeds up to two sinks)
 *   ide_attach_disk(&ide[0], 0, &blockdev)      a BlockDev opened by block_open (not owned)
 *   ide_attach_cdrom(&ide[1], 0, &blockdev_or_NULL)    NULL: a drive with no disc
 *   piix_ide_init(...) connects the bus master (chipset/piix_ide.h).
 *   ide_channel_reset(&ide[n]) on machine reset. The channel owns no host resources: the board
 *   closes the BlockDevs (block_close, which flushes) when the machine goes away.
 *   ide_geometry(&ide[n], unit, &c, &h, &s) gives the default CHS for the CMOS fields.
 * Saved state: one "ide" section per channel (registers, the command in progress, its timer and
 * the 64 KB transfer buffer) and one "ide-drive" section per device; the disk contents are not
 * in them (see block.h for the -snapshot overlay).
 *
 * Guest-visible timing: a command's result (DRQ for the next data block, or completion with
 * INTRQ) is presented IDE_CMD_DELAY_NS of virtual time after the command, through a Timer, never
 * inside the port access itself; polling and interrupt-driven drivers both see BSY first.
 */
#ifndef X86PC_IDE_H
#define X86PC_IDE_H

#include <stdbool.h>
#include <stdint.h>

#include "chipset/clock.h"
#include "chipset/irq.h"
#include "devices/block.h"
#include "mmu/bus.h"
#include "snapshots/vmstate.h"

#define IDE_BUF_SIZE (64 * 1024)
#define IDE_CMD_DELAY_NS 2000u   /* command to result */
#define IDE_BLOCK_DELAY_NS 1000u /* between PIO data blocks */
#define IDE_RESET_DELAY_NS 5000u /* end of SRST to signature */

typedef enum IdeKind { IDE_NONE = 0, IDE_DISK = 1, IDE_CDROM = 2 } IdeKind;

typedef struct IdeDrive {
    /* the task file as this device latched it (both devices latch every write) */
    uint8_t feature, nsector, sector, lcyl, hcyl;
    uint8_t hob_feature, hob_nsector, hob_sector, hob_lcyl, hob_hcyl;
    uint8_t select; /* device/head register */
    uint8_t status, error;
    /* settings */
    uint8_t mult_sectors; /* SET MULTIPLE MODE (0: not set) */
    uint8_t xfer_mode;    /* SET FEATURES 03h: 0x08|n PIO, 0x20|n MWDMA, 0x40|n UDMA */
    uint8_t power;        /* CHECK POWER MODE answer: 0xFF active/idle, 0x00 standby */
    uint8_t write_cache;
    uint16_t cur_heads, cur_secs; /* INITIALIZE DEVICE PARAMETERS (the CHS translation) */
    uint32_t cur_cyls;
    /* ATAPI */
    uint8_t sense_key, asc, ascq;
    uint8_t ua_pending;  /* a unit attention (medium may have changed) to report */
    uint8_t media_event; /* GET EVENT STATUS NOTIFICATION: 0 none, 2 new media, 3 removal */
    uint8_t locked;      /* PREVENT ALLOW MEDIUM REMOVAL */
    uint8_t tray_open;
    /* configuration, not saved */
    IdeKind kind;
    BlockDev *blk;              /* NULL for a CD-ROM drive without a disc */
    uint64_t nsectors;          /* 512-byte sectors (disk) or 2048-byte sectors (CD) */
    uint16_t cyls, heads, secs; /* default geometry */
    char model[41], serial[21], fw_rev[9];
} IdeDrive;

/* The bus master that moves the data of DMA commands (chipset/piix_ide.c). */
typedef struct IdeDmaOps {
    /* The bus master is started (BM command bit 0). */
    bool (*ready)(void *opaque);
    /* Moves up to len bytes between buf and guest memory along the PRD table; to_mem is the
     * direction of a read command. Returns the bytes moved (less at the end of the table). */
    uint32_t (*rw)(void *opaque, uint8_t *buf, uint32_t len, bool to_mem);
    /* The DMA part of the command is over (error: the PRD table was too short or the device
     * failed). */
    void (*done)(void *opaque, bool error);
    /* INTRQ was asserted (BM status bit 2). */
    void (*intr)(void *opaque);
} IdeDmaOps;

typedef struct IdeChannel {
    IdeDrive drive[2];
    uint8_t unit;   /* selected device (device/head bit 4) */
    uint8_t devctl; /* last device control write: bit 1 nIEN, bit 2 SRST, bit 7 HOB */
    uint8_t intrq;  /* INTRQ pending (the line is INTRQ && !nIEN) */
    /* the command in progress */
    uint8_t cmd;
    uint8_t phase;  /* IDE_PH_* */
    uint8_t action; /* what the timer does: IDE_ACT_* */
    uint8_t lba48, is_write, use_dma;
    uint64_t lba;         /* next sector to transfer through the buffer */
    uint32_t nleft;       /* sectors still to transfer (ATA), or to read into the buffer (ATAPI) */
    uint32_t blk_sectors; /* sectors per PIO DRQ block */
    uint32_t data_pos, data_end;   /* the data port's window into buf */
    uint32_t buf_len;              /* valid bytes in buf (ATAPI) */
    uint32_t atapi_left;           /* ATAPI bytes still to transfer including buf */
    uint16_t byte_limit;           /* ATAPI byte count limit from the PACKET command */
    uint8_t next_status, next_irq; /* IDE_ACT_STATUS: what the timer presents */
    uint8_t dma_waiting;           /* a DMA command waits for the bus master */
    Timer timer;
    uint8_t buf[IDE_BUF_SIZE];
    /* not saved */
    IrqLine irq;
    Clock *clock;
    const IdeDmaOps *dma;
    void *dma_opaque;
    int index;
} IdeChannel;

void ide_channel_init(IdeChannel *ch, Bus *bus, Clock *clock, SnapRegistry *reg, int index,
                      uint16_t cmd_base, uint16_t ctl_port);
void ide_channel_reset(IdeChannel *ch);
/* unit 0 = master, 1 = slave. Return 0, or -1 if the slot is taken or the image unusable. */
int ide_attach_disk(IdeChannel *ch, int unit, BlockDev *blk);
int ide_attach_cdrom(IdeChannel *ch, int unit, BlockDev *blk);
/* Insert (blk) or remove (NULL) a CD: the drive reports a unit attention and a media event. */
void ide_cdrom_change(IdeChannel *ch, int unit, BlockDev *blk);
void ide_set_dma(IdeChannel *ch, const IdeDmaOps *ops, void *opaque);
/* The bus master was started: a DMA command waiting for it goes on. */
void ide_dma_kick(IdeChannel *ch);
/* Default CHS of a disk (for the CMOS), 0 if it is one; -1 if there is no disk there. */
int ide_geometry(const IdeChannel *ch, int unit, uint16_t *cyls, uint16_t *heads, uint16_t *secs);
/* Flush every disk's writes to its file (also done by FLUSH CACHE). */
void ide_flush(IdeChannel *ch);

#endif
