#!/usr/bin/env python3
"""A whole `tsfill fill` run, file to file, against DuckDB and Polars doing the same job file
to file, on CSV and on Parquet (issue 17).

Data: the reference workload as a silver file — DAYS days x KEYS keys (tickers x 10 tenors)
of 30-minute snapshots, 95 % of slots observed, 5 % twice, at a random millisecond inside
the slot (ISO-8601 UTC text in CSV, timestamp[ms, UTC] in Parquet), four value columns with
six decimals, 10 % of them null (empty in CSV), and one text column no job reads. The
default (100 days x 1,000 keys) is about 4.8 M rows, 400 MB of CSV.

Job: slot = floor(date, 30 min); per (ticker, tenor, slot) the latest row wins, its nulls
included; partitions are UTC days; each day's grid is every key seen that day x every slot
from the day's first to its last slot; v0..v3 are written as observed and forward filled
within (key, day) as v*_bf. tsfill runs `tsfill fill IN -o OUT --keys ticker,tenor
--values v0,v1,v2,v3 --threads T`; DuckDB runs read_csv/read_parquet, the job in SQL and
COPY TO; Polars scan_csv/scan_parquet, the job as a lazy plan and write_csv/write_parquet.
The peers write no output order (tsfill writes partition, key, slot order): that favours them.

Timing: each (engine, format, threads) runs REPS times, alternating with the others, into a
fresh output. tsfill is timed as a whole process; the peers from just before the query to
after the write, inside their worker process (their interpreter start and imports, about
0.2 s, are not counted: that favours them too). Threads: 1 and every core (tsfill
--threads 0, DuckDB SET threads, POLARS_MAX_THREADS). Peak RSS of every process
(getrusage of the child). Before any figure counts, every output of the first round is
read back and compared with tsfill's, cell for cell. tsfill's stage times (read, pipeline,
write) come from one more run with --stats.

Prints one line per variant, then `tsfill e2e speedup vs best peer (csv|parquet): N.Nx`
and, last, `tsfill e2e speedup vs best peer: N.Nx` (the worse of CSV and Parquet).

usage: compare_e2e.py [--days 100] [--keys 1000] [--reps 3] [--formats csv,parquet]
                      [--engines tsfill,duckdb,polars] [--tsfill build/release/examples/tsfill]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VALUES = ["v0", "v1", "v2", "v3"]
KEYS = ["ticker", "tenor"]


# --- the silver file ---------------------------------------------------------------------

def generate(directory, days, keys, seed=17):
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    tenors = 10
    tickers = max(1, keys // tenors)
    keys = tickers * tenors
    slots = days * 48
    observed = rng.random((slots, keys)) < 0.95
    slot, key = np.nonzero(observed)
    dup = rng.random(slot.size) < 0.05
    slot, key = np.concatenate([slot, slot[dup]]), np.concatenate([key, key[dup]])
    start_ms = np.datetime64("2024-01-01T00:00:00", "ms").astype(np.int64)
    ms = start_ms + slot.astype(np.int64) * 1_800_000 + rng.integers(0, 1_800_000, slot.size)
    # A duplicate never ties with its first row: the latest row is then one row in every engine.
    ms[-int(dup.sum()):] |= 1
    ms[:slot.size - int(dup.sum())] &= ~np.int64(1)
    order = np.argsort(ms, kind="stable")
    ms, key = ms[order], key[order]
    n = ms.size
    walk = np.cumsum(rng.normal(0, 0.002, (slots, keys)), axis=0) + 0.3
    cols = {"date": pa.array(ms.astype("datetime64[ms]"), pa.timestamp("ms", tz="UTC")),
            "ticker": pa.array(np.array([f"T{t:03d}" for t in range(tickers)])[key // tenors]),
            "tenor": pa.array(((key % tenors + 1) * 30).astype(np.int64)),
            "source": pa.array(np.array(["feedA", "feedB"])[rng.integers(0, 2, n)])}
    for v in range(4):
        x = np.round(walk[slot[order], key] + 0.01 * v, 6)
        cols[f"v{v}"] = pa.array(x, mask=rng.random(n) < 0.10)
    table = pa.table(cols)
    pq.write_table(table, directory / "silver.parquet", compression="snappy")
    text = table.set_column(0, "date", pa.array(
        np.char.add(np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms"), "Z")))
    pacsv.write_csv(text, directory / "silver.csv",
                    pacsv.WriteOptions(include_header=True, quoting_style="none"))
    (directory / "meta.json").write_text(json.dumps({"days": days, "keys": keys, "rows": n, "seed": seed}))


# --- the peers, each in a worker process ---------------------------------------------------

def duckdb_job(src, out, fmt, threads):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET TimeZone = 'UTC'")
    reader = f"read_parquet('{src}')" if fmt == "parquet" else f"read_csv('{src}', header = true)"
    last = ", ".join(f"arg_max_null({v}, ts) AS {v}" for v in VALUES)  # the latest row, nulls kept
    fills = ", ".join(f"last_value(o.{v} IGNORE NULLS) OVER w AS {v}_bf" for v in VALUES)
    observed = ", ".join(f"o.{v}" for v in VALUES)
    sql = f"""
    COPY (
      WITH raw AS (SELECT CAST(date AS TIMESTAMP) AS ts, ticker, tenor, {", ".join(VALUES)} FROM {reader}),
      obs AS (SELECT ticker, tenor, time_bucket(INTERVAL 30 MINUTE, ts) AS slot, {last}
              FROM raw GROUP BY ALL),
      keyed AS (SELECT *, CAST(slot AS DATE) AS day FROM obs),
      keys AS (SELECT DISTINCT day, ticker, tenor FROM keyed),
      span AS (SELECT day, min(slot) AS lo, max(slot) AS hi FROM keyed GROUP BY day),
      slots AS (SELECT day, unnest(generate_series(lo, hi, INTERVAL 30 MINUTE)) AS slot FROM span),
      grid AS (SELECT k.day, k.ticker, k.tenor, s.slot FROM keys k JOIN slots s USING (day))
      SELECT g.day AS partition_date, g.ticker, g.tenor, g.slot AS slot_ts, {observed}, {fills}
      FROM grid g LEFT JOIN keyed o USING (ticker, tenor, slot)
      WINDOW w AS (PARTITION BY g.ticker, g.tenor, g.day ORDER BY g.slot
                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    ) TO '{out}' (FORMAT {"parquet" if fmt == "parquet" else "csv"}{", HEADER" if fmt == "csv" else ""})"""
    t0 = time.perf_counter()
    con.execute(sql)
    return time.perf_counter() - t0, duckdb.__version__


def polars_job(src, out, fmt, threads):
    import polars as pl
    t0 = time.perf_counter()
    raw = pl.scan_parquet(src) if fmt == "parquet" else pl.scan_csv(src, try_parse_dates=True)
    r = raw.select(pl.col("date").dt.replace_time_zone(None).alias("ts"), *KEYS, *VALUES)
    r = r.with_columns(slot=pl.col("ts").dt.truncate("30m"))
    obs = (r.sort("ts").group_by(*KEYS, "slot").agg(pl.col(VALUES).last())  # the latest row, nulls kept
           .with_columns(day=pl.col("slot").dt.date()))
    keys = obs.select("day", *KEYS).unique()
    span = obs.group_by("day").agg(lo=pl.col("slot").min(), hi=pl.col("slot").max())
    slots = (span.select("day", slot=pl.datetime_ranges("lo", "hi", "30m")).explode("slot"))
    grid = keys.join(slots, on="day")
    plan = (grid.join(obs, on=["day", *KEYS, "slot"], how="left").sort(*KEYS, "slot")
            .with_columns(pl.col(VALUES).forward_fill().over(*KEYS, "day").name.suffix("_bf"))
            .select(pl.col("day").alias("partition_date"), *KEYS, pl.col("slot").alias("slot_ts"),
                    *VALUES, *[f"{v}_bf" for v in VALUES]))
    df = plan.collect()
    if fmt == "parquet":
        df.write_parquet(out)
    else:
        df.write_csv(out)
    return time.perf_counter() - t0, pl.__version__


PEERS = {"duckdb": duckdb_job, "polars": polars_job}


def worker(engine, src, out, fmt, threads):
    secs, version = PEERS[engine](src, out, fmt, threads)
    print(json.dumps({"seconds": secs, "version": version}))


# --- the driver ----------------------------------------------------------------------------

def timed(args, env=None):
    """Wall seconds, peak RSS (MiB), stdout and stderr of one process (os.wait4 for the RSS)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    # Drain the pipes on the side so a chatty child cannot block; then reap it with wait4.
    import threading
    chunks = {"out": [], "err": []}

    def drain(stream, key):
        chunks[key].append(stream.read())
    threads = [threading.Thread(target=drain, args=(p.stdout, "out")),
               threading.Thread(target=drain, args=(p.stderr, "err"))]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(p.pid, 0)
    secs = time.perf_counter() - t0
    for t in threads:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    out, err = b"".join(chunks["out"]).decode(), b"".join(chunks["err"]).decode()
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({p.returncode}):\n{err}")
    return secs, usage.ru_maxrss / 1024, out, err


def normalized(path, fmt):
    """An output read back as columns sorted by (partition, key, slot): slot as epoch µs."""
    import polars as pl
    df = pl.read_parquet(path) if fmt == "parquet" else pl.read_csv(path, try_parse_dates=True)
    df = df.with_columns(pl.col("slot_ts").cast(pl.Datetime("us")).dt.replace_time_zone(None)
                         .cast(pl.Int64).alias("slot_us"),
                         pl.col("partition_date").cast(pl.Utf8), pl.col("tenor").cast(pl.Int64))
    df = df.sort("partition_date", *KEYS, "slot_us")
    cols = {c: df[c].to_numpy() for c in ["partition_date", *KEYS, "slot_us"]}
    for v in VALUES + [f"{v}_bf" for v in VALUES]:
        cols[v] = df[v].cast(pl.Float64).to_numpy()
    return df.height, cols


def same_output(ref, other):
    import numpy as np
    (n1, a), (n2, b) = ref, other
    if n1 != n2:
        return f"{n2} rows, expected {n1}"
    for c in a:
        x, y = a[c], b[c]
        if x.dtype.kind == "f":
            equal = (x == y) | (np.isnan(x) & np.isnan(y))
        else:
            equal = x == y
        if not equal.all():
            i = int(np.flatnonzero(~equal)[0])
            return f"column {c} differs first at sorted row {i}: {y[i]!r}, expected {x[i]!r}"
    return None


def check(fmt, paths):
    """Compares every output with the first (tsfill's); exits 1 naming the first difference."""
    ref = normalized(paths[0], fmt)
    for p in paths[1:]:
        why = same_output(ref, normalized(p, fmt))
        if why:
            raise SystemExit(f"MISMATCH: {Path(p).name} against {Path(paths[0]).name}: {why}")
    print(f"{fmt}: every output equals tsfill's ({ref[0]:,} rows)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=100)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--formats", default="csv,parquet")
    ap.add_argument("--engines", default="tsfill,duckdb,polars")
    ap.add_argument("--tsfill", default=str(ROOT / "build" / "release" / "examples" / "tsfill"))
    ap.add_argument("--data", default=None, help="workload directory (default build/bench-data/e2e-...)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--src", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--format", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--check", help=argparse.SUPPRESS)
    args, rest = ap.parse_known_args()
    if args.check:
        return check(args.check, rest)
    if args.worker:
        return worker(args.worker, args.src, args.out, args.format, args.threads)

    data = Path(args.data or ROOT / "build" / "bench-data" / f"e2e-d{args.days}-k{args.keys}")
    if not (data / "meta.json").exists():
        # In a process of its own: numpy and pyarrow here would not inflate the children's
        # peak RSS (Linux keeps it across exec), but they would slow every fork.
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(HERE)!r}); "
                        f"import compare_e2e as c; from pathlib import Path; "
                        f"c.generate(Path({str(data)!r}), {args.days}, {args.keys})"], check=True)
    meta = json.loads((data / "meta.json").read_text())
    formats = args.formats.split(",")
    engines = args.engines.split(",")
    cores = os.cpu_count() or 1
    work = data / "out"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    print(f"{meta['rows']:,} rows, {meta['keys']} keys, {meta['days']} days; "
          + ", ".join(f"{f} {os.path.getsize(data / f'silver.{f}') / 1e6:.0f} MB" for f in formats), flush=True)

    def command(engine, fmt, threads, out):
        src = data / f"silver.{fmt}"
        if engine == "tsfill":
            return [args.tsfill, "fill", str(src), "-o", str(out), "--keys", ",".join(KEYS),
                    "--values", ",".join(VALUES), "--threads", "0" if threads > 1 else "1", "-q"], None
        env = dict(os.environ, POLARS_MAX_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        return [sys.executable, __file__, "--worker", engine, "--src", str(src), "--out", str(out),
                "--format", fmt, "--threads", str(threads)], env

    variants = [(e, f, t) for f in formats for e in engines for t in sorted({1, cores})]
    results = {v: {"seconds": [], "rss": []} for v in variants}
    for rep in range(args.reps):
        for v in variants:
            engine, fmt, threads = v
            out = work / f"{engine}-{threads}.{fmt}"
            if out.exists():
                out.unlink()
            cmd, env = command(engine, fmt, threads, out)
            secs, rss, stdout, _ = timed(cmd, env)
            if engine != "tsfill":
                reply = json.loads(stdout.strip().splitlines()[-1])
                secs, results[v]["version"] = reply["seconds"], reply["version"]
            results[v]["seconds"].append(secs)
            results[v]["rss"].append(rss)
            if rep == 0:
                kept = work / f"first-{engine}-{threads}.{fmt}"
                out.rename(kept)
        if rep == 0 and "tsfill" in engines:  # every output equal to tsfill's before a figure counts
            for fmt in formats:
                others = [str(work / f"first-{e}-{t}.{f}") for e, f, t in variants if f == fmt]
                # In a process of its own, so this one stays small (see generate).
                verdict = subprocess.run([sys.executable, __file__, "--check", fmt, *others],
                                       capture_output=True, text=True)
                if verdict.returncode != 0:
                    raise SystemExit(verdict.stdout + verdict.stderr)
                print(verdict.stdout.strip(), flush=True)

    # tsfill's stages, from REPS more runs each with --stats: the median of each stage.
    stages = {}
    if "tsfill" in engines:
        for fmt in formats:
            for threads in sorted({1, cores}):
                seen = {}
                for _ in range(args.reps):
                    out = work / f"stats-{threads}.{fmt}"
                    if out.exists():
                        out.unlink()
                    cmd, _ = command("tsfill", fmt, threads, out)
                    _, _, _, err = timed(cmd + ["--stats"])
                    m = re.search(r"seconds: (.*?); total", err)
                    for part in (m.group(1).split(", ") if m else []):
                        stage, secs = part.rsplit(" ", 1)
                        seen.setdefault(stage, []).append(float(secs))
                stages[(fmt, threads)] = ", ".join(f"{k} {statistics.median(v):.3f}" for k, v in seen.items())

    for v in variants:
        engine, fmt, threads = v
        r = results[v]
        r["median"] = statistics.median(r["seconds"])
        version = r.get("version", "this build")
        line = (f"{fmt:<8} {engine:<7} {version:<11} threads={threads}  median {r['median']:7.3f} s  "
                f"(runs {', '.join('%.3f' % s for s in r['seconds'])})  peak RSS {max(r['rss']):6.0f} MiB")
        if engine == "tsfill":
            line += f"\n         stages (medians): {stages.get((fmt, threads), '?')}"
        print(line)
    worst = None
    for fmt in formats:
        ours = [results[v]["median"] for v in variants if v[0] == "tsfill" and v[1] == fmt]
        peers = [(results[v]["median"], v) for v in variants if v[0] != "tsfill" and v[1] == fmt]
        if not ours or not peers:
            continue
        best, bv = min(peers)
        ratio = best / min(ours)
        one = [results[v]["median"] for v in variants if v[0] == "tsfill" and v[1] == fmt and v[2] == 1][0]
        print(f"tsfill {fmt}: 1 thread {one:.3f} s, all cores {min(ours):.3f} s ({one / min(ours):.2f}x); "
              f"best peer {bv[0]} threads={bv[2]} {best:.3f} s")
        print(f"tsfill e2e speedup vs best peer ({fmt}): {ratio:.1f}x")
        worst = ratio if worst is None else min(worst, ratio)
    if worst is not None:
        print(f"tsfill e2e speedup vs best peer: {worst:.1f}x")


if __name__ == "__main__":
    main()
