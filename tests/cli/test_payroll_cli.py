"""``flask payroll export``: the same CSV as the web and API, to stdout or a file."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from tracker.models import AuditEvent
from tracker.services import payroll

START = dt.date(2026, 3, 1)
PERIOD = ["--start", "2026-03-01", "--end", "2026-03-31"]


@pytest.fixture
def entries(make):
    admin = make.admin()
    ada = make.contractor(email="ada@example.com")
    project = make.project(code="EURO", hourly_rate="33.33")
    approved = {"status": "approved", "approved_by_id": admin.id}
    make.entry(ada, project, work_date=START, minutes=7, **approved)
    make.entry(ada, project, work_date=START, minutes=-90, is_correction=True, **approved)
    make.entry(ada, project, work_date=START, minutes=59, description="@SUM(A1)")  # submitted


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_export_writes_the_detail_csv_to_stdout(runner, entries, db):
    result = runner.invoke(args=["payroll", "export", *PERIOD])
    assert result.exit_code == 0, result.output
    assert [(r["hours"], r["amount"]) for r in _rows(result.stdout)] == [
        ("0.12", "3.89"),
        ("-1.50", "-50.00"),
    ]
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "payroll.export"))
    assert event.origin == "cli"
    assert event.data["rows"] == 2


def test_export_summary_of_all_to_a_file_matches_the_service(runner, entries, tmp_path, app, db):
    target = tmp_path / "pay.csv"
    result = runner.invoke(
        args=[
            "payroll",
            "export",
            *PERIOD,
            "--status",
            "all",
            "--layout",
            "summary",
            "-o",
            str(target),
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    expected = b"".join(
        payroll.export_chunks(db, payroll.make_scope("2026-03-01", "2026-03-31", "all"), "summary")
    )
    assert target.read_bytes() == expected
    [row] = _rows(target.read_text("utf-8"))
    assert (row["entries"], row["amount"]) == ("3", "-13.34")  # 3.89 - 50.00 + 32.77


def test_refused_periods_exit_1_with_one_line_naming_the_rule(runner, tmp_path):
    target = tmp_path / "never.csv"
    result = runner.invoke(
        args=[
            "payroll",
            "export",
            "--start",
            "2026-03-31",
            "--end",
            "2026-03-01",
            "-o",
            str(target),
        ]
    )
    assert result.exit_code == 1
    assert result.stderr == "error: end: The end date is before the start date.\n"
    assert not target.exists()


def test_usage_errors_exit_2(runner):
    assert runner.invoke(args=["payroll", "export", "--start", "2026-03-01"]).exit_code == 2
    result = runner.invoke(args=["payroll", "export", *PERIOD, "--layout", "pivot"])
    assert result.exit_code == 2
