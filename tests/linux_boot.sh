#!/usr/bin/env bash
# Boots Debian's i686 kernel with the busybox initramfs (tests/linux/build-guest.sh builds them
# from Debian packages into tests/cache/guest) to its shell prompt, runs a command typed on the
# serial console, and powers off through ACPI: x86pc must exit with status 0.
#   usage: tests/linux_boot.sh [direct|disk|cdrom]   (default: direct)
# Prints the host seconds and guest instructions to the prompt (the figure `make bench` records).
set -u
cd "$(dirname "$0")/.."
X86PC=${X86PC:-./x86pc}
mode=${1:-direct}
G=tests/cache/guest
bash tests/linux/build-guest.sh >/dev/null || { echo "cannot build the test guest"; exit 1; }
case $mode in
direct) args=(-kernel $G/bzImage -initrd $G/initrd.gz -append "console=ttyS0") ;;
disk) args=(-hda $G/disk.img -snapshot) ;;
cdrom) args=(-cdrom $G/guest.iso -boot d) ;;
*) echo "unknown mode $mode"; exit 2 ;;
esac
out=$(mktemp)
fifo=$(mktemp -u)
mkfifo "$fifo"
trap 'rm -f "$out" "$fifo"' EXIT
start=$(date +%s.%N)
timeout ${LINUX_TIMEOUT:-600} "$X86PC" -nographic -m 256 -stats "${args[@]}" <"$fifo" >"$out" 2>&1 &
pid=$!
exec 3>"$fifo"
ready=0
for _ in $(seq 1 $(( ${LINUX_TIMEOUT:-600} * 5 ))); do
    if grep -q "guest# " "$out"; then ready=1; break; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.2
done
t_ready=$(date +%s.%N)
fail=0
if [ $ready -eq 1 ]; then
    awk -v a="$start" -v b="$t_ready" 'BEGIN { printf "linux (%s): shell prompt after %.1f s\n", "'$mode'", b - a }'
    echo 'echo "sum=$((40 + 2))"' >&3
    for _ in $(seq 1 300); do grep -q "sum=42" "$out" && break; sleep 0.2; done
    grep -q "sum=42" "$out" && echo "ok - a command typed on the console ran in the guest" ||
        { echo "not ok - the command did not run"; fail=1; }
    echo "poweroff -f" >&3
else
    echo "not ok - no shell prompt"; fail=1
fi
wait $pid
status=$?
exec 3>&-
[ $ready -eq 1 ] && { [ $status -eq 0 ] && echo "ok - poweroff ended x86pc with status 0" ||
    { echo "not ok - exit status $status after poweroff"; fail=1; }; }
for marker in X86PC-GUEST-READY; do
    grep -q "$marker" "$out" || { echo "not ok - no $marker"; fail=1; }
done
case $mode in
disk) grep -q "x86pc-disk-marker" "$out" || { echo "not ok - disk file not read"; fail=1; } ;;
cdrom) grep -q "x86pc-cd-marker" "$out" || { echo "not ok - CD file not read"; fail=1; } ;;
esac
if grep -qiE "Oops|Kernel panic|lost interrupt|BUG:" "$out"; then
    echo "not ok - the kernel log shows a problem:"; grep -iE "Oops|Kernel panic|lost interrupt|BUG:" "$out" | head -5
    fail=1
fi
grep -q "IOAPIC\[0\]" "$out" && grep -qE "APIC: Switch to symmetric I/O mode|Enabling APIC mode" "$out" &&
    echo "ok - the kernel uses the local APIC and the IOAPIC" ||
    { echo "not ok - APIC/IOAPIC not in use"; fail=1; }
grep '^stats:' "$out"
if [ $fail -ne 0 ]; then
    echo "--- last lines of the console:"; tail -30 "$out"
fi
[ $fail -eq 0 ]
