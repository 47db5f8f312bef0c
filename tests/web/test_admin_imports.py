"""The Import pages: template, upload as a dry run with a preview, confirm, errors by line."""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from tracker.models import AuditEvent, OutboxMessage, User

PEOPLE = b"email,name,role\r\nada@example.com,Ada,contractor\r\nbob@example.com,Bob,contractor\r\n"


def _upload(client, kind, data, name="people.csv"):
    return client.post(
        f"/admin/imports/{kind}",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_the_template_has_the_header_and_an_example(client, auth, make):
    auth.login(make.admin())
    response = client.get("/admin/imports/projects/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    header, example, _ = response.get_data(as_text=True).split("\r\n")
    assert header == "code,name,client,seats,skills,hourly_rate,currency,open_to_reassignment"
    assert example.startswith("CHORDUS,")
    index = client.get("/admin/imports/").get_data(as_text=True)
    assert "assignments-template.csv" in index


def test_upload_previews_then_confirm_imports(client, auth, make, db):
    auth.login(make.admin())
    before = _count(db, User)
    page = _upload(client, "users", PEOPLE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Preview" in html
    assert "ada@example.com" in html
    assert "Import 2 changes now" in html
    assert _count(db, User) == before
    content = re.search(r'name="content" type="hidden" value="([^"]+)"', html)
    assert content is not None, html
    done = client.post(
        "/admin/imports/users/confirm",
        data={"content": content.group(1), "filename": "people.csv"},
        follow_redirects=True,
    )
    text = done.get_data(as_text=True)
    assert "Imported people.csv: 2 created, 0 updated, 0 unchanged." in text
    assert _count(db, User) == before + 2
    assert _count(db, OutboxMessage) == 2
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "import.users")) is not None


def test_errors_are_listed_by_line_and_column_and_there_is_nothing_to_confirm(client, auth, make):
    auth.login(make.admin())
    page = _upload(client, "users", b"email,name,role\nada@example.com,Ada,chief\n")
    html = page.get_data(as_text=True)
    assert "Nothing can be imported yet" in html
    assert re.search(r'<td class="num">2</td><td><code>role</code></td>', html)
    assert "Import 0 change" not in html
    assert 'action="/admin/imports/users/confirm"' not in html


def test_a_binary_upload_and_a_tampered_confirmation_are_refused_in_words(client, auth, make):
    auth.login(make.admin())
    page = _upload(client, "users", b"\x89PNG\r\n\x1a\n\x00\x00", name="photo.png")
    assert page.status_code == 200
    assert "binary data" in page.get_data(as_text=True)
    bad = client.post(
        "/admin/imports/users/confirm", data={"content": "%%%"}, follow_redirects=True
    )
    assert "The preview expired; upload the file again." in bad.get_data(as_text=True)


def test_a_file_over_the_limit_gets_413(app, client, auth, make):
    auth.login(make.admin())
    app.config["IMPORT_MAX_BYTES"] = 100
    page = _upload(client, "users", PEOPLE + b"x" * 500)
    assert "the limit is 100" in page.get_data(as_text=True)
    page = _upload(client, "users", PEOPLE + b"x" * 200_000)
    assert page.status_code == 413


def test_the_users_and_projects_pages_link_to_their_import(client, auth, make):
    auth.login(make.admin())
    assert "/admin/imports/users" in client.get("/admin/users/").get_data(as_text=True)
    assert "/admin/imports/projects" in client.get("/admin/projects/").get_data(as_text=True)


def test_a_file_larger_than_other_requests_may_be_is_taken(app, client, auth, make):
    """Imports have their own limit: a file over MAX_CONTENT_LENGTH (1 MiB) still goes through."""
    auth.login(make.admin())
    padded = PEOPLE + b"\r\n" * (app.config["MAX_CONTENT_LENGTH"] // 2 + 1000)
    assert len(padded) > app.config["MAX_CONTENT_LENGTH"]
    # The multipart body by hand: the test client would spool its own copy to a file it never
    # closes (a ResourceWarning, an error under this suite's settings).
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + padded + b"\r\n--B--\r\n"
    )
    page = client.post(
        "/admin/imports/users", data=body, content_type="multipart/form-data; boundary=B"
    )
    assert page.status_code == 200
    assert "Import 2 changes now" in page.get_data(as_text=True)
