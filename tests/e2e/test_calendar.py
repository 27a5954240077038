"""Time zones, calendar slots, session grids and carry-in, against the zoneinfo-based oracle."""
import csv
import datetime as dt
import os
import random
import re
from zoneinfo import ZoneInfo

import pytest

import oracle
from conftest import ROOT, assert_same_table, read_output

WEATHER = ROOT / "examples" / "data" / "nycflights13-weather.csv"
NY = "America/New_York"
WEATHER_FLAGS = ["--keys", "origin", "--time", "time_hour", "--slot", "1h"]

# Every DST transition of 2013 and 2024 in New York and London (local dates).
TRANSITIONS = [(NY, "2013-03-10"), (NY, "2013-11-03"), (NY, "2024-03-10"), (NY, "2024-11-03"),
               ("Europe/London", "2013-03-31"), ("Europe/London", "2013-10-27"),
               ("Europe/London", "2024-03-31"), ("Europe/London", "2024-10-27")]


def slots_per_key_and_day(path, key_col=1):
    _, rows = read_output(path)
    counts = {}
    for r in rows:
        counts[(r[0], r[key_col])] = counts.get((r[0], r[key_col]), 0) + 1
    return counts


def test_weather_by_new_york_day_with_a_whole_day_session(tsfill, tmp_path):
    out = tmp_path / "w.csv"
    tsfill("fill", WEATHER, "--output", out, *WEATHER_FLAGS, "--tz", NY, "--grid", "session:00:00-24:00")
    names, rows = oracle.run([WEATHER], time_col="time_hour", keys=("origin",), slot_ns=3600 * oracle.NS,
                             tz=NY, session="00:00-24:00")
    assert_same_table(out, names, rows, 3)
    counts = slots_per_key_and_day(out)
    for airport in ("EWR", "JFK", "LGA"):
        assert counts[("2013-03-10", airport)] == 23
        assert counts[("2013-11-03", airport)] == 25
        assert counts[("2013-06-01", airport)] == 24
    _, got = read_output(out)
    # The repeated hour is there twice, in order, with its two offsets.
    jfk = [r[2] for r in got if r[0] == "2013-11-03" and r[1] == "JFK"]
    assert jfk[1:4] == ["2013-11-03 01:00:00-04:00", "2013-11-03 01:00:00-05:00", "2013-11-03 02:00:00-05:00"]


def test_weather_by_new_york_day_with_the_data_derived_grid(tsfill, tmp_path):
    out = tmp_path / "w.csv"
    p = tsfill("fill", WEATHER, "--output", out, *WEATHER_FLAGS, "--tz", NY, "--stats")
    names, rows = oracle.run([WEATHER], time_col="time_hour", keys=("origin",), slot_ns=3600 * oracle.NS, tz=NY)
    assert_same_table(out, names, rows, 3)
    assert "uniform slots: yes" in p.stderr
    # The first local day starts with the first observation (01:00 EST), not at midnight.
    _, got = read_output(out)
    assert got[0][:3] == ["2013-01-01", "EWR", "2013-01-01 01:00:00-05:00"]


def dst_rows(seed, zone, day, keys=("a", "b", "c")):
    """Rows at random instants over three local days around `day`, some in the same slot,
    with nulls, written with random UTC offsets."""
    rng = random.Random(seed)
    z = ZoneInfo(zone)
    start = dt.datetime.fromisoformat(day).replace(tzinfo=z) - dt.timedelta(days=1)
    rows = []
    for _ in range(rng.randint(60, 160)):
        t = start + dt.timedelta(seconds=rng.randrange(3 * 86400))
        t = t.astimezone(dt.timezone(dt.timedelta(minutes=rng.choice([0, -300, 60, 330]))))
        v = "" if rng.random() < 0.25 else "%.3f" % rng.uniform(-5, 5)
        w = "NA" if rng.random() < 0.25 else str(rng.randint(0, 9))
        rows.append([t.isoformat(), rng.choice(keys), v, w])
    return rows


def write_rows(path, header, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header] + rows)


@pytest.mark.parametrize("seed", range(32))
def test_dst_transitions_against_zoneinfo(tsfill, tmp_path, seed):
    rng = random.Random(1000 + seed)
    zone, day = TRANSITIONS[seed % len(TRANSITIONS)]
    path = tmp_path / "in.csv"
    write_rows(path, ["date", "k", "v", "w"], dst_rows(seed, zone, day))
    slot = rng.choice([("15min", 900), ("30min", 1800), ("40min", 2400), ("1h", 3600), ("90min", 5400),
                       ("1d", 86400)])
    grid = rng.choice(["partition", "key", "observed", "session", "range"])
    fill = rng.choice(["forward", "backward", "linear", "linear:time", "nearest"])
    args = ["--keys", "k", "--tz", zone, "--slot", slot[0], "--fill", fill]
    kw = dict(keys=("k",), tz=zone, slot_ns=slot[1] * oracle.NS, fill=fill)
    if grid == "session":
        hours = rng.choice(["00:00-24:00", "01:00-03:30", "00:30-12:00"])
        args += ["--grid", "session:" + hours]
        kw["session"] = hours
        if rng.random() < 0.5:
            args += ["--keep-outside-session"]
            kw["keep_outside"] = True
    elif grid == "range":
        lo = dt.datetime.fromisoformat(day).replace(tzinfo=ZoneInfo(zone))
        span = (lo.isoformat(), (lo + dt.timedelta(hours=30)).isoformat())
        args += ["--grid", "range:%s/%s" % span]
        kw.update(grid="range", range_ns=tuple(oracle.parse_time(s) for s in span))
    else:
        args += ["--grid", grid]
        kw["grid"] = grid
    if rng.random() < 0.5:
        args += ["--limit", str(rng.randint(1, 4))]
        kw["limit"] = int(args[-1])
    if rng.random() < 0.3:
        args += ["--max-age", "2h"]
        kw["max_age_ns"] = 7200 * oracle.NS
    if fill == "forward" and rng.random() < 0.6:
        args += ["--carry-in"]
        kw["carry_in"] = True
    if rng.random() < 0.3:
        args += ["--dedup", "mean"]
        kw["dedup"] = "mean"
    if rng.random() < 0.5:  # COL_from in local time, carried across local midnight
        args += ["--provenance"]
        kw["provenance"] = "all"
    out = tmp_path / "out.csv"
    tsfill("fill", path, "--output", out, *args)
    names, want = oracle.run([path], **kw)
    assert_same_table(out, names, want, 3)


@pytest.mark.parametrize("zone,day,hourly", [(z, d, 23 if d[5:7] == "03" else 25) for z, d in TRANSITIONS])
def test_a_whole_day_session_has_23_or_25_hours(tsfill, tmp_path, zone, day, hourly):
    z = ZoneInfo(zone)
    noon = dt.datetime.fromisoformat(day + "T12:00").replace(tzinfo=z)
    path = tmp_path / "in.csv"
    write_rows(path, ["date", "v"], [[noon.isoformat(), "1"]])
    for slot, n in (("1h", hourly), ("30min", 2 * hourly)):
        out = tmp_path / ("out" + slot + ".csv")
        tsfill("fill", path, "--output", out, "--tz", zone, "--slot", slot, "--grid", "session:00:00-24:00")
        _, got = read_output(out)
        assert len(got) == n, (zone, day, slot)
        assert got[0][1].startswith(day + " 00:00:00")
        assert got[-1][1].startswith(day + (" 23:00:00" if slot == "1h" else " 23:30:00"))


def test_the_leap_day_is_its_own_local_day(tsfill, tmp_path):
    path = tmp_path / "in.csv"
    # 2024-03-01 03:00 UTC is still February 29 in New York.
    write_rows(path, ["date", "v"], [["2024-02-29T15:00:00Z", "1"], ["2024-03-01T03:00:00Z", "2"],
                                     ["2024-03-01T06:00:00Z", "3"]])
    out = tmp_path / "out.csv"
    tsfill("fill", path, "--output", out, "--tz", NY, "--slot", "1h")
    _, got = read_output(out)
    assert {r[0] for r in got} == {"2024-02-29", "2024-03-01"}
    assert [r for r in got if r[0] == "2024-02-29"][-1][1:3] == ["2024-02-29 22:00:00-05:00", "2"]
    assert len([r for r in got if r[0] == "2024-02-29"]) == 13  # 10:00 to 22:00


def nyse_year_rows(year, seed):
    """Two keys, rows at random local times 08:00-17:00 on every calendar day of the year."""
    rng = random.Random(seed)
    z = ZoneInfo(NY)
    rows = []
    d = dt.date(year, 1, 1)
    while d.year == year:
        for key in ("SPY", "QQQ"):
            for _ in range(rng.randint(1, 4)):
                local = dt.datetime(d.year, d.month, d.day, 8, 0, tzinfo=z) + dt.timedelta(
                    minutes=rng.randrange(9 * 60))
                rows.append([local.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), key,
                             "%.2f" % rng.uniform(90, 110)])
        d += dt.timedelta(days=1)
    return rows


@pytest.mark.parametrize("year,slot", [(2024, "30min"), (2013, "1h")])
def test_a_year_of_nyse_sessions(tsfill, tmp_path, year, slot):
    path = tmp_path / "in.csv"
    write_rows(path, ["date", "sym", "px"], nyse_year_rows(year, year))
    out = tmp_path / "out.csv"
    p = tsfill("fill", path, "--output", out, "--keys", "sym", "--tz", NY, "--slot", slot,
               "--grid", "session:09:30-16:00", "--calendar", "nyse", "--stats")
    names, want = oracle.run([path], keys=("sym",), tz=NY, slot_ns=(1800 if slot == "30min" else 3600) * oracle.NS,
                             session="09:30-16:00", calendars=("nyse",))
    assert_same_table(out, names, want, 3)
    counts = slots_per_key_and_day(out)
    days = {d for d, _ in counts}
    assert len(days) == 252
    per_day = {d: counts[(d, "SPY")] for d in days}
    full, early = (13, 7) if slot == "30min" else (6, 3)  # at 1h: 10:00 ... 15:00, 10:00 ... 12:00
    assert sorted(d for d, n in per_day.items() if n == early) == oracle.NYSE_EARLY_CLOSES[year]
    assert all(n in (full, early) for n in per_day.values())
    assert "uniform slots: yes, every key has the session's slot count in all 252 partitions" in p.stderr
    assert "rows outside the grid" in p.stderr


def test_calendar_file_exceptions_and_rows_kept_outside_the_session(tsfill, tmp_path):
    path = tmp_path / "in.csv"
    write_rows(path, ["date", "k", "v"], nyse_year_rows(2024, 5)[: 2 * 4 * 20])
    cal = tmp_path / "cal.csv"
    cal.write_text("date,open,close\n# a snow day and a late open\n2024-01-03,closed,\n2024-01-04,11:00,16:00\n"
                   "2024-01-06,10:00,12:00\n")
    for keep in (False, True):
        out = tmp_path / ("out%d.csv" % keep)
        tsfill("fill", path, "--output", out, "--keys", "k", "--tz", NY, "--grid", "session:09:30-16:00",
               "--calendar", "weekdays", "--calendar", cal, *(["--keep-outside-session"] if keep else []))
        names, want = oracle.run([path], keys=("k",), tz=NY, session="09:30-16:00",
                                 calendars=("weekdays", str(cal)), keep_outside=keep)
        assert_same_table(out, names, want, 3)
        days = {r[0] for r in read_output(out)[1]}
        assert "2024-01-03" not in days and "2024-01-06" in days and "2024-01-07" not in days


@pytest.mark.parametrize("slot,unit,week_start", [("1w", "week", None), ("1w", "week", "sun"),
                                                  ("1mo", "month", None), ("1q", "quarter", None),
                                                  ("1y", "year", None)])
@pytest.mark.parametrize("tz", [NY, None])
def test_calendar_slots_on_the_weather_data(tsfill, tmp_path, slot, unit, week_start, tz):
    out = tmp_path / "out.csv"
    args = ["--keys", "origin", "--time", "time_hour", "--slot", slot, "--partition", "none",
            "--values", "temp,precip", "--dedup", "mean"]
    args += ["--week-start", week_start] if week_start else []
    args += ["--tz", tz] if tz else []
    tsfill("fill", WEATHER, "--output", out, *args)
    names, want = oracle.run([WEATHER], time_col="time_hour", keys=("origin",), values=("temp", "precip"),
                             partition_by_day=False, dedup="mean", slot_unit=unit, tz=tz,
                             week_start=6 if week_start == "sun" else 0)
    assert_same_table(out, names, want, 2, tolerance=1e-12)


def test_carry_in_crosses_local_midnight_subject_to_max_age(tsfill, tmp_path):
    path = tmp_path / "in.csv"
    # 22:00 and 23:30 New York time on Jan 1, then 00:30 and 03:00 on Jan 2 (partition: Jan 2).
    write_rows(path, ["date", "v"], [["2024-01-02T03:00:00Z", "1"], ["2024-01-02T04:30:00Z", "2"],
                                     ["2024-01-02T05:30:00Z", ""], ["2024-01-02T08:00:00Z", "4"]])
    out = tmp_path / "out.csv"
    for extra, want in (([], ["", "", "", "", "", "4"]), (["--carry-in"], ["2", "2", "2", "2", "2", "4"]),
                        (["--carry-in", "--max-age", "2h"], ["2", "2", "2", "", "", "4"])):
        tsfill("fill", path, "--output", out, "--tz", NY, "--overwrite", *extra)
        got = [r for r in read_output(out)[1] if r[0] == "2024-01-02"]
        assert [r[1][11:16] for r in got] == ["00:30", "01:00", "01:30", "02:00", "02:30", "03:00"]
        assert [r[3] for r in got] == want, extra


def test_parquet_output_carries_the_zone(tsfill, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "w.parquet"
    tsfill("fill", WEATHER, "--output", out, *WEATHER_FLAGS, "--tz", NY, "--values", "temp")
    table = pq.read_table(out)
    assert str(table.schema.field("slot_ts").type) == "timestamp[ns, tz=America/New_York]"
    first = table.column("slot_ts")[0].as_py()
    assert first.isoformat() == "2013-01-01T01:00:00-05:00"
    assert str(table.schema.field("partition_date").type) == "date32[day]"


def test_uniformity_line_lists_the_partitions_that_differ(tsfill, tmp_path):
    path = tmp_path / "in.csv"
    write_rows(path, ["date", "k", "v"], [["2024-01-02T15:00:00Z", "a", "1"], ["2024-01-02T18:00:00Z", "a", "2"],
                                          ["2024-01-02T16:00:00Z", "b", "3"]])
    p = tsfill("fill", path, "--output", tmp_path / "o.csv", "--keys", "k", "--slot", "1h", "--grid", "key",
               "--stats")
    assert "uniform slots: NO, 1 of 1 partitions differ:" in p.stderr
    assert "2024-01-02: 2 keys with 1 to 4 slots" in p.stderr


def test_plot_in_local_time(tsfill, tmp_path):
    out = tmp_path / "p.png"
    tsfill("plot", WEATHER, "--output", out, *WEATHER_FLAGS, "--tz", NY, "--key", "origin=JFK", "--value",
           "pressure", "--day", "2013-11-03")
    assert out.read_bytes().startswith(b"\x89PNG") and os.path.getsize(out) > 5000
    # --day is the local date: its 25 hours with a whole-day session grid.
    assert "(25 slots)" in tsfill("plot", WEATHER, "--output", tmp_path / "q.png", *WEATHER_FLAGS, "--tz", NY,
                                  "--grid", "session:00:00-24:00", "--key", "origin=JFK",
                                  "--day", "2013-11-03").stderr


def test_plot_draws_the_repeated_hour_in_order(tsfill, tmp_path, monkeypatch):
    # A gnuplot wrapper keeps the script and data the plot was drawn from.
    wrapper = tmp_path / "gnuplot.sh"
    wrapper.write_text('#!/bin/sh\ncp "$1" "$KEEP.gp"\ncp "${1%.gp}.dat" "$KEEP.dat"\nexec gnuplot "$1"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("TSFILL_GNUPLOT", str(wrapper))
    monkeypatch.setenv("KEEP", str(tmp_path / "kept"))
    tsfill("plot", WEATHER, "--output", tmp_path / "p.png", *WEATHER_FLAGS, "--tz", NY, "--grid",
           "session:00:00-24:00", "--key", "origin=JFK", "--value", "pressure", "--day", "2013-11-03")
    xs = [float(line.split()[0]) for line in (tmp_path / "kept.dat").read_text().splitlines() if line.strip()]
    assert len(xs) == 25
    assert all(b - a == 3600 for a, b in zip(xs, xs[1:]))  # one hour apart, never backwards
    tics = re.search(r"set xtics \((.*)\)", (tmp_path / "kept.gp").read_text()).group(1)
    labels = dict((float(at), label) for label, at in re.findall(r'"([^"]*)" ([0-9.]+)', tics))
    # Labels are local wall-clock times at their instants: midnight EDT is 04:00 UTC, and
    # 03:00 EST (08:00 UTC) is four hours after it.
    midnight = dt.datetime(2013, 11, 3, 4, tzinfo=dt.timezone.utc).timestamp()
    assert labels[midnight] == "00:00" and labels[midnight + 4 * 3600] == "03:00"
    assert "noenhanced" in (tmp_path / "kept.gp").read_text()


@pytest.mark.parametrize("args,message", [
    (["--tz", "Mars/Olympus_Mons"], "--tz: unknown time zone 'Mars/Olympus_Mons'"),
    (["--grid", "session:16:00-09:30"], "--grid: session: expected HH:MM-HH:MM with the close after the open"),
    (["--grid", "session:9:30-16:00"], "--grid: session: expected HH:MM-HH:MM"),
    (["--calendar", "nyse"], "--calendar: needs a session grid"),
    (["--keep-outside-session"], "--keep-outside-session: needs a session grid"),
    (["--grid", "session:09:30-16:00", "--partition", "none"], "--grid: a session grid gives each day its session"),
    (["--grid", "session:09:30-16:00", "--calendar", "nyse", "--calendar", "weekdays"],
     "--calendar: give one of nyse and weekdays"),
    (["--carry-in", "--fill", "backward"], "--carry-in: carries forward-filled values; it needs --fill forward"),
    (["--carry-in", "--partition", "none"], "--carry-in: has nothing to carry across"),
    (["--slot", "2mo"], "--slot: calendar slots come one at a time"),
    (["--week-start", "mon"], "--week-start: applies to weekly slots only"),
    (["--slot", "1w", "--week-start", "caturday"], "--week-start: expected a weekday"),
])
def test_bad_calendar_flags(tsfill, tmp_path, args, message):
    from test_errors import fails
    fails(tsfill, tmp_path, args, message)


def test_bad_calendar_file_names_the_file_and_line(tsfill, tmp_path):
    from test_errors import fails
    cal = tmp_path / "cal.csv"
    cal.write_text("date,open,close\n2024-01-03,closed,\n2024-13-01,09:30,16:00\n")
    fails(tsfill, tmp_path, ["--grid", "session:09:30-16:00", "--calendar", str(cal)],
          "--calendar: calendar file %s, line 3: expected a YYYY-MM-DD date, got '2024-13-01'" % cal)
    cal.write_text("2024-01-03,09:30,noon\n")
    fails(tsfill, tmp_path, ["--grid", "session:09:30-16:00", "--calendar", str(cal)],
          "line 1: expected open and close as HH:MM")
    fails(tsfill, tmp_path, ["--grid", "session:09:30-16:00", "--calendar", str(tmp_path / "nope.csv")],
          "nope.csv: cannot open")
