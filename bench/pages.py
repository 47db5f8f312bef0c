"""Every main page at a small and a large history, on PostgreSQL: the ratio of their times.

    .venv/bin/python bench/pages.py [--admin-url URL] [--entries N] [--events N] [--repeat R]
                                    [--explain]

Creates a fresh database (dropped at the end, whatever happens) and migrates it; people,
projects, assignments and an incident with a hold are made through the services. The history
is inserted set-based (``INSERT … SELECT … generate_series``):

- small: 2,000 entries (the newest 100 days, 20 a day), 20,000 audit events, 2,000 outbox
  messages, 200 notifications for the contractor viewed;
- large: the same, plus older history up to ``--entries`` entries and ``--events`` audit events
  (outbox messages and notifications grow by a tenth and a hundredth of the events).

The two sizes live in two databases made the same way (the same ids), so every page has the
same URL in both. Entries are spread over 10 contractors, so the contractor viewed owns a
tenth of them (at 1M entries, 100,000: twenty times the share of the issue's 200-contractor
set). Whatever a filtered page shows (rejected entries, one project, the admin's or one
target's audit events, a rare action, dead deliveries) fills at least a page at the small size
too, so both sizes render the same number of rows and the ratio measures the history alone.
Each page is requested through the app (Flask's test client, signed in as its role; no
server, so the figures are the app and the database only): three warm-up requests, then
``--repeat`` timed ones, the two sizes taking turns request by request; the table gives the
fastest time of each size (the least disturbed on a shared machine) and their ratio.
``--explain`` prints ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement each page ran, at the
large size.

Target (issue 20): every page's ratio ≤ 1.2 at 1M entries and 10M audit events. Those
defaults take a long time to insert; the defaults here are smaller (see ``--help``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import live
from tracker import create_app, migrate
from tracker.db import get_engine, unit_of_work
from tracker.models import Hold, Incident, IncidentContractor, utcnow
from tracker.services import assignments, projects, users

DEFAULT_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = secrets.token_urlsafe(16)
CONTRACTORS = 10
PROJECTS = 10
SMALL_ENTRIES = 2000
SMALL_EVENTS = 20000
SMALL_PER_DAY = 20
OLD_PER_DAY = 400


def _arrange(today: dt.date) -> dict[str, Any]:
    """People, projects, assignments and an incident holding one project."""
    with unit_of_work() as session:
        admin = users.create_user(
            session, None, email="admin@bench.test", name="Admin", role="admin", password=PASSWORD
        )
        payer = users.create_user(
            session,
            None,
            email="payroll@bench.test",
            name="Payroll",
            role="payroll",
            password=PASSWORD,
        )
        people = [
            users.create_user(
                session,
                None,
                email=f"contractor{n}@bench.test",
                name=f"Contractor {n:02d}",
                role="contractor",
                password=PASSWORD,
            )
            for n in range(CONTRACTORS)
        ]
        made = [
            projects.create_project(
                session,
                None,
                code=f"BENCH{n}",
                name=f"Bench project {n}",
                client=f"Client {n % 3}",
                hourly_rate="50.00",
                currency="EUR" if n % 3 else "USD",
            )
            for n in range(PROJECTS)
        ]
        session.flush()
        for i, person in enumerate(people):
            for k in range(3):
                assignments.assign(
                    session,
                    admin,
                    made[(i + k) % PROJECTS],
                    person,
                    start_date=today - dt.timedelta(days=4000),
                )
        session.flush()
        started = utcnow()
        incident = Incident(
            title="Bench incident",
            reason="Client breach under investigation",
            notice="This project is paused while the client investigates.",
            scope="projects",
            review_by=today + dt.timedelta(days=14),
            started_at=started,
        )
        session.add(incident)
        session.flush()
        held = made[0]
        session.add(
            Hold(
                project_id=held.id,
                incident_id=incident.id,
                reason=incident.reason,
                notice=incident.notice,
                started_at=started,
            )
        )
        held.status = "frozen"
        for person in people:
            session.add(IncidentContractor(incident_id=incident.id, user_id=person.id))
        session.flush()
        return {
            "admin_id": admin.id,
            "contractor_id": people[0].id,
            "admin": admin.email,
            "payroll": payer.email,
            "contractor": people[0].email,
            "project": made[1].id,
            "incident": incident.id,
        }


def _insert_history(
    today: dt.date, entries: tuple[int, int], events: tuple[int, int], viewer_email: str
) -> None:
    """Entries and events numbered first+1..last (set-based); higher numbers are older, and
    get lower ids (inserted oldest first), as a real history does."""
    first, last = entries
    with get_engine().begin() as connection:
        params = {"first": first, "last": last, "today": today, "small": SMALL_ENTRIES}
        connection.execute(
            text(
                "WITH a AS (SELECT row_number() OVER (ORDER BY a.id) - 1 AS n, a.user_id,"
                "                  a.project_id, p.hourly_rate, p.currency"
                "           FROM assignments a JOIN projects p ON p.id = a.project_id),"
                "     k AS (SELECT count(*) AS c FROM a) "
                "INSERT INTO time_entries (user_id, project_id, work_date, minutes, description,"
                " status, hourly_rate, currency, is_correction, created_by_id, created_at) "
                "SELECT a.user_id, a.project_id,"
                " CASE WHEN g <= :small THEN :today - 1 - ((g - 1) / " + str(SMALL_PER_DAY) + ")"
                "      ELSE :today - 1 - (:small / " + str(SMALL_PER_DAY) + ")"
                "           - ((g - :small - 1) / " + str(OLD_PER_DAY) + ") END,"
                " 1 + (g * 7) % 480, 'Ticket ' || g,"
                " CASE WHEN g <= 300 THEN 'submitted'"
                "      WHEN g % 53 = 0 OR (g <= :small AND g % 2 = 0) THEN 'rejected'"
                "      ELSE 'approved' END,"
                " a.hourly_rate, a.currency, false, a.user_id, now() "
                "FROM generate_series(:first + 1, :last) AS g, k"
                " JOIN a ON true WHERE a.n = g % k.c"
            ),
            params,
        )
        lo, hi = events
        connection.execute(
            text(
                "WITH c AS (SELECT array_agg(id ORDER BY id) AS ids FROM users) "
                "INSERT INTO audit_events (at, actor_id, action, target_type, target_id, origin,"
                " data) "
                "SELECT now() - make_interval(secs => g),"
                " CASE WHEN g % 1000 = 0 OR (g <= :small AND g % 100 = 0) THEN c.ids[1]"
                "      ELSE c.ids[3 + g % (cardinality(c.ids) - 2)] END,"
                " CASE WHEN g % 10007 = 0 OR (g <= :small AND g % 100 = 0) THEN 'hold.started'"
                " ELSE"
                " (ARRAY['entry.created', 'entry.approved', 'user.login', 'entry.changed'])"
                "[1 + g % 4] END, 'time_entry',"
                " CASE WHEN g <= :small THEN 1 + g % 150 ELSE 1 + g % 50000 END, '127.0.0.1', '{}' "
                "FROM generate_series(:lo + 1, :hi) AS g, c ORDER BY g DESC"
            ),
            {"lo": lo, "hi": hi, "small": SMALL_EVENTS},
        )
        connection.execute(
            text(
                "WITH c AS (SELECT array_agg(id ORDER BY id) AS ids,"
                "                  array_agg(email ORDER BY id) AS emails FROM users) "
                "INSERT INTO outbox (kind, status, topic, recipient, user_id, payload, key,"
                " attempts, next_attempt_at, created_at, sent_at) "
                "SELECT 'email', CASE WHEN g <= 20 THEN 'pending'"
                "     WHEN g % 50 = 0 OR (g <= :small / 10 AND g % 10 = 0) THEN 'dead'"
                "                     ELSE 'sent' END,"
                " 'entry_rejected', c.emails[1 + g % cardinality(c.ids)],"
                " c.ids[1 + g % cardinality(c.ids)], '{}', md5(g::text),"
                " 1, now() - make_interval(secs => g), now() - make_interval(secs => g),"
                " CASE WHEN g % 50 = 0 OR g <= 20 OR (g <= :small / 10 AND g % 10 = 0) THEN NULL"
                "      ELSE now() - make_interval(secs => g) END "
                "FROM generate_series(:lo / 10 + 1, :hi / 10) AS g, c ORDER BY g DESC"
            ),
            {"lo": lo, "hi": hi, "small": SMALL_EVENTS},
        )
        connection.execute(
            text(
                "INSERT INTO notifications (user_id, kind, message, created_at, read_at) "
                "SELECT u.id, 'entry_rejected', 'Entry ' || g || ' was rejected',"
                " now() - make_interval(secs => g),"
                " CASE WHEN g > 30 THEN now() END "
                "FROM generate_series(:lo / 100 + 1, :hi / 100) AS g,"
                " (SELECT id FROM users WHERE email = :email) AS u"
            ),
            {"lo": lo, "hi": hi, "email": viewer_email},
        )
        connection.execute(text("ANALYZE"))


def _pages(ids: dict[str, Any], today: dt.date) -> list[tuple[str, str]]:
    week = f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}"
    return [
        ("contractor", "/"),
        ("contractor", "/entries"),
        ("contractor", f"/entries?project_id={ids['project']}"),
        ("contractor", "/entries?status=rejected"),
        ("contractor", "/timesheet"),
        ("contractor", "/notifications"),
        ("contractor", "/offers"),
        ("contractor", f"/incidents/{ids['incident']}"),
        ("admin", "/"),
        ("admin", "/admin/approvals"),
        ("admin", f"/admin/approvals?status=approved&week={week}"),
        ("admin", f"/admin/approvals?status=&user_id={ids['contractor_id']}"),
        ("admin", "/admin/audit/"),
        ("admin", "/admin/audit/?action=hold.started"),
        ("admin", f"/admin/audit/?actor_id={ids['admin_id']}"),
        ("admin", "/admin/audit/?target_type=time_entry&target_id=123"),
        ("admin", "/admin/projects/"),
        ("admin", f"/admin/projects/{ids['project']}"),
        ("admin", "/admin/users/"),
        ("admin", "/admin/holds"),
        ("admin", "/admin/incidents"),
        ("admin", f"/admin/incidents/{ids['incident']}"),
        ("admin", f"/admin/incidents/{ids['incident']}/report"),
        ("admin", "/admin/outbox"),
        ("admin", "/admin/outbox?status=dead"),
        ("admin", "/admin/imports/"),
        ("payroll", "/payroll"),
        ("payroll", "/payroll/batches"),
    ]


def _clients(app: Any, ids: dict[str, Any]) -> dict[str, Any]:
    clients = {}
    for role in ("contractor", "admin", "payroll"):
        client = app.test_client()
        response = client.post("/login", data={"email": ids[role], "password": PASSWORD})
        if response.status_code != 302:
            raise RuntimeError(f"{role} could not sign in: {response.status_code}")
        clients[role] = client
    return clients


def _time_pages(
    apps: dict[str, Any], ids: dict[str, Any], pages: Any, repeat: int
) -> dict[str, dict[str, float]]:
    """The fastest of ``repeat`` requests per page and size, in seconds (the least disturbed
    by other work on the machine); the sizes take turns, request by request."""
    clients = {size: _clients(app, ids) for size, app in apps.items()}
    fastest: dict[str, dict[str, float]] = {size: {} for size in apps}
    for role, path in pages:
        times: dict[str, list[float]] = {size: [] for size in apps}
        for n in range(3 + repeat):
            for size in apps:
                started = time.perf_counter()
                response = clients[size][role].get(path)
                took = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"{size} {role} {path}: HTTP {response.status_code}")
                if n >= 3:
                    times[size].append(took)
        for size in apps:
            fastest[size][f"{role} {path}"] = min(times[size])
    return fastest


def _explain(app: Any, ids: dict[str, Any], pages: Any) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every statement each page runs."""
    clients = _clients(app, ids)
    engine = get_engine()
    seen: list[tuple[str, Any]] = []

    def before(_c: Any, _cur: Any, statement: str, parameters: Any, *_a: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    for role, path in pages:
        seen.clear()
        event.listen(engine, "before_cursor_execute", before)
        try:
            clients[role].get(path)
        finally:
            event.remove(engine, "before_cursor_execute", before)
        print(f"\n=== {role} {path}: {len(seen)} SELECTs")
        with engine.connect() as connection:
            raw = connection.connection.driver_connection
            for statement, parameters in seen:
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    plan = [row[0] for row in cursor.fetchall()]
                took = next((p for p in plan if p.startswith("Execution Time")), "")
                print(f"--- {took}  {' '.join(statement.split())[:160]}")
                for line in plan[:12]:
                    print("    " + line)
            raw.rollback()


def _app(url: str) -> Any:
    migrate.upgrade(url)
    return create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "PASSWORD_MEMORY_KIB": 1024,
            "PASSWORD_TIME_COST": 1,
            "WTF_CSRF_ENABLED": False,
            "OUTBOX_STALE_SECONDS": 0,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--entries", type=int, default=200_000, help="large set (default 200k)")
    parser.add_argument("--events", type=int, default=1_000_000, help="large set (default 1M)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--explain", action="store_true")
    options = parser.parse_args()
    today = dt.datetime.now(dt.UTC).date()
    os.environ.setdefault("TRACKER_ENV", "development")
    sizes = {
        "small": ((0, SMALL_ENTRIES), (0, SMALL_EVENTS)),
        "large": ((0, options.entries), (0, options.events)),
    }
    with (
        live.temporary_postgres(options.admin_url, "tracker_bench_small") as small_url,
        live.temporary_postgres(options.admin_url, "tracker_bench_large") as large_url,
    ):
        apps = {"small": _app(small_url), "large": _app(large_url)}
        try:
            for size, app in apps.items():
                with app.app_context():
                    started = time.perf_counter()
                    ids = _arrange(today)
                    entries, events = sizes[size]
                    _insert_history(today, entries, events, ids["contractor"])
                    print(
                        f"{size}: {entries[1]:,} entries, {events[1]:,} audit events inserted"
                        f" in {time.perf_counter() - started:.0f} s",
                        file=sys.stderr,
                    )
            pages = _pages(ids, today)
            medians = _time_pages(apps, ids, pages, options.repeat)
            if options.explain:
                with apps["large"].app_context():
                    _explain(apps["large"], ids, pages)
        finally:
            for app in apps.values():
                app.extensions["tracker.engine"].dispose()
    small, large = medians["small"], medians["large"]
    print(
        f"\npages: {SMALL_ENTRIES:,} entries / {SMALL_EVENTS:,} events vs "
        f"{options.entries:,} / {options.events:,} (fastest of {options.repeat}, ms)"
    )
    print(f"{'page':<52} {'small':>8} {'large':>8} {'ratio':>6}")
    worst = 0.0
    for page in small:
        ratio = large[page] / small[page]
        worst = max(worst, ratio)
        flag = "" if ratio <= 1.2 else "  > 1.2"
        print(f"{page:<52} {small[page] * 1000:8.2f} {large[page] * 1000:8.2f} {ratio:6.2f}{flag}")
    print(f"worst ratio: {worst:.2f} (target ≤ 1.2)")


if __name__ == "__main__":
    main()
