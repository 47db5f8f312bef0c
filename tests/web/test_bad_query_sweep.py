"""No query string or path makes a page answer 5xx: generated values at every HTML GET route.

Every page each role may open (the app's URL map and each view's declared roles) gets its
filters (week, dates, ids, cursors, status, …) and path ids from tests/hostile.py. A page may
answer with a message, a redirect or a 404 page; never a 500. Fewer examples than the API sweep:
pages share their parsing with the API (tracker.services.inputs), which that sweep covers hard.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile import app_routes, path_segments, text_values

ROLES = ("contractor", "admin", "payroll")
# Every query parameter a page reads (filters, paging, pre-filled forms, redirects).
PARAMS = (
    "week",
    "from",
    "to",
    "start",
    "end",
    "project_id",
    "user_id",
    "status",
    "after",
    "actor_id",
    "target_id",
    "before",
    "action",
    "target_type",
    "corrects",
    "work_date",
    "preset",
    "layout",
    "role",
    "bom",
    "next",
)
_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _is_page(rule: str) -> bool:
    return not rule.startswith(("/api/", "/static", "/healthz"))


PAGES = [
    (role, rule)
    for method, rule, allowed in app_routes()
    if method == "GET" and _is_page(rule)
    for role in ROLES
    if allowed == "public" or (allowed and role in allowed)
]


def test_the_sweep_covers_every_page_of_the_app(app):
    served = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and _is_page(rule.rule)
    }
    assert served == {rule for _role, rule in PAGES}


@pytest.mark.parametrize(("role", "rule"), PAGES, ids=[f"{r} {p}" for r, p in PAGES])
def test_no_query_string_makes_a_page_fail(client, auth, make, role, rule):
    user = make.user(role)
    project = make.project()
    if role == "contractor":
        make.assign(project, user)
        make.entry(user, project)
    ids = [user.id, project.id]
    auth.login(user)
    names = _ARGUMENT.findall(rule)

    @settings(max_examples=max(5, settings.default.max_examples // 2))
    @given(
        segments=st.tuples(*[path_segments(ids) for _ in names]),
        params=st.fixed_dictionaries(
            {},
            optional=dict.fromkeys(PARAMS, text_values()),  # type: ignore[arg-type]
        ),
    )
    def attempt(segments: tuple[str, ...], params: dict[str, Any]) -> None:
        parts = iter(segments)
        path = _ARGUMENT.sub(lambda _m: next(parts), rule)
        response = client.get(path, query_string=params)
        assert response.status_code < 500, (
            f"{response.status_code} for {role}: GET {path} {params!r}"
        )

    attempt()
