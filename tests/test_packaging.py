"""The built wheel renders the same pages as the checkout: it carries templates, static files,
migrations and the common-password list."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_carries_templates_static_files_and_migrations(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("tracker", "templates"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next((tmp_path / "dist").glob("tracker-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {
        f"tracker/templates/{p.relative_to(ROOT / 'templates').as_posix()}"
        for p in (ROOT / "templates").rglob("*.html")
    }
    assert templates <= names, sorted(templates - names)[:5]
    for needed in (
        "tracker/static/app.css",
        "tracker/data/common-passwords.txt",
        "tracker/migrations/env.py",
        "tracker/migrations/versions/0001_initial_schema.py",
    ):
        assert needed in names
