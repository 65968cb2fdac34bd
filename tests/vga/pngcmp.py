#!/usr/bin/env python3
"""Compare two PNG files pixel for pixel, as 8-bit RGB after decoding (PNG specification,
ISO/IEC 15948: chunks, zlib, the five row filters; 8-bit greyscale, RGB and RGBA, no interlace).
Exit status 0 if the pictures are equal, 1 otherwise, with the first difference on stdout.
Also usable as a module: decode(path) -> (width, height, rows of RGB bytes)."""
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise ValueError(f'{path}: not a PNG file')
    pos, idat, hdr = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc, = struct.unpack('>I', data[pos + 8 + n:pos + 12 + n])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError(f'{path}: bad CRC in chunk {kind!r}')
        if kind == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        elif kind == b'IEND':
            break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    channels = {0: 1, 2: 3, 6: 4}.get(ctype)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f'{path}: unsupported PNG (depth {depth}, colour type {ctype})')
    raw = zlib.decompress(idat)
    stride = w * channels
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif f == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 0xFF
        prev = line
        if channels == 3:
            rows.append(bytes(line))
        elif channels == 4:
            rows.append(bytes(v for k, v in enumerate(line) if k % 4 != 3))
        else:
            rows.append(bytes(v for v in line for _ in range(3)))
    return w, h, rows


def main():
    a, b = sys.argv[1], sys.argv[2]
    wa, ha, ra = decode(a)
    wb, hb, rb = decode(b)
    if (wa, ha) != (wb, hb):
        print(f'size {wa}x{ha} differs from {wb}x{hb}')
        return 1
    diff = 0
    first = None
    for y in range(ha):
        if ra[y] != rb[y]:
            for x in range(wa):
                if ra[y][3 * x:3 * x + 3] != rb[y][3 * x:3 * x + 3]:
                    diff += 1
                    if first is None:
                        first = (x, y, ra[y][3 * x:3 * x + 3].hex(), rb[y][3 * x:3 * x + 3].hex())
    if diff:
        x, y, pa, pb = first
        print(f'{diff} pixels differ; first at ({x},{y}): {pa} vs {pb}')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
