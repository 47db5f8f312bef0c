"""README's gunicorn table matches gunicorn.conf.py's defaults (threaded workers, 4 threads)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from gunicorn.workers.gthread import ThreadWorker as GthreadWorker

from tracker.serving import ThreadWorker

ROOT = Path(__file__).resolve().parent.parent


def test_readme_states_the_worker_class_and_thread_default_of_gunicorn_conf(monkeypatch):
    for name in ("TRACKER_THREADS", "TRACKER_WORKERS", "TRACKER_BIND"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = re.search(r"^\s*\| `TRACKER_THREADS` \| `(\d+)` \|(.*)$", readme, re.M)
    assert row, "README has no TRACKER_THREADS row"
    assert int(row.group(1)) == conf["threads"] == 4
    # gunicorn's gthread worker, subclassed to refuse new connections at once on SIGTERM
    assert conf["worker_class"] == "tracker.serving.ThreadWorker"
    assert issubclass(ThreadWorker, GthreadWorker)
    assert "`gthread`" in readme
    assert "TRACKER_DB_POOL_SIZE" in row.group(2)
    assert f"`{conf['bind']}`" in readme
    assert "sync worker" not in readme


def test_a_bad_thread_count_stops_gunicorn_naming_the_variable(monkeypatch):
    monkeypatch.setenv("TRACKER_THREADS", "four")
    with pytest.raises(SystemExit, match="TRACKER_THREADS must be a whole number"):
        runpy.run_path(str(ROOT / "gunicorn.conf.py"))
