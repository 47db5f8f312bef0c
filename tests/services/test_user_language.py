"""The users service owns the language choice: shipped codes kept, blank follows the browser,
anything else is the default language."""

from __future__ import annotations

import pytest

from tracker.services import users


@pytest.mark.parametrize(
    ("given", "stored"),
    [("ar", "ar"), (" ES ", "es"), ("en", "en"), ("", None), (None, None), ("xx", "en")],
)
def test_set_own_language(db, make, given, stored):
    person = make.contractor()
    users.set_own_language(db, person, given)
    db.commit()
    db.refresh(person)
    assert person.language == stored
