#!/usr/bin/env bash
# The debugger prompt (-debug) driven by scripts (-debug-script): the reset vector, stepping into
# SeaBIOS, 'next' over CALL and REP, breakpoints (plain, conditional, SEG:OFF), registers and
# memory against known values, a write watchpoint, catchpoints (CR0, port), page walk and GDT
# dump on a paging guest, set/write, history, trace, device state, and a triple fault that
# stops at the prompt instead of resetting. The guests are tests/debug/*.asm.
# X86PC=path selects the binary (default ./x86pc).
set -u
cd "$(dirname "$0")/.."
X86PC=${X86PC:-./x86pc}
B=o/debug
mkdir -p $B
for g in dbgtest triple; do
    nasm -f bin -I tests/guest/ -o $B/$g.bin tests/debug/$g.asm || exit 1
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
out=""
# expect TEXT DESCRIPTION: TEXT (fixed string) appears in the current output
expect() {
    if grep -qF -- "$1" <<<"$out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $2 (no '$1' in the output)"
    fi
}
# expect_re REGEX DESCRIPTION
expect_re() {
    if grep -qE -- "$1" <<<"$out"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $2 (no match for /$1/)"
    fi
}
check_status() {
    if [ "$1" -eq "$2" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $3 (exit status $1, expected $2)"
    fi
}

# ---- 1. SeaBIOS: the reset vector, and steps into the BIOS ----
cat >"$tmp/s1" <<'X'
regs
step
regs
step 3
where
quit
X
out=$(timeout 60 $X86PC -m 64 -serial none -debug-script "$tmp/s1" </dev/null 2>&1)
check_status $? 0 "seabios: quit exits with status 0"
expect "Stopped: before the first instruction" "seabios: stops before the first instruction"
expect "[0xfffffff0] f000:fff0: jmp    0xf000:0xe05b" "seabios: the reset vector F000:FFF0 and its far jump"
expect "eip=0000fff0" "seabios: EIP is FFF0 at reset"
expect "cs=f000" "seabios: CS is F000 at reset"
expect "[0x000fe05b] f000:e05b:" "seabios: one step lands at F000:E05B"
expect "eip=0000e05b" "seabios: EIP after the first step"
expect "instructions=1 " "seabios: a step retires exactly one instruction"

# ---- 2. the test guest ----
cat >"$tmp/s2" <<'X'
catch cr0
until f000:0100
next
regs
until f000:0110
next
x/16bx 0x600
regs
continue
continue
info break
delete
lbreak 0xf2000 if eax!=0x11111111
break 0xf2001 if eax==0x11111111
continue
regs
delete 2 3
set eip = 0xf2000
break 0xf2000
info break
history 3
x/24bx 0xf3000
x/2w 0xf3000
xp/1w 0x200010
watch 0x400010 4
awatch 0x1234
disable 6
continue
x/1w 0x400010
xp/1w 0x200010
page 0x400010
page 0x800000
info gdt
sreg
creg
info idt
info tss
info pic
info pit
info serial
info apic
info ioapic
fpu
dreg
disas 0xf2000 3
set ebx = 0xabcdef01
set al = 0x42
regs
write/w 0x5000 0x11223344 0x55667788
x/2w 0x5000
pwrite/b 0x5008 0x99
xp/1b 0x5008
trace TRACEFILE
step 3
trace off
delete
catch io 0xe9 out
continue
info break
delete
bogus command
x/4bx 0xfffff000
break nowhere
set nosuchreg = 1
continue
X
sed -i "s|TRACEFILE|$tmp/trace.txt|" "$tmp/s2"
out=$(timeout 60 $X86PC -bios $B/dbgtest.bin -serial none -debugcon "file:$tmp/con.txt" \
    -device isa-debug-exit -m 32 -debug-script "$tmp/s2" </dev/null 2>&1)
check_status $? 33 "guest: runs to its end after the last continue (isa-debug-exit 0x10)"
out2=$out
out=$(cat "$tmp/con.txt" 2>/dev/null)
expect "DBGTEST DONE" "guest: the debug console shows the end"
out=$out2
expect "Stopped: CR0 changed from 0x60000010 to 0x60000011 (PE 0->1, PG 0->0)" "catch cr0: PE set"
expect "Stopped: reached 0x000f0100" "until F000:0100"
expect "[0x000f0103] f000:0103:" "next steps over CALL"
expect "ebx=00005678" "the CALL ran (BX = 0x5678)"
expect "[0x000f0112] f000:0112:" "next steps over REP STOSB"
expect "0x00000600: 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a 5a" "REP STOSB filled 16 bytes"
expect "ecx=00000000" "REP STOSB ran to CX = 0"
expect "Stopped: CR0 changed from 0x60000011 to 0xe0000011 (PE 1->1, PG 0->1)" "catch cr0: PG set"
expect "breakpoint 3 hit at linear 0x000f2001" "a true condition stops, a false one does not"
expect "eax=11111111 ebx=22222222 ecx=33333333 edx=44444444" "known registers (1)"
expect "esi=55555555 edi=66666666 ebp=77777777 esp=00090000" "known registers (2)"
expect "eip=000f2001" "EIP at the breakpoint"
expect "mode=protected 32-bit" "the mode is shown"
expect_re "-1 +\[0x000f2000\] 0008:000f2000: nop" "history: the last instruction executed"
expect "0x000f3000: 78 38 36 70 63 20 64 65 62 75 67 67 65 72 20 74  |x86pc debugger t|" "x/24bx with ASCII"
expect "0x000f3000: 70363878 65642063" "x/2w: 32-bit words"
expect "0x00200010: a5a5a5a5" "xp: physical memory before the write"
expect "watchpoint 5: write of linear 0x00400010, 4 bytes" "watch set"
expect "Stopped: watchpoint 5: write of 4 bytes at linear 0x00400010 (physical 0x00200010), value 0xdeadbeef" "write watchpoint hit"
expect "[0x000f200b] 0008:000f200b:" "the watchpoint stops after the writing instruction"
expect "0x00400010: deadbeef" "the write through paging"
expect "0x00200010: deadbeef" "the same write, physical"
expect "PDE at physical 0x00010004 = 00012023  [P RW S A]" "page walk: the PDE decoded"
expect "PTE at physical 0x00012000 = 00200063  [P RW S A D]" "page walk: the PTE decoded (A, D set)"
expect "linear 0x00400010 -> physical 0x00200010 (writable, supervisor)" "page walk: the result"
expect "not mapped: the PDE is not present" "page walk: an unmapped address"
expect "GDT[0x01] sel=0008 =00cf9b000000ffff  base=00000000 limit=ffffffff  code xr (accessed), dpl 0, present, 32-bit, 4K granular" "GDT dump: the code descriptor"
expect "GDT[0x02] sel=0010" "GDT dump: the data descriptor"
expect "cs  =0008 base=00000000 limit=ffffffff attr=c09b" "sreg: CS descriptor cache"
expect "cr0=e0000011 [PG CD NW ET PE]" "creg: CR0 decoded"
expect "cr3=00010000" "creg: CR3"
expect "IDT at linear" "info idt"
expect "tr=0000" "info tss"
expect "master: irr=" "info pic"
expect "channel 0: mode" "info pit"
expect "COM1 at 0x3f8" "info serial"
expect_re "local APIC: (base|not present)" "info apic"
expect_re "I/O APIC: (id|not present)" "info ioapic"
expect "fcw=0040" "fpu: the reset control word"
expect "dr7=00000400" "dreg"
expect "[0x000f2001] 0008:000f2001: mov    DWORD PTR ds:0x400010,0xdeadbeef" "disassembly"
expect "ebx = 0xabcdef01" "set ebx"
expect "eax=11111142 ebx=abcdef01" "set al and ebx"
expect "0x00005000: 11223344 55667788" "write/w then x/2w"
expect "0x00005008: 99" "pwrite/b then xp/1b"
expect "Stopped: port 0x00e9: OUT of 1 byte, value 0x44" "catch io: the first OUT to 0xE9 ('D')"
expect "error: unknown command 'bogus'" "an unknown command is an error"
expect "0xfffff000: not mapped" "an unmapped address is an error"
expect "error: bad address 'nowhere'" "a bad address is an error"
expect "error: unknown register 'nosuchreg'" "a bad register is an error"
lines=$(wc -l <"$tmp/trace.txt" 2>/dev/null || echo 0)
if [ "$lines" -eq 3 ] && grep -q "mov    DWORD PTR ds:0x3000,0xcafef00d" "$tmp/trace.txt"; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL: trace: 3 instructions in the trace file (got $lines)"
fi

# ---- 3. a triple fault stops at the prompt with the faulting state ----
cat >"$tmp/s3" <<'X'
continue
history 2
continue
quit
X
out=$(timeout 60 $X86PC -bios $B/triple.bin -serial none -m 32 -debug-script "$tmp/s3" </dev/null 2>&1)
check_status $? 0 "triple: quit"
expect "Stopped: triple fault (shutdown)" "triple: stops at the prompt"
expect "eax=00007777" "triple: the faulting state (EAX)"
expect "idtr base=00000000 limit=0000" "triple: the faulting state (IDTR)"
expect "[0x000f0011] f000:0011: int3" "triple: CS:IP at the faulting INT3"
expect_re "-1 +\[0x000f0011\] f000:0011: int3" "triple: the history ends with the INT3"
n=$(grep -c "Stopped: triple fault" <<<"$out")
if [ "$n" -eq 2 ]; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL: triple: 'continue' resets and the guest faults again (saw $n stops)"
fi

# ---- 4. without -debug a triple fault still resets (-no-reboot exits) ----
timeout 20 $X86PC -bios $B/triple.bin -serial none -m 32 -no-reboot </dev/null >/dev/null 2>&1
check_status $? 0 "triple without -debug: -no-reboot exits"

echo "debugger: $pass passed, $fail failed"
[ $fail -eq 0 ]
