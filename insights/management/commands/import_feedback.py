"""Import a survey, ticket, usage or touchpoint export from the command line: the same engine as
the upload page, run synchronously. A file that cannot be imported at all changes nothing."""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from insights.formats import OVERRIDES
from insights.models import ImportPreset
from insights.services.imports import (
    ImportFileError,
    import_job_confirm,
    import_job_create,
    import_job_discard,
    import_job_process,
    import_job_summary,
)

FORMAT_CHOICES = OVERRIDES


class Command(BaseCommand):
    help = (
        "Import a survey export (Qualtrics, SurveyMonkey, Typeform, Google Forms), a "
        "support-ticket export (Zendesk, Intercom, generic), usage analytics or touchpoints (a "
        "touchpoint log or an Outlook calendar export) from CSV, TSV or XLSX. Rows already "
        "imported are skipped as duplicates; every rejected row is reported with its line."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The CSV, TSV or XLSX file.")
        parser.add_argument("--format", dest="format_name", default="auto", choices=FORMAT_CHOICES)
        parser.add_argument("--preset", default="", help="Name of a saved column mapping.")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args, path: str, format_name: str, preset: str, as_json: bool, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No file at {source}.")
        override = "" if format_name == "auto" else format_name
        mapping = None
        if preset:
            found = ImportPreset.objects.filter(name=preset).first()
            if found is None:
                raise CommandError(f"No import preset named {preset!r}.")
            mapping = found.mapping
        try:
            # The whole file is read before anything is stored, so a bad file changes nothing.
            with source.open("rb") as handle:
                job = import_job_create(
                    file=handle, original_name=source.name, format_override=override
                )
            job = import_job_confirm(
                job=job, mapping=mapping if mapping is not None else job.mapping, enqueue=False
            )
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        # The job reads the whole file before it stores anything (see import_job_process); a
        # file it refuses is discarded with its job, so a bad file changes nothing.
        job = import_job_process(job_id=job.pk)
        if job.error:
            import_job_discard(job=job)
            raise CommandError(job.error)
        summary = import_job_summary(job=job, errors_limit=None)
        if as_json:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(
            f"{source.name}: {summary.format} — {summary.created} created, "
            f"{summary.duplicates} duplicates skipped, {summary.rejected} rejected, "
            f"{summary.unmatched} without a matching account."
        )
        for error in summary.errors[:20]:
            self.stdout.write(f"  line {error['line']}: {error['reason']}")
        if len(summary.errors) > 20:
            self.stdout.write(f"  … and {len(summary.errors) - 20} more rejected rows.")
