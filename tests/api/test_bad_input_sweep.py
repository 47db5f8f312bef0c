"""No input makes a 5xx: generated values at every API route, as an admin and as a contractor.

The routes come from the app's URL map; each route's query parameters and request body from the
OpenAPI document the app serves at /api/v1/openapi.json. Path parameters, query parameters and
body fields get values from tests/hostile.py (the database's integer edges, odd digits, the
calendar's ends, wrong JSON types, NUL, deep JSON) mixed with valid ones, so requests also get
past the first check. Every answer is below 500 and every refusal has the documented error shape.

Before the generated examples, each route's body is sent valid but for one field, once for each
class of bad value and each awkward character (a deterministic pass: a bad value that only
fails deep inside, behind every other check, is found every run, not by luck).

The number of examples per route comes from the Hypothesis profile (tests/conftest.py): a few
in the suite, many with HYPOTHESIS_PROFILE=thorough.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hostile import (
    DATES,
    TAINTS,
    VALID_LOOKING,
    app_routes,
    assert_error_shape,
    deep_json,
    json_values,
    path_segments,
    tainted,
    text_values,
)

_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


OPERATIONS = [(m, rule) for m, rule, _roles in app_routes() if rule.startswith("/api/v1")]


@dataclass
class World:
    tokens: dict[str, str]
    ids: list[int]
    named: dict[str, Any]  # a fitting real value for each id field and path parameter


@pytest.fixture
def world(make: Any) -> World:
    """An admin, contractors, open, held and closed projects, entries: real ids to aim at."""
    admin = make.admin()
    contractor = make.contractor(skills=["python"])
    other = make.contractor()
    project = make.project()
    held = make.project()
    target = make.project(open_to_reassignment=True, seats=5)
    for p in (project, held):
        make.assign(p, contractor)
    assignment = make.assign(project, other)
    make.hold(held)
    entry = make.entry(contractor, project)
    theirs = make.entry(other, project)
    named = {
        "project_id": project.id,
        "to_project_id": target.id,
        "from_project_id": held.id,
        "user_id": contractor.id,
        "user_ids": [contractor.id],
        "entry_id": entry.id,
        "corrects_entry_id": entry.id,
        "assignment_id": assignment.id,
        "batch_id": 1,
    }
    return World(
        tokens={"admin": make.token(admin), "contractor": make.token(contractor)},
        ids=[
            *(admin.id, contractor.id, other.id),
            *(project.id, held.id, target.id),
            *(entry.id, theirs.id),
        ],
        named=named,
    )


# Valid-looking values for fields whose schema says only "string", by name.
HINTS = {
    "email": ["new@example.com", "other@example.com"],
    "timezone": ["UTC", "Europe/Berlin"],
    "code": ["NEWCODE", "AB"],
    "currency": ["EUR", "USD"],
    "hours": ["7.5", "7:30", "2h"],
    "hourly_rate": ["45.00", "0"],
    "password": ["a long enough passphrase"],
}


def _schema_value(name: str, schema: dict[str, Any], ids: list[int]) -> st.SearchStrategy[Any]:
    """A valid-looking value for a body field's schema (so deeper checks are reached)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    types = schema.get("type", "string")
    types = types if isinstance(types, list) else [types]
    options: list[st.SearchStrategy[Any]] = []
    for kind in types:
        if kind == "integer":
            options.append(st.sampled_from(ids) | st.integers(-5, 50))
        elif kind == "number":
            options.append(st.floats(-50, 50))
        elif kind == "boolean":
            options.append(st.booleans())
        elif kind == "array":
            item = _schema_value(name, schema.get("items", {}), ids)
            options.append(st.lists(item, max_size=3))
        elif kind == "null":
            options.append(st.none())
        elif schema.get("format") == "date":
            options.append(st.sampled_from(DATES) | st.dates().map(lambda d: d.isoformat()))
        else:
            options.append(st.sampled_from(HINTS.get(name, VALID_LOOKING)))
    return st.one_of(options)


def _field(name: str, schema: dict[str, Any], ids: list[int]) -> st.SearchStrategy[Any]:
    """Mostly valid-looking; else the same with an awkward character in it; else anything."""
    valid = _schema_value(name, schema, ids)
    texts = HINTS.get(name, VALID_LOOKING)
    return st.one_of(valid, valid, tainted(texts), json_values())


def _body(schema: dict[str, Any], ids: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    """The required fields and any of the others, so requests also get past the first check."""
    required = set(schema.get("required", ()))
    fields = {name: _field(name, prop, ids) for name, prop in schema.get("properties", {}).items()}
    return st.fixed_dictionaries(
        {name: value for name, value in fields.items() if name in required},
        optional={name: value for name, value in fields.items() if name not in required},
    )


def _request_body(schema: dict[str, Any] | None, ids: list[int]) -> st.SearchStrategy[Any]:
    """Keyword arguments for the request: a JSON object mostly; sometimes anything else."""
    if schema is None:
        return st.just({})
    return st.one_of(
        _body(schema, ids).map(lambda body: {"json": body}),
        _body(schema, ids).map(lambda body: {"json": body}),
        json_values().map(lambda body: {"json": body}),
        deep_json().map(lambda text: {"data": text, "content_type": "application/json"}),
        st.sampled_from(["{", "", "nul\x00l", "\xff"]).map(
            lambda text: {"data": text, "content_type": "application/json"}
        ),
    )


# One field at a time, every other field valid: each class of bad value for a body field.
ONE_FIELD = [
    2**31,
    2**63,
    10**30,
    -1,
    0,
    1.5,
    float("inf"),
    True,
    None,
    [],
    {},
    "",
    "x" * 5000,
    "\u00b2",
    "\u0661",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
]


def _baseline(name: str, schema: dict[str, Any], world: World) -> Any:
    """A fitting valid value for a field, the same every time."""
    if name in world.named:
        return world.named[name]
    if "enum" in schema:
        return schema["enum"][0]
    kinds = schema.get("type", "string")
    kind = kinds[0] if isinstance(kinds, list) else kinds
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if schema.get("format") == "date":
        return "2026-01-05"
    return HINTS.get(name, ["A note"])[0]


def _one_field_at_a_time(schema: dict[str, Any] | None, world: World) -> list[dict[str, Any]]:
    """Bodies that are valid but for one field, which gets each bad value and each taint."""
    if schema is None:
        return [{}]
    props = schema.get("properties", {})
    base = {name: _baseline(name, prop, world) for name, prop in props.items()}
    bodies = [{"json": base}]
    for name in props:
        text = base[name] if isinstance(base[name], str) and base[name] else "text"
        for value in [*ONE_FIELD, *(text[:1] + taint + text[1:] for taint in TAINTS)]:
            bodies.append({"json": {**base, name: value}})
    return bodies


def _operation_doc(spec: dict[str, Any], method: str, rule: str) -> dict[str, Any]:
    path = "/" + _CONVERTER.sub(r"{\1}", rule).removeprefix("/api/v1/")
    operation: dict[str, Any] = spec["paths"][path][method.lower()]
    return operation


def _request_schema(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return None
    name = content["schema"]["$ref"].rsplit("/", 1)[-1]
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def test_the_sweep_covers_every_api_route_of_the_app(app):
    served = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert served == set(OPERATIONS)


@pytest.mark.parametrize("role", ["admin", "contractor"])
@pytest.mark.parametrize(("method", "rule"), OPERATIONS, ids=[f"{m} {r}" for m, r in OPERATIONS])
def test_no_input_makes_a_5xx(client, world, role, method, rule):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = _operation_doc(spec, method, rule)
    query = {p["name"]: text_values() for p in operation["parameters"] if p["in"] == "query"}
    body = _request_body(_request_schema(spec, operation), world.ids)
    names = _CONVERTER.findall(rule)
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}

    def send(segments: tuple[str, ...], params: dict[str, str], extra: dict[str, Any]) -> None:
        path = rule
        for name, segment in zip(names, segments, strict=True):
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", lambda _m, s=segment: s, path)
        response = client.open(path, method=method, query_string=params, headers=headers, **extra)
        assert_error_shape(response, f"{role}: {method} {path} {params!r} {extra!r:.300}")

    fitting = tuple(str(world.named.get(name, 1)) for name in names)
    if role in operation["x-roles"]:  # a role refused before any parsing needs no second pass
        for extra in _one_field_at_a_time(_request_schema(spec, operation), world):
            send(fitting, {}, extra)

    @given(
        segments=st.tuples(*[path_segments(world.ids) for _ in names]),
        params=st.fixed_dictionaries({}, optional=query),  # type: ignore[arg-type]
        extra=body,
    )
    def attempt(segments: tuple[str, ...], params: dict[str, str], extra: dict[str, Any]) -> None:
        send(segments, params, extra)

    attempt()
