#!/usr/bin/env bash
# Robustness of the gdb stub and the debugger prompt: thousands of random and malformed packets
# (tests/gdbfuzz.c) against the stub, and random command lines through -debug-script; x86pc
# must answer errors, never crash (run it under the ASan+UBSan build too:
# X86PC=o/san/x86pc bash tests/dbgfuzz.sh). PACKETS and COMMANDS scale the work.
set -u
cd "$(dirname "$0")/.."
X86PC=${X86PC:-./x86pc}
PACKETS=${PACKETS:-3000}
COMMANDS=${COMMANDS:-400}
B=o/debug
mkdir -p $B
nasm -f bin -I tests/guest/ -o $B/dbgtest.bin tests/debug/dbgtest.asm || exit 1
nasm -f bin -o $B/triple.bin tests/debug/triple.asm || exit 1
${CC:-cc} -std=gnu11 -O1 -Wall -Wextra -Werror -o $B/gdbfuzz tests/gdbfuzz.c || exit 1
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0

# ---- random packets against the stub ----
for seed in 1 2 3; do
    case $seed in
        1) args="-m 64 -serial none" ;;            # SeaBIOS
        2) args="-bios $B/dbgtest.bin -serial none -m 32" ;;
        *) args="-bios $B/triple.bin -serial none -m 32" ;;
    esac
    started=0
    for _ in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && continue
        : >"$tmp/err"
        $X86PC $args -gdb tcp::$port -S </dev/null >/dev/null 2>"$tmp/err" &
        pid=$!
        for _ in $(seq 1 100); do
            grep -q listening "$tmp/err" && { started=1; break; }
            kill -0 $pid 2>/dev/null || break
            sleep 0.05
        done
        [ $started -eq 1 ] && break
        wait $pid 2>/dev/null
        pid=""
    done
    if [ $started -eq 0 ]; then
        echo "FAIL: packets seed $seed: x86pc did not start: $(cat "$tmp/err")"
        fail=$((fail + 1))
        continue
    fi
    timeout 120 $B/gdbfuzz packets $port $seed $PACKETS
    fz=$?
    timeout 20 tail --pid=$pid -f /dev/null
    if kill -0 $pid 2>/dev/null; then
        kill $pid
        echo "x86pc did not quit after 'k'" >>"$tmp/err"
    fi
    wait $pid
    st=$?
    pid=""
    if [ $fz -eq 0 ] && [ $st -eq 0 ] && ! grep -q "Sanitizer\|runtime error" "$tmp/err"; then
        pass=$((pass + 1))
        echo "ok: packets seed $seed"
    else
        fail=$((fail + 1))
        echo "FAIL: packets seed $seed (fuzzer $fz, x86pc exit $st)"
        tail -20 "$tmp/err"
    fi
done

# ---- random debugger commands ----
for seed in 1 2 3 4 5 6; do
    case $((seed % 3)) in
        0) args="-m 64 -serial none" ;;
        1) args="-bios $B/dbgtest.bin -serial none -m 32" ;;
        *) args="-bios $B/triple.bin -serial none -m 32" ;;
    esac
    $B/gdbfuzz commands $seed $COMMANDS >"$tmp/cmds"
    timeout 120 $X86PC $args -debug-script "$tmp/cmds" </dev/null >"$tmp/out" 2>"$tmp/err"
    st=$?
    if [ $st -eq 0 ] && grep -q "end of commands" "$tmp/out" &&
        ! grep -q "Sanitizer\|runtime error" "$tmp/err"; then
        pass=$((pass + 1))
        echo "ok: commands seed $seed ($(grep -c '^(x86pc)' "$tmp/out") commands)"
    else
        fail=$((fail + 1))
        echo "FAIL: commands seed $seed (exit $st)"
        tail -5 "$tmp/out"
        tail -20 "$tmp/err"
    fi
done

echo "dbgfuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
