"""Realistic survey export files, written the way Qualtrics writes them.

For trying the import page with `make demo` (a sample lands in var/demo/), for the import tests
that need big files, and for the import benchmark. Pure Python: no ORM.
"""

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

from insights.demo_text import PAIN_POINTS, comment_compose

QUALTRICS_TAGS = (
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "LocationLatitude",
    "LocationLongitude",
    "DistributionChannel",
    "UserLanguage",
    "Q1",
    "Q2",
    "Q3",
    "Q4",
)
QUALTRICS_QUESTIONS = (
    "Start Date",
    "End Date",
    "Response Type",
    "IP Address",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "Recorded Date",
    "Response ID",
    "Recipient Last Name",
    "Recipient First Name",
    "Recipient Email",
    "External Data Reference",
    "Location Latitude",
    "Location Longitude",
    "Distribution Channel",
    "User Language",
    "How likely are you to recommend Acme to a friend or colleague?",
    "What is the main reason for your score?",
    "Overall, how satisfied are you with Acme?",
    "Is there anything else you would like to tell us?",
)
QUALTRICS_IMPORT_IDS = (
    '{"ImportId":"startDate","timeZone":"America/Denver"}',
    '{"ImportId":"endDate","timeZone":"America/Denver"}',
    '{"ImportId":"status"}',
    '{"ImportId":"ipAddress"}',
    '{"ImportId":"progress"}',
    '{"ImportId":"duration"}',
    '{"ImportId":"finished"}',
    '{"ImportId":"recordedDate","timeZone":"America/Denver"}',
    '{"ImportId":"_recordId"}',
    '{"ImportId":"recipientLastName"}',
    '{"ImportId":"recipientFirstName"}',
    '{"ImportId":"recipientEmail"}',
    '{"ImportId":"externalDataReference"}',
    '{"ImportId":"locationLatitude"}',
    '{"ImportId":"locationLongitude"}',
    '{"ImportId":"distributionChannel"}',
    '{"ImportId":"userLanguage"}',
    '{"ImportId":"QID1"}',
    '{"ImportId":"QID2_TEXT"}',
    '{"ImportId":"QID3"}',
    '{"ImportId":"QID4_TEXT"}',
)
CSAT_LABELS = (
    "Very dissatisfied",
    "Dissatisfied",
    "Neither satisfied nor dissatisfied",
    "Satisfied",
    "Very satisfied",
)
NPS_LABELS = {0: "0 - Not at all likely", 10: "10 - Extremely likely"}


@dataclass
class ExportTruth:
    """What a generated file holds, for tests to check an import against."""

    responses: int = 0
    feedback_records: int = 0  # comments, plus one record per response scored without comment
    rejected_lines: list[int] = field(default_factory=list)


def qualtrics_export_write(
    path: Path,
    *,
    responses: int,
    seed: int = 7,
    emails: list[str] | None = None,
    invalid_every: int = 0,
    start: dt.datetime | None = None,
) -> ExportTruth:
    """Write a Qualtrics CSV export (three header rows) of `responses` responses: NPS (Q1), why
    (Q2), CSAT as a label (Q3), anything else (Q4). Respondents are drawn from `emails`. With
    `invalid_every=N`, every Nth response has an out-of-range NPS that an import must reject."""
    rng = random.Random(seed)
    # Qualtrics writes local times without an offset; the ImportId row names the time zone.
    start = start or dt.datetime(2026, 1, 1, 8, 0)  # noqa: DTZ001
    emails = emails or [f"person{i}@example.com" for i in range(500)]
    truth = ExportTruth()
    line = 3  # the header rows take lines 1–3
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(QUALTRICS_TAGS)
        writer.writerow(QUALTRICS_QUESTIONS)
        writer.writerow(QUALTRICS_IMPORT_IDS)
        for index in range(responses):
            recorded = start + dt.timedelta(minutes=7 * index + rng.randint(0, 6))
            began = recorded - dt.timedelta(seconds=rng.randint(40, 900))
            nps = rng.choices(range(11), weights=(2, 1, 1, 2, 2, 4, 5, 9, 12, 14, 12))[0]
            invalid = invalid_every and (index + 1) % invalid_every == 0
            tone = "praise" if nps >= 9 else rng.choice(("pain", "pain", "mixed", "generic"))
            pain = rng.choice(PAIN_POINTS).key
            why = comment_compose(rng, tone=tone, pain_point=pain, mood=(nps - 7) / 3)
            if rng.random() < 0.08:
                why = ""
            more = ""
            if rng.random() < 0.25:
                more = comment_compose(rng, tone=rng.choice(("pain", "generic")), pain_point=pain)
            csat = min(5, max(1, round(nps / 2.2) + rng.choice((-1, 0, 0, 1))))
            email = rng.choice(emails)
            first, _, domain = email.partition("@")
            writer.writerow(
                (
                    began.strftime("%Y-%m-%d %H:%M:%S"),
                    recorded.strftime("%Y-%m-%d %H:%M:%S"),
                    "IP Address",
                    f"203.0.113.{rng.randint(1, 254)}",
                    "100",
                    str(int((recorded - began).total_seconds())),
                    "True",
                    recorded.strftime("%Y-%m-%d %H:%M:%S"),
                    f"R_{seed:02d}{index:08d}",
                    "",
                    first.capitalize(),
                    email,
                    "",
                    f"{rng.uniform(-40, 60):.4f}",
                    f"{rng.uniform(-120, 30):.4f}",
                    "email",
                    rng.choice(("EN", "EN", "EN", "DE", "ES")),
                    "11" if invalid else NPS_LABELS.get(nps, str(nps)),
                    why,
                    CSAT_LABELS[csat - 1],
                    more,
                )
            )
            line += 1
            # A comment with a newline inside takes more than one physical line.
            record_line = line
            line += why.count("\n") + more.count("\n")
            truth.responses += 1
            if invalid:
                truth.rejected_lines.append(record_line)
            else:
                truth.feedback_records += max(1, bool(why) + bool(more))
    return truth


def demo_export_samples_write(folder: Path, *, emails: list[str]) -> list[Path]:
    """Sample files for trying the import page on the demo organisation."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "qualtrics_sample.csv"
    qualtrics_export_write(path, responses=300, seed=11, emails=emails, invalid_every=97)
    return [path]
