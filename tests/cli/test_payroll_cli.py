"""``flask payroll export``: the same CSV as the web and API, to stdout or a file."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from tests.payroll_readers import csv_rows, xlsx_rows
from tracker.cli.actor import os_user
from tracker.models import AuditEvent, ExportBatch
from tracker.services import payroll, payroll_files
from tracker.services.payroll_profiles import check_file

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
    assert event.origin.startswith("cli:")
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
    scope = payroll.make_scope("2026-03-01", "2026-03-31", "all")
    expected = b"".join(payroll_files.export_chunks(db, scope, check_file(layout="summary")))
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


def test_an_unknown_profile_is_a_usage_error_naming_the_profiles(runner):
    result = runner.invoke(args=["payroll", "export", *PERIOD, "--profile", "sage"])
    assert result.exit_code == 2
    for name in ("generic", "excel-eu", "quickbooks-online", "xero-bills"):
        assert name in result.stderr
    result = runner.invoke(args=["payroll", "export", *PERIOD, "--format", "ods"])
    assert result.exit_code == 2
    assert "'csv'" in result.stderr
    assert "'xlsx'" in result.stderr


def test_a_layout_the_profile_lacks_is_a_usage_error(runner, entries):
    args = ["payroll", "export", *PERIOD, "--profile", "quickbooks-online", "--layout", "summary"]
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert "The quickbooks-online profile has only: detail." in result.stderr


def test_export_writes_an_xlsx_in_a_profile(runner, entries, tmp_path):
    target = tmp_path / "pay.xlsx"
    args = ["payroll", "export", *PERIOD, "--format", "xlsx", "--profile", "excel-eu"]
    result = runner.invoke(args=[*args, "-o", str(target)])
    assert result.exit_code == 0, result.output
    sheets = xlsx_rows(target.read_bytes())
    assert [r["amount"] for r in sheets["detail"]] == [3.89, -50]


def test_a_batch_is_made_from_the_command_line_and_exported_in_any_profile(runner, entries, db):
    args = ["payroll", "batch", *PERIOD, "--status", "all"]  # the operator may, as an admin
    made = runner.invoke(args=args)
    assert made.exit_code == 0, made.output
    batch = db.scalar(select(ExportBatch))
    assert made.stdout == (f"batch {batch.id}: 3 entries, -13.34 EUR; sha256 {batch.sha256}\n")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "payroll.batch"))
    assert event.actor_id is None
    assert event.origin == f"cli:{os_user()}"
    stored = runner.invoke(args=["payroll", "export", "--batch", str(batch.id)])
    assert stored.stdout_bytes == batch.content
    eu = ["payroll", "export", "--batch", str(batch.id), "--profile", "excel-eu"]
    first, second = runner.invoke(args=eu), runner.invoke(args=eu)
    assert first.exit_code == 0, first.output
    assert first.stdout_bytes == second.stdout_bytes
    assert [r["batch_id"] for r in csv_rows(first.stdout_bytes, "excel-eu")] == [str(batch.id)] * 3
    again = runner.invoke(args=args)
    assert again.exit_code == 1
    assert again.stderr.startswith("error: Nothing to export")


@pytest.mark.parametrize(
    "args",
    [
        ["payroll", "export"],
        ["payroll", "export", "--start", "2026-03-01"],
        ["payroll", "export", "--batch", "1", *PERIOD],
    ],
)
def test_a_period_or_a_batch_is_needed_but_not_both(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert "--batch" in result.stderr


def test_an_unknown_batch_exits_1(runner, db):
    result = runner.invoke(args=["payroll", "export", "--batch", "999999"])
    assert result.exit_code == 1
    assert result.stderr == "error: No such export batch.\n"
