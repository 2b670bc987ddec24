#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""events.py - kernel events per operation of a benchmark, system-wide.

Under QEMU TCG times are distorted (a context switch costs ~100x what it
costs on hardware), counts are not: this helper counts, per iteration of
each measured loop, what the whole system did while the loop ran.

  events.py run [--server REGEX] [--out FILE] [--buffer-kb KB] -- CMD [ARG...]
      (as root, in the VM) prepares a tracefs instance with the tracepoints
      below enabled and tracing off, runs CMD with BENCH_EVENTS=<instance>;
      CMD marks each measured loop (tests/bench/lib/bench-events.h: tracing
      on + a begin marker, an end marker with the iteration count + tracing
      off). After CMD exits it reads the trace, and prints (and appends to
      FILE) one line per loop:
        events label=L n=N sys=.. sys_c=.. ... op=OP
      and one line of the system calls by type and role:
        events-sys label=L n=N c:pread64=1.00 s:ioctl=1.00 ... op=OP
      plus one "events-fired" line: how often each tracepoint fired in the
      measured windows (0 = it did not fire, "missing" = not available).
      Exit status: CMD's (1 if the trace overran: counts would be low).
  events.py parse [--server REGEX] TRACE
      The same lines from a saved trace (run --keep-trace TRACE).
  events.py table [--project] FILE...
      Markdown tables of the "events" lines (one per op when there are
      several labels, else one), values per iteration; --project adds a
      projected bare-metal latency: the counts times COSTS (a projection);
      then, from the "events-sys" lines, the system calls by type.
  events.py plot FILE... --png OUT
      A bar chart of the main counts per op and label (needs matplotlib;
      says so and exits 0 without it).

Roles: "c" (client) = the threads that wrote the markers; "s" (server) =
other tasks whose comm matches --server (e.g. '^zusd$'); everything else
is counted only in the totals (and as "o" in events-sys). Per loop (values are per iteration):
  sys       system calls (raw_syscalls:sys_enter), sys_c / sys_s by role
  csw       context switches (sched:sched_switch), all CPUs
  as_sw     address-space switches: CR3 loads at a switch (tlb:tlb_flush
            reason "flush on task switch"); as_fl those that also flushed
            the TLB (no PCID hit)
  wake      wake-ups (sched:sched_wakeup); xwake those to another CPU than
            the waker's (sched_waking's CPU vs sched_wakeup's target_cpu)
  ipi_rs    reschedule IPIs received (irq_vectors:reschedule_entry)
  ipi_cf    call-function IPIs received (call_function_entry +
            call_function_single_entry: TLB shootdowns and remote
            wake-up queues)
  tlb_rx    TLB shootdowns done for another CPU (tlb_flush "remote
            shootdown"); tlb_tx shootdown IPI rounds sent ("remote ipi
            send"); tlb_lo local flushes (local / local mm shootdown)
  pf        user page faults (exceptions:page_fault_user), all tasks;
  pf_c pf_s by role; pf_k
            kernel-mode faults (page_fault_kernel)
  io_c io_s bytes moved by read/write-family system calls (read, write,
            pread64, pwrite64, readv, writev, preadv, pwritev, getdents64:
            sys_exit's return value), by role; for a FUSE daemon this is
            what the kernel copies through /dev/fuse
  tick      local timer interrupts (noise: TCG makes every op slow)
The client's own marker writes are not counted.
"""
import argparse
import os
import re
import subprocess
import sys

TRACEFS = "/sys/kernel/tracing"
EVENTS = [
    "raw_syscalls/sys_enter", "raw_syscalls/sys_exit",
    "sched/sched_switch", "sched/sched_waking", "sched/sched_wakeup",
    "irq_vectors/reschedule_entry", "irq_vectors/call_function_entry",
    "irq_vectors/call_function_single_entry", "irq_vectors/local_timer_entry",
    "tlb/tlb_flush",
    "exceptions/page_fault_user", "exceptions/page_fault_kernel",
]
# x86_64 system calls whose return value is bytes moved
IO_SYSCALLS = {0: "read", 1: "write", 17: "pread64", 18: "pwrite64",
               19: "readv", 20: "writev", 217: "getdents64",
               295: "preadv", 296: "pwritev"}
# x86_64 system call names for the events-sys lines (others by number)
SYSCALL_NAMES = {
    0: "read", 1: "write", 2: "open", 3: "close", 4: "stat", 5: "fstat",
    6: "lstat", 7: "poll", 8: "lseek", 9: "mmap", 10: "mprotect",
    11: "munmap", 12: "brk", 13: "rt_sigaction", 14: "rt_sigprocmask",
    15: "rt_sigreturn", 16: "ioctl", 17: "pread64", 18: "pwrite64",
    19: "readv", 20: "writev", 21: "access", 22: "pipe", 23: "select",
    24: "sched_yield", 28: "madvise", 32: "dup", 33: "dup2", 35: "nanosleep",
    39: "getpid", 56: "clone", 57: "fork", 59: "execve", 60: "exit",
    61: "wait4", 62: "kill", 72: "fcntl", 74: "fsync", 75: "fdatasync",
    78: "getdents", 79: "getcwd", 80: "chdir", 82: "rename", 83: "mkdir",
    84: "rmdir", 87: "unlink", 89: "readlink", 96: "gettimeofday",
    102: "getuid", 104: "getgid", 107: "geteuid", 108: "getegid",
    110: "getppid", 137: "statfs", 138: "fstatfs", 186: "gettid",
    201: "time", 202: "futex", 217: "getdents64", 228: "clock_gettime",
    230: "clock_nanosleep", 231: "exit_group", 232: "epoll_wait",
    257: "openat", 262: "newfstatat", 263: "unlinkat", 270: "pselect6",
    271: "ppoll", 281: "epoll_pwait", 285: "fallocate", 293: "pipe2",
    295: "preadv", 296: "pwritev", 318: "getrandom", 332: "statx",
    334: "rseq", 435: "clone3",
}
KEYS = ["sys", "sys_c", "sys_s", "csw", "as_sw", "as_fl", "wake", "xwake",
        "ipi_rs", "ipi_cf", "tlb_rx", "tlb_tx", "tlb_lo",
        "pf", "pf_c", "pf_s", "pf_k", "io_c", "io_s", "tick"]

LINE = re.compile(r"^\s*(?P<comm>.*)-(?P<tid>\d+)\s+(?:\(\s*[-\d]+\)\s+)?"
                  r"\[(?P<cpu>\d+)\]\s+(?:\S+\s+)?(?P<ts>\d+\.\d+):\s+"
                  r"(?P<ev>\w+):\s?(?P<rest>.*)$")
MARK = re.compile(r"bench-events (?P<what>begin|end) pid=\d+ n=(?P<n>\d+) "
                  r"label=(?P<label>\S+) op=(?P<op>.*)$")
FIELD = re.compile(r"(\w+)=(\S+)")


def wfile(path, text):
    with open(path, "w") as f:
        f.write(text)


def setup_instance(buffer_kb):
    inst = os.path.join(TRACEFS, "instances", "bench-events-%d" % os.getpid())
    os.mkdir(inst)
    wfile(os.path.join(inst, "tracing_on"), "0")
    wfile(os.path.join(inst, "buffer_size_kb"), str(buffer_kb))
    missing = []
    for ev in EVENTS:
        d = os.path.join(inst, "events", ev)
        if not os.path.isdir(d):
            missing.append(ev.split("/")[1])
            continue
        if ev == "raw_syscalls/sys_exit":
            wfile(os.path.join(d, "filter"),
                  " || ".join("id == %d" % i for i in sorted(IO_SYSCALLS)))
        wfile(os.path.join(d, "enable"), "1")
    wfile(os.path.join(inst, "trace"), "")
    return inst, missing


def overruns(inst):
    total = 0
    base = os.path.join(inst, "per_cpu")
    for cpu in sorted(os.listdir(base)):
        try:
            with open(os.path.join(base, cpu, "stats")) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k.strip() in ("overrun", "dropped events"):
                        total += int(v.split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def teardown(inst):
    try:
        wfile(os.path.join(inst, "tracing_on"), "0")
        for ev in EVENTS:
            p = os.path.join(inst, "events", ev, "enable")
            if os.path.exists(p):
                wfile(p, "0")
        wfile(os.path.join(inst, "trace"), "")
        os.rmdir(inst)
    except OSError as e:
        print("events.py: removing %s: %s" % (inst, e), file=sys.stderr)


class Window:
    """One measured loop (or several clients' loops of the same op)."""

    def __init__(self, label, op):
        self.label, self.op = label, op
        self.n = 0
        self.open = 0
        self.c = dict.fromkeys(KEYS, 0)
        self.nr = {}		# (role, syscall number) -> count


def parse(lines, server_re, fired):
    """The trace's lines -> list of closed Windows."""
    srv = re.compile(server_re) if server_re else None
    done, win = [], None
    clients = set()		# tids that wrote a begin marker
    finished = set()		# clients done while others still run
    skip_exit = set()		# clients whose next sys_exit is the marker's
    last_enter = {}		# client tid -> its last counted event was sys_enter(write)
    waking = {}			# wakee pid -> waker's CPU
    comm_of = {}

    def role(tid, comm):
        if tid in clients:
            return "c"
        if srv and srv.search(comm):
            return "s"
        return "o"

    for line in lines:
        m = LINE.match(line)
        if not m:
            continue
        ev, tid, cpu = m.group("ev"), int(m.group("tid")), int(m.group("cpu"))
        comm, rest = m.group("comm"), m.group("rest")
        comm_of[tid] = comm
        if ev == "tracing_mark_write":
            mk = MARK.search(rest)
            if not mk:
                continue
            label, op = mk.group("label"), mk.group("op").rstrip()
            if mk.group("what") == "begin":
                if win is None:
                    win = Window(label, op)
                    waking.clear()
                    finished.clear()
                elif (win.label, win.op) != (label, op):
                    print("events.py: %s/%s begins inside %s/%s: counted with it"
                          % (label, op, win.label, win.op), file=sys.stderr)
                win.open += 1
                clients.add(tid)
                skip_exit.add(tid)
                last_enter.pop(tid, None)
            elif win is not None:
                if last_enter.pop(tid, False):	# the end marker's write
                    win.c["sys"] -= 1
                    win.c["sys_c"] -= 1
                    win.nr[("c", 1)] -= 1
                win.n += int(mk.group("n"))
                win.open -= 1
                if win.open <= 0:
                    done.append(win)
                    win = None
                    clients.clear()
                else:
                    finished.add(tid)
            continue
        if win is None or tid in finished:
            continue
        fired[ev] = fired.get(ev, 0) + 1
        c = win.c
        r = role(tid, comm)
        if r == "c":
            last_enter[tid] = False
        if ev == "sys_enter":
            c["sys"] += 1
            if r != "o":
                c["sys_" + r] += 1
            mm = re.match(r"NR (\d+) ", rest)
            if mm:
                k = (r, int(mm.group(1)))
                win.nr[k] = win.nr.get(k, 0) + 1
            if r == "c" and rest.startswith("NR 1 "):
                last_enter[tid] = True
        elif ev == "sys_exit":
            if r == "c" and tid in skip_exit:
                skip_exit.discard(tid)
                continue
            mm = re.match(r"NR (\d+) = (-?\d+)", rest)
            if mm and int(mm.group(1)) in IO_SYSCALLS and int(mm.group(2)) > 0 \
                    and r != "o":
                c["io_" + r] += int(mm.group(2))
        elif ev == "sched_switch":
            f = dict(FIELD.findall(rest))
            if int(f.get("prev_pid", -1)) in finished or \
                    int(f.get("next_pid", -1)) in finished:
                continue
            c["csw"] += 1
        elif ev == "sched_waking":
            f = dict(FIELD.findall(rest))
            waking[int(f["pid"])] = cpu
        elif ev == "sched_wakeup":
            f = dict(FIELD.findall(rest))
            p = int(f["pid"])
            if p in finished:
                continue
            c["wake"] += 1
            wcpu = waking.pop(p, cpu)
            if int(f["target_cpu"]) != wcpu:
                c["xwake"] += 1
        elif ev == "reschedule_entry":
            c["ipi_rs"] += 1
        elif ev in ("call_function_entry", "call_function_single_entry"):
            c["ipi_cf"] += 1
        elif ev == "local_timer_entry":
            c["tick"] += 1
        elif ev == "tlb_flush":
            mm = re.search(r"pages:(-?\d+) reason:.*\((\d+)\)", rest)
            if not mm:
                continue
            pages, reason = int(mm.group(1)), int(mm.group(2))
            if reason == 0:
                c["as_sw"] += 1
                if pages != 0:
                    c["as_fl"] += 1
            elif reason == 1:
                c["tlb_rx"] += 1
            elif reason in (2, 3):
                c["tlb_lo"] += 1
            elif reason == 4:
                c["tlb_tx"] += 1
        elif ev == "page_fault_user":
            c["pf"] += 1
            if r != "o":
                c["pf_" + r] += 1
        elif ev == "page_fault_kernel":
            c["pf_k"] += 1
    if win is not None:
        print("events.py: %s/%s never ended: dropped" % (win.label, win.op),
              file=sys.stderr)
    return done


def fmt(v):
    return ("%.2f" % v) if v < 100 else ("%.0f" % v)


def result_lines(wins, missing, lost):
    out = []
    for w in wins:
        n = max(w.n, 1)
        kv = " ".join("%s=%s" % (k, fmt(w.c[k] / n)) for k in KEYS)
        extra = (" lost=%d" % lost) if lost else ""
        out.append("events label=%s n=%d %s%s op=%s" % (w.label, w.n, kv, extra, w.op))
        sy = " ".join("%s:%s=%s" % (r, SYSCALL_NAMES.get(nr, "nr%d" % nr),
                                    fmt(v / n))
                      for (r, nr), v in sorted(w.nr.items(),
                                               key=lambda kv: ("cso".index(kv[0][0]), -kv[1]))
                      if v / n >= 0.005)
        out.append("events-sys label=%s n=%d %s op=%s" % (w.label, w.n, sy, w.op))
    return out


def cmd_run(a):
    if not a.cmd:
        print("events.py run: no command", file=sys.stderr)
        return 2
    inst, missing = setup_instance(a.buffer_kb)
    try:
        env = dict(os.environ, BENCH_EVENTS=inst)
        rc = subprocess.call(a.cmd, env=env)
        wfile(os.path.join(inst, "tracing_on"), "0")
        lost = overruns(inst)
        fired = {}
        tr = os.path.join(inst, "trace")
        if a.keep_trace:
            with open(tr, errors="replace") as f, open(a.keep_trace, "w") as k:
                for line in f:
                    k.write(line)
        with open(tr, errors="replace") as f:
            wins = parse(f, a.server, fired)
    finally:
        teardown(inst)
    out = result_lines(wins, missing, lost)
    names = [e.split("/")[1] for e in EVENTS]
    out.append("events-fired " + " ".join(
        "%s=%s" % (e, "missing" if e in missing else fired.get(e, 0)) for e in names))
    if lost:
        print("events.py: the trace lost %d events (buffer overrun): counts are low;"
              " raise --buffer-kb or lower the iterations" % lost, file=sys.stderr)
    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "a") as f:
            f.write(text)
    return rc if rc else (1 if lost else 0)


def cmd_parse(a):
    fired = {}
    with open(a.trace, errors="replace") as f:
        wins = parse(f, a.server, fired)
    for line in result_lines(wins, [], 0):
        print(line)
    print("events-fired " + " ".join("%s=%d" % kv for kv in sorted(fired.items())))
    return 0


def read_lines(files):
    """Every line of FILES (read once: a FILE may be /dev/stdin)."""
    lines = []
    for fn in files:
        with open(fn) as f:
            lines.extend(f)
    return lines


def read_results(files, kind="events", lines=None):
    rows = []
    for line in (read_lines(files) if lines is None else lines):
        if not line.startswith(kind + " "):
            continue
        head, _, op = line.rstrip("\n").partition(" op=")
        d = dict(kv.split("=", 1) for kv in head.split()[1:])
        d["op"] = op
        rows.append(d)
    return rows


COLS = [("sys", "syscalls"), ("sys_c", "sys cli"), ("sys_s", "sys srv"),
        ("csw", "ctx sw"), ("as_sw", "AS sw"), ("wake", "wake"),
        ("xwake", "x-CPU wake"), ("ipi_rs", "IPI resched"),
        ("ipi_cf", "IPI call-fn"), ("tlb_rx", "TLB shootdn rx"),
        ("tlb_tx", "TLB IPI tx"), ("pf_c", "pf cli"), ("pf_s", "pf srv"),
        ("pf_k", "pf kern"), ("io_s", "srv I/O B"), ("tick", "ticks")]


# A projection, not a measurement: bare-metal cost per event in µs, from
# published figures (docs/benchmarks.md, "Cost model", cites each). The
# counts are measured; these weights are not ours.
COSTS = {
    "sys": 0.1,      # null system call, mitigations off (70-90 ns)
    "csw": 0.5,      # same-CPU switch, direct cost (a few hundred ns)
    "as_sw": 0.2,    # + CR3 load on an address-space change (100-500 cycles)
    "xwake": 2.0,    # cross-CPU wake-up: one IPI round trip (1-3 µs)
    "tlb_rx": 1.5,   # TLB shootdown, per target CPU (~1.5 µs)
    "pf": 1.0,       # minor page fault (median ~1 µs)
    "io_s": 0.1 / 4096,  # kernel copy per byte (4 KiB ~0.1 µs, assumed)
}


def projected(r):
    try:
        return sum(float(r[k]) * c for k, c in COSTS.items())
    except (KeyError, ValueError):
        return None


def cmd_table(a):
    lines = read_lines(a.files)
    rows = read_results(a.files, lines=lines)
    if not rows:
        print("events.py table: no 'events' lines", file=sys.stderr)
        return 1
    labels = list(dict.fromkeys(r["label"] for r in rows))
    ops = list(dict.fromkeys(r["op"] for r in rows))
    groups = [(op, [r for r in rows if r["op"] == op]) for op in ops] \
        if len(labels) > 1 else [(None, rows)]
    for op, rs in groups:
        first = "fs" if op is not None else "case"
        if op is not None:
            print("\n**%s** (per operation; n = iterations counted)\n" %
                  op.replace("|", ", "))
        proj = " proj. µs |" if a.project else ""
        print("| %s | n | %s |%s" % (first, " | ".join(h for _, h in COLS), proj))
        print("|---|---:|%s|%s" % ("|".join("---:" for _ in COLS),
                                   "---:|" if a.project else ""))
        for r in rs:
            name = r["label"] if op is not None else r["op"]
            name = name.replace("|", ", ")	# a Markdown cell
            pv = projected(r) if a.project else None
            print("| %s | %s | %s |%s" % (
                name, r["n"], " | ".join(r.get(k, "-") for k, _ in COLS),
                (" %.1f |" % pv if pv is not None else " - |") if a.project else ""))
        if any("lost" in r for r in rs):
            print("\n(lost events: some counts are low)")
    sysrows = read_results(a.files, "events-sys", lines)
    if sysrows:
        print("\n**system calls by type** (per operation; c: client, s: server,"
              " o: other tasks; < 0.05 left out)\n")
        print("| op | %s | client | server | other |" %
              ("fs" if len(labels) > 1 else "case"))
        print("|---|---|---|---|---|")
        for r in sysrows:
            cells = []
            for role in "cso":
                cells.append(", ".join(
                    "%s %s" % (k[2:], v) for k, v in r.items()
                    if k.startswith(role + ":") and float(v) >= 0.05) or "-")
            print("| %s | %s | %s |" % (r["op"].replace("|", ", "),
                                        r["label"], " | ".join(cells)))
    return 0


def cmd_plot(a):
    # matplotlib wants a writable config dir; the guest's $HOME is read-only
    if not os.access(os.path.expanduser("~"), os.W_OK):
        os.environ.setdefault("MPLCONFIGDIR", "/tmp/matplotlib-events")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("events.py plot: matplotlib is not installed: no PNG")
        return 0
    rows = read_results(a.files)
    keys = ["sys", "csw", "as_sw", "wake", "xwake", "ipi_rs", "ipi_cf",
            "tlb_rx", "pf_c", "pf_s"]
    labels = list(dict.fromkeys(r["label"] for r in rows))
    ops = list(dict.fromkeys(r["op"] for r in rows))
    if len(labels) == 1:	# one benchmark, many cases: cases as series
        labels, ops = ops, labels
        get = {(r["op"], r["label"]): r for r in rows}
    else:
        get = {(r["label"], r["op"]): r for r in rows}
    fig, axes = plt.subplots(len(ops), 1, figsize=(12, 3.2 * len(ops)),
                             squeeze=False)
    width = 0.8 / max(len(labels), 1)
    for ax, op in zip(axes[:, 0], ops):
        for i, lab in enumerate(labels):
            r = get.get((lab, op))
            if not r:
                continue
            ax.bar([k + i * width for k in range(len(keys))],
                   [float(r[k]) for k in keys], width, label=lab)
        ax.set_xticks([k + 0.4 - width / 2 for k in range(len(keys))])
        ax.set_xticklabels(keys)
        ax.set_title("%s: events per operation" % op)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(a.png)
    print("events.py plot: %s" % a.png)
    return 0


def main():
    ap = argparse.ArgumentParser(description="kernel events per benchmark operation")
    sub = ap.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run")
    r.add_argument("--server", default="", help="regex: comm of server tasks")
    r.add_argument("--out", help="append the result lines to this file")
    r.add_argument("--buffer-kb", type=int, default=65536,
                   help="trace buffer per CPU (KiB)")
    r.add_argument("--keep-trace", help="copy the raw trace to this file")
    r.add_argument("cmd", nargs=argparse.REMAINDER)
    q = sub.add_parser("parse")
    q.add_argument("--server", default="")
    q.add_argument("trace")
    t = sub.add_parser("table")
    t.add_argument("--project", action="store_true",
                   help="add a projected bare-metal µs column (COSTS)")
    t.add_argument("files", nargs="+")
    p = sub.add_parser("plot")
    p.add_argument("files", nargs="+")
    p.add_argument("--png", required=True)
    a = ap.parse_args()
    if a.what == "run":
        if a.cmd and a.cmd[0] == "--":
            a.cmd = a.cmd[1:]
        return cmd_run(a)
    if a.what == "parse":
        return cmd_parse(a)
    if a.what == "table":
        return cmd_table(a)
    return cmd_plot(a)


if __name__ == "__main__":
    sys.exit(main())
