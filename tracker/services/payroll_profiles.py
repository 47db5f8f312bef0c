"""Payroll file profiles: one registry of what each payroll system reads.

A profile fixes the separator, decimal mark, date format, byte-order mark and columns of a
file, and which layouts it has. The web form, the API (``profile=``), the CLI (``--profile``),
the CSV writer and the XLSX writer all read this registry, and nothing else decides a column.
``docs/payroll-profiles.md`` documents each profile and where its layout comes from.

Columns read a row by field name (``Entry``/``Line`` in ``payroll_rows``) or compute a value
from the row and the export's ``Context``; the value's ``kind`` tells each writer how to render
it (text is guarded in CSV and typed in XLSX, money has two places, and so on).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.errors import Invalid
from tracker.services.payroll_numbers import hours, number

FORMATS = ("csv", "xlsx")
LAYOUTS = ("detail", "summary")

# What a cell holds; each writer renders each kind its own way.
TEXT = "text"  # free text: formula-guarded in CSV, a string cell in XLSX
INT = "int"  # a whole number (ids, counts); empty when None
MONEY = "money"  # a Decimal with two places
HOURS = "hours"  # whole minutes, shown as decimal hours with two places
DURATION = "duration"  # whole minutes, shown as h:mm
DATE = "date"
TIMESTAMP = "timestamp"  # a UTC datetime


@dataclass(frozen=True)
class Context:
    """What an export is of: its period, and its batch when it is one."""

    start: dt.date
    end: dt.date
    batch_id: int | None = None

    @property
    def reference(self) -> str:
        """A short name of the export, the same every time it is downloaded."""
        if self.batch_id is not None:
            return f"B{self.batch_id}"
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    @property
    def title(self) -> str:
        """A sentence naming the export."""
        if self.batch_id is not None:
            return f"Payroll batch {self.batch_id}, {self.start} to {self.end}"
        return f"Payroll {self.start} to {self.end}"


@dataclass(frozen=True)
class Column:
    """One column: its header, what kind of value it holds, and where the value comes from."""

    header: str
    kind: str
    field: str | None = None  # a row attribute, or
    compute: Callable[[Any, Context], Any] | None = None  # a value from the row and context

    def getter(self, context: Context) -> Callable[[Any], Any]:
        """A one-argument function giving this column's value of a row."""
        if self.field is not None:
            return attrgetter(self.field)
        compute = self.compute
        if compute is None:
            raise ValueError(f"column {self.header} reads nothing")
        return lambda row: compute(row, context)


@dataclass(frozen=True)
class Profile:
    """How one payroll system (or spreadsheet locale) wants its file."""

    name: str
    label: Any  # lazy: read in the page's language ("Name: what the file holds")
    layouts: dict[str, tuple[Column, ...]]
    separator: str = ","
    decimal_mark: str = "."
    date_format: str = "%Y-%m-%d"  # strftime, for CSV
    timestamp_format: str = "%Y-%m-%dT%H:%M:%SZ"  # strftime of the UTC time, for CSV
    excel_date: str = "yyyy-mm-dd"  # number format of date cells in XLSX
    excel_timestamp: str = 'yyyy-mm-dd hh:mm:ss "UTC"'
    bom: bool = False  # always starts with a UTF-8 byte-order mark
    order: str = "date"  # detail rows by work date, or "contractor" (one payee's rows together)
    totals: bool = True  # XLSX summary ends with totals per currency (never in import files)


def _const(value: Any) -> Callable[[Any, Context], Any]:
    return lambda _row, _context: value


def _hours_at_rate(row: Any) -> str:
    return f"{number(hours(row.minutes))} h at {number(row.rate)} {row.currency}"


def _bill_line(row: Any, _context: Context) -> str:
    text = f"{row.work_date.isoformat()} {row.project_code}: {_hours_at_rate(row)}"
    return f"{text}, {row.description}" if row.description else text


def _bill_summary_line(row: Any, _context: Context) -> str:
    entries = "1 entry" if row.entries == 1 else f"{row.entries} entries"
    return f"{row.project_code} {row.project_name}: {entries}, {_hours_at_rate(row)}"


def _bill_number(row: Any, context: Context) -> str:
    return f"{context.reference} {row.currency} {row.email}"


_GENERIC_DETAIL = (
    Column("entry_id", INT, "entry_id"),
    Column("work_date", DATE, "work_date"),
    Column("contractor_email", TEXT, "email"),
    Column("contractor_name", TEXT, "name"),
    Column("project_code", TEXT, "project_code"),
    Column("project_name", TEXT, "project_name"),
    Column("client", TEXT, "client"),
    Column("hours", HOURS, "minutes"),
    Column("hourly_rate", MONEY, "rate"),
    Column("currency", TEXT, "currency"),
    Column("amount", MONEY, "amount"),
    Column("status", TEXT, "status"),
    Column("approved_by", TEXT, "approved_by"),
    Column("approved_at", TIMESTAMP, "approved_at"),
    Column("description", TEXT, "description"),
    Column("batch_id", INT, "batch_id"),
)
_GENERIC_SUMMARY = (
    Column("contractor_email", TEXT, "email"),
    Column("contractor_name", TEXT, "name"),
    Column("project_code", TEXT, "project_code"),
    Column("project_name", TEXT, "project_name"),
    Column("currency", TEXT, "currency"),
    Column("hourly_rate", MONEY, "rate"),
    Column("entries", INT, "entries"),
    Column("hours", HOURS, "minutes"),
    Column("amount", MONEY, "amount"),
)
_GENERIC = {"detail": _GENERIC_DETAIL, "summary": _GENERIC_SUMMARY}

_BILL_HEAD = (
    Column("ContactName", TEXT, "name"),
    Column("EmailAddress", TEXT, "email"),
    Column("InvoiceNumber", TEXT, compute=_bill_number),
    Column("Reference", TEXT, compute=lambda _row, context: context.title),
    Column("InvoiceDate", DATE, compute=lambda _row, context: context.end),
    Column("DueDate", DATE, compute=lambda _row, context: context.end),
)
_BILL_TAIL = (
    Column("Quantity", INT, compute=_const(1)),
    Column("UnitAmount", MONEY, "amount"),
    Column("AccountCode", TEXT, compute=_const("")),
    Column("Currency", TEXT, "currency"),
)

PROFILES: dict[str, Profile] = {
    profile.name: profile
    for profile in (
        Profile(
            name="generic",
            label=_l("Generic: the documented columns, ISO dates, '.' decimals"),
            layouts=_GENERIC,
        ),
        Profile(
            name="excel-eu",
            label=_l("Excel, European locale: ';' separator, ',' decimals, DD.MM.YYYY"),
            layouts=_GENERIC,
            separator=";",
            decimal_mark=",",
            date_format="%d.%m.%Y",
            timestamp_format="%d.%m.%Y %H:%M:%S",
            excel_date="dd.mm.yyyy",
            excel_timestamp='dd.mm.yyyy hh:mm:ss "UTC"',
            bom=True,
        ),
        Profile(
            name="quickbooks-online",
            label=_l("QuickBooks Online: time activities of contractors (vendors)"),
            layouts={
                "detail": (
                    Column("TxnDate", DATE, "work_date"),
                    Column("NameOf", TEXT, compute=_const("Vendor")),
                    Column("EmployeeVendorRefName", TEXT, "name"),
                    Column("CustomerRefName", TEXT, "client"),
                    Column("ClassRefName", TEXT, "project_code"),
                    Column("BillableStatus", TEXT, compute=_const("NotBillable")),
                    Column("HourlyRate", MONEY, "rate"),
                    Column("Duration", DURATION, "minutes"),
                    Column("Description", TEXT, "description"),
                )
            },
            date_format="%m/%d/%Y",
            excel_date="mm/dd/yyyy",
            totals=False,
        ),
        Profile(
            name="xero-bills",
            label=_l("Xero: one bill per contractor and currency"),
            layouts={
                "detail": (
                    *_BILL_HEAD,
                    Column("Description", TEXT, compute=_bill_line),
                    *_BILL_TAIL,
                ),
                "summary": (
                    *_BILL_HEAD,
                    Column("Description", TEXT, compute=_bill_summary_line),
                    *_BILL_TAIL,
                ),
            },
            order="contractor",
            totals=False,
        ),
    )
}
DEFAULT = "generic"


def _choices(values: Any) -> str:
    return ", ".join(values)


def check_profile(name: Any) -> Profile:
    """The profile of that name (generic by default). Raises Invalid naming every profile."""
    name = name or DEFAULT
    if not isinstance(name, str) or name not in PROFILES:
        raise Invalid.field("profile", _("Choose one of: %(choices)s.", choices=_choices(PROFILES)))
    return PROFILES[name]


def check_format(value: Any) -> str:
    """The file format, csv by default. Raises Invalid naming every format."""
    value = value or "csv"
    if not isinstance(value, str) or value not in FORMATS:
        raise Invalid.field("format", _("Choose one of: %(choices)s.", choices=_choices(FORMATS)))
    return value


def check_layout(profile: Profile, layout: Any) -> str:
    """The layout (detail by default), if the profile has it. Raises Invalid naming its layouts."""
    layout = layout or "detail"
    if not isinstance(layout, str) or layout not in LAYOUTS:
        raise Invalid.field("layout", _("Choose one of: %(choices)s.", choices=_choices(LAYOUTS)))
    if layout not in profile.layouts:
        raise Invalid.field(
            "layout",
            _(
                "The %(profile)s profile has only: %(choices)s.",
                profile=profile.name,
                choices=_choices(profile.layouts),
            ),
        )
    return layout


@dataclass(frozen=True)
class FileSpec:
    """Which file of an export: its profile, layout, format, and whether a CSV gets a BOM."""

    profile: Profile
    layout: str = "detail"
    fmt: str = "csv"
    bom: bool = False

    @property
    def with_bom(self) -> bool:
        """Whether the file starts with a byte-order mark (CSV only; some profiles always do)."""
        return self.fmt == "csv" and (self.bom or self.profile.bom)

    @property
    def is_generic_csv(self) -> bool:
        """The generic file: what COPY writes and a batch's SHA-256 is of."""
        return self.fmt == "csv" and self.profile.name == DEFAULT

    def sheets(self) -> list[str]:
        """The layouts of an XLSX workbook, the asked-for one first (the sheet that opens)."""
        return [self.layout] + [other for other in self.profile.layouts if other != self.layout]

    def filename(self, stem: str) -> str:
        """A download name from a stem, naming the layout and any profile but the generic one."""
        parts = [stem, self.layout]
        if self.profile.name != DEFAULT:
            parts.append(self.profile.name)
        return "-".join(parts) + "." + self.fmt


def check_file(
    profile: Any = None, layout: Any = None, fmt: Any = None, bom: bool = False
) -> FileSpec:
    """Check a file's profile, layout and format together. Raises Invalid naming each bad one."""
    errors: dict[str, list[str]] = {}
    checked: Profile | None = None
    try:
        checked = check_profile(profile)
    except Invalid as exc:
        errors.update(exc.fields)
    try:
        fmt = check_format(fmt)
    except Invalid as exc:
        errors.update(exc.fields)
    try:
        layout = check_layout(checked or PROFILES[DEFAULT], layout)
    except Invalid as exc:
        errors.update(exc.fields)
    if errors or checked is None:
        raise Invalid(errors)
    return FileSpec(checked, layout, fmt, bool(bom))
