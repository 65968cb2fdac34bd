#!/usr/bin/env bash
# SeaBIOS boots from the IDE disk and the ATAPI CD-ROM. A 1 MB raw image whose first sector is
# tests/boot/bootsect_disk.asm (it reads by CHS and LBA and writes a sector through INT 13h) and
# a small El Torito ISO (xorriso, no-emulation boot image tests/boot/bootsect_cd.asm) are booted
# headless; each boot program reports on the debug console and exits through isa-debug-exit
# (0x10: exit status 33). Also checked: writes reach the image file and -snapshot keeps it
# untouched, -boot picks between disk and CD, -drive, and the one-line errors for unusable
# images. X86PC=path overrides the binary (default ./x86pc).
set -u
cd "$(dirname "$0")/.."
X86PC=${X86PC:-./x86pc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() {
    pass=$((pass + 1))
    echo "PASS $1"
}

bad() {
    fail=$((fail + 1))
    echo "FAIL $1"
    [ -n "${2:-}" ] && sed 's/^/    /' <<<"$2" | tail -20
}

run() {
    timeout 60 "$X86PC" -nographic -serial "file:$tmp/serial.txt" -m 32 -debugcon stdio \
        -device isa-debug-exit -no-reboot "$@" </dev/null 2>&1
}

# sector 0: the boot sector; 1 and 2: magic strings; 4: written by the guest
make_disk() {
    rm -f "$1"
    truncate -s 1M "$1"
    dd if="$tmp/bootsect_disk.bin" of="$1" conv=notrunc status=none
    printf 'MAGIC-S1' | dd of="$1" bs=512 seek=1 conv=notrunc status=none
    printf 'MAGIC-S2' | dd of="$1" bs=512 seek=2 conv=notrunc status=none
}

sector4() {
    dd if="$1" bs=512 skip=4 count=1 status=none | head -c 8 | tr -d '\0'
}

nasm -f bin -o "$tmp/bootsect_disk.bin" tests/boot/bootsect_disk.asm || exit 1
nasm -f bin -o "$tmp/bootsect_cd.bin" tests/boot/bootsect_cd.asm || exit 1
img=$tmp/disk.img

# 1. boot from -hda; the guest's write reaches the file
make_disk "$img"
out=$(run -hda "$img")
st=$?
if [ $st -eq 33 ] && grep -q "bootsect: write ok, PASS" <<<"$out" &&
    [ "$(sector4 "$img")" = GUESTWRT ]; then
    ok "disk boot (-hda), write reaches the image"
else
    bad "disk boot (-hda): exit $st, sector 4 '$(sector4 "$img")'" "$out"
fi

# 2. -snapshot: the same run leaves the file alone
make_disk "$img"
out=$(run -hda "$img" -snapshot)
st=$?
if [ $st -eq 33 ] && grep -q "PASS" <<<"$out" && [ -z "$(sector4 "$img")" ]; then
    ok "disk boot with -snapshot, image untouched"
else
    bad "disk boot with -snapshot: exit $st, sector 4 '$(sector4 "$img")'" "$out"
fi

# 3. -drive spelling, the disk as drive 0
out=$(run -drive "file=$img,if=ide,index=0,media=disk,format=raw" -snapshot)
st=$?
if [ $st -eq 33 ] && grep -q "PASS" <<<"$out"; then
    ok "disk boot (-drive)"
else
    bad "disk boot (-drive): exit $st" "$out"
fi

# 4. El Torito CD, and -boot choosing between the two
if command -v xorriso >/dev/null; then
    mkdir -p "$tmp/iso"
    cp "$tmp/bootsect_cd.bin" "$tmp/iso/boot.bin"
    echo "x86pc test disc" >"$tmp/iso/readme.txt"
    xorriso -as mkisofs -quiet -o "$tmp/test.iso" -b boot.bin -no-emul-boot \
        -boot-load-size 4 "$tmp/iso" >/dev/null 2>&1
    out=$(run -cdrom "$tmp/test.iso" -boot d)
    st=$?
    if [ $st -eq 33 ] && grep -q "bootcd: volume descriptor ok, PASS" <<<"$out"; then
        ok "CD boot (-cdrom, El Torito no-emulation)"
    else
        bad "CD boot: exit $st" "$out"
    fi
    out=$(run -hda "$img" -cdrom "$tmp/test.iso" -snapshot -boot d)
    if grep -q "bootcd: booted" <<<"$out"; then
        ok "-boot d with a disk and a CD boots the CD"
    else
        bad "-boot d with a disk and a CD" "$out"
    fi
    out=$(run -hda "$img" -cdrom "$tmp/test.iso" -snapshot -boot c)
    if grep -q "bootsect: booted" <<<"$out"; then
        ok "-boot c with a disk and a CD boots the disk"
    else
        bad "-boot c with a disk and a CD" "$out"
    fi
else
    echo "SKIP CD boot: xorriso is not installed (Debian package xorriso)"
fi

# 5. no firmware: IRQ 14 and bus-master DMA from a bare-metal program (tests/boot/ide_dma.asm)
nasm -f bin -I tests/guest/ -o "$tmp/ide_dma.bin" tests/boot/ide_dma.asm || exit 1
make_disk "$img"
out=$(run -bios "$tmp/ide_dma.bin" -hda "$img")
st=$?
sec6=$(dd if="$img" bs=512 skip=6 count=1 status=none | head -c 6 | od -An -tx1 | tr -d ' \n')
if [ $st -eq 33 ] && ! grep -q "^not ok" <<<"$out" && [ "$sec6" = b802000000c3 ]; then
    ok "IRQ 14 and bus-master DMA without firmware (ide_dma.asm)"
else
    bad "ide_dma.asm: exit $st, sector 6 '$sec6'" "$out"
fi

# 6. unusable images: one line on stderr, exit status 1
head -c 1000 /dev/zero >"$tmp/short.img"
for args in "-hda $tmp/missing.img" "-hda $tmp/short.img" "-cdrom $tmp/short.img"; do
    # shellcheck disable=SC2086
    err=$(timeout 10 "$X86PC" -nographic -serial none $args </dev/null 2>&1 >/dev/null)
    st=$?
    if [ $st -eq 1 ] && [ "$(wc -l <<<"$err")" -eq 1 ] && grep -q "^x86pc: .*image" <<<"$err"; then
        ok "error for '$args': $err"
    else
        bad "error for '$args': exit $st" "$err"
    fi
done

echo "boot disk: $pass passed, $fail failed"
[ $fail -eq 0 ]
