"""Reading payroll files back the way a clerk's tools do: CSV by the profile's separator, XLSX
with openpyxl, and the money per currency each profile's columns add up to."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils.escape import unescape

from tracker.services.payroll_profiles import PROFILES

Rows = list[dict[str, Any]]


def csv_rows(data: bytes, profile: str = "generic") -> Rows:
    """A CSV's rows as dicts, split by the profile's separator."""
    text = data.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=PROFILES[profile].separator)
    return list(reader)


def workbook(data: bytes) -> Any:
    """The openpyxl workbook of XLSX bytes."""
    return openpyxl.load_workbook(io.BytesIO(data))


def sheet_rows(sheet: Any) -> Rows:
    """A sheet's rows under its header, up to the first empty row (totals come after it).

    Text reads back as Excel shows it: openpyxl leaves OOXML's ``_xHHHH_`` escapes alone.
    """
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    result = []
    for values in rows:
        if all(value is None for value in values):
            break
        result.append(
            {
                name: unescape(value) if isinstance(value, str) else value
                for name, value in zip(header, values, strict=True)
            }
        )
    return result


def xlsx_rows(data: bytes) -> dict[str, Rows]:
    """Every sheet's rows, by sheet name."""
    return {sheet.title: sheet_rows(sheet) for sheet in workbook(data).worksheets}


def decimal(value: Any, mark: str = ".") -> Decimal:
    """A number cell as a Decimal: text with the profile's decimal mark, or a number."""
    if isinstance(value, str):
        return Decimal(value.replace(mark, "."))
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def minutes(value: Any) -> int:
    """A duration cell (h:mm text, or a time) as whole minutes."""
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 60)
    if isinstance(value, dt.time):
        return value.hour * 60 + value.minute
    sign = -1 if value.startswith("-") else 1
    whole, rest = value.lstrip("-").split(":")
    return sign * (int(whole) * 60 + int(rest))


def money(profile: str, rows: Rows, currencies: list[str] | None = None) -> dict[str, Decimal]:
    """What the rows add up to per currency, computed from that profile's own columns.

    The QuickBooks file has no amount or currency: its amounts are duration x rate per row,
    rounded as payroll rounds, and ``currencies`` gives each row's currency.
    """
    mark = PROFILES[profile].decimal_mark
    totals: dict[str, Decimal] = {}
    for n, row in enumerate(rows):
        if profile == "quickbooks-online":
            assert currencies is not None
            currency = currencies[n]
            exact = Decimal(minutes(row["Duration"])) * decimal(row["HourlyRate"]) / 60
            value = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        elif profile == "xero-bills":
            currency = row["Currency"]
            value = decimal(row["UnitAmount"]) * decimal(row["Quantity"])
        else:
            currency = row["currency"]
            value = decimal(row["amount"], mark)
        totals[currency] = totals.get(currency, Decimal("0.00")) + value
    return {currency: total.quantize(Decimal("0.01")) for currency, total in sorted(totals.items())}


# LibreOffice's CSV filter options: separator, quote (34 = "), charset (76 = UTF-8), first line,
# column types (none), language, quoted as text (no), detect special numbers (yes: dates and
# times), …, evaluate formulas (yes: a formula that got through would be one here, as in Excel).
LANGUAGES = {",": 1033, ";": 1031}  # en-US; de-DE, where ';' lists and ',' marks decimals


def csv_filter(separator: str) -> str:
    """The ``--infilter`` that opens a CSV the way a spreadsheet of that locale does."""
    return f"CSV:{ord(separator)},34,76,1,,{LANGUAGES[separator]},false,true,,,,,true"


def libreoffice_to_xlsx(files: list[Path], out: Path, infilter: str | None = None) -> list[Path]:
    """Open files in headless LibreOffice and save them as XLSX; the converted paths.

    Each call gets its own user profile directory, so conversions may run at the same time.
    """
    profile = out / "lo-profile"
    command = [
        "soffice",
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        *([f"--infilter={infilter}"] if infilter else []),
        "--convert-to",
        "xlsx",
        "--outdir",
        str(out / "converted"),
        *map(str, files),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=180)
    converted = [out / "converted" / (file.stem + ".xlsx") for file in files]
    missing = [str(path) for path in converted if not path.exists()]
    assert not missing, f"LibreOffice wrote no {missing}"
    return converted
