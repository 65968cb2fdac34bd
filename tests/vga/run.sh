#!/usr/bin/env bash
# VGA picture tests: each tests/vga/NAME.asm is a 64 KB BIOS image that programs the VGA itself,
# draws, prints DONE on the debug console and halts. x86pc runs it headless with the monitor on
# stdin; once DONE appears the monitor's `screendump` writes the screen as a PNG, which must match
# tests/vga/ref/NAME.png pixel for pixel (compared as decoded RGB by tests/vga/pngcmp.py). The
# machine is also saved (savevm) at that point and restored in a second x86pc started stopped
# (-loadvm, -S), whose screendump must show the same picture (registers, video memory and the
# linear framebuffer's mapping all come back).
#   X86PC=path/to/x86pc  the binary to test (default ./x86pc)
#   UPDATE=1             write the references instead of comparing (then look at them!)
set -u
cd "$(dirname "$0")/../.."
X86PC=${X86PC:-./x86pc}
OUT=o/vga-tests
mkdir -p "$OUT"
pass=0
fail=0
for asm in tests/vga/*.asm; do
    name=$(basename "$asm" .asm)
    bin="$OUT/$name.bin"
    png="$OUT/$name.png"
    dbg="$OUT/$name.dbg"
    rm -f "$png" "$dbg"
    if ! nasm -f bin -I tests/vga/ -o "$bin" "$asm"; then
        echo "FAIL $name (nasm)"
        fail=$((fail + 1))
        continue
    fi
    fifo="$OUT/$name.fifo"
    rm -f "$fifo"
    mkfifo "$fifo"
    timeout 60 "$X86PC" -bios "$bin" -m 32 -display none -serial none -monitor stdio \
        -debugcon "file:$dbg" <"$fifo" >"$OUT/$name.mon" 2>&1 &
    pid=$!
    exec 3>"$fifo"
    for _ in $(seq 200); do
        grep -q DONE "$dbg" 2>/dev/null && break
        sleep 0.05
    done
    echo "screendump $png" >&3
    echo "savevm $OUT/$name.x86s" >&3
    echo "quit" >&3
    exec 3>&-
    wait $pid
    rm -f "$fifo"
    if [ ! -s "$png" ]; then
        echo "FAIL $name (no screendump; monitor said: $(tail -c 300 "$OUT/$name.mon"))"
        fail=$((fail + 1))
        continue
    fi
    if [ "${UPDATE:-}" = 1 ]; then
        cp "$png" "tests/vga/ref/$name.png"
        echo "UPDATED tests/vga/ref/$name.png"
        continue
    fi
    if msg=$(python3 tests/vga/pngcmp.py "$png" "tests/vga/ref/$name.png"); then
        echo "PASS $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name: $msg"
        fail=$((fail + 1))
    fi
    rm -f "$OUT/$name-loaded.png"
    printf 'screendump %s\nquit\n' "$OUT/$name-loaded.png" |
        timeout 60 "$X86PC" -bios "$bin" -m 32 -display none -serial none -monitor stdio -S \
            -loadvm "$OUT/$name.x86s" >"$OUT/$name-loaded.mon" 2>&1
    if [ -s "$OUT/$name-loaded.png" ] &&
        msg=$(python3 tests/vga/pngcmp.py "$OUT/$name-loaded.png" "tests/vga/ref/$name.png"); then
        echo "PASS $name after savevm/loadvm"
        pass=$((pass + 1))
    else
        echo "FAIL $name after savevm/loadvm: ${msg:-no screendump: $(tail -c 300 "$OUT/$name-loaded.mon")}"
        fail=$((fail + 1))
    fi
done
echo "vga: $pass passed, $fail failed"
[ $fail -eq 0 ]
