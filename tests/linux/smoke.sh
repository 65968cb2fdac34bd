#!/usr/bin/env bash
# Checks the Linux test guest that tests/linux/build-guest.sh makes, without booting
# it: the bzImage header (Linux boot protocol, Documentation/x86/boot.rst), the
# initramfs member list, the MBR and FAT16 partition of disk.img (read with sfdisk
# and mtools), the El Torito catalogue and files of guest.iso (xorriso), and that a
# second build run is a no-op. Runs build-guest.sh first (network only on the first
# run, to fetch the Debian packages into tests/cache/guest/debs).
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${X86PC_GUEST_DIR:-$here/../cache/guest}
pass=0
fail=0
check() { # name command...
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name"
    fi
}

if ! bash "$here/build-guest.sh"; then
    echo "FAIL: build-guest.sh"
    echo "0 passed, 1 failed"
    exit 1
fi
out=$(cd "$out" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bytes() { # file offset count: hex bytes
    od -A n -t x1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}
kver=$(awk 'NR == 1 { sub(/^linux-image-/, "", $1); print $1 }' "$out/debs/packages.txt")

# bzImage: boot sector signature, "HdrS" and a protocol of at least 2.06.
check "bzImage boot signature" test "$(bytes "$out/bzImage" 510 2)" = 55aa
check "bzImage HdrS magic" test "$(bytes "$out/bzImage" 514 4)" = 48647253
check "bzImage protocol >= 2.06" test "$(od -A n -t u2 -j 518 -N 2 "$out/bzImage" | tr -d ' ')" -ge 518

# initramfs: gzip'd newc cpio with busybox, its links, /init and the modules.
check "initrd.gz is gzip" gzip -t "$out/initrd.gz"
gzip -dc "$out/initrd.gz" | cpio -t --quiet >"$tmp/list" 2>/dev/null
gzip -dc "$out/initrd.gz" | head -c 6 >"$tmp/magic"
check "initrd is newc cpio" grep -q -x 070701 "$tmp/magic"
for f in init bin/busybox bin/sh bin/mount bin/insmod bin/setsid bin/cttyhack bin/poweroff \
    lib/modules/$kver/load-order lib/modules/$kver/modules.dep; do
    check "initrd has $f" grep -q -x -F "$f" "$tmp/list"
done
for m in ata_piix ata_generic libata sd_mod sr_mod cdrom scsi_mod isofs vfat fat nls_cp437 \
    nls_iso8859-1; do
    check "initrd has $m.ko" grep -q "^lib/modules/$kver/kernel/.*/$m\.ko\$" "$tmp/list"
done
(cd "$tmp" && gzip -dc "$out/initrd.gz" | cpio -i --quiet -d init bin/busybox \
    "lib/modules/$kver/load-order" 2>/dev/null)
check "initrd /init is executable" test -x "$tmp/init"
check "/init is the committed one" cmp "$tmp/init" "$here/init"
check "busybox is ELF32 i386" test "$(bytes "$tmp/bin/busybox" 0 5)$(bytes "$tmp/bin/busybox" 18 2)" = 7f454c46010300
check "load-order puts libata before ata_piix" \
    awk '/libata/ { l = NR } /ata_piix/ { p = NR } END { exit !(l && p && l < p) }' \
    "$tmp/lib/modules/$kver/load-order"

# disk.img: syslinux MBR, one bootable FAT16 partition at 1 MiB, the boot files.
check "disk MBR signature" test "$(bytes "$out/disk.img" 510 2)" = 55aa
check "disk MBR code is syslinux mbr.bin" cmp -n 440 "$out/disk.img" /usr/lib/syslinux/mbr/mbr.bin
sfdisk -d "$out/disk.img" >"$tmp/sfdisk" 2>/dev/null
check "one partition" test "$(grep -c 'start=' "$tmp/sfdisk")" = 1
check "partition at 2048, type 6, bootable" grep -q 'start= *2048, size= *129024, type=6, bootable' "$tmp/sfdisk"
img="$out/disk.img@@1M"
mdir -a -b -i "$img" :: >"$tmp/mdir" 2>/dev/null
for f in BZIMAGE INITRD.GZ SYSLINUX.CFG MARKER.TXT LDLINUX.SYS LDLINUX.C32; do
    check "FAT has $f" grep -q -i "::/$f\$" "$tmp/mdir"
done
check "FAT boot sector is SYSLINUX's" grep -q -a SYSLINUX <(dd if="$out/disk.img" bs=512 skip=2048 count=1 status=none)
check "FAT MARKER.TXT" test "$(mtype -i "$img" ::MARKER.TXT 2>/dev/null)" = x86pc-disk-marker
mcopy -n -i "$img" ::BZIMAGE "$tmp/fat-bzimage" 2>/dev/null
mcopy -n -i "$img" ::INITRD.GZ "$tmp/fat-initrd" 2>/dev/null
check "FAT BZIMAGE = bzImage" cmp "$tmp/fat-bzimage" "$out/bzImage"
check "FAT INITRD.GZ = initrd.gz" cmp "$tmp/fat-initrd" "$out/initrd.gz"
check "syslinux.cfg boots BZIMAGE on ttyS0" \
    bash -c "mtype -i '$img' ::SYSLINUX.CFG | grep -q 'KERNEL /BZIMAGE' &&
             mtype -i '$img' ::SYSLINUX.CFG | grep -q 'APPEND.*console=ttyS0'"

# guest.iso: El Torito no-emulation ISOLINUX, the same kernel and initramfs.
xorriso -indev "$out/guest.iso" -report_el_torito plain >"$tmp/eltorito" 2>/dev/null
check "El Torito boot image is isolinux.bin" grep -q 'img path.*/isolinux/isolinux.bin' "$tmp/eltorito"
check "El Torito no emulation" grep -q 'boot img.*BIOS.*y.*none' "$tmp/eltorito"
xorriso -osirrox on -indev "$out/guest.iso" -extract / "$tmp/iso" >/dev/null 2>&1
check "ISO MARKER.TXT" test "$(cat "$tmp/iso/MARKER.TXT" 2>/dev/null)" = x86pc-cd-marker
check "ISO bzimage = bzImage" cmp "$tmp/iso/isolinux/bzimage" "$out/bzImage"
check "ISO initrd.gz = initrd.gz" cmp "$tmp/iso/isolinux/initrd.gz" "$out/initrd.gz"
check "ISO has ldlinux.c32" test -s "$tmp/iso/isolinux/ldlinux.c32"
check "isolinux.cfg boots the kernel on ttyS0" grep -q 'APPEND.*console=ttyS0.*x86pc.media=cd' \
    "$tmp/iso/isolinux/isolinux.cfg"

# A second run changes nothing.
before=$(stat -c %Y "$out/disk.img" "$out/guest.iso" "$out/initrd.gz")
bash "$here/build-guest.sh" >"$tmp/again" 2>&1
check "second run is up to date" grep -q 'up to date' "$tmp/again"
check "second run rewrote nothing" test "$before" = "$(stat -c %Y "$out/disk.img" "$out/guest.iso" "$out/initrd.gz")"

echo "guest: $pass passed, $fail failed"
[ "$fail" = 0 ]
