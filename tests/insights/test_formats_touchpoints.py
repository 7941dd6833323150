"""Touchpoint files: recognising a touchpoint log and an Outlook calendar export, and reading
their rows (dates, durations, kinds, partner teams, people, accounts, observations)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from insights.formats import FormatError, Role, RowNormalizer, detect_format, mapping_errors
from insights.formats.touchpoint_values import duration_minutes_of, observation_lines
from insights.records import RowRejection, TouchpointRecord

BERLIN = ZoneInfo("Europe/Berlin")

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
OUTLOOK_HEADER = [
    "Subject",
    "Start Date",
    "Start Time",
    "End Date",
    "End Time",
    "All day event",
    "Reminder on/off",
    "Reminder Date",
    "Reminder Time",
    "Meeting Organizer",
    "Required Attendees",
    "Optional Attendees",
    "Meeting Resources",
    "Billing Information",
    "Categories",
    "Description",
    "Location",
    "Mileage",
    "Priority",
    "Private",
    "Sensitivity",
    "Show time as",
]


def log_row(**overrides) -> list[str]:
    cells = {
        "Date": "2026-03-10",
        "Engineer": "eng_a",
        "Kind": "Ride-along",
        "Duration": "45",
        "Partner team": "Support",
        "Customers": "ACME-1",
        "Customer emails": "",
        "Attendees": "",
        "Summary": "Rode along with support.",
        "Observations": "[high] Export times out\nDate picker is fiddly",
        "Follow-ups": "Send the export docs",
    }
    cells.update(overrides)
    return [cells[name] for name in LOG_HEADER]


def outlook_row(**overrides) -> list[str]:
    cells = dict.fromkeys(OUTLOOK_HEADER, "")
    cells.update(
        {
            "Subject": "Acme ride-along",
            "Start Date": "3/10/2026",
            "Start Time": "10:00:00 AM",
            "End Date": "3/10/2026",
            "End Time": "11:30:00 AM",
            "All day event": "False",
            "Reminder on/off": "True",
            "Meeting Organizer": "Jane Doe",
            "Required Attendees": "Doe, Jane; ana@acme.example; Bob Roe <BOB@backlight.example>",
            "Categories": "",
            "Show time as": "2",
        }
    )
    cells.update(overrides)
    return [cells[name] for name in OUTLOOK_HEADER]


def read(header, *rows, override=None, mapping=None):
    """Detect an inline file and read its rows with the proposed (or given) mapping."""
    head = [(1, header), *[(line, row) for line, row in enumerate(rows, start=2)]]
    fmt = detect_format(head, override=override)
    normalizer = RowNormalizer(fmt, mapping or fmt.proposed, default_timezone=BERLIN)
    return fmt, [normalizer.normalize(line, row) for line, row in head[1:]]


def one(header, row, **kwargs) -> TouchpointRecord | RowRejection:
    _, [result] = read(header, row, **kwargs)
    if isinstance(result, RowRejection):
        return result
    [record] = result
    return record


# --- detection --------------------------------------------------------------------------------


def test_a_touchpoint_log_is_recognised_with_a_role_per_column():
    # given a touchpoint log as a team keeps it in a spreadsheet
    fmt = detect_format([(1, LOG_HEADER), (2, log_row())])
    # then it is read as touchpoints, each column with its role
    assert (fmt.name, fmt.kind, fmt.header_rows) == ("touchpoints", "touchpoints", 1)
    assert fmt.proposed == {
        "Date": "submitted_at",
        "Engineer": "engineer",
        "Kind": "touchpoint_kind",
        "Duration": "duration",
        "Partner team": "partner_team",
        "Customers": "customer_external_id",
        "Customer emails": "email",
        "Attendees": "attendees",
        "Summary": "subject",
        "Observations": "observations",
        "Follow-ups": "follow_ups",
    }
    assert mapping_errors(fmt, fmt.proposed) == []


def test_an_outlook_calendar_export_is_recognised():
    # given Outlook's CSV export of a calendar
    fmt = detect_format([(1, OUTLOOK_HEADER), (2, outlook_row())])
    # then the organizer is the engineer, both attendee columns are attendees, categories tell
    # the kind, and the invitation's body and Outlook's bookkeeping are left out
    assert (fmt.name, fmt.kind) == ("outlook_calendar", "touchpoints")
    roles = {key: role for key, role in fmt.proposed.items() if role != "ignore"}
    assert roles == {
        "Subject": "subject",
        "Start Date": "submitted_at",
        "Start Time": "start_time",
        "End Date": "end_at",
        "End Time": "end_time",
        "Meeting Organizer": "engineer",
        "Required Attendees": "attendees",
        "Optional Attendees": "attendees",
        "Categories": "touchpoint_kind",
    }
    assert mapping_errors(fmt, fmt.proposed) == []


def test_touchpoints_can_be_forced_for_a_log_with_few_columns():
    # given a bare log: a date, attendees and a subject, nothing that says "touchpoint"
    header = ["When", "Attendees", "Subject"]
    row = ["2026-03-10", "eng_a", "Acme call"]
    # when it is detected, and when touchpoints are forced
    detected = detect_format([(1, header), (2, row)])
    forced = detect_format([(1, header), (2, row)], override="touchpoints")
    outlook = detect_format([(1, OUTLOOK_HEADER)], override="touchpoints")
    # then only the forced reading takes it as touchpoints; the override reads Outlook too
    assert detected.kind == "survey"
    assert (forced.name, forced.kind) == ("touchpoints", "touchpoints")
    assert forced.proposed == {
        "When": "submitted_at",
        "Attendees": "attendees",
        "Subject": "subject",
    }
    assert outlook.name == "outlook_calendar"


def test_forcing_touchpoints_on_a_survey_says_why_it_does_not_fit():
    with pytest.raises(FormatError) as error:
        detect_format([(1, ["Response ID", "NPS", "Comment"])], override="touchpoints")
    assert str(error.value) == (
        "Format 'touchpoints' was chosen, but no column looks like a touchpoint's date together "
        "with its engineer or attendees, and the header is not Outlook's calendar export."
    )


@pytest.mark.parametrize(
    ("header", "name", "kind"),
    [
        (["Response ID", "Submitted", "Email", "NPS", "Comment"], "generic", "survey"),
        (["Ticket ID", "Subject", "Description", "Created", "Type"], "tickets", "support_tickets"),
        (["Id", "Subject", "Description", "Requester", "Created at", "Via"], "zendesk", None),
        (["Account ID", "Month", "Active users"], "usage", "usage"),
        (["Date", "Engineer"], "generic", "survey"),  # an engineer and a date alone: no log
    ],
)
def test_other_exports_are_not_taken_for_touchpoints(header, name, kind):
    fmt = detect_format([(1, header)])
    assert fmt.name == name
    assert kind is None or fmt.kind == kind


def test_the_touchpoints_kind_has_its_roles_and_mapping_rules():
    fmt = detect_format([(1, LOG_HEADER)])
    assert Role.ENGINEER in fmt.roles_available()
    assert Role.NPS not in fmt.roles_available()
    assert mapping_errors(fmt, {"Customers": "customer_external_id"}) == [
        "A touchpoint import needs the column with the date.",
        "A touchpoint import needs the engineer's column (or the attendees).",
        "A touchpoint import needs a kind column, or a subject to tell the kind from.",
    ]
    assert mapping_errors(fmt, {**fmt.proposed, "Customers": "submitted_at"}) == [
        "Only one column can be the date, but 2 are: 'Date', 'Customers'."
    ]
    assert mapping_errors(fmt, {**fmt.proposed, "Summary": "nps"}) == [
        "Role 'nps' does not apply to a touchpoint import (column 'Summary')."
    ]


# --- rows -------------------------------------------------------------------------------------


def test_a_log_row_becomes_a_touchpoint_record():
    record = one(
        LOG_HEADER,
        log_row(
            Customers="ACME-1; Globex, Inc.",
            Attendees="eng_b, ana@acme.example",
            **{"Customer emails": "Kim <KIM@globex.example>"},
        ),
    )
    assert record == TouchpointRecord(
        occurred_on=dt.date(2026, 3, 10),
        kind="ride_along",
        duration_minutes=45,
        partner_team="support",
        engineer="eng_a",
        attendees=["eng_b", "ana@acme.example"],
        customer_external_ids=["ACME-1", "Globex, Inc."],
        emails=["kim@globex.example"],
        summary="Rode along with support.",
        observations=[("Export times out", "high"), ("Date picker is fiddly", "")],
        follow_ups="Send the export docs",
        line=2,
    )


def test_an_outlook_row_takes_its_duration_from_start_and_end_and_its_kind_from_the_subject():
    record = one(OUTLOOK_HEADER, outlook_row())
    assert (record.occurred_on, record.kind, record.duration_minutes) == (
        dt.date(2026, 3, 10),
        "ride_along",
        90,
    )
    assert record.engineer == "Jane Doe"
    assert record.attendees == ["Doe, Jane", "ana@acme.example", "bob@backlight.example"]
    assert record.summary == "Acme ride-along"
    assert record.partner_team == ""


def test_an_all_day_outlook_event_counts_working_days():
    row = outlook_row(
        Subject="Customer hackathon",
        **{
            "Start Time": "12:00:00 AM",
            "End Date": "3/12/2026",
            "End Time": "12:00:00 AM",
            "All day event": "True",
        },
    )
    record = one(OUTLOOK_HEADER, row)
    assert (record.kind, record.duration_minutes) == ("hackathon", 16 * 60)


@pytest.mark.parametrize(
    ("raw", "minutes"),
    [
        ("45", 45),
        ("45.0", 45),
        ("1h30", 90),
        ("1h 30m", 90),
        ("1 h 30 min", 90),
        ("1:30", 90),
        ("01:30:00", 90),
        ("90 min", 90),
        ("90 minutes", 90),
        ("1.5h", 90),
        ("2 hours", 120),
        ("", None),
    ],
)
def test_durations_are_read_in_the_usual_spellings(raw, minutes):
    assert duration_minutes_of(raw) == minutes


@pytest.mark.parametrize(
    ("duration", "reason"),
    [
        ("soon", "Duration 'soon' is not a length of time such as 45, 1h30 or 1:30."),
        ("0", "Duration '0' is no time at all."),
        ("25h", "Duration '25h' is more than 24 hours."),
    ],
)
def test_a_duration_that_is_no_length_of_time_rejects_the_row(duration, reason):
    assert one(LOG_HEADER, log_row(Duration=duration)) == RowRejection(2, reason)


def test_without_a_duration_a_touchpoint_lasts_an_hour():
    assert one(LOG_HEADER, log_row(Duration="")).duration_minutes == 60


def test_an_event_that_ends_before_it_starts_is_rejected():
    row = outlook_row(**{"End Time": "9:00:00 AM"})
    assert one(OUTLOOK_HEADER, row) == RowRejection(
        2, "The touchpoint ends (2026-03-10 09:00) before it starts."
    )


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("ride along", "ride_along"),
        ("ride-along", "ride_along"),
        ("Ride_Along", "ride_along"),
        ("empathy", "empathy_session"),
        ("Digital empathy session", "empathy_session"),
        ("support shift", "embedded_support"),
        ("Embedded support shift", "embedded_support"),
        ("hackathon", "hackathon"),
        ("Customer hackathon", "hackathon"),
        ("call", "customer_call"),
        ("Customer call", "customer_call"),
        ("visit", "site_visit"),
        ("Site visit", "site_visit"),
        ("customer_call", "customer_call"),
    ],
)
def test_kinds_are_read_from_their_synonyms_labels_and_values(kind, expected):
    assert one(LOG_HEADER, log_row(Kind=kind)).kind == expected


def test_without_a_kind_the_subject_or_the_category_tells_it():
    # given rows whose kind column is blank, and an Outlook event with a category
    from_subject = one(LOG_HEADER, log_row(Kind="", Summary="Support shift with the EU team"))
    from_category = one(OUTLOOK_HEADER, outlook_row(Subject="Acme", Categories="Site visit; Sales"))
    # then the subject's keyword, or the category, is the kind (and a category the team)
    assert from_subject.kind == "embedded_support"
    assert (from_category.kind, from_category.partner_team) == ("site_visit", "sales")


@pytest.mark.parametrize(
    ("kind", "summary", "reason"),
    [
        (
            "",
            "Weekly 1:1",
            "Cannot tell the touchpoint kind from 'Weekly 1:1'; add a Kind column or a keyword "
            "such as ride-along.",
        ),
        (
            "Lunch",
            "Weekly 1:1",
            "Kind 'Lunch' is not a touchpoint kind; use ride-along, empathy session, support "
            "shift, hackathon, call or visit.",
        ),
        (
            "",
            "",
            "No touchpoint kind in this row; add a Kind column or a subject that names it.",
        ),
    ],
)
def test_a_row_whose_kind_cannot_be_told_is_rejected(kind, summary, reason):
    assert one(LOG_HEADER, log_row(Kind=kind, Summary=summary)) == RowRejection(2, reason)


@pytest.mark.parametrize(
    ("team", "expected"),
    [
        ("Sales", "sales"),
        ("customer success", "success"),
        ("CSM", "success"),
        ("UX", "design"),
        ("Product", "product"),
        ("", ""),
        ("none", ""),
    ],
)
def test_partner_teams_are_read_from_their_synonyms(team, expected):
    row = log_row(**{"Partner team": team, "Summary": "Acme ride-along"})
    assert one(LOG_HEADER, row).partner_team == expected


def test_an_unknown_partner_team_is_rejected_and_the_subject_can_name_one():
    assert one(LOG_HEADER, log_row(**{"Partner team": "Legal"})) == RowRejection(
        2, "Partner team 'Legal' is not one of sales, support, customer success, design or product."
    )
    row = log_row(**{"Partner team": "", "Summary": "Call with the sales team"})
    assert one(LOG_HEADER, row).partner_team == "sales"


def test_observations_take_a_severity_prefix_in_several_spellings():
    text = "\n".join(
        [
            "[high] Export times out",
            "(Low) fiddly date picker",
            "medium: slow search",
            "HIGH - SSO loops",
            "- med: bulleted",
            "Low-latency exports are loved",
            "",
            "No prefix here",
        ]
    )
    assert observation_lines(text) == [
        ("Export times out", "high"),
        ("fiddly date picker", "low"),
        ("slow search", "medium"),
        ("SSO loops", "high"),
        ("bulleted", "medium"),
        ("Low-latency exports are loved", ""),
        ("No prefix here", ""),
    ]


def test_a_severity_without_an_observation_rejects_the_row():
    assert one(LOG_HEADER, log_row(Observations="Fine\n[high]")) == RowRejection(
        2, "“[high]” has a severity but no observation after it."
    )


def test_people_and_dates_are_checked():
    # given rows without an engineer, without a date, with a bad date, and in the future
    no_engineer = one(LOG_HEADER, log_row(Engineer=""))
    from_attendees = one(LOG_HEADER, log_row(Engineer="", Attendees="eng_b"))
    no_date = one(LOG_HEADER, log_row(Date=""))
    bad_date = one(LOG_HEADER, log_row(Date="next Tuesday"))
    future = one(LOG_HEADER, log_row(Date="2100-03-11"))
    # then each is rejected with its sentence, except the one whose attendees may name the engineer
    assert no_engineer == RowRejection(2, "No engineer in this row.")
    assert (from_attendees.engineer, from_attendees.attendees) == ("", ["eng_b"])
    assert no_date == RowRejection(2, "No date in this row.")
    assert bad_date == RowRejection(2, "Date 'next Tuesday' is not a date.")
    assert future == RowRejection(
        2, "The touchpoint on 2100-03-11 is in the future; import it once it has happened."
    )


def test_slash_dates_follow_the_files_order_and_blank_rows_yield_nothing():
    fmt, results = read(
        LOG_HEADER, log_row(Date="13/03/2026"), log_row(Date="04/03/2026"), [""] * len(LOG_HEADER)
    )
    assert fmt.day_first
    assert [r[0].occurred_on for r in results[:2]] == [dt.date(2026, 3, 13), dt.date(2026, 3, 4)]
    assert results[2] == []


def test_the_event_id_is_kept_for_idempotency():
    header = ["Event ID", *LOG_HEADER]
    record = one(header, ["evt-42", *log_row()])
    assert record.external_id == "evt-42"
