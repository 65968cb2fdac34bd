#!/usr/bin/env bash
# The Linux test guest (tests/linux/build-guest.sh), by direct kernel boot:
# 1. determinism: the same boot twice (the guest powers itself off after its marker) gives
#    byte-identical serial output and ends at the same instruction count;
# 2. snapshots: saved at the shell prompt (Ctrl-A c, savevm), loaded in a new x86pc process with
#    -loadvm, the shell answers a command.
set -u
cd "$(dirname "$0")/.."
X86PC=${X86PC:-./x86pc}
G=tests/cache/guest
bash tests/linux/build-guest.sh >/dev/null || { echo "cannot build the test guest"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
KARGS=(-kernel $G/bzImage -initrd $G/initrd.gz)

# ---- 1. determinism ----
for run in 1 2; do
    timeout 900 "$X86PC" -nographic -m 256 -stats "${KARGS[@]}" \
        -append "console=ttyS0 x86pc.media=none x86pc.poweroff=1" </dev/null \
        >"$dir/det$run.out" 2>"$dir/det$run.err"
    echo "run $run: exit status $? $(grep '^stats:' "$dir/det$run.err")"
done
grep -q "x86pc-guest: powering off" "$dir/det1.out" && ok "the guest booted and powered off" ||
    not_ok "the guest did not reach its power-off"
cmp -s "$dir/det1.out" "$dir/det2.out" && ok "two boots give byte-identical serial output" ||
    not_ok "the serial output differs between two boots"
i1=$(sed -n 's/.*insns=\([0-9]*\).*/\1/p' "$dir/det1.err")
i2=$(sed -n 's/.*insns=\([0-9]*\).*/\1/p' "$dir/det2.err")
[ -n "$i1" ] && [ "$i1" = "$i2" ] && ok "both end at instruction $i1" ||
    not_ok "instruction counts differ: '$i1' vs '$i2'"

# ---- 2. snapshot at the shell prompt ----
fifo=$dir/in
mkfifo "$fifo"
timeout 900 "$X86PC" -nographic -m 256 "${KARGS[@]}" -append "console=ttyS0 x86pc.media=none" \
    <"$fifo" >"$dir/snap1.out" 2>&1 &
pid=$!
exec 3>"$fifo"
for _ in $(seq 1 4500); do
    grep -q "guest# " "$dir/snap1.out" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.2
done
printf 'echo before-snapshot\n' >&3
for _ in $(seq 1 300); do grep -q "^before-snapshot" "$dir/snap1.out" && break; sleep 0.2; done
printf '\001csavevm %s\nquit\n' "$dir/prompt.x86s" >&3
wait $pid
exec 3>&-
[ -s "$dir/prompt.x86s" ] && ok "savevm at the shell prompt" || not_ok "no snapshot written"
mkfifo "$dir/in2"
timeout 300 "$X86PC" -nographic -m 256 "${KARGS[@]}" -append "console=ttyS0 x86pc.media=none" \
    -loadvm "$dir/prompt.x86s" <"$dir/in2" >"$dir/snap2.out" 2>&1 &
pid=$!
exec 3>"$dir/in2"
sleep 1
printf 'echo "after=$((6 * 7))"\n' >&3
for _ in $(seq 1 600); do grep -q "after=42" "$dir/snap2.out" && break; sleep 0.2; done
grep -q "after=42" "$dir/snap2.out" && ok "the restored shell answers a command" ||
    { not_ok "the restored shell did not answer"; tail -5 "$dir/snap2.out"; }
printf 'poweroff -f\n' >&3
wait $pid
status=$?
exec 3>&-
[ $status -eq 0 ] && ok "poweroff after -loadvm ends x86pc with status 0" ||
    not_ok "exit status $status after poweroff"
echo "linux-extra: $pass passed, $fail failed"
[ $fail -eq 0 ]
