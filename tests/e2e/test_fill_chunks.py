"""`fill --chunk-days N`: the inputs read a block at a time, N partitions run at a time.

The promise: on input in partition order, the output (every byte of a CSV file, every file of
a partitioned directory, CSV or Parquet), the exit status and every line of stderr (--stats
counts and notices; the timing line aside) are those of one `fill` of the whole input, while
memory holds one block and N partitions instead of the input. TSFILL_CSV_BLOCK_BYTES lowers
the block (16 MiB) so that small generated files are read in many blocks, the edges falling
anywhere: inside a day, inside a quoted field, between files.

Input out of partition order, and flags a chunked run cannot honour, are one-line errors
with a non-zero exit and no output.
"""
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

SEEDS = range(240)


def run(exe, args, block=None, chunk=None):
    env = dict(os.environ)
    if block is not None:
        env["TSFILL_CSV_BLOCK_BYTES"] = str(block)
    if chunk is not None:
        env["TSFILL_CSV_CHUNK_BYTES"] = str(chunk)
    p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env)
    err = "\n".join(line for line in p.stderr.splitlines() if "seconds:" not in line)
    return p.returncode, err


@pytest.fixture(scope="module")
def exe():
    path = os.environ.get("TSFILL_BIN", str(Path(__file__).resolve().parents[2] / "build" /
                                             "release" / "examples" / "tsfill"))
    assert Path(path).exists(), f"tsfill binary not found at {path}"
    return path


def generate(rng):
    """CSV text of a silver table in day order (any order within a day), and its days."""
    days = rng.randint(1, 6)
    int_keys = rng.random() < 0.25
    words = [str(rng.randint(1, 30)) for _ in range(4)] if int_keys else \
        ["A", "B", '"C,1"', "D", '"E""x"', "10", "9"]
    keys = rng.sample(words, rng.randint(1, len(words)))
    lines = ["date,k,v,w,note"]
    day = 3
    for d in range(days):
        day += rng.randint(1, 2)
        rows = []
        for _ in range(rng.randint(0 if d else 1, 40)):
            h, m, s = rng.randint(13, 20), rng.choice([0, 7, 29, 30, 31, 59]), rng.randint(0, 59)
            ts = f"2024-03-{day:02d}T{h:02d}:{m:02d}:{s:02d}Z"
            v = rng.choice(["", "NA", f"{rng.uniform(-5, 5):.3f}", str(rng.randint(-9, 9))])
            w = rng.choice(["", f"{rng.random():.6f}"])
            note = rng.choice(["x", "", '"two\nlines"', '"a,b"'])
            rows.append(f"{ts},{rng.choice(keys)},{v},{w},{note}")
        if rng.random() < 0.7:
            rng.shuffle(rows)
        lines += rows
    return "\n".join(lines) + "\n"


def job_flags(rng):
    flags = ["--keys", "k", "--stats", "-q"]
    flags += ["--dedup", rng.choice(["last", "first", "mean", "last-valid"])]
    fill = rng.choice(["forward", "backward", "linear", "nearest", "none"])
    flags += ["--fill", fill]
    flags += ["--grid", rng.choice(["partition", "key"])]
    flags += ["--slot", rng.choice(["30min", "1h", "7min"])]
    if rng.random() < 0.3:
        flags += ["--values", "v"]
    if rng.random() < 0.3:
        flags += ["--where", "k!=B"]
    if rng.random() < 0.2 and fill in ("forward", "backward"):
        flags += ["--limit", "1"]
    return flags


def outputs(path):
    """Every file under an output (or the file), by relative path: bytes."""
    if path.is_file():
        return {".": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def split_into_files(rng, text, folder, parquet):
    """The rows of `text` as several files in order (a day may span two files)."""
    header, *rows = text.splitlines(keepends=True)
    # (records with a quoted line break span two lines: split only before a timestamp)
    starts = [i for i, r in enumerate(rows) if r.startswith("2024-")]
    cuts = sorted(rng.sample(starts, min(len(starts), rng.randint(1, 3))))
    cuts = [c for c in cuts if c > 0] + [len(rows)]
    folder.mkdir()
    begin = 0
    for n, end in enumerate(cuts):
        part = header + "".join(rows[begin:end])
        if parquet:
            types = {"date": pa.timestamp("s", "UTC"), "k": pa.string(), "v": pa.float64(),
                     "w": pa.float64(), "note": pa.string()}
            table = pacsv.read_csv(pa.py_buffer(part.encode()), convert_options=pacsv.ConvertOptions(
                column_types=types, null_values=["", "NA"], quoted_strings_can_be_null=False))
            pq.write_table(table, folder / f"part-{n:02d}.parquet",
                           row_group_size=rng.choice([3, 17, 1 << 20]))  # (read in steps of groups)
        else:
            (folder / f"part-{n:02d}.csv").write_text(part)
        begin = end


@pytest.mark.parametrize("seed", SEEDS)
def test_chunks_equal_one_run(exe, tmp_path, seed):
    rng = random.Random(seed)
    text = generate(rng)
    src = tmp_path / "in.csv"
    src.write_text(text)
    inputs = [src]
    shape = rng.choice(["file", "file", "csv-files", "parquet-files"])
    if shape != "file":
        split_into_files(rng, text, tmp_path / "in", shape == "parquet-files")
        inputs = [tmp_path / "in"]
    flags = job_flags(rng)
    out = rng.choice(["o.csv", "o", "o-parquet", "o.parquet"])
    if out == "o-parquet":
        flags += ["--format", "parquet"]
    days = rng.randint(1, 4)
    block = rng.randint(30, 600)
    threads = str(rng.choice([1, 3]))
    (tmp_path / "one").mkdir()
    (tmp_path / "chunked").mkdir()
    (tmp_path / "auto").mkdir()
    one = run(exe, ["fill", *inputs, "-o", tmp_path / "one" / out, "--threads", threads,
                    "--chunk-days", "0", *flags])
    chunked = run(exe, ["fill", *inputs, "-o", tmp_path / "chunked" / out, "--threads", threads,
                        "--chunk-days", days, *flags], block=block, chunk=rng.randint(40, 400))
    # Without the flag: chunks where possible (one here, the rows being few), else one run.
    auto = run(exe, ["fill", *inputs, "-o", tmp_path / "auto" / out, "--threads", threads, *flags],
               block=block)
    why = f"seed {seed}: {shape}, --chunk-days {days}, blocks of {block} bytes, {flags}, input:\n{text}"
    assert chunked == one, why
    assert auto == one, why
    assert one[0] == 0, why
    assert outputs(tmp_path / "chunked" / out) == outputs(tmp_path / "one" / out), why
    assert outputs(tmp_path / "auto" / out) == outputs(tmp_path / "one" / out), why


def test_a_bad_cell_after_many_chunks_is_the_error_of_one_run_and_nothing_is_written(exe, tmp_path):
    rows = ["date,k,v"]
    for d in range(4, 14):
        rows += [f"2024-03-{d:02d}T14:{m:02d}:00Z,A,{m}" for m in range(0, 60, 5)]
    rows.insert(100, "2024-03-12T15:00:00Z,A,oops")
    src = tmp_path / "in.csv"
    src.write_text("\n".join(rows) + "\n")
    for out in ["o.csv", "o"]:
        one = run(exe, ["fill", src, "-o", tmp_path / "one" / out, "--keys", "k", "--values", "v",
                        "--chunk-days", "0"])
        chunked = run(exe, ["fill", src, "-o", tmp_path / out, "--keys", "k", "--values", "v",
                            "--chunk-days", "1"], block=64)
        assert chunked == one
        assert one[0] != 0 and f"{src}, row 100 (line 101), column 'v'" in one[1], one[1]
        assert not (tmp_path / out).exists()
        assert [p.name for p in tmp_path.iterdir()] == ["in.csv"]  # (no hidden copy left)


def test_rows_out_of_partition_order_are_an_error_naming_the_row(exe, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("date,k,v\n2024-03-04T14:00:00Z,A,1\n2024-03-05T14:00:00Z,A,2\n"
                   "2024-03-04T15:00:00Z,A,3\n")
    code, err = run(exe, ["fill", src, "-o", tmp_path / "o", "--keys", "k", "--chunk-days", "1"])
    assert code == 2, err
    assert err.startswith(f"tsfill: {src} row 3: a row of 2024-03-04 after rows of 2024-03-05: "
                          "--chunk-days reads partitions one after another"), err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()
    # Two files whose days interleave: the same, naming the second file's row.
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.csv").write_text("date,k,v\n2024-03-05T14:00:00Z,A,1\n")
    (tmp_path / "d" / "b.csv").write_text("date,k,v\n2024-03-06T14:00:00Z,A,1\n"
                                          "2024-03-04T14:00:00Z,A,1\n")
    code, err = run(exe, ["fill", tmp_path / "d", "-o", tmp_path / "o", "--keys", "k",
                          "--chunk-days", "2"])
    assert code == 2 and f"{tmp_path / 'd' / 'b.csv'} row 2: a row of 2024-03-04" in err, err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("flags, says", [
    (["--partition", "none"], "--chunk-days: needs partitions to read a chunk of"),
    (["--unique", "date,k"], "--chunk-days: cannot go with --unique"),
    (["--grid", "range:2024-03-04T14:00/2024-03-04T16:00"], "--chunk-days: goes with partition, key and observed grids only"),
    (["--carry-in"], "--chunk-days: cannot go with --carry-in"),
    (["--chunk-days", "-1"], "--chunk-days"),
    (["--chunk-days", "x"], "--chunk-days"),
])
def test_flags_a_chunked_run_cannot_honour_are_refused(exe, tmp_path, flags, says):
    src = tmp_path / "in.csv"
    src.write_text("date,k,v\n2024-03-04T14:00:00Z,A,1\n")
    code, err = run(exe, ["fill", src, "-o", tmp_path / "o.csv", "--keys", "k", "--chunk-days", "1",
                          *flags])
    assert code == 2, err
    assert says in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "o.csv").exists()


def test_a_column_turning_text_after_the_first_chunk_is_an_error(exe, tmp_path):
    # One run leaves w out (not numeric); a chunked run has written w already: it says so.
    rows = ["date,k,v,w"] + [f"2024-03-{d:02d}T14:00:00Z,A,{d},{d}" for d in range(4, 10)]
    rows.append("2024-03-10T14:00:00Z,A,1,n/a")
    src = tmp_path / "in.csv"
    src.write_text("\n".join(rows) + "\n")
    code, err = run(exe, ["fill", src, "-o", tmp_path / "o", "--keys", "k", "--chunk-days", "1"],
                    block=40)
    assert code == 2, err
    assert f"{src}, row 7 (line 8): 'n/a' is not a number" in err, err
    assert "with --chunk-days a value column must be numeric throughout" in err
    assert not (tmp_path / "o").exists()
    # Named with --values, it is the usual error of a bad cell.
    code, err = run(exe, ["fill", src, "-o", tmp_path / "o", "--keys", "k", "--values", "v",
                          "--chunk-days", "1"], block=40)
    assert code == 0, err


def test_a_key_of_integers_that_later_holds_a_word_is_an_error(exe, tmp_path):
    rows = ["date,k,v"] + [f"2024-03-{d:02d}T14:00:00Z,{d},1" for d in range(4, 8)]
    rows.append("2024-03-08T14:00:00Z,AB,1")
    src = tmp_path / "in.csv"
    src.write_text("\n".join(rows) + "\n")
    code, err = run(exe, ["fill", src, "-o", tmp_path / "o.csv", "--keys", "k", "--chunk-days", "1"],
                    block=30)
    assert code == 2, err
    assert "--keys: column 'k' holds 'AB'" in err, err
    assert not (tmp_path / "o.csv").exists()


# A child's peak starts at its parent's size when it forks (exec keeps it), and this process
# holds pyarrow: a bare interpreter forks tsfill and reports its wait4 peak instead.
MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss_mib(args, env):
    """Peak resident memory of one tsfill process, in MiB."""
    p = subprocess.run([sys.executable, "-S", "-c", MEASURE, *map(str, args)], env=env,
                       capture_output=True, text=True)
    code, kib = p.stdout.split()
    assert code == "0", p.stderr
    return int(kib) / 1024


def test_memory_is_bounded_by_the_chunk_not_the_input(exe, tmp_path):
    if b"__asan_init" in Path(exe).read_bytes():
        pytest.skip("peak memory means nothing under AddressSanitizer (its quarantine holds "
                    "freed blocks)")
    # 40 days x 400 keys x 48 snapshots: 768,000 rows, 26 MB of CSV.
    src = tmp_path / "in.csv"
    with open(src, "w") as f:
        f.write("date,k,v,w\n")
        for d in range(40):
            day = f"2024-{1 + d // 28:02d}-{1 + d % 28:02d}"
            f.writelines(f"{day}T{13 + s // 6:02d}:{s % 6 * 10:02d}:00Z,K{k},{k * 0.5 + s},{s}\n"
                         for s in range(48) for k in range(400))
    env = dict(os.environ, TSFILL_CSV_BLOCK_BYTES=str(2 << 20))
    whole = peak_rss_mib([exe, "fill", src, "-o", tmp_path / "one", "--keys", "k", "-q",
                          "--chunk-days", "0"], env)
    chunked = peak_rss_mib([exe, "fill", src, "-o", tmp_path / "chunked", "--keys", "k", "-q",
                            "--chunk-days", "1"], env)
    assert outputs(tmp_path / "chunked") == outputs(tmp_path / "one")
    assert chunked < whole / 2, f"peak {chunked:.0f} MiB in chunks of a day, {whole:.0f} MiB whole"


# --- faults, with real processes -----------------------------------------------------------

def days_file(path, days, keys):
    with open(path, "w") as f:
        f.write("date,k,v\n")
        for d in range(days):
            day = f"2024-{1 + d // 28:02d}-{1 + d % 28:02d}"
            f.writelines(f"{day}T{13 + s // 6:02d}:{s % 6 * 10:02d}:00Z,K{k},{k + s}\n"
                         for s in range(48) for k in range(keys))


def tree(path):
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_kill_9_at_random_moments_leaves_the_old_output_and_a_rerun_equals_one_run(exe, tmp_path):
    src = tmp_path / "in.csv"
    days_file(src, 30, 300)
    one = tmp_path / "one"
    assert run(exe, ["fill", src, "-o", one, "--keys", "k", "--chunk-days", "0"])[0] == 0
    out = tmp_path / "out"
    args = [exe, "fill", src, "-o", out, "--keys", "k", "--chunk-days", "2", "--overwrite"]
    env = dict(os.environ, TSFILL_CSV_BLOCK_BYTES=str(1 << 20))
    old = tmp_path / "old.csv"
    old.write_text("date,k,v\n2024-03-04T14:00:00Z,A,1\n")
    assert run(exe, ["fill", old, "-o", out, "--keys", "k"])[0] == 0
    before = tree(out)
    start = time.monotonic()
    assert subprocess.run(args, env=env, capture_output=True).returncode == 0
    took = time.monotonic() - start
    assert tree(out) == tree(one)
    assert run(exe, ["fill", old, "-o", out, "--keys", "k", "--overwrite"])[0] == 0
    rng = random.Random(9)
    for _ in range(6):
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, took))
        proc.kill()
        rc = proc.wait(timeout=60)
        assert tree(out) in (before, tree(one)), rc  # the old output whole, or the whole new one
        if tree(out) != before:  # (it had finished: back to the old one for the next round)
            assert run(exe, ["fill", old, "-o", out, "--keys", "k", "--overwrite"])[0] == 0
    # The next run sweeps the dead runs' hidden copies and writes what one run writes.
    assert subprocess.run(args, env=env, capture_output=True).returncode == 0
    assert tree(out) == tree(one)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")], os.listdir(tmp_path)


@pytest.mark.parametrize("sig,code", [(2, 130), (15, 143)])
def test_a_signal_mid_run_removes_the_hidden_copy(exe, tmp_path, sig, code):
    src = tmp_path / "in.csv"
    days_file(src, 30, 300)
    out = tmp_path / "out.csv"
    env = dict(os.environ, TSFILL_CSV_BLOCK_BYTES=str(1 << 20))
    proc = subprocess.Popen([exe, "fill", src, "-o", out, "--keys", "k", "--chunk-days", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    aside = tmp_path / f".out.csv.tsfill-tmp-{proc.pid}"
    deadline = time.time() + 30
    while not aside.exists() and proc.poll() is None and time.time() < deadline:
        pass
    proc.send_signal(sig)
    rc = proc.wait(timeout=60)
    assert rc in (0, code), (rc, proc.stderr.read())
    assert os.listdir(tmp_path) == ["in.csv"] or (rc == 0 and out.exists())


def test_a_full_disk_mid_run_names_the_output_and_leaves_nothing(exe, tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        src = tmp_path / "in.csv"
        days_file(src, 40, 30)  # (about 2.5 MB out: the first chunks fit, a later one does not)
        for out in (mnt / "o.csv", mnt / "dataset"):
            code, err = run(exe, ["fill", src, "-o", out, "--keys", "k", "--chunk-days", "1"],
                            block=4096)
            assert code == 2 and len(err.splitlines()) == 1, err
            assert str(out) in err and "tsfill-tmp" not in err, err
            assert "No space left" in err or "write failed" in err, err
            assert os.listdir(mnt) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_rejects_and_row_numbers_deep_in_a_file_are_those_of_one_run(exe, tmp_path, fmt):
    rows = [(f"2024-03-{4 + i // 40:02d}T{14 + i % 40 // 10:02d}:{i % 10 * 5:02d}:00Z",
             "B" if i % 7 == 0 else "A", float(i)) for i in range(200)]
    table = pa.table({"date": pa.array([r[0] for r in rows]), "k": pa.array([r[1] for r in rows]),
                      "v": pa.array([r[2] for r in rows])})
    src = tmp_path / f"in.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(table, src)
    else:
        pq.write_table(table, src, row_group_size=9)
    common = ["--keys", "k", "--where", "k=A", "--stats"]
    one = run(exe, ["fill", src, "-o", tmp_path / "one.csv", "--rejects", tmp_path / "r1.csv", *common])
    chunked = run(exe, ["fill", src, "-o", tmp_path / "two.csv", "--rejects", tmp_path / "r2.csv",
                        "--chunk-days", "1", *common], block=100)
    assert chunked == one and one[0] == 0, one
    assert (tmp_path / "two.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert (tmp_path / "r2.csv").read_bytes() == (tmp_path / "r1.csv").read_bytes()
    # A bad time in the 19th row group: the same row number either way.
    times = table.column("date").to_pylist()
    times[170] = "2024-03-08T25:00:00Z"
    bad = tmp_path / f"bad.{fmt}"
    broken = table.set_column(0, "date", pa.array(times))
    pacsv.write_csv(broken, bad) if fmt == "csv" else pq.write_table(broken, bad, row_group_size=9)
    one = run(exe, ["fill", bad, "-o", tmp_path / "b1.csv", "--keys", "k", "--chunk-days", "0"])
    chunked = run(exe, ["fill", bad, "-o", tmp_path / "b2.csv", "--keys", "k", "--chunk-days", "1"],
                  block=100)
    assert chunked == one and one[0] == 2, one
    assert "row 171" in one[1], one[1]
    assert not (tmp_path / "b2.csv").exists()


def test_blocks_ending_inside_records_split_among_threads(exe, tmp_path):
    # Records with quoted line breaks, read in blocks of every size from a few bytes on and
    # parsed on 3 threads in small chunks: a chunk's last record often runs past its block's
    # end (then the rest of the block is the next read's, not a chunk to parse again).
    rng = random.Random(5)
    rows = ["date,k,v,note"]
    for d in range(4, 9):
        for m in range(0, 60, 4):
            note = rng.choice(['"a\nb\nc"', '"x,y"', "z", '"q""q\n"'])
            rows.append(f"2024-03-{d:02d}T14:{m:02d}:00Z,{rng.choice('AB')},{m},{note}")
    src = tmp_path / "in.csv"
    src.write_text("\n".join(rows) + "\n")
    one = run(exe, ["fill", src, "-o", tmp_path / "one.csv", "--keys", "k", "--stats",
                    "--chunk-days", "0"])
    assert one[0] == 0, one
    for block in range(20, 400, 9):
        for chunk in (40, 77):
            got = run(exe, ["fill", src, "-o", tmp_path / "o.csv", "--keys", "k", "--stats",
                            "--chunk-days", "1", "--threads", "3", "--overwrite"],
                      block=block, chunk=chunk)
            assert got == one, (block, chunk)
            assert (tmp_path / "o.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()


@pytest.mark.parametrize("threads", ["1", "3"])
def test_parquet_errors_in_file_order_while_reading_ahead(exe, tmp_path, threads):
    # With 2 or more threads the next step's row groups are decoded while this step's rows
    # run: an error in this step's rows still comes before a broken row group further on,
    # and each alone is the error of one run over the whole file, with no output left.
    # Row groups of 9 rows, read one at a time (block 100 -> steps of 1 row).
    rows = [(f"2024-03-{4 + i // 40:02d}T{14 + i % 40 // 10:02d}:{i % 10 * 5:02d}:00Z",
             "A", float(i)) for i in range(200)]
    table = pa.table({"date": pa.array([r[0] for r in rows]), "k": pa.array([r[1] for r in rows]),
                      "v": pa.array([r[2] for r in rows])})
    clean = tmp_path / "clean.parquet"
    pq.write_table(table, clean, row_group_size=9, compression="snappy")
    broken_page = bytearray(clean.read_bytes())  # row group 15's page of v, its header garbled
    chunk = pq.ParquetFile(clean).metadata.row_group(15).column(2)
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    broken_page[start:start + 12] = b"\xff" * 12
    times = table.column("date").to_pylist()
    times[100] = "2024-03-06T25:00:00Z"  # (row group 11)
    cases = {"page": (bytes(broken_page), None),
             "time": (None, table.set_column(0, "date", pa.array(times)))}
    errors = {}
    for name, (raw, t) in cases.items():
        src = tmp_path / f"{name}.parquet"
        if raw is not None:
            src.write_bytes(raw)
        else:
            pq.write_table(t, src, row_group_size=9, compression="snappy")
        one = run(exe, ["fill", src, "-o", tmp_path / f"{name}1.csv", "--keys", "k",
                        "--chunk-days", "0", "--threads", threads])
        chunked = run(exe, ["fill", src, "-o", tmp_path / f"{name}2.csv", "--keys", "k",
                            "--chunk-days", "1", "--threads", threads], block=100)
        assert chunked == one and one[0] == 2 and len(one[1].splitlines()) == 1, (name, one, chunked)
        assert str(src) in one[1], one[1]
        assert not (tmp_path / f"{name}2.csv").exists()
        errors[name] = one[1]
    assert "row 101" in errors["time"], errors
    # Both at once: the bad time (row group 11) is reported, not the page further on.
    both = tmp_path / "both.parquet"
    pq.write_table(cases["time"][1], both, row_group_size=9, compression="snappy")
    raw = bytearray(both.read_bytes())
    chunk = pq.ParquetFile(both).metadata.row_group(15).column(2)
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    raw[start:start + 12] = b"\xff" * 12
    both.write_bytes(bytes(raw))
    got = run(exe, ["fill", both, "-o", tmp_path / "both.csv", "--keys", "k", "--chunk-days", "1",
                    "--threads", threads], block=100)
    assert got[0] == 2 and "row 101" in got[1], got
    assert not (tmp_path / "both.csv").exists()
