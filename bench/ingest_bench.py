"""Incremental ingestion against one `tsfill fill` of everything, file to file.

Two figures, each from whole processes on real files and a real SQLite store:
1. One day lands: a dataset of DAYS daily CSV files (backfill_bench.py's data: 30-minute
   snapshots of KEYS keys) was ingested; one more day's file arrives. Timed: the
   `tsfill ingest --once` round that takes it (from a copy of the dataset and store made
   before, so every repetition starts alike), against `tsfill fill` over all DAYS files,
   alternating, REPS times each. Before any figure is kept, the round's output is checked
   byte for byte against the fill's. Reported: median seconds, the bytes each read, ratio.
2. Nothing new: FILES small files (one row each) are tracked; a round that finds nothing
   new is timed (listing, stat, the store's records), median of REPS.

Usage: .venv/bin/python bench/ingest_bench.py [--days 200] [--keys 200] [--files 100000]
                                              [--reps 3] [--tsfill PATH]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from backfill_bench import JOB, generate  # noqa: E402  (the same data and job)


def run(args):
    t0 = time.perf_counter()
    p = subprocess.run(args, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(map(str, args))}\n{p.stderr}")
    return secs, p.stderr


def tree(root):
    root = Path(root)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def dir_bytes(d):
    return sum(p.stat().st_size for p in Path(d).rglob("*") if p.is_file())


def one_day_lands(exe, work, days, keys, reps):
    data = work / f"backfill-daily-{days}d-{keys}k"  # (shared with backfill_bench.py)
    if not (data / "meta.txt").exists() or (data / "meta.txt").read_text() != f"{days} {keys} daily 4 7":
        generate(data, days, keys, "daily", 4)
    src = work / "ingest-src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    files = sorted(data.glob("day-*.csv"))
    for f in files[:-1]:
        os.link(f, src / f.name)
    out, state = work / "ingest-out", work / "ingest.db"
    shutil.rmtree(out, ignore_errors=True)
    state.unlink(missing_ok=True)
    first, _ = run([exe, "ingest", src, "--output", out, "--state", state, *JOB])
    base_out, base_state = work / "ingest-base-out", work / "ingest-base.db"  # (the job names
    shutil.rmtree(base_out, ignore_errors=True)                               # its --output:
    subprocess.run(["cp", "-a", str(out), str(base_out)], check=True)        # copied back)
    shutil.copy(state, base_state)
    os.link(files[-1], src / files[-1].name)  # the new day lands
    ingest_s, fill_s = [], []
    ingest_read = None
    for rep in range(reps):
        shutil.rmtree(out, ignore_errors=True)
        subprocess.run(["cp", "-a", str(base_out), str(out)], check=True)
        shutil.copy(base_state, state)
        secs, err = run([exe, "ingest", src, "--output", out, "--state", state, *JOB])
        ingest_s.append(secs)
        ingest_read = float(re.search(r"([0-9.]+) MB read", err).group(1))
        assert "1 new" in err and "1 partitions written" in err, err
        ref = work / "ingest-ref"
        shutil.rmtree(ref, ignore_errors=True)
        secs, _ = run([exe, "fill", src, "--output", ref, *JOB])
        fill_s.append(secs)
        if rep == 0:
            assert tree(out) == tree(ref), "ingest's output differs from fill's"
    fill_read = dir_bytes(src) / 1e6
    mi, mf = statistics.median(ingest_s), statistics.median(fill_s)
    print(f"one day lands on {days - 1} days x {keys} keys ({fill_read:.0f} MB of CSV); "
          f"first round over {days - 1} files: {first:.2f} s")
    print(f"  ingest round (1 new file):  {mi:7.3f} s   {ingest_read:8.1f} MB read")
    print(f"  fill over all {days} files:  {mf:7.3f} s   {fill_read:8.1f} MB read")
    print(f"  ingest is {mf / mi:.1f}x faster and reads {fill_read / max(ingest_read, 1e-9):.0f}x less")


def nothing_new(exe, work, n, reps):
    src = work / f"tiny-{n}"
    if not (src / "done").exists():
        shutil.rmtree(src, ignore_errors=True)
        for i in range(n):
            d = src / f"{i // 1000:03d}"
            d.mkdir(parents=True, exist_ok=True)
            day = 1 + i % 28
            (d / f"f{i:06d}.csv").write_text(
                f"date,ticker,tenor,v0\n2024-02-{day:02d} {i % 24:02d}:00:00,T{i % 50},30,{i}\n")
        (src / "done").write_text("")
    out, state = work / "tiny-out", work / "tiny.db"
    shutil.rmtree(out, ignore_errors=True)
    state.unlink(missing_ok=True)
    first, _ = run([exe, "ingest", src, "--output", out, "--state", state, *JOB, "--workers", "2"])
    times = []
    for _ in range(reps):
        secs, err = run([exe, "ingest", src, "--output", out, "--state", state, *JOB])
        assert "0 new, 0 changed" in err and "0 partitions written" in err, err
        times.append(secs)
    print(f"nothing new over {n} tracked files: {statistics.median(times):.3f} s "
          f"(median of {reps}; the first round over them took {first:.1f} s)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=200)
    ap.add_argument("--keys", type=int, default=200)
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tsfill", default=str(ROOT / "build" / "release" / "examples" / "tsfill"))
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-data"))
    a = ap.parse_args()
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    exe = str(Path(a.tsfill).resolve())
    print(f"tsfill ingest benchmark, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores")
    one_day_lands(exe, work, a.days, a.keys, a.reps)
    nothing_new(exe, work, a.files, a.reps)


if __name__ == "__main__":
    main()
