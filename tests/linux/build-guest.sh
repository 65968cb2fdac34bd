#!/usr/bin/env bash
# Builds the x86pc Linux test guest from Debian 12 (bookworm) i386 packages only,
# into tests/cache/guest/ (git-ignored; nothing here is ever committed):
#   bzImage    the kernel of linux-image-686 (its versioned linux-image-6.1.0-N-686)
#   initrd.gz  newc cpio + gzip: busybox-static:i386, its applet links, tests/linux/init
#              and the storage/filesystem modules of the same kernel with their
#              dependencies (resolved from each module's .modinfo "depends=")
#   disk.img   raw disk: MBR (syslinux mbr.bin), one bootable FAT16 partition at
#              sector 2048 with SYSLINUX, the kernel, the initrd and MARKER.TXT
#   guest.iso  El Torito (no emulation) ISOLINUX CD with the same files
# Packages are fetched with apt-get on private state (i386 lists, cache and an empty
# dpkg status under the cache dir), so the host's dpkg configuration is untouched.
# Once the .debs are cached the script needs no network; it rebuilds the images only
# when this script, the init or the packages changed (stamp file).
#
# usage: tests/linux/build-guest.sh [--refresh] [--force]
#   --refresh  resolve and download the newest Debian packages again
#   --force    rebuild the images even when the stamp says they are up to date
# env: X86PC_GUEST_DIR overrides the output directory (default tests/cache/guest).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${X86PC_GUEST_DIR:-$root/tests/cache/guest}
refresh=0
force=0
for a in "$@"; do
    case "$a" in
    --refresh) refresh=1 ;;
    --force) force=1 ;;
    -h | --help)
        sed -n '2,20p' "$0"
        exit 0
        ;;
    *)
        echo "build-guest.sh: unknown option '$a' (try --help)" >&2
        exit 2
        ;;
    esac
done

# Modules the guest loads, in this order (their dependencies come first). A trailing
# '?' marks one that this kernel may not have (Debian's 686 flavour builds no pata_acpi).
# The crypto _generic modules register the algorithms that crc-t10dif and
# crc64-rocksoft (needed by sd_mod through t10-pi) look up at load time, so that
# no request_module call has to find them.
GUEST_MODULES="scsi_mod crc64_rocksoft_generic? crct10dif_generic? sd_mod sr_mod cdrom libata ata_piix ata_generic pata_acpi?
               fat vfat isofs nls_cp437 nls_iso8859-1 nls_ascii nls_utf8"
MARKER_DISK=x86pc-disk-marker
MARKER_CD=x86pc-cd-marker
KERNEL_APPEND="console=tty0 console=ttyS0,115200n8"
DISK_MIB=64
PART_START=2048
MBR_BIN=/usr/lib/syslinux/mbr/mbr.bin
LDLINUX_C32=/usr/lib/syslinux/modules/bios/ldlinux.c32
ISOLINUX_BIN=/usr/lib/ISOLINUX/isolinux.bin
export SOURCE_DATE_EPOCH=1700000000

say() { echo "build-guest: $*"; }
die() {
    echo "build-guest: error: $*" >&2
    exit 1
}

# ---- host tools ---------------------------------------------------------------
need_tools() {
    local missing="" t
    for t in cpio:cpio gzip:gzip mkfs.fat:dosfstools mcopy:mtools mdir:mtools \
        syslinux:syslinux xorriso:xorriso sfdisk:fdisk flock:util-linux \
        sha256sum:coreutils dpkg-deb:dpkg apt-get:apt; do
        command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t#*:}"
    done
    [ -f "$MBR_BIN" ] && [ -f "$LDLINUX_C32" ] || missing="$missing syslinux-common"
    [ -f "$ISOLINUX_BIN" ] || missing="$missing isolinux"
    [ -n "$missing" ] || return 0
    missing=$(echo "$missing" | tr ' ' '\n' | sort -u | tr '\n' ' ')
    if [ "$(id -u)" != 0 ]; then
        die "missing host packages; run: sudo apt-get install -y $missing"
    fi
    say "installing host packages: $missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y -qq $missing >/dev/null ||
        { apt-get update -qq && apt-get install -y -qq $missing >/dev/null; } ||
        die "apt-get install $missing failed"
}
need_tools

mkdir -p "$out"
exec 9>"$out/.lock"
flock 9

# ---- packages -----------------------------------------------------------------
debs=$out/debs
manifest=$debs/packages.txt
aptdir=$out/apt
APT=(-o APT::Architecture=i386 -o APT::Architectures=i386
    -o Dir::State::Lists="$aptdir/lists" -o Dir::Cache="$aptdir/cache"
    -o Dir::State::status="$aptdir/status" -o Acquire::Languages=none
    -o APT::Sandbox::User=root -q)

cached_ok() {
    [ -f "$manifest" ] || return 1
    local name ver file n=0
    while read -r name ver file; do
        [ -f "$debs/$file" ] || return 1
        n=$((n + 1))
    done <"$manifest"
    [ "$n" = 2 ]
}

fetch_packages() {
    mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$debs"
    : >"$aptdir/status"
    say "apt-get update (i386 lists, private state in $aptdir)"
    # A suite that fails to update (a mirror mid-sync) is not fatal as long as the
    # packages resolve from the others.
    apt-get "${APT[@]}" update >"$aptdir/update.log" 2>&1 ||
        say "warning: apt-get update reported errors (see $aptdir/update.log); going on"
    local kpkg
    kpkg=$(apt-cache "${APT[@]}" depends linux-image-686 2>/dev/null |
        grep -o 'linux-image-[0-9][^ ]*-686' | head -n 1) ||
        die "cannot resolve the kernel package from linux-image-686 (see $aptdir/update.log)"
    [ -n "$kpkg" ] || die "linux-image-686 has no linux-image-*-686 dependency"
    local tmp=$debs/.new
    rm -rf "$tmp"
    mkdir -p "$tmp"
    say "apt-get download $kpkg busybox-static (i386)"
    (cd "$tmp" && apt-get "${APT[@]}" download "$kpkg" busybox-static >/dev/null) ||
        die "apt-get download $kpkg busybox-static failed"
    rm -f "$debs"/*.deb
    mv "$tmp"/*.deb "$debs/"
    rmdir "$tmp"
    {
        for p in "$kpkg" busybox-static; do
            f=$(cd "$debs" && ls "${p}"_*_i386.deb)
            echo "$p $(dpkg-deb -f "$debs/$f" Version) $f"
        done
    } >"$manifest"
}

if [ "$refresh" = 1 ] || ! cached_ok; then
    fetch_packages
else
    say "using cached packages (tests/linux/build-guest.sh --refresh to update)"
fi
kpkg=$(awk 'NR == 1 { print $1 }' "$manifest")
kdeb=$debs/$(awk 'NR == 1 { print $3 }' "$manifest")
bdeb=$debs/$(awk 'NR == 2 { print $3 }' "$manifest")
kver=${kpkg#linux-image-}
sed 's/^/build-guest:   /' "$manifest"

# ---- up to date? --------------------------------------------------------------
stamp=$out/stamp
want=$(cat "$0" "$here/init" "$manifest" | sha256sum | cut -d' ' -f1)
outputs="bzImage initrd.gz disk.img guest.iso"
if [ "$force" = 0 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    uptodate=1
    for f in $outputs; do [ -f "$out/$f" ] || uptodate=0; done
    if [ "$uptodate" = 1 ]; then
        say "up to date: $out/{bzImage,initrd.gz,disk.img,guest.iso} (kernel $kver)"
        exit 0
    fi
fi
rm -f "$stamp"

# ---- unpack -------------------------------------------------------------------
unpack() { # deb dir
    if [ "$(cat "$2/.from" 2>/dev/null)" != "$(basename "$1")" ]; then
        say "unpacking $(basename "$1")"
        rm -rf "$2"
        mkdir -p "$2"
        dpkg-deb -x "$1" "$2"
        basename "$1" >"$2/.from"
    fi
}
unpack "$kdeb" "$out/pkg/kernel"
unpack "$bdeb" "$out/pkg/busybox"
kroot=$out/pkg/kernel
vmlinuz=$kroot/boot/vmlinuz-$kver
kmods=$kroot/lib/modules/$kver
busybox=$out/pkg/busybox/bin/busybox
[ -f "$vmlinuz" ] || die "$kpkg has no /boot/vmlinuz-$kver"
[ -d "$kmods/kernel" ] || die "$kpkg has no /lib/modules/$kver/kernel"
[ -f "$busybox" ] || die "busybox-static has no /bin/busybox"

work=$out/work
rm -rf "$work"
mkdir -p "$work"

# ---- kernel modules -----------------------------------------------------------
# Debian's package ships no modules.dep (depmod runs at install time), so the
# dependencies come from each module's .modinfo strings: "depends=a,b" and
# "softdep=pre: x". A softdep may name an alias (crc-t10dif wants "crct10dif"):
# it resolves to a module declaring that alias, preferring a _generic one.
declare -A modpath=() seen=()
while IFS= read -r f; do
    n=${f##*/}
    n=${n%%.ko*}
    modpath[${n//-/_}]=${f#"$kmods"/}
done < <(find "$kmods/kernel" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
say "kernel $kver: ${#modpath[@]} modules in the package"

modcat() { # relpath: the module's bytes, decompressed
    case "$1" in
    *.xz) xz -dc "$kmods/$1" ;;
    *.zst) zstd -dc "$kmods/$1" ;;
    *.gz) gzip -dc "$kmods/$1" ;;
    *) cat "$kmods/$1" ;;
    esac
}
modinfo_field() { # relpath field
    modcat "$1" | tr '\0' '\n' | LC_ALL=C sed -n "s/^$2=//p"
}
builtin_mod() {
    grep -q -E "/${1//_/[-_]}\.ko\$" "$kmods/modules.builtin" 2>/dev/null
}
order=()
resolve() { # name [optional]
    local n=${1//-/_} rel d
    [ -z "${seen[$n]:-}" ] || return 0
    seen[$n]=1
    rel=${modpath[$n]:-}
    if [ -z "$rel" ]; then
        builtin_mod "$n" && return 0
        [ "${2:-}" = optional ] && {
            say "  (no module $n in this kernel; skipped)"
            return 0
        }
        die "kernel $kver has no module $n"
    fi
    for d in $(modinfo_field "$rel" depends | tr ',' ' '); do
        resolve "$d"
    done
    local sd alias
    for sd in $(modinfo_field "$rel" softdep | sed -n 's/.*pre: *\([^:]*\)\( post:.*\)\{0,1\}$/\1/p'); do
        if [ -n "${modpath[${sd//-/_}]:-}" ]; then
            resolve "$sd" optional
        else
            alias=$( (grep -r -l -z -a -F -x "alias=$sd" "$kmods/kernel" 2>/dev/null || true) |
                awk '/generic/ { print; exit } { a = a ? a : $0 } END { if (a) print a }' |
                head -n 1 || true)
            if [ -n "$alias" ]; then
                alias=${alias##*/}
                resolve "${alias%%.ko*}" optional
            fi
        fi
    done
    order+=("$rel")
}
for m in $GUEST_MODULES; do
    case "$m" in
    *\?) resolve "${m%\?}" optional ;;
    *) resolve "$m" ;;
    esac
done

# ---- initramfs ----------------------------------------------------------------
ir=$work/initramfs
mkdir -p "$ir"/{bin,dev,etc,lib,mnt,proc,root,sys,tmp}
ln -s bin "$ir/sbin"
mkdir -p "$ir/usr"
ln -s ../bin "$ir/usr/bin"
ln -s ../bin "$ir/usr/sbin"
cp "$busybox" "$ir/bin/busybox"
chmod 755 "$ir/bin/busybox"
# The host cannot run the i386 busybox to ask for its applets, so read the sorted
# NUL-separated applet name table that starts with "[" "[[" out of the binary.
LC_ALL=C tr '\0' '\n' <"$busybox" | LC_ALL=C awk '
    prev == "[" && $0 == "[[" { on = 1; print "[" }
    on { if ($0 !~ /^[a-z0-9_.\[-]+$/) exit; print }
    { prev = $0 }' >"$work/applets" || true
for a in sh mount insmod setsid cttyhack poweroff cat usleep; do
    grep -q -x -F "$a" "$work/applets" || die "busybox has no '$a' applet (applet table not found?)"
done
while IFS= read -r a; do
    [ "$a" = busybox ] || ln -s busybox "$ir/bin/$a"
done <"$work/applets"
install -m 755 "$here/init" "$ir/init"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ir/etc/passwd"
printf 'root:x:0:\n' >"$ir/etc/group"
mdir=$ir/lib/modules/$kver
: >"$work/load-order"
for rel in "${order[@]}"; do
    dst=${rel%.xz}
    dst=${dst%.zst}
    dst=${dst%.gz}
    mkdir -p "$(dirname "$mdir/$dst")"
    modcat "$rel" >"$mdir/$dst"
    echo "$dst" >>"$work/load-order"
done
cp "$work/load-order" "$mdir/load-order"
# modules.dep in depmod's format for busybox modprobe (and so request_module): each
# line lists the module's whole dependency closure, the first-loaded last.
declare -A closure=()
strip() {
    local r=${1%.xz}
    r=${r%.zst}
    echo "${r%.gz}"
}
for rel in "${order[@]}"; do
    n=${rel##*/}
    n=${n%%.ko*}
    c=""
    for d in $(modinfo_field "$rel" depends | tr ',' ' '); do
        d=${d//-/_}
        [ -n "${modpath[$d]:-}" ] || continue
        for x in ${closure[$d]:-} "$(strip "${modpath[$d]}")"; do
            case " $c " in *" $x "*) ;; *) c="$c $x" ;; esac
        done
    done
    closure[${n//-/_}]=$c
    echo "$(strip "$rel"):$(echo "$c" | tr ' ' '\n' | tac | tr '\n' ' ' | sed 's/ *$//; s/^/ /; s/^ $//')"
done >"$mdir/modules.dep"
cp "$kmods/modules.builtin" "$kmods/modules.order" "$mdir/" 2>/dev/null || true
say "initramfs modules (${#order[@]}): $(sed 's,.*/,,; s,\.ko$,,' "$work/load-order" | tr '\n' ' ')"
find "$ir" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
(cd "$ir" && find . -mindepth 1 | LC_ALL=C sort |
    cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -9 >"$work/initrd.gz"
cp "$vmlinuz" "$work/bzImage"

# ---- boot configs -------------------------------------------------------------
bootcfg() { # media kernel-path initrd-path
    cat <<EOF
SERIAL 0 115200
PROMPT 0
TIMEOUT 10
DEFAULT linux
LABEL linux
  KERNEL $2
  INITRD $3
  APPEND $KERNEL_APPEND x86pc.media=$1
EOF
}

# ---- disk image ---------------------------------------------------------------
# Built without loop devices: the FAT partition is made as its own image file
# (mkfs.fat, syslinux --install and mcopy all work on files) and spliced after the
# MBR at sector PART_START.
part=$work/part.img
part_sectors=$((DISK_MIB * 2048 - PART_START))
mkfs.fat -F 16 -n X86PC_DISK -h "$PART_START" -i 78863836 --invariant \
    -C "$part" $((part_sectors / 2)) >/dev/null
syslinux --install "$part"
bootcfg disk /BZIMAGE /INITRD.GZ >"$work/syslinux.cfg"
echo "$MARKER_DISK" >"$work/MARKER.TXT"
touch -d "@$SOURCE_DATE_EPOCH" "$work/bzImage" "$work/initrd.gz" "$work/syslinux.cfg" "$work/MARKER.TXT"
mcopy -i "$part" -m "$work/bzImage" ::BZIMAGE
mcopy -i "$part" -m "$work/initrd.gz" ::INITRD.GZ
mcopy -i "$part" -m "$work/syslinux.cfg" ::SYSLINUX.CFG
mcopy -i "$part" -m "$work/MARKER.TXT" ::MARKER.TXT
disk=$work/disk.img
truncate -s "${DISK_MIB}M" "$disk"
printf 'label: dos\nlabel-id: 0x78863836\nstart=%d, type=6, bootable\n' "$PART_START" |
    sfdisk -q --no-reread --no-tell-kernel "$disk" >/dev/null
dd if="$MBR_BIN" of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$part" of="$disk" bs=512 seek="$PART_START" conv=notrunc,sparse status=none
rm -f "$part"

# ---- ISO ----------------------------------------------------------------------
iso=$work/isoroot
mkdir -p "$iso/isolinux"
cp "$ISOLINUX_BIN" "$LDLINUX_C32" "$iso/isolinux/"
cp "$work/bzImage" "$iso/isolinux/bzimage"
cp "$work/initrd.gz" "$iso/isolinux/initrd.gz"
bootcfg cd /isolinux/bzimage /isolinux/initrd.gz >"$iso/isolinux/isolinux.cfg"
echo "$MARKER_CD" >"$iso/MARKER.TXT"
find "$iso" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
xorriso -as mkisofs -quiet -o "$work/guest.iso" -V X86PC_GUEST -r -J \
    -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table "$iso" 2>"$work/xorriso.log" ||
    {
        cat "$work/xorriso.log" >&2
        die "xorriso failed"
    }

# ---- publish ------------------------------------------------------------------
for f in $outputs; do mv -f "$work/$f" "$out/$f"; done
rm -rf "$work"
echo "$want" >"$stamp"
for f in $outputs; do
    say "$(printf '%-9s %9d bytes  %s' "$f" "$(stat -c %s "$out/$f")" "$out/$f")"
done
say "kernel $kver ($(awk 'NR == 1 { print $2 }' "$manifest")), busybox-static $(awk 'NR == 2 { print $2 }' "$manifest")"
