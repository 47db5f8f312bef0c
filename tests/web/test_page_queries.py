"""Every main page runs a fixed number of SQL statements, whatever the size of the data.

Each page is requested at a small data size and again after the history grew (entries, audit
events, outbox messages, notifications, payroll batches, more people and incidents); the number
of statements the app's engine ran for the request must be the same. A list that loads a row's
relations one by one, or a count that grows with the data, fails here. Speed at scale is
measured by ``bench/pages.py``, not here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.dates import today
from tracker.models import (
    AuditEvent,
    ExportBatch,
    IncidentContractor,
    Notification,
    OutboxMessage,
    TimeEntry,
    utcnow,
)


@contextmanager
def counting(app: Any) -> Iterator[list[str]]:
    """The statements the app's engine runs inside the block."""
    engine = app.extensions["tracker.engine"]
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


class World:
    """An admin, a payroll user, contractors on projects, an incident with a hold, and a
    history that ``grow`` makes longer."""

    def __init__(self, db: Any, make: Any) -> None:
        self.db = db
        self.make = make
        self.admin = make.admin()
        self.payroll = make.payroll()
        self.projects = [make.project(client=f"Client {n}") for n in range(3)]
        self.contractors: list[Any] = []
        self.round = 0
        self.hold = make.hold(self.projects[2])
        self.incident_id = self.hold.incident_id
        self.grow(people=2, days=3)

    def grow(self, *, people: int, days: int) -> None:
        """More contractors on every project, and ``days`` days of entries, audit events,
        notifications and outbox messages for each of them."""
        self.round += 1
        db = self.db
        for _ in range(people):
            person = self.make.contractor()
            for project in self.projects:
                self.make.assign(project, person)
            self.contractors.append(person)
            db.add(IncidentContractor(incident_id=self.incident_id, user_id=person.id))
        db.commit()
        base = today() - dt.timedelta(days=1 + 10 * self.round)
        statuses = ("submitted", "approved", "rejected")
        for person in self.contractors:
            for d in range(days):
                for n, project in enumerate(self.projects):
                    db.add(
                        TimeEntry(
                            user_id=person.id,
                            project_id=project.id,
                            work_date=base - dt.timedelta(days=d),
                            minutes=30 + n,
                            hourly_rate=project.hourly_rate,
                            currency=project.currency,
                            status=statuses[(d + n) % 3],
                            description=f"Work {d}",
                            created_by_id=person.id,
                        )
                    )
                db.add(
                    AuditEvent(
                        actor_id=person.id,
                        action="entry.created",
                        target_type="time_entry",
                        target_id=d,
                        origin="127.0.0.1",
                        data={"n": d},
                    )
                )
                db.add(
                    Notification(
                        user_id=person.id,
                        kind="entry_rejected",
                        message=f"Rejected {d}",
                        project_id=self.projects[0].id,
                    )
                )
                db.add(
                    OutboxMessage(
                        kind="email",
                        status=("pending", "sent", "dead")[d % 3],
                        topic="entry_rejected",
                        recipient=person.email,
                        user_id=person.id,
                        payload={},
                        key=f"k{self.round}-{person.id}-{d}",
                        next_attempt_at=utcnow(),
                    )
                )
        db.add(
            ExportBatch(
                period_start=base - dt.timedelta(days=days),
                period_end=base,
                row_count=0,
                total_minutes=0,
                totals={},
                sha256="0" * 64,
                content=b"",
                created_by_id=self.payroll.id,
            )
        )
        db.commit()


def _pages(world: World) -> list[tuple[str, Any, str]]:
    """(role name, user, path) for every main page."""
    admin, payroll, person = world.admin, world.payroll, world.contractors[0]
    project = world.projects[0]
    incident = world.incident_id
    return [
        ("contractor", person, "/"),
        ("contractor", person, "/entries"),
        ("contractor", person, f"/entries?project_id={project.id}"),
        ("contractor", person, "/entries?status=approved"),
        ("contractor", person, "/timesheet"),
        ("contractor", person, "/notifications"),
        ("contractor", person, "/offers"),
        ("contractor", person, "/incidents"),
        ("contractor", person, f"/incidents/{incident}"),
        ("contractor", person, "/account/"),
        ("admin", admin, "/"),
        ("admin", admin, "/admin/approvals"),
        ("admin", admin, "/admin/approvals?status=approved"),
        ("admin", admin, "/admin/audit/"),
        ("admin", admin, "/admin/projects/"),
        ("admin", admin, f"/admin/projects/{project.id}"),
        ("admin", admin, "/admin/users/"),
        ("admin", admin, "/admin/holds"),
        ("admin", admin, "/admin/incidents"),
        ("admin", admin, f"/admin/incidents/{incident}"),
        ("admin", admin, f"/admin/incidents/{incident}/report"),
        ("admin", admin, "/admin/outbox"),
        ("admin", admin, "/admin/imports/"),
        ("admin", admin, "/notifications"),
        ("payroll", payroll, "/"),
        ("payroll", payroll, "/payroll"),
        ("payroll", payroll, "/payroll/batches"),
    ]


def _counts(app: Any, auth: Any, client: Any, world: World) -> dict[str, int]:
    counts: dict[str, int] = {}
    signed_in = None
    for role, user, path in _pages(world):
        if signed_in is not user:
            auth.logout()
            auth.login(user)
            signed_in = user
        with counting(app) as seen:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[f"{role} {path}"] = len(seen)
    return counts


@pytest.fixture
def world(db: Any, make: Any) -> World:
    return World(db, make)


def test_every_main_page_runs_the_same_number_of_statements_at_any_size(app, auth, client, world):
    small = _counts(app, auth, client, world)
    world.grow(people=3, days=8)
    large = _counts(app, auth, client, world)
    grew = {page: (small[page], large[page]) for page in small if large[page] != small[page]}
    assert grew == {}, f"statements per page grew with the data (small, large): {grew}"
