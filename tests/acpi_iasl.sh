#!/usr/bin/env bash
# Checks x86pc's ACPI tables with ACPICA (Debian package acpica-tools): dumps them with
# tests/acpi_dump.c, disassembles every table with `iasl -d`, and recompiles the DSDT's
# disassembly, which must give no errors. Skipped (status 0) when iasl is not installed.
# Usage: tests/acpi_iasl.sh [O=object dir, default o/opt]
set -u
cd "$(dirname "$0")/.."
if ! command -v iasl >/dev/null; then
    echo "SKIP acpi_iasl (no iasl: apt-get install acpica-tools)"
    exit 0
fi
obj=${1:-o/opt}
make -s O="$obj" "$obj/tests/acpi_dump" || exit 1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$obj/tests/acpi_dump" "$dir" 128 || exit 1
fail=0
for t in dsdt facp apic rsdt facs; do
    if ! (cd "$dir" && iasl -d "$t.dat" >"$t.log" 2>&1) || grep -qi "error" "$dir/$t.log"; then
        echo "FAIL iasl -d $t"
        tail -5 "$dir/$t.log"
        fail=1
    fi
done
if ! (cd "$dir" && iasl -p re dsdt.dsl >re.log 2>&1) || ! grep -q " 0 Errors" "$dir/re.log"; then
    echo "FAIL DSDT disassembly does not recompile"
    grep -i -A2 "error" "$dir/re.log" | head -20
    fail=1
fi
[ $fail -eq 0 ] && echo "PASS acpi_iasl ($(grep -o '[0-9]* Warnings' "$dir/re.log"))"
exit $fail
