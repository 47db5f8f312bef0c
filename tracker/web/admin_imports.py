"""Admin: import people, projects or assignments from CSV — template, upload, preview, confirm.

The upload is a dry run: the page shows what would be created, updated or left unchanged and
every error by line and column. Confirming sends the same file back (base64 in the form, so
nothing is kept on the server between the two steps) and imports it, all or nothing.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField

from tracker.db import unit_of_work
from tracker.errors import DomainError
from tracker.routing import body_limit
from tracker.services import imports
from tracker.web.access import me, recent_login, roles
from tracker.web.forms import message, record

bp = Blueprint("admin_imports", __name__, url_prefix="/admin/imports")

KIND = "<any(users, projects, assignments):kind>"
TITLES = {"users": _l("People"), "projects": _l("Projects"), "assignments": _l("Assignments")}
# The heading of each kind's upload page.
UPLOAD_TITLES = {
    "users": _l("Import people"),
    "projects": _l("Import projects"),
    "assignments": _l("Import assignments"),
}
# How each kind's rows are matched to what exists.
MATCHED_BY = {
    "users": _l("email (any case)"),
    "projects": _l("code"),
    "assignments": _l("email, project code and start date"),
}
# Rows listed in the preview; the counts always cover the whole file.
PREVIEW_ROWS = 500


class UploadForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to check."))])


class ConfirmForm(FlaskForm):
    content = HiddenField()
    filename = HiddenField()


@bp.route("/")
@roles("admin")
def index() -> Any:
    """The three imports, with what each file holds."""
    return render_template(
        "admin_imports/index.html", specs=imports.SPECS, titles=TITLES, matched_by=MATCHED_BY
    )


@bp.route(f"/{KIND}/template.csv")
@roles("admin")
def template(kind: str) -> Response:
    """The template of a kind: the header row and one example."""
    return Response(
        imports.template_csv(kind),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{kind}-template.csv"'},
    )


def _run(kind: str, data: bytes, dry_run: bool) -> tuple[imports.ImportResult | None, bool]:
    """(the result, whether it was refused); None after a refusal that is not about the file."""
    try:
        with unit_of_work() as db:
            result = imports.run_import(
                db,
                me(),
                kind,
                data,
                dry_run=dry_run,
                max_bytes=current_app.config["IMPORT_MAX_BYTES"],
                setup_link_hours=current_app.config["SETUP_LINK_HOURS"],
            )
    except imports.ImportRefused as refused:
        return refused.result, True
    except DomainError as exc:  # too large, unknown kind
        record(exc)
        flash(_("Nothing was imported: %(reason)s", reason=message(exc)), "error")
        return None, True
    return result, False


@bp.route(f"/{KIND}", methods=["GET", "POST"])
@roles("admin")
@recent_login
@body_limit("IMPORT_MAX_BYTES")
def upload(kind: str) -> Any:
    """Upload a file: a dry run whose preview can be confirmed."""
    form = UploadForm()
    result = None
    confirm = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            data = upload.read()
        finally:
            upload.close()  # a large upload is spooled to a temporary file: let it go now
        result, refused = _run(kind, data, dry_run=True)
        if result is not None and not refused:
            confirm = ConfirmForm(
                content=base64.b64encode(data).decode(), filename=upload.filename or ""
            )
    return render_template(
        "admin_imports/upload.html",
        kind=kind,
        title=UPLOAD_TITLES[kind],
        spec=imports.SPECS[kind],
        form=form,
        result=result,
        confirm=confirm,
        preview_rows=PREVIEW_ROWS,
        limit=current_app.config["IMPORT_MAX_BYTES"],
    )


@bp.route(f"/{KIND}/confirm", methods=["POST"])
@roles("admin")
@recent_login
@body_limit("IMPORT_MAX_BYTES")
def confirm(kind: str) -> Any:
    """Import the previewed file for real, all or nothing."""
    form = ConfirmForm()
    try:
        data = base64.b64decode(form.content.data or "", validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not form.validate_on_submit() or not data:
        flash(_("The preview expired; upload the file again."), "error")
        return redirect(url_for("admin_imports.upload", kind=kind))
    result, refused = _run(kind, data, dry_run=False)
    if result is None:
        return redirect(url_for("admin_imports.upload", kind=kind))
    if refused:
        return render_template(
            "admin_imports/upload.html",
            kind=kind,
            title=UPLOAD_TITLES[kind],
            spec=imports.SPECS[kind],
            form=UploadForm(formdata=None),
            result=result,
            confirm=None,
            preview_rows=PREVIEW_ROWS,
            limit=current_app.config["IMPORT_MAX_BYTES"],
        )
    counts = {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
    }
    if form.filename.data:
        done = _(
            "Imported %(file)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
            file=form.filename.data,
            **counts,
        )
    else:
        done = _(
            "Imported the file: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
            **counts,
        )
    if kind == "users":
        done += " " + _("New people were emailed a link to set their password.")
    flash(done, "success")
    return redirect(url_for("admin_imports.upload", kind=kind))
