/* A small writer of ACPI Machine Language (ACPI spec, chapter "ACPI Machine Language (AML)
 * Specification"): the subset the PC's DSDT needs.
 *
 * Terms are appended to an AmlBuf in prefix order, the way AML lays them out. Objects with a
 * PkgLength (Scope, Device, Method, If, Else, Package, Buffer, Field) are opened with a *_begin
 * call that returns a mark and closed with aml_end(b, mark), which inserts the PkgLength in the
 * shortest encoding. Operators without a PkgLength are just their opcode followed by their
 * operands, e.g. Store(Arg0, PICF):
 *     aml_op(b, AML_STORE); aml_op(b, AML_ARG0); aml_name(b, "PICF");
 * Resource templates (ACPI spec "Resource Data Types for ACPI") are built in a separate AmlBuf
 * with the aml_rd_* calls, closed with aml_rd_end, and wrapped with aml_buffer.
 * Out-of-memory is sticky: b->err is set and later calls do nothing.
 */
#ifndef X86PC_AML_H
#define X86PC_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct AmlBuf {
    uint8_t *data;
    size_t len, cap;
    bool err;
} AmlBuf;

/* Opcodes (ACPI spec, "AML Byte Stream Byte Values"). */
enum {
    AML_ZERO = 0x00,
    AML_ONE = 0x01,
    AML_NAME_OP = 0x08,
    AML_BYTE_PREFIX = 0x0A,
    AML_WORD_PREFIX = 0x0B,
    AML_DWORD_PREFIX = 0x0C,
    AML_STRING_PREFIX = 0x0D,
    AML_QWORD_PREFIX = 0x0E,
    AML_SCOPE = 0x10,
    AML_BUFFER = 0x11,
    AML_PACKAGE = 0x12,
    AML_METHOD = 0x14,
    AML_DUAL_NAME = 0x2E,
    AML_MULTI_NAME = 0x2F,
    AML_EXT = 0x5B,
    AML_ROOT_CHAR = 0x5C,
    AML_PARENT_CHAR = 0x5E,
    AML_LOCAL0 = 0x60,
    AML_ARG0 = 0x68,
    AML_STORE = 0x70,
    AML_ADD = 0x72,
    AML_SUBTRACT = 0x74,
    AML_AND = 0x7B,
    AML_OR = 0x7D,
    AML_NOTIFY = 0x86,
    AML_CREATE_DWORD_FIELD = 0x8A,
    AML_LAND = 0x90,
    AML_LOR = 0x91,
    AML_LNOT = 0x92,
    AML_LEQUAL = 0x93,
    AML_LGREATER = 0x94,
    AML_LLESS = 0x95,
    AML_IF = 0xA0,
    AML_ELSE = 0xA1,
    AML_RETURN = 0xA4,
    AML_ONES = 0xFF,
};
/* Second bytes after AML_EXT. */
enum {
    AML_EXT_OP_REGION = 0x80,
    AML_EXT_FIELD = 0x81,
    AML_EXT_DEVICE = 0x82,
};
/* Operation region spaces. */
enum { AML_SPACE_MEMORY = 0, AML_SPACE_IO = 1, AML_SPACE_PCI_CONFIG = 2 };
/* Field flags: access type | lock rule << 4 | update rule << 5. */
enum {
    AML_FIELD_ANY_ACC = 0,
    AML_FIELD_BYTE_ACC = 1,
    AML_FIELD_WORD_ACC = 2,
    AML_FIELD_DWORD_ACC = 3,
    AML_FIELD_LOCK = 0x10,
    AML_FIELD_PRESERVE = 0x00,
    AML_FIELD_WRITE_ONES = 0x20,
    AML_FIELD_WRITE_ZEROS = 0x40,
};

void aml_init(AmlBuf *b);
void aml_free(AmlBuf *b);
void aml_byte(AmlBuf *b, uint8_t v);
void aml_bytes(AmlBuf *b, const void *p, size_t n);
void aml_op(AmlBuf *b, uint8_t op); /* a one-byte opcode, Local0-7, Arg0-6, Zero, One, Ones */

/* A NameString: "\\_SB.PCI0", "^LNKA", "PRQ0"; segments shorter than 4 characters are padded
 * with '_'. An empty string is the NullName (a missing Target). */
void aml_name(AmlBuf *b, const char *path);
/* Integers in the shortest form: Zero, One, or Byte/Word/DWord/QWord prefixed constants. */
void aml_int(AmlBuf *b, uint64_t v);
void aml_string(AmlBuf *b, const char *s);
/* The 32-bit compressed EISA ID of "PNP0A03" etc., as a DWordConst. */
uint32_t aml_eisaid_value(const char *id);
void aml_eisaid(AmlBuf *b, const char *id);

/* PkgLength objects. */
size_t aml_begin(AmlBuf *b, uint8_t op);           /* op, then the PkgLength goes here */
size_t aml_begin_ext(AmlBuf *b, uint8_t ext_op);   /* 0x5B op, then the PkgLength */
void aml_end(AmlBuf *b, size_t mark);
size_t aml_scope_begin(AmlBuf *b, const char *path);
size_t aml_device_begin(AmlBuf *b, const char *path);
size_t aml_method_begin(AmlBuf *b, const char *path, unsigned nargs, bool serialized);
size_t aml_if_begin(AmlBuf *b);   /* the predicate follows, then the body */
size_t aml_else_begin(AmlBuf *b);
size_t aml_package_begin(AmlBuf *b, uint8_t nelems);
/* Buffer(){bytes} */
void aml_buffer(AmlBuf *b, const void *bytes, size_t n);
/* Name(path, ...): the object must follow. */
void aml_name_decl(AmlBuf *b, const char *path);
void aml_name_int(AmlBuf *b, const char *path, uint64_t v);
/* OperationRegion(name, space, offset, len) */
void aml_op_region(AmlBuf *b, const char *name, uint8_t space, uint64_t offset, uint64_t len);
/* Field(region, flags) { ... }: aml_field_entry for each named field of `bits` bits. */
size_t aml_field_begin(AmlBuf *b, const char *region, uint8_t flags);
void aml_field_entry(AmlBuf *b, const char *name, uint32_t bits);

/* Resource descriptors. */
void aml_rd_io(AmlBuf *b, uint16_t min, uint16_t max, uint8_t align, uint8_t len);
void aml_rd_irq_noflags(AmlBuf *b, uint16_t mask);
/* Interrupt(ResourceConsumer, Level/Edge, ActiveHigh/Low, Shared/Exclusive){irqs} */
void aml_rd_interrupt(AmlBuf *b, bool edge, bool active_low, bool shared, const uint32_t *irqs,
                      unsigned n);
/* WordBusNumber / WordIO (EntireRange) producers with MinFixed, MaxFixed, PosDecode. */
void aml_rd_word_bus(AmlBuf *b, uint16_t min, uint16_t max);
void aml_rd_word_io(AmlBuf *b, uint16_t min, uint16_t max);
/* DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, cacheable?, ReadWrite) */
void aml_rd_dword_memory(AmlBuf *b, bool cacheable, uint32_t min, uint32_t max);
void aml_rd_end(AmlBuf *b); /* EndTag with checksum 0 ("ignore") */

/* Encodes a PkgLength for `content` bytes following it into out[0..3]; returns its length. */
unsigned aml_pkglength_encode(size_t content, uint8_t out[4]);

#endif
