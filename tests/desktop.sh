#!/usr/bin/env bash
# The desktop as a person sees it: x86pc in a real window under Xvfb, looked at through X
# screenshots (ImageMagick's `import`, not x86pc) and typed into with xdotool.
#  1. SeaBIOS with the VGA BIOS: the window shows SeaBIOS's text; the X screenshot of the window
#     equals x86pc's own screendump taken around it; the title names the mouse grab key and
#     shows [paused] after Ctrl-Alt-P; Ctrl-Alt-Q ends x86pc with status 0.
#  1b. The PS/2 mouse: tests/desktop/mouse.asm (a BIOS image that makes the mouse an
#     IntelliMouse and prints its packets on the debug console); after Ctrl-Alt-G grabs the
#     mouse, xdotool's motion, click and wheel arrive as packets.
#  2. With the Linux test guest (tests/cache/guest/disk.img from tests/linux/build-guest.sh, if
#     it exists): SeaBIOS, SYSLINUX and then the Linux console on the VGA text screen; a shell is
#     started on tty1 (the VGA console) through the serial console; a command typed into the
#     window with xdotool reaches that shell (it writes a marker to the serial port) and its
#     output (a reverse-video block) appears in the window.
#  3. The same guest from a copy of the disk whose SYSLINUX.CFG asks for vga=0x317 (VBE mode
#     0x117, 1024x768x16, set by the kernel's real-mode setup through the VGA BIOS) and
#     console=tty0: Linux's vesafb runs its framebuffer console on the Bochs VBE linear
#     framebuffer; the window is 1024x768 and shows it; a command typed into the window reaches
#     the shell on that console (needs mtools to edit the copy).
# Needs Debian's xvfb, xdotool, imagemagick (and python3); without them it says SKIP.
#   X86PC=path/to/x86pc (default ./x86pc)   X86PC_GUEST_DIR=dir (default tests/cache/guest)
set -u
cd "$(dirname "$0")/.."
X86PC=${X86PC:-./x86pc}
GUEST=${X86PC_GUEST_DIR:-tests/cache/guest}
OUT=o/desktop
for t in Xvfb xdotool import python3; do
    if ! command -v "$t" >/dev/null; then
        echo "desktop: SKIP ($t missing; apt-get install xvfb xdotool imagemagick)"
        exit 0
    fi
done
mkdir -p "$OUT"
rm -f "$OUT"/*
pids=()
cleanup() {
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null
    done
}
trap cleanup EXIT

n=90
while [ -e "/tmp/.X$n-lock" ] || [ -e "/tmp/.X11-unix/X$n" ]; do
    n=$((n + 1))
done
Xvfb ":$n" -screen 0 1280x1024x24 -nolisten tcp >"$OUT/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=":$n"
for _ in $(seq 100); do
    xdotool getdisplaygeometry >/dev/null 2>&1 && break
    sleep 0.1
done

pass=0
fail=0
ok() {
    echo "ok - $1"
    pass=$((pass + 1))
}
bad() {
    echo "not ok - $1"
    fail=$((fail + 1))
}

# start NAME ARGS...: x86pc with the monitor on stdin (a FIFO kept open), sets XPID, WID, FIFO
start() {
    local name=$1
    shift
    FIFO="$OUT/$name.fifo"
    mkfifo "$FIFO"
    sleep 100000 >"$FIFO" &
    pids+=($!)
    "$X86PC" "$@" -monitor stdio <"$FIFO" >"$OUT/$name.out" 2>&1 &
    XPID=$!
    pids+=($XPID)
    WID=
    for _ in $(seq 300); do
        WID=$(xdotool search --name '^x86pc' 2>/dev/null | head -1)
        [ -n "$WID" ] && break
        sleep 0.1
    done
}
mon() {
    printf '%s\n' "$*" >"$FIFO"
}
# dump FILE: x86pc's own screendump, waited for
dump() {
    rm -f "$1"
    mon "screendump $1"
    for _ in $(seq 100); do
        [ -s "$1" ] && return 0
        sleep 0.05
    done
    return 1
}
xshot() { # (import with no window would wait for a click: never without one)
    [ -n "$WID" ] && timeout 30 import -window "$WID" -depth 8 "PNG24:$1" 2>/dev/null
}
# the X screenshot equals a screendump taken just before or just after it (the cursor blinks)
same_as_dump() {
    local tag=$1
    for k in 1 2 3 4 5; do
        dump "$OUT/$tag-a.png" && xshot "$OUT/$tag-x.png" && dump "$OUT/$tag-b.png" || continue
        if python3 tests/vga/imgcheck.py same "$OUT/$tag-x.png" "$OUT/$tag-a.png" \
            "$OUT/$tag-b.png"; then
            return 0
        fi
    done
    return 1
}
title() {
    xdotool getwindowname "$WID" 2>/dev/null
}
wait_exit() { # wait for x86pc to end within $1 s; sets st to its status (or "timeout")
    for _ in $(seq $(($1 * 10))); do
        kill -0 "$XPID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$XPID" 2>/dev/null; then
        st=timeout
    else
        wait "$XPID"
        st=$?
    fi
}

# ---- 1. SeaBIOS ----
start seabios -m 64 -serial none
if [ -n "$WID" ]; then ok "a window opens (title: $(title))"; else bad "a window opens"; fi
rows=0
for _ in $(seq 60); do
    dump "$OUT/seabios.png" && rows=$(python3 tests/vga/imgcheck.py textrows "$OUT/seabios.png")
    [ "${rows:-0}" -ge 4 ] && break
    sleep 0.5
done
if [ "${rows:-0}" -ge 4 ]; then ok "SeaBIOS's text on the screen ($rows rows)"; else bad "SeaBIOS's text on the screen"; fi
if same_as_dump seabios; then
    ok "the X screenshot of the window shows what the VGA shows"
else
    bad "the X screenshot of the window shows what the VGA shows"
fi
rows=$(python3 tests/vga/imgcheck.py textrows "$OUT/seabios-x.png" 2>/dev/null)
if [ "${rows:-0}" -ge 4 ]; then ok "SeaBIOS's text in the X screenshot"; else bad "SeaBIOS's text in the X screenshot"; fi
case "$(title)" in
*Ctrl-Alt-G*) ok "the title names the grab key" ;;
*) bad "the title names the grab key: $(title)" ;;
esac
xdotool windowfocus --sync "$WID" 2>/dev/null
xdotool key ctrl+alt+p
sleep 0.5
case "$(title)" in
*paused*) ok "Ctrl-Alt-P pauses (title: $(title))" ;;
*) bad "Ctrl-Alt-P pauses (title: $(title))" ;;
esac
xdotool key ctrl+alt+p
sleep 0.5
case "$(title)" in
*paused*) bad "Ctrl-Alt-P resumes" ;;
*) ok "Ctrl-Alt-P resumes" ;;
esac
xdotool key ctrl+alt+q
wait_exit 10
if [ "$st" = 0 ]; then ok "Ctrl-Alt-Q ends x86pc with status 0"; else bad "Ctrl-Alt-Q ends x86pc (status $st)"; fi

# ---- 1b. the mouse ----
if nasm -f bin -o "$OUT/mouse.bin" tests/desktop/mouse.asm; then
    start mouse -bios "$OUT/mouse.bin" -m 16 -serial none -debugcon "file:$OUT/mouse.dbg"
    for _ in $(seq 100); do
        grep -q READY "$OUT/mouse.dbg" 2>/dev/null && break
        sleep 0.1
    done
    if grep -q 'READY id=03' "$OUT/mouse.dbg"; then ok "the mouse is an IntelliMouse (ID 3)"; else bad "the mouse is an IntelliMouse"; fi
    xdotool windowfocus --sync "$WID" 2>/dev/null
    xdotool key ctrl+alt+g
    sleep 0.5
    case "$(title)" in
    *releases*) ok "Ctrl-Alt-G grabs the mouse (title: $(title))" ;;
    *) bad "Ctrl-Alt-G grabs the mouse (title: $(title))" ;;
    esac
    xdotool mousemove_relative 20 10
    sleep 0.3
    xdotool click 1
    sleep 0.3
    xdotool click 5
    sleep 0.3
    xdotool click 4
    sleep 0.5
    xdotool key ctrl+alt+g
    # packets: "M b0 b1 b2 b3" (b0: buttons and signs, b1 dx, b2 dy, b3 wheel)
    pk() { grep -E "^M $1" "$OUT/mouse.dbg" >/dev/null; }
    if grep -E '^M [0-9A-F][8-9A-F] ' "$OUT/mouse.dbg" | awk '$3 != "00" && $3 !~ /^[89A-F]/' | grep -q .; then
        ok "motion to the right arrives (dx > 0)"
    else
        bad "motion to the right arrives"
    fi
    if pk '[0-9A-F][9BDF] '; then ok "the left button arrives"; else bad "the left button arrives"; fi
    if pk '.. .. .. 01' && pk '.. .. .. FF'; then ok "the wheel arrives, both ways"; else bad "the wheel arrives, both ways"; fi
    mon quit
    wait_exit 10
fi

# ---- 2. the Linux guest ----
if [ ! -f "$GUEST/disk.img" ]; then
    echo "desktop: no $GUEST/disk.img (tests/linux/build-guest.sh): Linux part skipped"
else
    start linux -m 256 -hda "$GUEST/disk.img" -serial stdio
    for _ in $(seq 600); do
        grep -q 'guest#' "$OUT/linux.out" && break
        kill -0 "$XPID" 2>/dev/null || break
        sleep 1
    done
    if grep -q 'guest#' "$OUT/linux.out"; then ok "Linux boots to its shell"; else bad "Linux boots to its shell"; fi
    xshot "$OUT/linux-console.png"
    rows=$(python3 tests/vga/imgcheck.py textrows "$OUT/linux-console.png" 2>/dev/null)
    if [ "${rows:-0}" -ge 20 ]; then
        ok "the Linux console fills the VGA text screen ($rows rows)"
    else
        bad "the Linux console fills the VGA text screen (${rows:-0} rows)"
    fi
    # a shell on tty1, the VGA console: typed through the serial console (Ctrl-A c switches)
    printf '\001c' >"$FIFO"
    mon 'setsid sh -c "exec sh -i </dev/tty1 >/dev/tty1 2>&1" &'
    printf '\001c' >"$FIFO"
    sleep 3
    xdotool windowfocus --sync "$WID" 2>/dev/null
    xdotool type --delay 40 "echo X86PC-TYPED-\$((6*7)) >/dev/ttyS0; clear; printf '\\033[7m%40s\\033[0m\\n' '' '' '' '' '' ''"
    xdotool key Return
    for _ in $(seq 120); do
        grep -q 'X86PC-TYPED-42' "$OUT/linux.out" && break
        sleep 0.5
    done
    if grep -q 'X86PC-TYPED-42' "$OUT/linux.out"; then
        ok "keys typed into the window reach the guest's shell"
    else
        bad "keys typed into the window reach the guest's shell"
    fi
    share=0
    for _ in $(seq 20); do
        sleep 0.5
        xshot "$OUT/linux-typed.png"
        share=$(python3 tests/vga/imgcheck.py light "$OUT/linux-typed.png" 0 0 360 96 2>/dev/null)
        python3 -c "import sys; sys.exit(0 if float('${share:-0}') > 0.9 else 1)" && break
    done
    if python3 -c "import sys; sys.exit(0 if float('${share:-0}') > 0.9 else 1)"; then
        ok "the command's output appears in the window"
    else
        bad "the command's output appears in the window (light share $share)"
    fi
    mon quit
    wait_exit 10
    if [ "$st" = 0 ]; then ok "quit ends x86pc with status 0"; else bad "quit ends x86pc (status $st)"; fi
fi

# ---- 3. the framebuffer console on the Bochs VBE device ----
if [ -f "$GUEST/disk.img" ] && command -v mcopy >/dev/null; then
    cp "$GUEST/disk.img" "$OUT/fb.img"
    printf '%s\n' 'SERIAL 0 115200' 'PROMPT 0' 'TIMEOUT 10' 'DEFAULT linux' 'LABEL linux' \
        '  KERNEL /BZIMAGE' '  INITRD /INITRD.GZ' '  APPEND vga=0x317 console=tty0 x86pc.media=disk' \
        >"$OUT/fb.cfg"
    mcopy -o -i "$OUT/fb.img@@1M" "$OUT/fb.cfg" ::SYSLINUX.CFG
    start fb -m 256 -hda "$OUT/fb.img" -serial "file:$OUT/fb.serial"
    xdotool windowfocus --sync "$WID" 2>/dev/null
    # the shell is on tty0 alone: type the marker command until the shell runs it
    for _ in $(seq 60); do
        grep -q 'X86PC-FB-42' "$OUT/fb.serial" 2>/dev/null && break
        kill -0 "$XPID" 2>/dev/null || break
        xdotool type --delay 40 "echo X86PC-FB-\$((6*7)) >/dev/ttyS0"
        xdotool key Return
        sleep 10
    done
    if grep -q 'X86PC-FB-42' "$OUT/fb.serial" 2>/dev/null; then
        ok "keys typed into the window reach the shell on the framebuffer console"
    else
        bad "keys typed into the window reach the shell on the framebuffer console"
    fi
    geom=$(timeout 10 xwininfo -id "$WID" 2>/dev/null | awk '/Width:/ {w=$2} /Height:/ {h=$2} END {print w "x" h}')
    if [ "$geom" = 1024x768 ]; then ok "the window follows the VBE mode (1024x768)"; else bad "the window follows the VBE mode ($geom)"; fi
    if same_as_dump fb; then
        ok "the X screenshot shows the VBE framebuffer as the VGA shows it"
    else
        bad "the X screenshot shows the VBE framebuffer as the VGA shows it"
    fi
    rows=$(python3 tests/vga/imgcheck.py textrows "$OUT/fb-x.png" 2>/dev/null)
    if [ "${rows:-0}" -ge 10 ]; then
        ok "the framebuffer console shows text ($rows rows)"
    else
        bad "the framebuffer console shows text (${rows:-0} rows)"
    fi
    mon quit
    wait_exit 10
    if [ "$st" = 0 ]; then ok "quit ends x86pc with status 0"; else bad "quit ends x86pc (status $st)"; fi
fi

echo "desktop: $pass passed, $fail failed"
[ $fail -eq 0 ]
