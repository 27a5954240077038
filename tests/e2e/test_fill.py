"""`tsfill fill` against the independent Python oracle, on generated and real data."""
import csv
import itertools
import random

import pytest

import oracle
from conftest import ROOT, assert_same_table, read_output
from make_silver import HEADER, make_silver, write_csv

WEATHER = ROOT / "examples" / "data" / "nycflights13-weather.csv"
SAMPLE = ROOT / "examples" / "data" / "silver_sample.csv"


def test_reference_job_on_the_sample(tsfill, tmp_path):
    out = tmp_path / "gold.csv"
    tsfill("fill", SAMPLE, "--output", out, "--keys", "ticker_tk,days", "--values", "vol*,vWidth",
           "--where", "tradingSession=RegularMkt")
    names, rows = oracle.run([SAMPLE], keys=("ticker_tk", "days"), values=("vol*", "vWidth"),
                             where=[("tradingSession", "RegularMkt")])
    assert_same_table(out, names, rows, 4)
    # Uniform slot counts: every key has the same number of slots in each partition.
    _, got = read_output(out)
    counts = {}
    for r in got:
        counts.setdefault(r[0], {}).setdefault((r[1], r[2]), 0)
        counts[r[0]][(r[1], r[2])] += 1
    for day, per_key in counts.items():
        assert len(set(per_key.values())) == 1, (day, per_key)


def test_sample_data_is_what_the_generator_makes(tmp_path):
    again = tmp_path / "silver.csv"
    write_csv(again, make_silver())
    assert again.read_bytes() == SAMPLE.read_bytes()


def test_weather_dataset(tsfill, tmp_path):
    out = tmp_path / "weather.csv"
    tsfill("fill", WEATHER, "--output", out, "--keys", "origin", "--time", "time_hour", "--slot", "1h")
    names, rows = oracle.run([WEATHER], time_col="time_hour", keys=("origin",), slot_ns=3600 * oracle.NS)
    assert_same_table(out, names, rows, 3)


@pytest.mark.parametrize("fill", ["forward", "backward", "linear", "nearest", "constant:0", "none"])
def test_weather_fills_with_limits(tsfill, tmp_path, fill):
    out = tmp_path / "weather.csv"
    extra = [] if fill == "none" else ["--limit", "2"]
    if fill in ("forward", "linear"):
        extra += ["--max-age", "3h", "--all-or-nothing"]
    tsfill("fill", WEATHER, "--output", out, "--keys", "origin", "--time", "time_hour", "--slot", "1h",
           "--values", "temp,pressure,wind_gust", "--fill", fill, "--grid", "key", *extra)
    names, rows = oracle.run([WEATHER], time_col="time_hour", keys=("origin",), slot_ns=3600 * oracle.NS,
                             values=("temp", "pressure", "wind_gust"), fill=fill, grid="key",
                             limit=2 if fill != "none" else None,
                             max_age_ns=3 * 3600 * oracle.NS if fill in ("forward", "linear") else None,
                             all_or_nothing=fill in ("forward", "linear"))
    assert_same_table(out, names, rows, 3)


# A matrix of flags over generated silver tables: every dedup, grid, fill and partition.
DEDUPS = ["last", "first", "last-valid", "first-valid", "mean", "min", "max", "sum", "count"]
GRIDS = ["partition", "key", "observed", "range"]
FILLS = ["forward", "backward", "linear", "linear:time", "nearest", "constant:-1", "none"]


@pytest.mark.parametrize("seed", range(24))
def test_flag_matrix(tsfill, tmp_path, seed):
    rng = random.Random(seed)
    rows = make_silver(seed=seed, tickers=("AA", "BB"), tenors=(7, 30), days=2, null_rate=0.3)
    path = tmp_path / "silver.csv"
    write_csv(path, rows)
    dedup = DEDUPS[seed % len(DEDUPS)]
    grid = GRIDS[seed % len(GRIDS)]
    fill = FILLS[seed % len(FILLS)]
    slot = rng.choice([("30min", 1800), ("1h", 3600), ("15min", 900), ("2h", 7200)])
    partition = "none" if seed % 5 == 4 else "day"
    args = ["--keys", "ticker_tk,days", "--values", "volATM,vWidth", "--dedup", dedup, "--grid", grid,
            "--fill", fill, "--slot", slot[0], "--partition", partition]
    kw = dict(keys=("ticker_tk", "days"), values=("volATM", "vWidth"), dedup=dedup, grid=grid, fill=fill,
              slot_ns=slot[1] * oracle.NS, partition_by_day=partition == "day")
    if grid == "range":
        args[args.index("range")] = "range:2024-03-04T15:00:00Z/2024-03-05T16:00:00Z"
        kw["range_ns"] = (oracle.parse_time("2024-03-04T15:00:00Z"), oracle.parse_time("2024-03-05T16:00:00Z"))
    if fill != "none" and rng.random() < 0.7:
        limit = rng.randint(1, 3)
        args += ["--limit", str(limit)]
        kw["limit"] = limit
        if rng.random() < 0.5:
            args += ["--all-or-nothing"]
            kw["all_or_nothing"] = True
    if fill not in ("none", "constant:-1") and rng.random() < 0.4:
        args += ["--max-age", "90min"]
        kw["max_age_ns"] = 90 * 60 * oracle.NS
    if fill != "none" and rng.random() < 0.4:
        area = "inside" if fill.startswith("linear") else rng.choice(["inside", "outside"])
        args += ["--limit-area", area]
        kw["area"] = area
    if rng.random() < 0.3:
        args += ["--where", "tradingSession=RegularMkt", "--where", "tradingSession=PostMkt"]
        kw["where"] = [("tradingSession", "RegularMkt"), ("tradingSession", "PostMkt")]
    if fill == "forward" and partition == "day" and rng.random() < 0.5:
        args += ["--carry-in"]
        kw["carry_in"] = True
    provenance = rng.choice([None, "all", "status"])  # --provenance, --provenance=status
    if provenance:
        args += ["--provenance" + ("=status" if provenance == "status" else "")]
        kw["provenance"] = provenance
    out = tmp_path / "gold.csv"
    tsfill("fill", path, "--output", out, *args)
    names, want = oracle.run([path], **kw)
    first_value = 4 if partition == "day" else 3
    assert_same_table(out, names, want, first_value)


def test_per_column_fill_overrides(tsfill, tmp_path):
    path = tmp_path / "silver.csv"
    write_csv(path, make_silver(seed=5, tickers=("AA",), tenors=(7,), days=1, null_rate=0.4))
    out = tmp_path / "gold.csv"
    tsfill("fill", path, "--output", out, "--keys", "ticker_tk,days", "--values", "volATM,vWidth",
           "--fill", "forward", "--fill", "vW*=linear")
    names, want = oracle.run([path], keys=("ticker_tk", "days"), values=("volATM", "vWidth"),
                             fill="forward", fill_for=[("vW*", "linear")])
    assert_same_table(out, names, want, 4)


def test_several_inputs_are_one_table(tsfill, tmp_path):
    rows = make_silver(seed=9, days=2)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(a, rows[: len(rows) // 2])
    write_csv(b, rows[len(rows) // 2:])
    out = tmp_path / "gold.csv"
    tsfill("fill", a, b, "--output", out, "--keys", "ticker_tk,days", "--values", "volATM")
    names, want = oracle.run([a, b], keys=("ticker_tk", "days"), values=("volATM",))
    assert_same_table(out, names, want, 4)


def test_unsorted_input_gives_the_same_output(tsfill, tmp_path):
    rows = make_silver(seed=3, days=2)
    rng = random.Random(1)
    shuffled = rows[:]
    rng.shuffle(shuffled)
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    write_csv(a, rows)
    write_csv(b, shuffled)
    # Ties in event time would resolve by input order; the generator's times are distinct.
    assert len({r[0] + r[1] + r[2] for r in rows}) == len(rows)
    for src, out in ((a, tmp_path / "a_out.csv"), (b, tmp_path / "b_out.csv")):
        tsfill("fill", src, "--output", out, "--keys", "ticker_tk,days")
    assert (tmp_path / "a_out.csv").read_bytes() == (tmp_path / "b_out.csv").read_bytes()


def test_default_values_are_the_numeric_columns(tsfill, tmp_path):
    out = tmp_path / "gold.csv"
    tsfill("fill", SAMPLE, "--output", out, "--keys", "ticker_tk,days")
    header, _ = read_output(out)
    # tradingSession and source are text: not value columns.
    assert header == ["partition_date", "ticker_tk", "days", "slot_ts", "volD10", "volD25", "volATM", "volU25",
                      "volU40", "vWidth", "volD10_bf", "volD25_bf", "volATM_bf", "volU25_bf", "volU40_bf",
                      "vWidth_bf"]


def test_suffix_delimiter_and_partition_name(tsfill, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("date;k;v\n2024-01-01 00:10;x;1\n2024-01-01 01:10;x;NA\n")
    out = tmp_path / "out.csv"
    tsfill("fill", src, "--output", out, "--keys", "k", "--delimiter", ";", "--suffix", "_filled",
           "--partition-name", "day", "--slot", "1h")
    assert out.read_text() == ("day;k;slot_ts;v;v_filled\n"
                               "2024-01-01;x;2024-01-01 00:00:00;1;1\n"
                               "2024-01-01;x;2024-01-01 01:00:00;;1\n")
