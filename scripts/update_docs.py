#!/usr/bin/env python3
"""Rewrites the generated sections of the command pages (docs/commands/*.md): the fenced
block after each `<!-- help: COMMAND ... -->` marker becomes `tsfill COMMAND --help` as the
built program prints it. tests/docs/test_pages.py fails when a page is not current.

    scripts/update_docs.py [TSFILL]      (default: build/release/examples/tsfill)
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
MARKER = re.compile(r"(<!-- help: (\w+) [^\n]*-->\n```text\n)(.*?)(```)", re.S)


def help_text(exe, command):
    return subprocess.run([str(exe), command, "--help"], check=True, capture_output=True,
                          text=True).stdout


def render(page_text, exe):
    """The page with every help block replaced by the program's current --help."""
    return MARKER.sub(lambda m: m.group(1) + help_text(exe, m.group(2)) + m.group(4), page_text)


def main():
    exe = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build/release/examples/tsfill")
    for page in sorted((ROOT / "docs" / "commands").glob("*.md")):
        old = page.read_text()
        new = render(old, exe)
        if new != old:
            page.write_text(new)
            print(f"updated {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
