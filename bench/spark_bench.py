#!/usr/bin/env python3
"""The seed's gold job inside Spark: tsfill.fill in applyInArrow against the pure-PySpark
job (a sequence() grid, a left join, last(..., ignorenulls=True) over a window), both from
examples/spark/gold_job.py, in one Spark session (local[2] by default), on the silver table
of bench/compare_e2e.py (DAYS x KEYS of 30-minute snapshots with duplicates and nulls,
written as Parquet), each writing the gold table as Parquet partitioned by day (what users
run). Not a timed test.

First both run once and their outputs are compared (exceptAll both ways, so every row,
value and null); then REPS alternated runs each; medians. Prints one line per job and last
`tsfill in Spark speedup vs pure PySpark: N.Nx`.

usage: spark_bench.py [--days 50] [--keys 1000] [--reps 3] [--buckets N] [--data DIR]
"""
import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "examples" / "spark"))
import compare_e2e  # noqa: E402  (the silver table's generator)
import gold_job  # noqa: E402

KEYS = ["ticker", "tenor"]
VALUES = ["v0", "v1", "v2", "v3"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=50)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--buckets", type=int, default=None, help="tsfill per day and key bucket")
    ap.add_argument("--data", default=None)
    a = ap.parse_args()
    data = Path(a.data or ROOT / "build" / "bench-data" / f"spark-d{a.days}-k{a.keys}")
    if not (data / "silver.parquet").exists():
        compare_e2e.generate(data, a.days, a.keys)
    spark = gold_job.spark_session("tsfill-spark-bench")
    spark.sparkContext.setLogLevel("ERROR")
    silver = spark.read.parquet(str(data / "silver.parquet"))
    rows = silver.count()
    jobs = {
        "pure PySpark": lambda: gold_job.gold_with_pyspark(silver, keys=KEYS, values=VALUES, where=None),
        "tsfill in Spark": lambda: gold_job.gold_with_tsfill(silver, keys=KEYS, values=VALUES, where=None,
                                                            buckets=a.buckets),
    }

    def run(name):
        out = data / ("gold-" + name.replace(" ", "-"))
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        gold_job.write_gold(jobs[name](), str(out))
        return time.perf_counter() - start, out

    outs = {name: run(name)[1] for name in jobs}  # (also warms the workers up)
    a_df, b_df = (spark.read.parquet(str(outs[n])) for n in jobs)
    a_df, b_df = a_df.select(*sorted(a_df.columns)), b_df.select(*sorted(b_df.columns))
    differ = a_df.exceptAll(b_df).count() + b_df.exceptAll(a_df).count()
    gold_rows = a_df.count()
    if differ or gold_rows == 0:
        sys.exit(f"the outputs differ ({differ} rows) or are empty: no figures")
    # The floor: the same shuffle, Arrow round trip and write with a function that returns
    # its rows as they came (no fill): what Spark itself costs the tsfill job.
    from pyspark.sql import functions as F
    needed = silver.select("date", *KEYS, *VALUES)
    jobs["floor (identity)"] = lambda: needed.groupBy(F.to_date("date")).applyInArrow(
        lambda t: t, needed.schema).withColumn("partition_date", F.to_date("date"))
    times = {name: [] for name in jobs}
    for _ in range(a.reps):
        for name in jobs:
            times[name].append(run(name)[0])
    print(f"silver {rows:,} rows ({a.days} days x {a.keys} keys), gold {gold_rows:,} rows, "
          f"{spark.sparkContext.master}, {os.cpu_count()} cores, outputs equal")
    for name in jobs:
        m = statistics.median(times[name])
        print(f"{name:16s} median {m:7.2f} s  ({rows / m / 1e6:5.2f} M silver rows/s)  runs "
              + " ".join(f"{t:.2f}" for t in times[name]))
    floor = statistics.median(times["floor (identity)"])
    print(f"Spark's own share of the tsfill job (shuffle, Arrow both ways, write): "
          f"{floor / statistics.median(times['tsfill in Spark']):.0%}")
    ratio = statistics.median(times["pure PySpark"]) / statistics.median(times["tsfill in Spark"])
    print(f"tsfill in Spark speedup vs pure PySpark: {ratio:.1f}x")
    spark.stop()


if __name__ == "__main__":
    main()
