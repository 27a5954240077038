#!/usr/bin/env python3
"""Rewrites what the documentation takes from the program: in the command pages
(docs/commands/*.md) the fenced block after each `<!-- help: COMMAND ... -->` marker becomes
`tsfill COMMAND --help` as the built program prints it, and the man page docs/man/tsfill.1
is made from `tsfill --help` and every command's. tests/docs/test_pages.py fails when
either is not current.

    scripts/update_docs.py [TSFILL]      (default: build/release/examples/tsfill)
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
MARKER = re.compile(r"(<!-- help: (\w+(?: \w+)?) \([^\n]*-->\n```text\n)(.*?)(```)", re.S)


def help_text(exe, command):
    """`tsfill COMMAND --help`; COMMAND may be two words ("history apply")."""
    return subprocess.run([str(exe), *command.split(), "--help"], check=True,
                          capture_output=True, text=True).stdout


def render(page_text, exe):
    """The page with every help block replaced by the program's current --help."""
    return MARKER.sub(lambda m: m.group(1) + help_text(exe, m.group(2)) + m.group(4), page_text)


def roff_text(text):
    """Plain text safe in a roff no-fill block: backslashes written as \\e, and no line
    starting with a control character."""
    lines = []
    for line in text.replace("\\", "\\e").splitlines():
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def man_page(exe, version):
    """tsfill(1): the program's --help, then each command's, verbatim."""
    top = top_help(exe)
    commands = [line.split()[0] for line in top[top.index("Subcommands:"):].splitlines()[1:]
                if line.strip()]
    out = [f'.TH TSFILL 1 "" "{version}" "User Commands"',
           ".SH NAME",
           "tsfill \\- a uniform, gap-filled grid from irregular, duplicated, gappy time-series rows",
           ".SH SYNOPSIS",
           ".B tsfill",
           "\\fICOMMAND\\fR [\\fIFLAGS\\fR] [\\fIINPUT\\fR...]",
           ".SH DESCRIPTION",
           ".nf", roff_text(top_help(exe)), ".fi"]
    for command in commands:
        out += [f".SH {command.upper()}", ".nf", roff_text(help_text(exe, command)), ".fi"]
        if command == "history":  # its own commands
            for sub in ("apply", "verify", "roll"):
                out += [f".SS {command} {sub}", ".nf",
                        roff_text(help_text(exe, f"{command} {sub}")), ".fi"]
    out += [".SH SEE ALSO",
            "docs/commands/*.md and docs/semantics.md in the source tree."]
    return "\n".join(out) + "\n"


def top_help(exe):
    return subprocess.run([str(exe), "--help"], check=True, capture_output=True, text=True).stdout


def version_of(exe):
    return subprocess.run([str(exe), "--version"], check=True, capture_output=True,
                          text=True).stdout.strip()


MAN = ROOT / "docs" / "man" / "tsfill.1"


def main():
    exe = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build/release/examples/tsfill")
    for page in sorted((ROOT / "docs" / "commands").glob("*.md")):
        old = page.read_text()
        new = render(old, exe)
        if new != old:
            page.write_text(new)
            print(f"updated {page.relative_to(ROOT)}")
    if all(subprocess.run([str(exe), c, "--help"], capture_output=True).returncode == 0
           for c in ("backfill", "ingest", "validate", "status")):  # (a full build only)
        man = man_page(exe, version_of(exe))
        if not MAN.exists() or MAN.read_text() != man:
            MAN.parent.mkdir(parents=True, exist_ok=True)
            MAN.write_text(man)
            print(f"updated {MAN.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
