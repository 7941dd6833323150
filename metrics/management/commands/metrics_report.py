"""Print NPS, CSAT, CES, adoption and task success for a date range, counted by the same code as
the snapshots the pages read (`metrics.selectors.metrics_summary`).

The default range is the last full calendar quarter in the organisation's time zone: it matches
the quarterly snapshots, does not move from day to day, and covers whole usage months. `--from`
alone runs to today; `--to` alone covers the 90 days ending on it. Usage counts the months that
overlap the range.
"""

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from metrics.selectors import (
    GROUP_FIELDS,
    MetricsSummary,
    last_full_quarter,
    metrics_summary,
    org_today,
    segment_label,
)

DEFAULT_DAYS = 90
METRIC_KEYS = ("nps", "csat", "ces", "adoption", "task_success")
_LABELS = {
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "CES",
    "adoption": "Adoption",
    "task_success": "Task success",
}
_UNITS = {"nps": "", "csat": "%", "ces": "", "adoption": "%", "task_success": "%"}
_N_OF = {
    "nps": "answers",
    "csat": "answers",
    "ces": "answers",
    "adoption": "active user-months",
    "task_success": "tasks",
}


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} must be a date as YYYY-MM-DD, not '{value}'.") from None


def _figure(result) -> dict:
    return {
        "value": result.value,
        "n": result.n,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
    }


def summary_as_dict(summary: MetricsSummary) -> dict:
    data = {key: _figure(getattr(summary, key)) for key in METRIC_KEYS}
    data["adoption"]["features"] = {
        name: _figure(result) for name, result in summary.features.items()
    }
    return data


def _number(value: float | None, key: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:.2f}" if key == "ces" else f"{value:.1f}{_UNITS[key]}"


def _line(key: str, result, *, label: str | None = None) -> str:
    text = f"  {label or _LABELS[key]:<22}{_number(result.value, key):>8}"
    text += f"  n={result.n:,.0f} {_N_OF[key]}"
    if result.ci_low is not None and result.ci_high is not None:
        low, high = _number(result.ci_low, key), _number(result.ci_high, key)
        text += f", 95 % CI {low} to {high}"
    return text


class Command(BaseCommand):
    help = (
        "NPS (value, n, 95 % CI), CSAT, CES, adoption and task success for a date range "
        "(default: the last full quarter), optionally one block per segment, plan or region. "
        "Read-only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
        parser.add_argument(
            "--segment",
            dest="segment_field",
            metavar="FIELD",
            help=f"Also one block per value of this account field: {', '.join(GROUP_FIELDS)}.",
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args, date_from, date_to, segment_field, as_json, **options):
        start, end = self._range(_date(date_from, "--from"), _date(date_to, "--to"))
        if segment_field is not None and segment_field not in GROUP_FIELDS:
            raise CommandError(
                f"--segment must be one of {', '.join(GROUP_FIELDS)}, not '{segment_field}'."
            )
        report = metrics_summary(start=start, end=end, segment_field=segment_field or "")
        if as_json:
            data = summary_as_dict(report.overall)
            if segment_field:
                data["segments"] = {
                    value: summary_as_dict(summary) for value, summary in report.segments.items()
                }
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(f"Metrics {start.isoformat()} to {end.isoformat()}")
        self._block("All accounts", report.overall, features=True)
        for value, summary in report.segments.items():
            self._block(
                f"{segment_field.capitalize()}: {segment_label(segment_field, value)}", summary
            )

    @staticmethod
    def _range(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
        if start is None and end is None:
            return last_full_quarter(org_today())
        if end is None:
            end = org_today()
        if start is None:
            start = end - dt.timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise CommandError(f"--from {start} is after the end of the range, {end}.")
        return start, end

    def _block(self, title: str, summary: MetricsSummary, *, features: bool = False) -> None:
        self.stdout.write("")
        self.stdout.write(title)
        for key in METRIC_KEYS:
            self.stdout.write(_line(key, getattr(summary, key)))
        if features:
            for name, result in summary.features.items():
                self.stdout.write(_line("adoption", result, label=f"  {name}"))
