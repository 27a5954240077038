"""The seed's gold job inside Apache Spark, two ways, on the same silver DataFrame:

  gold_with_tsfill   groupBy(tradingDate[, key bucket]).applyInArrow with tsfill.fill: the
                     C++ gap fill on every executor, per day (or per day and bucket of keys,
                     with the day's bounds computed natively first so the grid stays the
                     day's over all keys)
  gold_with_pyspark  the seed's pure-PySpark job (a sequence() grid per day, a left join and
                     last(..., ignorenulls=True) over a window): the reference
  gold_by_day_files  a silver table laid out by day (SILVER/day=YYYY-MM-DD/*.parquet): no
                     shuffle, each Spark task reads, fills and writes its own days (12x the
                     reference in bench/spark_bench.py, against 2.2x for applyInArrow);
                     stream_gold_by_day_files, its foreachBatch form

write_gold, a dynamic partition overwrite of the gold table by tradingDate (Parquet; on
Databricks, Delta's replaceWhere does the same: see docs/python.md), and stream_gold, the
seed's foreachBatch job: each micro-batch recomputes and replaces only the days it touches.

    python examples/spark/gold_job.py SILVER.csv GOLD_DIR [--buckets N] [--reference]
    python examples/spark/gold_job.py --by-day SILVER_DIR GOLD_DIR [--days DAY,...]

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


# --- silver laid out by day: no shuffle, each task reads and writes its own days ----------

def silver_days(silver_dir: str, *, column: str = "day") -> list:
    """The days of a silver table laid out by day (SILVER/<column>=YYYY-MM-DD/*.parquet),
    sorted: the driver lists directories, it reads no data."""
    import pyarrow.fs as pafs
    fs, root = pafs.FileSystem.from_uri(_uri(silver_dir))
    prefix = column + "="
    return sorted(info.base_name[len(prefix):] for info in fs.get_file_info(pafs.FileSelector(root))
                  if info.type == pafs.FileType.Directory and info.base_name.startswith(prefix))


def gold_by_day_files(spark: SparkSession, silver_dir: str, gold_dir: str, *, days=None,
                      day_column="day", time="date", keys=KEYS, values=VALUES,
                      where=("tradingSession", "RegularMkt"), slot="30min", tasks=None) -> list:
    """The gold job when the silver table is already laid out by day
    (SILVER/<day_column>=YYYY-MM-DD/*.parquet, as the seed's silver table is): Spark
    schedules the days and nothing else. Each task reads its days' files with pyarrow (only
    the columns the job needs), fills each day with tsfill.fill and writes it as
    GOLD/partition_date=DAY/part-00000.parquet, replacing that day whole (the dynamic
    partition overwrite of write_gold, one day at a time: see _replace_day); days without
    gold rows are left as they are, as write_gold leaves them. No shuffle, no JVM row conversion, no Spark
    Parquet reader or writer: see docs/performance.md#inside-spark for what that saves.

    `days`: the days to recompute (default: every day the silver table has), e.g. the days
    a micro-batch touched. `tasks`: how many Spark tasks share the days (default: two per
    core, at most one per day). Paths may be any URI pyarrow.fs opens (file://, s3://,
    gs://, hdfs://) that every executor can reach. Returns [(day, gold rows)], sorted."""
    days = silver_days(silver_dir, column=day_column) if days is None else sorted(map(str, days))
    if not days:
        return []
    tasks = tasks or min(len(days), 2 * spark.sparkContext.defaultParallelism)
    job = dict(silver=_uri(silver_dir), gold=_uri(gold_dir), days=days, day_column=day_column,
               time=time, keys=list(keys), values=list(values), where=where, slot=slot)
    done = (spark.range(0, len(days), 1, tasks)  # (task i gets a contiguous run of day numbers)
            .mapInArrow(functools.partial(_fill_day_files, **job), "day string, rows long"))
    return sorted((r.day, r.rows) for r in done.collect())


def _fill_day_files(batches, *, silver, gold, days, day_column, time, keys, values, where, slot):
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq
    import tsfill  # (on the executor)
    silver_fs, silver_root = pafs.FileSystem.from_uri(silver)
    gold_fs, gold_root = pafs.FileSystem.from_uri(gold)
    for batch in batches:
        done = []
        for number in batch.column("id").to_pylist():
            day = days[number]
            columns = [time, *keys, *values] + ([where[0]] if where else [])
            rows = pq.read_table(f"{silver_root}/{day_column}={day}", columns=columns,
                                 filesystem=silver_fs)
            if where:  # (as Spark's col == value: the value cast to the column's type)
                column = rows.column(where[0])
                wanted = pa.scalar(where[1])
                if wanted.type != column.type:
                    wanted = wanted.cast(column.type)
                rows = rows.filter(pc.equal(column, wanted)).drop_columns([where[0]])
            out = pa.table(tsfill.fill(rows, time=time, keys=keys, values=values, slot=slot))
            _check_layout(out.column("partition_date"), day, f"{silver}/{day_column}={day}")
            out = out.drop_columns(["partition_date"])
            if out.num_rows:
                _replace_day(gold_fs, gold_root, day, out)
            done.append((day, out.num_rows))
        yield pa.RecordBatch.from_pydict({"day": [d for d, _ in done], "rows": [n for _, n in done]},
                                         schema=pa.schema([("day", pa.string()), ("rows", pa.int64())]))


def stream_gold_by_day_files(spark: SparkSession, silver_dir: str, gold_dir: str, checkpoint: str,
                             *, schema, day_column="day", **job):
    """stream_gold for a silver table laid out by day: new Parquet files under
    SILVER/<day_column>=DAY/ arrive as micro-batches; each batch names the days it touches
    (the directories' days, read from the paths: only the distinct days reach the driver)
    and gold_by_day_files recomputes those days from all their files and replaces them.
    `schema`: the silver files' columns (a streaming file source needs it). Runs what is
    there, then stops (availableNow); returns the query."""
    def per_batch(batch: DataFrame, batch_id: int) -> None:
        days = sorted({str(r[0]) for r in batch.select(day_column).distinct().collect()})
        if days:
            gold_by_day_files(spark, silver_dir, gold_dir, days=days, day_column=day_column, **job)

    schema = T.StructType([f for f in schema.fields if f.name != day_column] +
                          [T.StructField(day_column, T.StringType())])
    return (spark.readStream.schema(schema).parquet(silver_dir)
            .writeStream.foreachBatch(per_batch).option("checkpointLocation", checkpoint)
            .trigger(availableNow=True).start())


def _check_layout(partition_dates, day, where):
    """The job trusts the layout (each day's rows in its own directory): a row of another
    day there would make two gold directories disagree, so it is an error naming both."""
    import pyarrow.compute as pc
    if len(partition_dates) == 0:
        return
    bounds = pc.min_max(partition_dates)
    low, high = (str(bounds[k].as_py()) for k in ("min", "max"))
    if low != day or high != day:
        other = low if low != day else high
        raise ValueError(f"{where}: holds rows of {other} (in UTC), not only of {day}: "
                         "gold_by_day_files needs each day's rows in that day's directory; "
                         "use gold_with_tsfill for a silver table laid out otherwise")


GOLD_FILE = "part-00000.parquet"  # (the one file of a day gold_by_day_files writes)


def _replace_day(fs, root, day, table):
    """GOLD/partition_date=DAY now holds `table` as GOLD_FILE and nothing else.

    A day this job wrote before (GOLD_FILE alone) gets the new file written beside it under
    a hidden name (Spark's and pyarrow's readers skip names starting with . or _) and
    renamed over it: on a POSIX filesystem readers see the old day or the new one, whole,
    and a killed task leaves the old day and a hidden file that the next run sweeps.
    A new day, or one holding other files (Spark's write_gold names its own), is written
    under GOLD/_tsfill_tmp and moved in, the old directory moved aside first: between the
    two moves readers see no day, as with Spark's own dynamic overwrite, and a task killed
    there leaves the old day under _tsfill_tmp until a re-run writes the day again."""
    import uuid
    import pyarrow.fs as pafs
    target = f"{root}/partition_date={day}"
    if fs.get_file_info(target).type == pafs.FileType.Directory:
        names = [f.base_name for f in fs.get_file_info(pafs.FileSelector(target))]
        if [n for n in names if not n.startswith((".", "_"))] == [GOLD_FILE]:
            for stale in (n for n in names if n.startswith(".tsfill-")):
                fs.delete_file(f"{target}/{stale}")
            hidden = f"{target}/.tsfill-{uuid.uuid4().hex}.parquet"
            _write_gold_file(fs, hidden, table)
            fs.move(hidden, f"{target}/{GOLD_FILE}")
            return
    scratch = f"{root}/_tsfill_tmp/{uuid.uuid4().hex}"
    fs.create_dir(f"{scratch}/new")
    _write_gold_file(fs, f"{scratch}/new/{GOLD_FILE}", table)
    if fs.get_file_info(target).type != pafs.FileType.NotFound:
        fs.move(target, f"{scratch}/old")
    fs.move(f"{scratch}/new", target)
    fs.delete_dir(scratch)


def _write_gold_file(fs, path, table):
    import pyarrow.parquet as pq
    # (Spark's timestamps are microseconds: nanoseconds would be unreadable to it, and a
    # time that would lose digits is an error, not a rounded value.)
    pq.write_table(table, path, filesystem=fs, compression="snappy", coerce_timestamps="us")


def _uri(path: str) -> str:
    return path if "://" in path else "file://" + os.path.abspath(path)


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
    p.add_argument("--by-day", action="store_true",
                   help="SILVER is a directory of day=YYYY-MM-DD/*.parquet: gold_by_day_files")
    p.add_argument("--days", default=None, help="with --by-day: only these days (comma-separated)")
    p.add_argument("--keys", default=",".join(KEYS), help="key columns (default: %(default)s)")
    p.add_argument("--values", default=",".join(VALUES), help="value columns (default: %(default)s)")
    p.add_argument("--where", default="tradingSession=RegularMkt",
                   help="COLUMN=VALUE rows to keep, or none (default: %(default)s)")
    a = p.parse_args(argv)
    job = dict(keys=a.keys.split(","), values=a.values.split(","),
               where=None if a.where == "none" else tuple(a.where.split("=", 1)))
    spark = spark_session()
    if a.by_day:
        done = gold_by_day_files(spark, a.silver, a.gold, days=a.days.split(",") if a.days else None, **job)
        print(f"{a.gold}: days replaced: {len(done)}, rows: {sum(n for _, n in done)}")
        return
    silver = spark.read.csv(a.silver, header=True, inferSchema=True)
    gold = gold_with_pyspark(silver, **job) if a.reference else gold_with_tsfill(silver, buckets=a.buckets, **job)
    write_gold(gold, a.gold)
    print(f"{a.gold}: {spark.read.parquet(a.gold).count()} rows")


if __name__ == "__main__":
    main()
