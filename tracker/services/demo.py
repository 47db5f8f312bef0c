"""A realistic demo data set: a few clients, ~10 projects, ~50 contractors, weeks of hours."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from tracker.errors import Conflict
from tracker.models import Assignment, TimeEntry, User, utcnow
from tracker.services import assignments, holds, projects, seats, users

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105  (documented demo credential)
# Seats the demo leaves free on every project with a limit, so contractors see offers at once.
FREE_SEATS = 2
# The project the demo puts on hold, so the hold pages, banners and offers have something to show.
HELD = "CHORPAY"
HOLD_NOTICE = (
    "Work on the payments API is paused while Chordus Bank investigates a suspected breach. "
    "Please do not log hours on CHORPAY; you can join another project from your offers."
)

PROJECTS = [
    (
        "CHORDUS",
        "Core banking migration",
        "Chordus Bank",
        12,
        ["python", "sql", "security"],
        "62.50",
    ),
    ("CHORPAY", "Payments API hardening", "Chordus Bank", 6, ["security", "go"], "75.00"),
    ("NWPORTAL", "Patient portal", "Northwind Health", 8, ["react", "accessibility"], "55.00"),
    (
        "NWDATA",
        "Clinical data pipeline",
        "Northwind Health",
        6,
        ["python", "spark", "sql"],
        "60.00",
    ),
    ("HELIOFLEET", "Fleet tracking", "Helio Logistics", 10, ["go", "kafka"], "58.00"),
    ("HELIOWMS", "Warehouse system upgrade", "Helio Logistics", 5, ["java", "sql"], "52.00"),
    ("VERDGRID", "Grid telemetry", "Verdant Energy", 8, ["python", "iot"], "65.00"),
    ("VERDAPP", "Customer app", "Verdant Energy", 6, ["react", "mobile"], "54.00"),
    ("VERDSEC", "Security review", "Verdant Energy", 4, ["security", "pentest"], "90.00"),
    ("INTERNAL", "Internal tooling", "", None, ["python"], "40.00"),
]
FIRST = [
    "Ada",
    "Ben",
    "Chen",
    "Dara",
    "Eli",
    "Fatima",
    "Goran",
    "Hana",
    "Ivan",
    "Jun",
    "Kemal",
    "Lena",
    "Maya",
    "Nico",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Uma",
    "Viktor",
    "Wen",
    "Xenia",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Okafor",
    "Schmidt",
    "Tanaka",
    "Silva",
    "Novak",
    "Haddad",
    "Larsen",
    "Moreau",
    "Kowalski",
    "Rossi",
    "Nguyen",
    "Patel",
    "Byrne",
    "Costa",
    "Ivanova",
]
ZONES = [
    "Europe/Berlin",
    "Europe/Lisbon",
    "America/New_York",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "UTC",
    "Africa/Lagos",
    "America/Los_Angeles",
]
SKILLS = [
    "python",
    "sql",
    "security",
    "go",
    "react",
    "accessibility",
    "spark",
    "kafka",
    "java",
    "iot",
    "mobile",
    "pentest",
]
TASKS = [
    "Code review",
    "Sprint planning",
    "Fixed flaky tests",
    "Schema migration",
    "On-call",
    "Pairing session",
    "Wrote runbook",
    "Client workshop",
    "Performance tuning",
    "Bug triage",
    "Implemented feature flag",
    "Security fixes",
]


def load(session: Session, seed: int = 7, weeks: int = 4) -> list[str]:
    """Fill an empty database with demo data. Raises Conflict when it already has projects."""
    if session.scalar(select(func.count()).select_from(projects.Project)):
        raise Conflict("the database already has projects; demo data goes into an empty one")
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not a secret)
    admin = users.find_by_email(session, "admin@example.com") or users.create_user(
        session,
        None,
        email="admin@example.com",
        name="Alex Admin",
        role="admin",
        password=DEMO_PASSWORD,
    )
    if users.find_by_email(session, "payroll@example.com") is None:
        users.create_user(
            session,
            admin,
            email="payroll@example.com",
            name="Pat Payroll",
            role="payroll",
            password=DEMO_PASSWORD,
        )
    made = [
        projects.create_project(
            session,
            admin,
            code=code,
            name=name,
            client=client,
            seats=seats,
            skills=skills,
            hourly_rate=rate,
            currency="EUR" if code != "HELIOFLEET" else "USD",
        )
        for code, name, client, seats, skills, rate in PROJECTS
    ]
    contractors: list[User] = []
    for i in range(50):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        contractors.append(
            users.create_user(
                session,
                admin,
                email=f"{first}.{last}{i}@example.com".lower(),
                name=f"{first} {last}",
                role="contractor",
                password=DEMO_PASSWORD,
                timezone=rng.choice(ZONES),
                skills=rng.sample(SKILLS, 3),
                hourly_rate=f"{rng.randint(40, 80)}.00",
            )
        )
    today = utcnow().date()  # the server's date, the same in every timezone setting
    start = today - dt.timedelta(weeks=weeks)
    rows = []
    assigned = 0
    for person in contractors:
        for project in rng.sample(made, 2):
            left = seats.free_seats(session, project)
            if left is not None and left <= FREE_SEATS:
                continue  # the demo keeps seats free, so offers have somewhere to go
            try:
                assignment = assignments.assign(session, admin, project, person, start_date=start)
            except Conflict:
                continue
            assigned += 1
            rate = assignment.rate_on(project)
            day = start
            while day < today:
                if day.weekday() < 5 and rng.random() < 0.6:
                    rows.append(
                        {
                            "user_id": person.id,
                            "project_id": project.id,
                            "work_date": day,
                            "minutes": rng.choice([60, 120, 180, 210, 240, 270]),
                            "description": rng.choice(TASKS),
                            "status": "approved"
                            if day < today - dt.timedelta(days=7)
                            else "submitted",
                            "hourly_rate": Decimal(rate),
                            "currency": project.currency,
                            "created_by_id": person.id,
                            "created_at": utcnow(),
                            "approved_by_id": admin.id
                            if day < today - dt.timedelta(days=7)
                            else None,
                            "approved_at": utcnow() if day < today - dt.timedelta(days=7) else None,
                        }
                    )
                day += dt.timedelta(days=1)
    if rows:
        session.execute(insert(TimeEntry), rows)
    held = next(p for p in made if p.code == HELD)
    _hold, affected = holds.freeze_project(
        session,
        admin,
        held,
        reason="Client reported a suspected breach of the payments sandbox.",
        notice=HOLD_NOTICE,
        incident_ref="INC-2041",
    )
    on_hold = session.scalar(
        select(User.email)
        .join(Assignment, Assignment.user_id == User.id)
        .where(Assignment.project_id == held.id)
        .order_by(User.id)
        .limit(1)
    )
    return [
        f"demo data: {len(made)} projects, {len(contractors)} contractors, "
        f"{assigned} assignments, {len(rows)} time entries over {weeks} weeks",
        f"{HELD} is on hold ({affected} contractors affected); every project with a seat "
        f"limit has {FREE_SEATS} or more seats free",
        f"sign in as admin@example.com, payroll@example.com or any contractor "
        f"(e.g. {on_hold or contractors[0].email}, who is on {HELD} and sees offers) with the "
        f"password {DEMO_PASSWORD}",
    ]
