"""The seed's gold job inside Apache Spark, two ways, on the same silver DataFrame:

  gold_with_tsfill   groupBy(tradingDate[, key bucket]).applyInArrow with tsfill.fill: the
                     C++ gap fill on every executor, per day (or per day and bucket of keys,
                     with the day's bounds computed natively first so the grid stays the
                     day's over all keys)
  gold_with_pyspark  the seed's pure-PySpark job (a sequence() grid per day, a left join and
                     last(..., ignorenulls=True) over a window): the reference

write_gold, a dynamic partition overwrite of the gold table by tradingDate (Parquet; on
Databricks, Delta's replaceWhere does the same: see docs/python.md), and stream_gold, the
seed's foreachBatch job: each micro-batch recomputes and replaces only the days it touches.

    python examples/spark/gold_job.py SILVER.csv GOLD_DIR [--buckets N] [--reference]

The executors need the tsfill module installed (pip install ./python, or a wheel on the
cluster's libraries); PYSPARK_PYTHON must name that Python.
"""
import argparse
import functools
import os
import sys

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

KEYS = ("ticker_tk", "days")
VALUES = ("volD10", "volD25", "volATM", "volU25", "volU40", "vWidth")


def _gold_schema(silver: DataFrame, keys, values, suffix="_bf") -> T.StructType:
    by_name = {f.name: f for f in silver.schema.fields}
    fields = [T.StructField("partition_date", T.DateType(), False)]
    fields += [T.StructField(k, by_name[k].dataType, False) for k in keys]
    fields.append(T.StructField("slot_ts", T.TimestampType(), False))
    fields += [T.StructField(v, T.DoubleType(), True) for v in values]
    fields += [T.StructField(v + suffix, T.DoubleType(), True) for v in values]
    return T.StructType(fields)


def _numbers(silver: DataFrame, values) -> DataFrame:
    # (spark.read.csv leaves a column with "NA" in it as strings; tsfill reads such text as
    # CSV does, the reference needs doubles.)
    return silver.select(*[F.col(c).try_cast("double").alias(c) if c in values else F.col(c)
                           for c in silver.columns])


def _fill_group(table, *, time, keys, values, slot, bounds):
    import tsfill  # (on the executor)
    grid = "partition"
    if bounds:  # a bucket of the day's keys: the day's own first and last slot
        lo, hi = table.column("_lo")[0].as_py(), table.column("_hi")[0].as_py()
        grid = f"range:{lo.isoformat()}/{hi.isoformat()}"
        table = table.drop_columns(["_lo", "_hi"])
    return tsfill.fill(table, time=time, keys=keys, values=list(values), slot=slot, grid=grid)


def gold_with_tsfill(silver: DataFrame, *, time="date", keys=KEYS, values=VALUES,
                     where=("tradingSession", "RegularMkt"), slot="30min",
                     buckets=None) -> DataFrame:
    """The gold table: per trading day, key and 30-minute slot, filled forward within the
    day. `buckets`: split each day into that many groups of keys (more parallelism for days
    with many keys); None: one group per day."""
    rows = silver.where(F.col(where[0]) == where[1]) if where else silver
    # Only the columns the job reads cross the shuffle and the JVM -> Python boundary (Spark
    # cannot prune the input of a Python function by itself).
    rows = rows.select(time, *keys, *values)
    schema = _gold_schema(silver, keys, values)
    if not buckets:
        fn = functools.partial(_fill_group, time=time, keys=list(keys), values=values,
                               slot=slot, bounds=False)
        return rows.groupBy(F.to_date(F.col(time))).applyInArrow(fn, schema)
    rows = rows.withColumn("_day", F.to_date(F.col(time)))
    # The day's bounds over all keys, natively: [first slot, last slot + one slot).
    seconds = int(_slot_seconds(slot))
    epoch = F.unix_seconds(F.col(time).cast("timestamp"))
    floor = (F.floor(epoch / seconds) * seconds)
    bounds = rows.groupBy("_day").agg(F.min(floor).alias("_lo"), (F.max(floor) + seconds).alias("_hi"))
    bounds = bounds.select("_day", F.timestamp_seconds("_lo").alias("_lo"),
                           F.timestamp_seconds("_hi").alias("_hi"))
    rows = rows.join(F.broadcast(bounds), "_day")
    bucket = F.pmod(F.xxhash64(*[F.col(k) for k in keys]), F.lit(buckets))
    fn = functools.partial(_fill_group, time=time, keys=list(keys), values=values, slot=slot,
                           bounds=True)
    return rows.drop("_day").groupBy(F.to_date(F.col(time)), bucket).applyInArrow(fn, schema)


def _slot_seconds(slot: str) -> float:
    units = {"s": 1, "min": 60, "h": 3600, "d": 86400}
    for unit in sorted(units, key=len, reverse=True):
        if slot.endswith(unit):
            return float(slot[: -len(unit)]) * units[unit]
    raise ValueError(f"slot: {slot!r} is not a duration the Spark bucket mode knows")


def gold_with_pyspark(silver: DataFrame, *, time="date", keys=KEYS, values=VALUES,
                      where=("tradingSession", "RegularMkt"), slot_seconds=1800) -> DataFrame:
    """The seed's job in plain PySpark (the reference): latest row per slot, the day's grid
    over all keys, left join, forward fill within the day."""
    keys, values = list(keys), list(values)
    rows = _numbers(silver, values)
    rows = rows.where(F.col(where[0]) == where[1]) if where else rows
    ts = F.col(time).cast("timestamp")
    rows = (rows.withColumn("_ts", ts)
                .withColumn("partition_date", F.to_date("_ts"))
                .withColumn("_slot", F.floor(F.unix_micros("_ts") / (slot_seconds * 1_000_000)))
                .withColumn("_order", F.monotonically_increasing_id()))
    latest = Window.partitionBy("partition_date", *keys, "_slot").orderBy(F.desc("_ts"), F.desc("_order"))
    obs = rows.withColumn("_rank", F.row_number().over(latest)).where("_rank = 1")
    bounds = obs.groupBy("partition_date").agg(F.min("_slot").alias("_lo"), F.max("_slot").alias("_hi"))
    grid = bounds.select("partition_date", F.explode(F.sequence("_lo", "_hi")).alias("_slot"))
    day_keys = obs.select("partition_date", *keys).distinct()
    cells = grid.join(day_keys, "partition_date").join(
        obs.select("partition_date", *keys, "_slot", *values), ["partition_date", *keys, "_slot"], "left")
    upto = (Window.partitionBy("partition_date", *keys).orderBy("_slot")
            .rowsBetween(Window.unboundedPreceding, Window.currentRow))
    return cells.select(
        "partition_date", *keys,
        F.timestamp_micros(F.col("_slot") * (slot_seconds * 1_000_000)).alias("slot_ts"),
        *values, *[F.last(v, ignorenulls=True).over(upto).alias(v + "_bf") for v in values])


def write_gold(gold: DataFrame, path: str) -> None:
    """Replaces the days in `gold` under `path` (Parquet, partitioned by day), nothing else."""
    (gold.write.mode("overwrite").option("partitionOverwriteMode", "dynamic")
         .partitionBy("partition_date").parquet(path))


def stream_gold(spark: SparkSession, silver_dir: str, gold_dir: str, checkpoint: str, *,
                schema, time="date", **job):
    """The seed's streaming job: new CSV files in `silver_dir` arrive as micro-batches; each
    batch recomputes only the days it touches, from every silver row of those days (old
    files and new: a late row changes its whole day's grid), and replaces those days of the
    gold table. Runs what is there, then stops (availableNow); returns the query.
    (In production the silver table is partitioned by day, so the re-read prunes to them.)"""
    def per_batch(batch: DataFrame, batch_id: int) -> None:
        days = [r[0] for r in batch.select(F.to_date(F.col(time))).distinct().collect()]
        if not days:
            return
        rows = (spark.read.schema(schema).option("header", True).csv(silver_dir)
                .where(F.to_date(F.col(time)).isin(days)))
        write_gold(gold_with_tsfill(rows, time=time, **job), gold_dir)

    return (spark.readStream.schema(schema).option("header", True).csv(silver_dir)
            .writeStream.foreachBatch(per_batch).option("checkpointLocation", checkpoint)
            .trigger(availableNow=True).start())


def spark_session(app="tsfill-gold") -> SparkSession:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]")).appName(app)
            .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.showConsoleProgress", "false")
            # (fewer, larger Arrow batches to and from Python: less per-batch overhead)
            .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000").getOrCreate())
    session.sparkContext.addPyFile(os.path.abspath(__file__))  # (the workers import it)
    return session


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("silver")
    p.add_argument("gold")
    p.add_argument("--buckets", type=int, default=None)
    p.add_argument("--reference", action="store_true", help="run the pure-PySpark job instead")
    a = p.parse_args(argv)
    spark = spark_session()
    silver = spark.read.csv(a.silver, header=True, inferSchema=True)
    gold = gold_with_pyspark(silver) if a.reference else gold_with_tsfill(silver, buckets=a.buckets)
    write_gold(gold, a.gold)
    print(f"{a.gold}: {spark.read.parquet(a.gold).count()} rows")


if __name__ == "__main__":
    main()
