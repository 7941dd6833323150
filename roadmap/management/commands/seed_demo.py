import argparse
import datetime as dt
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from insights.demo import DEMO_LOGINS, DEMO_MARKER_EXTERNAL_ID, DEMO_PASSWORD
from insights.demo_exports import demo_export_samples_write
from insights.selectors import contact_emails_sample
from roadmap.demo import demo_impact_seed, demo_organisation_seed


class Command(BaseCommand):
    help = (
        "Seed a realistic demo organisation: ~400 accounts, 24 months of survey answers, support "
        "tickets and usage, 30 engineers with touchpoints, and a small backlog. The same --seed "
        "and --today give the same data. Safe to run again: when the demo organisation already "
        f"exists (customer {DEMO_MARKER_EXTERNAL_ID}) nothing is added or duplicated; only the "
        "demo logins (admin, pm, engineer, exec) and their role groups are ensured, and existing "
        "passwords are left alone. Everything is written in one transaction."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=7, help="Random seed (default 7).")
        parser.add_argument(
            "--today",
            type=_date,
            default=None,
            help="Last day of the 24 months of data, YYYY-MM-DD (default: today).",
        )
        parser.add_argument(
            "--quiet", action="store_true", help="Print nothing, not even the demo logins."
        )

    def handle(self, *args, seed: int, today: dt.date | None, quiet: bool, **options):
        started = time.monotonic()
        today = today or timezone.localdate()
        summary = demo_organisation_seed(seed=seed, today=today)
        # The impact reviews that are due by `today`, so the demo opens on a verdict.
        impact = demo_impact_seed(today=today, seed=seed)
        samples = demo_export_samples_write(
            Path(settings.VAR_DIR) / "demo", emails=contact_emails_sample(limit=200)
        )
        if quiet:
            return
        if not summary.created:
            self.stdout.write(
                f"The demo organisation already exists (customer {DEMO_MARKER_EXTERNAL_ID}): "
                "nothing was added; the demo logins and role groups are in place."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded the demo organisation in {time.monotonic() - started:.1f} s:"
                )
            )
            for label, count in (
                ("customers", summary.customers),
                ("  of which churned", summary.churned),
                ("contacts", summary.contacts),
                ("survey responses", summary.survey_responses),
                ("support tickets", summary.tickets),
                ("usage snapshots", summary.usage_snapshots),
                ("engineers", summary.engineers),
                ("teams", summary.teams),
                ("touchpoints", summary.touchpoints),
                ("observations", summary.observations),
                ("backlog items", summary.backlog_items),
            ):
                self.stdout.write(f"  {label:<20} {count:>6}")
        if impact.verdict:
            self.stdout.write(
                f"Impact of the shipped export fix: {impact.verdict} "
                f"({impact.measured} review{'s' if impact.measured != 1 else ''} measured now)"
            )
        for sample in samples:
            self.stdout.write(f"Sample export to try Imports with: {sample}")
        self.stdout.write(f"\nDemo logins (password {DEMO_PASSWORD!r}, demo only):")
        for login in DEMO_LOGINS:
            self.stdout.write(f"  {login.username:<10} {login.role}")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, not {value!r}") from error
