"""Pages refused for a role are recorded in the audit log, as the API's denials are."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from tracker.models import AuditEvent
from tracker.web.context import money


def test_a_refused_page_is_audited_with_who_what_and_role(client, auth, make, db):
    contractor = make.contractor()
    auth.login(contractor)
    assert client.get("/admin/users/").status_code == 403
    assert client.post("/admin/projects/new", data={}).status_code == 403
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "access.denied").order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.data["method"], e.data["path"], e.data["role"]) for e in events] == [
        (contractor.id, "GET", "/admin/users/", "contractor"),
        (contractor.id, "POST", "/admin/projects/new", "contractor"),
    ]


def test_an_allowed_page_writes_no_denial(client, auth, make, db):
    auth.login(make.admin())
    assert client.get("/admin/users/").status_code == 200
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "access.denied")) is None


def test_money_rounds_half_up_like_payroll():
    assert money(Decimal("0.005"), "EUR") == "0.01 EUR"  # 1 minute at 0.30/h
    assert money(Decimal("0.125"), "EUR") == "0.13 EUR"
    assert money(Decimal("2.665")) == "2.67"
    assert money(Decimal("1234.5"), "USD") == "1,234.50 USD"
