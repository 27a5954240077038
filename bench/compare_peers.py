#!/usr/bin/env python3
"""The reference pipeline through tsfill, through each peer's idiomatic code, and through
hand-tuned plans in numpy and Polars (numpy-tuned, polars-tuned), on the same generated
data, in one run (research/performance.md, section 5; research/peers-tuned.md).

Pipeline: slot = floor(ts, 30 min); per (ticker, tenor, slot) keep the latest row (its nulls
included); grid = every key x every 30-minute slot of every day; left join; forward fill
v0..v3 within (ticker, tenor, day). Each engine runs in its own process (so thread settings
apply cleanly), sequentially, at 1 thread and at its default thread count, with a warm-up
and REPS timed repetitions; loading and parsing are not timed. Every engine's output must
have the same row count, non-null count and checksum, or the script fails.

Prints one line per engine and variant with the median seconds, then the idiomatic
headline, `tsfill speedup vs best idiomatic peer: N.Nx`, and, last, the honest one over
every variant, tuned included: `tsfill speedup vs best peer: N.Nx` (best peer: the fastest
engine at its best thread count; tsfill at its best thread count). `tsfill-lean` is the
lean output form (run_options::keep_original off: no original values), timed beside the full
form and never taken for the headline, since the peers write original and filled values.

usage: compare_peers.py [--days 200] [--reps 3] [--shuffled] [--engines tsfill,polars,...]
                        [--runner build/release/bench/tsfill_pipeline_runner] [--data DIR]
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import workload  # noqa: E402

VALUES = ["v0", "v1", "v2", "v3"]


# --- the peers' idiomatic pipelines ----------------------------------------------------------

def bounds(ts):
    lo = int(ts.min()) // workload.DAY_NS * workload.DAY_NS
    hi = (int(ts.max()) // workload.DAY_NS + 1) * workload.DAY_NS
    return lo, hi


def polars_engine(data, threads):
    import numpy as np
    import polars as pl
    lo, hi = bounds(data["ts"])
    raw = pl.DataFrame({"ts": pl.Series(data["ts"]).cast(pl.Datetime("ns")), "ticker": data["ticker"],
                        "tenor": data["tenor"]})
    raw = raw.with_columns([pl.Series(v, data[v]).scatter(np.flatnonzero(data["valid" + v[1:]] == 0), None)
                            for v in VALUES])
    slots = pl.DataFrame({"slot": pl.datetime_range(pl.lit(lo).cast(pl.Datetime("ns")),
                                                    pl.lit(hi).cast(pl.Datetime("ns")), "30m", closed="left",
                                                    time_unit="ns", eager=True)})

    def run():
        obs = (raw.lazy().with_columns(slot=pl.col("ts").dt.truncate("30m")).sort("ts")
               .group_by("ticker", "tenor", "slot").agg(pl.col(VALUES).last()))  # last row, nulls kept
        keys = raw.lazy().select("ticker", "tenor").unique()
        return (keys.join(slots.lazy(), how="cross").join(obs, on=["ticker", "tenor", "slot"], how="left")
                .sort("ticker", "tenor", "slot")
                .with_columns(pl.col(VALUES).forward_fill().over("ticker", "tenor", pl.col("slot").dt.date()))
                .collect())

    def checksum(out):
        cols = [out[v].to_numpy(allow_copy=True) for v in VALUES]
        return summarize(out.height, cols)
    return run, checksum, pl.__version__


def duckdb_engine(data, threads):
    import duckdb
    import pyarrow as pa
    lo, hi = bounds(data["ts"])
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    table = arrow_table(data)
    con.register("raw_arrow", table)
    con.execute("CREATE TABLE raw AS SELECT * FROM raw_arrow")
    last = ", ".join(f"arg_max_null({v}, ts) AS {v}" for v in VALUES)  # latest row even if NULL
    fills = ", ".join(f"last_value(o.{v} IGNORE NULLS) OVER w AS {v}" for v in VALUES)
    lo_ts = f"make_timestamp_ns({lo})"
    hi_ts = f"make_timestamp_ns({hi})"
    sql = f"""
    CREATE OR REPLACE TEMP TABLE out AS
    WITH obs AS (SELECT ticker, tenor, time_bucket(INTERVAL 30 MINUTE, ts) AS slot, {last}
                 FROM raw GROUP BY ALL),
    keys AS (SELECT DISTINCT ticker, tenor FROM raw),
    slots AS (SELECT range AS slot FROM range({lo_ts}, {hi_ts}, INTERVAL 30 MINUTE)),
    grid AS (SELECT * FROM keys CROSS JOIN slots)
    SELECT g.ticker, g.tenor, g.slot, {fills}
    FROM grid g LEFT JOIN obs o USING (ticker, tenor, slot)
    WINDOW w AS (PARTITION BY g.ticker, g.tenor, time_bucket(INTERVAL 1 DAY, g.slot) ORDER BY g.slot
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"""

    def run():
        con.execute(sql)
        return con

    def checksum(_):
        t = con.execute("SELECT * FROM out").to_arrow_table()
        cols = [t.column(v).to_numpy(zero_copy_only=False) for v in VALUES]
        return summarize(t.num_rows, cols)
    return run, checksum, duckdb.__version__


def pandas_engine(data, threads):
    import numpy as np
    import pandas as pd
    lo, hi = bounds(data["ts"])
    raw = pd.DataFrame({"ts": pd.to_datetime(data["ts"], unit="ns"), "ticker": data["ticker"],
                        "tenor": data["tenor"]})
    for v in VALUES:
        raw[v] = np.where(data["valid" + v[1:]] == 1, data[v], np.nan)  # pandas: NaN is its null
    slots = pd.DataFrame({"slot": pd.date_range(pd.Timestamp(lo, unit="ns"), pd.Timestamp(hi, unit="ns"),
                                                freq="30min", inclusive="left")})

    def run():
        df = raw.assign(slot=raw["ts"].dt.floor("30min"))
        obs = df.sort_values("ts", kind="stable").drop_duplicates(["ticker", "tenor", "slot"], keep="last")
        keys = raw[["ticker", "tenor"]].drop_duplicates()
        out = (keys.merge(slots, how="cross")
               .merge(obs[["ticker", "tenor", "slot", *VALUES]], how="left", on=["ticker", "tenor", "slot"])
               .sort_values(["ticker", "tenor", "slot"], kind="stable", ignore_index=True))
        out[VALUES] = out.groupby(["ticker", "tenor", out["slot"].dt.normalize()], sort=False)[VALUES].ffill()
        return out

    def checksum(out):
        return summarize(len(out), [out[v].to_numpy() for v in VALUES])
    return run, checksum, pd.__version__


def pyarrow_engine(data, threads):
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    pa.set_cpu_count(threads)
    use_threads = threads > 1
    lo, hi = bounds(data["ts"])
    table = arrow_table(data)
    slots = np.arange(lo, hi, 30 * 60 * 10**9, dtype=np.int64)
    opts = pc.ScalarAggregateOptions(skip_nulls=False)  # "last" skips nulls by default

    def run():
        t = table.append_column("slot", pc.floor_temporal(table["ts"], multiple=30, unit="minute"))
        t = t.sort_by([("ts", "ascending")])
        # "last" is an ordered aggregation: it needs use_threads=False.
        obs = t.group_by(["ticker", "tenor", "slot"], use_threads=False).aggregate(
            [(v, "last", opts) for v in VALUES])
        obs = obs.rename_columns([*(f"{v}" for v in VALUES), "ticker", "tenor", "slot"]
                                 if obs.column_names[0] != "ticker" else ["ticker", "tenor", "slot", *VALUES])
        keys = t.select(["ticker", "tenor"]).group_by(["ticker", "tenor"], use_threads=use_threads).aggregate([])
        k, s = keys.num_rows, len(slots)
        grid = pa.table({"ticker": np.repeat(keys["ticker"].to_numpy(), s),
                         "tenor": np.repeat(keys["tenor"].to_numpy(), s),
                         "slot": pa.array(np.tile(slots, k), pa.timestamp("ns"))})
        g = grid.join(obs, keys=["ticker", "tenor", "slot"], join_type="left outer", use_threads=use_threads)
        g = g.sort_by([("ticker", "ascending"), ("tenor", "ascending"), ("slot", "ascending")])
        part = pc.add(pc.multiply(pc.cast(g["ticker"], pa.int64()), 1 << 40),
                      pc.add(pc.multiply(pc.cast(g["tenor"], pa.int64()), 1 << 32),
                             pc.divide(pc.cast(g["slot"], pa.int64()), 86_400 * 10**9)))  # (key, day)
        for v in VALUES:
            col = g[v]
            filled = pc.fill_null_forward(col)
            src = pc.fill_null_forward(pc.if_else(pc.is_valid(col), part, pa.scalar(None, pa.int64())))
            g = g.set_column(g.schema.get_field_index(v), v,
                             pc.if_else(pc.equal(src, part), filled, pa.scalar(None, pa.float64())))
        return g

    def checksum(out):
        return summarize(out.num_rows, [out[v].to_numpy(zero_copy_only=False) for v in VALUES])
    return run, checksum, pa.__version__


# --- tuned peers: hand-written plans for this job's shape --------------------------------------
# What a strong engineer writes when the idiomatic plan is too slow (research/peers-tuned.md
# describes them; this code is ours): the grid has a closed form, cell = key * S + slot, so
# the key index is a perfect hash, dedup is a scatter of the rows in time order onto their
# cells (the last write is the latest row, its nulls included), and the forward fill within
# each 48-slot day segment touches only the null cells. They produce what tsfill produces:
# per value column the original and the filled values with their validity, the slot time
# of every cell, and the keys once per key (not per row, as tsfill's segments hold them).

def key_index(ticker, tenor):
    """(ticker, tenor) -> 0..K-1 in key order, through a table over the codes' range (a
    perfect hash; np.unique when that range is far larger than the rows)."""
    import numpy as np
    t0, n0 = int(ticker.min()), int(tenor.min())
    width = int(tenor.max()) - n0 + 1
    code = (ticker.astype(np.int64) - t0) * width + (tenor.astype(np.int64) - n0)
    span = (int(ticker.max()) - t0 + 1) * width
    if span > 4 * len(code) + 1_000_000:
        uniq, inverse = np.unique(code, return_inverse=True)
        return inverse, len(uniq)
    present = np.zeros(span, bool)
    present[code] = True
    lut = np.cumsum(present) - 1
    return lut[code], int(present.sum())


def cells_in_time_order(data):
    """Each row's cell, and the order that puts rows in time order (None when they are)."""
    import numpy as np
    ts = data["ts"]
    lo, hi = bounds(ts)
    slots = (hi - lo) // workload.SLOT_NS
    key, keys = key_index(data["ticker"], data["tenor"])
    cell = key * slots + (ts - lo) // workload.SLOT_NS
    order = None if bool(np.all(ts[1:] >= ts[:-1])) else np.argsort(ts, kind="stable")
    return cell, order, keys, slots, lo


def ffill_segments(orig, valid, seg):
    """Forward fill within runs of `seg` cells, touching only the null cells: each round
    steps the still-unfilled ones back one cell, until a valid cell or the segment start."""
    import numpy as np
    filled, fvalid = orig.copy(), valid.copy()
    pending = np.flatnonzero(~valid)
    pending = pending[pending % seg != 0]
    src = pending - 1
    while pending.size:
        ok = valid[src]
        filled[pending[ok]] = orig[src[ok]]
        fvalid[pending[ok]] = True
        pending, src = pending[~ok], src[~ok] - 1
        inside = src % seg != seg - 1  # (stepped out of the segment: stays null)
        pending, src = pending[inside], src[inside]
    return filled, fvalid


def numpy_tuned_engine(data, threads):
    import numpy as np
    per_day = workload.DAY_NS // workload.SLOT_NS

    def run():
        cell, order, keys, slots, lo = cells_in_time_order(data)
        if order is not None:
            cell = cell[order]
        n = keys * slots
        out = {"slot": lo + (np.arange(n, dtype=np.int64) % slots) * workload.SLOT_NS}
        for v in VALUES:
            vals, ok = data[v], data["valid" + v[1:]] != 0
            if order is not None:
                vals, ok = vals[order], ok[order]
            orig = np.full(n, np.nan)
            valid = np.zeros(n, bool)
            orig[cell] = vals
            valid[cell] = ok
            out[v] = (orig, valid) + ffill_segments(orig, valid, per_day)
        return out

    def checksum(out):
        cols = [np.where(out[v][3], out[v][2], np.nan) for v in VALUES]
        return summarize(len(out["slot"]), cols)
    return run, checksum, np.__version__


def polars_tuned_engine(data, threads):
    from concurrent.futures import ThreadPoolExecutor
    import numpy as np
    import polars as pl
    per_day = workload.DAY_NS // workload.SLOT_NS
    columns = {v: pl.Series(v, data[v]).scatter(np.flatnonzero(data["valid" + v[1:]] == 0), None)
               for v in VALUES}
    pool = ThreadPoolExecutor(max(1, threads))  # Series.scatter and gather release the GIL

    def run():
        cell, order, keys, slots, lo = cells_in_time_order(data)
        n = keys * slots
        cells = pl.Series(cell if order is None else cell[order])
        idx = pl.int_range(0, n, eager=True)
        start = (idx // per_day) * per_day

        def one(v):
            src = columns[v] if order is None else columns[v].gather(order)
            orig = pl.repeat(None, n, dtype=pl.Float64, eager=True).scatter(cells, src)
            # the latest valid cell at or before each cell in its segment: cum_max of
            # (own index if valid, else the segment start), then one gather
            last = pl.select(pl.when(orig.is_not_null()).then(idx).otherwise(start).cum_max()).to_series()
            return orig, orig.gather(last)
        out = dict(zip(VALUES, pool.map(one, VALUES)))
        out["slot"] = pl.Series(lo + (np.arange(n, dtype=np.int64) % slots) * workload.SLOT_NS)
        return out

    def checksum(out):
        cols = [out[v][1].to_numpy() for v in VALUES]
        return summarize(len(out["slot"]), cols)
    return run, checksum, pl.__version__


def arrow_table(data):
    import pyarrow as pa
    cols = {"ts": pa.array(data["ts"], pa.timestamp("ns")), "ticker": data["ticker"], "tenor": data["tenor"]}
    for v in VALUES:
        cols[v] = pa.array(data[v], mask=data["valid" + v[1:]] == 0)
    return pa.table(cols)


def summarize(rows, cols):
    import numpy as np
    nonnull = 0
    total = 0.0
    for c in cols:
        c = np.asarray(c, dtype=np.float64)
        ok = ~np.isnan(c)
        nonnull += int(ok.sum())
        total += math.fsum(c[ok])
    return {"rows": int(rows), "nonnull": nonnull, "sum": total}


ENGINES = {"polars": polars_engine, "duckdb": duckdb_engine, "pandas": pandas_engine, "pyarrow": pyarrow_engine,
           "numpy-tuned": numpy_tuned_engine, "polars-tuned": polars_tuned_engine}
TUNED = {"numpy-tuned", "polars-tuned"}
SINGLE_THREADED = {"pandas", "numpy-tuned"}  # (their code runs on one thread whatever is set)


def worker(engine, threads, data_dir, reps, warmup):
    """Runs one engine in this process and prints one JSON line."""
    data, _ = workload.read(data_dir)
    run, checksum, version = ENGINES[engine](data, threads)
    times = []
    out = None
    for r in range(warmup + reps):
        t0 = time.perf_counter()
        out = run()
        t1 = time.perf_counter()
        if r >= warmup:
            times.append(t1 - t0)
    result = {"engine": engine, "version": version, "threads": threads, "seconds": times,
              "median": statistics.median(times)}
    result.update(checksum(out))
    print(json.dumps(result))


# --- the driver ----------------------------------------------------------------------------

def run_variant(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def print_memory_wall(r):
    """The memory wall (issue 16): the bytes the pipeline must move (input columns read,
    output columns written), the time memcpy takes for them on as many threads in the same
    run, and the pipeline's time as a fraction of it; then per stage, the bytes it must
    move (the runner's model) against its time."""
    wall = r["memcpy_seconds"]
    gbs = r["moved_bytes"] / wall / 1e9
    print(f"         memory wall at {r['threads']} thread(s): {r['moved_bytes'] / 1e6:.0f} MB moved; memcpy "
          f"{wall:.3f} s ({gbs:.1f} GB/s); pipeline {r['median']:.3f} s = {wall / r['median']:.2f} of the wall")
    parts = []
    for stage, secs in r["stages"].items():
        b = r["stage_bytes"].get(stage)
        if b:
            parts.append(f"{stage} {secs:.3f} s, {b / 1e6:.0f} MB, {b / gbs / 1e9 / secs:.2f} of the wall")
        else:
            parts.append(f"{stage} {secs:.3f} s")
    print("         stages: " + "; ".join(parts))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=200)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--shuffled", action="store_true")
    ap.add_argument("--engines",
                    default="tsfill,tsfill-lean,polars,duckdb,pandas,pyarrow,numpy-tuned,polars-tuned")
    ap.add_argument("--runner", default=str(HERE.parent / "build" / "release" / "bench" / "tsfill_pipeline_runner"))
    ap.add_argument("--data", default=None, help="workload directory (default: build/bench-data/...)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    data_dir = args.data or str(HERE.parent / "build" / "bench-data" /
                                f"days{args.days}{'-shuffled' if args.shuffled else ''}")
    if args.worker:
        return worker(args.worker, args.threads, data_dir, args.reps, args.warmup)

    workload.ensure(data_dir, args.days, args.shuffled)
    default_threads = os.cpu_count() or 1
    results = []
    for engine in args.engines.split(","):
        for threads in sorted({1, default_threads}):
            if engine in SINGLE_THREADED and threads > 1:
                continue
            if engine in ("tsfill", "tsfill-lean"):
                r = run_variant([args.runner, data_dir, "--threads", str(threads), "--reps", str(args.reps),
                                 "--warmup", str(args.warmup)] + (["--lean"] if engine == "tsfill-lean" else []))
                r["version"] = "this build"
            else:
                env = dict(os.environ, POLARS_MAX_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
                r = run_variant([sys.executable, __file__, "--worker", engine, "--threads", str(threads),
                                 "--data", data_dir, "--reps", str(args.reps), "--warmup", str(args.warmup)], env)
            results.append(r)
            extra = f"  peak RSS {r['peak_rss_mb']:.0f} MB (input {r['input_mb']:.0f} + output {r['output_mb']:.0f} MB)" \
                if "peak_rss_mb" in r else ""
            print(f"{r['engine']:<8} {r['version']:<11} threads={r['threads']}  median {r['median']:8.3f} s  "
                  f"(reps {', '.join('%.3f' % s for s in r['seconds'])})  rows {r['rows']}  "
                  f"non-null {r['nonnull']}  sum {r['sum']:.6f}{extra}", flush=True)
            if "memcpy_seconds" in r:
                print_memory_wall(r)
    # The same answer from everyone, or nothing counts.
    ref = results[0]
    for r in results[1:]:
        if (r["rows"], r["nonnull"]) != (ref["rows"], ref["nonnull"]) or \
                abs(r["sum"] - ref["sum"]) > 1e-9 * max(1.0, abs(ref["sum"])):
            raise SystemExit(f"MISMATCH: {r['engine']} threads={r['threads']} gives rows {r['rows']} non-null "
                             f"{r['nonnull']} sum {r['sum']!r}; {ref['engine']} gives {ref['rows']} {ref['nonnull']} "
                             f"{ref['sum']!r}")
    tsfill_best = min((r["median"] for r in results if r["engine"] == "tsfill"), default=None)
    # The lean form (no original values) is reported beside the full one, never as the
    # headline: the peers write original and filled values.
    peers = [r for r in results if not r["engine"].startswith("tsfill")]
    lean = [r for r in results if r["engine"] == "tsfill-lean"]
    if lean:
        lean_best = min(r["median"] for r in lean)
        print(f"tsfill-lean (filled values, statuses and bitmaps only) vs tsfill: "
              f"{tsfill_best / lean_best:.2f}x at the best thread count of each")
    if tsfill_best is None or not peers:
        return
    best = min(peers, key=lambda r: r["median"])
    one = {r["engine"]: r["median"] for r in peers if r["threads"] == 1}
    t1 = min(r["median"] for r in results if r["engine"] == "tsfill" and r["threads"] == 1)
    for engine, secs in sorted(one.items()):
        print(f"tsfill (1 thread) vs {engine} (1 thread): {secs / t1:.1f}x")
    idiomatic = [r for r in peers if r["engine"] not in TUNED]
    if idiomatic and len(idiomatic) < len(peers):
        best_idiomatic = min(idiomatic, key=lambda r: r["median"])
        print(f"best idiomatic peer: {best_idiomatic['engine']} threads={best_idiomatic['threads']} "
              f"median {best_idiomatic['median']:.3f} s")
        print(f"tsfill speedup vs best idiomatic peer: {best_idiomatic['median'] / tsfill_best:.1f}x")
    print(f"best peer: {best['engine']} threads={best['threads']} median {best['median']:.3f} s")
    print(f"tsfill speedup vs best peer: {best['median'] / tsfill_best:.1f}x")


if __name__ == "__main__":
    main()
