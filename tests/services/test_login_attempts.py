"""Failed attempts are kept as long as a throttle can count them, then forgotten."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tracker.models import LoginAttempt, utcnow
from tracker.services import auth


def _stored(db):
    return sorted(db.scalars(select(LoginAttempt.email)))


def test_a_new_failure_forgets_attempts_older_than_a_day_and_keeps_recent_ones(db):
    now = utcnow()
    db.add_all(
        [
            LoginAttempt(
                email="old@example.test", address="198.51.100.1", at=now - dt.timedelta(days=2)
            ),
            LoginAttempt(
                email="recent@example.test", address="198.51.100.2", at=now - dt.timedelta(hours=3)
            ),
        ]
    )
    db.commit()
    auth.record_failure(db, "new@example.test", "198.51.100.3", window_seconds=900)
    db.commit()
    assert _stored(db) == ["new@example.test", "recent@example.test"]


def test_a_throttle_window_longer_than_a_day_keeps_its_attempts(db):
    now = utcnow()
    db.add(
        LoginAttempt(
            email="two-days@example.test", address="198.51.100.1", at=now - dt.timedelta(days=2)
        )
    )
    db.commit()
    auth.record_failure(db, "new@example.test", "198.51.100.3", window_seconds=3 * 86400)
    db.commit()
    assert _stored(db) == ["new@example.test", "two-days@example.test"]


def test_a_failed_sign_in_goes_through_the_purge(db, make):
    user = make.contractor()
    db.add(
        LoginAttempt(
            email="old@example.test", address="198.51.100.1", at=utcnow() - dt.timedelta(days=3)
        )
    )
    db.commit()
    refusal = auth.authenticate(db, user.email, "wrong password", "203.0.113.7")
    db.commit()
    assert refusal is not None
    assert _stored(db) == [user.email]


def test_a_large_backlog_drains_a_batch_at_a_time_oldest_first(db, monkeypatch):
    monkeypatch.setattr(auth, "PURGE_BATCH", 2)
    now = utcnow()
    db.add_all(
        [
            LoginAttempt(
                email=f"old{days}@example.test",
                address="198.51.100.1",
                at=now - dt.timedelta(days=days),
            )
            for days in (2, 3, 4, 5, 6)
        ]
    )
    db.commit()
    auth.record_failure(db, "new@example.test", "198.51.100.3", window_seconds=900)
    db.commit()
    assert _stored(db) == [
        "new@example.test",
        "old2@example.test",
        "old3@example.test",
        "old4@example.test",
    ]
