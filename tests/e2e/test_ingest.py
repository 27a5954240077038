"""tsfill ingest, with real processes, a real SQLite store and real files landing in a directory.

The reference after every round is `tsfill fill` of the current readable files (path order):
the output must equal it byte for byte, partitions no new or changed file touched must keep
their file (inode and mtime), and a kill -9 at any moment followed by another round must
give the same output as no crash.
"""
import csv
import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from conftest import ROOT

EXE = str(Path(os.environ.get("TSFILL_BIN", ROOT / "build" / "release" / "examples" / "tsfill")).resolve())
JOB = ["--keys", "ticker", "--slot", "1h"]
DAY0 = 19783  # 2024-03-01


def run(*args, check=True):
    p = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"tsfill {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


def tree(root):
    # (polled while `ingest --watch` runs, a hidden copy can be renamed into place between the
    # listing and the reading of its files: the listing is then taken again)
    root = Path(root)
    for _ in range(100):
        if not root.exists():
            return {}
        try:
            return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
                    if p.is_file() and not p.name.endswith(".db")}
        except FileNotFoundError:
            continue
    raise AssertionError(f"{root}: files kept vanishing while it was read")


def stamps(root):
    """{partition file: (inode, mtime_ns)}"""
    return {str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in Path(root).rglob("part-0.*")}


def hidden(root):
    return [str(p) for p in Path(root).rglob("*") if p.name.startswith((".", "_"))]


def write_rows(path, rows):
    with open(path, "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["date", "ticker", "vol", "size"])
        for r in rows:
            w.writerow(r)


def day_rows(rng, days, keys, n=12):
    rows = []
    for _ in range(n):
        day = DAY0 + rng.choice(days)
        t = day * 86400 + rng.randrange(0, 86400)
        rows.append([time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)), rng.choice(keys),
                     "" if rng.random() < 0.2 else f"{rng.uniform(0, 100):.3f}",
                     str(rng.randrange(1000))])
    return rows


def days_of(path):
    """The days (partitions) a readable file's rows touch."""
    with open(path) as f:
        return {r["date"][:10] for r in csv.DictReader(f)}


BROKEN = [
    "date,ticker,vol,size\n2024-03-02 01:00:00,SPY,1.5\n",             # ragged row
    "date,ticker,vol,size\n2024-03-0x 01:00:00,SPY,1.5,3\n",           # bad timestamp
    "date,ticker,vol,size\n2024-03-02 01:00:00,SPY,1.5,many\n",        # bad number
    "date,ticker,vol,size\n2024-03-02 01:00:00,SPY,\"1.5,3\n",         # open quote
]


class Source:
    """A landing directory and what the test knows of it: which files are readable."""

    def __init__(self, directory, seed, job=JOB):
        self.job = job
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rng = random.Random(seed)
        self.broken = set()
        self.count = 0

    def name(self, prefix="f"):
        self.count += 1
        return f"{prefix}{self.count:04d}.csv"

    def readable(self):
        return sorted(p for p in self.dir.rglob("*.csv")
                      if p.name not in self.broken and not p.name.startswith((".", "_")))

    def files(self):
        return sorted(p.name for p in self.dir.glob("*.csv"))


def oracle(source, tmp, state_dir_name="ref"):
    ref = Path(tmp) / state_dir_name
    if ref.exists():
        subprocess.run(["rm", "-rf", str(ref)], check=True)
    files = source.readable()
    if files:
        run("fill", *files, "--output", ref, *source.job)
    return tree(ref)


def ingest(src, out, state, *extra, check=True):
    return run("ingest", src.dir, "--output", out, "--state", state, *src.job, *extra, check=check)


def partition_of_day(d):
    return f"partition_date={d}/part-0.csv"


def step(source, rng, allow_string_key=True):
    """One random change to the landing directory; returns the days whose partitions it
    touches and whether it makes a file unreadable."""
    keys = ["7", "10", "3"] + (["SPY", "b"] if allow_string_key else [])
    files = source.files()
    kind = rng.choice(["new", "new", "late", "redeliver", "touch", "rewrite", "break", "fix",
                       "delete", "nothing"])
    touched, broken = set(), False
    if kind in ("redeliver", "touch", "rewrite", "break", "delete") and not files:
        kind = "new"
    if kind == "fix" and not source.broken:
        kind = "new"
    if kind == "new":  # a new day (or two)
        p = source.dir / source.name()
        write_rows(p, day_rows(rng, [rng.randrange(0, 12)], keys))
        touched |= days_of(p)
    elif kind == "late":  # rows for old days
        p = source.dir / source.name("late")
        write_rows(p, day_rows(rng, [rng.randrange(0, 12), rng.randrange(0, 12)], keys, n=5))
        touched |= days_of(p)
    elif kind == "redeliver":  # the same content under another name
        old = source.dir / rng.choice(files)
        p = source.dir / source.name("again")
        p.write_bytes(old.read_bytes())
        if old.name in source.broken:
            source.broken.add(p.name)
            broken = True
        else:
            touched |= days_of(p)
    elif kind == "touch":  # mtime moves, content does not
        p = source.dir / rng.choice(files)
        st = p.stat()
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    elif kind == "rewrite":  # new content in place
        p = source.dir / rng.choice(files)
        if p.name not in source.broken:
            touched |= days_of(p)
        source.broken.discard(p.name)
        write_rows(p, day_rows(rng, [rng.randrange(0, 12)], keys))
        touched |= days_of(p)
    elif kind == "break":  # a readable file turns bad: its old days lose its rows
        p = source.dir / rng.choice(files)
        if p.name not in source.broken:
            touched |= days_of(p)
        p.write_text(rng.choice(BROKEN))
        source.broken.add(p.name)
        broken = True
    elif kind == "fix":
        name = sorted(source.broken)[0]
        p = source.dir / name
        write_rows(p, day_rows(rng, [rng.randrange(0, 12)], keys))
        source.broken.discard(name)
        touched |= days_of(p)
    elif kind == "delete":
        p = source.dir / rng.choice(files)
        if p.name not in source.broken:
            touched |= days_of(p)
        source.broken.discard(p.name)
        p.unlink()
    return kind, touched, broken


@pytest.mark.parametrize("seed", range(6))
def test_rounds_equal_one_fill_and_leave_untouched_partitions_alone(tmp_path, seed):
    """Random rounds: new days, late files, re-deliveries, touches, rewrites in place, broken
    files and their fixes, deletions and rounds with nothing new. After every round the
    output equals a fill of the current readable files, and every partition no change
    touched keeps its file (same inode, same mtime)."""
    rng = random.Random(seed)
    source = Source(tmp_path / "landing", seed)
    out, state = tmp_path / "out", tmp_path / "state.db"
    # Integer-looking keys first: a later string key changes every partition's order.
    for r in range(14):
        before = stamps(out) if out.exists() else {}
        kind, touched, broken = step(source, rng, allow_string_key=r >= 8)
        p = ingest(source, out, state, check=False)
        assert p.returncode == (1 if broken else 0), (r, kind, p.returncode, p.stderr)
        assert tree(out) == oracle(source, tmp_path), f"seed {seed} round {r} ({kind}): {p.stderr}"
        assert hidden(out) == []
        kinds_moved = "kind changed" in p.stderr
        after = stamps(out)
        for f, st in before.items():
            day = f.split("=")[1][:10]
            if day not in touched and f in after and not kinds_moved:
                assert after[f] == st, f"seed {seed} round {r} ({kind}): {f} rewritten"


@pytest.mark.parametrize("seed", range(3))
def test_rounds_with_carry_in_equal_one_fill(tmp_path, seed):
    """With --carry-in a late file changes the values carried into every later day: the
    round recomputes from the first touched day on; earlier partitions keep their files."""
    rng = random.Random(100 + seed)
    source = Source(tmp_path / "landing", seed, job=[*JOB, "--carry-in"])
    out, state = tmp_path / "out", tmp_path / "state.db"
    for r in range(10):
        before = stamps(out) if out.exists() else {}
        kind, touched, broken = step(source, rng)
        p = ingest(source, out, state, check=False)
        assert p.returncode == (1 if broken else 0), (r, kind, p.stderr)
        assert tree(out) == oracle(source, tmp_path), f"seed {seed} round {r} ({kind}): {p.stderr}"
        after = stamps(out)
        for f, st in before.items():
            day = f.split("=")[1][:10]
            if touched and day < min(touched) and f in after and "kind changed" not in p.stderr:
                assert after[f] == st, f"seed {seed} round {r} ({kind}): {f} rewritten"


def test_scenario_from_the_issue(tmp_path):
    """The named rounds: new days, a late file for an old day, a file re-delivered under
    another name, a file only touched, a file rewritten in place, a broken file later fixed,
    and a round with nothing new."""
    rng = random.Random(7)
    source = Source(tmp_path / "landing", 7)
    out, state = tmp_path / "out", tmp_path / "state.db"

    def check(expect_status=0, written=None):
        p = ingest(source, out, state, check=False)
        assert p.returncode == expect_status, p.stderr
        assert tree(out) == oracle(source, tmp_path)
        if written is not None:
            assert f"{written} partitions written" in p.stderr, p.stderr
        return p

    for d in range(3):  # three days
        write_rows(source.dir / f"day{d}.csv", day_rows(rng, [d], ["SPY", "QQQ"]))
    check(written=3)
    write_rows(source.dir / "late.csv", day_rows(rng, [1], ["SPY"], n=3))  # late, for day 1
    before = stamps(out)
    check(written=1)
    after = stamps(out)
    assert after[partition_of_day("2024-03-01")] == before[partition_of_day("2024-03-01")]
    assert after[partition_of_day("2024-03-02")] != before[partition_of_day("2024-03-02")]
    (source.dir / "day0-again.csv").write_bytes((source.dir / "day0.csv").read_bytes())
    p = check()  # re-delivered: the same rows, deduplicated: the partition's bytes stay
    assert "1 new" in p.stderr
    st = (source.dir / "day2.csv").stat()
    os.utime(source.dir / "day2.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    before = stamps(out)
    p = check(written=0)
    assert "1 touched only" in p.stderr and stamps(out) == before
    write_rows(source.dir / "day2.csv", day_rows(rng, [2, 3], ["SPY"]))  # rewritten in place
    check()
    (source.dir / "bad.csv").write_text(BROKEN[0])
    source.broken.add("bad.csv")
    p = check(expect_status=1, written=0)
    assert "bad.csv, row 1 (line 2)" in p.stderr and "FAILED" in p.stderr
    p = check(written=0)  # nothing new: the bad file is not read again until it changes
    assert "0 new, 0 changed" in p.stderr
    write_rows(source.dir / "bad.csv", day_rows(rng, [4], ["QQQ"]))
    source.broken.discard("bad.csv")
    check(written=1)
    files = {r[0]: r for r in sqlite3.connect(state).execute(
        "SELECT path, status, error, rows FROM files")}
    assert files["bad.csv"][1] == "COMPLETE" and files["bad.csv"][2] == ""
    assert set(files) == {"day0.csv", "day1.csv", "day2.csv", "late.csv", "day0-again.csv",
                          "bad.csv"}
    parts = sqlite3.connect(state).execute(
        "SELECT COUNT(*) FROM file_partitions WHERE path = 'day2.csv'").fetchone()[0]
    assert parts == 2  # its rewritten content spans two days


def test_parquet_files_land_too(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    source = Source(tmp_path / "landing", 3)
    rng = random.Random(3)
    out, state = tmp_path / "out", tmp_path / "state.db"
    for d in range(3):
        rows = day_rows(rng, [d], ["SPY", "QQQ"])
        table = pa.table({"date": [r[0] for r in rows], "ticker": [r[1] for r in rows],
                          "vol": [float(r[2]) if r[2] else None for r in rows],
                          "size": [int(r[3]) for r in rows]})
        pq.write_table(table, source.dir / f"d{d}.parquet")
        ingest(source, out, state)
        ref = tmp_path / "ref"
        subprocess.run(["rm", "-rf", str(ref)], check=True)
        run("fill", source.dir, "--output", ref, *JOB)
        assert tree(out) == tree(ref)
    (source.dir / "d3.parquet").write_bytes(b"PAR1 truncated")
    p = ingest(source, out, state, check=False)
    assert p.returncode == 1 and "d3.parquet" in p.stderr


def test_dry_run_lists_and_writes_nothing(tmp_path):
    rng = random.Random(1)
    source = Source(tmp_path / "landing", 1)
    out, state = tmp_path / "out", tmp_path / "state.db"
    write_rows(source.dir / "a.csv", day_rows(rng, [0, 1], ["SPY"]))
    p = ingest(source, out, state, "--dry-run")
    assert not out.exists() and not state.exists()
    assert "a.csv: 12 rows in 2 partitions" in p.stdout and "2024-03-01" in p.stdout
    ingest(source, out, state)
    write_rows(source.dir / "b.csv", day_rows(rng, [5], ["SPY"], n=4))
    before_tree, before_db = tree(out), state.read_bytes()
    p = ingest(source, out, state, "--dry-run")
    assert "b.csv: 4 rows in 1 partitions" in p.stdout and "a.csv" not in p.stdout
    assert tree(out) == before_tree and state.read_bytes() == before_db


def test_pattern_and_modified_window(tmp_path):
    rng = random.Random(2)
    source = Source(tmp_path / "landing", 2)
    out, state = tmp_path / "out", tmp_path / "state.db"
    write_rows(source.dir / "keep-1.csv", day_rows(rng, [0], ["SPY"]))
    write_rows(source.dir / "skip-1.csv", day_rows(rng, [1], ["SPY"]))
    (source.dir / "sub").mkdir()
    write_rows(source.dir / "sub" / "keep-2.csv", day_rows(rng, [2], ["SPY"]))
    write_rows(source.dir / "_hidden.csv", day_rows(rng, [3], ["SPY"]))
    p = ingest(source, out, state, "--pattern", "keep-*.csv")
    assert "2 new" in p.stderr
    ref = tmp_path / "ref"
    run("fill", source.dir / "keep-1.csv", source.dir / "sub" / "keep-2.csv", "--output", ref, *JOB)
    assert tree(out) == tree(ref)
    # Files outside the window are not taken; those already taken are not "gone".
    future = "2099-01-01"
    p = ingest(source, out, state, "--pattern", "keep-*.csv", "--modified-after", future)
    assert "0 new" in p.stderr and "0 gone" in p.stderr and tree(out) == tree(ref)
    os.utime(source.dir / "skip-1.csv", (1_000_000_000, 1_000_000_000))  # 2001
    p = ingest(source, out, state, "--pattern", "*.csv", "--modified-before", "2002-01-01")
    assert "1 new" in p.stderr and "partition_date=2024-03-02/part-0.csv" in tree(out)


def test_refusals_name_the_flag(tmp_path):
    source = Source(tmp_path / "landing", 1)
    write_rows(source.dir / "a.csv", day_rows(random.Random(1), [0], ["SPY"]))
    out, state = tmp_path / "out", tmp_path / "state.db"
    cases = [
        (["--grid", "range:2024-03-01/2024-03-05"], "--grid"),
        (["--unique", "ticker"], "--unique"),
        (["--once", "--watch", "5"], "--watch"),
        (["--watch", "soon"], "--watch"),
        (["--modified-after", "yesterday"], "--modified-after"),
        (["--workers", "0"], "--workers"),
        (["--pattern", ""], "--pattern"),
    ]
    for extra, flag in cases:
        p = ingest(source, out, state, *extra, check=False)
        assert p.returncode == 2 and p.stderr.startswith(f"tsfill: {flag}"), (extra, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1
    p = run("ingest", source.dir, "--output", tmp_path / "o.csv", "--state", state, *JOB, check=False)
    assert p.returncode == 2 and "--output" in p.stderr
    p = run("ingest", source.dir / "a.csv", "--output", out, "--state", state, *JOB, check=False)
    assert p.returncode == 2 and "not a directory" in p.stderr
    assert not out.exists() and not state.exists()


def test_schema_is_fixed_at_the_first_write(tmp_path):
    """The value columns are those of the first round: a later file's extra column is left
    out with a notice naming it; a file lacking a value column contributes nulls there, with
    a notice; a new --id starts over with the columns its first files have."""
    rng = random.Random(4)
    source = Source(tmp_path / "landing", 4)
    out, state = tmp_path / "out", tmp_path / "state.db"
    write_rows(source.dir / "a.csv", day_rows(rng, [0], ["SPY"]))
    ingest(source, out, state)
    (source.dir / "b.csv").write_text("date,ticker,vol,size,extra\n2024-03-02 01:00:00,SPY,1,2,3\n")
    p = ingest(source, out, state)
    assert "b.csv: column 'extra' is left out" in p.stderr
    ref = tmp_path / "ref"
    run("fill", source.dir, "--output", ref, *JOB, "--values", "vol,size")
    assert tree(out) == tree(ref)
    (source.dir / "c.csv").write_text("date,ticker,vol,note\n2024-03-03 01:00:00,SPY,1,x\n"
                                      "2024-03-03 03:00:00,SPY,2,y\n")
    p = ingest(source, out, state)
    assert "c.csv: has no column 'size' of the dataset: its rows are null there" in p.stderr
    assert "note" in p.stderr
    got = (out / "partition_date=2024-03-03" / "part-0.csv").read_text().splitlines()
    assert got[0] == "ticker,slot_ts,vol,size,vol_bf,size_bf"
    assert got[1] == "SPY,2024-03-03 01:00:00,1,,1," and got[3] == "SPY,2024-03-03 03:00:00,2,,2,"
    # A new --id is a new dataset: its first files fix its columns (only vol: c.csv lacks size).
    out2 = tmp_path / "out2"
    run("ingest", source.dir, "--output", out2, "--state", state, "--id", "again", *JOB)
    ref2 = tmp_path / "ref2"
    run("fill", source.dir, "--output", ref2, *JOB, "--values", "vol")
    assert tree(out2) == tree(ref2)
    assert "size" not in (out2 / "partition_date=2024-03-03" / "part-0.csv").read_text()


def test_second_process_on_one_store_is_refused(tmp_path):
    rng = random.Random(5)
    source = Source(tmp_path / "landing", 5)
    out, state = tmp_path / "out", tmp_path / "state.db"
    for d in range(3):
        write_rows(source.dir / f"d{d}.csv", day_rows(rng, [d], ["SPY"]))
    first = subprocess.Popen([EXE, "ingest", str(source.dir), "--output", str(out), "--state",
                              str(state), *JOB, "--watch", "30"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 20
        while time.time() < deadline and len(stamps(out) if out.exists() else {}) < 3:
            time.sleep(0.05)
        p = ingest(source, out, state, check=False)
        assert p.returncode == 3 and f"process {first.pid}" in p.stderr, p.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=20) == 0


def test_watch_follows_new_files_and_stops_cleanly_on_sigterm(tmp_path):
    rng = random.Random(6)
    source = Source(tmp_path / "landing", 6)
    out, state = tmp_path / "out", tmp_path / "state.db"
    proc = subprocess.Popen([EXE, "ingest", str(source.dir), "--output", str(out), "--state",
                             str(state), *JOB, "--watch", "0.3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for d in range(4):
            # A file written slowly, in pieces: it waits while it grows, then lands whole.
            path = source.dir / f"d{d}.csv"
            rows = day_rows(rng, [d], ["SPY", "QQQ"], n=30)
            with open(path, "w") as f:
                f.write("date,ticker,vol,size\n")
                for i, r in enumerate(rows):
                    f.write(",".join(r) + "\n")
                    if i % 10 == 5:
                        f.write(r[0][:7])  # half a row ...
                        f.flush()
                        time.sleep(0.05)
                        f.write(r[0][7:] + "," + ",".join(r[1:]) + "\n")  # ... finished
            want = oracle(source, tmp_path)
            deadline = time.time() + 30
            while time.time() < deadline and tree(out) != want:
                time.sleep(0.1)
            assert tree(out) == want, f"file {d}"
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
    err = proc.stderr.read()
    assert rc == 0, err
    assert "stopped by signal 15" in err
    assert hidden(out) == []
    db = sqlite3.connect(state)
    assert db.execute("SELECT COUNT(*) FROM partitions WHERE status != 'COMPLETE'").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM files WHERE status = 'COMPLETE'").fetchone()[0] == 4


def test_kill_nine_in_a_round_then_a_round_equals_no_crash(tmp_path):
    """kill -9 at random moments of rounds over many files; the next round (no kill) must
    leave the output equal to a fill of the files, and nothing hidden behind."""
    rng = random.Random(11)
    source = Source(tmp_path / "landing", 11, job=["--keys", "ticker", "--slot", "1min"])
    out, state = tmp_path / "out", tmp_path / "state.db"
    keys = [f"K{i}" for i in range(40)]
    landed = 0
    took = 0.2  # the last uninterrupted round's time: kills fall within it
    for r in range(10):
        for _ in range(6):  # a batch of new and late files per round
            write_rows(source.dir / source.name(), day_rows(rng, [rng.randrange(0, 30)], keys, n=400))
        if r % 3 == 2:  # and a rewrite in place
            write_rows(source.dir / rng.choice(source.files()), day_rows(rng, [rng.randrange(0, 30)], keys, n=400))
        proc = subprocess.Popen([EXE, "ingest", str(source.dir), "--output", str(out), "--state",
                                 str(state), *source.job, "--workers", "2"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, took))
        proc.kill()
        landed += proc.wait() == -signal.SIGKILL
        started = time.time()
        ingest(source, out, state)
        took = max(0.05, time.time() - started)
        assert tree(out) == oracle(source, tmp_path), f"round {r}"
        assert hidden(out) == []
    assert landed >= 5  # most kills landed while the round ran


def test_status_shows_the_files(tmp_path):
    rng = random.Random(8)
    source = Source(tmp_path / "landing", 8)
    out, state = tmp_path / "out", tmp_path / "state.db"
    write_rows(source.dir / "a.csv", day_rows(rng, [0], ["SPY"]))
    (source.dir / "b.csv").write_text(BROKEN[1])
    ingest(source, out, state, check=False)
    s = json.loads(run("status", "--state", state, "--json").stdout)
    files = s["backfills"][0]["files"]
    assert files["tracked"] == 2 and files["failed"][0]["path"] == "b.csv"
    assert "2024-03-0x" in files["failed"][0]["error"]
    text = run("status", "--state", state).stdout
    assert "files: 2 tracked, 1 FAILED" in text and "b.csv" in text


def test_the_ingest_page_example_runs(tmp_path):
    """docs/commands/ingest.md's example, run by a shell as written (tsfill on PATH, a copy
    of the repo's sample); its output is one fill of the landed file."""
    text = (ROOT / "docs" / "commands" / "ingest.md").read_text()
    block = text[text.index("## Example"):]
    block = block[block.index("```sh") + 5:]
    block = block[:block.index("```")]
    (tmp_path / "examples" / "data").mkdir(parents=True)
    (tmp_path / "examples" / "data" / "silver_sample.csv").write_bytes(
        (ROOT / "examples" / "data" / "silver_sample.csv").read_bytes())
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tsfill").symlink_to(EXE)
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    p = subprocess.run(["bash", "-euc", block], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert "files: 1 tracked, 0 FAILED" in p.stdout
    ref = tmp_path / "ref"
    run("fill", tmp_path / "landing", "--output", ref, "--keys", "ticker_tk,days")
    assert tree(tmp_path / "live") == tree(ref)


def test_output_and_store_inside_the_source_are_not_inputs(tmp_path):
    """An output directory and a store inside SRC_DIR are never taken as input; a link to a
    file is that file (a link to a directory is not followed, as fill does)."""
    rng = random.Random(9)
    source = Source(tmp_path / "landing", 9)
    write_rows(tmp_path / "elsewhere.csv", day_rows(rng, [1], ["SPY"]))
    write_rows(source.dir / "a.csv", day_rows(rng, [0], ["SPY"]))
    (source.dir / "linked.csv").symlink_to(tmp_path / "elsewhere.csv")
    (tmp_path / "dir").mkdir()
    write_rows(tmp_path / "dir" / "x.csv", day_rows(rng, [2], ["SPY"]))
    (source.dir / "linked-dir").symlink_to(tmp_path / "dir")
    out, state = source.dir / "gold", source.dir / "state.db"
    for _ in range(2):
        p = ingest(source, out, state)
    assert "0 new, 0 changed" in p.stderr  # the second round: its own output is no input
    ref = tmp_path / "ref"
    run("fill", source.dir / "a.csv", source.dir / "linked.csv", "--output", ref, *JOB)
    assert tree(out) == tree(ref)
