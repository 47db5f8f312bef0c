"""Incident holds (design rules 7 to 12): freeze and unfreeze a project, its history and impact.

Freeze and unfreeze take the project's *exclusive* advisory lock before anything else (see
``tracker.services.locks``), then read the project's status again. Every path that writes
entries takes the *shared* lock first and reads the status after it is granted, so an entry
racing a freeze either commits before it (and is counted) or sees the hold and is refused.
On SQLite, BEGIN IMMEDIATE serialises the two transactions instead.

Both actions run a fixed number of statements whatever the number of contractors: the
notifications are one ``INSERT … SELECT``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import AlreadyFrozen, DomainError, Invalid, NotFrozen, ProjectClosed
from tracker.models import Assignment, Hold, Project, TimeEntry, User, utcnow
from tracker.services import audit, locks, notices, notifications, projects

NOTICE_MAX = 2000
REASON_MAX = 2000
NOTE_MAX = 2000
INCIDENT_REF_MAX = 100
WEEKS_BEFORE = 4
MAX_WEEKS_SINCE = 12
HOLD_FIELDS = (
    "id",
    "project_id",
    "started_at",
    "started_by_id",
    "reason",
    "notice",
    "incident_ref",
    "allow_backfill",
    "affected_count",
    "ended_at",
    "ended_by_id",
    "note",
)


def _text(value: Any, name: str, max_length: int, required: bool) -> str:
    """Multi-line text: newlines allowed, other control characters refused."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise Invalid.field(name, "Must be text.")
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not text:
        raise Invalid.field(name, "This field is required.")
    if len(text) > max_length:
        raise Invalid.field(name, f"At most {max_length:,} characters (this has {len(text):,}).")
    if any((ord(ch) < 32 and ch != "\n") or 127 <= ord(ch) < 160 for ch in text):
        raise Invalid.field(name, "Contains control characters; remove them and try again.")
    return text


def _line(value: Any, name: str, max_length: int) -> str | None:
    """Optional single-line text; empty becomes None."""
    text = _text(value, name, max_length, required=False)
    if "\n" in text:
        raise Invalid.field(name, "Must be a single line.")
    return text or None


def _collect(checks: dict[str, Any]) -> dict[str, Any]:
    """Run each field's check and raise one Invalid naming every bad field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, check in checks.items():
        try:
            clean[name] = check()
        except Invalid as exc:
            errors.update(exc.fields)
    if errors:
        message = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        raise Invalid(errors, message)
    return clean


def _when(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _locked_project(session: Session, project_id: int) -> Project:
    """Take the exclusive project lock, then read the project as it is now."""
    locks.exclusive_project(session, project_id)
    return projects.lock_project_row(session, project_id)


def active_hold(session: Session, project: Project) -> Hold | None:
    """The hold in force on the project, if any."""
    return projects.active_holds(session, [project.id]).get(project.id)


def affected_contractors(session: Session, project: Project) -> int:
    """How many contractors a freeze of the project would notify (active assignments)."""
    return projects.active_counts(session, [project.id]).get(project.id, 0)


def check_can_freeze(session: Session, project: Project) -> None:
    """Refuse a freeze of a project that is not open. Raises AlreadyFrozen, ProjectClosed."""
    if project.status == "frozen":
        hold = active_hold(session, project)
        since = f" since {_when(hold.started_at)}" if hold else ""
        raise AlreadyFrozen(f"Project {project.code} is already on hold{since}.")
    if project.status == "closed":
        raise ProjectClosed(f"Project {project.code} is closed; it cannot be put on hold.")


def clean_freeze_input(
    *, reason: Any, notice: Any, incident_ref: Any = None, allow_backfill: Any = False
) -> dict[str, Any]:
    """The freeze's fields checked and cleaned (the web's confirmation step checks first).

    Raises Invalid naming every bad field.
    """
    return _collect(
        {
            "reason": lambda: _text(reason, "reason", REASON_MAX, required=True),
            "notice": lambda: _text(notice, "notice", NOTICE_MAX, required=True),
            "incident_ref": lambda: _line(incident_ref, "incident_ref", INCIDENT_REF_MAX),
            "allow_backfill": lambda: _flag(allow_backfill, "allow_backfill"),
        }
    )


def freeze_project(
    session: Session,
    actor: User | None,
    project: Project,
    *,
    reason: str,
    notice: str,
    incident_ref: str | None = None,
    allow_backfill: bool = False,
) -> tuple[Hold, int]:
    """Put the project on hold and notify every contractor on it; returns (hold, affected).

    Raises AlreadyFrozen, ProjectClosed, Invalid (notice missing or over 2,000 characters,
    reason missing, control characters), NotFound.
    """
    project = _locked_project(session, project.id)
    try:
        check_can_freeze(session, project)
    except DomainError as exc:  # the edge records the refusal after rolling back
        raise exc.logged(
            "project.freeze_refused",
            actor.id if actor else None,
            target_type="project",
            target_id=project.id,
        ) from None
    clean = clean_freeze_input(
        reason=reason, notice=notice, incident_ref=incident_ref, allow_backfill=allow_backfill
    )
    now = utcnow()
    hold = Hold(
        project_id=project.id,
        started_at=now,
        started_by_id=actor.id if actor else None,
        **clean,
    )
    session.add(hold)
    session.flush()  # the notifications name the hold by id
    # No clock time in the text: one INSERT … SELECT writes it for readers in every timezone;
    # the notification's own time (shown in each reader's timezone) is when the hold began.
    message = f"{project.code} — {project.name} is on hold: time entry is paused. {hold.notice}"
    if hold.allow_backfill:
        message += " You can still log hours for days before the hold started."
    email = notices.started_email(project, hold)
    affected = notifications.notify_project(
        session, project.id, kind="hold_started", message=message, hold_id=hold.id, email=email
    )
    hold.affected_count = affected
    project.status = "frozen"
    project.updated_at = now
    notices.publish_started(session, project, hold, affected)
    audit.record(
        session,
        actor,
        "project.freeze",
        project,
        before={"status": "open"},
        after={"status": "frozen"},
        hold=audit.snapshot(hold, *HOLD_FIELDS),
        affected_contractors=affected,
    )
    return hold, affected


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid.field(name, "Must be true or false.")
    return value


def unfreeze_project(
    session: Session, actor: User | None, project: Project, note: str | None = None
) -> Hold:
    """Lift the hold: time entry works again at once; the same people are notified.

    Raises NotFrozen (not on hold), Invalid (note over 2,000 characters), NotFound.
    """
    project = _locked_project(session, project.id)
    hold = active_hold(session, project) if project.status == "frozen" else None
    if hold is None:
        raise NotFrozen(f"Project {project.code} is not on hold.").logged(
            "project.unfreeze_refused",
            actor.id if actor else None,
            target_type="project",
            target_id=project.id,
        )
    clean_note = _collect({"note": lambda: _text(note, "note", NOTE_MAX, required=False)})["note"]
    now = utcnow()
    hold.ended_at = now
    hold.ended_by_id = actor.id if actor else None
    hold.note = clean_note or None
    project.status = "open"
    project.updated_at = now
    message = (
        f"The hold on {project.code} — {project.name} has been lifted. "
        "You can log time there again."
    )
    if hold.note:
        message += f" {hold.note}"
    email = notices.lifted_email(project, hold)
    lifted = notifications.notify_project(
        session, project.id, kind="hold_lifted", message=message, hold_id=hold.id, email=email
    )
    notices.publish_lifted(session, project, hold, lifted)
    audit.record(
        session,
        actor,
        "project.unfreeze",
        project,
        before={"status": "frozen"},
        after={"status": "open"},
        hold=audit.snapshot(hold, *HOLD_FIELDS),
        notified=lifted,
    )
    return hold


@dataclass
class HoldRecord:
    """A hold with the names of who started and ended it and how long it lasted."""

    hold: Hold
    started_by: str
    ended_by: str | None
    duration: dt.timedelta


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(wanted))).all())


def hold_history(session: Session, project: Project) -> list[HoldRecord]:
    """Every hold of the project, newest first: who, when, why, how long (two queries)."""
    holds = list(
        session.scalars(
            select(Hold).where(Hold.project_id == project.id).order_by(Hold.started_at.desc())
        )
    )
    names = _names(session, {h.started_by_id for h in holds} | {h.ended_by_id for h in holds})
    now = utcnow()

    def who(user_id: int | None) -> str:
        return names.get(user_id, "unknown") if user_id is not None else "command line"

    return [
        HoldRecord(
            hold=h,
            started_by=who(h.started_by_id),
            ended_by=None if h.ended_at is None else who(h.ended_by_id),
            duration=(h.ended_at or now) - h.started_at,
        )
        for h in holds
    ]


@dataclass
class WeekHours:
    """Minutes logged on the project in one seven-day window around the hold's start."""

    start: dt.date
    minutes: int
    before: bool  # True: one of the weeks before the hold

    @property
    def end(self) -> dt.date:
        """The window's last day."""
        return self.start + dt.timedelta(days=6)


@dataclass
class HoldImpact:
    """What a hold in force means: who is affected, who moved, hours before against since."""

    hold: Hold
    project: Project
    affected: int  # notified when the hold started
    still_on: int  # active assignments on the project now
    reassigned: int  # contractors who moved to another project from this hold
    started_by: str
    weeks: list[WeekHours] = field(default_factory=list)

    @property
    def average_before(self) -> int:
        """Average minutes per week over the weeks before the hold."""
        before = [w.minutes for w in self.weeks if w.before]
        return sum(before) // len(before) if before else 0

    @property
    def average_since(self) -> int:
        """Average minutes per week over the weeks since the hold started."""
        since = [w.minutes for w in self.weeks if not w.before]
        return sum(since) // len(since) if since else 0


def _windows(start: dt.date, today: dt.date) -> list[tuple[dt.date, bool]]:
    """Seven-day windows: four before the hold's first day, then one per week since."""
    windows = [(start - dt.timedelta(days=7 * n), True) for n in range(WEEKS_BEFORE, 0, -1)]
    weeks_since = max(1, min(MAX_WEEKS_SINCE, (today - start).days // 7 + 1))
    first = start + dt.timedelta(days=7 * max(0, (today - start).days // 7 + 1 - weeks_since))
    windows += [(first + dt.timedelta(days=7 * n), False) for n in range(weeks_since)]
    return windows


def holds_in_force(session: Session, today: dt.date | None = None) -> list[HoldImpact]:
    """Holds in force with their impact, oldest first, in a fixed number of queries."""
    today = today or utcnow().date()
    rows = list(
        session.execute(
            select(Hold, Project)
            .join(Project, Project.id == Hold.project_id)
            .where(Hold.ended_at.is_(None))
            .order_by(Hold.started_at)
        )
    )
    if not rows:
        return []
    hold_ids = [h.id for h, _ in rows]
    project_ids = [p.id for _, p in rows]
    still_on = projects.active_counts(session, project_ids)
    reassigned = dict(
        session.execute(
            select(Assignment.from_hold_id, func.count(func.distinct(Assignment.user_id)))
            .where(Assignment.from_hold_id.in_(hold_ids))
            .group_by(Assignment.from_hold_id)
        ).all()
    )
    earliest = min(h.started_at.date() for h, _ in rows) - dt.timedelta(days=7 * WEEKS_BEFORE)
    daily: dict[tuple[int, dt.date], int] = {}
    for project_id, day, minutes in session.execute(
        select(TimeEntry.project_id, TimeEntry.work_date, func.sum(TimeEntry.minutes))
        .where(
            TimeEntry.project_id.in_(project_ids),
            TimeEntry.work_date >= earliest,
            TimeEntry.status != "rejected",
        )
        .group_by(TimeEntry.project_id, TimeEntry.work_date)
    ):
        daily[(project_id, day)] = int(minutes or 0)
    names = _names(session, {h.started_by_id for h, _ in rows})
    result = []
    for hold, project in rows:
        start = hold.started_at.date()
        weeks = [
            WeekHours(
                start=first,
                minutes=sum(
                    daily.get((project.id, first + dt.timedelta(days=d)), 0) for d in range(7)
                ),
                before=before,
            )
            for first, before in _windows(start, today)
        ]
        result.append(
            HoldImpact(
                hold=hold,
                project=project,
                affected=hold.affected_count,
                still_on=still_on.get(project.id, 0),
                reassigned=reassigned.get(hold.id, 0),
                started_by=names.get(hold.started_by_id, "command line")
                if hold.started_by_id is not None
                else "command line",
                weeks=weeks,
            )
        )
    return result
