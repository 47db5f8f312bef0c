"""User services: creation rules, the password policy, hashing strength and rehash on login."""

from __future__ import annotations

from decimal import Decimal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from tracker.errors import Duplicate, Invalid, NotFound
from tracker.models import AuditEvent, User
from tracker.services import auth, passwords, users


def test_emails_are_unique_whatever_their_case(db, make):
    make.contractor(email="same@example.com")
    with pytest.raises(Duplicate) as caught:
        users.create_user(db, None, email=" SAME@Example.COM ", name="Twin", role="contractor")
    assert caught.value.fields == {"email": ["A user with this email already exists."]}


def test_all_bad_fields_are_reported_together(db):
    with pytest.raises(Invalid) as caught:
        users.create_user(
            db,
            None,
            email="bad",
            name="",
            role="chief",
            timezone="Moon/Base",
            skills=[3],
            hourly_rate="1.234",
        )
    assert set(caught.value.fields) == {
        "email",
        "name",
        "role",
        "timezone",
        "skills",
        "hourly_rate",
    }
    db.rollback()
    assert db.scalar(select(User)) is None


def test_a_created_user_is_audited_without_secrets(db):
    user = users.create_user(
        db,
        None,
        email="a@example.com",
        name="A",
        role="contractor",
        password="a perfectly fine passphrase",
        hourly_rate="10",
    )
    db.commit()
    assert user.hourly_rate == Decimal("10.00")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    text = str(event.data)
    assert "a perfectly fine passphrase" not in text
    assert user.password_hash not in text
    assert user.session_token not in text


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("x" * 11, False),
        ("x" * 12, True),  # no composition rules
        ("correct horse battery staple", True),
        ("y" * 128, True),
        ("y" * 129, False),
        ("password1234", False),
        ("PASSWORD1234", False),  # the common list is matched case-insensitively
        ("qwertyuiop123", False),
    ],
)
def test_password_policy(password, ok):
    if ok:
        passwords.check_policy(password)
    else:
        with pytest.raises(Invalid):
            passwords.check_policy(password)


def test_the_common_password_list_ships_with_the_package():
    common = passwords._common()
    assert len(common) > 1000
    assert all(len(word) >= 1 for word in common)


def test_the_limits_are_at_least_what_the_spec_asks():
    assert passwords.MIN_LENGTH >= 12
    assert passwords.MAX_LENGTH >= 64


def test_hashes_are_argon2id_with_the_configured_parameters(app):
    digest = passwords.hash_password("some passphrase here")
    assert digest.startswith("$argon2id$")
    time_cost, memory, lanes = passwords.parameters()
    assert (time_cost, memory, lanes) == (
        app.config["PASSWORD_TIME_COST"],
        app.config["PASSWORD_MEMORY_KIB"],
        app.config["PASSWORD_PARALLELISM"],
    )
    assert f"m={memory},t={time_cost},p={lanes}" in digest


def test_a_password_hashed_with_old_parameters_is_rehashed_at_login(db, make):
    user = make.contractor()
    weak = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
    stored = db.get(User, user.id)
    stored.password_hash = weak.hash("factory-password-1234")
    db.commit()
    assert passwords.needs_rehash(stored.password_hash)
    outcome = auth.authenticate(db, user.email, "factory-password-1234", "192.0.2.1")
    db.commit()
    assert isinstance(outcome, User)
    db.refresh(stored)
    assert not passwords.needs_rehash(stored.password_hash)
    assert "m=256" not in stored.password_hash
    assert passwords.verify(stored.password_hash, "factory-password-1234")


def test_verify_is_false_for_no_hash_or_a_broken_hash():
    assert passwords.verify(None, "anything at all") is False
    assert passwords.verify("not-a-hash", "anything at all") is False


def test_updating_rejects_fields_that_cannot_change(db, make):
    user = make.contractor()
    with pytest.raises(Invalid) as caught:
        users.update_user(db, None, db.get(User, user.id), email="new@example.com")
    assert set(caught.value.fields) == {"email"}


def test_role_change_and_disable_rotate_the_session_token_but_renames_do_not(db, make):
    user = db.get(User, make.contractor().id)
    token = user.session_token
    users.update_user(db, None, user, name="Renamed")
    assert user.session_token == token
    users.update_user(db, None, user, role="payroll")
    assert user.session_token != token
    token = user.session_token
    users.update_user(db, None, user, active=False)
    assert user.session_token != token


def test_an_update_without_changes_writes_no_audit_event(db, make):
    user = db.get(User, make.contractor(name="Same").id)
    before = len(db.scalars(select(AuditEvent)).all())
    users.update_user(db, None, user, name="Same")
    db.flush()
    assert len(db.scalars(select(AuditEvent)).all()) == before


def test_setup_links_are_single_use_and_stored_hashed(db, make):
    user = make.contractor()
    token = users.create_setup_link(db, None, user, "reset")
    db.commit()
    assert token not in str(db.scalars(select(AuditEvent)).all()[-1].data)
    users.use_setup_link(db, token, "a good new passphrase")
    db.commit()
    with pytest.raises(NotFound):
        users.use_setup_link(db, token, "another passphrase ok")


def test_a_first_admin_link_dies_once_an_admin_exists(db, make):
    token = users.create_setup_link(db, None, None, "first_admin")
    db.commit()
    make.admin()
    with pytest.raises(NotFound):
        users.find_setup_link(db, token)


def test_sign_in_throttles_per_account_and_address_with_the_same_answer(db, make):
    user = make.contractor()
    answers = [
        auth.authenticate(db, user.email, "wrong password!!", "192.0.2.7", max_attempts=3)
        for _ in range(3)
    ]
    db.commit()
    assert {a.message for a in answers} == {auth.FAILED}
    # The address that made the failures is refused, even with the right password …
    throttled = auth.authenticate(
        db, user.email, "factory-password-1234", "192.0.2.7", max_attempts=3
    )
    assert throttled.code == "rate_limited"
    # … but the owner elsewhere is not locked out by someone else's guesses.
    assert (
        auth.authenticate(db, user.email, "factory-password-1234", "192.0.2.8", max_attempts=3)
        == user
    )
    unknown = auth.authenticate(
        db, "nobody@example.com", "wrong password!!", "192.0.2.9", max_attempts=3
    )
    assert unknown.message == auth.FAILED
