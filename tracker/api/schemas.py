"""How objects look in the API: one function per type, used by every endpoint."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tracker.models import Assignment, AuditEvent, Hold, Notification, Project, User
from tracker.services import durations


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
    return durations.hours_text(minutes)


def user(u: User) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "role": u.role,
        "active": u.active,
        "timezone": u.timezone,
        "skills": list(u.skills),
        "hourly_rate": money(u.hourly_rate),
    }


def hold(h: Hold, include_reason: bool = True) -> dict[str, Any]:
    data = {
        "id": h.id,
        "project_id": h.project_id,
        "incident_id": h.incident_id,
        "started_at": ts(h.started_at),
        "started_by": h.started_by_id,
        "notice": h.notice,
        "incident_ref": h.incident_ref,
        "allow_backfill": h.allow_backfill,
        "ended_at": ts(h.ended_at),
        "ended_by": h.ended_by_id,
        "note": h.note,
    }
    if include_reason:
        data["reason"] = h.reason
    return data


def project(
    p: Project, free_seats: int | None, active_hold: Hold | None, viewer: User
) -> dict[str, Any]:
    return {
        "id": p.id,
        "code": p.code,
        "name": p.name,
        "client": p.client,
        "status": p.status,
        "seats": p.seats,
        "free_seats": free_seats,
        "skills": list(p.skills),
        "hourly_rate": money(p.hourly_rate),
        "currency": p.currency,
        "open_to_reassignment": p.open_to_reassignment,
        "active_hold": hold(active_hold, include_reason=viewer.is_admin) if active_hold else None,
    }


def assignment(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.id,
        "user_id": a.user_id,
        "project_id": a.project_id,
        "start_date": a.start_date.isoformat(),
        "end_date": a.end_date.isoformat() if a.end_date else None,
        "hourly_rate": money(a.hourly_rate),
        "origin": a.origin,
        "from_project_id": a.from_project_id,
        "from_hold_id": a.from_hold_id,
    }


def notification(n: Notification) -> dict[str, Any]:
    return {
        "id": n.id,
        "kind": n.kind,
        "message": n.message,
        "project_id": n.project_id,
        "hold_id": n.hold_id,
        "incident_id": n.incident_id,
        "entry_id": n.entry_id,
        "created_at": ts(n.created_at),
        "read": n.read_at is not None,
        "read_at": ts(n.read_at),
    }


def audit_event(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": ts(e.at),
        "actor_id": e.actor_id,
        "action": e.action,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "origin": e.origin,
        "data": e.data,
    }


def offer(o: Any, viewer: User) -> dict[str, Any]:
    """A reassignment offer (``tracker.services.reassignment.Offer``) with both rates."""
    return {
        "from_project_id": o.from_project.id,
        "project": project(o.project, o.free_seats, None, viewer),
        "free_seats": o.free_seats,
        "matching_skills": list(o.matching_skills),
        "hourly_rate": money(o.rate),
        "currency": o.project.currency,
        "held_hourly_rate": money(o.held_rate),
        "held_currency": o.from_project.currency,
    }


def entry(e: Any) -> dict[str, Any]:
    """A time entry with its hours, amount (minutes / 60 * rate, half-up to cents), exported."""
    from tracker.services.entries import amount

    return {
        "id": e.id,
        "user_id": e.user_id,
        "project_id": e.project_id,
        "work_date": e.work_date.isoformat(),
        "minutes": e.minutes,
        "hours": hours(e.minutes),
        "description": e.description,
        "status": e.status,
        "hourly_rate": money(e.hourly_rate),
        "currency": e.currency,
        "amount": money(amount(e)),
        "exported": e.exported,
        "is_correction": e.is_correction,
        "corrects_entry_id": e.corrects_entry_id,
        "rejection_reason": e.rejection_reason,
        "approved_by": e.approved_by_id,
        "approved_at": ts(e.approved_at),
        "created_at": ts(e.created_at),
        "updated_at": ts(e.updated_at),
    }


def payroll_batch(b: Any, created_by_email: str | None = None) -> dict[str, Any]:
    """An export batch: period, counts, totals per currency, SHA-256 of its bytes."""
    return {
        "id": b.id,
        "start": b.period_start.isoformat(),
        "end": b.period_end.isoformat(),
        "status": b.status_filter,
        "entries": b.row_count,
        "total_minutes": b.total_minutes,
        "total_hours": hours(b.total_minutes),
        "total_amounts": dict(b.totals),
        "sha256": b.sha256,
        "created_at": ts(b.created_at),
        "created_by": b.created_by_id,
        "created_by_email": created_by_email,
    }
