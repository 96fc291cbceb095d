#!/usr/bin/env python3
"""Runs a command on a new pseudo-terminal, like a person at a keyboard.

Usage: pty-driver.py SCRIPT_JSON -- command [args...]
SCRIPT_JSON: {"steps": [{"expect": REGEX, "send": TEXT, "delay": SECONDS}], "timeout": SECONDS}
Each step waits until REGEX matches the output seen since the previous step
(if given), sleeps `delay` (if given), then types TEXT (\\u0003 is Ctrl-C).
Prints one JSON line: {"status": exit status or null, "output": ..., "failed": reason or null}.
"""
import json
import os
import pty
import re
import select
import sys
import time


def main():
    script = json.loads(sys.argv[1])
    command = sys.argv[sys.argv.index('--') + 1:]
    deadline = time.monotonic() + script.get('timeout', 30)
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    output = b''
    seen = 0  # where the current step starts looking
    failed = None

    def read_some(until):
        nonlocal output
        remaining = max(0.0, until - time.monotonic())
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.1))
        if not ready:
            return True
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            return False
        if not chunk:
            return False
        output += chunk
        return True

    open_ = True
    for step in script['steps']:
        if 'expect' in step:
            pattern = re.compile(step['expect'].encode())
            while not pattern.search(output, seen):
                if time.monotonic() > deadline or not open_:
                    failed = 'never saw %r' % step['expect']
                    break
                open_ = read_some(deadline)
            if failed:
                break
            seen = pattern.search(output, seen).end()
        if 'delay' in step:
            until = time.monotonic() + step['delay']
            while open_ and time.monotonic() < until:
                open_ = read_some(until)
        if 'send' in step and open_:
            os.write(fd, step['send'].encode())

    while open_ and time.monotonic() < deadline:
        open_ = read_some(deadline)
    status = None
    if open_:
        failed = failed or 'timed out'
        os.kill(pid, 9)
    _, wait_status = os.waitpid(pid, 0)
    if os.WIFEXITED(wait_status):
        status = os.WEXITSTATUS(wait_status)
    print(json.dumps({'status': status, 'output': output.decode('utf-8', 'replace'), 'failed': failed}))


main()
