"""--provenance: COL_how and COL_from in every output (fill CSV and Parquet, backfill, ingest),
against the oracle, which decides each cell's status and source on its own; validate's
provenance check. (The flag matrices of test_fill.py and test_calendar.py add --provenance
to a third of their cases each; here the cases that need it most: carry-in across days,
limits and all-or-nothing, every fill.)"""
import json
import random
import re

import pytest

import oracle
from conftest import assert_same_table, read_output
from make_silver import make_silver, write_csv
from test_backfill import JOB, make_input, run, tree

FILLS = ["forward", "backward", "linear", "linear:time", "nearest", "constant:-1", "none"]


@pytest.mark.parametrize("seed", range(14))
def test_provenance_against_the_oracle(tsfill, tmp_path, seed):
    rng = random.Random(500 + seed)
    path = tmp_path / "silver.csv"
    write_csv(path, make_silver(seed=seed, tickers=("AA", "BB"), tenors=(7,), days=3, null_rate=0.5))
    fill = FILLS[seed % len(FILLS)]
    args = ["--keys", "ticker_tk,days", "--values", "volATM,vWidth", "--fill", fill, "--slot", "1h"]
    kw = dict(keys=("ticker_tk", "days"), values=("volATM", "vWidth"), fill=fill, slot_ns=3600 * oracle.NS)
    if fill == "forward" or seed % 3 == 0:  # carried-in values: COL_from on an earlier day
        if fill != "forward":
            args[args.index(fill)] = fill = kw["fill"] = "forward"
        args += ["--carry-in"]
        kw["carry_in"] = True
    if fill != "none" and rng.random() < 0.6:
        kw["limit"] = rng.randint(1, 4)
        args += ["--limit", str(kw["limit"])]
        if rng.random() < 0.5:
            args += ["--all-or-nothing"]
            kw["all_or_nothing"] = True
    if fill not in ("none", "constant:-1") and rng.random() < 0.4:
        args += ["--max-age", "3h"]
        kw["max_age_ns"] = 3 * 3600 * oracle.NS
    out = tmp_path / "gold.csv"
    tsfill("fill", path, "--output", out, *args, "--provenance")
    names, want = oracle.run([path], provenance="all", **kw)
    assert_same_table(out, names, want, 4)
    words = {r[names.index("volATM_how")] for r in read_output(out)[1]}
    assert "observed" in words and words <= {"observed", "forward", "backward", "interpolated",
                                             "constant", "missing"}


def test_a_value_carried_in_names_the_slot_of_the_day_before(tsfill, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("date,k,v\n2024-03-04T10:10:00Z,a,1\n2024-03-05T08:20:00Z,b,5\n"
                    "2024-03-05T10:05:00Z,a,2\n")
    out = tmp_path / "out.csv"
    job = ["--keys", "k", "--slot", "1h", "--carry-in"]
    tsfill("fill", path, "-o", out, *job, "--provenance")
    header, rows = read_output(out)
    assert header == ["partition_date", "k", "slot_ts", "v", "v_bf", "v_how", "v_from"]
    assert [r for r in rows if r[0] == "2024-03-05" and r[1] == "a"] == [
        ["2024-03-05", "a", "2024-03-05 08:00:00", "", "1", "forward", "2024-03-04 10:00:00"],
        ["2024-03-05", "a", "2024-03-05 09:00:00", "", "1", "forward", "2024-03-04 10:00:00"],
        ["2024-03-05", "a", "2024-03-05 10:00:00", "2", "2", "observed", ""]]
    names, want = oracle.run([path], keys=("k",), slot_ns=3600 * oracle.NS, carry_in=True, provenance="all")
    assert_same_table(out, names, want, 3)


def test_provenance_status_only_and_the_stats_agree(tsfill, tmp_path):
    path = tmp_path / "silver.csv"
    write_csv(path, make_silver(seed=3, tickers=("AA",), tenors=(7, 30), days=2, null_rate=0.4))
    out = tmp_path / "gold.csv"
    p = tsfill("fill", path, "-o", out, "--keys", "ticker_tk,days", "--values", "volATM",
               "--provenance=status", "--stats")
    header, rows = read_output(out)
    assert header[-2:] == ["volATM_bf", "volATM_how"]
    # --stats counts the same statuses the column shows
    for word, label in (("observed", "observed"), ("forward", "filled forward"), ("missing", "still missing")):
        n = sum(r[-1] == word for r in rows)
        assert re.search(rf"cells {label} +{n}\n", p.stderr), (word, n, p.stderr)


def test_parquet_provenance_columns(tsfill, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "silver.csv"
    write_csv(path, make_silver(seed=4, tickers=("AA", "BB"), tenors=(7,), days=2, null_rate=0.4))
    job = ["--keys", "ticker_tk,days", "--values", "volATM", "--carry-in", "--tz", "America/New_York",
           "--provenance"]
    tsfill("fill", path, "-o", tmp_path / "g.parquet", *job)
    tsfill("fill", path, "-o", tmp_path / "g.csv", *job)
    table = pq.read_table(tmp_path / "g.parquet")
    assert str(table.schema.field("volATM_how").type) == "dictionary<values=string, indices=int8, ordered=0>"
    assert str(table.schema.field("volATM_from").type) == "timestamp[ns, tz=America/New_York]"
    assert not table.schema.field("volATM_how").nullable
    header, rows = read_output(tmp_path / "g.csv")
    how = [str(x) for x in table.column("volATM_how").to_pylist()]
    assert how == [r[header.index("volATM_how")] for r in rows]
    frm = [x.isoformat(sep=" ") if x else "" for x in table.column("volATM_from").to_pylist()]
    assert frm == [r[header.index("volATM_from")] for r in rows]
    assert "forward" in how and any(frm)


@pytest.mark.parametrize("chunk,workers", [(1, 1), (3, 2)])
def test_backfill_and_ingest_write_the_same_provenance_as_fill(tmp_path, chunk, workers):
    inputs = make_input(tmp_path / "in", days=5, seed=31)
    job = JOB + ["--carry-in", "--limit", "4", "--provenance"]
    run("fill", *inputs, "-o", tmp_path / "fill", "-q", *job)
    want = tree(tmp_path / "fill")
    assert b"forward" in b"".join(want.values())
    run("backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db",
        "--chunk-days", chunk, "--workers", workers, *job)
    assert tree(tmp_path / "bf") == want
    run("ingest", tmp_path / "in", "-o", tmp_path / "ing", "--state", tmp_path / "i.db", *job)
    assert tree(tmp_path / "ing") == want


def test_validate_checks_the_provenance_column(tmp_path):
    inputs = make_input(tmp_path / "in", days=3, seed=22)
    job = JOB + ["--provenance"]
    target = tmp_path / "bf"
    run("backfill", *inputs, "-o", target, "--state", tmp_path / "s.db", *job)
    p = run("validate", "--source", *inputs, "--target", target, *job, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    # A filled cell relabelled "observed": every value is right, the provenance is not.
    part = target / "partition_date=2024-03-02" / "part-0.csv"
    lines = part.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    how = header.index("vol_how")
    rows = [l.rstrip("\n").split(",") for l in lines[1:]]
    i = next(i for i, r in enumerate(rows) if r[how] == "forward")
    rows[i][how] = "observed"
    part.write_text(lines[0] + "".join(",".join(r) + "\n" for r in rows))
    p = run("validate", "--source", *inputs, "--target", target, *job, check=False)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "2024-03-02 provenance: key (" in p.stdout
    assert "vol_how is 'observed' in the target, the source gives forward" in p.stdout
    doc = json.loads(run("validate", "--source", *inputs, "--target", target, *job, "--json",
                         check=False).stdout)
    bad = [x for x in doc["partitions"] if not x["ok"]]
    assert [x["partition"] for x in bad] == ["2024-03-02"]
    assert [f["check"] for f in bad[0]["failures"]] == ["provenance"]


@pytest.mark.parametrize("args,message", [
    (["--provenance=how"], "tsfill: --provenance: expected nothing (how and from) or =status (how only), got 'how'"),
    (["--values", "volATM,volATM_how", "--provenance"],
     "tsfill: --provenance: the output would have two columns named 'volATM_how' (--provenance adds "
     "COL_how and COL_from); leave the input column out (--values) or rename it"),
    (["--values", "volATM,volATM_how", "--provenance=status"],
     "tsfill: --provenance: the output would have two columns named 'volATM_how' (--provenance adds "
     "COL_how); leave the input column out (--values) or rename it"),
])
def test_provenance_errors(tsfill, tmp_path, args, message):
    path = tmp_path / "in.csv"
    path.write_text("date,volATM,volATM_how\n2024-03-04T10:00:00Z,1,2\n2024-03-04T11:00:00Z,,3\n")
    out = tmp_path / "out.csv"
    p = tsfill("fill", path, "-o", out, *args, check=False)
    assert p.returncode == 2 and p.stderr.strip() == message, p.stderr
    assert not out.exists()


def test_a_bare_provenance_does_not_take_the_next_word(tsfill, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("date,v\n2024-03-04T10:00:00Z,1\n2024-03-04T11:30:00Z,2\n")
    out = tmp_path / "out.csv"
    tsfill("fill", "--provenance", path, "-o", out)
    assert read_output(out)[0][-2:] == ["v_how", "v_from"]
    assert read_output(out)[1][2] == ["2024-03-04", "2024-03-04 11:00:00", "", "1", "forward",
                                      "2024-03-04 10:00:00"]
