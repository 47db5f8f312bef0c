"""The outbox page and API count each status up to a cap, never a whole delivery history."""

from __future__ import annotations

from sqlalchemy import insert

from tracker.models import OutboxMessage, utcnow
from tracker.services.outbox_admin import COUNT_CAP


def _messages(db, status: str, count: int) -> None:
    now = utcnow()
    db.execute(
        insert(OutboxMessage),
        [
            {
                "kind": "email",
                "status": status,
                "topic": "entry_rejected",
                "recipient": f"person{n}@example.com",
                "payload": {},
                "key": f"{status}{n}",
                "next_attempt_at": now,
            }
            for n in range(count)
        ],
    )
    db.commit()


def test_past_the_cap_the_page_and_the_api_say_more_than_the_cap(auth, client, api, db, make):
    admin = make.admin()
    _messages(db, "sent", COUNT_CAP + 1)
    _messages(db, "dead", 2)
    auth.login(admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert f"Sent ({COUNT_CAP}+)" in page
    assert "Dead (2)" in page
    assert "Pending (0)" in page
    assert f"All ({COUNT_CAP + 2}+)" in page
    body = api(admin).get("/outbox?limit=1").get_json()
    assert body["counts"] == {"pending": 0, "sent": COUNT_CAP, "dead": 2}
    assert body["counts_capped"] == ["sent"]


def test_at_the_cap_the_count_is_exact(auth, client, api, db, make):
    admin = make.admin()
    _messages(db, "sent", COUNT_CAP)
    auth.login(admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert f"Sent ({COUNT_CAP})" in page
    assert f"All ({COUNT_CAP})" in page
    body = api(admin).get("/outbox").get_json()
    assert body["counts"]["sent"] == COUNT_CAP
    assert body["counts_capped"] == []
