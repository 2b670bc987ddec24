#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""bench-pmemfs's numbers (tests/bench/pmemfs/).

  report.py fio FIO.json        one run's "ops_s=X ops=N" (all jobs; an
                                operation is one read or write call, with
                                fsync=1 one write and its fsync)
  report.py table RAW [MIX]     the Markdown tables from guest.sh's raw
                                lines and the op-mix lines
"""
import json
import statistics
import sys

FS = ["ext4-dax", "pmemfs", "memfs"]
ANCHOR = "ext4-dax"
CASES = ["randwrite4k_fsync", "randread4k", "seqread1m", "seqwrite1m",
         "create_empty", "create4k_fsync"]


def fio(path):
    with open(path) as f:
        text = f.read()
    # fio may print notes before the JSON document
    j = json.loads(text[text.index("{"):])["jobs"][0]
    if j.get("error"):
        sys.exit("fio: job error %s" % j["error"])
    ops = j["read"]["total_ios"] + j["write"]["total_ios"]
    ops_s = j["read"]["iops"] + j["write"]["iops"]
    print("ops_s=%.1f ops=%d" % (ops_s, ops))


def parse(line):
    return dict(kv.split("=", 1) for kv in line.split())


def fmt_ops(x):
    return "%.0f" % x if x >= 100 else "%.1f" % x


def table(raw, mix):
    runs = {}       # (fs, case, jobs) -> [(round, ops_s, calls/op)]
    with open(raw) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            d = parse(line)
            cpo = None
            if d.get("calls", "-") != "-" and int(d["ops"]) > 0:
                cpo = int(d["calls"]) / int(d["ops"])
            runs.setdefault((d["fs"], d["case"], int(d["jobs"])), []).append(
                (int(d["round"]), float(d["ops_s"]), cpo))
    fss = [fs for fs in FS if any(k[0] == fs for k in runs)]
    others = [fs for fs in fss if fs != ANCHOR]

    def med(fs, case, jobs):
        r = runs.get((fs, case, jobs))
        return statistics.median(x[1] for x in r) if r else None

    def cpo(fs, case, jobs):
        r = [x[2] for x in runs.get((fs, case, jobs), []) if x[2] is not None]
        return "%.2f" % statistics.median(r) if r else "-"

    def ratio(fs, case, jobs):
        a, b = med(fs, case, jobs), med(ANCHOR, case, jobs)
        if a is None or not b:
            return None, "-"
        per = {}
        for rnd, v, _ in runs[(fs, case, jobs)]:
            per.setdefault(rnd, [None, None])[0] = v
        for rnd, v, _ in runs[(ANCHOR, case, jobs)]:
            per.setdefault(rnd, [None, None])[1] = v
        rr = [x / y for x, y in per.values() if x is not None and y]
        spread = " (%.2f–%.2f)" % (min(rr), max(rr)) if len(rr) > 1 else ""
        return a / b, "%.2f%s" % (a / b, spread)

    nrounds = len({x[0] for r in runs.values() for x in r})
    print("## bench-pmemfs: operations/s, median of %d rounds "
          "(1 MiB cases: = MiB/s; fs_mark: files/s)" % nrounds)
    print()
    print("Ratios: median/median against %s of the same run, in brackets the "
          "lowest and highest per-round ratio. calls/op: ucchan calls of the "
          "zusd service per operation." % ANCHOR)
    print()
    hdr = "| case | jobs |" + "".join(" %s |" % fs for fs in fss)
    hdr += "".join(" %s/%s |" % (fs, ANCHOR) for fs in others if ANCHOR in fss)
    hdr += "".join(" %s calls/op |" % fs for fs in others)
    print(hdr)
    print("|---|---:|" + "---:|" * (hdr.count("|") - 3))
    for case in CASES:
        for jobs in (1, 2):
            if not any((fs, case, jobs) in runs for fs in fss):
                continue
            line = "| %s | %d |" % (case, jobs)
            for fs in fss:
                m = med(fs, case, jobs)
                line += " %s |" % (fmt_ops(m) if m is not None else "FAILED")
            if ANCHOR in fss:
                for fs in others:
                    line += " %s |" % ratio(fs, case, jobs)[1]
            for fs in others:
                line += " %s |" % cpo(fs, case, jobs)
            print(line)

    print()
    print("## Scaling: 2 jobs (own files, own CPUs) / 1 job, operations/s")
    print()
    print("| case |" + "".join(" %s |" % fs for fs in fss))
    print("|---|" + "---:|" * len(fss))
    for case in CASES:
        line = "| %s |" % case
        for fs in fss:
            a, b = med(fs, case, 2), med(fs, case, 1)
            line += " %s |" % ("%.2f" % (a / b) if a is not None and b else "-")
        print(line)

    if "pmemfs" in fss and ANCHOR in fss:
        print()
        print("## Target: pmemfs 4 KiB randwrite + fsync IOPS >= %s's" % ANCHOR)
        print()
        for jobs in (1, 2):
            r, s = ratio("pmemfs", "randwrite4k_fsync", jobs)
            if r is None:
                print("- %d job(s): not measured" % jobs)
                continue
            verdict = ("met" if r >= 1 else
                       "missed: %.0f %% below (%.2f× needed)" %
                       ((1 - r) * 100, 1 / r))
            print("- %d job(s): pmemfs/%s = %s: %s" % (jobs, ANCHOR, s, verdict))

    mixes = []
    try:
        with open(mix) as f:
            mixes = [parse(line) for line in f if line.strip()]
    except (OSError, TypeError):
        pass
    if mixes:
        print()
        print("## pmemfs requests per operation, by type (zusd -v -v, "
              "untimed: fixed-size runs, 1 job; fio's own open/close included)")
        print()
        print("| case | ops | requests/op | by type (per op) |")
        print("|---|---:|---:|---|")
        for d in mixes:
            case, ops = d.pop("case"), int(d.pop("ops"))
            total = sum(int(v) for v in d.values())
            parts = sorted(d.items(), key=lambda kv: -int(kv[1]))
            by = ", ".join("%s %.2f" % (k, int(v) / ops) for k, v in parts)
            print("| %s | %d | %.2f | %s |" % (case, ops, total / ops, by))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "fio":
        fio(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
