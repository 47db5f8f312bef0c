"""Anonymous traffic cannot hold up the freeze: 20 clients failing sign-in and 20 sending
made-up API tokens (at the freeze route itself) while an admin freezes a project on a live
multi-worker server. The freeze lands, and the refused calls leave a bounded audit trail.

How long the freeze took is measured by ``bench/anonymous_freeze.py``, not asserted here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from tests import live
from tests.anonymous_load import Crowd
from tracker.models import AuditEvent, Hold, Project

CLIENTS = 20


@pytest.fixture
def server(database_url: str) -> Iterator[live.Server]:
    with live.gunicorn_server(database_url, workers=4, threads=4) as running:
        yield running


def _count(db, action: str) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).where(AuditEvent.action == action)) or 0)


@pytest.mark.slow
def test_a_freeze_lands_while_anonymous_clients_fail_sign_in_and_send_bad_tokens(server, make, db):
    admin = make.admin()
    token = make.token(admin)
    victim = make.contractor()
    project = make.project(code="UNDERLOAD")
    make.assign(project, make.contractor())
    path = f"/projects/{project.id}/freeze"
    with Crowd(server.port, victim.email, path, CLIENTS, CLIENTS) as crowd:
        status, body = live.call(
            server.port, "POST", path, token, {"reason": "Breach", "notice": "Paused."}, timeout=60
        )
        denied_while_loaded = len(crowd.statuses)
    answers = crowd.stop()

    assert status == 200, body
    assert body["project"]["status"] == "frozen"
    db.expire_all()
    assert db.get(Project, project.id).status == "frozen"
    assert db.scalar(select(func.count()).select_from(Hold)) == 1
    # The crowd was really there: every client had answers, all refusals, none a 5xx.
    assert denied_while_loaded >= 2 * CLIENTS
    assert set(answers) <= {401, 429}, (answers, crowd.errors[:3])
    refused_tokens = answers.get(401, 0)
    # Made-up tokens are audited once a minute per address in each worker, not once a call.
    denied_rows = _count(db, "api.denied")
    assert 1 <= denied_rows <= 2 * 4
    assert refused_tokens > denied_rows
    # Sign-ins refused by the throttle are recorded once a minute per account and address too.
    throttled = answers.get(429, 0)
    assert throttled > 2 * 4
    assert _count(db, "login.throttled") <= 2 * 4
