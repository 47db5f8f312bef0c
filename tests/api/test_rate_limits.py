"""The API is rate limited per token and per client address: 429 with Retry-After and the error
shape; counts shared through Redis by every app instance; a Redis outage is never a 5xx.

Redis tests use the server at TRACKER_TEST_REDIS_URL (default redis://127.0.0.1:6379/0), each
with its own key prefix, and remove their keys afterwards.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from tests.conftest import IsolatedClient
from tracker import create_app
from tracker.config import ConfigError
from tracker.models import AuditEvent

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NOBODY_LISTENS = "redis://127.0.0.1:9/0"  # the discard port: a refused connection


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "API_RATE_LIMIT": "3/minute", "API_ADDRESS_RATE_LIMIT": "5/minute"}


def _get(client: Any, token: str | None, path: str = "/api/v1/me", address: str = "10.0.0.1"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": address})


def _assert_rate_limited(response: Any) -> None:
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"].startswith("Too many requests")
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 60
    assert f"{seconds} s" in error["message"]


def test_a_token_over_its_limit_gets_429_with_retry_after(client, make):
    token = make.token(make.contractor())
    assert [_get(client, token).status_code for _ in range(3)] == [200, 200, 200]
    _assert_rate_limited(_get(client, token))


def test_limits_are_per_token(client, make):
    first, second = make.token(make.contractor()), make.token(make.contractor())
    for _ in range(3):
        _get(client, first)
    _assert_rate_limited(_get(client, first))
    assert _get(client, second).status_code == 200


def test_the_address_limit_holds_across_tokens(client, make):
    tokens = [make.token(make.contractor()) for _ in range(3)]
    answers = [_get(client, token).status_code for token in tokens * 2]
    assert answers == [200] * 5 + [429]


def test_limits_are_per_address(client, make):
    tokens = [make.token(make.contractor()) for _ in range(5)]
    for token in tokens:
        _get(client, token, address="10.0.0.1")
    _assert_rate_limited(_get(client, make.token(make.contractor()), address="10.0.0.1"))
    assert _get(client, tokens[0], address="10.0.0.2").status_code == 200


def test_ipv6_addresses_count_per_64_block(client, make):
    tokens = [make.token(make.contractor()) for _ in range(6)]
    for n, token in enumerate(tokens[:5]):
        _get(client, token, address=f"2001:db8:1:2::{n + 1}")
    _assert_rate_limited(_get(client, tokens[5], address="2001:db8:1:2:ffff::9"))
    assert _get(client, tokens[5], address="2001:db8:1:3::1").status_code == 200


def test_bad_tokens_are_limited_by_address_before_they_are_looked_up(client, db):
    answers = [_get(client, f"made-up-{n}").status_code for n in range(7)]
    assert answers == [401] * 5 + [429] * 2
    # The looked-up bad tokens are recorded once a minute per address (not once each), and the
    # ones refused before authentication not at all.
    denied = db.scalar(select(func.count()).where(AuditEvent.action == "api.denied"))
    assert denied == 1


def test_requests_without_a_token_count_by_address_only(client):
    answers = [_get(client, None).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]


def test_the_health_check_and_the_pages_are_not_limited(client):
    for _ in range(8):
        assert _get(client, None, path="/healthz").status_code == 200
        assert _get(client, None, path="/login").status_code == 200


def test_a_malformed_limit_stops_the_app_naming_the_setting(app_config):
    with pytest.raises(ConfigError, match="TRACKER_API_RATE_LIMIT must be a limit like"):
        create_app({**app_config, "API_RATE_LIMIT": "lots"})


def test_a_limit_can_be_turned_off(app_config, make):
    app = _app({**app_config, "API_RATE_LIMIT": "off", "API_ADDRESS_RATE_LIMIT": "off"})
    try:
        token = make.token(make.contractor())
        client = app.test_client()
        assert {_get(client, token).status_code for _ in range(8)} == {200}
    finally:
        app.extensions["tracker.engine"].dispose()


# --- shared through Redis -------------------------------------------------------------------


def _app(config: dict[str, Any]) -> Any:
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def redis_store() -> Iterator[tuple[redis.Redis, str]]:
    """The test Redis and a key prefix of this test's own; its keys are removed afterwards."""
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL} (set TRACKER_TEST_REDIS_URL)")
    prefix = f"tracker-test-{uuid.uuid4().hex}"
    yield store, prefix
    for key in store.scan_iter(f"*{prefix}*"):
        store.delete(key)
    store.close()


@pytest.fixture
def shared_apps(app_config, redis_store) -> Iterator[tuple[Any, Any]]:
    """Two app instances (two processes, or two hosts) sharing one Redis."""
    _store, prefix = redis_store
    config = {**app_config, "REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    apps = (_app(config), _app(config))
    yield apps
    for app in apps:
        app.extensions["tracker.engine"].dispose()


def test_two_app_instances_sharing_redis_share_the_count(shared_apps, make):
    first, second = (app.test_client() for app in shared_apps)
    token = make.token(make.contractor())
    assert _get(first, token).status_code == 200
    assert _get(second, token).status_code == 200
    assert _get(first, token).status_code == 200
    _assert_rate_limited(_get(second, token))
    _assert_rate_limited(_get(first, token))


def test_the_stored_keys_never_hold_the_token(shared_apps, redis_store, make):
    store, prefix = redis_store
    token = make.token(make.contractor())
    assert _get(shared_apps[0].test_client(), token).status_code == 200
    keys = [key.decode() for key in store.scan_iter(f"*{prefix}*")]
    assert any("api-token" in key for key in keys), keys
    assert any("10.0.0.1" in key for key in keys), keys
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    for key in keys:
        assert token not in key
        assert token_hash[:16] not in key  # nor the hash the database keeps


def test_a_redis_outage_is_not_a_5xx_and_limits_still_hold(app_config, make):
    app = _app({**app_config, "REDIS_URL": NOBODY_LISTENS})
    try:
        client = app.test_client()
        token = make.token(make.contractor())
        assert [_get(client, token).status_code for _ in range(3)] == [200, 200, 200]
        _assert_rate_limited(_get(client, token))  # counted in this process's memory meanwhile
    finally:
        app.extensions["tracker.engine"].dispose()


def test_a_crowd_at_the_admins_address_cannot_refuse_the_freeze(client, make):
    admin = make.admin()
    token = make.token(admin)
    project = make.project(code="CROWDED")
    for n in range(8):  # the address's allowance used up by made-up tokens
        _get(client, f"made-up-{n}", address="10.0.0.7")
    _assert_rate_limited(_get(client, token, address="10.0.0.7"))
    frozen = client.post(
        f"/api/v1/projects/{project.id}/freeze",
        json={"reason": "Breach", "notice": "Paused."},
        headers={"Authorization": f"Bearer {token}"},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert frozen.status_code == 200, frozen.get_json()
    assert frozen.get_json()["project"]["status"] == "frozen"
