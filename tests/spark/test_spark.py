"""tsfill inside Spark (local[2]) against the seed's pure-PySpark job on generated silver
data read by spark.read.csv: identical rows, values and nulls; by day, by day and bucket of
keys; and the gold table written with a dynamic partition overwrite."""
import math
import os
import random
import sys

import pytest

if os.environ.get("TSFILL_REQUIRE_SPARK") != "1":
    pytest.importorskip("pyspark", reason="pyspark is not installed (scripts/setup.sh --spark)")
    pytest.importorskip("tsfill", reason="the module is not installed (scripts/build_python.sh)")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "spark"))
import gold_job  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    session = gold_job.spark_session("tsfill-tests")
    yield session
    session.stop()


def write_silver(path, seed, days=3, rows=1500):
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write("date,ticker_tk,days,tradingSession,volD10,volD25,volATM,volU25,volU40,vWidth\n")
        for _ in range(rows):
            day = rng.randrange(days)
            second = rng.randrange(7 * 3600, 21 * 3600)
            ts = f"2024-03-{4 + day:02d}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.{rng.randrange(1000):03d}Z"
            vals = ["NA" if rng.random() < 0.15 else f"{rng.uniform(0, 1):.6f}" for _ in range(6)]
            f.write(",".join([ts, rng.choice(["AAPL", "MSFT", "SPY", "QQQ"]), str(rng.choice([30, 90])),
                              rng.choice(["RegularMkt", "RegularMkt", "PreMkt"])] + vals) + "\n")


def rows_of(df):
    out = []
    for r in df.collect():
        d = r.asDict()
        out.append(tuple((k, None if isinstance(v, float) and math.isnan(v) else v) for k, v in sorted(d.items())))
    return sorted(out, key=repr)


@pytest.mark.parametrize("seed,buckets", [(1, None), (2, None), (3, 3), (4, 2)])
def test_tsfill_in_spark_equals_the_pyspark_job(spark, tmp_path, seed, buckets):
    path = tmp_path / "silver.csv"
    write_silver(path, seed)
    silver = spark.read.csv(str(path), header=True, inferSchema=True)
    want = rows_of(gold_job.gold_with_pyspark(silver))
    got = rows_of(gold_job.gold_with_tsfill(silver, buckets=buckets))
    assert len(got) == len(want) > 0
    assert got == want


def test_gold_written_by_day_replaces_only_the_days_it_has(spark, tmp_path):
    path, gold = tmp_path / "silver.csv", str(tmp_path / "gold")
    write_silver(path, 5, days=3)
    silver = spark.read.csv(str(path), header=True, inferSchema=True)
    gold_job.write_gold(gold_job.gold_with_tsfill(silver), gold)
    first = rows_of(spark.read.parquet(gold))
    # New rows for one day only: that day is recomputed and replaced, the others stay.
    write_silver(path, 6, days=1)
    late = spark.read.csv(str(path), header=True, inferSchema=True)
    gold_job.write_gold(gold_job.gold_with_tsfill(late), gold)
    days = sorted(os.listdir(gold))
    assert [d for d in days if d.startswith("partition_date=")] == [
        "partition_date=2024-03-04", "partition_date=2024-03-05", "partition_date=2024-03-06"]
    after = rows_of(spark.read.parquet(gold))
    kept = [r for r in first if dict(r)["partition_date"].day != 4]
    assert [r for r in after if dict(r)["partition_date"].day != 4] == kept
    assert [r for r in after if dict(r)["partition_date"].day == 4] == \
        rows_of(gold_job.gold_with_tsfill(late))


def test_errors_reach_the_driver_as_the_command_lines_message(spark, tmp_path):
    path = tmp_path / "silver.csv"
    write_silver(path, 7, days=1, rows=50)
    silver = spark.read.csv(str(path), header=True, inferSchema=True)
    with pytest.raises(Exception, match="--slot"):
        gold_job.gold_with_tsfill(silver, slot="7x").collect()


def test_streaming_recomputes_only_the_days_a_batch_touches(spark, tmp_path):
    silver_dir, gold, checkpoint = tmp_path / "silver", str(tmp_path / "gold"), str(tmp_path / "ck")
    silver_dir.mkdir()
    write_silver(silver_dir / "a.csv", 8, days=2)  # 2024-03-04 and -05
    schema = spark.read.csv(str(silver_dir / "a.csv"), header=True, inferSchema=True).schema

    def batch_job():
        rows = spark.read.schema(schema).option("header", True).csv(str(silver_dir))
        return rows_of(gold_job.gold_with_tsfill(rows))

    gold_job.stream_gold(spark, str(silver_dir), gold, checkpoint, schema=schema).awaitTermination()
    assert rows_of(spark.read.parquet(gold)) == batch_job()
    day4 = sorted(os.listdir(os.path.join(gold, "partition_date=2024-03-04")))
    # Late rows for the 5th and new rows for the 6th: those two days recomputed from all files.
    late = tmp_path / "late.csv"
    write_silver(late, 9, days=3)
    with open(late) as f:
        header, *lines = f.read().splitlines()
    with open(silver_dir / "b.csv", "w") as f:
        f.write("\n".join([header] + [l for l in lines if not l.startswith("2024-03-04")]) + "\n")
    gold_job.stream_gold(spark, str(silver_dir), gold, checkpoint, schema=schema).awaitTermination()
    assert rows_of(spark.read.parquet(gold)) == batch_job()
    assert sorted(os.listdir(os.path.join(gold, "partition_date=2024-03-04"))) == day4  # untouched
