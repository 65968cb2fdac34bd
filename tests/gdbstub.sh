#!/usr/bin/env bash
# The gdb stub (-gdb tcp::PORT -S) driven by Debian's gdb in batch mode: attach at the reset
# vector (CS:EIP = F000:FFF0), step into SeaBIOS; on the test guest (tests/debug/dbgtest.asm) a
# breakpoint, registers and memory against known values, a write watchpoint, physical memory
# (Qqemu.PhyMemMode), 'monitor' commands, QEMU's single-step flags, detach (the guest then runs
# to its end). X86PC=path selects the binary (default ./x86pc).
set -u
cd "$(dirname "$0")/.."
X86PC=${X86PC:-./x86pc}
B=o/debug
mkdir -p $B
nasm -f bin -I tests/guest/ -o $B/dbgtest.bin tests/debug/dbgtest.asm || exit 1
if ! command -v gdb >/dev/null; then
    echo "gdb is missing: run 'make deps' (Debian package gdb)"
    exit 1
fi
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0
out=""
expect() {
    if grep -qF -- "$1" <<<"$out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $2 (no '$1' in gdb's output)"
    fi
}
expect_re() {
    if grep -qE -- "$1" <<<"$out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $2 (no match for /$1/)"
    fi
}

# Start x86pc with a gdb stub on a free loopback port: sets $port and $pid.
start_x86pc() {
    for _ in 1 2 3 4 5 6 7 8; do
        port=$((20000 + RANDOM % 40000))
        if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
            continue # something listens there
        fi
        : >"$tmp/x86pc.err"
        $X86PC "$@" -gdb tcp::$port -S </dev/null >"$tmp/x86pc.out" 2>"$tmp/x86pc.err" &
        pid=$!
        for _ in $(seq 1 100); do
            grep -q "listening" "$tmp/x86pc.err" && return 0
            kill -0 $pid 2>/dev/null || break
            sleep 0.05
        done
        wait $pid 2>/dev/null
        pid=""
    done
    echo "FAIL: cannot start x86pc with a gdb stub: $(cat "$tmp/x86pc.err")"
    exit 1
}

run_gdb() {
    sed "s/PORT/$port/" >"$tmp/cmds.gdb"
    out=$(timeout 60 gdb -batch -nx -x "$tmp/cmds.gdb" 2>&1)
}

# ---- 1. SeaBIOS: attach at the reset vector, step into the BIOS ----
start_x86pc -m 64 -serial none
run_gdb <<'X'
set pagination off
set confirm off
set architecture i8086
target remote 127.0.0.1:PORT
printf "reset cs=%x eip=%x eflags=%x\n", $cs, $eip, $eflags
x/5xb 0xffff0
stepi
printf "step1 cs=%x eip=%x\n", $cs, $eip
stepi
printf "step2 cs=%x eip=%x\n", $cs, $eip
maintenance packet qqemu.sstepbits
maintenance packet qqemu.sstep
kill
X
wait $pid
status=$?
pid=""
expect "reset cs=f000 eip=fff0 eflags=2" "attach: CS:EIP = F000:FFF0, EFLAGS = 2"
expect "0xffff0:	0xea	0x5b	0xe0	0x00	0xf0" "memory at the reset vector: jmp f000:e05b"
expect "step1 cs=f000 eip=e05b" "stepi: into SeaBIOS at F000:E05B"
expect "step2 cs=f000 eip=e062" "stepi: the next instruction"
expect 'received: "ENABLE=1,NOIRQ=2,NOTIMER=4"' "qqemu.sstepbits"
expect 'received: "0x7"' "qqemu.sstep: interrupts and timers masked by default"
if [ $status -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: kill: exit status $status"; fi

# ---- 2. the test guest: breakpoint, registers, memory, watchpoint, detach ----
start_x86pc -bios $B/dbgtest.bin -serial none -debugcon "file:$tmp/con.txt" \
    -device isa-debug-exit -m 32
run_gdb <<'X'
set pagination off
set confirm off
set architecture i386
target remote 127.0.0.1:PORT
break *0xf2000
continue
printf "regs %x %x %x %x %x %x %x %x\n", $eax, $ebx, $ecx, $edx, $esi, $edi, $ebp, $esp
printf "pc %x cs %x ds %x ss %x\n", $pc, $cs, $ds, $ss
x/s 0xf3000
x/2xw 0x400010
watch *(int*)0x400010
continue
printf "after watch pc=%x value=%x\n", $pc, *(int*)0x400010
maintenance packet Qqemu.PhyMemMode:1
x/xw 0x200010
maintenance packet Qqemu.PhyMemMode:0
monitor page 0x400010
monitor info gdt 1 1
monitor catch io 0x80
delete
set var $eax = 0x1234abcd
printf "eax now %x\n", $eax
set {int}0x5000 = 0x600dcafe
x/xw 0x5000
stepi
printf "stepped pc=%x\n", $pc
info registers fctrl fstat ftag
detach
X
wait $pid
status=$?
pid=""
expect "Breakpoint 1, 0x000f2000 in" "breakpoint at 0xF2000 hit"
expect "regs 11111111 22222222 33333333 44444444 55555555 66666666 77777777 90000" "general registers"
expect "pc f2000 cs 8 ds 10 ss 10" "EIP and segment registers"
expect '0xf3000:	"x86pc debugger test"' "memory: the guest's string"
expect "0x400010:	0xa5a5a5a5	0x00000000" "memory through paging before the write"
expect "Hardware watchpoint 2: *(int*)0x400010" "watchpoint set (Z2)"
expect "Old value = -1515870811" "watchpoint: old value 0xa5a5a5a5"
expect "New value = -559038737" "watchpoint: new value 0xdeadbeef"
expect "after watch pc=f200b value=deadbeef" "the watchpoint stops after the write"
expect "0x200010:	0xdeadbeef" "physical memory (Qqemu.PhyMemMode:1)"
expect "linear 0x00400010 -> physical 0x00200010" "monitor page: page walk"
expect "GDT[0x01] sel=0008" "monitor info gdt"
expect "catchpoint" "monitor catch"
expect "eax now 1234abcd" "register write (P)"
expect "0x5000:	0x600dcafe" "memory write (M/X)"
expect "stepped pc=f2015" "stepi after the watchpoint"
expect "fctrl          0x40" "x87 registers"
expect "Inferior 1 (Remote target) detached" "detach"
if [ $status -eq 33 ] && grep -q "DBGTEST DONE" "$tmp/con.txt"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL: after detach the guest runs to its end (status $status)"
fi

echo "gdbstub: $pass passed, $fail failed"
[ $fail -eq 0 ]
