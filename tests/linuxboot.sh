#!/usr/bin/env bash
# Direct Linux boot, end to end: a tiny bzImage-format "kernel" (tests/linuxboot/fake_kernel.asm)
# is booted with -kernel/-initrd/-append and checks, from its 32-bit entry point, what the
# loader gave it (registers, segments, zero page, E820 map, command line, initrd bytes). It
# reports on the debug console and exits through isa-debug-exit (0x10: pass, exit status 33).
# Also: the reset path (the kernel resets the machine once and must be booted again from
# pristine images), and the option errors a user can make.
# X86PC=path/to/x86pc selects the binary (default ./x86pc).
set -u
cd "$(dirname "$0")/.."
X86PC=${X86PC:-./x86pc}
OUT=o/linuxboot
mkdir -p "$OUT"
nasm -f bin -I tests/linuxboot/ -o "$OUT/fake.bzImage" tests/linuxboot/fake_kernel.asm || exit 1
KERNEL=$OUT/fake.bzImage
INITRD=tests/linuxboot/initrd.txt
CMDLINE="console=ttyS0 x86pc.test=linuxboot"
pass=0
fail=0

result() { # name, ok (0/1), output
    if [ "$2" -eq 0 ]; then
        pass=$((pass + 1))
        echo "PASS $1"
    else
        fail=$((fail + 1))
        echo "FAIL $1"
        sed 's/^/    /' <<<"$3" | tail -20
    fi
}

out=$(timeout 60 "$X86PC" -nographic -serial none -kernel "$KERNEL" -initrd "$INITRD" \
    -append "$CMDLINE" -debugcon stdio -device isa-debug-exit -no-reboot -m 32 2>&1)
st=$?
ok=1
if [ $st -eq 33 ] && ! grep -q "^not ok" <<<"$out" && grep -q "^ok 9 " <<<"$out"; then ok=0; fi
result "direct boot: zero page, E820, cmdline, initrd, CPU state" $ok "$out (exit status $st)"

# a larger machine: the initrd moves up, the checks stay the same
out=$(timeout 60 "$X86PC" -nographic -serial none -kernel "$KERNEL" -initrd "$INITRD" \
    -append "$CMDLINE" -debugcon stdio -device isa-debug-exit -no-reboot -m 512 2>&1)
st=$?
ok=1
if [ $st -eq 33 ] && ! grep -q "^not ok" <<<"$out"; then ok=0; fi
result "direct boot with 512 MB" $ok "$out (exit status $st)"

out=$(timeout 60 "$X86PC" -nographic -serial none -kernel "$KERNEL" -initrd "$INITRD" \
    -append "$CMDLINE reboot" -debugcon stdio -device isa-debug-exit -m 32 2>&1)
st=$?
ok=1
if [ $st -eq 33 ] && ! grep -q "^not ok" <<<"$out" && grep -q "second boot" <<<"$out"; then
    ok=0
fi
result "guest reset boots the kernel again" $ok "$out (exit status $st)"

# a failing check must show: wrong command line
out=$(timeout 60 "$X86PC" -nographic -serial none -kernel "$KERNEL" -initrd "$INITRD" \
    -append "something else" -debugcon stdio -device isa-debug-exit -no-reboot -m 32 2>&1)
st=$?
ok=1
if [ $st -ne 33 ] && grep -q "^not ok 8 - command line" <<<"$out"; then ok=0; fi
result "a wrong command line is caught" $ok "$out (exit status $st)"

expect_error() { # name, words, args...
    local name=$1 words=$2
    shift 2
    local o s
    o=$(timeout 10 "$X86PC" -nographic -serial none "$@" 2>&1 </dev/null)
    s=$?
    local k=1
    if [ $s -eq 1 ] && [ "$(wc -l <<<"$o")" -eq 1 ] && grep -q -- "$words" <<<"$o"; then k=0; fi
    result "$name" $k "$o (exit status $s)"
}
expect_error "-initrd without -kernel" "-initrd needs -kernel" -initrd "$INITRD"
expect_error "-append without -kernel" "-append needs -kernel" -append "x"
expect_error "missing kernel file" "cannot open kernel" -kernel /nonexistent/bzImage
expect_error "missing initrd file" "cannot open initrd" -kernel "$KERNEL" -initrd /nonexistent
expect_error "not a bzImage" "not a Linux bzImage" -kernel "$INITRD"
head -c 3000000 /dev/zero >"$OUT/big.initrd"
expect_error "initrd too big for RAM" "do not fit" -kernel "$KERNEL" -initrd "$OUT/big.initrd" -m 4
expect_error "initrd larger than RAM" "larger than the guest RAM" -kernel "$KERNEL" \
    -initrd "$OUT/big.initrd" -m 2

echo "linuxboot: $pass passed, $fail failed"
[ $fail -eq 0 ]
