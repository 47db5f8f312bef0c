"""Test data made through the services (so it obeys the rules) and committed."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from tests.dates import today
from tracker.models import Assignment, Hold, Incident, Project, TimeEntry, User, utcnow
from tracker.services import assignments, projects, tokens, users

_seq = itertools.count(1)


class Factory:
    """``make.user()``, ``.project()``, ``.assign()``, ``.entry()``, ``.hold()``, ``.token()``."""

    def __init__(self, session: Session, password: str) -> None:
        self.db = session
        self.password = password

    def user(self, role: str = "contractor", **values: Any) -> User:
        n = next(_seq)
        values.setdefault("email", f"{role}{n}@example.com")
        values.setdefault("name", f"{role.title()} {n}")
        values.setdefault("password", self.password)
        user = users.create_user(self.db, None, role=role, **values)
        self.db.commit()
        return user

    def admin(self, **values: Any) -> User:
        return self.user("admin", **values)

    def contractor(self, **values: Any) -> User:
        return self.user("contractor", **values)

    def payroll(self, **values: Any) -> User:
        return self.user("payroll", **values)

    def project(self, **values: Any) -> Project:
        n = next(_seq)
        values.setdefault("code", f"PRJ{n}")
        values.setdefault("name", f"Project {n}")
        values.setdefault("hourly_rate", "50.00")
        project = projects.create_project(self.db, None, **values)
        self.db.commit()
        return project

    def assign(
        self, project: Project, user: User, start_date: dt.date | None = None, **values: Any
    ) -> Assignment:
        assignment = assignments.assign(
            self.db,
            None,
            project,
            user,
            start_date=start_date or today() - dt.timedelta(days=60),
            **values,
        )
        self.db.commit()
        return assignment

    def entry(
        self,
        user: User,
        project: Project,
        work_date: dt.date | None = None,
        minutes: int = 60,
        **values: Any,
    ) -> TimeEntry:
        """An entry inserted directly (arrangement only; the rules are tested elsewhere)."""
        entry = TimeEntry(
            user_id=user.id,
            project_id=project.id,
            work_date=work_date or today() - dt.timedelta(days=1),
            minutes=minutes,
            hourly_rate=values.pop("hourly_rate", project.hourly_rate),
            currency=values.pop("currency", project.currency),
            created_by_id=user.id,
            **values,
        )
        self.db.add(entry)
        self.db.commit()
        return entry

    def hold(self, project: Project, **values: Any) -> Hold:
        """Put a project on hold directly (arrangement only; freezing is tested in its service)."""
        values.setdefault("reason", "Client breach under investigation")
        values.setdefault("notice", "This project is paused while the client investigates.")
        values.setdefault("started_at", utcnow())
        incident = Incident(
            title=f"Hold on {project.code}",
            reason=values["reason"],
            notice=values["notice"],
            scope="projects",
            review_by=values["started_at"].date() + dt.timedelta(days=14),
            started_at=values["started_at"],
            allow_backfill=values.get("allow_backfill", False),
        )
        self.db.add(incident)
        self.db.flush()
        hold = Hold(project_id=project.id, incident_id=incident.id, **values)
        self.db.merge(project).status = "frozen"
        self.db.add(hold)
        self.db.commit()
        return hold

    def correction(
        self, admin: User, original: TimeEntry, hours: str, work_date: dt.date, today: dt.date
    ) -> TimeEntry:
        """An admin's correction of an entry, made through the entries service."""
        from tracker.services import entries

        user = self.db.get(User, original.user_id)
        correction = entries.log_time(
            self.db,
            admin,
            user=user,
            project_id=original.project_id,
            work_date=work_date,
            hours=hours,
            corrects_entry_id=original.id,
            today=today,
        )
        self.db.commit()
        return correction

    def token(self, user: User) -> str:
        _row, raw = tokens.create_token(self.db, None, user, "test")
        self.db.commit()
        return raw
