"""Check that docs/dependencies.md lists every locked package, at its version and in its lock.

Exit status 0 when the table under "## Every locked package" has one row per package of the three
locks (installer, runtime, development) with the locked version, says "runtime" exactly for the
packages of the runtime lock ("installer" for those only the installer's lock holds, "development"
for the rest), and has no row for a package no lock holds; otherwise 1, with one line per problem
on stderr. Standard library only, so it runs before any install.

Usage: python3 scripts/check_dependencies_doc.py [--doc FILE]
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
# A table row: a package name in backticks, its version, and what it is used for.
TABLE_ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|")

# Each lock, and the word the table's "used for" column gives its packages (first match wins).
LOCKS = (
    ("requirements.lock", "runtime"),
    ("requirements-pip.lock", "installer"),
    ("requirements-dev.lock", "development"),
)


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


def all_locked(root: Path) -> dict[str, tuple[str, str]]:
    """Every package of the three locks: its version and what it is used for."""
    packages: dict[str, tuple[str, str]] = {}
    for file_name, use in LOCKS:
        for name, version in locked_packages(root / file_name).items():
            packages.setdefault(name, (version, use))
    return packages


def documented_packages(doc: Path) -> dict[str, tuple[str, str]]:
    """The rows of the inventory table, by canonical name: the version and use each states."""
    rows: dict[str, tuple[str, str]] = {}
    in_table_section = False
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_table_section = line.strip() == TABLE_HEADING
            continue
        if in_table_section:
            match = TABLE_ROW.match(line)
            if match:
                rows[canonical(match.group(1))] = (match.group(2), match.group(3))
    return rows


def problems(
    locked: dict[str, tuple[str, str]], documented: dict[str, tuple[str, str]]
) -> list[str]:
    """What is missing, stale or extra in the document, one sentence each."""
    found: list[str] = []
    for name, (version, use) in sorted(locked.items()):
        if name not in documented:
            found.append(f"{name}=={version} is in the {use} lock but not in the table")
            continue
        stated_version, stated_use = documented[name]
        if stated_version != version:
            found.append(
                f"{name}: the table says {stated_version or '(no version)'}, "
                f"the lock pins {version}"
            )
        if stated_use != use:
            found.append(f"{name}: the table says {stated_use or '(nothing)'}, it is {use}")
    for name in sorted(set(documented) - set(locked)):
        found.append(f"{name} is in the table but no longer in the lock")
    return found


def main(argv: list[str] | None = None) -> int:
    """Compare the lock with the document and report; 0 when they agree."""
    parser = argparse.ArgumentParser(
        description="Check that docs/dependencies.md lists every locked package."
    )
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "dependencies.md")
    args = parser.parse_args(argv)

    for file_name, _use in LOCKS:
        if not locked_packages(args.root / file_name):
            print(f"error: no pinned packages found in {file_name}", file=sys.stderr)
            return 1
    locked = all_locked(args.root)
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
