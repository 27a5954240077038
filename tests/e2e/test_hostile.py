"""Hostile input, by class (issue 14): no column lost without a word, numbers every peer reads,
and error messages that stay one short, harmless line whatever a file holds."""
import os
import random
import subprocess
import sys
import time

import pytest

from conftest import ROOT

EXE = os.environ.get("TSFILL_BIN", str(ROOT / "build" / "release" / "examples" / "tsfill"))


def tsfill(*args):
    return subprocess.run([EXE, *map(str, args)], capture_output=True)


def write(path, header, rows):
    path.write_bytes((header + "\n" + "".join(r + "\n" for r in rows)).encode()
                     if isinstance(header, str) else header + b"".join(r + b"\n" for r in rows))


# --- class 2: a column left out of the default value set is named, with why --------------

BAD_NUMBERS = ["1e400", "0x10", "abc", "1,5", "--1", "1e", ".", "inf inf", "12abc", "1_000"]


@pytest.mark.parametrize("seed", range(4))
def test_a_numeric_column_with_a_bad_cell_is_named_never_dropped_silently(tmp_path, seed):
    """Without --values, a bad cell anywhere (any file, any row) leaves its column out of the
    value set: the run says which column, file, row and cell (exit 0); with --values naming
    it, the same cell is an error naming file, row and column (exit 2, no output)."""
    rng = random.Random(seed)
    for case in range(6):
        files = rng.randrange(1, 4)
        bad_file, bad_row = rng.randrange(files), rng.randrange(1, 6)
        token = rng.choice(BAD_NUMBERS)
        inputs = []
        for f in range(files):
            rows = [f"2024-01-0{f + 1}T0{r}:00:00Z,a,{r}.5,{r}" for r in range(1, 6)]
            if f == bad_file:
                rows[bad_row - 1] = rows[bad_row - 1].rsplit(",", 2)[0] + f",\"{token}\",{bad_row}"
            p = tmp_path / f"c{case}-{f}.csv"
            write(p, "date,k,v,w", rows)
            inputs.append(p)
        out = tmp_path / f"c{case}.csv"
        p = tsfill("fill", *inputs, "--output", out, "--keys", "k")
        err = p.stderr.decode()
        assert p.returncode == 0, err
        where = f"{inputs[bad_file]}, row {bad_row} (line {bad_row + 1}): '{token}' is not a number"
        assert err.startswith("tsfill: note: not value columns (not numeric): 'v' (" + where), err
        assert len(err.splitlines()) == 1
        assert out.read_text().splitlines()[0] == "partition_date,k,slot_ts,w,w_bf"
        q = tsfill("fill", *inputs, "--output", tmp_path / f"e{case}.csv", "--keys", "k", "--values", "v,w")
        qerr = q.stderr.decode()
        assert q.returncode == 2 and len(qerr.splitlines()) == 1, qerr
        assert f"{inputs[bad_file]}, row {bad_row} (line {bad_row + 1}), column 'v': cannot read '{token}'" in qerr
        assert not (tmp_path / f"e{case}.csv").exists()


def test_text_and_parquet_string_columns_are_named_too(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"date": ["2024-01-01T00:00:00Z"], "k": ["a"], "v": [1.0],
                             "note": ["x"]}), tmp_path / "in.parquet")
    p = tsfill("fill", tmp_path / "in.parquet", "--output", tmp_path / "o.csv", "--keys", "k")
    assert p.returncode == 0
    assert f"'note' ({tmp_path / 'in.parquet'}: type string)" in p.stderr.decode()
    # Named value columns: nothing to say.
    p = tsfill("fill", tmp_path / "in.parquet", "--output", tmp_path / "o2.csv", "--keys", "k",
               "--values", "v")
    assert p.returncode == 0 and p.stderr == b""


@pytest.mark.parametrize("text,value", [("1e-400", "0"), ("-1e-400", "-0"), ("+1e-320", "1e-320"),
                                        ("4.9e-324", "5e-324")])
def test_underflowing_numbers_read_as_zero_or_subnormal_like_every_peer(tmp_path, text, value):
    write(tmp_path / "in.csv", "date,v", ["2024-01-01T00:00:00Z," + text])
    p = tsfill("fill", tmp_path / "in.csv", "--output", tmp_path / "o.csv", "--values", "v")
    assert p.returncode == 0, p.stderr
    row = (tmp_path / "o.csv").read_text().splitlines()[1].split(",")
    assert row[2] == value and row[3] == value


def test_overflowing_numbers_are_no_numbers(tmp_path):
    write(tmp_path / "in.csv", "date,v", ["2024-01-01T00:00:00Z,1e400"])
    p = tsfill("fill", tmp_path / "in.csv", "--output", tmp_path / "o.csv", "--values", "v")
    assert p.returncode == 2 and b"cannot read '1e400' as a number" in p.stderr


# --- class 7: one line, short, harmless ----------------------------------------------------

def hostile_cells(rng):
    """Cell texts that could break a message: line breaks, escape sequences, NUL, huge ones."""
    yield b'"two\nlines"', b"'two\\nlines'"
    yield b'"cr\rhere"', b"'cr\\rhere'"
    yield b"\x1b[31mred\x1b[0m", b"'\\x1b[31mred\\x1b[0m'"
    yield b"nul\x00byte", b"'nul\\x00byte'"
    yield b"tab\there", b"'tab\\there'"
    yield b"bell\x07", b"'bell\\x07'"
    big = bytes(rng.choice(b"abcdefgh") for _ in range(10_000_000))
    yield big, b"'" + big[:60] + b"... (10000000 bytes)'"
    wide = "\u00e9".encode() * 100  # 2-byte characters: never cut inside one
    yield wide, b"'" + wide[:60] + b"... (200 bytes)'"


@pytest.mark.parametrize("column", ["date", "v"])
def test_messages_stay_one_short_line_whatever_the_cell_holds(tmp_path, column):
    rng = random.Random(7)
    for i, (cell, shown) in enumerate(hostile_cells(rng)):
        good_time, good_value = b"2024-01-01T00:00:00Z", b"1"
        row = (cell + b"," + good_value) if column == "date" else (good_time + b"," + cell)
        src = tmp_path / f"in{i}.csv"
        src.write_bytes(b"date,v\n" + good_time + b",2\n" + row + b"\n")
        out = tmp_path / f"o{i}.csv"
        p = tsfill("fill", src, "--output", out, "--values", "v")
        assert p.returncode == 2, p.stderr[:200]
        assert p.stderr.count(b"\n") == 1 and p.stderr.endswith(b"\n"), p.stderr[:300]
        assert len(p.stderr) < 400, len(p.stderr)
        assert b"\x1b" not in p.stderr and b"\x00" not in p.stderr and b"\r" not in p.stderr
        assert f"{src}, row 2 (line 3), column '{column}': cannot read ".encode() + shown in p.stderr, p.stderr
        assert not out.exists()


def test_a_hostile_file_name_is_shown_harmlessly(tmp_path):
    name = tmp_path / "evil\x1b[2J\nname.csv"
    name.write_text("date,v\n2024-01-01T00:00:00Z,x\n")
    p = tsfill("fill", name, "--output", tmp_path / "o.csv", "--values", "v")
    assert p.returncode == 2
    assert p.stderr.count(b"\n") == 1 and b"\x1b" not in p.stderr
    assert b"evil\\x1b[2J\\nname.csv" in p.stderr


# --- class 6: --overwrite replaces only what tsfill could have written ----------------------

GOOD_CSV = "date,k,v\n2024-01-01T00:00:00Z,a,1\n2024-01-01T01:00:00Z,a,2\n"


def test_overwrite_refuses_what_tsfill_never_wrote(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(GOOD_CSV)
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "README.md").write_text("mine")
    (project / "src" / "main.c").write_text("int main(){}")
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    target = tmp_path / "target.csv"
    target.write_text("keep me")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    cases = [(project, "is not a tsfill dataset"), (fifo, "is not a regular file"),
             (link, "is a symbolic link")]
    try:
        os.mknod(tmp_path / "dev.csv", 0o600 | 0o020000, os.makedev(1, 3))  # a character device
        cases.append((tmp_path / "dev.csv", "is not a regular file"))
    except (PermissionError, OSError):
        pass
    for out, why in cases:
        p = tsfill("fill", src, "--output", out, "--overwrite")
        err = p.stderr.decode()
        assert p.returncode == 2 and err.startswith(f"tsfill: --output: {out} ") and why in err, err
        assert len(err.splitlines()) == 1
    assert (project / "README.md").read_text() == "mine" and (project / "src" / "main.c").exists()
    assert target.read_text() == "keep me" and link.is_symlink()
    assert os.path.exists(fifo)


@pytest.mark.parametrize("layout", ["day", "ymd"])
def test_overwrite_replaces_files_and_tsfill_datasets(tmp_path, layout):
    src = tmp_path / "in.csv"
    src.write_text(GOOD_CSV)
    for out in (tmp_path / "o.csv", tmp_path / "dataset"):
        assert tsfill("fill", src, "--output", out, "--layout", layout).returncode == 0
        p = tsfill("fill", src, "--output", out, "--layout", layout, "--overwrite", "--values", "v")
        assert p.returncode == 0, p.stderr
    assert not [n for n in os.listdir(tmp_path) if "tsfill-tmp" in n]


# --- class 5: signals and leftovers ------------------------------------------------------------

def slow_input(path):
    """Cheap to read, slow to write: one row an hour for 30 days, filled to 1-second slots
    (2.6 M rows, 94 MB of CSV)."""
    rows = [f"2024-01-{1 + h // 24:02d}T{h % 24:02d}:00:00Z,a,{h}" for h in range(24 * 30)]
    path.write_text("date,k,v\n" + "\n".join(rows) + "\n")


@pytest.mark.parametrize("sig,code", [(2, 130), (15, 143)])
@pytest.mark.parametrize("directory", [False, True])
def test_a_signal_while_writing_leaves_no_temp_and_the_old_output_whole(tmp_path, sig, code, directory):
    """The signal is sent once the hidden copy exists (the output is being written): the
    process removes it and exits 128 + the signal; the previous output stays as it was."""
    src = tmp_path / "in.csv"
    slow_input(src)
    out = tmp_path / ("out" if directory else "out.csv")
    args = ["fill", src, "--output", out, "--keys", "k", "--slot", "1s", "--overwrite"]
    assert tsfill(*args).returncode == 0
    before = sorted((str(p), p.stat().st_size) for p in ([out] if not directory else out.rglob("*")))
    rng = random.Random(sig)
    for _ in range(3):
        proc = subprocess.Popen([EXE, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        aside = tmp_path / f".{out.name}.tsfill-tmp-{proc.pid}"
        deadline = time.time() + 30
        while not aside.exists() and proc.poll() is None and time.time() < deadline:
            pass
        time.sleep(rng.uniform(0, 0.02))
        proc.send_signal(sig)
        rc = proc.wait(timeout=60)
        assert rc in (0, code), (rc, proc.stderr.read())  # (0: it had just finished)
        assert not [n for n in os.listdir(tmp_path) if n.startswith(".")], os.listdir(tmp_path)
        after = sorted((str(p), p.stat().st_size) for p in ([out] if not directory else out.rglob("*")))
        assert after == before  # the old output whole, or the same new one


def test_leftovers_of_dead_runs_are_swept_and_live_ones_kept(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(GOOD_CSV)
    dead = tmp_path / ".out.csv.tsfill-tmp-999999999"
    dead.write_text("partial")
    dead_dir = tmp_path / ".out.csv.tsfill-tmp-999999998-old"
    dead_dir.mkdir()
    live = tmp_path / f".out.csv.tsfill-tmp-{os.getpid()}"  # a running process's
    live.write_text("busy")
    assert tsfill("fill", src, "--output", tmp_path / "out.csv").returncode == 0
    assert not dead.exists() and not dead_dir.exists() and live.exists()


def test_a_long_output_name_is_fine_and_errors_name_the_output(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(GOOD_CSV)
    long = tmp_path / ("x" * 240 + ".csv")  # 244 bytes: the hidden copy's name must be cut
    p = tsfill("fill", src, "--output", long)
    assert p.returncode == 0, p.stderr
    assert long.read_text().startswith("partition_date,slot_ts,v,v_bf")


def test_a_full_disk_names_the_output_not_its_hidden_copy(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        src = tmp_path / "in.csv"
        slow_input(src)
        for out in (mnt / "o.csv", mnt / "dataset"):
            p = tsfill("fill", src, "--output", out, "--keys", "k", "--slot", "1s")
            err = p.stderr.decode()
            assert p.returncode == 2 and len(err.splitlines()) == 1, err
            assert str(out) in err and "tsfill-tmp" not in err, err
            assert "No space left" in err or "write failed" in err, err
            assert os.listdir(mnt) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_backfill_stops_cleanly_on_sigterm(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    slow_input(src / "a.csv")
    out, state = tmp_path / "out", tmp_path / "s.db"
    args = ["backfill", src, "--output", out, "--state", state, "--keys", "k", "--slot", "1s"]
    proc = subprocess.Popen([EXE, *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline and not (out.exists() and any(out.glob("partition_date=*"))):
        time.sleep(0.02)
    proc.send_signal(15)
    rc = proc.wait(timeout=60)
    err = proc.stderr.read().decode()
    assert rc in (0, 143), err
    if rc == 143:
        assert "stopped by signal 15; the store is consistent" in err
    assert not [n for n in os.listdir(out) if n.startswith(".")]
    assert tsfill(*args).returncode == 0
    ref = tmp_path / "ref"
    assert tsfill("fill", src, "--output", ref, "--keys", "k", "--slot", "1s").returncode == 0
    for p in ref.rglob("part-0.csv"):
        assert (out / p.relative_to(ref)).read_bytes() == p.read_bytes()


# --- class 4: a grid too large for memory is refused before it is allocated --------------------

def keys_file(path, keys=1000):
    path.write_text("date,k,v\n" + "".join(f"2024-01-01T00:00:00Z,k{i},1\n" for i in range(keys)))


MEASURE = """
import os, subprocess, sys, time
t0 = time.time()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(p.pid, 0)
sys.stderr.write(p.stderr.read().decode())
print(os.waitstatus_to_exitcode(status), time.time() - t0, usage.ru_maxrss / 1024)
"""


def run_measured(args):
    """Exit status, stderr, seconds and peak RSS (MiB) of one process, started from a small
    helper process: Linux keeps a process's peak RSS across fork and exec, so a child of
    this test process (pyarrow loaded) would start from its peak."""
    p = subprocess.run([sys.executable, "-c", MEASURE, EXE, *map(str, args)], capture_output=True,
                       text=True)
    rc, secs, rss = p.stdout.split()
    return int(rc), p.stderr, float(secs), float(rss)


@pytest.mark.parametrize("extra", [["--grid", "range:1970-01-01/2100-01-01"],
                                   ["--slot", "1s", "--grid", "range:2024-01-01/2024-02-19"],
                                   ["--slot", "1s", "--grid", "range:2024-01-01/2100-01-01"],
                                   ["--slot", "1min", "--grid", "key", "--partition", "none",
                                    "--max-memory", "10M"]])
def test_a_grid_too_large_for_memory_is_refused_at_once(tmp_path, extra):
    src = tmp_path / "in.csv"
    keys_file(src)
    if "key" in extra:  # a data-driven grid: one stray timestamp far from the rest
        with open(src, "a") as f:
            f.write("2030-01-01T00:00:00Z,k0,2\n")
    rc, err, secs, rss = run_measured(["fill", src, "--output", tmp_path / "o.csv", "--keys", "k", *extra])
    assert rc == 2, err
    assert err.startswith("tsfill: --max-memory: the grid would need at least ") and "GB of memory" in err, err
    assert len(err.splitlines()) == 1
    # Refused before anything large is allocated: the peak is the program's own start-up
    # (measured, so a sanitizer build's larger start counts for it) plus little.
    _, _, _, startup = run_measured(["--version"])
    assert secs < 1.0 and rss < startup + 60, (secs, rss, startup)
    assert not (tmp_path / "o.csv").exists()


def test_a_grid_within_the_limit_runs_and_bad_limits_are_named(tmp_path):
    src = tmp_path / "in.csv"
    keys_file(src, 10)
    assert tsfill("fill", src, "--output", tmp_path / "o.csv", "--keys", "k", "--max-memory", "1M").returncode == 0
    p = tsfill("fill", src, "--output", tmp_path / "o2.csv", "--keys", "k", "--slot", "1s",
               "--grid", "range:2024-01-01/2024-01-02", "--max-memory", "1M")
    assert p.returncode == 2 and b"(the limit: --max-memory 1M)" in p.stderr
    for bad in ["lots", "-1G", "0", "5X", "150%", ""]:
        p = tsfill("fill", src, "--output", tmp_path / "o3.csv", "--keys", "k", "--max-memory", bad)
        assert p.returncode == 2 and p.stderr.startswith(b"tsfill: --max-memory"), (bad, p.stderr)
    with open(src, "a") as f:  # the day's grid spans 24 hours of 1-second slots for every key
        f.write("2024-01-01T23:59:59Z,k0,2\n")
    p = tsfill("backfill", src, "--output", tmp_path / "bf", "--state", tmp_path / "s.db", "--keys", "k",
               "--slot", "1s", "--max-memory", "1M")
    assert p.returncode == 1 and b"2024-01-01 FAILED" in p.stderr and b"--max-memory" in p.stderr, p.stderr


# --- class 3: Parquet outputs every reader can read --------------------------------------------

INVALID_UTF8 = [b"\xff", b"\x80", b"\xc0\x80", b"\xed\xa0\x80", b"\xf5\x80\x80\x80", b"\xe2\x82",
                b"\xf4\x90\x80\x80", b"ok\xc3"]


@pytest.mark.parametrize("bad", INVALID_UTF8)
def test_invalid_utf8_never_reaches_a_parquet_output(tmp_path, bad):
    pq = pytest.importorskip("pyarrow.parquet")
    in_key = tmp_path / "key.csv"
    in_key.write_bytes(b"date,k,v\n2024-01-01T00:00:00Z,caf\xc3\xa9,1\n2024-01-01T01:00:00Z,x" + bad + b",2\n")
    in_name = tmp_path / "name.csv"
    in_name.write_bytes(b"date,k,v" + bad + b"\n2024-01-01T00:00:00Z,a,1\n")
    for src, where in ((in_key, f"{in_key}, row 2 (line 3), column 'k': 'x"), (in_name, f"{in_name} (line 1): the column name 'v")):
        for out, extra in ((tmp_path / "o.parquet", []), (tmp_path / "dataset", ["--format", "parquet"])):
            p = tsfill("fill", src, "--output", out, "--keys", "k", *extra)
            err = p.stderr.decode("utf-8")  # (the message itself is valid UTF-8)
            assert p.returncode == 2 and err.startswith(f"tsfill: {where}"), err
            assert "is not valid UTF-8" in err and len(err.splitlines()) == 1
            assert not out.exists()
        p = tsfill("fill", src, "--output", tmp_path / "o.csv", "--keys", "k", "--overwrite")  # CSV: as is
        assert p.returncode == 0 and bad in (tmp_path / "o.csv").read_bytes()
    # Valid multi-byte keys and names are fine, and every reader reads the file.
    good = tmp_path / "good.csv"
    good.write_bytes("date,k,v\u00e9\n2024-01-01T00:00:00Z,\u6771\u4eac,1\n2024-01-01T00:00:00Z,\U0001F600,2\n".encode())
    assert tsfill("fill", good, "--output", tmp_path / "g.parquet", "--keys", "k").returncode == 0
    table = pq.read_table(tmp_path / "g.parquet")
    assert set(table.column("k").to_pylist()) == {"\u6771\u4eac", "\U0001F600"}
    assert "v\u00e9" in table.column_names


# --- class 7: every error names the file, row and column, or the flag at fault ----------------

def test_errors_name_what_is_at_fault(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table({"date": ["2024-01-01T00:00:00Z"], "v": pa.array([1], pa.int64())}),
                   tmp_path / "a.parquet")
    (tmp_path / "b.csv").write_text("date,v\n2024-01-01T01:00:00Z,1.5\n")
    pq.write_table(pa.Table.from_arrays([pa.array(["2024-01-01T00:00:00Z"]), pa.array([1.0]), pa.array([2.0])],
                                        names=["date", "v", "v"]), tmp_path / "twice.parquet")
    (tmp_path / "noname.csv").write_text("date,,v\n2024-01-01T00:00:00Z,a,1\n")
    (tmp_path / "slot.csv").write_text("date,slot_ts,v\n2024-01-01T00:00:00Z,1,1\n")
    (tmp_path / "part.csv").write_text("date,partition_date,v\n2024-01-01T00:00:00Z,1,1\n")
    (tmp_path / "good.csv").write_text("date,k,v\n2024-01-01T00:00:00Z,a,1\n")
    (tmp_path / "min.csv").write_text("date,v\n-9223372036854775808,1\n")
    (tmp_path / "afile").write_text("x")
    t = tmp_path
    cases = [
        ([t / "a.parquet", t / "b.csv"], [], f"{t / 'b.csv'}, column 'v': holds other values than {t / 'a.parquet'}"),
        ([t / "twice.parquet"], [], f"{t / 'twice.parquet'}: the schema names the column 'v' twice"),
        ([t / "noname.csv"], [], f"{t / 'noname.csv'} (line 1): column 2 of the header has no name"),
        ([t / "slot.csv"], [], "--values: the input column 'slot_ts' has the name of a column the output adds"),
        ([t / "part.csv"], [], "--partition-name: the input column 'partition_date'"),
        ([t / "good.csv"], ["--keys", "k,k"], "--keys: names 'k' twice"),
        ([t / "min.csv"], ["--time-unit", "ns"], f"{t / 'min.csv'}, row 1 (line 2), column 'date': cannot read"),
    ]
    for inputs, extra, message in cases:
        out = t / "out.csv"
        p = tsfill("fill", *inputs, "--output", out, *extra)
        err = p.stderr.decode()
        assert p.returncode == 2 and len(err.splitlines()) == 1, (inputs, err)
        assert err.startswith("tsfill: " + message), (message, err)
        assert not out.exists()
    p = tsfill("fill", t / "good.csv", "--output", t / "afile" / "sub/")  # a file in the way
    assert p.returncode == 2 and p.stderr.decode().startswith(f"tsfill: --output: {t / 'afile' / 'sub'}: ")
