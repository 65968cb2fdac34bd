#!/usr/bin/env bash
# `make bench`: guest instructions per second on a CPU-bound guest program (integer loop,
# memory copy, string instructions, x87), then the SeaBIOS boot time. docs/bench.md keeps the
# figures with the machine they were measured on.
set -u
cd "$(dirname "$0")/.."
mkdir -p o/bench
nasm -f bin -o o/bench/bench.bin tests/bench/bench.asm || exit 1
echo "host: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
best=""
for run in 1 2 3; do
    out=$(./x86pc -nographic -serial none -bios o/bench/bench.bin -device isa-debug-exit \
        -no-reboot -m 64 -stats 2>&1 >/dev/null)
    line=$(grep '^stats:' <<<"$out")
    echo "run $run: $line"
    mips=$(sed -n 's/.*mips=\([0-9.]*\).*/\1/p' <<<"$line")
    if [ -z "$best" ] || awk -v a="$mips" -v b="$best" 'BEGIN { exit !(a > b) }'; then
        best=$mips
    fi
done
echo "bench: guest MIPS (best of 3): $best"
start=$(date +%s.%N)
timeout 60 ./x86pc -nographic -m 64 -stats </dev/null 2>/tmp/x86pc-bench-seabios.txt | \
    grep -m1 -q "No bootable device"
end=$(date +%s.%N)
awk -v a="$start" -v b="$end" 'BEGIN { printf "bench: SeaBIOS to \"No bootable device.\": %.2f s\n", b - a }'
# The Linux test guest to its shell prompt (direct kernel boot, no medium to wait for).
if bash tests/linux/build-guest.sh >/dev/null 2>&1; then
    G=tests/cache/guest
    fifo=$(mktemp -u)
    mkfifo "$fifo"
    out=$(mktemp)
    start=$(date +%s.%N)
    ./x86pc -nographic -m 256 -stats -kernel $G/bzImage -initrd $G/initrd.gz \
        -append "console=ttyS0 x86pc.media=none" <"$fifo" >"$out" 2>&1 &
    pid=$!
    exec 3>"$fifo"
    for _ in $(seq 1 3000); do grep -q "guest# " "$out" && break; sleep 0.1; done
    end=$(date +%s.%N)
    echo "poweroff -f" >&3
    wait $pid
    exec 3>&-
    insns=$(sed -n 's/^stats: insns=\([0-9]*\).*/\1/p' "$out")
    awk -v a="$start" -v b="$end" -v n="$insns" 'BEGIN {
        printf "bench: Linux guest to its shell prompt: %.1f s (%.2f billion guest instructions to poweroff)\n", b - a, n / 1e9 }'
    rm -f "$fifo" "$out"
else
    echo "bench: Linux guest not built (tests/linux/build-guest.sh failed)"
fi
