"""Fixtures shared by the service tests."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from tracker.models import Project, User


@pytest.fixture
def setup(make):
    """Casey on CHORDUS at 40.00 EUR/h, and an admin: (contractor, admin, project)."""
    contractor = make.contractor(name="Casey")
    admin = make.admin()
    project = make.project(code="CHORDUS", hourly_rate="40.00", currency="EUR")
    make.assign(project, contractor)
    return contractor, admin, project


# Payroll files: a month of approved entries with every awkward text a file must survive.
START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
STAMP = dt.datetime(2026, 4, 1, 8, 0, 5, tzinfo=dt.UTC)
# Formula payloads, one hidden behind each separator, and XlsxWriter's rich-text shortcut.
PAYLOADS = [
    "=1+2",
    "+41 79 000",
    "-2+3",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
    "ok;=1+1",
    "ok,=1+1",
    '<r><t>a</t></r></is></c><c r="B1"><f>1+1</f></c><c><is><r><t>b</t></r>',
    'Fixed "login", retested\nnext line',
]


@pytest.fixture
def paid(db, make):
    """Approved entries of two contractors in EUR and USD, with awkward text and a correction."""
    admin = make.admin(email="boss@example.com")
    ada = make.contractor(email="ada@example.com", name="Ada")
    bob = make.contractor(email="bob@example.com", name="Bob")
    eur = make.project(code="EURO", name="Euro work", hourly_rate="33.33")
    usd = make.project(code="DOLLAR", name="Dollar work", hourly_rate="999.99", currency="USD")
    minutes = [1, 7, 59, 90, 1439, 450, 30, 61, 5, 480]
    for n, text in enumerate(PAYLOADS):
        make.entry(
            ada if n % 2 else bob,
            eur if n % 3 else usd,
            work_date=START + dt.timedelta(days=n),
            minutes=minutes[n],
            status="approved",
            approved_by_id=admin.id,
            approved_at=STAMP,
            description=text,
        )
    make.entry(ada, eur, work_date=END, minutes=-90, status="approved", is_correction=True)
    make.entry(bob, eur, work_date=END, minutes=45)  # submitted: not in an approved export
    # Written directly: the forms refuse such names, the files must not rely on it.
    db.execute(update(User).where(User.id == ada.id).values(name="=Ada; Lovelace"))
    db.execute(update(Project).where(Project.id == eur.id).values(client="@Acme, Inc"))
    db.commit()
    return admin
