"""Projects and assignments API."""

from __future__ import annotations

from typing import Any

from flask import jsonify

from tracker.api import schemas
from tracker.api.access import api_roles, caller
from tracker.api.blueprint import bp, json_body
from tracker.api.openapi import doc
from tracker.db import get_session, unit_of_work
from tracker.models import ROLES, Project, User
from tracker.services import assignments, inputs, projects, users

CREATE_FIELDS = {
    "code",
    "name",
    "client",
    "seats",
    "skills",
    "hourly_rate",
    "currency",
    "open_to_reassignment",
}
# code and currency are passed on so the service refuses a change (422 with fields), as on the web.
UPDATE_FIELDS = {
    "name",
    "client",
    "seats",
    "skills",
    "hourly_rate",
    "open_to_reassignment",
    "status",
    "code",
    "currency",
}


def project_json(items: list[Project], viewer: User) -> list[dict[str, Any]]:
    """Projects with free seats and hold in force, in a fixed number of queries."""
    board = projects.board(get_session(), items)
    return [schemas.project(p, board.free_seats(p), board.holds.get(p.id), viewer) for p in items]


@bp.post("/projects")
@api_roles("admin")
@doc(request="ProjectCreate", response="Project", status=201, errors=(422,))
def create_project() -> Any:
    """Create a project."""
    body = json_body(CREATE_FIELDS)
    with unit_of_work() as db:
        project = projects.create_project(db, caller(), **body)
    return jsonify(project_json([project], caller())[0]), 201


@bp.get("/projects")
@api_roles(*ROLES)
@doc(response="ProjectList")
def list_projects() -> Any:
    """Admin: all projects; contractor: those they are assigned to."""
    items = projects.list_projects(get_session(), caller())
    return jsonify({"projects": project_json(items, caller())})


@bp.get("/projects/<int:project_id>")
@api_roles(*ROLES)
@doc(response="Project", errors=(404,))
def get_project(project_id: int) -> Any:
    """One project (404 for a contractor not on it)."""
    project = projects.get_project(get_session(), project_id, viewer=caller())
    return jsonify(project_json([project], caller())[0])


@bp.patch("/projects/<int:project_id>")
@api_roles("admin")
@doc(request="ProjectUpdate", response="Project", errors=(404, 409, 422))
def update_project(project_id: int) -> Any:
    """Change name, client, seats, skills, hourly_rate, open_to_reassignment, status closed.

    A different ``code`` or ``currency`` is refused with 422 (they are fixed once created).
    """
    body = json_body(UPDATE_FIELDS)
    with unit_of_work() as db:
        project = projects.update_project(
            db, caller(), projects.get_project(db, project_id), **body
        )
    return jsonify(project_json([project], caller())[0])


@bp.post("/projects/<int:project_id>/assignments")
@api_roles("admin")
@doc(request="AssignmentCreate", response="Assignment", status=201, errors=(404, 409, 422))
def create_assignment(project_id: int) -> Any:
    """Assign a contractor; 409 project_full, already_assigned.

    start_date defaults to the contractor's today; hourly_rate to their default rate, if any;
    an end_date (not after today) records an assignment that has ended.
    """
    body = json_body({"user_id", "hourly_rate", "start_date", "end_date"})
    user_id = inputs.identifier(body.get("user_id"), "user_id", "Give the contractor's user id.")
    with unit_of_work() as db:
        project = projects.get_project(db, project_id)
        assignment = assignments.assign(
            db,
            caller(),
            project,
            users.get_user(db, user_id),
            hourly_rate=body.get("hourly_rate"),
            start_date=body.get("start_date"),
            end_date=body.get("end_date"),
        )
    return jsonify(schemas.assignment(assignment)), 201


@bp.patch("/assignments/<int:assignment_id>")
@api_roles("admin")
@doc(request="AssignmentDates", response="Assignment", errors=(404, 409, 422))
def change_assignment_dates(assignment_id: int) -> Any:
    """Correct the start and end dates (end_date null: active again).

    409 already_assigned (overlapping dates), project_full; 422 when hours fall outside.
    """
    body = json_body({"start_date", "end_date"})
    with unit_of_work() as db:
        assignment = assignments.change_dates(
            db,
            caller(),
            assignments.get_assignment(db, assignment_id),
            start_date=body.get("start_date"),
            end_date=body.get("end_date"),
        )
    return jsonify(schemas.assignment(assignment))


@bp.get("/projects/<int:project_id>/assignments")
@api_roles("admin")
@doc(response="AssignmentList", errors=(404,))
def list_assignments(project_id: int) -> Any:
    """The project's assignments."""
    db = get_session()
    project = projects.get_project(db, project_id)
    return jsonify(
        {
            "assignments": [
                schemas.assignment(a) for a in assignments.list_assignments(db, project=project)
            ]
        }
    )


@bp.delete("/assignments/<int:assignment_id>")
@api_roles("admin")
@doc(response="Assignment", errors=(404, 422))
def end_assignment(assignment_id: int) -> Any:
    """End the assignment today (entries kept)."""
    with unit_of_work() as db:
        assignment = assignments.end_assignment(
            db, caller(), assignments.get_assignment(db, assignment_id)
        )
    return jsonify(schemas.assignment(assignment))
