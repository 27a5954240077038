"""A CSV file parsed in chunks on several threads gives exactly what one pass gives.

TSFILL_CSV_CHUNK_BYTES lowers the least chunk size (4 MiB) so that small generated files are
split at every kind of place: inside quoted fields that hold line breaks, delimiters and
escaped quotes, on blank lines, CRLF line ends, a byte order mark. For each of a few hundred
seeded files, `fill --threads 1` and `fill --threads 3` (chunks of a random 40-400 bytes)
must agree on the exit status, every byte of the output and of stderr (--stats counts and
notices included; the timing line aside): the same rows, the same key dictionaries, the same
columns left out as "not a number" naming the same row and line, the same first error with
the same file row and line, wherever the chunk edges fell.
"""
import os
import random
import subprocess

import pytest

SEEDS = range(300)


def run(tsfill_bin, args, chunk_bytes=None):
    env = dict(os.environ)
    if chunk_bytes is not None:
        env["TSFILL_CSV_CHUNK_BYTES"] = str(chunk_bytes)
    p = subprocess.run([tsfill_bin, *map(str, args)], capture_output=True, text=True, env=env)
    err = "\n".join(line for line in p.stderr.splitlines() if "seconds:" not in line)
    return p.returncode, err


def quoted_note(rng):
    pieces = ["plain", "a,b", 'say ""hi""', "two\nlines", "crlf\r\nend", "", ",", "\n\n"]
    return '"' + rng.choice(pieces) + rng.choice(pieces) + '"'


def generate(rng):
    """CSV text of a small silver file with every hazard a chunk edge can meet."""
    nl = "\r\n" if rng.random() < 0.3 else "\n"
    rows = rng.randint(1, 120)
    lines = ["date,k,v,w,note"]
    t = 1709251200  # 2024-03-01
    late_text = rng.random() < 0.25  # a value column that turns out not to be numeric
    error = rng.choice([None, None, None, "time", "fields", "quote", "number"])
    error_row = rng.randint(1, rows)
    for r in range(1, rows + 1):
        t += rng.randint(0, 4000)
        ts = f"2024-03-{1 + (t - 1709251200) // 86400:02d}T{(t // 3600) % 24:02d}:{(t // 60) % 60:02d}:{t % 60:02d}Z"
        k = rng.choice(["A", "B", "C", '"D,1"', '"E""x"'])
        v = rng.choice(["", "NA", f"{rng.uniform(-5, 5):.3f}", str(rng.randint(-9, 9)), "1e-3"])
        w = rng.choice(["", f"{rng.random():.6f}"])
        if late_text and r == rows - rng.randint(0, min(3, rows - 1)):
            w = "n/a"
        note = quoted_note(rng) if rng.random() < 0.5 else rng.choice(["x", "", "y z"])
        if error == "time" and r == error_row:
            ts = "2024-13-01T00:00:00Z"
        fields = [ts, k, v, w, note]
        if error == "fields" and r == error_row:
            fields.append("extra")
        if error == "number" and r == error_row:
            fields[2] = "abc"
        line = ",".join(fields)
        if error == "quote" and r == error_row:
            line = ",".join(fields[:4]) + ',"never closed'
        lines.append(line)
        if rng.random() < 0.05:
            lines.append("")  # a blank line
    text = nl.join(lines) + (nl if rng.random() < 0.8 else "")
    if rng.random() < 0.1:
        text = "\ufeff" + text
    return text, error


@pytest.mark.parametrize("seed", SEEDS)
def test_chunks_equal_one_pass(tsfill, tmp_path, seed):
    rng = random.Random(seed)
    text, error = generate(rng)
    src = tmp_path / "in.csv"
    src.write_bytes(text.encode())
    exe = os.environ.get("TSFILL_BIN") or tsfill("--version").args[0]
    flags = ["--keys", "k", "--stats", "-q"]
    if rng.random() < 0.3:
        flags += ["--values", "v"]  # requested: a non-number in it is an error
    if rng.random() < 0.3:
        flags += ["--where", "k!=B"]
    if rng.random() < 0.2:
        flags += ["--unique", "date,k"]
    one = run(exe, ["fill", src, "-o", tmp_path / "one.csv", "--threads", "1", *flags])
    chunk = rng.randint(40, 400)
    many = run(exe, ["fill", src, "-o", tmp_path / "many.csv", "--threads", "3", *flags], chunk)
    assert many == one, f"seed {seed}, chunks of {chunk} bytes, input:\n{text!r}"
    if one[0] == 0:
        assert (tmp_path / "many.csv").read_bytes() == (tmp_path / "one.csv").read_bytes(), \
            f"seed {seed}, chunks of {chunk} bytes, input:\n{text!r}"
    elif error is None:
        pytest.fail(f"seed {seed}: an input without a planted error failed: {one[1]}")


def test_errors_name_the_file_row_and_line_past_many_chunks(tsfill, tmp_path):
    # 2,000 rows with quoted line breaks before the bad one: its row and line are counted
    # across every chunk, not from the start of its own.
    rows = ["date,k,v,note"]
    for r in range(2000):
        rows.append(f'2024-03-01T00:{r // 60 % 60:02d}:{r % 60:02d}Z,A,{r},"two\nlines"')
    rows.append("2024-03-01T01:00:00Z,A,oops,x")
    src = tmp_path / "in.csv"
    src.write_text("\n".join(rows) + "\n")
    exe = os.environ.get("TSFILL_BIN") or tsfill("--version").args[0]
    code, err = run(exe, ["fill", src, "-o", tmp_path / "o.csv", "--keys", "k", "--values", "v",
                          "--threads", "2", "-q"], chunk_bytes=1000)
    assert code == 2
    assert f"{src}, row 2001 (line 4002), column 'v': cannot read 'oops' as a number" in err, err
    assert not (tmp_path / "o.csv").exists()
