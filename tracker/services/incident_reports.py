"""The incident report: what a stop of work cost, per affected contractor and in total.

Per contractor: the projects held, hours in the four weeks before, hours backfilled during the
hold, when they acknowledged, where they were reassigned (when, and hours from the freeze), hours
logged elsewhere during the hold, whether they are still idle. Totals: affected, acknowledged,
reassigned (count and share), median time to reassignment, still idle, and hours per day across
the incident for the chart. A fixed number of queries whatever the number of people.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.clock import utcnow
from tracker.models import (
    Assignment,
    Hold,
    Incident,
    IncidentContractor,
    IncidentUpdate,
    Project,
    TimeEntry,
    User,
)

DAYS_BEFORE = 28
CSV_COLUMNS = (
    "user_id",
    "email",
    "name",
    "projects_held",
    "hours_before",
    "hours_backfilled",
    "acknowledged_at",
    "reassigned_to",
    "reassigned_at",
    "hours_to_reassignment",
    "hours_elsewhere",
    "still_idle",
)


@dataclass
class Row:
    """One affected contractor's line of the report."""

    user: User
    projects_held: list[str] = field(default_factory=list)
    minutes_before: int = 0
    minutes_backfilled: int = 0
    acknowledged_at: dt.datetime | None = None
    reassigned_to: str | None = None
    reassigned_at: dt.datetime | None = None
    minutes_elsewhere: int = 0
    still_idle: bool = True

    def hours_to_reassignment(self, started_at: dt.datetime) -> float | None:
        """Hours from the freeze to the reassignment (None: not reassigned)."""
        if self.reassigned_at is None:
            return None
        return round((self.reassigned_at - started_at).total_seconds() / 3600, 2)


@dataclass
class Report:
    """The report's rows, totals and hours per day."""

    incident: Incident
    rows: list[Row]
    days: list[tuple[dt.date, int]]  # minutes logged by the affected, per day
    first_day: dt.date  # the incident's first day

    @property
    def affected(self) -> int:
        return len(self.rows)

    @property
    def acknowledged(self) -> int:
        return sum(1 for r in self.rows if r.acknowledged_at is not None)

    @property
    def reassigned(self) -> int:
        return sum(1 for r in self.rows if r.reassigned_at is not None)

    @property
    def reassigned_share(self) -> float:
        return round(self.reassigned / self.affected, 4) if self.rows else 0.0

    @property
    def median_hours_to_reassignment(self) -> float | None:
        times = [
            t
            for r in self.rows
            if (t := r.hours_to_reassignment(self.incident.started_at)) is not None
        ]
        return round(statistics.median(times), 2) if times else None

    @property
    def still_idle(self) -> int:
        return sum(1 for r in self.rows if r.still_idle)

    def totals(self) -> dict[str, Any]:
        """The totals as the JSON report carries them."""
        return {
            "affected": self.affected,
            "acknowledged": self.acknowledged,
            "reassigned": self.reassigned,
            "reassigned_share": self.reassigned_share,
            "median_hours_to_reassignment": self.median_hours_to_reassignment,
            "still_idle": self.still_idle,
            "hours_before": _hours(sum(r.minutes_before for r in self.rows)),
            "hours_backfilled": _hours(sum(r.minutes_backfilled for r in self.rows)),
            "hours_elsewhere": _hours(sum(r.minutes_elsewhere for r in self.rows)),
        }


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.2f}"


def _stamp(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(session: Session, incident: Incident, today: dt.date | None = None) -> Report:
    """The report of the incident, as of now (or its end)."""
    start = incident.started_at
    first_day = start.astimezone(dt.UTC).date()
    last_day = (incident.lifted_at or utcnow()).astimezone(dt.UTC).date()
    if today is not None:
        last_day = min(last_day, max(today, first_day))
    window_start = first_day - dt.timedelta(days=DAYS_BEFORE)
    last_update = session.scalar(
        select(func.max(IncidentUpdate.at)).where(IncidentUpdate.incident_id == incident.id)
    )
    rows: dict[int, Row] = {}
    for user, acked in session.execute(
        select(User, IncidentContractor.acknowledged_at)
        .join(IncidentContractor, IncidentContractor.user_id == User.id)
        .where(IncidentContractor.incident_id == incident.id)
        .order_by(User.name, User.id)
    ):
        rows[user.id] = Row(user=user, acknowledged_at=acked)
    people = select(IncidentContractor.user_id).where(IncidentContractor.incident_id == incident.id)
    held_projects: dict[int, dt.datetime] = {}
    for user_id, code, project_id, since in session.execute(
        select(Assignment.user_id, Project.code, Project.id, Hold.started_at)
        .join(Project, Project.id == Assignment.project_id)
        .join(Hold, Hold.project_id == Project.id)
        .where(Hold.incident_id == incident.id, Assignment.user_id.in_(people))
        .distinct()
        .order_by(Project.code)
    ):
        held_projects[project_id] = since
        if user_id in rows and code not in rows[user_id].projects_held:
            rows[user_id].projects_held.append(code)
    days: dict[dt.date, int] = {
        window_start + dt.timedelta(days=n): 0 for n in range((last_day - window_start).days + 1)
    }
    logged = (
        select(
            TimeEntry.user_id,
            TimeEntry.project_id,
            TimeEntry.work_date,
            (TimeEntry.created_at >= start).label("after"),
            TimeEntry.minutes,
        )
        .where(
            TimeEntry.user_id.in_(people),
            TimeEntry.work_date >= window_start,
            TimeEntry.work_date <= last_day,
        )
        .subquery()
    )
    for user_id, project_id, work_date, created, minutes in session.execute(
        select(
            logged.c.user_id,
            logged.c.project_id,
            logged.c.work_date,
            logged.c.after,
            func.sum(logged.c.minutes),
        ).group_by(logged.c.user_id, logged.c.project_id, logged.c.work_date, logged.c.after)
    ):
        row = rows.get(user_id)
        if row is None:
            continue
        minutes = int(minutes or 0)
        if work_date in days:
            days[work_date] += minutes
        held = project_id in held_projects
        if work_date < first_day:
            row.minutes_before += minutes
            if held and created:
                row.minutes_backfilled += minutes
        elif not held:
            row.minutes_elsewhere += minutes
    for user_id, code, created in session.execute(
        select(Assignment.user_id, Project.code, Assignment.created_at)
        .join(Project, Project.id == Assignment.project_id)
        .join(Hold, Hold.id == Assignment.from_hold_id)
        .where(Hold.incident_id == incident.id, Assignment.origin == "reassignment")
        .order_by(Assignment.created_at)
    ):
        row = rows.get(user_id)
        if row is not None and row.reassigned_at is None:
            row.reassigned_to, row.reassigned_at = code, created
    working = set(
        session.scalars(
            select(Assignment.user_id)
            .join(Project, Project.id == Assignment.project_id)
            .where(
                Assignment.user_id.in_(people),
                Assignment.end_date.is_(None),
                Project.status == "open",
            )
        )
    )
    for user_id, row in rows.items():
        row.still_idle = user_id not in working
        acked = row.acknowledged_at
        if acked is not None and last_update is not None and acked < last_update:
            row.acknowledged_at = None  # acknowledged an earlier notice, not the latest
    return Report(incident, list(rows.values()), sorted(days.items()), first_day)


def to_json(found: Report) -> dict[str, Any]:
    """The report as the API answers it."""
    started = found.incident.started_at
    return {
        "incident_id": found.incident.id,
        "totals": found.totals(),
        "contractors": [
            {
                "user_id": r.user.id,
                "email": r.user.email,
                "name": r.user.name,
                "projects_held": r.projects_held,
                "hours_before": _hours(r.minutes_before),
                "hours_backfilled": _hours(r.minutes_backfilled),
                "acknowledged_at": _stamp(r.acknowledged_at),
                "reassigned_to": r.reassigned_to,
                "reassigned_at": _stamp(r.reassigned_at),
                "hours_to_reassignment": r.hours_to_reassignment(started),
                "hours_elsewhere": _hours(r.minutes_elsewhere),
                "still_idle": r.still_idle,
            }
            for r in found.rows
        ],
        "days": [{"date": d.isoformat(), "hours": _hours(m)} for d, m in found.days],
    }


def _cell(value: Any) -> str:
    """A CSV cell, guarded against spreadsheet formulas like the payroll files."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r\n":
        return "'" + text
    return text


def to_csv(found: Report) -> str:
    """The report as CSV: a header, then one row per affected contractor."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in to_json(found)["contractors"]:
        values = dict(item)
        values["projects_held"] = " ".join(item["projects_held"])
        values["still_idle"] = "yes" if item["still_idle"] else "no"
        writer.writerow(
            [_cell(values[c]) if c in ("email", "name") else values[c] for c in CSV_COLUMNS]
        )
    return out.getvalue()


CHART_W, CHART_H = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 18, 40


def chart(found: Report) -> dict[str, Any]:
    """Geometry of the server-rendered SVG bar chart of hours per day across the incident."""
    peak = max([m for _d, m in found.days] + [60])
    plot_w = CHART_W - LEFT - RIGHT
    plot_h = CHART_H - TOP - BOTTOM
    slot = plot_w / max(len(found.days), 1)
    bars = []
    split: float = LEFT
    for n, (day, minutes) in enumerate(found.days):
        height = round(plot_h * max(minutes, 0) / peak, 1)
        if day == found.first_day:
            split = round(LEFT + n * slot, 1)
        bars.append(
            {
                "x": round(LEFT + n * slot + slot * 0.1, 1),
                "y": round(TOP + plot_h - height, 1),
                "w": round(max(slot * 0.8, 1), 1),
                "h": height,
                "day": day,
                "minutes": minutes,
                "during": day >= found.first_day,
            }
        )
    ticks = [
        {"y": round(TOP + plot_h - plot_h * f, 1), "minutes": round(peak * f)} for f in (0, 0.5, 1)
    ]
    return {
        "width": CHART_W,
        "height": CHART_H,
        "bars": bars,
        "ticks": ticks,
        "left": LEFT,
        "right": CHART_W - RIGHT,
        "base": TOP + plot_h,
        "top": TOP,
        "split": split,
    }
