"""How objects look in the API: one function per type, used by every endpoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tracker.models import Assignment, AuditEvent, Hold, Notification, Project, User


def ts(value: dt.datetime | None) -> str | None:
    """ISO 8601 UTC with Z."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(value: Decimal | None) -> str | None:
    """Two decimals as a string."""
    return None if value is None else f"{value:.2f}"


def hours(minutes: int) -> str:
    """Minutes as an hours string with two decimals."""
    return f"{(Decimal(minutes) / 60).quantize(Decimal('0.01')):.2f}"


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id, "email": u.email, "name": u.name, "role": u.role, "active": u.active,
        "timezone": u.timezone, "skills": list(u.skills), "hourly_rate": money(u.hourly_rate),
    }


def hold(h: Hold, include_reason: bool = True) -> dict[str, Any]:
    data = {
        "id": h.id, "project_id": h.project_id, "started_at": ts(h.started_at),
        "started_by": h.started_by_id, "notice": h.notice, "incident_ref": h.incident_ref,
        "allow_backfill": h.allow_backfill, "ended_at": ts(h.ended_at), "ended_by": h.ended_by_id,
        "note": h.note,
    }
    if include_reason:
        data["reason"] = h.reason
    return data


def project(
    p: Project, free_seats: int | None, active_hold: Hold | None, viewer: User
) -> dict[str, Any]:
    return {
        "id": p.id, "code": p.code, "name": p.name, "client": p.client, "status": p.status,
        "seats": p.seats, "free_seats": free_seats, "skills": list(p.skills),
        "hourly_rate": money(p.hourly_rate), "currency": p.currency,
        "open_to_reassignment": p.open_to_reassignment,
        "active_hold": hold(active_hold, include_reason=viewer.is_admin) if active_hold else None,
    }


def assignment(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.id, "user_id": a.user_id, "project_id": a.project_id,
        "start_date": a.start_date.isoformat(),
        "end_date": a.end_date.isoformat() if a.end_date else None,
        "hourly_rate": money(a.hourly_rate), "origin": a.origin,
        "from_project_id": a.from_project_id, "from_hold_id": a.from_hold_id,
    }


def notification(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id, "kind": n.kind, "message": n.message, "project_id": n.project_id,
        "hold_id": n.hold_id, "entry_id": n.entry_id, "created_at": ts(n.created_at),
        "read": n.read_at is not None, "read_at": ts(n.read_at),
    }


def audit_event(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id, "at": ts(e.at), "actor_id": e.actor_id, "action": e.action,
        "target_type": e.target_type, "target_id": e.target_id, "origin": e.origin,
        "data": e.data,
    }
