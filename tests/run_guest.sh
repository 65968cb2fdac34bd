#!/usr/bin/env bash
# Runs every guest test program (tests/guest/*.asm, assembled to o/guest/*.bin) as the BIOS
# image of a headless x86pc. A program reports on the debug console (port 0xE9) and exits through
# isa-debug-exit: writing 0x10 means pass (exit status 33), anything else fails.
set -u
cd "$(dirname "$0")/.."
make -s $(ls tests/guest/*.asm | sed 's|tests/guest/\(.*\)\.asm|o/guest/\1.bin|') || exit 1
pass=0
fail=0
for asm in tests/guest/*.asm; do
    name=$(basename "$asm" .asm)
    out=$(timeout 120 "${X86PC:-./x86pc}" -nographic -serial none -bios "o/guest/$name.bin" -debugcon stdio \
        -device isa-debug-exit -no-reboot -m 32 2>&1)
    status=$?
    if [ $status -eq 33 ] && ! grep -q "^not ok" <<<"$out"; then
        pass=$((pass + 1))
        echo "PASS $name"
    else
        fail=$((fail + 1))
        echo "FAIL $name (exit status $status)"
        sed 's/^/    /' <<<"$out" | tail -20
    fi
done
echo "guest: $pass passed, $fail failed"
[ $fail -eq 0 ]
