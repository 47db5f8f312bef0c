"""Supply chain: no unexpected .pth start-up hooks, a fully hashed lock, documented dependencies."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# .pth files run at every interpreter start (the litellm 1.82.8 attack used one): each is known.
ALLOWED_PTH = {
    "a1_coverage.pth",  # coverage's subprocess measurement hook
    "distutils-precedence.pth",  # setuptools' shim for distutils
}
EDITABLE_PTH = re.compile(r"^__editable__\.tracker-[0-9][0-9A-Za-z.+]*\.pth$")  # pip install -e .


def _site_packages() -> set[Path]:
    return {Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}


def _unexpected_pth(folders: set[Path]) -> list[str]:
    """The .pth files in the folders that are neither allowlisted nor this app's editable one."""
    found = sorted(
        pth.name for folder in folders if folder.is_dir() for pth in folder.glob("*.pth")
    )
    return [name for name in found if name not in ALLOWED_PTH and not EDITABLE_PTH.match(name)]


def test_only_allowlisted_pth_files_are_installed():
    unexpected = _unexpected_pth(_site_packages())
    assert unexpected == [], f"unexpected .pth files in site-packages: {unexpected}"


def test_the_check_finds_a_poisoned_pth_beside_the_allowed_ones(tmp_path):
    for name in (*ALLOWED_PTH, "__editable__.tracker-0.1.0.pth"):
        (tmp_path / name).write_text("")
    assert _unexpected_pth({tmp_path}) == []
    for name in ("litellm_init.pth", "__editable__.evil-1.0.pth"):
        (tmp_path / name).write_text("import os\n")
    assert _unexpected_pth({tmp_path}) == ["__editable__.evil-1.0.pth", "litellm_init.pth"]


LOCKS = {  # each lock and the input it is made from
    "requirements-pip.lock": "requirements-pip.in",
    "requirements.lock": "requirements.in",
    "requirements-dev.lock": "requirements-dev.in",
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock_entries(lock: str) -> list[str]:
    """Each requirement of a lock with its continuation lines joined."""
    text = (ROOT / lock).read_text()
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


def _locked_names(lock: str) -> set[str]:
    return {_canonical(entry.split("==")[0].split("[")[0]) for entry in _lock_entries(lock)}


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_package_is_pinned_exactly_with_hashes(lock):
    entries = _lock_entries(lock)
    assert len(entries) >= 3
    for entry in entries:
        requirement = entry.split()[0]
        assert re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?==[^\s=]+$", requirement), entry
        assert "--hash=sha256:" in entry, f"{requirement} has no hash"


@pytest.mark.parametrize(("lock", "source"), LOCKS.items())
def test_each_lock_pins_every_direct_dependency_of_its_input(lock, source):
    wanted = []
    for line in (ROOT / source).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            wanted.append(_canonical(re.split(r"[\[<>=!~; ]", line)[0]))
    assert wanted
    assert [name for name in wanted if name not in _locked_names(lock)] == []


def test_the_runtime_lock_holds_no_development_tool():
    runtime = _locked_names("requirements.lock")
    for tool in ("pytest", "hypothesis", "mypy", "ruff", "playwright", "pip-audit", "coverage"):
        assert tool not in runtime


def test_shared_packages_have_one_version_across_the_locks():
    versions: dict[str, set[str]] = {}
    for lock in LOCKS:
        for entry in _lock_entries(lock):
            name, version = entry.split()[0].split("==")
            versions.setdefault(_canonical(name.split("[")[0]), set()).add(version)
    assert {name: v for name, v in versions.items() if len(v) > 1} == {}


def _imported_top_levels(package: Path = ROOT / "tracker") -> dict[str, str]:
    """Every module imported anywhere in a package (functions included): top level -> file."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], path.name)
    return found


def test_the_app_imports_nothing_that_only_the_development_lock_installs():
    runtime = _locked_names("requirements.lock")
    distributions = importlib.metadata.packages_distributions()
    outside: list[str] = []
    for module, where in _imported_top_levels().items():
        if module in sys.stdlib_module_names or module in {"tracker", "__future__"}:
            continue
        owners = {_canonical(name) for name in distributions.get(module, [])}
        if not owners & runtime:
            outside.append(f"{module} (from {sorted(owners) or 'nowhere'}) in {where}")
    assert outside == []


def test_the_import_check_sees_imports_inside_functions(tmp_path):
    (tmp_path / "late.py").write_text("def f():\n    import playwright.sync_api\n")
    (tmp_path / "early.py").write_text("from hypothesis import given\n")
    assert _imported_top_levels(tmp_path) == {"playwright": "late.py", "hypothesis": "early.py"}


def test_dependencies_doc_covers_the_lock():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_dependencies_doc.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_run_installs_the_runtime_lock_only_and_never_relocks():
    makefile = (ROOT / "Makefile").read_text()
    runtime_recipe = makefile.split("\n$(RUNTIME):")[1].split("\n\n")[0]
    assert "pip install --require-hashes -r requirements.lock\n" in runtime_recipe + "\n"
    assert "requirements-dev.lock" not in runtime_recipe
    install_recipe = makefile.split("\ninstall:")[1].split("\n\n")[0]
    assert install_recipe.startswith(" runtime")
    assert "pip-compile" not in install_recipe
    assert "\nrun: install" in makefile
    assert "\ntest: venv" in makefile
    assert "\nlint: venv" in makefile


def test_make_test_runs_the_suite_on_both_databases():
    planned = subprocess.run(
        ["make", "-n", "--always-make", "test-sqlite", "test-postgres"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    runs = [line for line in planned.splitlines() if "/pytest" in line]
    assert len(runs) == 2, planned
    assert "env -u TRACKER_TEST_DATABASE_URL" in runs[0]
    assert "TRACKER_TEST_DATABASE_URL='postgresql" in runs[1]
