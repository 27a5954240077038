"""Output forms: partitioned directories, Parquet written by tsfill and read by pyarrow (and
the other way round), --stats, and plots."""
import datetime as dt
import os
import random
import struct
import subprocess

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import oracle
from conftest import ROOT, assert_same_table, read_output
from make_silver import make_silver, write_csv

SAMPLE = ROOT / "examples" / "data" / "silver_sample.csv"
WEATHER = ROOT / "examples" / "data" / "nycflights13-weather.csv"
REFERENCE_FLAGS = ["--keys", "ticker_tk,days", "--values", "vol*,vWidth", "--where", "tradingSession=RegularMkt"]


def test_partitioned_csv_directory(tsfill, tmp_path):
    single, parts = tmp_path / "gold.csv", tmp_path / "gold"
    tsfill("fill", SAMPLE, "--output", single, *REFERENCE_FLAGS)
    tsfill("fill", SAMPLE, "--output", parts, *REFERENCE_FLAGS, "--format", "csv")
    days = sorted(os.listdir(parts))
    assert days == ["partition_date=2024-03-04", "partition_date=2024-03-05", "partition_date=2024-03-06"]
    header, rows = read_output(single)
    joined = []
    for d in days:
        assert os.listdir(parts / d) == ["part-0.csv"]
        h, r = read_output(parts / d / "part-0.csv")
        assert h == header[1:]  # the partition is in the directory name (Hive convention)
        joined += [[d.split("=")[1]] + x for x in r]
    assert joined == rows


@pytest.mark.parametrize("extra", [[], ["--tz", "America/New_York"], ["--dedup", "mean", "--fill", "linear"]])
def test_threads_do_not_change_the_output(tsfill, tmp_path, extra):
    # Shuffled rows, so the parallel reorder runs too.
    rows = make_silver(days=4, seed=11)
    random.Random(5).shuffle(rows)
    src = tmp_path / "silver.csv"
    write_csv(src, rows)
    outs = []
    for threads in ("1", "2", "0"):
        out = tmp_path / f"gold-{threads}.csv"
        tsfill("fill", src, "--output", out, *REFERENCE_FLAGS, *extra, "--threads", threads)
        outs.append(out.read_bytes())
    assert len(outs[0]) > 1000
    assert outs[1] == outs[0] and outs[2] == outs[0]


def test_partitioned_parquet_directory_reads_as_a_hive_dataset(tsfill, tmp_path):
    parts = tmp_path / "gold"
    tsfill("fill", SAMPLE, "--output", parts, *REFERENCE_FLAGS, "--format", "parquet", "--partition-name", "day")
    assert sorted(os.listdir(parts))[0] == "day=2024-03-04"
    t = pq.read_table(parts / "day=2024-03-05" / "part-0.parquet", partitioning=None)
    assert t.column_names[:3] == ["ticker_tk", "days", "slot_ts"]
    assert t.schema.field("slot_ts").type == pa.timestamp("ns", tz="UTC")
    assert t.schema.field("ticker_tk").type == pa.string()
    assert t.schema.field("days").type == pa.int64()
    # As a hive-partitioned dataset, the directory is the whole table.
    tsfill("fill", SAMPLE, "--output", tmp_path / "gold.csv", *REFERENCE_FLAGS)
    _, rows = read_output(tmp_path / "gold.csv")
    day = ds.partitioning(pa.schema([("day", pa.date32())]), flavor="hive")
    whole = ds.dataset(parts, format="parquet", partitioning=day).to_table()
    assert whole.num_rows == len(rows)
    assert sorted(set(whole.column("day").to_pylist())) == [dt.date(2024, 3, d) for d in (4, 5, 6)]


def test_parquet_round_trip_matches_csv(tsfill, tmp_path):
    csv_out, pq_out = tmp_path / "gold.csv", tmp_path / "gold.parquet"
    tsfill("fill", SAMPLE, "--output", csv_out, *REFERENCE_FLAGS)
    tsfill("fill", SAMPLE, "--output", pq_out, *REFERENCE_FLAGS)
    header, rows = read_output(csv_out)
    t = pq.read_table(pq_out)
    assert t.column_names == header
    assert t.num_rows == len(rows)
    for name_i, name in enumerate(header):
        col = t.column(name).to_pylist()
        for r, v in zip(rows, col):
            text = r[name_i]
            if name == "partition_date":
                assert v.isoformat() == text
            elif name == "slot_ts":
                assert v.strftime("%Y-%m-%d %H:%M:%S") == text
            elif v is None:
                assert text == ""
            elif isinstance(v, float):
                assert float(text) == v
            else:
                assert str(v) == text


def test_parquet_written_by_pyarrow_is_read_by_tsfill(tsfill, tmp_path):
    # Every supported input type: tz-aware microsecond timestamps, dictionary-encoded and
    # int32 keys, float32, float64 and int64 values with nulls.
    rows = make_silver(seed=11, tickers=("AA", "BB", "CC"), tenors=(7, 30), days=2, null_rate=0.2)
    csv_in = tmp_path / "silver.csv"
    write_csv(csv_in, rows)

    def num(s):
        return None if s in ("", "NA") else float(s)
    times = [dt.datetime.fromisoformat(r[0].replace("Z", "+00:00")) for r in rows]
    table = pa.table({
        "date": pa.array(times, pa.timestamp("us", tz="UTC")),
        "ticker_tk": pa.array([r[1] for r in rows]).dictionary_encode(),
        "days": pa.array([int(r[2]) for r in rows], pa.int32()),
        "tradingSession": pa.array([r[3] for r in rows]),
        "volATM": pa.array([num(r[6]) for r in rows], pa.float64()),
        "volD10": pa.array([num(r[4]) for r in rows], pa.float32()),
        "vWidth": pa.array([None if num(r[9]) is None else round(num(r[9]) * 1e6) for r in rows], pa.int64()),
    })
    pq_in = tmp_path / "silver.parquet"
    pq.write_table(table, pq_in)
    out = tmp_path / "gold.parquet"
    tsfill("fill", pq_in, "--output", out, "--keys", "ticker_tk,days", "--where", "tradingSession=RegularMkt",
           "--fill", "linear")
    got = pq.read_table(out)
    assert got.schema.field("volD10").type == pa.float32()
    assert got.schema.field("vWidth_bf").type == pa.int64()
    # The float64 column agrees with the oracle run on the same data as CSV.
    names, want = oracle.run([csv_in], keys=("ticker_tk", "days"), values=("volATM",), fill="linear",
                             where=[("tradingSession", "RegularMkt")])
    filled = got.column("volATM_bf").to_pylist()
    assert len(filled) == len(want)
    for w, g in zip(want, filled):
        assert (w[-1] is None and g is None) or abs(w[-1] - g) <= 1e-12 * max(1, abs(w[-1]))
    # int64 linear interpolation rounds to whole numbers (half away from zero).
    assert all(isinstance(v, int) for v in got.column("vWidth_bf").to_pylist() if v is not None)


def test_parquet_time_as_date_and_iso_strings(tsfill, tmp_path):
    table = pa.table({"d": pa.array([dt.date(2024, 1, 1), dt.date(2024, 1, 3)], pa.date32()),
                      "s": pa.array(["2024-01-01T05:00:00+05:00", "2024-01-03T00:00:00Z"]),
                      "v": pa.array([1.0, 3.0])})
    src = tmp_path / "in.parquet"
    pq.write_table(table, src)
    for col in ("d", "s"):
        out = tmp_path / f"out_{col}.csv"
        tsfill("fill", src, "--output", out, "--time", col, "--slot", "1d", "--partition", "none",
               "--values", "v", "--fill", "linear")
        _, rows = read_output(out)
        assert [r[0] for r in rows] == ["2024-01-01 00:00:00", "2024-01-02 00:00:00", "2024-01-03 00:00:00"]
        assert [r[2] for r in rows] == ["1", "2", "3"]


def test_parquet_errors_name_the_row(tsfill, tmp_path):
    table = pa.table({"date": pa.array([dt.datetime(2024, 1, 1), None], pa.timestamp("s")), "v": [1.0, 2.0]})
    src = tmp_path / "in.parquet"
    pq.write_table(table, src)
    p = tsfill("fill", src, "--output", tmp_path / "o.csv", check=False)
    assert p.returncode == 2
    assert "in.parquet, row 2, column 'date': cannot read the time: the time is null" in p.stderr
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("threads", ["1", "0"])
def test_parquet_errors_come_in_column_order_whatever_the_threads(tsfill, tmp_path, threads):
    # Key and value columns are converted on several threads: the error reported is still the
    # one a pass column by column meets first (the first key's, though the second key and a
    # value column fail at earlier rows).
    n = 12
    table = pa.table({
        "date": pa.array([dt.datetime(2024, 1, 1, 0, i) for i in range(n)], pa.timestamp("s")),
        "a": pa.array(["x"] * 9 + [None] + ["x"] * 2),
        "b": pa.array([1, None] + [1] * (n - 2), pa.int64()),
        "v": pa.array([2**63 + 5] + [1] * (n - 1), pa.uint64()),
    })
    src = tmp_path / "in.parquet"
    pq.write_table(table, src)
    p = tsfill("fill", src, "--output", tmp_path / "o.csv", "--keys", "a,b", "--threads", threads, check=False)
    assert p.returncode == 2
    assert "in.parquet, row 10, column 'a': a key is null" in p.stderr, p.stderr
    p = tsfill("fill", src, "--output", tmp_path / "o.csv", "--keys", "b", "--values", "v", "--threads", threads,
               check=False)
    assert "in.parquet, row 2, column 'b': a key is null" in p.stderr, p.stderr
    assert not (tmp_path / "o.csv").exists()


def test_stats_summary(tsfill, tmp_path):
    p = tsfill("fill", SAMPLE, "--output", tmp_path / "g.csv", *REFERENCE_FLAGS, "--stats")
    for label in ("rows read", "rows filtered out (--where)", "duplicate rows dropped", "partitions", "keys",
                  "grid cells (output rows)", "cells filled forward", "cells still missing", "seconds: read"):
        assert label in p.stderr, label
    lines = {l.split("  ")[1].strip(): l.split()[-1] for l in p.stderr.splitlines() if l.startswith("  ") and
             l.split()[-1].replace(",", "").isdigit()}
    assert lines["rows read"] == "1,168"


@pytest.mark.parametrize("ext,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_plot(tsfill, tmp_path, ext, magic):
    out = tmp_path / ("plot" + ext)
    tsfill("plot", WEATHER, "--output", out, "--keys", "origin", "--time", "time_hour", "--slot", "1h",
           "--key", "origin=JFK", "--value", "pressure", "--from", "2013-01-01T00:00Z", "--to",
           "2013-01-03T00:00Z", "--fill", "linear", "--limit", "3")
    assert out.read_bytes().startswith(magic)
    assert os.path.getsize(out) > 5000
    p = tsfill("plot", WEATHER, "--output", tmp_path / "x.png", "--keys", "origin", "--time", "time_hour",
               "--key", "origin=XYZ", check=False)
    assert p.returncode == 2 and "--key: no rows for this key" in p.stderr


def test_progress_line_only_on_a_terminal(tsfill, tmp_path):
    import shutil
    import subprocess
    rows = make_silver(seed=2, tickers=tuple("T%02d" % i for i in range(40)), tenors=(7, 30, 90), days=10)
    src = tmp_path / "big.csv"
    write_csv(src, rows)
    assert len(rows) > 70000  # progress is checked every 65,536 rows
    exe = os.environ.get("TSFILL_BIN")
    cmd = f"{exe} fill {src} --output {tmp_path / 'o.csv'} --keys ticker_tk,days"
    env = dict(os.environ, TSFILL_PROGRESS_INTERVAL_MS="0")
    # Through a pseudo-terminal (script(1)): a progress line with rows/s and an ETA.
    p = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True, text=True, env=env,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout
    assert "reading " in p.stdout and "rows/s" in p.stdout and "ETA" in p.stdout, p.stdout
    # Not a terminal: no progress line (only the note naming the text columns left out).
    q = subprocess.run(cmd.split() + ["--overwrite"], capture_output=True, text=True, env=env)
    assert q.returncode == 0 and "reading" not in q.stderr
    assert q.stderr.startswith("tsfill: note: not value columns (not numeric): 'tradingSession'")
    assert len(q.stderr.splitlines()) == 1


@pytest.mark.parametrize("seed", range(12))
def test_parquet_input_equals_the_same_rows_as_csv(tsfill, tmp_path, seed):
    # Double columns are copied chunk by chunk when every row is kept (row groups of a few
    # rows, so many chunks, nulls at every bit offset); only the columns a run needs are
    # decoded (a text column and an unused one beside them); text keys are read as
    # dictionaries (whether the file stored them so or not) and integer keys in a narrow range
    # coded by value, wide ones row by row. Whatever the path, the output equals that of the
    # same rows read from CSV, byte for byte.
    rng = random.Random(seed)
    n = rng.randint(1, 400)
    ints = [3, 30, 90] if seed % 2 else [-5, 0, 70_000, 2**40]
    t0 = dt.datetime(2024, 3, 4, tzinfo=dt.timezone.utc)
    times = sorted(t0 + dt.timedelta(seconds=rng.randint(0, 3 * 86400)) for _ in range(n))
    keys = [rng.choice(["AA", "BB", "C,C"]) for _ in range(n)]
    cols = {f"v{k}": [None if rng.random() < 0.2 else rng.uniform(-1e3, 1e3) for _ in range(n)]
            for k in range(3)}
    numbers = [rng.choice(ints) for _ in range(n)]
    table = pa.table({"date": pa.array(times, pa.timestamp("ms", tz="UTC")), "k": keys,
                      **{c: pa.array(v, pa.float64()) for c, v in cols.items()},
                      "note": ["x"] * n, "unused": pa.array(range(n), pa.int64()),
                      "n": pa.array(numbers, pa.int64())})
    pq_in = tmp_path / "in.parquet"
    pq.write_table(table, pq_in, row_group_size=rng.randint(1, 50), use_dictionary=seed % 3 != 0)
    csv_in = tmp_path / "in.csv"
    with open(csv_in, "w") as f:
        f.write("date,k,v0,v1,v2,note,unused,n\n")
        for i in range(n):
            cells = ["" if cols[c][i] is None else repr(cols[c][i]) for c in ("v0", "v1", "v2")]
            key = f'"{keys[i]}"' if "," in keys[i] else keys[i]
            f.write(f"{times[i].strftime('%Y-%m-%dT%H:%M:%S.000Z')},{key},{','.join(cells)},x,{i},{numbers[i]}\n")
    for keys_flag, extra in (("k", []), ("k", ["--where", "k!=BB"]), ("k", ["--values", "v*", "--threads", "1"]),
                             ("n,k", ["--values", "v*"]), ("n", ["--values", "v0", "--where", "k!=AA"])):
        outs = []
        for src in (csv_in, pq_in):
            out = tmp_path / f"out-{src.suffix[1:]}.csv"
            tsfill("fill", src, "--output", out, "--keys", keys_flag, "--overwrite", *extra)
            outs.append(out.read_bytes())
        assert outs[0] == outs[1], f"seed {seed}, {keys_flag}, {extra}"


def test_arrow_memory_pool_changes_no_byte_and_prints_nothing(tmp_path):
    # tsfill asks Arrow for the system allocator (malloc, told to keep freed memory) unless
    # ARROW_DEFAULT_MEMORY_POOL names a pool. Whatever the pool, the output is the same and
    # stderr stays empty (an Arrow without jemalloc warns when asked for it: skipped).
    exe = os.environ.get("TSFILL_BIN", str(ROOT / "build" / "release" / "examples" / "tsfill"))
    rng = random.Random(7)
    n = 5000
    t0 = dt.datetime(2024, 3, 4, tzinfo=dt.timezone.utc)
    table = pa.table({
        "date": pa.array(sorted(t0 + dt.timedelta(seconds=rng.randint(0, 5 * 86400)) for _ in range(n)),
                         pa.timestamp("ms", tz="UTC")),
        "k": [rng.choice(["AA", "BB", "CC"]) for _ in range(n)],
        "v": pa.array([None if rng.random() < 0.2 else rng.uniform(-1, 1) for _ in range(n)])})
    src = tmp_path / "in.parquet"
    pq.write_table(table, src, row_group_size=700)
    outs = []
    for pool in (None, "system", "mimalloc", "jemalloc"):
        env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
        if pool:
            env["ARROW_DEFAULT_MEMORY_POOL"] = pool
        out = tmp_path / f"out-{pool}.parquet"
        p = subprocess.run([exe, "fill", src, "-o", out, "--keys", "k"], env=env,
                           capture_output=True, text=True)
        if pool == "jemalloc" and "Unsupported backend" in p.stderr:
            continue  # (an Arrow built without jemalloc: the default run above was quiet)
        assert p.returncode == 0 and p.stderr == "", (pool, p.stderr)
        outs.append(out.read_bytes())
    assert len(outs) >= 3 and all(o == outs[0] for o in outs)


@pytest.mark.parametrize("ext", ["", ".parquet-dir"])
def test_partitioned_output_is_the_same_on_any_number_of_threads(tsfill, tmp_path, ext):
    # The partition files of a directory output are written at once, each on one thread:
    # the tree and every file's bytes are those of one thread writing them in turn.
    trees = []
    for threads in ("1", "3"):
        out = tmp_path / f"gold-{threads}"
        flags = ["--format", "parquet"] if ext else []
        tsfill("fill", SAMPLE, "--output", out, *REFERENCE_FLAGS, "--threads", threads, *flags)
        trees.append({str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert len(trees[0]) == 3
    assert trees[0] == trees[1]


# --- --no-original: the lean form, filled value columns only ----------------------------

def without_originals(table, values):
    return table.drop_columns([v for v in values if v in table.column_names])


@pytest.mark.parametrize("out_name,extra", [
    ("gold.csv", []), ("gold.parquet", []), ("gold.csv", ["--chunk-days", "0"]),
    ("gold.parquet", ["--provenance", "--chunk-days", "1"]), ("gold.csv", ["--provenance=status", "--tz", "America/New_York"]),
    ("gold", ["--format", "parquet"]), ("gold", ["--format", "csv", "--dedup", "mean", "--fill", "linear"])])
def test_no_original_is_the_full_output_without_the_original_columns(tsfill, tmp_path, out_name, extra):
    rows = make_silver(days=3, seed=31)
    src = tmp_path / "silver.csv"
    write_csv(src, rows)
    full, lean, named = tmp_path / "full", tmp_path / "lean", tmp_path / "named"
    for d in (full, lean, named):
        d.mkdir()
    tsfill("fill", src, "--output", full / out_name, *REFERENCE_FLAGS, *extra)
    tsfill("fill", src, "--output", lean / out_name, *REFERENCE_FLAGS, *extra, "--no-original")
    tsfill("fill", src, "--output", named / out_name, *REFERENCE_FLAGS, *extra, "--no-original", "--suffix", "")
    values = ["volD10", "volD25", "volATM", "volU25", "volU40", "vWidth"]

    def read(path):
        if path.is_dir():
            return ds.dataset(path, format="csv" if "csv" in extra else "parquet", partitioning="hive").to_table()
        return pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    want = without_originals(read(full / out_name), values)
    got = read(lean / out_name)
    assert got.column_names == want.column_names and got.num_rows > 100
    assert got.equals(want)
    renamed = read(named / out_name)
    assert renamed.column_names == [c[:-3] if c.endswith("_bf") else c for c in want.column_names]
    assert renamed.rename_columns(want.column_names).equals(want)


def test_no_original_flag_errors(tsfill, tmp_path):
    p = tsfill("fill", SAMPLE, "--output", tmp_path / "x.csv", *REFERENCE_FLAGS, "--suffix", "", check=False)
    assert p.returncode == 2 and "--suffix: must not be empty" in p.stderr and "--no-original" in p.stderr
    assert not (tmp_path / "x.csv").exists()
    p = tsfill("plot", WEATHER, "--output", tmp_path / "x.png", "--keys", "origin", "--time", "time_hour",
               "--key", "origin=JFK", "--value", "pressure", "--no-original", check=False)
    assert p.returncode == 2 and p.stderr.startswith("tsfill: --no-original: a plot draws")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("chunks", ["0", "1"])
def test_direct_and_buffered_output_write_the_same_bytes(tmp_path, chunks):
    # Outputs are written with O_DIRECT where the file system takes it (whole blocks from
    # an aligned buffer, the tail through the page cache); TSFILL_BUFFERED_OUTPUT=1 writes
    # through the page cache only. CSV and Parquet files, whole and in chunks (one file open
    # across chunks), and directories of partitions: the same bytes either way, sizes well
    # past the 4 MiB staging block and not multiples of the alignment.
    exe = os.environ.get("TSFILL_BIN", str(ROOT / "build" / "release" / "examples" / "tsfill"))
    rng = random.Random(23)
    lines = ["date,k,v"]
    t0 = dt.datetime(2024, 3, 4)
    for i in range(150_000):
        t = t0 + dt.timedelta(seconds=13 * i + rng.randint(0, 12))
        v = "" if rng.random() < 0.1 else f"{rng.uniform(-9, 9):.6f}"
        lines.append(f"{t.isoformat()}Z,{rng.choice(['AA', 'BB', 'CC'])},{v}")
    src = tmp_path / "in.csv"
    src.write_text("\n".join(lines) + "\n")
    for target in ("o.csv", "o.parquet", "dir"):
        got = []
        for buffered in ("0", "1"):
            env = dict(os.environ, TSFILL_BUFFERED_OUTPUT=buffered)
            out = tmp_path / buffered / target
            out.parent.mkdir(exist_ok=True)
            p = subprocess.run([exe, "fill", src, "-o", out, "--keys", "k", "--slot", "5s",
                                "--chunk-days", chunks], env=env, capture_output=True, text=True)
            assert p.returncode == 0 and p.stderr == "", p.stderr
            files = [out] if out.is_file() else sorted(f for f in out.rglob("*") if f.is_file())
            got.append({str(f.relative_to(tmp_path / buffered)): f.read_bytes() for f in files})
        assert got[0] == got[1], target
        if target == "o.csv":
            assert len(got[0]["o.csv"]) > 9 << 20 and len(got[0]["o.csv"]) % 4096 != 0


@pytest.mark.parametrize("tz", [None, "Asia/Kolkata", "America/New_York"])
def test_slot_times_written_as_python_writes_them(tsfill, tmp_path, tz):
    # The CSV writer formats a slot time from the date cached for its day and the clock of
    # the second; a day changes the cache, years of other widths and zones take the general
    # form. Every slot of days around 1970, a leap day, the first and last years an int64 of
    # nanoseconds holds, and a change of daylight saving time, against Python's datetime.
    from zoneinfo import ZoneInfo
    zone = ZoneInfo(tz) if tz else dt.timezone.utc
    days = [dt.date(2024, 2, 29), dt.date(2024, 3, 10), dt.date(2024, 11, 3)]
    if tz is None:
        days += [dt.date(1678, 1, 2), dt.date(1969, 12, 31), dt.date(1970, 1, 1),
                 dt.date(2261, 12, 31)]
    rng = random.Random(3)
    lines = ["date,v"]
    for day in days:
        start = dt.datetime.combine(day, dt.time(), zone)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
        for t in [start, end - dt.timedelta(seconds=1)] + [
                start + dt.timedelta(seconds=rng.randrange(0, 20 * 3600)) for _ in range(5)]:
            lines.append(f"{t.astimezone(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')}Z,1")
    src = tmp_path / "in.csv"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.csv"
    tsfill("fill", src, "--output", out, "--slot", "1h", "--provenance",
           *(["--tz", tz] if tz else []))
    header, rows = read_output(out)
    want = []
    for day in sorted(days):
        t = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.timezone.utc)
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
        while t < end:
            local = t.astimezone(zone)
            want.append(local.isoformat(sep=" ") if tz else local.strftime("%Y-%m-%d %H:%M:%S"))
            t += dt.timedelta(hours=1)
    assert [row[header.index("slot_ts")] for row in rows] == want
    # COL_from names a slot too, written by the same writer
    assert {row[header.index("v_from")] for row in rows} - {""} <= set(want)


@pytest.mark.parametrize("chunks", ["0", "1"])
def test_parquet_value_columns_compressed_where_snappy_shrinks_them(tsfill, tmp_path, chunks):
    # Value columns and slot times are written without a dictionary; of those, each is
    # Snappy-compressed if its first values (a page's worth) shrink by a tenth, else
    # uncompressed: random decimals are left as they are, repeating values and the slot
    # times compressed. The choice is per file (one file, or one per partition; a file of
    # too few values to judge is compressed) and changes no value: the Parquet output reads
    # back as the CSV output. Three days of 2,880 rows, then one of 20.
    rng = random.Random(31)
    lines = ["date,k,noise,steps,whole"]
    t0 = dt.datetime(2024, 3, 4)
    for i in range(3 * 2_880 + 20):
        t = t0 + dt.timedelta(seconds=120 * (i // 4) + rng.randint(0, 119))
        noise = "" if rng.random() < 0.1 else f"{rng.uniform(-9, 9):.6f}"
        lines.append(f"{t.isoformat()}Z,{'ABCD'[i % 4]},{noise},{rng.choice([1.5, 2.25, 3.0])},"
                     f"{rng.randint(-10**15, 10**15)}")
    src = tmp_path / "in.csv"
    src.write_text("\n".join(lines) + "\n")
    flags = ["--keys", "k", "--slot", "2m", "--chunk-days", chunks]
    tsfill("fill", src, "-o", tmp_path / "o.csv", *flags)
    header, rows = read_output(tmp_path / "o.csv")
    for target in ("o.parquet", "dir"):
        tsfill("fill", src, "-o", tmp_path / target, *flags, "--format", "parquet")
        files = sorted((tmp_path / target).rglob("*.parquet")) if target == "dir" else [tmp_path / target]
        assert len(files) == (4 if target == "dir" else 1)
        for f in files:
            meta = pq.ParquetFile(f).metadata
            codec = {meta.schema.column(i).name: meta.row_group(0).column(i).compression
                     for i in range(meta.num_columns)}
            judged = meta.num_rows > 20
            for name in ("noise", "noise_bf", "whole", "whole_bf"):
                assert codec[name] == ("UNCOMPRESSED" if judged else "SNAPPY"), (f, name, codec)
            for name in ("slot_ts", "steps", "steps_bf", "k"):
                assert codec[name] == "SNAPPY", (f, name, codec)
        whole = pa.concat_tables(pq.read_table(f, partitioning=None) for f in files)
        assert whole.num_rows == len(rows)
        for name in ("noise", "noise_bf", "steps", "steps_bf", "whole", "whole_bf"):
            got = whole.column(name).to_pylist()
            want = [r[header.index(name)] for r in rows]
            assert [("" if v is None else repr(float(v))) for v in got] == \
                   [("" if w == "" else repr(float(w))) for w in want], name
