"""Fixtures shared by the service tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def setup(make):
    """Casey on CHORDUS at 40.00 EUR/h, and an admin: (contractor, admin, project)."""
    contractor = make.contractor(name="Casey")
    admin = make.admin()
    project = make.project(code="CHORDUS", hourly_rate="40.00", currency="EUR")
    make.assign(project, contractor)
    return contractor, admin, project
