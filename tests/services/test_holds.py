"""Freezing and unfreezing a project: the hold, the notices, the audit, history and impact."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select

from tests.dates import today
from tracker.errors import AlreadyFrozen, Invalid, NotFrozen, ProjectClosed, ProjectFrozen
from tracker.models import AuditEvent, Hold, Notification, Project, TimeEntry, utcnow
from tracker.services import assignments, entries, hold_reports, holds, notifications, projects

NOTICE = "The client had a breach; work is paused until their audit ends. Hours so far are safe."


def freeze(db, admin, project, **kw):
    kw.setdefault("reason", "Client breach INC-7")
    kw.setdefault("notice", NOTICE)
    result = holds.freeze_project(db, admin, project, **kw)
    db.commit()
    return result


def count(db, model, *where):
    return db.scalar(select(func.count()).select_from(model).where(*where))


def test_freezing_puts_the_project_on_hold_and_tells_everyone_on_it(db, make):
    admin = make.admin()
    project = make.project(code="CHORDUS", name="Core banking")
    on_it = [make.contractor() for _ in range(3)]
    for person in on_it:
        make.assign(project, person)
    left = make.contractor()
    assignments.end_assignment(db, None, make.assign(project, left))
    db.commit()
    elsewhere = make.contractor()
    make.assign(make.project(), elsewhere)

    hold, affected = freeze(db, admin, project, incident_ref="INC-7", allow_backfill=True)

    assert affected == 3
    db.refresh(project)
    assert project.status == "frozen"
    assert hold.is_active
    assert hold.affected_count == 3
    assert hold.started_by_id == admin.id
    assert (hold.reason, hold.notice, hold.incident_ref, hold.allow_backfill) == (
        "Client breach INC-7",
        NOTICE,
        "INC-7",
        True,
    )
    notes = db.scalars(select(Notification).where(Notification.kind == "hold_started")).all()
    assert sorted(n.user_id for n in notes) == sorted(p.id for p in on_it)
    assert all(NOTICE in n.message and "CHORDUS" in n.message for n in notes)
    assert all(n.hold_id == hold.id and n.project_id == project.id for n in notes)
    assert "before the hold started" in notes[0].message  # backfill is mentioned
    event_ = db.scalar(select(AuditEvent).where(AuditEvent.action == "project.freeze"))
    assert event_.actor_id == admin.id
    assert event_.target_id == project.id
    assert event_.data["hold"]["notice"] == NOTICE
    assert event_.data["hold"]["reason"] == "Client breach INC-7"
    assert event_.data["affected_contractors"] == 3


def _statements(db, make, contractors: int) -> tuple[int, int]:
    """SQL statements a freeze and then an unfreeze send, with that many contractors on it."""
    project = make.project()
    for _ in range(contractors):
        make.assign(project, make.contractor())
    admin = make.admin()
    seen: list[str] = []

    def count_it(_conn, _cursor, statement, *_args):
        seen.append(statement)

    engine = db.get_bind()
    db.commit()
    event.listen(engine, "before_cursor_execute", count_it)
    try:
        project = db.get(Project, project.id)
        seen.clear()
        _hold, affected = holds.freeze_project(db, admin, project, reason="r", notice="n")
        db.commit()
        freezing = len(seen)
        seen.clear()
        holds.unfreeze_project(db, admin, project)
        db.commit()
        unfreezing = len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", count_it)
    assert affected == contractors
    return freezing, unfreezing


def test_freeze_and_unfreeze_run_as_many_statements_for_2_as_for_50_contractors(db, make):
    assert _statements(db, make, 2) == _statements(db, make, 50)


def test_freezing_a_frozen_project_is_refused_and_changes_nothing(db, make):
    admin = make.admin()
    project = make.project(code="TWICE")
    make.assign(project, make.contractor())
    freeze(db, admin, project)
    with pytest.raises(AlreadyFrozen, match="TWICE is already on hold since"):
        holds.freeze_project(db, admin, project, reason="again", notice="again")
    db.rollback()
    assert count(db, Hold) == 1
    assert count(db, Notification) == 1
    assert count(db, AuditEvent, AuditEvent.action == "project.freeze") == 1


def test_a_closed_project_cannot_be_frozen(db, make):
    project = make.project(code="GONE")
    projects.update_project(db, None, project, status="closed")
    db.commit()
    with pytest.raises(ProjectClosed, match="GONE is closed"):
        holds.freeze_project(db, make.admin(), project, reason="r", notice="n")
    db.rollback()
    assert count(db, Hold) == 0


@pytest.mark.parametrize(
    ("notice", "message"),
    [
        ("", "This field is required."),
        ("   \n  ", "This field is required."),
        ("x" * 2001, "At most 2,000 characters (this has 2,001)."),
        ("bell\x07", "control characters"),
    ],
)
def test_a_bad_notice_is_refused_with_a_clear_message(db, make, notice, message):
    project = make.project()
    with pytest.raises(Invalid) as caught:
        holds.freeze_project(db, make.admin(), project, reason="r", notice=notice)
    db.rollback()
    assert message in " ".join(caught.value.fields["notice"])
    db.refresh(project)
    assert project.status == "open"
    assert count(db, Hold) == 0


def test_a_notice_of_exactly_2000_characters_with_newlines_is_kept_verbatim(db, make):
    text = "Line one.\nLine two.\n" + "y" * (2000 - 20)
    hold, _ = freeze(db, make.admin(), make.project(), notice=text)
    assert hold.notice == text
    assert len(hold.notice) == 2000


def test_the_reason_is_required_and_every_bad_field_is_named(db, make):
    with pytest.raises(Invalid) as caught:
        holds.freeze_project(db, make.admin(), make.project(), reason=" ", notice="")
    assert set(caught.value.fields) == {"reason", "notice"}


def test_unfreezing_ends_the_hold_and_tells_the_same_people(db, make):
    admin = make.admin()
    project = make.project(code="BACK")
    people = [make.contractor() for _ in range(2)]
    for person in people:
        make.assign(project, person)
    hold, _ = freeze(db, admin, project)
    ended = holds.unfreeze_project(db, admin, project, note="Audit finished; all clear.")
    db.commit()
    assert ended.id == hold.id
    assert ended.ended_at is not None
    assert ended.ended_by_id == admin.id
    assert ended.note == "Audit finished; all clear."
    db.refresh(project)
    assert project.status == "open"
    lifted = db.scalars(select(Notification).where(Notification.kind == "hold_lifted")).all()
    assert sorted(n.user_id for n in lifted) == sorted(p.id for p in people)
    assert "all clear" in lifted[0].message
    assert count(db, AuditEvent, AuditEvent.action == "project.unfreeze") == 1


def test_unfreezing_an_open_project_is_refused(db, make):
    with pytest.raises(NotFrozen, match="is not on hold"):
        holds.unfreeze_project(db, make.admin(), make.project())


def test_time_entry_is_refused_during_the_hold_and_works_again_after_it(db, make):
    admin = make.admin()
    project = make.project(code="PAUSE")
    person = make.contractor()
    make.assign(project, person)
    freeze(db, admin, project)
    yesterday = today() - dt.timedelta(days=1)
    with pytest.raises(ProjectFrozen) as caught:
        entries.log_time(db, person, project_id=project.id, work_date=yesterday, minutes=30)
    db.rollback()
    assert caught.value.message.startswith("PAUSE is on hold since")
    assert NOTICE not in caught.value.message  # the banner shows it; the API's `hold` carries it
    assert caught.value.extra["hold"]["notice"] == NOTICE
    holds.unfreeze_project(db, admin, project)
    db.commit()
    entry = entries.log_time(db, person, project_id=project.id, work_date=yesterday, minutes=30)
    db.commit()
    assert entry.id is not None


def test_with_backfill_only_days_before_the_hold_can_still_be_logged(db, make):
    project = make.project()
    person = make.contractor()
    make.assign(project, person)
    freeze(db, make.admin(), project, allow_backfill=True)
    before = today() - dt.timedelta(days=2)
    entry = entries.log_time(db, person, project_id=project.id, work_date=before, minutes=45)
    db.commit()
    assert entry.project_id == project.id
    with pytest.raises(ProjectFrozen):
        entries.log_time(
            db,
            person,
            project_id=project.id,
            work_date=utcnow().date(),
            minutes=45,
            today=utcnow().date(),
        )
    db.rollback()


def test_entries_from_before_the_hold_stay_visible_and_approvable(db, make):
    admin = make.admin()
    project = make.project()
    person = make.contractor()
    make.assign(project, person)
    entry = make.entry(person, project, minutes=90)
    freeze(db, admin, project)
    approved = entries.approve(db, admin, [entry.id])
    db.commit()
    assert approved[0].status == "approved"
    assert count(db, TimeEntry, TimeEntry.project_id == project.id) == 1


def test_history_says_who_when_why_and_how_long(db, make):
    admin = make.admin(name="Ada Admin")
    project = make.project()
    freeze(db, admin, project, reason="first")
    holds.unfreeze_project(db, None, project, note="cli lifted it")
    db.commit()
    freeze(db, None, project, reason="second")
    history = hold_reports.hold_history(db, project)
    assert [r.hold.reason for r in history] == ["second", "first"]
    assert history[0].started_by == "command line"
    assert history[0].ended_by is None
    assert history[1].started_by == "Ada Admin"
    assert history[1].ended_by == "command line"
    assert history[1].duration >= dt.timedelta(0)


def test_impact_counts_reassigned_contractors_and_hours_before_and_since(db, make):
    admin = make.admin()
    held = make.project(code="HELD")
    other = make.project(code="OTHER")
    people = [make.contractor() for _ in range(3)]
    for person in people:
        make.assign(held, person)
    today = utcnow().date()
    make.entry(people[0], held, work_date=today - dt.timedelta(days=3), minutes=120)
    make.entry(people[1], held, work_date=today - dt.timedelta(days=10), minutes=60)
    make.entry(people[1], held, work_date=today - dt.timedelta(days=40), minutes=600)  # too old
    make.entry(
        people[2], held, work_date=today - dt.timedelta(days=4), minutes=30, status="rejected"
    )
    hold, _ = freeze(db, admin, held)
    assignments.assign(db, None, other, people[0], origin="reassignment", from_hold=hold)
    db.commit()

    [impact] = hold_reports.holds_in_force(db, today=today)

    assert (impact.affected, impact.reassigned, impact.still_on) == (3, 1, 3)
    before = [w for w in impact.weeks if w.before]
    assert len(before) == 4
    assert sum(w.minutes for w in before) == 180
    assert [w.minutes for w in before][-2:] == [60, 120]
    assert [w.minutes for w in impact.weeks if not w.before] == [0]
    assert impact.average_before == 45


def test_notifications_are_marked_read_only_by_their_owner(db, make):
    project = make.project()
    alice, bob = make.contractor(), make.contractor()
    for person in (alice, bob):
        make.assign(project, person)
    freeze(db, make.admin(), project)
    [bobs] = notifications.list_for(db, bob)
    assert notifications.mark_read(db, alice, [bobs.id]) == 0
    db.commit()
    assert notifications.unread_count(db, bob) == 1
    assert notifications.mark_read(db, bob, [bobs.id]) == 1
    db.commit()
    assert notifications.unread_count(db, bob) == 0
    assert notifications.unread_count(db, alice) == 1


def test_a_long_hold_shows_the_four_weeks_before_and_the_latest_twelve_since(db, make):
    project = make.project()
    started = utcnow() - dt.timedelta(days=100)
    make.hold(project, started_at=started)
    today = utcnow().date()
    [impact] = hold_reports.holds_in_force(db, today=today)
    since = [w for w in impact.weeks if not w.before]
    assert len([w for w in impact.weeks if w.before]) == 4
    assert impact.weeks[3].end == started.date() - dt.timedelta(days=1)
    assert len(since) == 12
    assert since[-1].start <= today <= since[-1].end
