"""The documentation cannot drift from the program: each command page's `--help` section and
the man page are what the program prints (scripts/update_docs.py rewrites both), every
command has a page the README links, every relative link resolves, the shell examples of
the README's worked example and of the command pages run as written, and the output they
show is what the program writes."""
import csv
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMMANDS = ROOT / "docs" / "commands"
sys.path.insert(0, str(ROOT / "scripts"))
import update_docs  # noqa: E402

EXE = os.environ["TSFILL_BIN"]
PAGES = sorted(p.stem for p in COMMANDS.glob("*.md"))


def built(command):
    """Whether this tsfill has the command (backfill, ingest, validate and status need the
    backfill component, which needs SQLite)."""
    return subprocess.run([EXE, command, "--help"], capture_output=True).returncode == 0


def commands_of_the_program():
    out = subprocess.run([EXE, "--help"], check=True, capture_output=True, text=True).stdout
    listed = out[out.index("Subcommands:"):].splitlines()[1:]
    return [line.split()[0] for line in listed if line.strip()]


@pytest.mark.parametrize("page", PAGES)
def test_help_section_is_the_programs_help(page):
    if not built(page):
        pytest.skip(f"this tsfill has no {page} command (built without the backfill component)")
    text = (COMMANDS / f"{page}.md").read_text()
    assert f"<!-- help: {page} " in text, "the page has no generated --help section"
    if page == "history":
        for sub in ("apply", "verify", "roll"):
            assert f"<!-- help: history {sub} " in text, f"no --help section for history {sub}"
    assert update_docs.render(text, EXE) == text, \
        f"docs/commands/{page}.md: the --help section is stale; run scripts/update_docs.py"


def test_the_man_page_is_the_programs_help():
    if not all(built(c) for c in ("backfill", "ingest", "validate", "status")):
        pytest.skip("the man page is made from a full build")
    version = subprocess.run([EXE, "--version"], check=True, capture_output=True, text=True).stdout.strip()
    assert update_docs.MAN.read_text() == update_docs.man_page(EXE, version), \
        "docs/man/tsfill.1 is stale; run scripts/update_docs.py"


def test_every_command_has_a_page_the_readme_links():
    readme = (ROOT / "README.md").read_text()
    for command in commands_of_the_program():
        assert command in PAGES, f"no docs/commands/{command}.md"
        assert f"(docs/commands/{command}.md)" in readme, f"the README does not link {command}"


def slug(heading):
    """GitHub's anchor for a heading."""
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


def test_relative_links_resolve():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    bad = []
    for page in pages:
        text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                bad.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and file.suffix == ".md":
                headings = re.findall(r"^#+ (.*)$", file.read_text(), flags=re.M)
                if anchor not in {slug(h) for h in headings}:
                    bad.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert bad == []


def shell_blocks(page, after=None):
    text = page.read_text()
    if after:
        text = text[text.index(after):]
    return [b for b in re.findall(r"```sh\n(.*?)```", text, flags=re.S) if "./scripts/" not in b]


@pytest.fixture
def sandbox(tmp_path):
    """A directory with the repository's sample data under examples/data and tsfill on PATH."""
    (tmp_path / "examples" / "data").mkdir(parents=True)
    for name in ("silver_sample.csv", "nycflights13-weather.csv"):
        shutil.copy(ROOT / "examples" / "data" / name, tmp_path / "examples" / "data" / name)
    shutil.copytree(ROOT / "examples" / "data" / "history", tmp_path / "examples" / "data" / "history")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tsfill").symlink_to(pathlib.Path(EXE).resolve())
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}

    def run(block):
        p = subprocess.run(["bash", "-euc", block], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert p.returncode == 0, f"{block}\n{p.stderr}"
        return p
    run.dir = tmp_path
    return run


@pytest.mark.parametrize("page", PAGES)
def test_the_shell_examples_of_a_command_page_run(page, sandbox):
    if not built(page):
        pytest.skip(f"this tsfill has no {page} command")
    if page == "plot" and shutil.which("gnuplot") is None:
        pytest.skip("gnuplot is not installed")
    blocks = shell_blocks(COMMANDS / f"{page}.md")
    assert blocks, "no example"
    for block in blocks:
        sandbox(block)


def rows_shown(markdown_table_lines):
    return [[c.strip() for c in line.strip().strip("|").split("|")] for line in markdown_table_lines]


def test_the_readme_example_runs_and_shows_its_output(sandbox):
    (block,) = shell_blocks(ROOT / "README.md", after="## A worked example")
    sandbox(block)
    with open(sandbox.dir / "gold.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    msft = {r["slot_ts"]: r for r in rows if r["ticker_tk"] == "MSFT" and r["days"] == "90"
            and r["partition_date"] == "2024-03-04"}
    readme = (ROOT / "README.md").read_text()
    shown = [line for line in readme.splitlines() if re.match(r"\| 2024-03-04 \d\d:\d\d:00 \|", line)]
    assert len(shown) == 8
    for slot, orig, filled in rows_shown(shown):
        got = msft[slot]
        assert (got["volATM"] or "(null)", got["volATM_bf"]) == (orig, filled), slot


def test_the_provenance_rows_the_fill_page_shows_are_current(sandbox):
    text = (COMMANDS / "fill.md").read_text()
    shown = text[text.index("partition_date,ticker_tk,days,slot_ts,volATM,"):]
    shown = shown[:shown.index("```")].splitlines()
    header = shown[0].split(",")
    sandbox("tsfill fill examples/data/silver_sample.csv --output gold.csv --keys ticker_tk,days "
            "--values 'vol*,vWidth' --where tradingSession=RegularMkt --provenance")
    with open(sandbox.dir / "gold.csv", newline="") as f:
        got = [[r[c] for c in header] for r in csv.DictReader(f)]
    for line in shown[1:]:
        assert line.split(",") in got, line
