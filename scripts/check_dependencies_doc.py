"""Check that docs/dependencies.md lists every package in requirements.lock, at its locked version.

Exit status 0 when the table under "## Every locked package" has one row per locked package with
the locked version and no row for a package the lock no longer holds; otherwise 1, with one line
per problem on stderr. Standard library only, so it runs before any install.

Usage: python3 scripts/check_dependencies_doc.py [--lock FILE] [--doc FILE]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE_HEADING = "## Every locked package"

# `name==version`, at the start of a line, as pip-compile writes it.
LOCK_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")
# A table row whose first cell is a package name in backticks and whose second is its version.
TABLE_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*([^|]*?)\s*\|")


def canonical(name: str) -> str:
    """The PEP 503 normalised form of a distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_packages(lock: Path) -> dict[str, str]:
    """Every package pinned in the lock file, by canonical name, with its version."""
    packages: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = LOCK_LINE.match(line)
        if match:
            packages[canonical(match.group(1))] = match.group(2)
    return packages


def documented_packages(doc: Path) -> dict[str, str]:
    """The rows of the inventory table, by canonical name, with the version each states."""
    rows: dict[str, str] = {}
    in_table_section = False
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_table_section = line.strip() == TABLE_HEADING
            continue
        if in_table_section:
            match = TABLE_ROW.match(line)
            if match:
                rows[canonical(match.group(1))] = match.group(2)
    return rows


def problems(locked: dict[str, str], documented: dict[str, str]) -> list[str]:
    """What is missing, stale or extra in the document, one sentence each."""
    found: list[str] = []
    for name, version in sorted(locked.items()):
        if name not in documented:
            found.append(f"{name}=={version} is in the lock but not in the table")
        elif documented[name] != version:
            found.append(
                f"{name}: the table says {documented[name] or '(no version)'}, "
                f"the lock pins {version}"
            )
    for name in sorted(set(documented) - set(locked)):
        found.append(f"{name} is in the table but no longer in the lock")
    return found


def main(argv: list[str] | None = None) -> int:
    """Compare the lock with the document and report; 0 when they agree."""
    parser = argparse.ArgumentParser(
        description="Check that docs/dependencies.md lists every locked package."
    )
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.lock")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "dependencies.md")
    args = parser.parse_args(argv)

    locked = locked_packages(args.lock)
    if not locked:
        print(f"error: no pinned packages found in {args.lock}", file=sys.stderr)
        return 1
    documented = documented_packages(args.doc)
    if not documented:
        print(f'error: no "{TABLE_HEADING}" table found in {args.doc}', file=sys.stderr)
        return 1

    found = problems(locked, documented)
    for problem in found:
        print(f"{args.doc.name}: {problem}", file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s); update {args.doc.name} with the lock", file=sys.stderr)
        return 1
    print(f"{args.doc.name} lists all {len(locked)} locked packages at their locked versions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
