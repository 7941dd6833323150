"""Importing touchpoints through the import engine: a touchpoint log and an Outlook calendar
export become touchpoints with their engineers, accounts and observations' feedback — once."""

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insights.formats.touchpoint_values import PARTNER_TEAMS, SEVERITIES, TOUCHPOINT_KINDS
from insights.models import Feedback, ImportJob, RunStatus
from insights.records import TouchpointRecord
from insights.roles import Role
from insights.services import import_sinks, imports
from insights.services.imports import (
    import_job_confirm,
    import_job_create,
    import_job_process,
    import_jobs_resume,
)
from tests.conftest import user_with_role
from tests.insights.factories import ContactFactory, CustomerFactory
from tests.insights.test_import_views import confirm, mapping_form_data, text, upload
from touchpoints.imports import touchpoint_records_store
from touchpoints.models import Observation, PartnerTeam, Touchpoint, TouchpointKind

pytestmark = pytest.mark.django_db

LOG_HEADER = [
    "Date",
    "Engineer",
    "Kind",
    "Duration",
    "Partner team",
    "Customers",
    "Customer emails",
    "Attendees",
    "Summary",
    "Observations",
    "Follow-ups",
]
LOG_ROWS = [
    # lines 2-3 (a cell holds a line break): by username, with a co-attendee engineer and an
    # executive, who logs no touchpoints
    [
        "2026-03-10",
        "eng_a",
        "Ride-along",
        "1h30",
        "Support",
        "ACME-1",
        "",
        "eng_b; exec_user",
        "Rode along with support",
        "[high] Export times out\nDate picker is fiddly",
        "Send the export docs",
    ],
    # line 4: the engineer by email (any case), the account from a contact's email
    [
        "2026-03-11",
        "ENG_A@backlight.example",
        "call",
        "45",
        "",
        "",
        "kim@globex.example",
        "",
        "Globex call",
        "low: search is slow",
        "",
    ],
    # line 5: nobody by that name
    ["2026-03-12", "ghost", "call", "30", "", "", "", "", "Ghost call", "Boo", ""],
    # line 6: an account that does not exist
    ["2026-03-12", "eng_b", "visit", "", "", "NOPE-1", "", "", "Visit", "Nope", ""],
    # line 7: no kind to tell
    ["2026-03-13", "eng_b", "", "", "", "", "", "", "Weekly 1:1", "", ""],
    # line 8: the engineer by full name, accounts by name, an attendee's domain
    [
        "2026-03-14",
        "Bob Roe",
        "site visit",
        "2:00",
        "customer success",
        "acme; Globex, Inc.",
        "",
        "someone@acme.example",
        "Onsite at Acme",
        "",
        "",
    ],
]
REJECTED = [  # CSV lines; a workbook's rows are one less, its first row has no line break
    (5, "No Backlight user 'ghost'."),
    (6, "No single account has the id or name 'NOPE-1'."),
    (
        7,
        "Cannot tell the touchpoint kind from 'Weekly 1:1'; add a Kind column or a keyword such "
        "as ride-along.",
    ),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def people():
    eng_a = user_with_role(Role.ENGINEER, username="eng_a")
    eng_b = user_with_role(Role.ENGINEER, username="eng_b")
    eng_b.first_name, eng_b.last_name = "Bob", "Roe"
    eng_b.save(update_fields=["first_name", "last_name"])
    executive = user_with_role(Role.EXECUTIVE, username="exec_user")
    return eng_a, eng_b, executive


@pytest.fixture
def accounts():
    acme = CustomerFactory(external_id="ACME-1", name="Acme", domain="acme.example")
    globex = CustomerFactory(external_id="GLX-9", name="Globex, Inc.", domain="globex.example")
    ContactFactory(customer=globex, email="kim@globex.example")
    return acme, globex


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def as_xlsx(source: Path) -> Path:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Touchpoints")
    with source.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    target = source.with_suffix(".xlsx")
    workbook.save(target)
    return target


@pytest.fixture
def log_file(tmp_path):
    return write_csv(tmp_path / "touchpoints.csv", LOG_HEADER, LOG_ROWS)


def create(path: Path, **kwargs) -> ImportJob:
    with path.open("rb") as handle:
        return import_job_create(file=handle, original_name=path.name, **kwargs)


def run(path: Path, **kwargs) -> ImportJob:
    job = create(path, **kwargs)
    import_job_confirm(job=job, mapping=job.mapping, enqueue=False)
    return import_job_process(job_id=job.pk)


def rejected(job: ImportJob) -> list[tuple[int, str]]:
    return list(job.row_errors.order_by("line").values_list("line", "reason"))


def assert_imported_log(job: ImportJob, people, accounts, *, line_shift: int = 0) -> None:
    eng_a, eng_b, _ = people
    acme, globex = accounts
    assert (job.status, job.kind, job.detected_format) == (
        RunStatus.SUCCEEDED,
        "touchpoints",
        "touchpoints",
    )
    assert (job.created_count, job.duplicate_count, job.rejected_count) == (3, 0, 3)
    assert rejected(job) == [(line - line_shift, reason) for line, reason in REJECTED]
    ride, call, visit = Touchpoint.objects.order_by("occurred_on")
    # the ride-along: its engineer logs it, the engineer among the attendees joins it
    assert (ride.kind, ride.duration_minutes, ride.partner_team) == (
        TouchpointKind.RIDE_ALONG,
        90,
        PartnerTeam.SUPPORT,
    )
    assert ride.logged_by == eng_a
    assert set(ride.engineers.all()) == {eng_a, eng_b}
    assert list(ride.customers.all()) == [acme]
    assert (ride.summary, ride.follow_ups) == ("Rode along with support", "Send the export docs")
    # its observations became feedback just as when logged by hand, naming the import
    observations = list(ride.observations.select_related("feedback").order_by("id"))
    assert [(o.text, o.severity) for o in observations] == [
        ("Export times out", "high"),
        ("Date picker is fiddly", ""),
    ]
    for observation in observations:
        feedback = observation.feedback
        assert (feedback.source, feedback.text, feedback.customer) == (
            Feedback.Source.TOUCHPOINT,
            observation.text,
            acme,
        )
        assert feedback.received_at == dt.datetime(
            2026, 3, 10, tzinfo=timezone.get_current_timezone()
        )
        assert feedback.metadata == {
            "touchpoint": ride.pk,
            "engineer": "eng_a",
            "severity": observation.severity,
        }
        assert feedback.import_job_id == job.pk
    # the call: the engineer by email, the account through its contact
    assert (call.kind, call.logged_by, list(call.customers.all())) == (
        TouchpointKind.CUSTOMER_CALL,
        eng_a,
        [globex],
    )
    assert call.observations.get().severity == Observation.Severity.LOW
    # the visit: the engineer by name, accounts by name, once each
    assert (visit.kind, visit.logged_by, visit.duration_minutes, visit.partner_team) == (
        TouchpointKind.SITE_VISIT,
        eng_b,
        120,
        PartnerTeam.SUCCESS,
    )
    assert set(visit.customers.all()) == {acme, globex}
    # and nothing of the rejected rows
    assert Touchpoint.objects.count() == 3
    assert Feedback.objects.filter(source=Feedback.Source.TOUCHPOINT).count() == 3


def test_a_touchpoint_log_becomes_touchpoints_with_their_people_accounts_and_feedback(
    log_file, people, accounts
):
    # Given a touchpoint log, its engineers and accounts
    # When it is imported
    job = run(log_file)
    # Then three touchpoints are logged and the three bad rows are listed with their reasons
    assert_imported_log(job, people, accounts)


def test_importing_the_same_log_again_creates_nothing(log_file, people, accounts):
    # Given a log imported once
    run(log_file)
    feedback = Feedback.objects.count()
    # When the same file is imported again
    again = run(log_file)
    # Then every stored row counts as a duplicate and nothing new is stored
    assert (again.created_count, again.duplicate_count, again.rejected_count) == (0, 3, 3)
    assert Touchpoint.objects.count() == 3
    assert Feedback.objects.count() == feedback


def test_the_event_id_makes_a_changed_row_the_same_touchpoint(tmp_path, people, accounts):
    # Given a log with event ids, imported once
    header = ["Event ID", *LOG_HEADER]
    first = write_csv(tmp_path / "first.csv", header, [["evt-1", *LOG_ROWS[0]]])
    run(first)
    # When a later export of the same event, with its summary edited, is imported
    edited = [["evt-1", *LOG_ROWS[0][:8], "Edited summary", *LOG_ROWS[0][9:]]]
    job = run(write_csv(tmp_path / "second.csv", header, edited))
    # Then it is recognised by its event id
    assert (job.created_count, job.duplicate_count) == (0, 1)
    assert Touchpoint.objects.get().summary == "Rode along with support"


def test_an_interrupted_import_resumes_to_the_same_result(
    log_file, people, accounts, settings, monkeypatch
):
    # Given chunks of two rows and a worker that dies after storing the first chunk
    settings.BACKLIGHT_IMPORT_CHUNK_ROWS = 2
    job = create(log_file)
    import_job_confirm(job=job, mapping=job.mapping, enqueue=False)
    real_store = imports._store_chunk
    stored = []

    def dying_store(*args, **kwargs):
        if stored:
            raise KeyboardInterrupt("worker killed")
        stored.append(1)
        return real_store(*args, **kwargs)

    monkeypatch.setattr(imports, "_store_chunk", dying_store)
    with pytest.raises(KeyboardInterrupt):
        import_job_process(job_id=job.pk)
    monkeypatch.setattr(imports, "_store_chunk", real_store)
    job.refresh_from_db()
    assert (job.status, job.processed_rows, Touchpoint.objects.count()) == (
        RunStatus.RUNNING,
        2,
        2,
    )

    # When the resumer finds it silent and it runs again
    later = timezone.now() + settings.BACKLIGHT_IMPORT_STALE_AFTER + dt.timedelta(seconds=1)
    assert import_jobs_resume(now=later).resumed == 1
    finished = import_job_process(job_id=job.pk)

    # Then it ends exactly as an uninterrupted import would
    assert_imported_log(finished, people, accounts)


def test_a_workbook_is_imported_like_its_csv(log_file, people, accounts):
    job = run(as_xlsx(log_file))
    assert_imported_log(job, people, accounts, line_shift=1)


def test_an_outlook_calendar_export_is_imported(tmp_path, people, accounts):
    # Given an Outlook export: a ride-along organised by Bob (as Outlook writes his name) with a
    # customer and Ana, an all-day hackathon, and a meeting that is no touchpoint
    eng_a, eng_b, _ = people
    acme, _ = accounts
    header = [
        "Subject",
        "Start Date",
        "Start Time",
        "End Date",
        "End Time",
        "All day event",
        "Meeting Organizer",
        "Required Attendees",
        "Optional Attendees",
        "Categories",
        "Description",
        "Show time as",
    ]
    rows = [
        [
            "Acme ride-along with support",
            "3/10/2026",
            "10:00:00 AM",
            "3/10/2026",
            "11:30:00 AM",
            "False",
            "Roe, Bob",
            "Roe, Bob; Pat <pat@acme.example>",
            "eng_a@backlight.example",
            "",
            "Join the call: https://meet.example/123",
            "2",
        ],
        [
            "Spring hackathon",
            "3/16/2026",
            "12:00:00 AM",
            "3/17/2026",
            "12:00:00 AM",
            "True",
            "eng_a",
            "",
            "",
            "Customer",
            "",
            "3",
        ],
        ["Weekly 1:1", "3/11/2026", "9:00:00 AM", "3/11/2026", "9:30:00 AM", "False", "eng_a"]
        + ["", "", "", "", "2"],
    ]
    # When it is imported
    job = run(write_csv(tmp_path / "calendar.csv", header, rows))
    # Then the events that are touchpoints are logged, the other one is listed
    assert (job.detected_format, job.created_count, job.rejected_count) == (
        "outlook_calendar",
        2,
        1,
    )
    assert rejected(job) == [
        (
            4,
            "Cannot tell the touchpoint kind from 'Weekly 1:1'; add a Kind column or a keyword "
            "such as ride-along.",
        )
    ]
    ride, hackathon = Touchpoint.objects.order_by("occurred_on")
    assert (ride.kind, ride.occurred_on, ride.duration_minutes, ride.partner_team) == (
        TouchpointKind.RIDE_ALONG,
        dt.date(2026, 3, 10),
        90,
        PartnerTeam.SUPPORT,
    )
    assert ride.logged_by == eng_b
    assert set(ride.engineers.all()) == {eng_a, eng_b}
    assert list(ride.customers.all()) == [acme]
    assert (hackathon.kind, hackathon.duration_minutes) == (TouchpointKind.HACKATHON, 480)


def test_without_a_registered_store_the_job_fails_with_a_sentence(log_file, people, monkeypatch):
    monkeypatch.setattr(import_sinks, "_SINKS", {})
    job = run(log_file)
    assert job.status == RunStatus.FAILED
    assert (
        job.error
        == "Nothing in this installation stores touchpoints, so this file cannot be imported."
    )
    assert Touchpoint.objects.count() == 0


def _records(count: int, **fields) -> list[TouchpointRecord]:
    return [
        TouchpointRecord(
            occurred_on=dt.date(2026, 3, 1) + dt.timedelta(days=index % 20),
            kind=TouchpointKind.CUSTOMER_CALL,
            duration_minutes=30,
            summary=f"Call {index}",
            line=index + 2,
            **fields,
        )
        for index in range(count)
    ]


def test_people_and_accounts_are_looked_up_once_per_chunk_not_per_row(people, accounts):
    # Given chunks of 5 and of 50 rows naming unknown people and accounts
    def queries(count: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            result = touchpoint_records_store(
                records=_records(
                    count,
                    engineer="ghost",
                    attendees=["eng_b", "pat@acme.example"],
                    customer_external_ids=["ACME-1"],
                ),
                import_job_id=None,
            )
        assert len(result.rejections) == count
        return len(captured)

    # Then resolving them costs the same few queries
    assert queries(5) == queries(50) <= 8


def test_the_store_of_a_chunk_already_stored_reads_one_query(people, accounts):
    records = _records(20, engineer="eng_a")
    assert touchpoint_records_store(records=records, import_job_id=None).created == 20
    with CaptureQueriesContext(connection) as captured:
        again = touchpoint_records_store(records=records, import_job_id=None)
    assert (again.created, again.duplicates) == (0, 20)
    assert len([q for q in captured if "SAVEPOINT" not in q["sql"]]) == 1


def test_the_insights_vocabulary_matches_the_touchpoint_models():
    assert set(TOUCHPOINT_KINDS) == set(TouchpointKind.values)
    assert set(PARTNER_TEAMS) == set(PartnerTeam.values)
    assert set(SEVERITIES) == set(Observation.Severity.values)


# --- the pages --------------------------------------------------------------------------------


def test_an_admin_uploads_and_confirms_a_touchpoint_log(
    client, people, accounts, django_capture_on_commit_callbacks
):
    # Given an admin and a touchpoint log
    client.force_login(user_with_role(Role.ADMIN))
    content = io.StringIO()
    csv.writer(content).writerows([LOG_HEADER, *LOG_ROWS])
    # When the admin uploads it
    response = upload(client, content.getvalue().encode(), name="touchpoints.csv")
    job = ImportJob.objects.get()
    mapping_page = text(client.get(response["Location"]))
    # Then the mapping page offers the touchpoint roles by their names
    assert "Touchpoints" in mapping_page
    assert "Engineer (username, email or name)" in mapping_page
    assert "Observations (one per line)" in mapping_page
    assert "NPS score" not in mapping_page
    # When the admin confirms the proposed mapping
    response = confirm(client, job, mapping_form_data(job), django_capture_on_commit_callbacks)
    # Then the job ran and its page counts touchpoints
    assert response.status_code == 302
    page = text(client.get(reverse("insights:import-detail", args=[job.pk])))
    assert "Touchpoints created 3" in page
    assert "No Backlight user 'ghost'." in page
    assert Touchpoint.objects.count() == 3


def test_only_admins_import_touchpoints(client, people):
    # Given an engineer
    client.force_login(people[0])
    # When they try to upload a touchpoint log
    response = upload(client, b"Date,Engineer,Kind\n2026-03-10,eng_a,call\n", name="mine.csv")
    # Then they are refused and nothing is kept
    assert response.status_code == 403
    assert not ImportJob.objects.exists()
