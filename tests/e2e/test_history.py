"""tsfill history apply|verify|roll with real processes, real Parquet (pyarrow) and CSV files
and a real SQLite store, against an independent pure-Python implementation of the rule
(DESIGN.md section 4). Every bug a public Spark implementation of this had to fix
(research/backfill.md section 5) is a case here: the new row for month m, gaps kept, two
late months of one account in one batch, a null versus no value, scalar columns of later
rows never overwritten, nothing outside the windows rewritten."""
import csv
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

EXE = str(Path(os.environ.get("TSFILL_BIN", ROOT / "build" / "release" / "examples" / "tsfill")).resolve())
MONTHS = [f"{2020 + i // 12}-{i % 12 + 1:02d}" for i in range(48)]


def mi(m):
    y, mo = m.split("-")
    return int(y) * 12 + int(mo) - 1


def mt(i):
    return f"{i // 12}-{i % 12 + 1:02d}"


def run(*args, check=True):
    p = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"tsfill {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}{p.stdout}")
    return p


# --- the oracle ------------------------------------------------------------------------------

def oracle_apply(table, staged, n, mapping):
    """table: {month: {"rows": [dict], "order": [keys]}}; staged: [(key, month, {staged col: value|None}, row)]
    (already deduplicated). Returns the expected table: new rows for month m first (in key
    order, after the existing rows), then each value at p - m."""
    out = {m: {"rows": [dict(r, **{a: (None if r[a] is None else list(r[a])) for a in mapping})
                        for r in part["rows"]]} for m, part in table.items()}
    new = {}
    for key, m, vals, row in staged:
        if m in out and key not in {r["acct"] for r in out[m]["rows"]}:
            new.setdefault(m, set()).add(key)
    for m, keys in new.items():
        for key in sorted(keys):
            # every column null (unstaged arrays too) but the staged arrays: lists of nulls
            r = {"acct": key, "status": None, "ts": None, "bal_history": None, "lim_history": None}
            for a in mapping:
                r[a] = [None] * n
            out[m]["rows"].append(r)
    for key, m, vals, row in staged:
        for p in range(mi(m), mi(m) + n):
            pm = mt(p)
            if pm not in out:
                continue
            for r in out[pm]["rows"]:
                if r["acct"] != key:
                    continue
                for a, s in mapping.items():
                    if s not in vals:
                        continue
                    if r[a] is None:
                        r[a] = [None] * n
                    r[a][p - mi(m)] = vals[s]
    return out


def dedup(staged, how):
    """Two rows for one (key, month): 'last' keeps the later row; 'reject' returns the pair."""
    seen = {}
    for s in staged:
        k = (s[0], s[1])
        if k in seen and how == "reject":
            return None, (seen[k][3], s[3])
        seen[k] = s
    return list(seen.values()), None


# --- tables ----------------------------------------------------------------------------------

def make_table(rng, accounts, months, n, text_keys=False, fixed=False, compression="zstd"):
    """Accounts open and close; each month a partition with acct, a scalar column and two
    array columns (one partly null lists)."""
    table = {}
    for a in range(accounts):
        open_ = rng.randrange(len(months))
        close = open_ + rng.randrange(20)
        for i in range(open_, min(close + 1, len(months))):
            if rng.random() < 0.05:
                continue  # a month without the account's row
            key = f"A{a:04d}" if text_keys else a
            def arr():
                if rng.random() < 0.05:
                    return None  # a null list
                return [None if rng.random() < 0.15 else round(rng.uniform(-100, 100), 2) for _ in range(n)]
            table.setdefault(months[i], {"rows": []})["rows"].append(
                {"acct": key, "status": rng.choice(["open", "late", None]), "ts": 1000 * i + a,
                 "bal_history": arr(), "lim_history": arr()})
    for m in months:
        table.setdefault(m, {"rows": []})
    return table


def write_parquet_table(root, table, n, text_keys=False, fixed=False, compression="zstd"):
    lt = pa.list_(pa.float64(), n) if fixed else pa.list_(pa.float64())
    for m, part in table.items():
        d = root / f"month={m}"
        d.mkdir(parents=True)
        rows = part["rows"]
        t = pa.table({
            "acct": pa.array([r["acct"] for r in rows], pa.string() if text_keys else pa.int64()),
            "status": pa.array([r["status"] for r in rows], pa.string()),
            "ts": pa.array([r["ts"] for r in rows], pa.int64()),
            "bal_history": pa.array([r["bal_history"] for r in rows], lt),
            "lim_history": pa.array([r["lim_history"] for r in rows], lt),
        })
        pq.write_table(t, d / "part-0.parquet", compression=compression)


def read_parquet_table(root):
    out = {}
    for d in sorted(Path(root).iterdir()):
        t = pq.read_table(d / "part-0.parquet").to_pylist()
        out[d.name[len("month="):]] = {"rows": t}
    return out


def fmt_array(a):
    if a is None:
        return ""
    return "[" + ";".join("" if x is None else repr(float(x)).replace("inf", "inf") for x in a) + "]"


def write_csv_table(root, table, n):
    for m, part in table.items():
        d = root / f"month={m}"
        d.mkdir(parents=True)
        with open(d / "part-0.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["acct", "status", "ts", "bal_history", "lim_history"])
            for r in part["rows"]:
                w.writerow([r["acct"], r["status"] or "", r["ts"], fmt_array(r["bal_history"]),
                            fmt_array(r["lim_history"])])


def parse_array(text):
    if text == "":
        return None
    return [None if x == "" else float(x) for x in text[1:-1].split(";")]


def read_csv_table(root):
    out = {}
    for d in sorted(Path(root).iterdir()):
        with open(d / "part-0.csv", newline="") as f:
            rows = []
            for r in csv.DictReader(f):
                rows.append({"acct": r["acct"], "status": r["status"] or None,
                             "ts": int(r["ts"]) if r["ts"] else None,
                             "bal_history": parse_array(r["bal_history"]),
                             "lim_history": parse_array(r["lim_history"])})
        out[d.name[len("month="):]] = {"rows": rows}
    return out


def make_staging(rng, accounts, n, rows, text_keys=False, both_columns=True):
    """(key, month, {col: value}, row): months from before the table to after it, repeats,
    several months of one account, explicit nulls, keys no table has."""
    staged = []
    for i in range(rows):
        a = rng.randrange(accounts + 3)
        key = f"A{a:04d}" if text_keys else a
        m = mt(mi(MONTHS[0]) - n - 2 + rng.randrange(len(MONTHS) + 2 * n + 4))
        vals = {"bal": None if rng.random() < 0.2 else round(rng.uniform(-100, 100), 2)}
        if both_columns:
            vals["lim"] = None if rng.random() < 0.2 else round(rng.uniform(-100, 100), 2)
        staged.append((key, m, vals, len(staged) + 1))
        if rng.random() < 0.25:  # another late month of the same account
            staged.append((key, mt(mi(m) + 1 + rng.randrange(4)), dict(vals), len(staged) + 1))
        if rng.random() < 0.1:  # the same key and month again
            staged.append((key, m, {c: 1.25 for c in vals}, len(staged) + 1))
    return staged


def write_staging(path, staged, both_columns=True):
    cols = ["bal", "lim"] if both_columns else ["bal"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["acct", "month", *cols])
        for key, m, vals, row in staged:
            w.writerow([key, m, *["" if vals[c] is None else vals[c] for c in cols]])


def tree(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


def mtimes(root):
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in Path(root).rglob("*") if p.is_file()}


def assert_tables_equal(got, want):
    assert sorted(got) == sorted(want)
    for m in want:
        g, w = got[m]["rows"], want[m]["rows"]
        assert len(g) == len(w), f"month {m}: {len(g)} rows, expected {len(w)}"
        for i, (a, b) in enumerate(zip(g, w)):
            assert a == b, f"month {m} row {i}: {a} != {b}"


# --- apply against the oracle ----------------------------------------------------------------

@pytest.mark.parametrize("seed", range(12))
def test_apply_equals_the_oracle_on_parquet(tmp_path, seed):
    rng = random.Random(seed)
    n = [3, 6, 12, 36][seed % 4]
    text_keys, fixed = seed % 3 == 1, seed % 2 == 1
    accounts = 60
    table = make_table(rng, accounts, MONTHS, n)
    if text_keys:
        for part in table.values():
            for r in part["rows"]:
                r["acct"] = f"A{r['acct']:04d}"
    root = tmp_path / "tbl"
    write_parquet_table(root, table, n, text_keys=text_keys, fixed=fixed,
                        compression=["zstd", "snappy", "gzip"][seed % 3])
    staged = make_staging(rng, accounts, n, 40, text_keys=text_keys)
    write_staging(tmp_path / "stage.csv", staged)
    before, before_mtime = tree(root), mtimes(root)
    kept, _ = dedup(staged, "last")
    want = oracle_apply(table, kept, n, {"bal_history": "bal", "lim_history": "lim"})
    p = run("history", "apply", "--table", root, "--staging", tmp_path / "stage.csv", "--length", n,
            "--state", tmp_path / "s.db", "--dedup", "last", "--workers", 1 + seed % 3)
    got = read_parquet_table(root)
    assert_tables_equal(got, want)
    # Partitions no value belongs in keep their bytes and their mtime (not rewritten).
    windows = {mt(p) for _, m, _, _ in kept for p in range(mi(m), mi(m) + n)}
    for name, data in tree(root).items():
        month = name.split("/")[0][len("month="):]
        if month not in windows:
            assert data == before[name] and mtimes(root)[name] == before_mtime[name], name
    # The file keeps its list type and compression.
    some = next(iter(sorted(root.iterdir())))
    meta = pq.ParquetFile(some / "part-0.parquet")
    assert str(meta.schema_arrow.field("bal_history").type).startswith("fixed_size_list" if fixed else "list")
    # verify agrees; a second apply changes nothing (the store says done before).
    assert run("history", "verify", "--table", root, "--staging", tmp_path / "stage.csv", "--length", n,
               "--dedup", "last").returncode == 0
    snapshot = tree(root)
    p = run("history", "apply", "--table", root, "--staging", tmp_path / "stage.csv", "--length", n,
            "--state", tmp_path / "s2.db", "--dedup", "last")
    assert tree(root) == snapshot and " 0 rewritten" in p.stderr


@pytest.mark.parametrize("seed", range(4))
def test_apply_equals_the_oracle_on_csv(tmp_path, seed):
    rng = random.Random(100 + seed)
    n = [4, 36][seed % 2]
    table = make_table(rng, 40, MONTHS[:20], n)
    for part in table.values():
        for r in part["rows"]:
            r["acct"] = str(r["acct"])
    root = tmp_path / "tbl"
    write_csv_table(root, table, n)
    staged = [(str(k), m, v, row) for k, m, v, row in make_staging(rng, 40, n, 30, both_columns=seed % 2 == 0)]
    write_staging(tmp_path / "stage.csv", staged, both_columns=seed % 2 == 0)
    kept, _ = dedup(staged, "last")
    mapping = {"bal_history": "bal", "lim_history": "lim"} if seed % 2 == 0 else {"bal_history": "bal"}
    want = oracle_apply(table, kept, n, mapping)
    run("history", "apply", "--table", root, "--staging", tmp_path / "stage.csv", "--length", n,
        "--state", tmp_path / "s.db", "--dedup", "last")
    assert_tables_equal(read_csv_table(root), want)


def small_table(tmp_path, rows_by_month, n=4):
    """{month: [(acct, status, ts, bal)]} as a Parquet table with one array column."""
    root = tmp_path / "tbl"
    for m, rows in rows_by_month.items():
        d = root / f"month={m}"
        d.mkdir(parents=True)
        pq.write_table(pa.table({"acct": pa.array([r[0] for r in rows], pa.int64()),
                                 "status": [r[1] for r in rows], "ts": pa.array([r[2] for r in rows], pa.int64()),
                                 "bal_history": pa.array([r[3] for r in rows], pa.list_(pa.float64()))}),
                       d / "part-0.parquet")
    return root


def test_the_public_implementations_bugs(tmp_path):
    """Two late months of an account with no rows in them, a null staged, gaps kept, scalars
    of later rows untouched (their time never moves backwards)."""
    root = small_table(tmp_path, {
        "2024-01": [(1, "open", 100, [1.0, None, None, None])],
        "2024-02": [(1, "open", 200, [2.0, 1.0, None, None])],
        "2024-03": [(1, "late", 300, [3.0, 2.0, 1.0, None])],
        "2024-04": [(1, "late", 400, [4.0, 3.0, 2.0, 1.0]), (7, "open", 401, [9.0, None, None, None])],
    })
    (tmp_path / "s.csv").write_text("acct,month,bal\n7,2024-02,72\n7,2024-03,73\n1,2024-02,\n")
    run("history", "apply", "--table", root, "--staging", tmp_path / "s.csv", "--length", 4,
        "--state", tmp_path / "s.db")
    got = read_parquet_table(root)
    rows = {m: {r["acct"]: r for r in got[m]["rows"]} for m in got}
    # the new rows for months m (2024-02 and 2024-03), each holding the other late month
    assert rows["2024-02"][7] == {"acct": 7, "status": None, "ts": None, "bal_history": [72.0, None, None, None]}
    assert rows["2024-03"][7]["bal_history"] == [73.0, 72.0, None, None]
    # index 0 of a later row untouched; the late months at 1 and 2
    assert rows["2024-04"][7] == {"acct": 7, "status": "open", "ts": 401, "bal_history": [9.0, 73.0, 72.0, None]}
    # a staged null is placed as a null (not "no value"): 2024-02's value gone everywhere
    assert rows["2024-02"][1]["bal_history"] == [None, 1.0, None, None]
    assert rows["2024-03"][1] == {"acct": 1, "status": "late", "ts": 300, "bal_history": [3.0, None, 1.0, None]}
    assert rows["2024-04"][1]["bal_history"] == [4.0, 3.0, None, 1.0]
    assert rows["2024-01"][1]["bal_history"] == [1.0, None, None, None]  # before the window


def test_verify_finds_what_is_missing_and_names_it(tmp_path):
    root = small_table(tmp_path, {"2024-01": [(1, "a", 1, [1.0, None])], "2024-02": [(1, "a", 2, [2.0, 1.0])]})
    (tmp_path / "s.csv").write_text("acct,month,bal\n1,2024-01,5\n2,2024-02,6\n")
    p = run("history", "verify", "--table", root, "--staging", tmp_path / "s.csv", "--length", 2, check=False)
    assert p.returncode == 1
    assert "month=2024-01 key 1: bal_history[0] holds 1.000000, not what row 1 stages for 2024-01" in p.stdout
    assert "month=2024-02 key 1: bal_history[1] holds 1.000000, not what row 1 stages for 2024-01" in p.stdout
    assert "month=2024-02 key 2: no row for the value staged for this month (row 2)" in p.stdout
    assert "3 misplaced: FAIL" in p.stdout
    run("history", "apply", "--table", root, "--staging", tmp_path / "s.csv", "--length", 2, "--state", tmp_path / "st.db")
    p = run("history", "verify", "--table", root, "--staging", tmp_path / "s.csv", "--length", 2)
    assert "0 misplaced: ok" in p.stdout


def test_dry_run_lists_and_writes_nothing(tmp_path):
    root = small_table(tmp_path, {"2024-01": [(1, "a", 1, [1.0, None])], "2024-02": [(1, "a", 2, [2.0, 1.0])],
                                  "2024-03": [(1, "a", 3, [3.0, 2.0])]})
    (tmp_path / "s.csv").write_text("acct,month,bal\n1,2024-02,5\n9,2024-03,6\n")
    before = tree(root)
    p = run("history", "apply", "--table", root, "--staging", tmp_path / "s.csv", "--length", 2, "--dry-run")
    assert "month=2024-02  1 rows, 1 would change, 0 new, 1 values" in p.stdout
    assert "month=2024-03  1 rows, 2 would change, 1 new, 2 values" in p.stdout
    assert "month=2024-01" not in p.stdout
    assert tree(root) == before and not (tmp_path / "state.db").exists()


def test_the_store_records_each_partition_and_its_audit(tmp_path):
    root = small_table(tmp_path, {"2024-01": [(1, "a", 1, [1.0, None])], "2024-02": [(1, "a", 2, [2.0, 1.0])]})
    (tmp_path / "s.csv").write_text("acct,month,bal\n1,2024-01,5\n3,2024-02,7\n")
    run("history", "apply", "--table", root, "--staging", tmp_path / "s.csv", "--length", 2,
        "--state", tmp_path / "s.db", "--id", "late-jan")
    db = sqlite3.connect(tmp_path / "s.db")
    parts = db.execute("SELECT partition, status, rows_in, rows_out FROM partitions WHERE id='late-jan' "
                       "ORDER BY partition").fetchall()
    assert parts == [(19723, "COMPLETE", 1, 1), (19754, "COMPLETE", 1, 2)]  # 2024-01-01, 2024-02-01
    audit = db.execute("SELECT partition, rows_changed, values_placed, new_rows FROM history_audit "
                       "ORDER BY partition").fetchall()
    assert audit == [(19723, 1, 1, 0), (19754, 2, 2, 1)]
    st = run("status", "--state", tmp_path / "s.db").stdout
    assert "backfill late-jan: 2 partitions: 2 COMPLETE" in st


# --- roll ------------------------------------------------------------------------------------

def test_roll_against_the_oracle(tmp_path):
    rng = random.Random(7)
    n = 5
    table = make_table(rng, 30, MONTHS[:6], n)
    root = tmp_path / "tbl"
    write_parquet_table(root, table, n, fixed=True)
    inp = tmp_path / "in.csv"
    keys = sorted(rng.sample(range(35), 20))
    vals = {k: (None if rng.random() < 0.2 else round(rng.uniform(0, 10), 2)) for k in keys}
    inp.write_text("acct,bal\n" + "".join(f"{k},{'' if v is None else v}\n" for k, v in vals.items()))
    run("history", "roll", "--table", root, "--month", MONTHS[6], "--input", inp, "--length", n)
    got = read_parquet_table(root)[MONTHS[6]]["rows"]
    prev = table[MONTHS[5]]["rows"]
    want = []
    for r in prev:
        def shift(a, new):
            if a is None and new is None and r["acct"] not in vals:
                return None
            a = a or [None] * n
            return [new] + a[:n - 1]
        want.append({"acct": r["acct"], "status": r["status"], "ts": r["ts"],
                     "bal_history": shift(r["bal_history"], vals.get(r["acct"])),
                     "lim_history": None if r["lim_history"] is None else [None] + r["lim_history"][:n - 1]})
    old = {r["acct"] for r in prev}
    for k in keys:
        if k not in old:
            want.append({"acct": k, "status": None, "ts": None, "bal_history": [vals[k]] + [None] * (n - 1),
                         "lim_history": [None] * n})
    assert got == want
    assert sorted(tree(root)) == sorted(f"month={m}/part-0.parquet" for m in MONTHS[:7])


# --- bad input: one line, exit 2, nothing written ----------------------------------------------

def bad_case(tmp_path, staging, extra=(), table=None):
    root = small_table(tmp_path, table or {"2024-01": [(1, "a", 1, [1.0, None])], "2024-02": [(1, "a", 2, [2.0, 1.0])]})
    (tmp_path / "s.csv").write_text(staging)
    before = tree(root)
    p = run("history", "apply", "--table", root, "--staging", tmp_path / "s.csv", "--length", 2,
            "--state", tmp_path / "s.db", *extra, check=False)
    assert tree(root) == before
    return p


@pytest.mark.parametrize("staging,extra,message", [
    ("acct,month,bal\n1,2024-01,5\n2,2024-01,6\n1,2024-01,7\n", [],
     "s.csv: rows 1 and 3 stage two values for key '1' and month 2024-01 (--dedup last keeps the later row)"),
    ("acct,month,bal\n1,2024-13,5\n", [], "s.csv, row 1 (line 2), column 'month': cannot read '2024-13' as a month YYYY-MM"),
    ("acct,month,bal\nx,2024-01,5\n", [], "s.csv, row 1 (line 2), column 'acct': 'x' is not an integer key (the table's keys are integers)"),
    ("acct,month,bal\n1,2024-01,abc\n", [], "s.csv, row 1 (line 2), column 'bal': 'abc' is not a number"),
    ("id,month,bal\n1,2024-01,5\n", [], "--key: "),
    ("acct,month,volume\n1,2024-01,5\n", [], "--column: the staged column 'volume' goes to 'volume_history', which the table does not have"),
    ("acct,month,bal\n1,2024-01,5\n", ["--column", "status=bal"], "column 'status': named as an array column, but it is string"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, staging, extra, message):
    p = bad_case(tmp_path, staging, extra)
    assert p.returncode in (1, 2), p.stderr
    assert message in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) <= 2, p.stderr


def test_an_array_of_the_wrong_length_fails_its_partitions_naming_the_row(tmp_path):
    p = bad_case(tmp_path, "acct,month,bal\n1,2024-01,5\n", ["--length", "3"])
    assert p.returncode == 1
    assert "month=2024-01 FAILED: " in p.stderr and "month=2024-02 FAILED: " in p.stderr
    assert "month=2024-01/part-0.parquet, row 1, column 'bal_history': an array of 2 elements; --length is 3" in p.stderr
    assert "0 rewritten, 2 FAILED" in p.stderr


def test_a_fixed_size_list_of_another_length_is_refused_before_anything_is_written(tmp_path):
    root = tmp_path / "tbl"
    for m in ("2024-01", "2024-02"):
        (root / f"month={m}").mkdir(parents=True)
        pq.write_table(pa.table({"acct": pa.array([1], pa.int64()),
                                 "bal_history": pa.array([[1.0, 2.0]], pa.list_(pa.float64(), 2))}),
                       root / f"month={m}" / "part-0.parquet")
    (tmp_path / "s.csv").write_text("acct,month,bal\n1,2024-01,5\n")
    before = tree(root)
    p = run("history", "apply", "--table", root, "--staging", tmp_path / "s.csv", "--length", 3,
            "--state", tmp_path / "s.db", check=False)
    assert p.returncode == 2 and "column 'bal_history': a fixed-size list of 2; --length is 3" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and tree(root) == before


def test_months_outside_every_window_are_reported(tmp_path):
    p = bad_case(tmp_path, "acct,month,bal\n1,2019-01,5\n1,2030-02,6\n1,2030-02,7\n", ["--dedup", "last"])
    assert p.returncode == 0
    assert "nothing to do for staged months whose window [m, m+1] holds no partition" in p.stderr
    assert "2019-01 (1 rows), 2030-02 (2 rows)" in p.stderr


# --- faults ----------------------------------------------------------------------------------

def test_kill_9_and_rerun_give_the_same_bytes(tmp_path):
    rng = random.Random(3)
    n = 36
    table = make_table(rng, 3000, MONTHS[:24], n)
    ref, work = tmp_path / "ref", tmp_path / "work"
    write_parquet_table(ref, table, n)
    write_parquet_table(work, table, n)
    staged = [(a, MONTHS[rng.randrange(4)], {"bal": float(a), "lim": None}, i + 1)
              for i, a in enumerate(rng.sample(range(3000), 600))]
    write_staging(tmp_path / "s.csv", staged)
    args = ["--staging", tmp_path / "s.csv", "--length", n]
    run("history", "apply", "--table", ref, *args, "--state", tmp_path / "ref.db")
    want = tree(ref)
    killed = 0
    for attempt in range(6):
        proc = subprocess.Popen([EXE, "history", "apply", "--table", str(work), *map(str, args), "--state",
                                 str(tmp_path / "w.db"), "--workers", "2"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.05 + 0.1 * attempt)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        # Every visible partition is whole: readable, with its rows.
        for d in work.iterdir():
            if not d.name.startswith("."):
                pq.read_table(d / "part-0.parquet")
    run("history", "apply", "--table", work, *args, "--state", tmp_path / "w.db", "--workers", "2")
    assert killed > 0
    got = tree(work)
    assert {k: v for k, v in got.items() if "/." not in k and not k.startswith(".")} == want
    assert all("tsfill-tmp" not in k for k in got)
