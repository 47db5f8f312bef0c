"""Every route in app.url_map declares who may use it, and answers each role accordingly.

The matrix is built from the running app's url_map, so a route added later is checked too: a
view without ``allowed_roles`` (set by ``@roles``, ``@api_roles`` or ``@public``) fails the suite.

Decisions asserted here:
- HTML routes, anonymous: a redirect to the sign-in page, for every method (also POST-only routes).
- HTML routes, signed in with a role not allowed: 403.
- API routes: no token 401, a role not allowed 403.
- Allowed roles: never 401/403, never 5xx (a 404 for the placeholder id 999999 is fine).
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.routing import IntegerConverter, Rule

from tests.conftest import PASSWORD

ROLES = ("contractor", "payroll", "admin")
PLACEHOLDER_ID = 999999
SKIP_METHODS = {"HEAD", "OPTIONS"}

# Views that sign the caller out; after them the role's client signs in again.
SIGNS_OUT = {"auth.logout"}


def _url_values(rule: Rule) -> dict[str, Any]:
    """Values for a rule's arguments: a placeholder id, a valid choice, or a dummy string."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        kind = type(converter).__name__
        if isinstance(converter, IntegerConverter):  # the app's id converter is one
            values[name] = PLACEHOLDER_ID
        elif kind == "AnyConverter":
            values[name] = _any_choice(rule, name)
        elif kind == "PathConverter":
            values[name] = "app.css"
        else:
            values[name] = "placeholder"
    return values


def _any_choice(rule: Rule, name: str) -> str:
    """The first value an ``any(a, b)`` converter accepts."""
    regex = rule._converters[name].regex  # "(?:a|b)"
    return regex.removeprefix("(?:").removesuffix(")").split("|")[0].replace("\\", "")


def _build(rule: Rule) -> str:
    built = rule.build(_url_values(rule), append_unknown=False)
    assert built is not None, rule.rule
    return built[1]


def _routes(app: Any) -> list[tuple[Rule, str, str]]:
    """(rule, method, path) for every route of the app."""
    result = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted((rule.methods or set()) - SKIP_METHODS):
            result.append((rule, method, _build(rule)))
    return result


def _declared(app: Any, rule: Rule) -> Any:
    if rule.endpoint == "static":
        return "public"
    return getattr(app.view_functions[rule.endpoint], "allowed_roles", None)


def _is_api(rule: Rule) -> bool:
    return rule.rule.startswith("/api/")


def test_every_route_declares_its_roles(app):
    missing = [
        f"{rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        if _declared(app, rule) is None
    ]
    assert missing == [], "routes without @roles/@api_roles/@public: " + ", ".join(missing)


def test_declared_roles_are_known_roles(app):
    for rule in app.url_map.iter_rules():
        declared = _declared(app, rule)
        if declared == "public" or declared is None:
            continue
        assert declared, f"{rule.rule} allows nobody"
        assert set(declared) <= set(ROLES), f"{rule.rule}: {sorted(declared)}"


def _request(client: Any, method: str, path: str, api: bool, headers: Any = None) -> Any:
    if api:
        return client.open(
            path, method=method, json={} if method != "GET" else None, headers=headers or {}
        )
    return client.open(path, method=method, data={} if method != "GET" else None)


def test_anonymous_callers_are_sent_to_sign_in_or_get_401(app, client):
    problems = []
    for rule, method, path in _routes(app):
        declared = _declared(app, rule)
        if declared == "public":
            continue
        response = _request(client, method, path, _is_api(rule))
        if _is_api(rule):
            if response.status_code != 401:
                problems.append(f"{method} {path}: {response.status_code}, expected 401")
        else:
            location = response.headers.get("Location", "")
            if response.status_code != 302 or "/login" not in location:
                problems.append(f"{method} {path}: {response.status_code} {location}")
    assert problems == [], "\n".join(problems)


def _web_clients(app: Any, make: Any) -> dict[str, Any]:
    clients = {}
    for role in ROLES:
        user = make.user(role)
        client = app.test_client()
        _sign_in(client, user)
        clients[role] = (client, user)
    return clients


def _sign_in(client: Any, user: Any) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.mark.slow
def test_signed_in_roles_get_403_unless_allowed(app, make):
    clients = _web_clients(app, make)
    problems = []
    for rule, method, path in _routes(app):
        declared = _declared(app, rule)
        if declared == "public" or _is_api(rule):
            continue
        for role, (client, user) in clients.items():
            response = _request(client, method, path, api=False)
            status = response.status_code
            location = response.headers.get("Location", "")
            if role in declared:
                signed_out = status == 302 and "/login" in location
                if status >= 500:
                    problems.append(f"{role} {method} {path}: {status} on an empty request")
                if status in (401, 403) or (signed_out and rule.endpoint not in SIGNS_OUT):
                    problems.append(f"{role} {method} {path}: {status} but the role is allowed")
            elif status != 403:
                problems.append(f"{role} {method} {path}: {status}, expected 403")
            if rule.endpoint in SIGNS_OUT:
                _sign_in(client, user)
    assert problems == [], "\n".join(problems)


@pytest.mark.slow
def test_api_tokens_get_403_unless_the_role_is_allowed(app, make):
    headers = {role: {"Authorization": f"Bearer {make.token(make.user(role))}"} for role in ROLES}
    client = app.test_client()
    problems = []
    for rule, method, path in _routes(app):
        declared = _declared(app, rule)
        if declared == "public" or not _is_api(rule):
            continue
        for role in ROLES:
            response = _request(client, method, path, api=True, headers=headers[role])
            status = response.status_code
            if role in declared and status >= 500:
                problems.append(f"{role} {method} {path}: {status} on an empty request")
            if role in declared and status in (401, 403):
                problems.append(f"{role} {method} {path}: {status} but the role is allowed")
            if role not in declared and status != 403:
                problems.append(f"{role} {method} {path}: {status}, expected 403")
    assert problems == [], "\n".join(problems)


def test_the_api_ignores_the_browser_session(app, make, client):
    admin = make.admin()
    _sign_in(client, admin)
    response = client.get("/api/v1/me")
    assert response.status_code == 401


def test_a_route_without_a_role_check_is_caught(app):
    """The check above really fails for an undeclared view (guards the guard)."""

    def undeclared() -> str:
        return "open to all"

    app.add_url_rule("/undeclared-for-test", "undeclared_for_test", undeclared)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "undeclared_for_test")
    assert _declared(app, rule) is None


def test_no_get_request_changes_anything(app, make, db):
    """Every change writes an audit event, so GETs by any role must add none (no state via GET)."""
    from sqlalchemy import func, select

    from tracker.models import AuditEvent

    clients = _web_clients(app, make)
    headers = {
        role: {"Authorization": f"Bearer {make.token(user)}"}
        for role, (_client, user) in clients.items()
    }

    def changes() -> int:
        # Denials (web ``access.denied``, API ``api.denied``) and sign-ins are log entries about
        # a request, not changes of data, so they do not count here.
        return db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.action.not_like("api.%"),
                AuditEvent.action.not_like("login.%"),
                AuditEvent.action != "access.denied",
            )
        )

    before = changes()
    for rule, method, path in _routes(app):
        if method != "GET":
            continue
        for role, (client, _user) in clients.items():
            _request(client, "GET", path, api=_is_api(rule), headers=headers[role])
    assert changes() == before
