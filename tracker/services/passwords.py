"""Password policy and hashing: Argon2id at OWASP's parameters or above, rehash when they change."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.errors import Invalid

MIN_LENGTH = 12
MAX_LENGTH = 128

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Verified against when the account does not exist, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


def configure(time_cost: int, memory_kib: int, parallelism: int) -> None:
    """Set the Argon2id parameters (called once by the app factory from config)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


def parameters() -> tuple[int, int, int]:
    """The active (time_cost, memory_kib, parallelism)."""
    return _hasher.time_cost, _hasher.memory_cost, _hasher.parallelism


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    text = resources.files("tracker").joinpath("data/common-passwords.txt").read_text()
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def check_policy(password: str, field: str = "password") -> None:
    """Refuse passwords that are too short, too long or common. No composition rules."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise Invalid.field(
            field,
            ngettext(
                "Use at least %(num)d character.", "Use at least %(num)d characters.", MIN_LENGTH
            ),
        )
    if len(password) > MAX_LENGTH:
        raise Invalid.field(
            field,
            ngettext(
                "Use at most %(num)d character.", "Use at most %(num)d characters.", MAX_LENGTH
            ),
        )
    if password.lower() in _common():
        raise Invalid.field(
            field, _("This password is on a list of common passwords; pick another.")
        )


def hash_password(password: str) -> str:
    """The Argon2id hash of a password."""
    return _hasher.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """True when password matches; takes the same time when there is no stored hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than the active ones."""
    return _hasher.check_needs_rehash(stored_hash)


# Hashing costs tens of milliseconds of CPU on purpose. It is done before the write transaction
# begins (``check``, ``prepare``), never while SQLite's write lock is held: a crowd of wrong
# passwords must not queue the freeze behind their hashing.


@dataclass(frozen=True)
class Checked:
    """A password compared with a stored hash, outside any write transaction.

    ``ok`` holds only while the user's hash is still ``stored_hash``: a password changed in
    between makes the check worthless (see ``still_matches``).
    """

    stored_hash: str | None
    ok: bool

    def still_matches(self, current_hash: str | None) -> bool:
        """True when the password matched and the stored hash has not changed since."""
        return self.ok and current_hash is not None and current_hash == self.stored_hash


def check(stored_hash: str | None, password: str) -> Checked:
    """Compare a password with a stored hash (do this before the unit of work)."""
    return Checked(stored_hash, verify(stored_hash, password))


@dataclass(frozen=True)
class Hashed:
    """A new password that passed the policy, already hashed (``prepare``)."""

    value: str


def prepare(password: str, field: str = "password") -> Hashed:
    """Check a new password against the policy and hash it, before the unit of work.

    Raises Invalid."""
    check_policy(password, field)
    return Hashed(hash_password(password))
