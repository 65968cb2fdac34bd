/* Shared between devices/ide.c (the ATA channel) and devices/atapi.c (the PACKET commands of
 * a CD-ROM); nothing else includes it. */
#ifndef X86PC_IDE_INT_H
#define X86PC_IDE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/ide.h"

/* status */
#define IDE_ST_ERR 0x01
#define IDE_ST_DRQ 0x08
#define IDE_ST_DSC 0x10
#define IDE_ST_DF 0x20
#define IDE_ST_DRDY 0x40
#define IDE_ST_BSY 0x80
/* error */
#define IDE_ER_ABRT 0x04
#define IDE_ER_IDNF 0x10
#define IDE_ER_UNC 0x40
/* device control */
#define IDE_DC_NIEN 0x02
#define IDE_DC_SRST 0x04
#define IDE_DC_HOB 0x80
/* ATAPI interrupt reason (sector count register) */
#define IDE_IR_COD 0x01
#define IDE_IR_IO 0x02

#define IDE_MAX_MULT 16 /* sectors per READ/WRITE MULTIPLE block (IDENTIFY word 47) */

#define IDE_CMD_DEVICE_RESET 0x08
#define IDE_CMD_DIAGNOSTIC 0x90
#define IDE_CMD_PACKET 0xA0
#define IDE_CMD_IDENTIFY_PACKET 0xA1
#define IDE_CMD_IDENTIFY 0xEC

enum {
    IDE_PH_IDLE,
    IDE_PH_BUSY,     /* BSY: waiting for the timer */
    IDE_PH_PIO_IN,   /* the guest reads buf[data_pos, data_end) */
    IDE_PH_PIO_OUT,  /* the guest writes buf[data_pos, data_end) */
    IDE_PH_PACKET,   /* the guest writes the 12-byte command packet */
    IDE_PH_ATAPI_IN, /* the guest reads a PACKET command's data window */
    IDE_PH_DMA,      /* a DMA command waits for its transfer */
};

enum {
    IDE_ACT_NONE,
    IDE_ACT_STATUS,       /* present next_status, INTRQ if next_irq */
    IDE_ACT_PIO_IN,       /* fill the next data-in block, DRQ and INTRQ */
    IDE_ACT_PIO_OUT,      /* open the first data-out block (no INTRQ) */
    IDE_ACT_PIO_OUT_NEXT, /* open the next data-out block with INTRQ */
    IDE_ACT_DMA,          /* an ATA DMA command's transfer */
    IDE_ACT_PACKET_READY, /* DRQ for the command packet */
    IDE_ACT_ATAPI_PIO,    /* present the next ATAPI data window */
    IDE_ACT_ATAPI_DMA,    /* an ATAPI command's data through the bus master */
    IDE_ACT_RESET,        /* the end of a software reset */
    IDE_ACT_DIAG,         /* the end of EXECUTE DEVICE DIAGNOSTIC */
};

IdeDrive *ide_cur(IdeChannel *ch);
void ide_raise_irq(IdeChannel *ch);
void ide_schedule(IdeChannel *ch, uint8_t action, uint32_t delay_ns);
void ide_finish_later(IdeChannel *ch, uint8_t status, bool irq, uint32_t delay_ns);

/* atapi.c */
void atapi_packet(IdeChannel *ch, IdeDrive *d); /* the 12-byte packet is in buf[0..12) */
void atapi_pio_window(IdeChannel *ch);          /* IDE_ACT_ATAPI_PIO */
void atapi_window_done(IdeChannel *ch);         /* the guest read the whole window */
void atapi_dma(IdeChannel *ch);                 /* IDE_ACT_ATAPI_DMA with the bus master ready */

#endif
