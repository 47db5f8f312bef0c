"""One hold lifecycle: a project's "frozen" status and its open hold never disagree.

The project's status is what every entry write reads under the project's lock; the open hold
row holds what the hold says. ``holds.freeze_project`` and ``holds.end_hold`` (unfreeze, or
closing a held project) are the only writers of either, always together.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sqlalchemy import select

from tests.edge import edge
from tracker.models import Hold, Project, User
from tracker.services import holds, projects

PACKAGE = Path(__file__).resolve().parents[2] / "tracker"


def _frozen_and_held(db):
    frozen = set(db.scalars(select(Project.id).where(Project.status == "frozen")))
    held = set(db.scalars(select(Hold.project_id).where(Hold.ended_at.is_(None))))
    return frozen, held


def test_the_status_and_the_open_hold_agree_through_every_step_of_the_lifecycle(app, db, make):
    admin = make.admin()
    first, second = make.project(code="FIRST"), make.project(code="SECOND")
    make.assign(first, make.contractor())
    steps = [
        lambda s, a: holds.freeze_project(s, a, s.get(Project, first.id), reason="r", notice="n"),
        lambda s, a: holds.freeze_project(s, a, s.get(Project, second.id), reason="r", notice="n"),
        lambda s, a: holds.unfreeze_project(s, a, s.get(Project, first.id), note="all clear"),
        lambda s, a: holds.freeze_project(s, a, s.get(Project, first.id), reason="r", notice="n"),
        lambda s, a: projects.update_project(s, a, s.get(Project, second.id), status="closed"),
        lambda s, a: projects.update_project(s, a, s.get(Project, first.id), status="closed"),
    ]
    seen = []
    for step in steps:
        with app.app_context(), edge() as session:
            step(session, session.get(User, admin.id))
        frozen, held = _frozen_and_held(db)
        assert frozen == held
        seen.append(len(frozen))
    assert seen == [1, 2, 1, 2, 1, 0]
    statuses = dict(db.execute(select(Project.code, Project.status)).all())
    assert statuses == {"FIRST": "closed", "SECOND": "closed"}


def _lifecycle_writes(path: Path) -> list[str]:
    """Where a module ends a hold (sets ``ended_at``), sets a ``status`` attribute to "frozen"
    or "open", or stores "frozen" as a status (``status="frozen"``)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Assign):
            attributes = {t.attr for t in node.targets if isinstance(t, ast.Attribute)}
            value = node.value
            opens_or_freezes = isinstance(value, ast.Constant) and value.value in ("frozen", "open")
            if "ended_at" in attributes or ("status" in attributes and opens_or_freezes):
                found.append(f"{path.name}:{node.lineno}")
        elif (
            isinstance(node, ast.keyword)
            and node.arg == "status"
            and isinstance(node.value, ast.Constant)
            and node.value.value == "frozen"
        ):
            found.append(f"{path.name}:{node.value.lineno}")
    return found


def test_only_the_hold_lifecycle_ends_holds_and_writes_a_projects_frozen_status():
    writers = {
        str(path.relative_to(PACKAGE)): _lifecycle_writes(path)
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
    }
    assert {name for name, where in writers.items() if where} == {"services/holds.py"}
