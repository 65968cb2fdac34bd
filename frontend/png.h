/* A PNG encoder for screenshots: 8-bit RGB, one IDAT, zlib's deflate and crc32 (PNG
 * specification, ISO/IEC 15948, sections 5 and 11-12). */
#ifndef X86PC_PNG_H
#define X86PC_PNG_H

#include <stddef.h>
#include <stdint.h>

/* Write w x h pixels (0x00RRGGBB, row after row) to path. Returns 0, or -1 with a message in err.
 */
int png_write_rgb(const char *path, const uint32_t *pix, int w, int h, char *err, size_t errlen);

#endif
