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


# --- silver laid out by day: gold_by_day_files -------------------------------------------

def write_silver_by_day(csv_path, directory, files_per_day=2):
    """The CSV silver rows as Parquet files under DIR/day=YYYY-MM-DD/, each day split across
    `files_per_day` files (NA as null, the time in milliseconds UTC)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    table = pacsv.read_csv(csv_path, convert_options=pacsv.ConvertOptions(null_values=["NA"]))
    table = table.set_column(0, "date", table.column("date").cast(pa.timestamp("ms", tz="UTC")))
    day = pc.strftime(table.column("date"), "%Y-%m-%d")
    for d in pc.unique(day).to_pylist():
        rows = table.filter(pc.equal(day, d))
        (directory / f"day={d}").mkdir(parents=True, exist_ok=True)
        step = -(-rows.num_rows // files_per_day)
        for i in range(files_per_day):
            pq.write_table(rows.slice(i * step, step), directory / f"day={d}" / f"part-{i:05d}.parquet")


def day_dirs(gold):
    """{partition directory: {file name: SHA-256 of its bytes}} of a gold table."""
    import hashlib

    def digest(path):
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()[:16]
    return {d: {f: digest(os.path.join(gold, d, f)) for f in sorted(os.listdir(os.path.join(gold, d)))}
            for d in sorted(os.listdir(gold)) if d.startswith("partition_date=")}


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_day_files_equal_the_pyspark_job(spark, tmp_path, seed):
    write_silver(tmp_path / "silver.csv", seed, days=4, rows=3000)
    by_day, gold = tmp_path / "silver-by-day", str(tmp_path / "gold")
    write_silver_by_day(tmp_path / "silver.csv", by_day, files_per_day=1 + seed % 3)
    done = gold_job.gold_by_day_files(spark, str(by_day), gold, tasks=1 + seed % 4)
    want = rows_of(gold_job.gold_with_pyspark(spark.read.parquet(str(by_day))))
    got_df = spark.read.parquet(gold)
    assert dict(got_df.dtypes)["slot_ts"] == "timestamp"  # (microseconds, UTC: what Spark reads)
    got = rows_of(got_df)
    assert len(got) == len(want) > 0
    assert got == want
    assert [d for d, _ in done] == ["2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07"]
    assert sum(n for _, n in done) == len(got)
    assert os.listdir(os.path.join(gold, "_tsfill_tmp")) == []  # (no scratch left behind)


def test_day_files_replace_only_the_days_named(spark, tmp_path):
    write_silver(tmp_path / "silver.csv", 14, days=3)
    by_day, gold = tmp_path / "silver-by-day", str(tmp_path / "gold")
    write_silver_by_day(tmp_path / "silver.csv", by_day)
    gold_job.gold_by_day_files(spark, str(by_day), gold)
    before = day_dirs(gold)
    # Late rows arrive for the 5th as a new file: only that day is recomputed and replaced.
    write_silver(tmp_path / "late.csv", 15, days=3)
    late = tmp_path / "late"
    write_silver_by_day(tmp_path / "late.csv", late, files_per_day=1)
    os.rename(late / "day=2024-03-05" / "part-00000.parquet", by_day / "day=2024-03-05" / "late.parquet")
    assert gold_job.gold_by_day_files(spark, str(by_day), gold, days=["2024-03-05"])[0][0] == "2024-03-05"
    after = day_dirs(gold)
    assert after.keys() == before.keys()
    for d in before:
        assert (after[d] == before[d]) == (d != "partition_date=2024-03-05"), d
    # The replaced day equals a run over everything from scratch.
    fresh = str(tmp_path / "fresh")
    gold_job.gold_by_day_files(spark, str(by_day), fresh)
    assert rows_of(spark.read.parquet(gold)) == rows_of(spark.read.parquet(fresh))


def test_day_files_errors_reach_the_driver_and_leave_the_gold_table(spark, tmp_path):
    write_silver(tmp_path / "silver.csv", 16, days=2, rows=200)
    by_day, gold = tmp_path / "silver-by-day", str(tmp_path / "gold")
    write_silver_by_day(tmp_path / "silver.csv", by_day)
    gold_job.gold_by_day_files(spark, str(by_day), gold)
    before = day_dirs(gold)
    with pytest.raises(Exception, match="--slot"):
        gold_job.gold_by_day_files(spark, str(by_day), gold, slot="7x")
    assert day_dirs(gold) == before
    # A row of another day in a day's directory: an error naming the directory and both days.
    os.rename(by_day / "day=2024-03-05" / "part-00000.parquet", by_day / "day=2024-03-04" / "moved.parquet")
    with pytest.raises(Exception, match=r"day=2024-03-04: holds rows of 2024-03-05 \(in UTC\), not only of 2024-03-04"):
        gold_job.gold_by_day_files(spark, str(by_day), gold, days=["2024-03-04"])
    assert day_dirs(gold) == before
    (tmp_path / "empty").mkdir()
    assert gold_job.gold_by_day_files(spark, str(tmp_path / "empty"), gold) == []
    with pytest.raises(FileNotFoundError):
        gold_job.gold_by_day_files(spark, str(tmp_path / "missing"), gold)


def test_day_files_killed_at_random_moments_leave_whole_days(spark, tmp_path):
    """kill -9 of the whole job (driver, JVM and Python workers: its process group) while
    it rewrites days it wrote before: every day is there, each the old file or the new one
    byte for byte; a re-run gives what one uninterrupted run gives."""
    import shutil
    import signal
    import subprocess
    import time
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
    import compare_e2e  # (its silver table: days of 2,000 keys, so a day's write takes a while)
    compare_e2e.generate(tmp_path / "old", 10, 2000, seed=21)
    compare_e2e.generate(tmp_path / "new", 10, 2000, seed=22)
    old_silver, new_silver = tmp_path / "old-by-day", tmp_path / "new-by-day"
    write_silver_by_day(tmp_path / "old" / "silver.csv", old_silver, files_per_day=1)
    write_silver_by_day(tmp_path / "new" / "silver.csv", new_silver, files_per_day=1)
    flags = dict(keys=["ticker", "tenor"], values=["v0", "v1", "v2", "v3"], where=None)
    job = [sys.executable, os.path.join(os.path.dirname(gold_job.__file__), "gold_job.py"), "--by-day",
           "--keys", "ticker,tenor", "--values", "v0,v1,v2,v3", "--where", "none"]

    def run(silver, gold, kill_after=None):
        """Runs the job in this session; with kill_after, as its own process, killed that
        many seconds after the first day it rewrites changes (a file renamed in or a hidden
        file written); True if it was still running then."""
        if kill_after is None:
            gold_job.gold_by_day_files(spark, str(silver), str(gold), **flags)
            return False
        p = subprocess.Popen(job + [str(silver), str(gold)], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        def look(d):
            f = os.stat(os.path.join(gold, d, "part-00000.parquet"))
            return f.st_ino, f.st_mtime_ns, f.st_size, len(os.listdir(os.path.join(gold, d)))
        first = {d: look(d) for d in os.listdir(gold) if d.startswith("partition_date=")}
        deadline = time.monotonic() + 300
        while p.poll() is None and time.monotonic() < deadline:
            changed = any(look(d) != seen for d, seen in first.items())
            if changed:
                time.sleep(kill_after)
                break
            time.sleep(0.002)
        killed = p.poll() is None
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        return killed

    old_gold, new_gold = tmp_path / "gold-old", tmp_path / "gold-new"
    run(old_silver, old_gold)
    run(new_silver, new_gold)
    old_days, new_days = day_dirs(old_gold), day_dirs(new_gold)
    assert old_days.keys() == new_days.keys() and len(old_days) == 10
    assert all(old_days[d] != new_days[d] for d in old_days)
    rng = random.Random(23)
    gold = tmp_path / "gold"
    outcomes, kills = [], 0
    for attempt, delay in enumerate(rng.sample([0.0, 0.02, 0.08, 0.2], 4)):
        shutil.rmtree(gold, ignore_errors=True)
        shutil.copytree(old_gold, gold)
        kills += run(new_silver, gold, kill_after=rng.uniform(0.5, 1.0) * delay)
        seen = day_dirs(gold)
        assert seen.keys() == old_days.keys(), attempt
        for d in seen:
            visible = {f: b for f, b in seen[d].items() if not f.startswith((".", "_"))}
            assert visible in (old_days[d], new_days[d]), (attempt, d)
            outcomes.append("new" if visible == new_days[d] else "old")
        run(new_silver, gold)
        assert {d: {f: b for f, b in files.items() if not f.startswith(".")}
                for d, files in day_dirs(gold).items()} == new_days, attempt
        assert not [f for d in day_dirs(gold).values() for f in d if f.startswith(".tsfill-")]
    assert kills >= 2, (kills, outcomes)  # (the kills landed while days were rewritten)


def test_day_files_streaming_recomputes_only_the_days_a_batch_touches(spark, tmp_path):
    import shutil
    silver, gold, checkpoint = tmp_path / "silver", str(tmp_path / "gold"), str(tmp_path / "ck")
    write_silver(tmp_path / "a.csv", 17, days=2)  # 2024-03-04 and -05
    write_silver_by_day(tmp_path / "a.csv", silver, files_per_day=1)
    schema = spark.read.parquet(str(silver / "day=2024-03-04")).schema
    gold_job.stream_gold_by_day_files(spark, str(silver), gold, checkpoint, schema=schema).awaitTermination()
    batch = str(tmp_path / "batch")
    gold_job.gold_by_day_files(spark, str(silver), batch)
    assert day_dirs(gold) == day_dirs(batch) and len(day_dirs(gold)) == 2
    day4 = day_dirs(gold)["partition_date=2024-03-04"]
    day4_file = os.path.join(gold, "partition_date=2024-03-04", "part-00000.parquet")
    day4_inode = os.stat(day4_file).st_ino
    # Late rows for the 5th and a new day, the 6th: those two recomputed from all their files.
    write_silver(tmp_path / "b.csv", 18, days=3)
    late = tmp_path / "late"
    write_silver_by_day(tmp_path / "b.csv", late, files_per_day=1)
    shutil.move(late / "day=2024-03-05" / "part-00000.parquet", silver / "day=2024-03-05" / "late.parquet")
    shutil.move(late / "day=2024-03-06", silver / "day=2024-03-06")
    gold_job.stream_gold_by_day_files(spark, str(silver), gold, checkpoint, schema=schema).awaitTermination()
    shutil.rmtree(batch)
    gold_job.gold_by_day_files(spark, str(silver), batch)
    assert day_dirs(gold) == day_dirs(batch) and len(day_dirs(gold)) == 3
    assert day_dirs(gold)["partition_date=2024-03-04"] == day4
    assert os.stat(day4_file).st_ino == day4_inode  # (not rewritten: the same file)
