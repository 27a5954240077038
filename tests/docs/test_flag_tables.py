"""The flag tables of the command pages are the program's flags: every flag `tsfill fill
--help` lists is in docs/commands/fill.md's table, and so on for plot, backfill, validate,
status and ingest (whose pages list their own flags and take fill's), and the tables name
no flag the program lacks. (The pages' `--help` sections are checked to be verbatim by
test_pages.py; these tables are the hand-written explanations beside them.)"""
import os
import pathlib
import re
import subprocess

import pytest

PAGES = pathlib.Path(__file__).resolve().parents[2] / "docs" / "commands"
FILL, PLOT = PAGES / "fill.md", PAGES / "plot.md"
BACKFILL, VALIDATE, STATUS, INGEST = (PAGES / f"{c}.md" for c in ("backfill", "validate", "status", "ingest"))
FLAG = re.compile(r"--[a-z][a-z-]*")


def table_flags(header, page=FILL):
    """Flags named in the markdown table that starts with `header`."""
    lines = page.read_text().splitlines()
    start = lines.index(header)
    flags = set()
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        flags |= set(FLAG.findall(line.replace("\\|", "/").split("|")[1]))
    return flags


def help_flags(command):
    out = subprocess.run([os.environ["TSFILL_BIN"], command, "--help"], check=True,
                         capture_output=True, text=True).stdout
    flags = set()
    for line in out.splitlines():
        m = re.match(r"\s+(?:-\w,)?(--[a-z][a-z-]*)", line)
        if m and m.group(1) != "--help":
            flags.add(m.group(1))
    return flags


def test_fill_table_is_fill_help():
    documented = table_flags("| flag | meaning (default) |") | table_flags("| fill flag | meaning (default) |")
    actual = help_flags("fill")
    assert actual - documented == set(), "in --help, not in the page"
    assert documented - actual == set(), "in the page, not in --help"


def test_plot_table_is_plot_help():
    documented = table_flags("| flag | meaning (default) |") | table_flags("| plot flag | meaning (default) |", PLOT)
    actual = help_flags("plot")
    assert actual - documented == set(), "in --help, not in the page"
    assert documented - actual == set(), "in the page, not in --help"


def test_backfill_tables_are_backfill_help():
    """backfill takes fill's flags (fill.md's table) and its own (backfill.md)."""
    if subprocess.run([os.environ["TSFILL_BIN"], "backfill", "--help"], capture_output=True).returncode:
        pytest.skip("this tsfill was built without the backfill component (no SQLite)")
    documented = table_flags("| flag | meaning (default) |") | table_flags("| backfill flag | meaning (default) |", BACKFILL)
    actual = help_flags("backfill")
    assert actual - documented == set(), "in --help, not in the docs"
    assert documented - actual == set(), "in the docs, not in --help"


def test_status_table_is_status_help():
    if subprocess.run([os.environ["TSFILL_BIN"], "status", "--help"], capture_output=True).returncode:
        pytest.skip("this tsfill was built without the backfill component (no SQLite)")
    documented, actual = table_flags("| status flag | meaning (default) |", STATUS), help_flags("status")
    assert actual - documented == set(), "in --help, not in the docs"
    assert documented - actual == set(), "in the docs, not in --help"


def test_validate_table_is_validate_help():
    """validate takes fill's input and job flags (fill.md) and its own (validate.md)."""
    if subprocess.run([os.environ["TSFILL_BIN"], "validate", "--help"], capture_output=True).returncode:
        pytest.skip("this tsfill was built without the backfill component (no SQLite)")
    own = table_flags("| validate flag | meaning (default) |", VALIDATE)
    actual = help_flags("validate")
    fill = table_flags("| flag | meaning (default) |")
    assert actual - fill - own == set(), "in --help, not in the docs"
    assert own - actual == set(), "in the docs, not in --help"


def test_ingest_table_is_ingest_help():
    """ingest takes fill's flags (fill.md's table) and its own (ingest.md)."""
    if subprocess.run([os.environ["TSFILL_BIN"], "ingest", "--help"], capture_output=True).returncode:
        pytest.skip("this tsfill was built without the backfill component (no SQLite)")
    documented = table_flags("| flag | meaning (default) |") | table_flags("| ingest flag | meaning (default) |", INGEST)
    actual = help_flags("ingest")
    assert actual - documented == set(), "in --help, not in the docs"
    assert documented - actual == set(), "in the docs, not in --help"
