"""Supply chain: no unexpected .pth start-up hooks, a fully hashed lock, documented dependencies."""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# .pth files run at every interpreter start (the litellm 1.82.8 attack used one): each is known.
ALLOWED_PTH = {
    "a1_coverage.pth",  # coverage's subprocess measurement hook
    "distutils-precedence.pth",  # setuptools' shim for distutils
}
EDITABLE_PTH = re.compile(r"^__editable__\.tracker-[0-9][0-9A-Za-z.+]*\.pth$")  # pip install -e .


def _site_packages() -> set[Path]:
    return {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}


def test_only_allowlisted_pth_files_are_installed():
    found = sorted(
        pth.name for folder in _site_packages() if folder.is_dir() for pth in folder.glob("*.pth")
    )
    unexpected = [
        name for name in found if name not in ALLOWED_PTH and not EDITABLE_PTH.match(name)
    ]
    assert unexpected == [], f"unexpected .pth files in site-packages: {unexpected}"


def test_the_allowlist_check_would_catch_a_poisoned_pth():
    assert "litellm_init.pth" not in ALLOWED_PTH
    assert not EDITABLE_PTH.match("litellm_init.pth")
    assert not EDITABLE_PTH.match("__editable__.evil-1.0.pth")


def _lock_entries() -> list[str]:
    """Each requirement of the lock with its continuation lines joined."""
    text = (ROOT / "requirements.lock").read_text()
    entries: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if line[:1].isspace() and entries:
            entries[-1] += " " + stripped
        else:
            entries.append(stripped)
    return entries


def test_every_locked_package_is_pinned_exactly_with_hashes():
    entries = _lock_entries()
    assert len(entries) > 10
    for entry in entries:
        requirement = entry.split()[0]
        assert re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?==[^\s=]+$", requirement), entry
        assert "--hash=sha256:" in entry, f"{requirement} has no hash"


def test_the_lock_pins_every_direct_dependency():
    locked = {
        re.sub(r"[-_.]+", "-", entry.split("==")[0].split("[")[0]).lower()
        for entry in _lock_entries()
    }
    wanted = []
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            wanted.append(re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~; ]", line)[0]).lower())
    assert wanted
    assert [name for name in wanted if name not in locked] == []


def test_dependencies_doc_covers_the_lock():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_dependencies_doc.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_install_uses_require_hashes_and_never_relocks():
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --require-hashes -r requirements.lock" in makefile
    install_recipe = makefile.split("\ninstall:")[1].split("\n\n")[0]
    assert "pip-compile" not in install_recipe
