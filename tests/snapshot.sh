#!/usr/bin/env bash
# Whole-machine snapshots, end to end (DESIGN.md "Snapshots"; the engine's own unit tests are in
# tests/unit/test_snapshot.c):
#  - a timer-driven guest (tests/guest/snap_count.asm) saved half way through the monitor and
#    continued in a new process with -loadvm prints exactly what an uninterrupted run prints;
#  - save, load, save gives byte-identical files, in one process and across processes;
#  - damaged, truncated or mismatched files are refused with exit status 1 and one error line,
#    and a refused loadvm in the monitor leaves the running machine exactly as it was;
#  - Ctrl-A c reaches the monitor through the -nographic console;
#  - SeaBIOS saved after "No bootable device." goes on (retry, banner, same message) after -loadvm.
# X86PC=path overrides the binary under test (default ./x86pc).
set -u
cd "$(dirname "$0")/.."
X86PC=${X86PC:-./x86pc}
make -s o/guest/snap_count.bin || exit 1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pass=0
fail=0
ok() {
    pass=$((pass + 1))
    echo "ok - $1"
}
not_ok() {
    fail=$((fail + 1))
    echo "not ok - $1"
}
check() { # check "description" command...
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}

GUEST=(-nographic -serial none -bios o/guest/snap_count.bin -device isa-debug-exit -no-reboot
       -m 32)

# wait_for FILE TEXT SECONDS PID: until FILE holds TEXT (0), the time runs out or PID ends (1)
wait_for() {
    local n=$(($3 * 100))
    for ((k = 0; k < n; k++)); do
        grep -aq "$2" "$1" 2>/dev/null && return 0
        kill -0 "$4" 2>/dev/null || { grep -aq "$2" "$1" 2>/dev/null; return; }
        sleep 0.01
    done
    return 1
}

# run_monitored OUT MARKER SECONDS CMDS ARGS...: start x86pc with the monitor on a FIFO, wait until
# OUT holds MARKER, then send CMDS (one per line). Sets $status.
run_monitored() {
    local out=$1 marker=$2 secs=$3 cmds=$4
    shift 4
    rm -f "$dir/fifo"
    mkfifo "$dir/fifo"
    timeout 60 "$X86PC" "$@" -monitor stdio <"$dir/fifo" >"$dir/monitor.out" 2>&1 &
    local pid=$!
    exec 3>"$dir/fifo"
    if ! wait_for "$out" "$marker" "$secs" $pid; then
        echo "  (no '$marker' in $out)"
    fi
    printf '%s\n' "$cmds" >&3
    exec 3>&-
    wait $pid
    status=$?
}

# ---- a guest saved half way and continued in another process ----
timeout 60 "$X86PC" "${GUEST[@]}" -debugcon "file:$dir/full.txt"
status=$?
check "uninterrupted run passes (status $status)" \
    test $status -eq 33 -a "$(tail -1 "$dir/full.txt")" = PASS

cmds=$'stop\ninfo registers\nsavevm '"$dir/a.x86s"$'\nquit'
run_monitored "$dir/part1.txt" "^line 4 " 30 "$cmds" "${GUEST[@]}" -debugcon "file:$dir/part1.txt"
check "savevm half way, then quit (status $status)" test $status -eq 0 -a -s "$dir/a.x86s"
check "the save was taken half way" test "$(grep -c '^line' "$dir/part1.txt")" -lt 40
check "info registers prints EIP and CR0" grep -q "^EIP=.*CR0=\|^CR0=" "$dir/monitor.out"
timeout 60 "$X86PC" "${GUEST[@]}" -debugcon "file:$dir/part2.txt" -loadvm "$dir/a.x86s"
status=$?
check "-loadvm continues to the end (status $status)" test $status -eq 33
cat "$dir/part1.txt" "$dir/part2.txt" >"$dir/joined.txt"
if cmp -s "$dir/joined.txt" "$dir/full.txt"; then
    ok "saved + continued output equals the uninterrupted run ($(wc -l <"$dir/full.txt") lines)"
else
    not_ok "saved + continued output equals the uninterrupted run"
    diff "$dir/joined.txt" "$dir/full.txt" | head -10 | sed 's/^/    /'
fi

# ---- save, load, save ----
printf 'savevm %s\nloadvm %s\nsavevm %s\nquit\n' "$dir/b.x86s" "$dir/a.x86s" "$dir/c.x86s" |
    timeout 60 "$X86PC" "${GUEST[@]}" -debugcon none -S -loadvm "$dir/a.x86s" -monitor stdio \
        >/dev/null 2>&1
check "-loadvm then savevm: byte-identical file" cmp -s "$dir/a.x86s" "$dir/b.x86s"
check "loadvm then savevm in the monitor: byte-identical file" cmp -s "$dir/a.x86s" "$dir/c.x86s"

# ---- damaged files ----
size=$(stat -c %s "$dir/a.x86s")
refused() { # refused "description" NAME: -loadvm of $dir/NAME fails cleanly, guest not run
    local what=$1 f=$dir/$2
    timeout 20 "$X86PC" "${GUEST[@]}" -debugcon "file:$dir/bad.out" -loadvm "$f" \
        >"$dir/bad.stdout" 2>"$dir/bad.err"
    local st=$?
    local lines
    lines=$(wc -l <"$dir/bad.err")
    if [ $st -eq 1 ] && [ "$lines" -eq 1 ] && [ ! -s "$dir/bad.out" ] &&
        grep -q "^x86pc: " "$dir/bad.err"; then
        ok "$what: $(sed "s|$dir/||" "$dir/bad.err" | cut -c1-110)"
    else
        not_ok "$what (status $st, $lines lines on stderr)"
        head -3 "$dir/bad.err" | sed 's/^/    /'
    fi
}
flip() { # flip OFFSET: a copy of a.x86s with one byte inverted
    cp "$dir/a.x86s" "$dir/flip.x86s"
    local b
    b=$(od -An -tu1 -j "$1" -N1 "$dir/a.x86s" | tr -d ' ')
    printf "$(printf '\\%03o' $((b ^ 0xFF)))" |
        dd of="$dir/flip.x86s" bs=1 seek="$1" conv=notrunc status=none
}
# the offsets of the regions: magic, version, config, header CRC, sections, RAM, trailer
hdr_end=$((16 + $(od -An -tu4 -j 12 -N4 "$dir/a.x86s" | tr -d ' ') + 8))
for off in 0 7 8 11 14 20 $((hdr_end - 8)) $((hdr_end - 1)) $((hdr_end + 5)) $((hdr_end + 200)) \
    $((hdr_end + 1000)) $((hdr_end + 1900)) $((size / 2)) $((size - 200)) $((size - 13)) \
    $((size - 9)) $((size - 1)); do
    flip $off
    refused "byte $off of $size flipped" flip.x86s
done
for n in 0 7 12 $((hdr_end - 2)) $((hdr_end + 300)) $((size / 2)) $((size - 8)) $((size - 1)); do
    head -c $n "$dir/a.x86s" >"$dir/trunc.x86s"
    refused "truncated to $n bytes" trunc.x86s
done
cp "$dir/a.x86s" "$dir/long.x86s" && printf 'x' >>"$dir/long.x86s"
refused "a byte appended" long.x86s
: >"$dir/empty.x86s"
refused "an empty file" empty.x86s
refused "a missing file" missing.x86s
timeout 20 "$X86PC" "${GUEST[@]}" -m 64 -debugcon none -loadvm "$dir/a.x86s" 2>"$dir/cfg.err"
status=$?
check "another RAM size is refused by name (status $status: $(cat "$dir/cfg.err"))" \
    grep -q "ram_mb=32.*ram_mb=64" "$dir/cfg.err"

# a refused loadvm in the monitor leaves the machine as it was: saving again gives the same bytes
flip $((size / 2))
printf 'loadvm %s\nsavevm %s\nquit\n' "$dir/flip.x86s" "$dir/d.x86s" |
    timeout 60 "$X86PC" "${GUEST[@]}" -debugcon none -S -loadvm "$dir/a.x86s" -monitor stdio \
        >"$dir/mon2.out" 2>&1
check "monitor: the bad loadvm is reported" grep -q "^(x86pc) loadvm: .*corrupted" "$dir/mon2.out"
check "monitor: the machine is unchanged after a refused loadvm" cmp -s "$dir/a.x86s" "$dir/d.x86s"

# ---- Ctrl-A c: the monitor behind the -nographic serial console ----
printf '\001csavevm %s\nquit\n' "$dir/e.x86s" |
    timeout 60 "$X86PC" -nographic -bios o/guest/snap_count.bin -device isa-debug-exit \
        -no-reboot -m 32 -debugcon none >"$dir/mux.out" 2>&1
status=$?
check "Ctrl-A c, savevm, quit (status $status)" test $status -eq 0 -a -s "$dir/e.x86s"

# ---- SeaBIOS ----
if [ -f roms/bios.bin ]; then
    run_monitored "$dir/sea1.txt" "No bootable device" 30 $'stop\nsavevm '"$dir/sea.x86s"$'\nquit' \
        -nographic -m 64 -serial "file:$dir/sea1.txt"
    check "SeaBIOS: savevm after 'No bootable device.' (status $status)" test -s "$dir/sea.x86s"
    printf 'savevm %s\nloadvm %s\nsavevm %s\nquit\n' "$dir/sea2.x86s" "$dir/sea.x86s" \
        "$dir/sea3.x86s" | timeout 60 "$X86PC" -nographic -m 64 -serial none -S -monitor stdio \
        -loadvm "$dir/sea.x86s" -d snap >/dev/null 2>"$dir/sea.log"
    if cmp -s "$dir/sea.x86s" "$dir/sea2.x86s" && cmp -s "$dir/sea.x86s" "$dir/sea3.x86s"; then
        ok "SeaBIOS: save, load, save gives byte-identical files"
    else
        not_ok "SeaBIOS: save, load, save gives byte-identical files"
        grep "post_load changed" "$dir/sea.log" | sort -u | sed 's/^/    /'
    fi
    timeout 30 "$X86PC" -nographic -m 64 -serial "file:$dir/sea2.txt" -loadvm "$dir/sea.x86s" \
        </dev/null >/dev/null 2>&1 &
    pid=$!
    wait_for "$dir/sea2.txt" "No bootable device" 20 $pid
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    check "SeaBIOS: -loadvm retries, prints its banner and 'No bootable device.' again" \
        grep -aq "SeaBIOS (version.*" "$dir/sea2.txt"
    check "SeaBIOS: the restored run reached 'No bootable device.'" \
        grep -aq "No bootable device" "$dir/sea2.txt"
fi

echo "snapshot: $pass passed, $fail failed"
[ $fail -eq 0 ]
