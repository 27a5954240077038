"""Shared helpers for the end-to-end tests of the tsfill command line.

TSFILL_BIN (set by CTest) is the built program. Every test works in its own tmp_path.
"""
import csv
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples" / "data"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def tsfill():
    exe = os.environ.get("TSFILL_BIN", str(ROOT / "build" / "release" / "examples" / "tsfill"))
    if not Path(exe).exists():
        pytest.fail(f"tsfill binary not found at {exe}; build it or set TSFILL_BIN")

    def run(*args, check=True):
        p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        if check and p.returncode != 0:
            raise AssertionError(f"tsfill {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
        return p
    return run


def read_output(path):
    """tsfill's CSV output as (header, rows) with values as float or None."""
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        return header, [row for row in r]


def cell_equal(got_text, want, tolerance=0.0):
    if isinstance(want, str):  # a word (COL_how) or a time (COL_from)
        return got_text == want
    if want is None:
        return got_text == ""
    if got_text == "":
        return False
    got = float(got_text)
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    if got == want:
        return True
    return tolerance > 0 and abs(got - want) <= tolerance * max(1.0, abs(want))


def assert_same_table(out_path, names, rows, first_value_column, tolerance=1e-12):
    """Compares tsfill's CSV with oracle rows: text for partition/keys/slot, numbers for values."""
    header, got = read_output(out_path)
    assert header == names
    assert len(got) == len(rows), f"{len(got)} rows, expected {len(rows)}"
    for i, (g, w) in enumerate(zip(got, rows)):
        assert g[:first_value_column] == [str(x) for x in w[:first_value_column]], f"row {i + 2}: {g} vs {w}"
        for c in range(first_value_column, len(names)):
            assert cell_equal(g[c], w[c], tolerance), f"row {i + 2}, column {names[c]}: {g[c]!r} vs {w[c]!r}"
