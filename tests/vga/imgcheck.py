#!/usr/bin/env python3
"""Picture checks for tests/desktop.sh, on PNG files (decoded by pngcmp.py):
  imgcheck.py light FILE X0 Y0 X1 Y1   print the share (0..1) of light pixels in the box
  imgcheck.py textrows FILE            print how many 16-line text rows hold light pixels
  imgcheck.py same A B [C ...]         exit 0 if A equals any of the others pixel for pixel"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngcmp import decode  # noqa: E402


def light(rows, x, y):
    r, g, b = rows[y][3 * x:3 * x + 3]
    return r + g + b > 3 * 0x80


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    w, h, rows = decode(path)
    if cmd == 'light':
        x0, y0, x1, y1 = (int(v) for v in sys.argv[3:7])
        x1, y1 = min(x1, w), min(y1, h)
        n = sum(light(rows, x, y) for y in range(y0, y1) for x in range(x0, x1))
        print('%.3f' % (n / max(1, (x1 - x0) * (y1 - y0))))
        return 0
    if cmd == 'textrows':
        count = 0
        for r in range(h // 16):
            if any(light(rows, x, y) for y in range(16 * r, 16 * r + 16) for x in range(0, w, 1)):
                count += 1
        print(count)
        return 0
    if cmd == 'same':
        for other in sys.argv[3:]:
            if os.path.exists(other) and decode(other) == (w, h, rows):
                return 0
        return 1
    return 2


if __name__ == '__main__':
    sys.exit(main())
