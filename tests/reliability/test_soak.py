"""The soak (bench/soak.py) for 30 seconds: no 5xx, no connection leak, memory flat.

The ten-minute run and its figures are in the bench script's report; here only what must hold
whatever the machine's speed. It soaks PostgreSQL, so it runs in the PostgreSQL run only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests import live

SECONDS = 30


@pytest.mark.slow
def test_thirty_seconds_of_mixed_load_give_no_5xx_no_connection_leak_and_flat_memory(
    is_postgres, tmp_path
):
    if not is_postgres:
        pytest.skip("PostgreSQL only (bench/soak.py --sqlite soaks a SQLite file)")
    figures_file = tmp_path / "soak.json"
    target = ["--admin-url", os.environ["TRACKER_TEST_DATABASE_URL"]]
    done = subprocess.run(
        [
            sys.executable,
            "bench/soak.py",
            "--seconds",
            str(SECONDS),
            "--json",
            str(figures_file),
            *target,
        ],
        cwd=live.ROOT,
        capture_output=True,
        text=True,
        timeout=SECONDS + 300,
        check=False,
    )
    print(done.stdout)  # the figures, for pytest -s

    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(figures_file.read_text())
    assert figures["server_errors"] == 0
    assert figures["failed_connections"] == 0
    assert figures["tracebacks_in_log"] == 0
    answers = figures["by_kind_and_status"]
    logged = {key.rsplit(" ", 1)[1] for key in answers if key.startswith("log entry")}
    assert logged <= {"201", "409", "422"}, answers  # saved, on hold, or over the daily limit
    assert answers.get("log entry 201", 0) > 0
    assert figures["freeze_s"]["count"] >= 2
    assert answers.get("freeze 200") == figures["freeze_s"]["count"]
    assert answers.get("payroll csv 200", 0) > 0
    assert {k for k in answers if k.startswith("payroll batch")} == {"payroll batch 201"}, answers
    first, last = figures["first_window"], figures["last_window"]
    assert last["rss_max_worker_mib"] <= 1.5 * first["rss_max_worker_mib"]
    # each worker thread holds at most one pooled connection, the outbox worker at most two
    # (its claim and its reads), and none leak
    assert last["connections_max"] <= figures["workers"] * figures["threads"] + 2
    # The outbox worker ran throughout: ready all along, every hold's emails sent, none dead.
    assert figures["readyz"] == {"200": sum(figures["readyz"].values())}
    outbox = figures["outbox"]
    assert outbox.get("sent", 0) > 0, outbox
    assert outbox["eml_files"] == outbox["sent"], outbox
    assert not outbox.get("pending"), outbox
    assert not outbox.get("dead"), outbox
    assert last["outbox_rss_mib"] <= 1.5 * first["outbox_rss_mib"]
