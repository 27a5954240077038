#!/usr/bin/env python3
"""The seed's gold job inside Spark, three ways, in one Spark session (local[2] by default),
on the silver table of bench/compare_e2e.py (DAYS x KEYS of 30-minute snapshots with
duplicates and nulls) laid out by day as Parquet (silver-by-day/day=YYYY-MM-DD/, as the
seed's silver table is), each writing the gold table as Parquet partitioned by day (what
users run), all from examples/spark/gold_job.py:

  pure PySpark         a sequence() grid, a left join, last(..., ignorenulls=True) over a
                       window (the seed's job)
  tsfill applyInArrow  groupBy(day).applyInArrow with tsfill.fill, any silver DataFrame
  tsfill day files     gold_by_day_files: no shuffle, each task reads and writes its days

and a floor for the second: the same shuffle, Arrow round trip and write with a function
returning its rows. Not a timed test.

First the three run once and their outputs are compared (exceptAll both ways, so every row,
value and null); then REPS alternated runs each; medians. Prints one line per job and last
`tsfill in Spark speedup vs pure PySpark: N.Nx` (the faster tsfill job; both are printed).

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
    by_day = data / "silver-by-day"
    if not by_day.exists():
        write_by_day(data / "silver.parquet", by_day)
    spark = gold_job.spark_session("tsfill-spark-bench")
    spark.sparkContext.setLogLevel("ERROR")
    silver = spark.read.parquet(str(by_day))
    rows = silver.count()
    spark_jobs = {
        "pure PySpark": lambda: gold_job.gold_with_pyspark(silver, keys=KEYS, values=VALUES, where=None),
        "tsfill applyInArrow": lambda: gold_job.gold_with_tsfill(silver, keys=KEYS, values=VALUES,
                                                                where=None, buckets=a.buckets),
    }
    jobs = list(spark_jobs) + ["tsfill day files"]

    def run(name):
        out = data / ("gold-" + name.replace(" ", "-"))
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        if name in spark_jobs:
            gold_job.write_gold(spark_jobs[name](), str(out))
        else:
            gold_job.gold_by_day_files(spark, str(by_day), str(out), keys=KEYS, values=VALUES, where=None)
        return time.perf_counter() - start, out

    outs = {name: run(name)[1] for name in jobs}  # (also warms the workers up)
    gold = [spark.read.parquet(str(outs[n])) for n in jobs]
    gold = [df.select(*sorted(df.columns)) for df in gold]
    reference, gold_rows = gold[0], gold[0].count()
    for name, df in zip(jobs[1:], gold[1:]):
        differ = reference.exceptAll(df).count() + df.exceptAll(reference).count()
        if differ or gold_rows == 0 or df.schema != reference.schema:
            sys.exit(f"{name}: its output differs from pure PySpark's ({differ} rows, schema "
                     f"{df.schema.simpleString()}) or is empty: no figures")
    # The floor: the same shuffle, Arrow round trip and write with a function that returns
    # its rows as they came (no fill): what Spark itself costs the applyInArrow job.
    from pyspark.sql import functions as F
    needed = silver.select("date", *KEYS, *VALUES)
    spark_jobs["floor (identity)"] = lambda: needed.groupBy(F.to_date("date")).applyInArrow(
        lambda t: t, needed.schema).withColumn("partition_date", F.to_date("date"))
    jobs.append("floor (identity)")
    times = {name: [] for name in jobs}
    for _ in range(a.reps):
        for name in jobs:
            times[name].append(run(name)[0])
    print(f"silver {rows:,} rows ({a.days} days x {a.keys} keys), gold {gold_rows:,} rows, "
          f"{spark.sparkContext.master}, {os.cpu_count()} cores, outputs equal")
    median = {name: statistics.median(times[name]) for name in jobs}
    for name in jobs:
        print(f"{name:20s} median {median[name]:7.2f} s  ({rows / median[name] / 1e6:5.2f} M silver "
              f"rows/s)  runs " + " ".join(f"{t:.2f}" for t in times[name]))
    print(f"Spark's own share of the applyInArrow job (shuffle, Arrow both ways, write): "
          f"{median['floor (identity)'] / median['tsfill applyInArrow']:.0%}")
    for name in ("tsfill applyInArrow", "tsfill day files"):
        print(f"{name} speedup vs pure PySpark: {median['pure PySpark'] / median[name]:.1f}x")
    best = min(median["tsfill applyInArrow"], median["tsfill day files"])
    print(f"tsfill in Spark speedup vs pure PySpark: {median['pure PySpark'] / best:.1f}x")
    spark.stop()


def write_by_day(silver, directory):
    """silver.parquet as the seed's silver table is laid out: DIR/day=YYYY-MM-DD/part-00000.parquet."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    table = pq.read_table(silver)
    day = pc.strftime(table.column("date"), "%Y-%m-%d")
    for d in pc.unique(day).to_pylist():
        (directory / f"day={d}").mkdir(parents=True)
        pq.write_table(table.filter(pc.equal(day, d)), directory / f"day={d}" / "part-00000.parquet",
                       compression="snappy")


if __name__ == "__main__":
    main()
