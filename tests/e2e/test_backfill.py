"""tsfill backfill and tsfill status, with real processes, a real SQLite store and real files.

The reference for every backfill is `tsfill fill` of the same input into a directory: the
backfill must write the same files byte for byte, whatever the chunking, the workers, the
carry-in, a kill -9 at any moment and the resume after it.
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
JOB = ["--keys", "ticker,tenor", "--slot", "30min"]


def make_input(directory, days=10, files=3, keys=6, rows_per_day=120, seed=1, dup_day=None,
               one_per_slot=False):
    """Rows spread over `files` CSV files in random order: string keys (some integer-looking,
    so one file alone might read them as integers), nulls, duplicates within slots."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    tickers = ["SPY", "QQQ", "7", "10", "IWM", "b"][:keys]
    rows = []
    for d in range(days):
        day = 19783 + d  # 2024-03-01
        for i in range(rows_per_day):
            t = day * 86400 + rng.randrange(8 * 3600, 17 * 3600)
            ticker, tenor = rng.choice(tickers), rng.choice([30, 60])
            if one_per_slot:  # at most one row per key and 30-minute slot
                ticker, tenor = tickers[i % len(tickers)], [30, 60][i // len(tickers) % 2]
                t = day * 86400 + 8 * 3600 + (i // (2 * len(tickers))) * 1800 + rng.randrange(1800)
            rows.append([t, ticker, tenor,
                         "" if rng.random() < 0.2 else f"{rng.uniform(0, 1):.6f}",
                         "" if rng.random() < 0.3 else str(rng.randrange(100))])
        if dup_day == d:  # two rows at one instant: --dedup reject refuses this day
            t = day * 86400 + 10 * 3600
            rows.append([t, "SPY", 30, "0.5", "1"])
            rows.append([t, "SPY", 30, "0.6", "2"])
    rng.shuffle(rows)
    paths = []
    for f in range(files):
        p = directory / f"part-{f:02d}.csv"
        with open(p, "w", newline="") as out:
            w = csv.writer(out)
            w.writerow(["date", "ticker", "tenor", "vol", "size"])
            for r in rows[f::files]:
                w.writerow([time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(r[0])), *r[1:]])
        paths.append(p)
    return paths


def tree(root):
    """{relative path: bytes} of every file under root (hidden ones included)."""
    root = Path(root)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def hidden(root):
    return [str(p) for p in Path(root).rglob("*") if p.name.startswith((".", "_"))]


def run(*args, check=True):
    p = subprocess.run([EXE, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"tsfill {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


def status(state, *extra):
    return json.loads(run("status", "--state", state, "--json", *extra).stdout)


def reference(inputs, out, *job):
    run("fill", *inputs, "-o", out, "-q", *job)
    return tree(out)


@pytest.mark.parametrize("chunk", [1, 3, 7])
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("carry", [False, True])
def test_backfill_equals_fill(tmp_path, chunk, workers, carry):
    inputs = make_input(tmp_path / "in", seed=chunk * 10 + workers)
    job = JOB + (["--carry-in"] if carry else [])
    want = reference(inputs, tmp_path / "fill", *job)
    p = run("backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db",
            "--chunk-days", chunk, "--workers", workers, *job)
    assert tree(tmp_path / "bf") == want
    assert "10 COMPLETE, 0 FAILED" in p.stderr
    st = status(tmp_path / "s.db")
    assert [x["status"] for x in st["partitions"]] == ["COMPLETE"] * 10
    assert all(x["checksum"].startswith("x64:") and x["rows_out"] > 0 for x in st["partitions"])


@pytest.mark.parametrize("extra", [["--tz", "America/New_York"], ["--fill", "linear", "--dedup", "mean"],
                                   ["--grid", "key", "--values", "vol"], ["--format", "parquet"]])
def test_backfill_equals_fill_with_other_jobs(tmp_path, extra):
    inputs = make_input(tmp_path / "in", days=6, seed=7)
    want = reference(inputs, tmp_path / "fill", *JOB, *extra)
    run("backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db",
        "--chunk-days", 2, "--workers", 2, *JOB, *extra)
    assert tree(tmp_path / "bf") == want


def test_from_to_writes_only_that_range(tmp_path):
    inputs = make_input(tmp_path / "in", seed=3)
    want = reference(inputs, tmp_path / "fill", *JOB, "--carry-in")
    run("backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db",
        "--from", "2024-03-04", "--to", "2024-03-06", *JOB, "--carry-in")
    got = tree(tmp_path / "bf")
    assert sorted(got) == [f"partition_date=2024-03-0{d}/part-0.csv" for d in (4, 5, 6)]
    assert all(got[k] == want[k] for k in got)  # values carried in from before --from


def test_rerun_rewrites_nothing(tmp_path):
    inputs = make_input(tmp_path / "in", seed=4)
    args = ["backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db", *JOB]
    run(*args)

    def stamps():
        return {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (tmp_path / "bf").rglob("*.csv")}
    before = stamps()
    time.sleep(0.05)
    p = run(*args)
    assert "nothing to compute" in p.stderr
    assert stamps() == before
    run(*args, "--reprocess", "all")  # recomputed, same bytes: the files are kept
    assert stamps() == before
    assert [x["attempts"] for x in status(tmp_path / "s.db")["partitions"]] == [2] * 10


def test_kill_at_random_moments_then_resume_gives_the_same_files(tmp_path):
    """kill -9 at seeded random moments; after each kill every visible partition is whole
    (identical to the uninterrupted run's file), and the resumed runs end identical."""
    inputs = make_input(tmp_path / "in", days=30, files=6, keys=6, rows_per_day=3000, seed=5)
    want = reference(inputs, tmp_path / "fill", *JOB)
    def args(out, state):
        return [EXE, "backfill", *map(str, inputs), "-o", str(out), "--state", str(state),
                "--workers", "2", *JOB]
    full = 1e9  # the faster of two uninterrupted runs (a noisy machine)
    for i in range(2):
        t0 = time.monotonic()
        subprocess.run(args(tmp_path / f"timing{i}", tmp_path / f"t{i}.db"), capture_output=True, check=True)
        full = min(full, time.monotonic() - t0)
    rng = random.Random(20261128)
    landed = 0
    for round_ in range(24):
        out, state = tmp_path / f"bf{round_}", tmp_path / f"s{round_}.db"
        for kill in range(1 + round_ % 2):  # odd rounds: killed twice before the resume
            proc = subprocess.Popen(args(out, state), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, full))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            landed += kill == 0 and proc.returncode == -signal.SIGKILL
            got = tree(out) if out.exists() else {}
            for k, v in got.items():
                if not any(part.startswith(".") for part in Path(k).parts):
                    assert v == want[k], f"round {round_}, kill {kill}: {k} is not the uninterrupted run's"
        run(*args(out, state)[1:])
        assert tree(out) == want, f"round {round_}: the resumed output differs"
        assert hidden(out) == []
        assert {x["status"] for x in status(state)["partitions"]} == {"COMPLETE"}
    assert landed >= 8, f"only {landed} of 24 first kills landed while running ({full:.2f} s runs)"


def test_a_second_process_on_the_store_is_refused(tmp_path):
    inputs = make_input(tmp_path / "in", days=30, files=6, rows_per_day=3000, seed=6)
    first = subprocess.Popen([EXE, "backfill", *map(str, inputs), "-o", str(tmp_path / "bf"),
                              "--state", str(tmp_path / "s.db"), *JOB],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stopped = False
    try:
        # As soon as the first holds the store, freeze it there (it keeps its lock).
        deadline = time.monotonic() + 20
        while not stopped:
            try:
                with sqlite3.connect(tmp_path / "s.db") as db:
                    if db.execute("SELECT pid FROM holder").fetchall():
                        first.send_signal(signal.SIGSTOP)
                        stopped = True
            except sqlite3.Error:
                pass
            assert first.poll() is None and time.monotonic() < deadline, "the first never took the store"
        second = run("backfill", *inputs, "-o", tmp_path / "bf2", "--state", tmp_path / "s.db",
                     *JOB, check=False)
        assert second.returncode == 3
        assert f"in use by process {first.pid} (started " in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "bf2").exists()
        assert run("status", "--state", tmp_path / "s.db").returncode == 0  # no lock needed
    finally:
        if stopped:
            first.send_signal(signal.SIGCONT)
        out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert {x["status"] for x in status(tmp_path / "s.db")["partitions"]} == {"COMPLETE"}


def test_a_failing_partition_fails_alone_and_is_redone_when_fixed(tmp_path):
    inputs = make_input(tmp_path / "in", days=5, seed=8, dup_day=2, one_per_slot=True)
    args = ["backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db",
            "--chunk-days", 5, "--retries", 1, *JOB, "--dedup", "reject"]
    p = run(*args, check=False)
    assert p.returncode == 1
    assert "2024-03-03 FAILED after" in p.stderr and "1 partition FAILED" in p.stderr
    st = {x["partition"]: x for x in status(tmp_path / "s.db")["partitions"]}
    assert st["2024-03-03"]["status"] == "FAILED"
    assert "row" in st["2024-03-03"]["error"]  # names the input rows at fault
    assert [st[d]["status"] for d in sorted(st) if d != "2024-03-03"] == ["COMPLETE"] * 4
    assert sorted(tree(tmp_path / "bf")) == [f"partition_date=2024-03-0{d}/part-0.csv" for d in (1, 2, 4, 5)]
    text = run("status", "--state", tmp_path / "s.db").stdout
    assert "FAILED 2024-03-03 after" in text
    # none: a resume leaves FAILED alone; failed: redoes it (still failing here)
    assert "nothing to compute" in run(*args).stderr
    make_input(tmp_path / "in", days=5, seed=8, one_per_slot=True)  # the duplicates are gone
    run(*args, "--reprocess", "failed")
    want = reference(inputs, tmp_path / "fill", *JOB, "--dedup", "reject")
    assert tree(tmp_path / "bf") == want


def test_time_budget_leaves_the_rest_pending(tmp_path):
    inputs = make_input(tmp_path / "in", days=4, seed=9)
    args = ["backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db", *JOB]
    p = run(*args, "--time-budget", "1ns")
    assert "the time budget is spent" in p.stderr
    st = status(tmp_path / "s.db")
    assert {x["status"] for x in st["partitions"]} == {"PENDING"}
    assert st["backfills"][0]["last_outcome"] == "time budget"
    assert "time budget" in run("status", "--state", tmp_path / "s.db").stdout
    run(*args)
    assert {x["status"] for x in status(tmp_path / "s.db")["partitions"]} == {"COMPLETE"}


def test_dry_run_lists_and_writes_nothing(tmp_path):
    inputs = make_input(tmp_path / "in", days=3, seed=10)
    p = run("backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db",
            "--dry-run", *JOB)
    lines = p.stdout.splitlines()
    assert [l.split()[0] for l in lines[2:5]] == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert all(l.split()[1] == "120" and "compute" in l for l in lines[2:5])
    assert "3 partitions to compute, 360 input rows" in p.stdout
    assert not (tmp_path / "bf").exists() and not (tmp_path / "s.db").exists()


def test_usage_errors_name_the_flag_and_write_nothing(tmp_path):
    inputs = make_input(tmp_path / "in", days=2, seed=11)
    base = ["backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db", *JOB]
    for extra, flag in [(["--chunk-days", "0"], "--chunk-days"), (["--workers", "x"], "--workers"),
                        (["--reprocess", "some"], "--reprocess"), (["--from", "2024-13-01"], "--from"),
                        (["--time-budget", "soon"], "--time-budget"), (["--grid", "range:2024-03-01/2024-03-02"], "--grid"),
                        (["--partition", "none"], "--partition"), (["--sequence-column", "x"], "--sequence-column")]:
        p = run(*base, *extra, check=False)
        assert p.returncode == 2 and p.stderr.startswith(f"tsfill: {flag}"), (extra, p.stderr)
        assert len(p.stderr.splitlines()) == 1
    p = run("backfill", *inputs, "-o", tmp_path / "x.csv", "--state", tmp_path / "s.db", *JOB, check=False)
    assert p.returncode == 2 and "--output" in p.stderr
    p = run("backfill", *inputs, "-o", tmp_path / "bf", *JOB, check=False)
    assert p.returncode == 2 and "--state" in p.stderr
    assert not (tmp_path / "bf").exists()
    # the same id with another job is refused
    run(*base)
    p = run(*base[:-2], "--slot", "1h", check=False)
    assert p.returncode == 2 and p.stderr.startswith("tsfill: --id") and "another job" in p.stderr
    run(*base[:-2], "--slot", "1h", "--id", "hourly")


def test_bad_input_stops_before_anything_is_written(tmp_path):
    inputs = make_input(tmp_path / "in", days=3, seed=12)
    with open(inputs[1], "a") as f:
        f.write("yesterday,SPY,30,0.1,1\n")
    p = run("backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db", *JOB, check=False)
    assert p.returncode == 2
    assert p.stderr.startswith(f"tsfill: {inputs[1]}, row ") and "column 'date'" in p.stderr
    assert not (tmp_path / "bf").exists()


def test_a_full_disk_fails_the_partitions_and_keeps_the_old_files(tmp_path):
    out = tmp_path / "small"
    out.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(out)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        inputs = make_input(tmp_path / "in", days=4, seed=13, rows_per_day=60)
        args = ["backfill", *inputs, "-o", out / "bf", "--state", tmp_path / "s.db", "--retries", 0, *JOB]
        run(*args)
        before = tree(out / "bf")
        # Bigger partitions (1-minute slots) no longer fit: clear errors, old files intact.
        args_big = args[:-2] + ["--slot", "1min", "--id", "big"]
        p = run(*args_big, check=False)
        assert p.returncode == 1
        assert "No space left on device" in p.stderr
        after = tree(out / "bf")
        for k, v in after.items():
            assert v == before[k] or v == reference(inputs, tmp_path / "fill1m", *JOB[:-2], "--slot", "1min")[k]
        assert hidden(out / "bf") == []
        failed = [x for x in status(tmp_path / "s.db", "--id", "big")["partitions"] if x["status"] == "FAILED"]
        assert failed and all("No space left" in x["error"] for x in failed)
    finally:
        subprocess.run(["umount", str(out)])


# --- tsfill validate ------------------------------------------------------------------------

def validate(inputs, target, *job, check=False):
    return run("validate", "--source", *inputs, "--target", target, *job, check=check)


@pytest.mark.parametrize("extra", [[], ["--carry-in"], ["--tz", "America/New_York"],
                                   ["--format", "parquet"], ["--fill", "linear"]])
def test_validate_passes_on_what_backfill_wrote(tmp_path, extra):
    inputs = make_input(tmp_path / "in", days=4, seed=21)
    run("backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db", *JOB, *extra)
    extra = [x for x in extra if x not in ("--format", "parquet")]  # validate reads either
    p = validate(inputs, tmp_path / "bf", *JOB, *extra, "--by", "ticker")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "4 of 4 partitions pass" in p.stdout
    doc = json.loads(validate(inputs, tmp_path / "bf", *JOB, *extra, "--json").stdout)
    assert doc["ok"] is True and [x["partition"] for x in doc["partitions"]] == [
        "2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"]
    assert all(x["source_rows"] == 120 and x["target_rows"] > 0 for x in doc["partitions"])


def damaged(tmp_path, how):
    """A correct target, then one kind of damage to partition 2024-03-02."""
    inputs = make_input(tmp_path / "in", days=3, seed=22)
    target = tmp_path / "bf"
    run("backfill", *inputs, "-o", target, "--state", tmp_path / "s.db", *JOB)
    part = target / "partition_date=2024-03-02" / "part-0.csv"
    lines = part.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    vol, vol_bf = header.index("vol"), header.index("vol_bf")
    if how == "missing partition":
        for f in part.parent.iterdir():
            f.unlink()
        part.parent.rmdir()
    elif how == "extra partition":
        (target / "partition_date=2024-04-01").mkdir()
        (target / "partition_date=2024-04-01" / "part-0.csv").write_text(lines[0] + lines[1])
    else:
        rows = [l.rstrip("\n").split(",") for l in lines[1:]]
        observed = next(i for i, r in enumerate(rows) if r[vol] != "")
        if how == "changed value":
            rows[observed][vol] = "0.123"
            rows[observed][vol_bf] = "0.123"
        elif how == "dropped row":
            del rows[observed]
        elif how == "added value":
            gap = next(i for i, r in enumerate(rows) if r[vol] == "")
            rows[gap][vol] = "0.5"
        elif how == "filled over a value":
            rows[observed][vol_bf] = "0.999"
        elif how == "truncated file":
            rows = rows[:3] + [rows[3][:2]]  # a ragged last record, as a cut-off write leaves
        elif how == "carried across":
            first_of_key = next(i for i, r in enumerate(rows) if r[vol] == "" and r[vol_bf] == "")
            rows[first_of_key][vol_bf] = "0.5"
        part.write_text(lines[0] + "".join(",".join(r) + "\n" for r in rows))
    return inputs, target


@pytest.mark.parametrize("how,check", [("missing partition", "partition"), ("extra partition", "partition"),
                                       ("truncated file", "rows"),
                                       ("changed value", "observed"), ("dropped row", "rows"),
                                       ("added value", "observed"), ("filled over a value", "filled"),
                                       ("carried across", "carried")])
def test_validate_catches_the_damage_and_names_the_partition(tmp_path, how, check):
    inputs, target = damaged(tmp_path, how)
    p = validate(inputs, target, *JOB)
    assert p.returncode == 1, p.stdout + p.stderr
    doc = json.loads(validate(inputs, target, *JOB, "--json").stdout)
    assert doc["ok"] is False
    bad = [x for x in doc["partitions"] if not x["ok"]]
    want = "2024-04-01" if how == "extra partition" else "2024-03-02"
    assert [x["partition"] for x in bad] == [want], bad
    assert check in [f["check"] for f in bad[0]["failures"]], bad[0]["failures"]
    assert f"  {want} {check}: " in p.stdout
    if check in ("observed", "filled", "carried"):
        assert "key (" in p.stdout  # names the key


def test_validate_by_group_and_usage_errors(tmp_path):
    inputs, target = damaged(tmp_path, "dropped row")
    doc = json.loads(validate(inputs, target, *JOB, "--by", "ticker", "--json").stdout)
    checks = [f["check"] for x in doc["partitions"] for f in x["failures"]]
    assert "by" in checks
    for args, flag in [(["--target", target], "--source"), (["--source", *inputs], "--target"),
                       (["--source", *inputs, "--target", target, "--by", "vol"], "--by"),
                       (["--source", *inputs, "--target", tmp_path / "nope"], "--target")]:
        p = run("validate", *args, *JOB, check=False)
        assert p.returncode == 2 and p.stderr.startswith(f"tsfill: {flag}"), p.stderr


def test_the_backfill_page_example_runs(tmp_path):
    """docs/commands/backfill.md's example, run as written (from a copy of the repo's sample)."""
    text = (ROOT / "docs" / "commands" / "backfill.md").read_text()
    block = text[text.index("## Example"):]
    block = block[block.index("```sh") + 5:]
    block = block[:block.index("```")]
    commands = [c.strip() for c in block.replace("\\\n", " ").splitlines() if c.strip()]
    assert [c.split()[1] for c in commands] == ["backfill", "status", "validate"]
    (tmp_path / "examples" / "data").mkdir(parents=True)
    (tmp_path / "examples" / "data" / "silver_sample.csv").write_bytes(
        (ROOT / "examples" / "data" / "silver_sample.csv").read_bytes())
    for c in commands:
        p = subprocess.run([EXE, *c.split()[1:]], cwd=tmp_path, capture_output=True, text=True)
        assert p.returncode == 0, f"{c}: {p.stderr}{p.stdout}"
    assert sorted(x.name for x in (tmp_path / "gold").iterdir()) == [
        "partition_date=2024-03-05", "partition_date=2024-03-06"]


def test_validate_from_to_with_carry_in(tmp_path):
    inputs = make_input(tmp_path / "in", days=5, seed=23)
    job = [*JOB, "--carry-in"]
    run("backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db", "--from", "2024-03-03", *job)
    p = validate(inputs, tmp_path / "bf", *job, "--from", "2024-03-03", "--to", "2024-03-04")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "2 of 2 partitions pass" in p.stdout
    assert validate(inputs, tmp_path / "bf", *job).returncode == 1  # 03-01, 03-02 missing


# --- --where rules (fill and backfill) -------------------------------------------------------

def test_where_rules_keep_the_same_rows_as_pandas_and_count_each_rule(tmp_path):
    """Comparison rules against an independent filter (csv module), counted per rule."""
    inputs = make_input(tmp_path / "in", days=3, files=1, seed=31)
    rules = ["size<50", "vol>=0.25", "ticker!=SPY", "tenor=30", "size:notnull"]

    def keep(row):
        if row["size"] == "" or float(row["size"]) >= 50:  # a null passes no comparison
            return "size<50"
        if row["vol"] == "" or float(row["vol"]) < 0.25:
            return "vol>=0.25"
        if row["ticker"] == "SPY":
            return "ticker!=SPY"
        if row["tenor"] != "30":
            return "tenor=30"
        return None
    with open(inputs[0]) as f:
        rows = list(csv.DictReader(f))
    counts = {r: 0 for r in rules}
    for row in rows:
        reason = keep(row)
        if reason:
            counts[reason] += 1
    kept = len(rows) - sum(counts.values())
    where = [w for r in rules for w in ("--where", r)]
    p = run("fill", inputs[0], "-o", tmp_path / "out.csv", *JOB, "--stats", *where)
    stats = {l.split()[1]: int(l.split()[-1].replace(",", "")) for l in p.stderr.splitlines()
             if l.strip().startswith("by ")}
    assert stats == counts
    # the kept rows are exactly those: the observed cells of the output come from them
    with open(tmp_path / "out.csv") as f:
        out = list(csv.DictReader(f))
    observed = sum(1 for r in out if r["vol"] != "" or r["size"] != "")
    assert 0 < observed <= kept
    assert {r["ticker"] for r in out} <= {"QQQ", "7", "10", "IWM", "b"} and {r["tenor"] for r in out} == {"30"}
    # --rejects: every dropped row, once, with the rule that dropped it (CSV and Parquet input)
    run("fill", inputs[0], "-o", tmp_path / "out2.csv", *JOB, *where, "--rejects", tmp_path / "rej.csv")
    with open(tmp_path / "rej.csv") as f:
        rejected = list(csv.DictReader(f))
    assert {r["rejected_by"]: 0 for r in rejected} | {k: sum(r["rejected_by"] == k for r in rejected) for k in counts} == counts
    by_row = {int(r["row"]): r for r in rejected}
    for i, row in enumerate(rows, start=1):
        reason = keep(row)
        assert (i in by_row) == (reason is not None), i
        if reason:
            assert by_row[i]["rejected_by"] == reason and by_row[i]["file"] == str(inputs[0])
            assert [by_row[i][c] for c in ("date", "ticker", "tenor", "vol", "size")] == [row[c] for c in ("date", "ticker", "tenor", "vol", "size")]
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    pq.write_table(pacsv.read_csv(inputs[0], convert_options=pacsv.ConvertOptions(
        column_types={"date": "string", "ticker": "string"})), tmp_path / "in.parquet")
    run("fill", tmp_path / "in.parquet", "-o", tmp_path / "out3.csv", *JOB, *where, "--rejects", tmp_path / "rej2.csv")
    with open(tmp_path / "rej2.csv") as f:
        rejected2 = list(csv.DictReader(f))
    assert [(r["row"], r["rejected_by"]) for r in rejected2] == [(r["row"], r["rejected_by"]) for r in rejected]
    # an existing rejects file needs --overwrite; a failed run leaves none
    p = run("fill", inputs[0], "-o", tmp_path / "out4.csv", *JOB, *where, "--rejects", tmp_path / "rej.csv", check=False)
    assert p.returncode == 2 and p.stderr.startswith("tsfill: --rejects:") and not (tmp_path / "out4.csv").exists()
    p = run("fill", inputs[0], "-o", tmp_path / "out5.csv", *JOB, *where, "--rejects", tmp_path / "rej5.csv",
            "--dedup", "reject", "--slot", "1d", check=False)
    assert p.returncode == 2 and not (tmp_path / "rej5.csv").exists()
    assert not [x for x in tmp_path.iterdir() if x.name.startswith(".")]
    # backfill with the same rules writes the same bytes as fill into a directory
    run("fill", inputs[0], "-o", tmp_path / "fill_dir", *JOB, *where)
    run("backfill", inputs[0], "-o", tmp_path / "bf", "--state", tmp_path / "s.db", *JOB, *where)
    assert tree(tmp_path / "bf") == tree(tmp_path / "fill_dir")
    # ... and the store counts each rule, as --stats does
    rules = status(tmp_path / "s.db")["backfills"][0]["rules"]
    assert {r["rule"]: r["rows"] for r in rules} == {"--where " + k: v for k, v in counts.items()}
    assert "rows dropped by --where ticker!=SPY: " in run("status", "--state", tmp_path / "s.db").stdout


def test_ymd_layout_for_fill_backfill_and_validate(tmp_path):
    import pyarrow.dataset as ds
    inputs = make_input(tmp_path / "in", days=3, seed=41)
    run("fill", *inputs, "-o", tmp_path / "fill", *JOB, "--layout", "ymd")
    files = sorted(str(p.relative_to(tmp_path / "fill")) for p in (tmp_path / "fill").rglob("*.csv"))
    assert files == [f"year=2024/month=03/day=0{d}/part-0.csv" for d in (1, 2, 3)]
    table = ds.dataset(tmp_path / "fill", format="csv", partitioning="hive").to_table()
    assert {"year", "month", "day", "ticker", "slot_ts"} <= set(table.column_names)
    assert sorted(set(table.column("day").to_pylist())) == [1, 2, 3]
    run("backfill", *inputs, "-o", tmp_path / "bf", "--state", tmp_path / "s.db", *JOB,
        "--layout", "ymd", "--workers", 2)
    assert tree(tmp_path / "bf") == tree(tmp_path / "fill")
    assert validate(inputs, tmp_path / "bf", *JOB, "--layout", "ymd").returncode == 0
    assert validate(inputs, tmp_path / "bf", *JOB).returncode == 1  # no NAME=... directories
    p = run("fill", *inputs, "-o", tmp_path / "x", *JOB, "--layout", "month", check=False)
    assert p.returncode == 2 and p.stderr.startswith("tsfill: --layout: expected day")
    # a key named like a partition column is refused (a Hive reader would see two 'day's)
    clash = tmp_path / "clash.csv"
    clash.write_text("date,day,v\n2024-03-01T10:00:00Z,mon,1\n")
    p = run("fill", clash, "-o", tmp_path / "y", "--keys", "day", "--layout", "ymd", check=False)
    assert p.returncode == 2 and "--layout: the input column 'day' has the name of a column the output adds" in p.stderr
    run("fill", clash, "-o", tmp_path / "z", "--keys", "day")  # fine in the day layout


# --- sequence ranges (--sequence-column, --batch-size) --------------------------------------

def make_sequenced(path, ids, seed, days=6):
    """Rows with ids `ids` (an ingestion sequence) in random order, over `days` days."""
    rng = random.Random(seed)
    rows = []
    for i in ids:
        t = (19783 + rng.randrange(days)) * 86400 + rng.randrange(9 * 3600, 16 * 3600)
        rows.append([i, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)), rng.choice("ABC"),
                     "" if rng.random() < 0.2 else f"{rng.random():.4f}"])
    rng.shuffle(rows)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "date", "k", "v"])
        w.writerows(rows)


SEQ_JOB = ["--keys", "k", "--values", "v", "--slot", "1h"]


@pytest.mark.parametrize("size,chunk", [(1, 1), (7, 1), (50, 2), (1000, 7)])
def test_sequence_ranges_equal_one_fill(tmp_path, size, chunk):
    make_sequenced(tmp_path / "in.csv", range(1, 301), seed=size)
    want = reference([tmp_path / "in.csv"], tmp_path / "fill", *SEQ_JOB)
    p = run("backfill", tmp_path / "in.csv", "-o", tmp_path / "bf", "--state", tmp_path / "s.db",
            *SEQ_JOB, "--sequence-column", "id", "--batch-size", size, "--chunk-days", chunk)
    assert tree(tmp_path / "bf") == want
    assert f"ranges of {size} sequence numbers" in p.stderr and "done up to sequence number 300" in p.stderr
    st = status(tmp_path / "s.db")
    assert st["backfills"][0]["checkpoint"] == 300
    assert {x["status"] for x in st["partitions"]} == {"COMPLETE"}


def test_sequence_ranges_recompute_only_what_new_rows_touch(tmp_path):
    """New rows (higher ids) in a new file: only the partitions they touch are rewritten, and
    the result equals one fill over everything."""
    (tmp_path / "in").mkdir()
    make_sequenced(tmp_path / "in" / "a.csv", range(1, 201), seed=1, days=6)
    args = ["backfill", tmp_path / "in", "-o", tmp_path / "bf", "--state", tmp_path / "s.db",
            *SEQ_JOB, "--sequence-column", "id", "--batch-size", 25]
    run(*args)

    def stamps():
        return {str(p.relative_to(tmp_path / "bf")): p.stat().st_mtime_ns for p in (tmp_path / "bf").rglob("*.csv")}
    before = stamps()
    time.sleep(0.05)
    make_sequenced(tmp_path / "in" / "b.csv", range(201, 231), seed=2, days=2)  # days 1-2 only
    p = run(*args)
    after = stamps()
    changed = sorted(k for k in after if after[k] != before.get(k))
    assert changed and set(changed) <= {"partition_date=2024-03-01/part-0.csv", "partition_date=2024-03-02/part-0.csv"}
    assert "done up to sequence number 230" in p.stderr  # the highest id seen
    assert tree(tmp_path / "bf") == reference([tmp_path / "in"], tmp_path / "fill", *SEQ_JOB)
    assert "no rows after sequence number 230" in run(*args).stderr


def test_sequence_ranges_resume_after_kill(tmp_path):
    make_sequenced(tmp_path / "in.csv", range(1, 20001), seed=3, days=20)
    want = reference([tmp_path / "in.csv"], tmp_path / "fill", *SEQ_JOB)
    args = [EXE, "backfill", str(tmp_path / "in.csv"), "-o", str(tmp_path / "bf"), "--state",
            str(tmp_path / "s.db"), *SEQ_JOB, "--sequence-column", "id", "--batch-size", "500"]
    rng = random.Random(11)
    for _ in range(3):
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.02, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    run(*args[1:])
    assert tree(tmp_path / "bf") == want
    assert hidden(tmp_path / "bf") == []
    assert status(tmp_path / "s.db")["backfills"][0]["checkpoint"] == 20000


def test_sequence_flag_errors(tmp_path):
    make_sequenced(tmp_path / "in.csv", range(1, 11), seed=4)
    base = ["backfill", tmp_path / "in.csv", "-o", tmp_path / "bf", "--state", tmp_path / "s.db", *SEQ_JOB]
    for extra, flag in [(["--batch-size", "5"], "--batch-size"), (["--sequence-column", "id"], "--sequence-column"),
                        (["--sequence-column", "id", "--batch-size", "0"], "--batch-size"),
                        (["--sequence-column", "id", "--batch-size", "5", "--carry-in"], "--carry-in"),
                        (["--sequence-column", "id", "--batch-size", "5", "--from", "2024-03-02"], "--from"),
                        (["--sequence-column", "k", "--batch-size", "5"], "--sequence-column")]:
        p = run(*base, *extra, check=False)
        assert p.returncode == 2 and p.stderr.startswith(f"tsfill: {flag}"), (extra, p.stderr)
    with open(tmp_path / "in.csv", "a") as f:
        f.write("x7,2024-03-01T10:00:00Z,A,0.5\n")
    p = run(*base, "--sequence-column", "id", "--batch-size", "5", check=False)
    assert p.returncode == 2 and "column 'id': cannot read 'x7' as a sequence number" in p.stderr
    assert not (tmp_path / "bf").exists()


# --- --unique (re-delivered records) --------------------------------------------------------

def test_unique_keeps_the_last_copy_of_a_record_in_fill_and_backfill(tmp_path):
    """Records re-delivered (same id, maybe other values and times, maybe another file):
    only the last copy in the input counts, in fill and in a backfill across batches."""
    (tmp_path / "in").mkdir()
    rng = random.Random(51)
    files = [[], [], []]
    for rid in range(400):
        copies = 1 + (rng.random() < 0.3) + (rng.random() < 0.1)
        for _ in range(copies):  # each copy anywhere, at its own time and value
            t = (19783 + rng.randrange(4)) * 86400 + rng.randrange(9 * 3600, 16 * 3600)
            files[rng.randrange(3)].append([f"r{rid}", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)),
                                            rng.choice("AB"), f"{rng.random():.4f}"])
    for i, rows in enumerate(files):
        with open(tmp_path / "in" / f"{i}.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["rid", "date", "k", "v"])
            w.writerows(rows)
    # the oracle: the last copy of each record in path order, then row order
    last = {}
    for i, rows in enumerate(files):
        for row in rows:
            last[row[0]] = row
    job = ["--keys", "k", "--values", "v", "--unique", "rid", "--slot", "1min", "--fill", "none"]
    p = run("fill", tmp_path / "in", "-o", tmp_path / "out.csv", *job, "--stats")
    total = sum(len(r) for r in files)
    assert f"repeated records dropped" in p.stderr
    assert int(next(l for l in p.stderr.splitlines() if "repeated records" in l).split()[-1].replace(",", "")) == total - len(last)
    with open(tmp_path / "out.csv") as f:
        got = sorted((r["slot_ts"], r["k"], float(r["v"])) for r in csv.DictReader(f) if r["v"] != "")
    # the kept copies in input order
    order = []
    for i, rows in enumerate(files):
        for row in rows:
            if last[row[0]] is row:
                order.append(row)
    want, when = {}, {}
    for i, (_, date, k, v) in enumerate(order):  # --dedup last: latest time, then later row
        cell = (date[:16].replace("T", " ") + ":00", k)
        if cell not in when or (date, i) > when[cell]:
            want[cell], when[cell] = v, (date, i)
    assert got == sorted((s, k, float(v)) for (s, k), v in want.items())
    # backfill, chunked by days: the same bytes, and the store counts the repeats
    run("fill", tmp_path / "in", "-o", tmp_path / "fill", *job)
    run("backfill", tmp_path / "in", "-o", tmp_path / "bf", "--state", tmp_path / "s.db", *job, "--workers", 2)
    assert tree(tmp_path / "bf") == tree(tmp_path / "fill")
    rules = status(tmp_path / "s.db")["backfills"][0]["rules"]
    assert rules == [{"rule": "--unique rid", "rows": total - len(last)}]


def test_a_file_with_a_bad_cell_fails_only_its_partitions(tmp_path):
    inputs = make_input(tmp_path / "in", days=4, files=2, seed=61)
    late = tmp_path / "in" / "part-zz.csv"  # days 5 and 6 only, one bad number on day 6
    with open(late, "w") as f:
        f.write("date,ticker,tenor,vol,size\n")
        f.write("2024-03-05T10:00:00Z,SPY,30,0.5,1\n2024-03-06T10:00:00Z,SPY,30,abc,2\n"
                "2024-03-06T11:00:00Z,QQQ,60,0.25,3\n")
    job = [*JOB, "--values", "vol,size"]
    args = ["backfill", tmp_path / "in", "-o", tmp_path / "bf", "--state", tmp_path / "s.db", "--retries", 0, *job]
    p = run(*args, check=False)
    assert p.returncode == 1, p.stderr
    st = {x["partition"]: x for x in status(tmp_path / "s.db")["partitions"]}
    assert {d for d, x in st.items() if x["status"] == "FAILED"} == {"2024-03-05", "2024-03-06"}
    assert f"{late}, row 2 (line 3), column 'vol': cannot read 'abc' as a number" in st["2024-03-06"]["error"]
    assert st["2024-03-05"]["rows_in"] == 1 and st["2024-03-06"]["rows_in"] == 2
    # the other partitions are the ones one fill of the good files writes
    want = reference(inputs, tmp_path / "fill_good", *job)
    assert tree(tmp_path / "bf") == want
    dry = run(*args, "--dry-run", "--reprocess", "failed").stdout
    assert "2024-03-06" in dry and "fail: " in dry
    # fixed, the failed ones are redone and everything is one fill of all files
    late.write_text(late.read_text().replace("abc", "0.75"))
    run(*args, "--reprocess", "failed")
    assert tree(tmp_path / "bf") == reference([tmp_path / "in"], tmp_path / "fill_all", *job)
    assert {x["status"] for x in status(tmp_path / "s.db")["partitions"]} == {"COMPLETE"}


@pytest.mark.parametrize("out_format", ["csv", "parquet"])
def test_backfill_of_parquet_input_equals_fill(tmp_path, out_format):
    """Parquet in (string, integer and dictionary keys, float values with nulls, timestamps),
    CSV or Parquet out: the same bytes as fill."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq
    inputs = make_input(tmp_path / "csv", days=5, files=3, seed=71)
    (tmp_path / "pq").mkdir()
    for i, p in enumerate(inputs):
        t = pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(
            column_types={"ticker": pa.string(), "tenor": pa.int64(), "vol": pa.float64(), "size": pa.float64()}))
        if i == 1:  # one file with a dictionary-encoded key column
            t = t.set_column(1, "ticker", t.column("ticker").dictionary_encode())
        pq.write_table(t, tmp_path / "pq" / f"{i}.parquet")
    job = [*JOB, "--format", out_format]
    want = reference([tmp_path / "pq"], tmp_path / "fill", *job)
    run("backfill", tmp_path / "pq", "-o", tmp_path / "bf", "--state", tmp_path / "s.db", *job,
        "--chunk-days", 2, "--workers", 2)
    assert tree(tmp_path / "bf") == want
    assert validate([tmp_path / "pq"], tmp_path / "bf", *JOB).returncode == 0
