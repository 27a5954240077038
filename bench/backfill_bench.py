"""Backfill throughput against one `tsfill fill` of the same data, file to file.

Data: DAYS days of 30-minute snapshots for KEYS keys (tickers x tenors), 95% of slots
observed, 5% duplicated, 10% nulls per value, written as CSV, either one file per day
("daily", the usual landing layout) or FILES files each spanning many days ("spanning",
rows shuffled within a file). Each configuration runs REPS times, alternating with the
others, into a fresh output and store; the first run of each is checked byte for byte
against fill's output before any figure is kept. Reported: median seconds, input rows per
second, the overhead against fill (the store, the atomic commits, the scan and the
re-reads), and the peak resident memory of the process (getrusage of the child).

Usage: .venv/bin/python bench/backfill_bench.py [--days 200] [--keys 200] [--reps 3]
                                                [--layout daily|spanning] [--tsfill PATH]
"""
import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JOB = ["--keys", "ticker,tenor", "--slot", "30min", "-q"]


def generate(directory, days, keys, layout, files, seed=7):
    # numpy and pyarrow only here, in a process of its own (see main): Linux keeps a
    # process's peak RSS across exec, so a big parent would inflate the children's figure.
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    tenors = 10
    tickers = max(1, keys // tenors)
    start = np.datetime64("2024-01-01T00:00:00", "s").astype(np.int64)
    per_day = []
    for d in range(days):
        slot, key = np.nonzero(rng.random((48, tickers * tenors)) < 0.95)
        dup = rng.random(slot.size) < 0.05
        slot, key = np.concatenate([slot, slot[dup]]), np.concatenate([key, key[dup]])
        t = start + d * 86400 + slot * 1800 + rng.integers(0, 1800, slot.size)
        order = np.argsort(t, kind="stable")
        t, key = t[order], key[order]
        cols = {"date": pa.array(t.astype("datetime64[s]")),
                "ticker": pa.array([f"T{k // tenors:03d}" for k in key]),
                "tenor": pa.array((key % tenors + 1) * 30)}
        for v in range(4):
            x = rng.normal(1 + v, 0.1, t.size)
            cols[f"v{v}"] = pa.array(x, mask=rng.random(t.size) < 0.10)
        per_day.append(pa.table(cols))
    opts = pacsv.WriteOptions(include_header=True)
    if layout == "daily":
        for d, tbl in enumerate(per_day):
            pacsv.write_csv(tbl, directory / f"day-{d:04d}.csv", opts)
    else:
        span = (days + files - 1) // files
        for f in range(files):
            tbl = pa.concat_tables(per_day[f * span:(f + 1) * span])
            tbl = tbl.take(rng.permutation(tbl.num_rows))
            pacsv.write_csv(tbl, directory / f"span-{f:02d}.csv", opts)
    (directory / "meta.txt").write_text(f"{days} {keys} {layout} {files} {seed}")


def timed(args, address_space_kb=None):
    """Seconds and peak RSS (MiB) of one process (optionally under ulimit -v)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (address_space_kb * 1024, address_space_kb * 1024))
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         preexec_fn=limit if address_space_kb else None)
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    err = p.stderr.read().decode()
    p.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        if address_space_kb:
            return None, err.strip()
        sys.exit(f"failed: {' '.join(map(str, args))}\n{err}")
    return secs, usage.ru_maxrss / 1024


def tree(root):
    """{relative path: sha256} (digests, not bytes: this process must stay small, see generate)."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob("*")) if p.is_file()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=200)
    ap.add_argument("--keys", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--layout", choices=["daily", "spanning"], default="daily")
    ap.add_argument("--files", type=int, default=4, help="files of the spanning layout")
    ap.add_argument("--tsfill", default=str(ROOT / "build" / "release" / "examples" / "tsfill"))
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-data"))
    ap.add_argument("--address-space-kb", type=int, default=100_000,
                    help="also run fill and backfill (chunk 1) under this ulimit -v")
    a = ap.parse_args()
    data = Path(a.work) / f"backfill-{a.layout}-{a.days}d-{a.keys}k"
    meta = data / "meta.txt"
    if not meta.exists() or meta.read_text() != f"{a.days} {a.keys} {a.layout} {a.files} 7":
        subprocess.run([sys.executable, "-c",
                        "import sys; sys.path.insert(0, sys.argv[1]); import backfill_bench as b; "
                        "b.generate(__import__('pathlib').Path(sys.argv[2]), int(sys.argv[3]), "
                        "int(sys.argv[4]), sys.argv[5], int(sys.argv[6]))",
                        str(Path(__file__).parent), str(data), str(a.days), str(a.keys), a.layout,
                        str(a.files)], check=True)
    rows = sum(sum(1 for _ in open(f)) - 1 for f in sorted(data.glob("*.csv")))
    mb = sum(f.stat().st_size for f in data.glob("*.csv")) / 1e6
    scratch = Path(a.work) / "backfill-scratch"

    configs = {"fill (one run)": None}
    for chunk in (1, 7):
        for workers in (1, 2):
            configs[f"backfill chunk {chunk}, {workers} worker{'s' if workers > 1 else ''}"] = (chunk, workers)

    def command(name, out):
        cfg = configs[name]
        if cfg is None:
            return [a.tsfill, "fill", str(data), "-o", str(out), *JOB]
        return [a.tsfill, "backfill", str(data), "-o", str(out), "--state", str(out) + ".db",
                "--chunk-days", str(cfg[0]), "--workers", str(cfg[1]), *JOB]

    results = {name: [] for name in configs}
    reference = None
    for rep in range(a.reps + 1):  # rep 0: check the output, not timed
        for name in configs:
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir(parents=True, exist_ok=True)
            out = scratch / "out"
            secs, rss = timed(command(name, out))
            if rep == 0:
                got = tree(out)
                if reference is None:
                    reference = got
                elif got != reference:
                    sys.exit(f"{name}: output differs from fill's")
                continue
            results[name].append((secs, rss))
    shutil.rmtree(scratch, ignore_errors=True)

    print(f"{rows:,} rows, {a.days} days, {a.keys} keys, {mb:.0f} MB CSV, layout {a.layout}; "
          f"median of {a.reps}; {os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    base = statistics.median(s for s, _ in results["fill (one run)"])
    print(f"{'run':34} {'seconds':>8} {'M rows/s':>9} {'vs fill':>8} {'peak MiB':>9}")
    for name, runs in results.items():
        s = statistics.median(x for x, _ in runs)
        rss = max(m for _, m in runs)
        print(f"{name:34} {s:8.2f} {rows / s / 1e6:9.2f} {s / base - 1:+8.0%} {rss:9.0f}")

    # Memory bounded by the chunk: the same runs under ulimit -v (address space, which also
    # holds the program's libraries) smaller than the input.
    if a.address_space_kb:
        print(f"\nunder ulimit -v {a.address_space_kb} ({a.address_space_kb / 1024:.0f} MiB of address "
              f"space for a {mb:.0f} MB input):")
        for name in ("fill (one run)", "backfill chunk 1, 1 worker"):
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir(parents=True, exist_ok=True)
            secs, info = timed(command(name, scratch / "out"), a.address_space_kb)
            print(f"  {name:32} " + (f"done in {secs:.2f} s, peak RSS {info:.0f} MiB" if secs
                                      else f"failed: {info}"))
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
