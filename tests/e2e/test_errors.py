"""Bad input: one line on stderr naming the file, row and column or the flag; exit status 2;
no output file."""
import os

import pytest

from make_silver import make_silver, write_csv

GOOD = "date,k,v\n2024-01-01T00:00:00Z,a,1\n2024-01-01T01:00:00Z,a,2\n"


def fails(tsfill, tmp_path, args, message, text=GOOD, name="in.csv"):
    src = tmp_path / name
    if text is not None:
        src.write_text(text)
    out = tmp_path / "out.csv"
    p = tsfill("fill", src, "--output", out, *args, check=False)
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("tsfill: "), lines[0]
    assert message in lines[0], lines[0]
    assert not out.exists()
    assert not any(".tsfill-tmp" in f for f in os.listdir(tmp_path)), os.listdir(tmp_path)
    return lines[0]


def test_missing_columns(tsfill, tmp_path):
    fails(tsfill, tmp_path, ["--time", "ts"], "--time: " + str(tmp_path / "in.csv") + " has no column 'ts'")
    fails(tsfill, tmp_path, ["--keys", "ticker"], "--keys: " + str(tmp_path / "in.csv") + " has no column 'ticker'")
    fails(tsfill, tmp_path, ["--values", "price"], "has no column 'price'")
    fails(tsfill, tmp_path, ["--where", "session=Regular"], "--where: ")
    fails(tsfill, tmp_path, ["--values", "x*"], "--values: pattern 'x*' matches no numeric column")


def test_unparsable_timestamp(tsfill, tmp_path):
    text = GOOD + "2024-13-01T00:00:00Z,a,3\n"
    fails(tsfill, tmp_path, [], "in.csv, row 3 (line 4), column 'date': cannot read '2024-13-01T00:00:00Z' as a timestamp",
          text)
    fails(tsfill, tmp_path, [], "looks like an epoch number; pass --time-unit", "date,v\n1709560032,1\n")


def test_unparsable_number_in_a_named_column(tsfill, tmp_path):
    text = GOOD + "2024-01-01T02:00:00Z,a,1.2.3\n"
    fails(tsfill, tmp_path, ["--values", "v"], "row 3 (line 4), column 'v': cannot read '1.2.3' as a number", text)


def test_ragged_row(tsfill, tmp_path):
    text = GOOD + "2024-01-01T02:00:00Z,a\n"
    fails(tsfill, tmp_path, [], "in.csv, row 3 (line 4): expected 3 fields (as in the header), found 2", text)


def test_unterminated_quote(tsfill, tmp_path):
    fails(tsfill, tmp_path, [], "row 3 (line 4): a quoted field is never closed", GOOD + '2024-01-01,"a,1\n')


@pytest.mark.parametrize("args,message", [
    (["--slot", "30 minutes"], "--slot: cannot read '30 minutes' as a duration"),
    (["--slot", "0min"], "--slot: must be positive"),
    (["--partition", "week"], "--partition: expected day or none, got 'week'"),
    (["--dedup", "latest"], "--dedup: unknown dedup 'latest'"),
    (["--grid", "sessions"], "--grid: expected partition, key, observed, range:START/END or session:HH:MM-HH:MM"),
    (["--grid", "range:2024-01-02/2024-01-01"], "--grid: the range must end after it starts"),
    (["--fill", "spline"], "--fill: unknown fill 'spline'"),
    (["--fill", "constant:x"], "--fill: cannot read the constant 'x' as a number"),
    (["--limit", "0"], "--limit: expected a positive whole number of slots, got '0'"),
    (["--limit-area", "middle"], "--limit-area: expected inside, outside or all, got 'middle'"),
    (["--max-age", "-1h"], "--max-age: cannot read '-1h' as a duration"),
    (["--all-or-nothing"], "--all-or-nothing: needs --limit or --max-age"),
    (["--fill", "linear", "--limit-area", "outside"], "--limit-area: outside with --fill linear fills nothing"),
    (["--fill", "constant:0", "--max-age", "1h"], "--max-age: has no meaning for --fill constant"),
    (["--fill", "none", "--limit", "2"], "--fill: none takes no --limit"),
    (["--threads", "two"], "--threads: expected a number of threads (0 = all cores), got 'two'"),
    (["--threads", "-1"], "--threads: expected a number of threads (0 = all cores), got '-1'"),
    (["--time-unit", "min"], "--time-unit: expected s, ms, us or ns, got 'min'"),
    (["--format", "xlsx"], "--format: expected csv or parquet, got 'xlsx'"),
    (["--frobnicate"], "--frobnicate: unknown flag"),
    (["--keys"], "--keys: needs a value"),
    (["--fill", "nosuch*=linear"], "--fill: 'nosuch*' matches no value column"),
    (["--suffix", ""], "--suffix: must not be empty"),
    (["--keys", "k", "--values", "v", "--suffix", "_bf", "--partition-name", "k"],
     "--partition-name: the input column 'k' has the name of a column the output adds"),
])
def test_bad_flags(tsfill, tmp_path, args, message):
    fails(tsfill, tmp_path, args, message)


def test_reject_names_both_rows(tsfill, tmp_path):
    text = "date,k,v\n2024-01-01T00:10:00Z,a,1\n2024-01-01T00:20:00Z,b,1\n2024-01-01T00:25:00Z,a,2\n"
    fails(tsfill, tmp_path, ["--keys", "k", "--dedup", "reject"],
          "--dedup reject: " + str(tmp_path / "in.csv") + " row 1 and " + str(tmp_path / "in.csv") + " row 3", text)


def test_unreadable_and_empty_files(tsfill, tmp_path):
    fails(tsfill, tmp_path, [], "nope.csv: cannot open: No such file or directory", None, "nope.csv")
    fails(tsfill, tmp_path, [], "the file is empty", "")
    (tmp_path / "dir.csv").mkdir()
    p = tsfill("fill", tmp_path / "dir.csv", "--output", tmp_path / "o.csv", check=False)
    assert p.returncode == 2 and "dir.csv" in p.stderr


def test_existing_output_needs_overwrite(tsfill, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(GOOD)
    out = tmp_path / "out.csv"
    out.write_text("precious")
    p = tsfill("fill", src, "--output", out, check=False)
    assert p.returncode == 2
    assert "--output: " + str(out) + " exists; pass --overwrite to replace it" in p.stderr
    assert out.read_text() == "precious"
    tsfill("fill", src, "--output", out, "--overwrite")
    assert out.read_text().startswith("partition_date,slot_ts,v,v_bf\n")


def test_a_failing_run_leaves_the_old_output(tsfill, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(GOOD + "garbage,a,1\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.csv").write_text("old")
    p = tsfill("fill", src, "--output", out, "--overwrite", check=False)
    assert p.returncode == 2
    assert (out / "old.csv").read_text() == "old"
    assert sorted(os.listdir(tmp_path)) == ["in.csv", "out"]


def test_usage_without_command(tsfill):
    p = tsfill(check=False)
    assert p.returncode == 2 and "no command given" in p.stderr
    p = tsfill("filll", check=False)
    assert p.returncode == 2 and "unknown command 'filll'" in p.stderr
    assert "Usage: tsfill [OPTIONS] SUBCOMMAND" in tsfill("--help").stdout


@pytest.mark.parametrize("command", ["fill", "plot"])
def test_each_command_has_its_help(tsfill, command):
    p = tsfill(command, "--help")
    assert p.returncode == 0
    assert p.stdout.startswith(("Regularize", "Run the same job"))
    for flag in ("--output", "--keys", "--slot", "--fill", "--threads"):
        assert flag in p.stdout


def test_parquet_timestamps_outside_the_nanosecond_range_name_their_row(tsfill, tmp_path):
    """Timestamp chunks without nulls are scaled to nanoseconds in one pass; a time that
    overflows must still be the error of its row (in any row group, at any unit), and a row
    --where drops must not fail the run, as row by row."""
    import datetime
    import pyarrow as pa
    import pyarrow.parquet as pq
    base = datetime.datetime(2024, 3, 4, tzinfo=datetime.timezone.utc)
    for unit, far in (("s", 32503680000), ("ms", 32503680000000), ("us", 9223372036854775)):
        secs = [int((base + datetime.timedelta(minutes=10 * i)).timestamp()) for i in range(40)]
        scale = {"s": 1, "ms": 1000, "us": 1000000}[unit]
        values = [x * scale for x in secs]
        values[29] = far  # (past 2262 once in nanoseconds)
        keys = ["B" if i == 29 else "A" for i in range(40)]
        src = tmp_path / f"far-{unit}.parquet"
        pq.write_table(pa.table({"date": pa.array(values, pa.timestamp(unit, tz="UTC")), "k": keys,
                                 "v": [float(i) for i in range(40)]}), src, row_group_size=8)
        out = tmp_path / f"o-{unit}.csv"
        p = tsfill("fill", src, "--output", out, "--keys", "k", check=False)
        assert p.returncode == 2 and not out.exists(), (unit, p.stderr)
        assert p.stderr.strip() == ("tsfill: " + str(src) + ", row 30, column 'date': cannot read "
                                    "the time: outside the nanosecond range (UTC years 1678-2261)")
        kept = tmp_path / f"kept-{unit}.parquet"
        pq.write_table(pa.table({"date": pa.array(values[:29] + values[30:], pa.timestamp(unit, tz="UTC")),
                                 "k": keys[:29] + keys[30:], "v": [float(i) for i in range(40) if i != 29]}),
                       kept, row_group_size=8)
        outs = []
        for f in (src, kept):
            o = tmp_path / f"w-{f.stem}.csv"
            tsfill("fill", f, "--output", o, "--keys", "k", "--where", "k=A")
            outs.append(o.read_bytes())
        assert outs[0] == outs[1], unit


def test_times_outside_the_nanosecond_range_are_refused_not_wrapped(tsfill, tmp_path):
    """Silent wrong data was possible here: a Parquet date of 9999-12-31 wrapped to 1816, an
    offset carried a time past 2261, '+-1' read as -1. Each is now a one-line error."""
    import datetime
    import pyarrow as pa
    import pyarrow.parquet as pq
    src = tmp_path / "dates.parquet"
    pq.write_table(pa.table({"date": pa.array([datetime.date(2024, 1, 1), datetime.date(9999, 12, 31)],
                                              pa.date32()),
                             "v": [1.0, 2.0]}), src)
    p = tsfill("fill", src, "--output", tmp_path / "o.csv", check=False)
    assert p.returncode == 2 and not (tmp_path / "o.csv").exists()
    assert p.stderr.strip() == ("tsfill: " + str(src) + ", row 2, column 'date': cannot read the time: "
                                "outside the nanosecond range (UTC years 1678-2261)")
    fails(tsfill, tmp_path, [], "row 1 (line 2), column 'date': cannot read '2261-12-31T23:30:00-01:00' "
          "as a timestamp: outside the nanosecond range (UTC years 1678-2261)",
          "date,v\n2261-12-31T23:30:00-01:00,1\n")
    fails(tsfill, tmp_path, ["--time-unit", "s"], "cannot read '+-1709539200' as a timestamp",
          "date,v\n+-1709539200,1\n")
    fails(tsfill, tmp_path, ["--values", "v"], "column 'v': cannot read '+-1' as a number",
          "date,v\n2024-01-01T00:00:00Z,+-1\n")
    fails(tsfill, tmp_path, ["--fill", "constant:+-7"], "--fill: cannot read the constant '+-7' as a number")
