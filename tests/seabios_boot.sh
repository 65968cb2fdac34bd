#!/usr/bin/env bash
# Debian's SeaBIOS boots on x86pc with no disk: its banner appears on the serial console and it
# reports "No bootable device." within 10 seconds of host time.
set -u
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s.%N)
timeout 10 ./x86pc -nographic -m 64 </dev/null >"$out" 2>&1 &
pid=$!
found=0
for _ in $(seq 1 100); do
    if grep -q "No bootable device" "$out"; then
        found=1
        break
    fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
end=$(date +%s.%N)
kill $pid 2>/dev/null
wait $pid 2>/dev/null
ok=1
grep -q "SeaBIOS (version" "$out" || { echo "no SeaBIOS banner on the serial console"; ok=0; }
[ $found -eq 1 ] || { echo "no 'No bootable device.' within 10 s"; ok=0; }
echo "--- serial output:"
head -40 "$out"
awk -v a="$start" -v b="$end" 'BEGIN { printf "time to No bootable device: %.2f s\n", b - a }'
[ $ok -eq 1 ]
