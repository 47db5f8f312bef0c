"""The CSV a real spreadsheet writes imports cleanly: an XLSX made with XlsxWriter, converted to
CSV with ``;`` by headless LibreOffice (as an Excel user in a ``;`` locale would save it)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter
from sqlalchemy import select

from tracker.models import Assignment, Project, User
from tracker.services import imports

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice (soffice) is not installed here; CI installs libreoffice-calc-nogui",
)

# LibreOffice's CSV export options: separator 59 (;), text delimiter 34 ("), charset 76 (UTF-8),
# first line 1, then the defaults (cells saved as shown, so dates and amounts keep their format).
EXPORT_FILTER = "csv:Text - txt - csv (StarCalc):59,34,76,1"


def _workbook(path: Path, header: list[str], rows: list[list[object]]) -> None:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    money = book.add_format({"num_format": "0.00"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), day)
            elif isinstance(value, float | int) and not isinstance(value, bool):
                sheet.write_number(r, c, value, money if isinstance(value, float) else None)
            else:
                sheet.write_string(r, c, str(value))
    book.close()


def _to_csv(tmp_path: Path, xlsx: Path) -> bytes:
    out = tmp_path / "csv"
    command = [
        "soffice",
        f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
        "--headless",
        "--norestore",
        "--convert-to",
        EXPORT_FILTER,
        "--outdir",
        str(out),
        str(xlsx),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    return (out / (xlsx.stem + ".csv")).read_bytes()


def test_a_libreoffice_csv_with_semicolons_imports_cleanly(db, tmp_path):
    start = dt.date(2026, 11, 2)
    people = tmp_path / "people.xlsx"
    _workbook(
        people,
        ["email", "name", "role", "timezone", "skills", "hourly_rate"],
        [
            [
                "zoe@example.com",
                'Zoë "Z" Müller; PhD',
                "contractor",
                "Europe/Berlin",
                "python;sql",
                45.5,
            ],
            ["Li@Example.com", "李 雷", "contractor", "Asia/Shanghai", "", 40.0],
        ],
    )
    projects = tmp_path / "projects.xlsx"
    _workbook(
        projects,
        ["code", "name", "client", "seats", "hourly_rate", "currency", "open_to_reassignment"],
        [["CHORDUS", "Chordus, phase 2", "Acme", 3, 50.25, "EUR", "true"]],
    )
    work = tmp_path / "assignments.xlsx"
    _workbook(
        work,
        ["email", "project_code", "start_date", "end_date", "hourly_rate"],
        [
            ["zoe@example.com", "CHORDUS", start, "", ""],
            ["li@example.com", "CHORDUS", start, "", 41.0],
        ],
    )
    files = {
        kind: _to_csv(tmp_path, path)
        for kind, path in (("users", people), ("projects", projects), ("assignments", work))
    }
    assert b";" in files["users"].splitlines()[0]

    for kind in ("users", "projects", "assignments"):
        result = imports.run_import(db, None, kind, files[kind], max_bytes=1_000_000)
        db.commit()
        assert result.errors == []
    zoe = db.scalar(select(User).where(User.email == "zoe@example.com"))
    assert zoe.name == 'Zoë "Z" Müller; PhD'
    assert zoe.skills == ["python", "sql"]
    assert zoe.hourly_rate == Decimal("45.50")
    assert db.scalar(select(User.name).where(User.email == "li@example.com")) == "李 雷"
    chordus = db.scalar(select(Project))
    assert (chordus.name, chordus.seats, chordus.hourly_rate) == (
        "Chordus, phase 2",
        3,
        Decimal("50.25"),
    )
    made = db.scalars(select(Assignment).order_by(Assignment.id)).all()
    assert [a.start_date for a in made] == [start, start]
    assert [a.hourly_rate for a in made] == [Decimal("45.50"), Decimal("41.00")]
    # The same files again change nothing.
    for kind in ("users", "projects", "assignments"):
        again = imports.run_import(db, None, kind, files[kind], max_bytes=1_000_000)
        db.commit()
        assert again.created == again.updated == 0
