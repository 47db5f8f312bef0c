"""Every benchmark's headline figures in one table (what ``make bench`` prints).

    .venv/bin/python bench/table.py [--full] [--only NAME ...] [--admin-url URL]

Runs each benchmark script below as its own process, at quick sizes by default (minutes for
the lot on a small machine) or at the issues' sizes with ``--full`` (much longer), keeps each
script's whole output in ``bench/results/NAME.txt``, and prints one table: figure, value,
target, and the command that measures it (run that command alone for the details). A script
that fails shows as "failed" with its output kept. Needs PostgreSQL (``--admin-url``, or
``TRACKER_BENCH_ADMIN_URL``; the scripts create and drop their own databases).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


@dataclass
class Figure:
    label: str
    pattern: str  # a regular expression; its first group is the value
    target: str = ""
    each: bool = False  # a row per match: the first group names it, the rest are its values


@dataclass
class Bench:
    name: str
    script: str
    quick: list[str]
    full: list[str]
    figures: list[Figure] = field(default_factory=list)


BENCHES = [
    Bench(
        "entries",
        "bench/entries.py",
        ["--throughput-only", "--entries", "10", "--seconds", "10"],
        [],
        [
            Figure("API entries created/s (POST /api/v1/entries)", r"^\s*api:\s+([\d.]+) created"),
            Figure("bare Flask one-INSERT endpoint created/s", r"^\s*bare:\s+([\d.]+) created"),
            Figure(
                "entries / bare INSERT, throughput", r"ratio api / bare insert: ([\d.]+)", ">= 0.7"
            ),
            Figure(
                "entries / bare INSERT, CPU per request",
                r"CPU per request .*api / bare insert: ([\d.]+)",
                ">= 0.7",
            ),
            Figure(
                "token check alone / bare INSERT (ceiling)",
                r"ceiling authentication leaves\): ([\d.]+)",
            ),
            Figure(
                "timesheet page small / large (ms)",
                r"timesheet page, median of \d+ \(alternating\): (.*)",
            ),
        ],
    ),
    Bench(
        "timetagger",
        "bench/timetagger.py",
        ["--seconds", "10"],
        ["--seconds", "30"],
        [
            Figure(
                "TimeTagger records/s, a user per client thread",
                r"^\s*timetagger:\s+([\d.]+) records",
            ),
            Figure(
                "TimeTagger records/s, one user (single-user install)",
                r"^\s*timetagger, one user:\s+([\d.]+) records",
            ),
            Figure("tracker entries/s, same client", r"^\s*tracker:\s+([\d.]+) records"),
            Figure(
                "tracker / TimeTagger, a user per thread",
                r"ratio tracker / TimeTagger: ([\d.]+)",
                ">= 1.5",
            ),
            Figure(
                "tracker / TimeTagger, one user",
                r"ratio tracker / TimeTagger, one user: ([\d.]+)",
                ">= 1.5",
            ),
        ],
    ),
    Bench(
        "export",
        "bench/export.py",
        ["--rows", "100000", "--repeat", "1", "--skip-xlsx"],
        [],
        [
            Figure(
                "payroll CSV / psql \\copy (plain join)",
                r"CSV throughput app / psql \\copy of the plain join at ([\d,]+ rows: [\d.]+)",
                ">= 0.5",
            ),
            Figure(
                "payroll CSV / psql \\copy (its own query)",
                r"CSV throughput app / psql \\copy of its own query at ([\d,]+ rows: [\d.]+)",
            ),
            Figure("CSV peak memory large / small", r"CSV peak memory .*?: ([\d.]+)", "<= 1.2"),
            Figure("XLSX peak memory large / small", r"XLSX peak memory .*?: ([\d.]+)", "<= 1.2"),
        ],
    ),
    Bench(
        "pages",
        "bench/pages.py",
        ["--entries", "20000", "--events", "100000", "--repeat", "5"],
        ["--entries", "1000000", "--events", "10000000"],
        [
            Figure(
                "page",
                r"^((?:contractor|admin|payroll) \S+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)",
                "<= 1.2",
                each=True,
            ),
            Figure("pages: worst time ratio large / small", r"worst ratio: ([\d.]+)", "<= 1.2"),
        ],
    ),
    Bench(
        "freeze",
        "bench/freeze.py",
        ["--rounds", "2"],
        [],
        [
            Figure("freeze, 20 in-process writers", r"under load \(\d+ writers\)\s+freeze (.*)"),
            Figure(
                "freeze under HTTP load (gunicorn -w 4)", r"HTTP clients\s+freeze response (.*)"
            ),
        ],
    ),
    Bench(
        "incident_freeze",
        "bench/incident_freeze.py",
        ["--rounds", "3"],
        ["--rounds", "7"],
        [
            Figure(
                "client-wide freeze under load (50 projects, 10,000 people, 20 writers)",
                r"^\s+start\s+(.*)",
            ),
            Figure("  its wait for the locks", r"^\s+lock wait\s+(.*)"),
            Figure("  lifting it", r"^\s+lift\s+(.*)"),
        ],
    ),
    Bench(
        "outbox",
        "bench/outbox.py",
        ["--contractors", "1000", "--rounds", "1"],
        [],
        [
            Figure("outbox send rate, .eml files", r"worker, \.eml.*=\s*([\d.]+ messages/s)"),
            Figure("outbox send rate, SMTP", r"worker, SMTP.*=\s*([\d.]+ messages/s)"),
            Figure("outbox send rate, webhooks", r"worker, .*webhook.*=\s*([\d.]+ messages/s)"),
        ],
    ),
]


def _run(bench: Bench, full: bool, admin_url: str | None) -> tuple[str, float, int]:
    """Run one script; its output (also kept in bench/results), seconds taken, exit status."""
    argv = [sys.executable, bench.script, *(bench.full if full else bench.quick)]
    if admin_url:
        argv += ["--admin-url", admin_url]
    started = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    output = done.stdout + ("\n" + done.stderr if done.returncode else "")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{bench.name}.txt").write_text(output)
    return output, time.monotonic() - started, done.returncode


def command(bench: Bench, full: bool) -> str:
    return " ".join([".venv/bin/python", bench.script, *(bench.full if full else bench.quick)])


def figures_of(
    bench: Bench, output: str, status: int, full: bool
) -> list[tuple[str, str, str, str]]:
    """The table's rows from one script's output: label, value, target, command."""
    rows: list[tuple[str, str, str, str]] = []
    for figure in bench.figures:
        if figure.each:
            for name, small, large, ratio in re.findall(figure.pattern, output, re.MULTILINE):
                value = f"{small} / {large} ms, ratio {ratio}"
                label = f"{figure.label} {name}, small / large"
                rows.append((label, value, figure.target, command(bench, full)))
            continue
        found = re.search(figure.pattern, output, re.MULTILINE)
        if found:
            value = " ".join(found.group(1).split())
        elif status:
            value = "failed"
        else:
            value = "-"  # not measured in this mode
        rows.append((figure.label, value, figure.target, command(bench, full)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the issues' sizes (slow)")
    parser.add_argument("--only", nargs="*", choices=[b.name for b in BENCHES])
    parser.add_argument("--admin-url", default=os.environ.get("TRACKER_BENCH_ADMIN_URL"))
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or b.name in args.only]
    rows: list[tuple[str, str, str, str]] = []
    for bench in chosen:
        print(f"== {command(bench, args.full)}", flush=True)
        output, seconds, status = _run(bench, args.full, args.admin_url)
        print(f"   {seconds:.0f} s, exit {status}; output in bench/results/{bench.name}.txt")
        rows += figures_of(bench, output, status, args.full)
    widths = [
        max(len(row[i]) for row in [("figure", "value", "target", ""), *rows]) for i in (0, 1, 2)
    ]
    print()
    print(f"{'figure':<{widths[0]}}  {'value':<{widths[1]}}  {'target':<{widths[2]}}  command")
    last = None
    for label, value, target, cmd in rows:
        shown = cmd if cmd != last else '"'
        last = cmd
        print(f"{label:<{widths[0]}}  {value:<{widths[1]}}  {target:<{widths[2]}}  {shown}")


if __name__ == "__main__":
    main()
