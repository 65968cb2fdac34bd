#!/usr/bin/env bash
# `make test`: every suite, in the optimised build and (unit and CPU tests) under ASan+UBSan.
# Ends with one line "N passed, M failed" counting suites; exits non-zero if any failed.
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
pass=0
fail=0
failed=()

suite() {
    local name=$1
    shift
    echo "=== $name"
    local start=$SECONDS
    if "$@"; then
        pass=$((pass + 1))
        echo "--- $name: ok ($((SECONDS - start)) s)"
    else
        fail=$((fail + 1))
        failed+=("$name")
        echo "--- $name: FAILED ($((SECONDS - start)) s)"
    fi
}

build() {
    make -s -j"$JOBS" MODE="$1" "${@:2}"
}

suite "build (opt)" build opt all o/opt/unit_tests o/opt/tests/cpu_tests o/opt/tests/diff_tests \
    o/opt/tests/decoder_check
suite "unit" o/opt/unit_tests
suite "decoder vs capstone" o/opt/tests/decoder_check
suite "cpu tests (80286 captures)" o/opt/tests/cpu_tests ../shared/cpu-tests/80286-real
suite "host-differential" o/opt/tests/diff_tests
suite "guest programs" bash tests/run_guest.sh
suite "seabios boot" bash tests/seabios_boot.sh
suite "direct linux boot (fake kernel)" bash tests/linuxboot.sh
suite "acpi power-off" bash tests/acpi_poweroff.sh
suite "snapshots" bash tests/snapshot.sh
suite "IDE disk and CD boot" bash tests/guest_boot_disk.sh
suite "VGA pictures (screendump)" bash tests/vga/run.sh
suite "debugger prompt" bash tests/debugger.sh
suite "gdb stub" bash tests/gdbstub.sh
suite "debugger fuzz" bash tests/dbgfuzz.sh
suite "Ctrl-C opens the debugger" python3 tests/debug_ctrlc.py
suite "linux guest build" bash tests/linux/smoke.sh
suite "linux: direct kernel boot" bash tests/linux_boot.sh direct
suite "linux: disk through SeaBIOS and SYSLINUX" bash tests/linux_boot.sh disk
suite "linux: CD through SeaBIOS and ISOLINUX" bash tests/linux_boot.sh cdrom
suite "linux: determinism and snapshot at the prompt" bash tests/linux_extra.sh
suite "desktop: SDL window under Xvfb" bash tests/desktop.sh
suite "build (san)" build san o/san/unit_tests o/san/tests/cpu_tests o/san/tests/diff_tests o/san/x86pc
suite "unit (san)" o/san/unit_tests
suite "cpu tests (san)" o/san/tests/cpu_tests ../shared/cpu-tests/80286-real
suite "host-differential (san)" o/san/tests/diff_tests
suite "debugger fuzz (san)" env X86PC=o/san/x86pc bash tests/dbgfuzz.sh
suite "guest programs (san)" env X86PC=o/san/x86pc bash tests/run_guest.sh

echo
if [ $fail -ne 0 ]; then
    echo "failed suites: ${failed[*]}"
fi
echo "suites: $pass passed, $fail failed"
[ $fail -eq 0 ]
