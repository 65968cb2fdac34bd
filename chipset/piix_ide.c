/* Intel 82371SB PIIX3 IDE function (00:01.1), following the 82371FB/SB datasheet (order no.
 * 290550) section 2.4 and 5.5: the configuration header 8086:7010, class 01h/01h with
 * programming interface 80h (bus master capable, both channels fixed in compatibility mode),
 * the bus master interface base address at 20h (BAR4, 16 bytes of I/O), the IDE timing
 * registers IDETIM 40h-43h and SIDETIM 44h (stored; timing has no meaning here), and the bus
 * master IDE registers: per channel a command register (BMICx: start/stop, read/write
 * control), a status register (BMISx: active, error, interrupt; drive 0/1 DMA capable) and the
 * descriptor table pointer (BMIDTPx). A descriptor is two dwords: the physical region address
 * (bit 0 zero) and the byte count in bits 15:1 (0 = 64 KB) with EOT in bit 31.
 *
 * Departures: the legacy ports decode whatever IDETIM bit 15 and the PCI command register say
 * (as QEMU's board does; SeaBIOS sets IDETIM and Linux's ata_piix checks it, so both stay
 * stored); a DMA transfer moves its data at one instant; the master checks the PCI command
 * register's bus master enable before it moves anything. The PCI core has no call to move an
 * I/O region, so BAR4 moves by re-pointing this device's one entry in the bus's port map.
 */
#include "chipset/piix_ide.h"

#include <string.h>

#include "mmu/log.h"

#define BM_CMD_START 0x01
#define BM_CMD_TO_MEM 0x08
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_INTR 0x04
#define BM_ST_CAPABLE 0x60

static const VmsField kBmFields[] = {
    VMS_U8F(PiixIdeBm, cmd),       VMS_U8F(PiixIdeBm, status),
    VMS_U32F(PiixIdeBm, prd),      VMS_U32F(PiixIdeBm, cur_prd),
    VMS_U32F(PiixIdeBm, cur_addr), VMS_U32F(PiixIdeBm, cur_left),
    VMS_U8F(PiixIdeBm, eot),       VMS_FIELDS_END,
};
static const VmsDesc kBmDesc = {"piix-ide-bm", 1, kBmFields, NULL, NULL};

/* ---- the bus master seen from the drive (IdeDmaOps) ---- */

static bool bm_ready(void *opaque)
{
    PiixIdeBm *bm = opaque;
    uint16_t pcicmd = pci_get_word(&bm->s->dev, PCI_COMMAND);
    return (bm->cmd & BM_CMD_START) && (pcicmd & PCI_COMMAND_MASTER);
}

static uint32_t bm_rw(void *opaque, uint8_t *buf, uint32_t len, bool to_mem)
{
    PiixIdeBm *bm = opaque;
    Bus *bus = bm->s->bus;
    if (!!(bm->cmd & BM_CMD_TO_MEM) != to_mem) {
        LOG_ONCE(LOG_IDE, "piix-ide: bus master direction differs from the drive's command");
    }
    uint32_t moved = 0;
    while (moved < len) {
        if (bm->cur_left == 0) {
            if (bm->eot) {
                break; /* the table ended before the drive's data */
            }
            uint8_t prd[8];
            bus_mem_read(bus, bm->cur_prd, prd, sizeof prd);
            bm->cur_prd += 8;
            bm->cur_addr = ((uint32_t)prd[0] | (uint32_t)prd[1] << 8 | (uint32_t)prd[2] << 16 |
                            (uint32_t)prd[3] << 24) &
                           ~1u;
            uint32_t count = ((uint32_t)prd[4] | (uint32_t)prd[5] << 8) & 0xFFFE;
            bm->cur_left = count ? count : 0x10000;
            bm->eot = (prd[7] & 0x80) != 0;
        }
        uint32_t n = len - moved < bm->cur_left ? len - moved : bm->cur_left;
        if (to_mem) {
            bus_mem_write(bus, bm->cur_addr, buf + moved, n);
        } else {
            bus_mem_read(bus, bm->cur_addr, buf + moved, n);
        }
        bm->cur_addr += n;
        bm->cur_left -= n;
        moved += n;
    }
    if (bm->eot && bm->cur_left == 0) {
        bm->status &= (uint8_t)~BM_ST_ACTIVE; /* the last region is done */
    }
    return moved;
}

static void bm_done(void *opaque, bool error)
{
    PiixIdeBm *bm = opaque;
    if (error) {
        bm->status |= BM_ST_ERROR;
        bm->status &= (uint8_t)~BM_ST_ACTIVE;
    }
}

static void bm_intr(void *opaque)
{
    PiixIdeBm *bm = opaque;
    bm->status |= BM_ST_INTR;
}

static const IdeDmaOps kBmDmaOps = {bm_ready, bm_rw, bm_done, bm_intr};

/* ---- bus master registers (BAR4) ---- */

static uint8_t bm_reg_read(PiixIdeState *s, uint32_t addr)
{
    PiixIdeBm *bm = &s->bm[(addr >> 3) & 1];
    uint32_t r = addr & 7;
    switch (r) {
    case 0:
        return bm->cmd;
    case 2:
        return bm->status;
    case 4:
    case 5:
    case 6:
    case 7:
        return (uint8_t)(bm->prd >> (8 * (r - 4)));
    default:
        return 0;
    }
}

static void bm_reg_write(PiixIdeState *s, uint32_t addr, uint8_t v)
{
    int n = (addr >> 3) & 1;
    PiixIdeBm *bm = &s->bm[n];
    uint32_t r = addr & 7;
    switch (r) {
    case 0: {
        uint8_t old = bm->cmd;
        bm->cmd = v & (BM_CMD_START | BM_CMD_TO_MEM);
        if ((v & BM_CMD_START) && !(old & BM_CMD_START)) {
            bm->status |= BM_ST_ACTIVE;
            bm->cur_prd = bm->prd;
            bm->cur_left = 0;
            bm->eot = 0;
            if (bm->ch) {
                ide_dma_kick(bm->ch);
            }
        } else if (!(v & BM_CMD_START) && (old & BM_CMD_START)) {
            bm->status &= (uint8_t)~BM_ST_ACTIVE; /* stopped: whatever is left is abandoned */
        }
        break;
    }
    case 2:
        bm->status = (uint8_t)((bm->status & ~(BM_ST_CAPABLE | (v & (BM_ST_ERROR | BM_ST_INTR)))) |
                               (v & BM_ST_CAPABLE));
        break;
    case 4:
    case 5:
    case 6:
    case 7: {
        int sh = 8 * (int)(r - 4);
        bm->prd = (bm->prd & ~(0xFFu << sh)) | ((uint32_t)v << sh);
        bm->prd &= ~3u;
        break;
    }
    default:
        break;
    }
}

static uint32_t bm_read(void *opaque, uint32_t addr, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint32_t)bm_reg_read(opaque, (addr + i) & 15) << (8 * i);
    }
    return v;
}

static void bm_write(void *opaque, uint32_t addr, uint32_t val, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        bm_reg_write(opaque, (addr + i) & 15, (uint8_t)(val >> (8 * i)));
    }
}

static const IoOps kBmOps = {bm_read, bm_write, 0};

/* Point the bus-master port region at `addr` (or nowhere). */
static void bm_map(PiixIdeState *s, uint32_t addr)
{
    s->bm_base = PCI_BAR_UNMAPPED;
    bool nowhere = addr == PCI_BAR_UNMAPPED || addr + 16 > 0x10000;
    if (bus_place_pio(s->bus, &s->bm_region, nowhere ? BUS_PIO_NOWHERE : addr, 16, &kBmOps, s,
                      "piix-ide-bm")) {
        xlog(LOG_IDE, "piix-ide: no room on the bus for the bus master ports");
        return;
    }
    if (!nowhere) {
        s->bm_base = addr;
        xlog(LOG_IDE, "piix-ide: bus master registers at 0x%04x", addr);
    }
}

static void piix_ide_bar_map(PciDevice *d, int bar, uint32_t addr)
{
    if (bar == 4) {
        bm_map(d->opaque, addr);
    }
}

/* ---- setup ---- */

void piix_ide_reset(PiixIdeState *s)
{
    PciDevice *d = &s->dev;
    memset(d->config + 0x04, 0, 256 - 0x04);
    pci_set_ids(d, 0x8086, 0x7010, 0x00, 0x010180);
    pci_set_word(d, PCI_STATUS, 0x0280); /* fast back-to-back, medium DEVSEL */
    pci_set_long(d, PCI_BASE_ADDRESS_0 + 16, PCI_BAR_IO);
    for (int i = 0; i < 2; i++) {
        PiixIdeBm *bm = &s->bm[i];
        bm->cmd = 0;
        bm->status = 0;
        bm->prd = 0;
        bm->cur_prd = bm->cur_addr = bm->cur_left = 0;
        bm->eot = 0;
    }
    pci_update_mappings(d);
}

void piix_ide_bios_setup(PiixIdeState *s)
{
    pci_set_word(&s->dev, 0x40, 0x8000);
    pci_set_word(&s->dev, 0x42, 0x8000);
}

void piix_ide_init(PiixIdeState *s, PciBus *pci, Bus *bus, SnapRegistry *reg, IdeChannel *ide0,
                   IdeChannel *ide1)
{
    memset(s, 0, sizeof *s);
    s->bus = bus;
    s->bm_region = -1;
    s->bm_base = PCI_BAR_UNMAPPED;
    PciDevice *d = &s->dev;
    pci_device_init(d, "piix3-ide", s);
    d->bar_map = piix_ide_bar_map;
    d->wmask[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MASTER;
    d->wmask[PCI_COMMAND + 1] = 0;
    d->wmask[0x0C] = 0; /* no cache line size */
    for (int i = 0x40; i <= 0x44; i++) {
        d->wmask[i] = 0xFF; /* IDETIM primary/secondary, SIDETIM */
    }
    pci_register_bar(d, 4, 16, PCI_BAR_IO);
    IdeChannel *chans[2] = {ide0, ide1};
    for (int i = 0; i < 2; i++) {
        s->bm[i].s = s;
        s->bm[i].ch = chans[i];
        if (chans[i]) {
            ide_set_dma(chans[i], &kBmDmaOps, &s->bm[i]);
        }
        snap_register(reg, &kBmDesc, &s->bm[i], i);
    }
    piix_ide_reset(s);
    if (pci_register_device(pci, d, PIIX_IDE_DEVFN, reg)) {
        xlog(LOG_IDE, "piix-ide: devfn 00:01.1 is taken");
    }
}
