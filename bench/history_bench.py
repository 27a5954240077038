"""Late values into a history table: `tsfill history apply` against DuckDB doing the same
update with list functions, both file to file on the same Parquet files, in the same run.

The table: ACCOUNTS accounts x MONTHS month partitions (DIR/month=YYYY-MM/part-0.parquet),
each row the key, a scalar column and COLUMNS array columns of LENGTH doubles (zstd). The
staging file: 1 % of the accounts, one value per array column, for the first month, so its
window covers every partition (each is rewritten). DuckDB reads each partition, replaces
element p-m of the staged accounts' arrays (list_concat of slices around the new value,
after a left join with the staging table) and COPYs it to a new Parquet file with the same
codec; tsfill replaces each partition in place (atomically). Before any figure is kept,
DuckDB's files and tsfill's are read back and compared cell for cell. Each repetition
stages other values (so tsfill rewrites every partition every time), alternating the two
engines; whole processes, medians, peak RSS from getrusage of a helper process.

Usage: .venv/bin/python bench/history_bench.py [--accounts 100000] [--months 36] [--length 36]
                                               [--columns 4] [--reps 3] [--threads 2]
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MONTH0 = 2021 * 12  # 2021-01


def month_text(i):
    return f"{i // 12}-{i % 12 + 1:02d}"


def generate(root, accounts, months, length, columns, seed=1):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    acct = pa.array(np.arange(accounts, dtype=np.int64))
    for m in range(months):
        cols = {"acct": acct, "segment": pa.array(rng.integers(0, 9, accounts).astype(np.int64))}
        for c in range(columns):
            values = np.round(rng.normal(1000, 300, accounts * length), 2)
            valid = rng.random(accounts * length) > 0.05
            flat = pa.array(values, mask=~valid)
            offsets = pa.array(np.arange(0, (accounts + 1) * length, length, dtype=np.int32))
            cols[f"c{c}_history"] = pa.ListArray.from_arrays(offsets, flat)
        d = root / f"month={month_text(MONTH0 + m)}"
        d.mkdir()
        pq.write_table(pa.table(cols), d / "part-0.parquet", compression="zstd")


def write_staging(path, accounts, columns, rep, seed=2):
    rng = random.Random(seed)
    chosen = sorted(rng.sample(range(accounts), max(1, accounts // 100)))
    with open(path, "w") as f:
        f.write("acct,month," + ",".join(f"c{c}" for c in range(columns)) + "\n")
        for a in chosen:
            f.write(f"{a},{month_text(MONTH0)}," + ",".join(f"{a % 997 + c + rep / 8}" for c in range(columns)) + "\n")
    return len(chosen)


DUCKDB_JOB = r'''
import sys, duckdb
src, out, staging, months, length, columns, threads = sys.argv[1:8]
months, length, columns = int(months), int(length), int(columns)
con = duckdb.connect()
con.execute(f"SET threads = {int(threads)}")
con.execute(f"CREATE TABLE staged AS SELECT * FROM read_csv('{staging}', header=true, "
            "columns={'acct': 'BIGINT', 'month': 'VARCHAR', " +
            ", ".join(f"'c{c}': 'DOUBLE'" for c in range(columns)) + "})")
con.execute("ALTER TABLE staged ADD COLUMN m INTEGER")
con.execute("UPDATE staged SET m = CAST(split_part(month, '-', 1) AS INTEGER) * 12 + "
            "CAST(split_part(month, '-', 2) AS INTEGER) - 1")
for i in range(months):
    p = 2021 * 12 + i
    name = f"{p // 12}-{p % 12 + 1:02d}"
    # element p-m (0-based) of each staged account's arrays: slices around the new value
    sets = ", ".join(
        f"CASE WHEN s.acct IS NULL THEN t.c{c}_history ELSE list_concat("
        f"t.c{c}_history[1:{p} - s.m], [s.c{c}], t.c{c}_history[{p} - s.m + 2:]) END AS c{c}_history"
        for c in range(columns))
    con.execute(
        f"COPY (SELECT t.* REPLACE ({sets}) FROM read_parquet('{src}/month={name}/part-0.parquet', hive_partitioning=false) t "
        f"LEFT JOIN staged s ON t.acct = s.acct AND s.m BETWEEN {p - length + 1} AND {p} "
        f"ORDER BY t.acct) TO '{out}/month={name}/part-0.parquet' (FORMAT parquet, COMPRESSION zstd)")
'''

MEASURE = r'''
import resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(sys.argv[1:], capture_output=True, text=True)
secs = time.perf_counter() - t0
if p.returncode:
    sys.stderr.write(p.stderr)
    sys.exit(p.returncode)
print(secs, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
'''


def measured(args):
    p = subprocess.run([sys.executable, "-c", MEASURE, *map(str, args)], capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"failed: {' '.join(map(str, args))}\n{p.stderr}")
    secs, kb = p.stdout.split()
    return float(secs), int(kb) / 1024


def duckdb_run(src, out, staging, a):
    shutil.rmtree(out, ignore_errors=True)
    for d in Path(src).iterdir():
        (out / d.name).mkdir(parents=True)
    return measured([sys.executable, "-c", DUCKDB_JOB, src, out, staging, a.months, a.length, a.columns,
                     a.threads])


def tsfill_run(exe, table, staging, state, a):
    state.unlink(missing_ok=True)
    return measured([exe, "history", "apply", "--table", table, "--staging", staging, "--length", a.length,
                     "--state", state, "--workers", a.threads])


def same_tables(x, y, months):
    import pyarrow.parquet as pq
    for i in range(months):
        name = f"month={month_text(MONTH0 + i)}/part-0.parquet"
        tx, ty = pq.ParquetFile(Path(x) / name).read(), pq.ParquetFile(Path(y) / name).read()
        if tx.schema.names != ty.schema.names or not tx.equals(ty.cast(tx.schema)):
            return f"{name} differs"
    return ""


def codec_floor(table, months, threads):
    """Seconds to decompress and recompress (zstd, Arrow's default level, as tsfill and
    pyarrow write) the values of every array column of every partition, in pages of 1 MiB
    on `threads` threads: what any rewrite of the table must spend when every page holds a
    staged account, as here (a page holds ~3,600 rows, 1 % of them staged). The levels and
    the other columns are left out, so the true floor is higher still. Every page is checked to
    come back as it was before a figure counts."""
    from concurrent.futures import ThreadPoolExecutor
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    codec = pa.Codec("zstd")
    page = 1 << 20
    enc = dec = 0.0
    with ThreadPoolExecutor(threads) as pool:
        for i in range(months):
            t = pq.read_table(Path(table) / f"month={month_text(MONTH0 + i)}" / "part-0.parquet")
            raw = [pc.drop_null(t[n].combine_chunks().flatten()).buffers()[1]
                   for n in t.column_names if n.endswith("_history")]
            pages = [b.slice(k, min(page, b.size - k)) for b in raw for k in range(0, b.size, page)]
            t0 = time.perf_counter()
            packed = list(pool.map(codec.compress, pages))
            t1 = time.perf_counter()
            unpacked = list(pool.map(lambda pz: codec.decompress(pz[0], decompressed_size=pz[1].size),
                                     zip(packed, pages)))
            enc += t1 - t0
            dec += time.perf_counter() - t1
            if not all(u.equals(p) for u, p in zip(unpacked, pages)):  # (after the clock)
                sys.exit(f"codec floor: a page of month {i} did not come back as it was")
    return dec, enc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--length", type=int, default=36)
    ap.add_argument("--columns", type=int, default=4)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tsfill", default=str(ROOT / "build" / "release" / "examples" / "tsfill"))
    ap.add_argument("--work", default=str(ROOT / "build" / "bench-data"))
    a = ap.parse_args()
    work = Path(a.work) / f"history-{a.accounts}a-{a.months}m-{a.length}n-{a.columns}k"
    table = work / "table"
    if not (work / "done").exists():
        shutil.rmtree(work, ignore_errors=True)
        generate(table, a.accounts, a.months, a.length, a.columns)
        (work / "done").write_text("")
    size = sum(p.stat().st_size for p in table.rglob("*.parquet"))
    rows = a.accounts * a.months
    print(f"table: {a.accounts:,} accounts x {a.months} partitions x {a.columns} arrays of {a.length} "
          f"doubles: {rows:,} rows, {size / 2**20:,.0f} MiB of Parquet (zstd); staging 1 % of the "
          f"accounts for the first month (every partition in its window); {a.threads} threads")
    times = {"tsfill": [], "duckdb": []}
    rss = {"tsfill": 0.0, "duckdb": 0.0}
    for rep in range(a.reps):
        staging = work / f"staging-{rep}.csv"
        staged = write_staging(staging, a.accounts, a.columns, rep)
        secs, mb = duckdb_run(table, work / "duckdb-out", staging, a)
        times["duckdb"].append(secs)
        rss["duckdb"] = max(rss["duckdb"], mb)
        secs, mb = tsfill_run(a.tsfill, table, staging, work / "state.db", a)
        times["tsfill"].append(secs)
        rss["tsfill"] = max(rss["tsfill"], mb)
        diff = same_tables(table, work / "duckdb-out", a.months)  # (checked every repetition)
        if diff:
            sys.exit(f"tsfill and DuckDB disagree: {diff}")
    t, d = statistics.median(times["tsfill"]), statistics.median(times["duckdb"])
    print(f"outputs equal cell for cell ({staged:,} staged accounts, every partition)")
    print(f"{'engine':<8} {'median s':>9} {'s/partition':>12} {'M rows/s':>9} {'peak RSS':>10}")
    for name, secs in (("tsfill", t), ("duckdb", d)):
        print(f"{name:<8} {secs:9.2f} {secs / a.months:12.3f} {rows / secs / 1e6:9.2f} "
              f"{rss[name]:8.0f} MB")
    dec, enc = codec_floor(table, a.months, a.threads)
    print(f"codec floor: decompressing every page of the arrays {dec:.2f} s + recompressing "
          f"them {enc:.2f} s = {dec + enc:.2f} s ({a.threads} threads): DuckDB / floor = "
          f"{d / (dec + enc):.1f}x, the most any rewrite of these pages can reach; tsfill is "
          f"{t / (dec + enc):.2f}x the floor")
    print(f"tsfill history apply speedup vs DuckDB: {d / t:.1f}x")


if __name__ == "__main__":
    main()
