"""The JSON API and the CLI stay in English: a caller whose account is in Arabic, sending
Accept-Language: ar, gets the English message beside each error code."""

from __future__ import annotations

import pytest

from tests.dates import yesterday


@pytest.fixture
def arabic(api, db, make):
    """An Arabic-speaking contractor on CHORDUS, calling with Accept-Language: ar."""
    contractor = make.contractor()
    contractor.language = "ar"
    db.merge(contractor)
    db.commit()
    project = make.project(code="CHORDUS")
    make.assign(project, contractor)
    client = api(contractor)
    client.headers["Accept-Language"] = "ar"
    return client, project


def test_a_held_project_is_refused_in_english(arabic, make):
    client, project = arabic
    make.hold(project, notice="يتوقف العمل مؤقتًا.")
    response = client.post(
        "/entries",
        json={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "2"},
    )
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "project_frozen"
    assert error["message"].startswith("CHORDUS is on hold since")
    assert "no hours can be logged or changed until it is lifted" in error["message"]
    assert error["hold"]["notice"] == "يتوقف العمل مؤقتًا."  # data is returned as typed


def test_a_validation_error_is_in_english(arabic):
    client, project = arabic
    response = client.post(
        "/entries",
        json={"project_id": project.id, "work_date": yesterday().isoformat(), "hours": "lots"},
    )
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["hours"] == [
        "Enter hours as 7.5, 7,5, 7:30, 7h30, 2h, 2h38m or 450m (whole minutes only)."
    ]
    assert error["message"].startswith("hours: Enter hours as")


def test_not_assigned_is_in_english(arabic, make):
    client, _project = arabic
    other = make.project(code="OTHER")
    response = client.post(
        "/entries",
        json={"project_id": other.id, "work_date": yesterday().isoformat(), "hours": "1"},
    )
    assert response.status_code == 422
    assert response.json["error"] == {
        "code": "not_assigned",
        "message": "You are not assigned to this project.",
    }


def test_the_cli_answers_in_english(runner, db, make):
    someone = make.admin()
    someone.language = "ar"
    db.merge(someone)
    db.commit()
    make.project(code="CHORDUS")
    result = runner.invoke(args=["project", "unfreeze", "CHORDUS"])
    assert result.exit_code == 1
    assert "Project CHORDUS is not on hold." in result.output
