"""Print each engineer's touchpoint goal adherence for a year, from the same computation as the
adherence page (`touchpoints.adherence.adherence_report`)."""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from touchpoints.adherence import adherence_engineer_rows, adherence_report

KEYS = ("username", "team", "count", "target", "kinds_done", "status")


class Command(BaseCommand):
    help = (
        "Touchpoint goal adherence per engineer for a year: username, team, count, target, "
        "kinds done and status (done, on_track, behind or no_goal). Read-only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument(
            "--as-of",
            dest="as_of",
            type=dt.date.fromisoformat,
            help="Evaluate as of this date (YYYY-MM-DD) in the year; default today, or the "
            "year's last day for a past year.",
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON list."
        )

    def handle(self, *args, year: int, as_of: dt.date | None, as_json: bool, **options):
        if as_of is not None and as_of.year != year:
            raise CommandError(f"--as-of {as_of} is not in {year}.")
        report = adherence_report(year=year, as_of=as_of)
        rows = [{key: row[key] for key in KEYS} for row in adherence_engineer_rows(report)]
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write(f"No engineers for {year}.")
            return
        self.stdout.write(f"Touchpoint adherence {year} as of {report.as_of.isoformat()}")
        for row in rows:
            target = "-" if row["target"] is None else row["target"]
            kinds = ", ".join(row["kinds_done"]) or "-"
            self.stdout.write(
                f"{row['username']}\t{row['team'] or '-'}\t{row['count']}/{target}\t"
                f"{kinds}\t{row['status']}"
            )
        organisation = report.organisation
        percent = "-" if organisation.percent is None else f"{organisation.percent}%"
        self.stdout.write(f"On track or done: {percent} of {organisation.with_goal} with a goal")
