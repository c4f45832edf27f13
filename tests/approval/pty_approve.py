#!/usr/bin/env python3
"""pty_approve.py CORRAL - approval of "ask" rules, driven through a real
pseudo-terminal: corral runs with the pty as its controlling terminal (as in
an interactive shell), the test reads the prompt and types the answer.

Cases: yes runs the call, no declines it, always approves the rest of the
run (a later call of the run is not asked), --yes approves without asking
and never overrides a deny, and without a terminal an ask is a denial that
says how to approve.
"""
import json
import os
import pty
import select
import subprocess
import sys
import tempfile
import time

corral = os.path.realpath(sys.argv[1])
tmp = tempfile.mkdtemp()
ws = os.path.join(tmp, "ws")
os.mkdir(ws)
os.environ["XDG_STATE_HOME"] = os.path.join(tmp, "state")
policy = os.path.join(tmp, "ask.json")
with open(policy, "w") as f:
    f.write("""{
  "extends": "workspace-write",
  "rules": {
    "default": "allow",
    "ask": [{"match": "write_file(notes/**)", "hint": "write outside notes/ instead"},
            "exec(echo *)"],
    "deny": ["write_file(secret/**)"]
  }
}
""")
passes = fails = 0


def check(ok, what):
    global passes, fails
    if ok:
        passes += 1
        print("ok: " + what)
    else:
        fails += 1
        print("FAIL: " + what)


def on_pty(args, answer, timeout=30.0):
    """Run corral ARGS with a pty as its controlling terminal; when the
    prompt appears, type ANSWER (None: never answer). Returns (status,
    everything the terminal showed, whether a prompt appeared)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ws)
        os.execv(corral, [corral] + args)
    seen = b""
    prompted = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if fd in r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            seen += data
            if not prompted and b"Allow? [y]es, [n]o, [a]lways for this run: " in seen:
                prompted = True
                if answer is not None:
                    os.write(fd, answer.encode() + b"\n")
        else:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace"), prompted


def audit(run):
    out = subprocess.run([corral, "audit", "--run", run, "--json", "--workspace", ws],
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def write_args(path, text="x\n"):
    return ["--args", json.dumps({"path": path, "content": text})]


# yes: the call runs, and the audit log names the approver.
st, out, asked = on_pty(["call", "write_file", "--policy", policy, "--run", "yes"] +
                        write_args("notes/a.txt"), "y")
check(asked and st == 0 and os.path.exists(os.path.join(ws, "notes/a.txt")),
      "yes: the prompt appeared and the call ran (status %d)" % st)
check("write_file(notes/**)" in out and "ask.json:5" in out,
      "the prompt shows the rule and where it is written")
check("notes/a.txt" in out, "the prompt shows the arguments")
rec = audit("yes")
check(len(rec) == 1 and rec[0].get("approver", "").startswith("tty"),
      "the audit log records the tty approver: %r" % (rec[0].get("approver") if rec else None))

# no: the call is declined, nothing is written, the agent is told why.
st, out, asked = on_pty(["call", "write_file", "--policy", policy, "--run", "no"] +
                        write_args("notes/b.txt"), "n")
check(asked and st == 121 and not os.path.exists(os.path.join(ws, "notes/b.txt")),
      "no: the call was declined (status %d)" % st)
check("declined" in out and "write outside notes/ instead" in out,
      "the refusal says it was declined and gives the rule's hint")
rec = audit("no")
check(len(rec) == 1 and rec[0]["outcome"] == "declined", "the audit log records the decline")

# always: the rest of the run is approved without asking, even from another
# process of the same run with no terminal at all.
st, out, asked = on_pty(["call", "write_file", "--policy", policy, "--run", "always"] +
                        write_args("notes/c.txt"), "a")
check(asked and st == 0, "always: the first call was asked and ran (status %d)" % st)
p = subprocess.run([corral, "call", "write_file", "--policy", policy, "--run", "always"] +
                   write_args("notes/d.txt"), cwd=ws, capture_output=True, text=True,
                   stdin=subprocess.DEVNULL, start_new_session=True)
check(p.returncode == 0 and os.path.exists(os.path.join(ws, "notes/d.txt")),
      "always: a later call of the run ran without a prompt (status %d: %s)" %
      (p.returncode, p.stderr.strip()))
p = subprocess.run([corral, "call", "write_file", "--policy", policy, "--run", "other"] +
                   write_args("notes/e.txt"), cwd=ws, capture_output=True, text=True,
                   stdin=subprocess.DEVNULL, start_new_session=True)
check(p.returncode == 121, "always is for its run only: another run is asked again")

# An unreadable answer is asked again; an empty answer means no.
st, out, asked = on_pty(["call", "write_file", "--policy", policy, "--run", "empty"] +
                        write_args("notes/f.txt"), "")
check(asked and st == 121 and not os.path.exists(os.path.join(ws, "notes/f.txt")),
      "an empty answer declines (status %d)" % st)

# Without a terminal: a denial that names the rule and how to approve.
p = subprocess.run([corral, "call", "write_file", "--policy", policy] + write_args("notes/g.txt"),
                   cwd=ws, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                   start_new_session=True)
check(p.returncode == 121 and "needs approval (rule " in p.stderr and "ask.json:5" in p.stderr
      and "--yes" in p.stderr, "no terminal: refused as needing approval: %s" % p.stderr.strip())

# --yes approves an ask without a prompt, and never overrides a deny.
p = subprocess.run([corral, "call", "write_file", "--policy", policy, "--yes"] +
                   write_args("notes/h.txt"), cwd=ws, capture_output=True, text=True,
                   stdin=subprocess.DEVNULL, start_new_session=True)
check(p.returncode == 0 and os.path.exists(os.path.join(ws, "notes/h.txt")), "--yes approves an ask")
st, out, asked = on_pty(["call", "write_file", "--policy", policy, "--yes"] +
                        write_args("secret/k.txt"), None)
check(not asked and st == 121 and not os.path.exists(os.path.join(ws, "secret/k.txt")),
      "--yes does not override a deny (status %d)" % st)

# A control character in the arguments cannot rewrite the prompt.
st, out, asked = on_pty(["call", "exec", "--policy", policy, "--run", "ctl", "--args",
                         json.dumps({"command": "echo \x1b[2J"})], "n")
check(asked and "\x1b[2J" not in out and "^[[2J" in out, "control characters are shown as ^X")

print("%d passed, %d failed" % (passes, fails))
sys.exit(1 if fails else 0)
