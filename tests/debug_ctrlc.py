#!/usr/bin/env python3
"""Ctrl-C in a headless run (stdin a terminal nothing else reads) stops the machine at the
debugger prompt; the prompt answers 'regs' and 'quit' ends x86pc with status 0. Runs x86pc on a
pseudo-terminal so that Ctrl-C is a real terminal interrupt."""
import os, pty, select, sys, time

x86pc = os.environ.get('X86PC', './x86pc')
pid, fd = pty.fork()
if pid == 0:
    os.execv(x86pc, [x86pc, '-display', 'none', '-serial', 'none', '-m', '64'])
out = b''


def drain(seconds, until=None):
    global out
    end = time.time() + seconds
    while time.time() < end:
        if until and until in out:
            return
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return


drain(1.0)
os.write(fd, b'\x03')
drain(10, b'(x86pc)')
os.write(fd, b'regs\n')
drain(10, b'ticks=')
drain(1.0)
os.write(fd, b'quit\n')
status = None
for _ in range(100):
    wpid, st = os.waitpid(pid, os.WNOHANG)
    if wpid:
        status = os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1
        break
    drain(0.1)
    time.sleep(0.1)  # drain returns at once when the terminal has closed
if status is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
text = out.decode(errors='replace')
checks = [
    ('Ctrl-C stops at the debugger prompt', 'Stopped: interrupted' in text and '(x86pc)' in text),
    ('the prompt answers regs', 'eflags=' in text and 'eip=' in text),
    (f'quit ends x86pc with status 0 (got {status})', status == 0),
]
failed = 0
for name, ok in checks:
    print(('ok - ' if ok else 'not ok - ') + name)
    failed += not ok
if failed:
    print(text[-2000:])
print(f'ctrl-c: {len(checks) - failed} passed, {failed} failed')
sys.exit(1 if failed else 0)
