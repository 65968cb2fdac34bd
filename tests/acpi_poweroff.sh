#!/usr/bin/env bash
# ACPI power-off end to end: tests/acpi/acpi_poweroff.asm, run as the BIOS image, enters S5
# through PM1a_CNT; x86pc must exit with status 0 after the program's "ok" lines and no
# "not ok". Usage: tests/acpi_poweroff.sh [path/to/x86pc]   (default ./x86pc)
set -u
cd "$(dirname "$0")/.."
bin=${1:-./x86pc}
mkdir -p o/guest
nasm -f bin -I tests/guest/ -o o/guest/acpi_poweroff.bin tests/acpi/acpi_poweroff.asm || exit 1
out=$(timeout 60 "$bin" -nographic -serial none -bios o/guest/acpi_poweroff.bin -debugcon stdio \
    -device isa-debug-exit -no-reboot -m 32 2>&1)
status=$?
if [ $status -eq 0 ] && grep -q "^ok" <<<"$out" && ! grep -q "^not ok" <<<"$out"; then
    echo "PASS acpi_poweroff"
    exit 0
fi
echo "FAIL acpi_poweroff (exit status $status)"
sed 's/^/    /' <<<"$out" | tail -20
exit 1
