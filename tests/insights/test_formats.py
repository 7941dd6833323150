import csv
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from insights.formats import (
    FORMATS,
    Column,
    DetectedFormat,
    FormatError,
    Role,
    RowNormalizer,
    detect_format,
    feature_name,
    mapping_errors,
)
from insights.records import FeedbackRecord, RowRejection, UsageRecord

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
READ_AS = {  # how each fixture must be decoded: (encoding, delimiter)
    "qualtrics.csv": ("utf-8-sig", ","),
    "qualtrics_utf16.tsv": ("utf-16", "\t"),
    "qualtrics_legacy.csv": ("utf-8-sig", ","),
    "surveymonkey.csv": ("utf-8-sig", ","),
    "typeform.csv": ("utf-8-sig", ","),
    "google_forms.csv": ("utf-8-sig", ","),
    "zendesk.csv": ("utf-8-sig", ","),
    "intercom.csv": ("utf-8-sig", ","),
    "tickets_generic.csv": ("utf-8-sig", ","),
    "usage.csv": ("utf-8-sig", ","),
    "generic_semicolon_cp1252.csv": ("cp1252", ";"),
    "generic.tsv": ("utf-8-sig", "\t"),
}
BERLIN = ZoneInfo("Europe/Berlin")


def fixture_rows(name: str) -> list[tuple[int, list[str]]]:
    """The fixture as (line where the record starts, cells), header rows included."""
    encoding, delimiter = READ_AS[name]
    rows = []
    with (FIXTURES / name).open(encoding=encoding, newline="") as file:
        reader = csv.reader(file, delimiter=delimiter)
        start = 1
        for cells in reader:
            rows.append((start, cells))
            start = reader.line_num + 1
    return rows


def detect(name: str, **kwargs) -> DetectedFormat:
    return detect_format(fixture_rows(name)[:6], **kwargs)


def normalize_fixture(name: str, mapping: dict | None = None, **kwargs):
    rows = fixture_rows(name)
    fmt = detect_format(rows[:6])
    kwargs.setdefault("default_timezone", BERLIN)
    normalizer = RowNormalizer(fmt, fmt.proposed if mapping is None else mapping, **kwargs)
    return fmt, [normalizer.normalize(line, cells) for line, cells in rows[fmt.header_rows :]]


def records_of(outputs) -> list:
    return [record for output in outputs if isinstance(output, list) for record in output]


def rejections_of(outputs) -> list[RowRejection]:
    return [output for output in outputs if isinstance(output, RowRejection)]


def by_response(records, response_id: str) -> list[FeedbackRecord]:
    return [r for r in records if r.metadata.get("response_id") == response_id]


def inline(header: list[str], *rows: list[str], **kwargs):
    """Detect an inline file and build a normalizer with the proposed (or given) mapping."""
    head = [(1, header), *[(line, row) for line, row in enumerate(rows, start=2)]]
    fmt = detect_format(head, override=kwargs.pop("override", None))
    mapping = kwargs.pop("mapping", fmt.proposed)
    kwargs.setdefault("default_timezone", BERLIN)
    return fmt, RowNormalizer(fmt, mapping, **kwargs)


SURVEY_HEADER = ["Response ID", "Submitted", "Email", "Account ID", "NPS", "Comment", "Plan"]


def survey_row(**overrides) -> list[str]:
    cells = {
        "Response ID": "r-1",
        "Submitted": "2024-03-14 09:12:44",
        "Email": "a@b.example",
        "Account ID": "ACME-1",
        "NPS": "9",
        "Comment": "Fast exports.",
        "Plan": "Growth",
    }
    cells.update(overrides)
    return [cells[name] for name in SURVEY_HEADER]


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "format_name", "kind", "header_rows"),
    [
        ("qualtrics.csv", "qualtrics", "survey", 3),
        ("qualtrics_utf16.tsv", "qualtrics", "survey", 3),
        ("qualtrics_legacy.csv", "qualtrics_legacy", "survey", 2),
        ("surveymonkey.csv", "surveymonkey", "survey", 2),
        ("typeform.csv", "typeform", "survey", 1),
        ("google_forms.csv", "google_forms", "survey", 1),
        ("zendesk.csv", "zendesk", "support_tickets", 1),
        ("intercom.csv", "intercom", "support_tickets", 1),
        ("tickets_generic.csv", "tickets", "support_tickets", 1),
        ("usage.csv", "usage", "usage", 1),
        ("generic_semicolon_cp1252.csv", "generic", "survey", 1),
        ("generic.tsv", "generic", "survey", 1),
    ],
)
def test_every_fixture_is_detected_as_its_format(name, format_name, kind, header_rows):
    # given the first six records of a fixture, decoded as its tool writes it
    # when the format is detected
    fmt = detect(name)
    # then the format, kind and number of header rows are the tool's, and every column has a role
    assert (fmt.name, fmt.kind, fmt.header_rows) == (format_name, kind, header_rows)
    assert fmt.name in FORMATS
    assert set(fmt.proposed) == {column.key for column in fmt.columns}
    assert set(fmt.proposed.values()) <= {str(role) for role in fmt.roles_available()}


@pytest.mark.parametrize("name", sorted(READ_AS))
def test_the_proposed_mapping_of_every_fixture_is_usable(name):
    # given a detected fixture
    fmt = detect(name)
    # when its own proposal is checked
    # then there is nothing to correct
    assert mapping_errors(fmt, fmt.proposed) == []


QUALTRICS_PROPOSED = {
    "StartDate": "ignore",
    "EndDate": "ignore",
    "Status": "ignore",
    "IPAddress": "ignore",
    "Progress": "ignore",
    "Duration (in seconds)": "ignore",
    "Finished": "ignore",
    "RecordedDate": "submitted_at",
    "ResponseId": "response_id",
    "RecipientLastName": "ignore",
    "RecipientFirstName": "ignore",
    "RecipientEmail": "email",
    "ExternalReference": "customer_external_id",
    "LocationLatitude": "ignore",
    "LocationLongitude": "ignore",
    "DistributionChannel": "channel",
    "UserLanguage": "attribute",
    "Q1": "nps",
    "Q1_NPS_GROUP": "ignore",
    "Q2": "comment",
    "Q3": "ignore",
    "Q3_4_TEXT": "ignore",
    "Q4": "comment",
    "Q5": "csat",
    "Plan": "attribute",
    "Region": "attribute",
}


@pytest.mark.parametrize("name", ["qualtrics.csv", "qualtrics_utf16.tsv"])
def test_qualtrics_metadata_columns_get_their_roles_and_questions_are_read_from_their_text(name):
    # given a Qualtrics export (choice text in the CSV, numeric values in the UTF-16 TSV)
    # when it is detected
    fmt = detect(name)
    # then metadata columns are never mistaken for questions, and questions are proposed from
    # their (German, Spanish, Japanese) text and sample values
    assert fmt.proposed == QUALTRICS_PROPOSED


def test_qualtrics_columns_are_keyed_by_export_tag_and_labelled_by_question_text():
    # given the Qualtrics CSV, whose comment question is German
    # when it is detected
    columns = {column.key: column for column in detect("qualtrics.csv").columns}
    # then the key is the export tag, the label the question text, the zone the ImportId's
    assert columns["Q2"].label == "Was ist der wichtigste Grund für Ihre Bewertung?"
    assert columns["ResponseId"].label == "Response ID"
    assert columns["RecordedDate"].timezone == "America/Denver"
    assert columns["Q1"].timezone == ""


def test_qualtrics_utf16_labels_keep_spanish_and_japanese_text():
    # given the UTF-16 TSV export
    columns = {column.key: column for column in detect("qualtrics_utf16.tsv").columns}
    # then its question texts are the labels, in their language, and its zone is Madrid
    assert columns["Q1"].label.startswith("¿Qué probabilidad hay de que recomiende")
    assert columns["Q2"].label == "評価の主な理由を教えてください。"
    assert columns["RecordedDate"].timezone == "Europe/Madrid"


def test_qualtrics_without_recorded_date_uses_end_date():
    # given a Qualtrics header with EndDate but no RecordedDate
    head = [
        (1, ["StartDate", "EndDate", "ResponseId", "Q1"]),
        (2, ["Start Date", "End Date", "Response ID", "Any comments?"]),
        (
            3,
            [
                '{"ImportId":"startDate","timeZone":"UTC"}',
                '{"ImportId":"endDate","timeZone":"UTC"}',
                '{"ImportId":"_recordId"}',
                '{"ImportId":"QID1_TEXT"}',
            ],
        ),
    ]
    # when it is detected
    fmt = detect_format(head)
    # then EndDate is the submitted date
    assert fmt.proposed == {
        "StartDate": "ignore",
        "EndDate": "submitted_at",
        "ResponseId": "response_id",
        "Q1": "comment",
    }


def test_qualtrics_legacy_keys_metadata_by_its_name_and_questions_by_their_tag():
    # given the legacy export (V1, V2, … over ResponseID, ResponseSet, …)
    fmt = detect("qualtrics_legacy.csv")
    # then metadata columns are keyed by name, questions by tag and labelled by text
    assert fmt.proposed == {
        "ResponseID": "response_id",
        "ResponseSet": "ignore",
        "Name": "ignore",
        "ExternalDataReference": "customer_external_id",
        "EmailAddress": "email",
        "IPAddress": "ignore",
        "Status": "ignore",
        "StartDate": "ignore",
        "EndDate": "submitted_at",
        "Finished": "ignore",
        "Q1": "nps",
        "Q2": "comment",
        "Q3": "attribute",
        "LocationLatitude": "ignore",
        "LocationLongitude": "ignore",
        "LocationAccuracy": "ignore",
    }
    assert fmt.columns[11].label == "Why did you give that score?"


def test_surveymonkey_keys_carry_a_question_over_its_merged_blank_cells():
    # given the SurveyMonkey export, whose multi-answer question spans three columns
    fmt = detect("surveymonkey.csv")
    features = "Which of these features do you use? (Select all that apply)"
    nps = "How likely is it that you would recommend Acme Analytics to a friend or colleague?"
    reason = "What is the primary reason for your score?"
    support = "How satisfied are you with our customer support?"
    # then each column is keyed "question / sub-answer", metadata columns by their header
    assert fmt.proposed == {
        "Respondent ID": "response_id",
        "Collector ID": "ignore",
        "Start Date": "ignore",
        "End Date": "submitted_at",
        "IP Address": "ignore",
        "Email Address": "email",
        "First Name": "ignore",
        "Last Name": "ignore",
        "Custom Data 1": "attribute",
        f"{nps} / Response": "nps",
        f"{features} / Dashboards": "ignore",
        f"{features} / Exports": "ignore",
        f"{features} / Alerts": "ignore",
        f"{reason} / Open-Ended Response": "comment",
        f"{support} / Response": "csat",
        "Which plan are you on? / Response": "attribute",
        "Which plan are you on? / Other (please specify)": "attribute",
    }
    labels = {column.key: column.label for column in fmt.columns}
    assert labels[f"{reason} / Open-Ended Response"] == reason
    assert labels[f"{features} / Exports"] == f"{features} / Exports"


def test_typeform_older_export_with_a_subset_of_trailing_columns():
    # given a Typeform export without Response Type, Stage Date, Tags and Ending
    fmt = detect("typeform.csv")
    # then the token is the response id, Submit Date the submitted date (in UTC), hidden fields
    # are read by name
    assert fmt.proposed == {
        "#": "response_id",
        "How likely are you to recommend Acme Analytics to a friend or colleague?": "nps",
        "What's the main reason for your score?": "comment",
        "Which plan are you on?": "attribute",
        "account_id": "customer_external_id",
        "Start Date (UTC)": "ignore",
        "Submit Date (UTC)": "submitted_at",
        "Network ID": "ignore",
    }
    assert {column.key: column.timezone for column in fmt.columns}["Submit Date (UTC)"] == "UTC"


def test_typeform_newer_trailing_columns_are_recognised():
    # given a newer Typeform header
    header = [
        "#",
        "What should we improve?",
        "Response Type",
        "Start Date (UTC)",
        "Stage Date (UTC)",
        "Submit Date (UTC)",
        "Network ID",
        "Tags",
        "Ending",
    ]
    # when it is detected
    fmt = detect_format([(1, header)])
    # then every trailing column has its role
    assert fmt.name == "typeform"
    assert list(fmt.proposed.values()) == [
        "response_id",
        "comment",
        "ignore",
        "ignore",
        "ignore",
        "submitted_at",
        "ignore",
        "attribute",
        "ignore",
    ]


def test_google_forms_timestamp_email_and_questions():
    fmt = detect("google_forms.csv")
    assert list(fmt.proposed.values()) == [
        "submitted_at",
        "email",
        "nps",
        "comment",
        "csat",
        "attribute",
    ]


def test_google_forms_lowercase_email_address_header():
    # given the newer "Email address" spelling
    fmt = detect_format([(1, ["Timestamp", "Email address", "Any comments?"])])
    # then it is still the respondent's email
    assert fmt.name == "google_forms"
    assert fmt.proposed["Email address"] == "email"


def test_zendesk_intercom_and_generic_ticket_columns():
    zendesk = detect("zendesk.csv").proposed
    intercom = detect("intercom.csv").proposed
    tickets = detect("tickets_generic.csv").proposed
    assert zendesk == {
        "Id": "ticket_id",
        "Subject": "subject",
        "Description": "body",
        "Status": "status",
        "Priority": "attribute",
        "Requester": "ignore",
        "Requester email": "email",
        "Organization": "attribute",
        "Via": "channel",
        "Created at": "submitted_at",
        "Updated at": "ignore",
        "Tags": "tags",
        "Satisfaction Score": "satisfaction",
    }
    assert intercom == {
        "Conversation ID": "ticket_id",
        "Created at": "submitted_at",
        "Contact email": "email",
        "Company ID": "customer_external_id",
        "Conversation rating": "satisfaction",
        "Conversation rating remark": "ignore",
        "Conversation tags": "tags",
        "Conversation first message": "body",
        "State": "status",
        "Title": "subject",
    }
    assert tickets == {
        "ticket_id": "ticket_id",
        "created": "submitted_at",
        "requester_email": "email",
        "account_id": "customer_external_id",
        "subject": "subject",
        "description": "body",
        "tags": "tags",
        "status": "status",
        "satisfaction_rating": "satisfaction",
    }


def test_usage_columns_and_feature_names():
    fmt = detect("usage.csv")
    assert fmt.proposed == {
        "account_id": "customer_external_id",
        "period": "period",
        "active_users": "active_users",
        "feature_export": "feature",
        "feature:dashboards": "feature",
        "alerts_users": "feature",
        "task_attempts": "task_attempts",
        "task_successes": "task_successes",
    }


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("feature_export", "export"),
        ("feature:dashboards", "dashboards"),
        ("Feature: Saved Views", "saved_views"),
        ("export_users", "export"),
        ("Alerts users", "alerts"),
        ("sso_adoption", "sso"),
    ],
)
def test_feature_name_is_derived_from_the_header(header, name):
    assert feature_name(header) == name


def test_generic_files_are_read_from_header_synonyms():
    # given a cp1252, semicolon file from a European Excel and a plain TSV
    semicolon = detect("generic_semicolon_cp1252.csv")
    tsv = detect("generic.tsv")
    # then roles come from header names, and the day-first dates are noticed
    assert list(semicolon.proposed.values()) == [
        "submitted_at",
        "email",
        "customer_external_id",
        "attribute",
        "nps",
        "comment",
    ]
    assert semicolon.day_first is True
    assert tsv.proposed == {
        "id": "response_id",
        "submitted_at": "submitted_at",
        "email": "email",
        "customer_id": "customer_external_id",
        "plan": "attribute",
        "segment": "attribute",
        "csat": "csat",
        "ces": "ces",
        "feedback": "comment",
    }
    assert tsv.day_first is False


@pytest.mark.parametrize(
    ("header", "role"),
    [
        ("NPS", "nps"),
        ("Likelihood to recommend", "nps"),
        ("How likely are you to recommend us?", "nps"),
        ("Wie wahrscheinlich ist es, dass Sie uns empfehlen?", "nps"),
        ("¿Recomendaría nuestro producto?", "nps"),
        ("Recommanderiez-vous Acme ?", "nps"),
        ("CSAT", "csat"),
        ("Satisfaction", "csat"),
        ("Customer effort", "ces"),
        ("CES", "ces"),
        ("Comment", "comment"),
        ("Feedback", "comment"),
        ("Why?", "comment"),
        ("Reason for leaving", "comment"),
        ("Anything else?", "comment"),
        ("Email", "email"),
        ("Account ID", "customer_external_id"),
        ("Customer ID", "customer_external_id"),
        ("company_id", "customer_external_id"),
        ("Date", "submitted_at"),
        ("Submitted at", "submitted_at"),
        ("Timestamp", "submitted_at"),
        ("Created", "submitted_at"),
        ("id", "response_id"),
        ("Response ID", "response_id"),
        ("Segment", "attribute"),
        ("Plan", "attribute"),
        ("Region", "attribute"),
        ("Country", "attribute"),
        ("Language", "attribute"),
        ("Channel", "channel"),
        ("Favourite colour", "ignore"),
    ],
)
def test_generic_header_synonyms(header, role):
    # given a one-column generic file with no sample values
    fmt = detect_format([(1, ["Note to self", header])], override="generic")
    # then the header name alone proposes the role
    assert fmt.proposed[header] == role


def test_generic_column_of_long_answers_is_a_comment():
    # given a column whose header says nothing, but whose answers are sentences
    head = [
        (1, ["Date", "Q7"]),
        (2, ["2024-03-01", "The export is slow and times out on big reports."]),
        (3, ["2024-03-02", "Great"]),
    ]
    # then it is proposed as a comment
    assert detect_format(head).proposed["Q7"] == "comment"


def test_survey_question_with_0_to_10_values_is_nps_even_without_telling_words():
    # given a Qualtrics question whose text does not say "recommend" but whose answers are 0–10
    head = [
        (1, ["RecordedDate", "ResponseId", "Q1"]),
        (2, ["Recorded Date", "Response ID", "Rate us"]),
        (3, ['{"ImportId":"recordedDate"}', '{"ImportId":"_recordId"}', '{"ImportId":"QID1"}']),
        (4, ["2024-03-01 10:00:00", "R_1", "10 - Extremely likely"]),
        (5, ["2024-03-01 11:00:00", "R_2", "3"]),
    ]
    # then it is proposed as NPS
    assert detect_format(head).proposed["Q1"] == "nps"


def test_overrides_force_a_format():
    # given a Typeform export and Qualtrics exports
    # when a format is forced
    generic = detect("typeform.csv", override="generic")
    legacy = detect("qualtrics_legacy.csv", override="qualtrics")
    auto = detect("qualtrics.csv", override="auto")
    tickets = detect("zendesk.csv", override="tickets")
    # then that reading is used (qualtrics covers the legacy layout too)
    assert (generic.name, generic.header_rows) == ("generic", 1)
    assert legacy.name == "qualtrics_legacy"
    assert auto == detect("qualtrics.csv")
    assert (tickets.name, tickets.kind) == ("tickets", "support_tickets")


@pytest.mark.parametrize(
    ("name", "override", "message"),
    [
        (
            "google_forms.csv",
            "qualtrics",
            "Format 'qualtrics' was chosen, but the second and third header rows are not "
            "Qualtrics' question text and ImportId rows.",
        ),
        ("zendesk.csv", "surveymonkey", "no 'Respondent ID' column"),
        ("generic.tsv", "typeform", "Typeform's '#' column"),
        ("usage.csv", "google_forms", "no 'Timestamp' column"),
        ("usage.csv", "intercom", "no 'Conversation ID' column"),
        ("google_forms.csv", "zendesk", "no 'Subject' or 'Description' column"),
        ("google_forms.csv", "usage", "no column looks like a period or a usage count"),
        ("typeform.csv", "excel", "Unknown format 'excel'"),
    ],
)
def test_a_wrong_override_raises_a_clear_format_error(name, override, message):
    # given a file and a format it is not
    # when that format is forced
    with pytest.raises(FormatError) as error:
        detect(name, override=override)
    # then the error says why in one sentence
    assert message in str(error.value)
    assert str(error.value).endswith(".")


def test_an_empty_file_cannot_be_detected():
    with pytest.raises(FormatError, match="no header row"):
        detect_format([])
    with pytest.raises(FormatError, match="no header row"):
        detect_format([(1, ["", " "])])


def test_signature_is_stable_for_the_same_columns_and_differs_for_others():
    # given the same file read twice with different samples, two Qualtrics exports of one survey,
    # and files with other columns or another format
    first = detect_format(fixture_rows("qualtrics.csv")[:4])
    second = detect_format(fixture_rows("qualtrics.csv")[:6])
    other_export = detect("qualtrics_utf16.tsv")
    renamed = detect_format([(1, ["Date", "Email", "Comments"])])
    original = detect_format([(1, ["Date", "Email", "Comment"])])
    forced = detect("typeform.csv", override="generic")
    # then the signature depends on the format and the column keys only
    assert first.signature == second.signature == other_export.signature
    assert len(first.signature) == 64
    assert renamed.signature != original.signature
    assert forced.signature != detect("typeform.csv").signature
    assert detect("qualtrics_legacy.csv").signature != first.signature


def test_repeated_and_empty_headers_get_unique_keys():
    fmt = detect_format([(1, ["Comment", "", "Comment"])], override="generic")
    assert [column.key for column in fmt.columns] == ["Comment", "Column 2", "Comment (2)"]


def test_roles_available_depend_on_the_kind():
    assert Role.NPS in detect("generic.tsv").roles_available()
    assert Role.TICKET_ID not in detect("generic.tsv").roles_available()
    assert Role.SATISFACTION in detect("zendesk.csv").roles_available()
    assert detect("usage.csv").roles_available() == [
        Role.IGNORE,
        Role.CUSTOMER_ID,
        Role.PERIOD,
        Role.ACTIVE_USERS,
        Role.FEATURE,
        Role.TASK_ATTEMPTS,
        Role.TASK_SUCCESSES,
    ]


def test_single_valued_roles_are_proposed_once():
    # given a generic file with two date columns and two emails
    fmt = detect_format([(1, ["Created", "Submitted at", "Email", "E-mail", "Comment"])])
    # then one of each is proposed, preferring the submitted date
    assert fmt.proposed == {
        "Created": "ignore",
        "Submitted at": "submitted_at",
        "Email": "email",
        "E-mail": "ignore",
        "Comment": "comment",
    }


# --- mapping errors -------------------------------------------------------------------------


def test_mapping_errors_name_each_problem():
    fmt = detect("generic.tsv")
    mapping = {
        **fmt.proposed,
        "nope": "comment",
        "plan": "favourite",
        "segment": "ticket_id",
        "email": "response_id",
    }
    assert mapping_errors(fmt, mapping) == [
        "'favourite' is not a known role (column 'plan').",
        "Role 'ticket_id' does not apply to a survey import (column 'segment').",
        "Column 'nope' is not in this file.",
        "Only one column can be the response id, but 2 are: 'id', 'email'.",
    ]


def test_mapping_errors_for_a_survey_without_scores_comments_or_date():
    fmt = detect("generic.tsv")
    assert mapping_errors(fmt, {"id": "response_id"}) == [
        "A survey import needs at least one NPS, CSAT, CES or comment column.",
        "A survey import needs the column with the submitted date.",
    ]


def test_mapping_errors_for_tickets_and_usage():
    tickets = detect("zendesk.csv")
    usage = detect("usage.csv")
    assert mapping_errors(tickets, {"Id": "ticket_id"}) == [
        "A ticket import needs a subject or a body column.",
        "A ticket import needs the column with the created date.",
    ]
    assert mapping_errors(usage, {"task_successes": "task_successes"}) == [
        "A usage import needs a customer id column.",
        "A usage import needs a period column.",
        "A usage import needs at least one count: active users, a feature or task attempts.",
        "Task successes need a task attempts column to be checked against.",
    ]


def test_a_normalizer_refuses_an_unusable_mapping():
    fmt = detect("generic.tsv")
    with pytest.raises(FormatError, match="needs at least one NPS"):
        RowNormalizer(fmt, {"submitted_at": "submitted_at"}, default_timezone=BERLIN)


# --- surveys --------------------------------------------------------------------------------


def test_qualtrics_responses_become_one_record_per_comment_with_scores_on_the_first():
    # given the Qualtrics CSV with its proposed mapping
    # when every data row is normalised
    _, outputs = normalize_fixture("qualtrics.csv")
    records = records_of(outputs)
    # then a response with two comments gives two records, the scores only on the first
    first, second = by_response(records, "R_01xK9mQ2vLp7sT4")
    assert (first.question, first.nps, first.csat) == (
        "Was ist der wichtigste Grund für Ihre Bewertung?",
        6,
        2,
    )
    assert (second.question, second.nps, second.csat, second.ces) == (
        "Is there anything else you would like to tell us?",
        None,
        None,
        None,
    )
    assert first.external_id == "R_01xK9mQ2vLp7sT4:Q2"
    assert second.external_id == "R_01xK9mQ2vLp7sT4:Q4"
    assert first.text == "CSV exports time out when a report has more than 50k rows."
    assert {r.source for r in records} == {"survey"}
    # and each response counts once in NPS
    responses_with_nps = {r.metadata["response_id"] for r in records if r.nps is not None}
    assert len(responses_with_nps) == sum(1 for r in records if r.nps is not None) == 19


def test_qualtrics_preview_and_empty_responses_are_rejected_with_reasons():
    _, outputs = normalize_fixture("qualtrics.csv")
    assert [(r.line, r.reason) for r in rejections_of(outputs)] == [
        (7, "Survey preview response, not a customer's."),
        (19, "No score and no comment in this response."),
    ]
    _, outputs = normalize_fixture("qualtrics_utf16.tsv")
    assert [r.reason for r in rejections_of(outputs)] == [
        "Survey preview response, not a customer's."
    ]


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("Survey Preview", "Survey preview response, not a customer's."),
        ("1", "Survey preview response, not a customer's."),
        ("Survey Test", "Survey test response, not a customer's."),
        ("Spam", "Response flagged as spam by Qualtrics, not a customer's."),
    ],
)
def test_qualtrics_status_rejections_apply_whatever_the_mapping(status, reason):
    rows = fixture_rows("qualtrics.csv")
    fmt = detect_format(rows[:6])
    normalizer = RowNormalizer(fmt, fmt.proposed, default_timezone=BERLIN)
    line, cells = rows[3]
    cells = list(cells)
    cells[2] = status
    assert normalizer.normalize(line, cells) == RowRejection(line, reason)


def test_qualtrics_times_are_read_in_the_import_id_timezone():
    # given RecordedDate 2024-03-04 08:07:41 written in America/Denver (UTC-7 before DST)
    _, outputs = normalize_fixture("qualtrics.csv", default_timezone=dt.UTC)
    record = records_of(outputs)[0]
    # then the record is aware and at the right instant
    assert record.received_at == dt.datetime(2024, 3, 4, 15, 7, 41, tzinfo=dt.UTC)
    assert record.received_at.utcoffset() == dt.timedelta(hours=-7)


def test_qualtrics_quoted_newlines_labels_and_formulas_are_kept_as_text():
    _, outputs = normalize_fixture("qualtrics.csv")
    records = records_of(outputs)
    (multiline,) = by_response(records, "R_04xK9mQ2vLp7sT4")
    assert multiline.text == (
        "Exports keep failing.\nWe had to rebuild the quarterly report by hand twice."
    )
    (extremely,) = [r for r in by_response(records, "R_02xK9mQ2vLp7sT4") if r.nps is not None]
    (not_at_all,) = by_response(records, "R_06xK9mQ2vLp7sT4")
    assert (extremely.nps, not_at_all.nps) == (10, 0)
    formula = by_response(records, "R_08xK9mQ2vLp7sT4")[1]
    assert formula.text == '=HYPERLINK("https://evil.example/?q=1","Click for details")'


def test_a_response_with_scores_but_no_comment_is_one_record_without_text():
    # given R_07, who gave NPS 9 and CSAT "Very satisfied" and left both comments blank
    _, outputs = normalize_fixture("qualtrics.csv")
    (record,) = by_response(records_of(outputs), "R_07xK9mQ2vLp7sT4")
    # then one record carries the scores, with no text and no question
    assert (record.text, record.question, record.nps, record.csat) == ("", "", 9, 5)
    assert record.external_id == "R_07xK9mQ2vLp7sT4:Q1"


def test_survey_contact_fields_attributes_and_metadata():
    _, outputs = normalize_fixture("qualtrics.csv", channel="qualtrics-import", source_name="q1")
    records = records_of(outputs)
    (anna,) = by_response(records, "R_00xK9mQ2vLp7sT4")
    tom = by_response(records, "R_01xK9mQ2vLp7sT4")[0]
    lena = by_response(records, "R_05xK9mQ2vLp7sT4")[0]
    assert (tom.email, lena.email) == (
        "tom.miller@northwind.example",
        "lena.becker@stadtwerke.example",
    )
    assert anna.customer_external_id == "ACME-00012"
    assert anna.channel == "email"  # from DistributionChannel, over the normalizer's channel
    assert anna.line == 4
    assert anna.metadata == {
        "format": "qualtrics",
        "source_name": "q1",
        "response_id": "R_00xK9mQ2vLp7sT4",
        "attributes": {"User Language": "DE", "Plan": "Growth", "Region": "EMEA"},
    }


def test_channel_falls_back_to_the_normalizers_channel():
    _, normalizer = inline(SURVEY_HEADER, survey_row(), channel="in-app NPS")
    (record,) = normalizer.normalize(2, survey_row())
    assert record.channel == "in-app NPS"


def test_second_record_metadata_is_its_own_copy():
    _, outputs = normalize_fixture("qualtrics.csv")
    first, second = by_response(records_of(outputs), "R_01xK9mQ2vLp7sT4")
    assert first.metadata == second.metadata
    assert first.metadata is not second.metadata
    assert first.metadata["attributes"] is not second.metadata["attributes"]


@pytest.mark.parametrize(
    ("raw", "nps"),
    [
        ("9", 9),
        ("9.0", 9),
        (" 7 ", 7),
        ("10 - Extremely likely", 10),
        ("0 - Not at all likely", 0),
        ("Extremely likely", 10),
        ("", None),
    ],
)
def test_nps_values_are_parsed(raw, nps):
    _, normalizer = inline(SURVEY_HEADER, survey_row())
    (record,) = normalizer.normalize(2, survey_row(NPS=raw))
    assert record.nps == nps


@pytest.mark.parametrize("raw", ["11", "-1", "abc", "9.5"])
def test_nps_out_of_range_is_rejected_naming_column_and_value(raw):
    _, normalizer = inline(SURVEY_HEADER, survey_row())
    assert normalizer.normalize(2, survey_row(NPS=raw)) == RowRejection(
        2, f"NPS in column 'NPS' is '{raw}', not a score from 0 to 10."
    )


@pytest.mark.parametrize(
    ("raw", "csat"),
    [
        ("5", 5),
        ("Very satisfied", 5),
        ("very SATISFIED", 5),
        ("Satisfied", 4),
        ("Neutral", 3),
        ("Neither satisfied nor dissatisfied", 3),
        ("Dissatisfied", 2),
        ("Very dissatisfied", 1),
        ("4 - Satisfied", 4),
    ],
)
def test_csat_values_and_labels(raw, csat):
    header = ["Date", "CSAT", "Comment"]
    _, normalizer = inline(header, ["2024-03-01", "4", "ok then"])
    (record,) = normalizer.normalize(2, ["2024-03-01", raw, ""])
    assert record.csat == csat


def test_rejection_reasons_quote_braces_and_shorten_long_values():
    # given a header with braces and a long value where a score should be
    header = ["Date", "Score {0-10}"]
    _, normalizer = inline(
        header, ["2024-03-01", "7"], mapping={"Date": "submitted_at", "Score {0-10}": "nps"}
    )
    # when the row is normalised
    rejection = normalizer.normalize(2, ["2024-03-01", "I would not recommend this " * 40])
    # then the reason names the column and a shortened value
    assert rejection.reason.startswith("NPS in column 'Score {0-10}' is 'I would not recommend")
    assert rejection.reason.endswith("…', not a score from 0 to 10.")
    assert len(rejection.reason) < 200


def test_csat_and_ces_out_of_range_are_rejected():
    header = ["Date", "CSAT", "CES"]
    _, normalizer = inline(header, ["2024-03-01", "4", "6"])
    assert normalizer.normalize(2, ["2024-03-01", "6", "6"]).reason == (
        "CSAT in column 'CSAT' is '6', not a score from 1 to 5."
    )
    assert normalizer.normalize(3, ["2024-03-01", "5", "8"]).reason == (
        "CES in column 'CES' is '8', not a score from 1 to 7."
    )
    (record,) = normalizer.normalize(4, ["2024-03-01", "", "Strongly agree"])
    assert (record.csat, record.ces) == (None, 7)


def test_a_response_with_neither_score_nor_comment_is_rejected():
    _, normalizer = inline(SURVEY_HEADER, survey_row())
    assert normalizer.normalize(2, survey_row(NPS="", Comment="  ")) == RowRejection(
        2, "No score and no comment in this response."
    )


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("31/31/2024", "Submitted date '31/31/2024' is not a date."),
        ("yesterday", "Submitted date 'yesterday' is not a date."),
        ("", "No submitted date in this response."),
    ],
)
def test_missing_or_invalid_dates_are_rejected(raw, reason):
    _, normalizer = inline(SURVEY_HEADER, survey_row())
    assert normalizer.normalize(2, survey_row(Submitted=raw)) == RowRejection(2, reason)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-14 09:12:44", dt.datetime(2024, 3, 14, 9, 12, 44, tzinfo=BERLIN)),
        ("2024-03-14T09:12:44Z", dt.datetime(2024, 3, 14, 9, 12, 44, tzinfo=dt.UTC)),
        ("2024-03-14T09:12:44+01:00", dt.datetime(2024, 3, 14, 8, 12, 44, tzinfo=dt.UTC)),
        ("2024-03-14 09:12:44 UTC", dt.datetime(2024, 3, 14, 9, 12, 44, tzinfo=dt.UTC)),
        ("3/14/2024 9:12:44", dt.datetime(2024, 3, 14, 9, 12, 44, tzinfo=BERLIN)),
        ("03/14/2024 01:12:44 PM", dt.datetime(2024, 3, 14, 13, 12, 44, tzinfo=BERLIN)),
        ("14.03.2024 09:12", dt.datetime(2024, 3, 14, 9, 12, tzinfo=BERLIN)),
        ("2024-03-14", dt.datetime(2024, 3, 14, tzinfo=BERLIN)),
    ],
)
def test_dates_are_aware_naive_ones_in_the_default_timezone(raw, expected):
    _, normalizer = inline(SURVEY_HEADER, survey_row())
    (record,) = normalizer.normalize(2, survey_row(Submitted=raw))
    assert record.received_at == expected
    assert record.received_at.tzinfo is not None


def test_slash_dates_follow_the_order_seen_in_the_sample_for_the_whole_file():
    # given a file whose sample shows a day-first date
    _, normalizer = inline(SURVEY_HEADER, survey_row(Submitted="14/03/2024 09:00"))
    # when an ambiguous date comes later
    (record,) = normalizer.normalize(3, survey_row(Submitted="02/04/2024 09:00"))
    # then it is read day first too: 2 April, not 4 February
    assert record.received_at.date() == dt.date(2024, 4, 2)


def test_survey_without_response_id_has_no_external_id():
    _, outputs = normalize_fixture("google_forms.csv")
    records = records_of(outputs)
    assert {r.external_id for r in records} == {""}
    assert records[0].received_at == dt.datetime(2024, 3, 14, 9, 12, 44, tzinfo=BERLIN)
    assert records[0].email == "ana.perez@solar.example"
    assert records[1].email == "ben.carter@harvest.example"


def test_surveymonkey_us_dates_and_keys_in_external_ids():
    _, outputs = normalize_fixture("surveymonkey.csv")
    records = records_of(outputs)
    assert rejections_of(outputs) == []
    assert len(records) == 10
    assert records[0].received_at == dt.datetime(2024, 3, 11, 9, 15, 2, tzinfo=BERLIN)
    assert records[2].received_at == dt.datetime(2024, 3, 13, 13, 17, 2, tzinfo=BERLIN)
    assert records[0].external_id == (
        "114211657890:What is the primary reason for your score? / Open-Ended Response"
    )
    assert records[0].question == "What is the primary reason for your score?"
    assert [r.nps for r in records] == [9, 10, 3, 7, 8, 0, 6, 9, 10, 5]
    assert records[4].text == ""  # scores only
    assert records[2].metadata["attributes"] == {
        "Custom Data 1": "ACME-00402",
        "Which plan are you on?": "Other (please specify)",
        "Which plan are you on? / Other (please specify)": "Legacy 2019 plan",
    }


def test_typeform_dates_are_utc_whatever_the_default_timezone():
    _, outputs = normalize_fixture("typeform.csv", default_timezone=BERLIN)
    records = records_of(outputs)
    assert records[0].received_at == dt.datetime(2024, 3, 14, 9, 12, 44, tzinfo=dt.UTC)
    assert records[0].customer_external_id == "ACME-00501"
    assert (records[3].text, records[3].nps) == ("", 7)


def test_legacy_qualtrics_rows():
    _, outputs = normalize_fixture("qualtrics_legacy.csv")
    records = records_of(outputs)
    assert [r.reason for r in rejections_of(outputs)] == [
        "Survey preview response, not a customer's.",
        "No score and no comment in this response.",
    ]
    assert records[0].external_id == "R_3kD9x2LmQp7vTzA:Q2"
    assert records[0].received_at == dt.datetime(2016, 5, 2, 14, 13, 52, tzinfo=BERLIN)
    assert records[2].email == "grace.lee@hanriver.example"
    assert records[3].text == 'Support is slow to answer, "urgent" tickets wait days.'


def test_cp1252_semicolon_file_with_day_first_dates():
    _, outputs = normalize_fixture("generic_semicolon_cp1252.csv")
    records = records_of(outputs)
    assert records[0].text == "Le café de l'équipe support est top, et l'export est rapide."
    assert "49 €" in records[1].text
    assert records[2].received_at == dt.datetime(2024, 4, 2, 16, 5, tzinfo=BERLIN)
    assert records[0].metadata["attributes"] == {"Country": "France"}
    assert (records[5].text, records[5].nps, records[5].email) == ("", 8, "")


def test_carriage_returns_inside_a_cell_become_newlines():
    _, outputs = normalize_fixture("generic.tsv")
    records = records_of(outputs)
    assert records[1].text == "Took three calls to fix our import.\nStill not sure it's right."
    assert records[2].external_id == "fb-0003:csat"
    assert records[3].text.startswith("=HYPERLINK(")


def test_long_keys_are_hashed_to_fit_the_external_id():
    question = "Tell us " + "very " * 60 + "much"
    fmt, normalizer = inline(["id", "date", question], ["r-1", "2024-03-01", "some words here ok"])
    (record,) = normalizer.normalize(2, ["r-1", "2024-03-01", "Great"])
    assert len(record.external_id) <= 200
    assert record.external_id.startswith("r-1:k")
    (again,) = normalizer.normalize(3, ["r-1", "2024-03-01", "Great"])
    assert again.external_id == record.external_id


# --- row shape --------------------------------------------------------------------------------


def test_a_row_with_another_number_of_cells_is_rejected():
    _, normalizer = inline(SURVEY_HEADER, survey_row())
    assert normalizer.normalize(5, survey_row()[:5]) == RowRejection(
        5, "Row has 5 cells but the header has 7."
    )
    assert normalizer.normalize(6, [*survey_row(), "surprise"]) == RowRejection(
        6, "Row has 8 cells but the header has 7."
    )


def test_short_rows_are_padded_when_only_ignored_columns_are_missing():
    # given a header whose last columns are ignored
    header = ["Date", "Comment", "Browser", "Network ID"]
    mapping = {"Date": "submitted_at", "Comment": "comment"}
    _, normalizer = inline(header, ["2024-03-01", "Nice", "", ""], mapping=mapping)
    # when a row stops after the comment, or has a trailing empty cell
    (short,) = normalizer.normalize(2, ["2024-03-01", "Nice"])
    (long,) = normalizer.normalize(3, ["2024-03-01", "Nice", "", "", ""])
    # then nothing mapped was lost, so the rows are read
    assert short.text == long.text == "Nice"
    # but a row missing a mapped cell is rejected
    assert normalizer.normalize(4, ["2024-03-01"]).reason == "Row has 1 cells but the header has 4."


def test_blank_rows_yield_nothing():
    _, survey = inline(SURVEY_HEADER, survey_row())
    _, tickets = inline(["ticket_id", "created", "subject"], ["1", "2024-03-01", "Help"])
    assert survey.normalize(9, [""] * 7) == []
    assert survey.normalize(9, []) == []
    assert tickets.normalize(9, ["", " ", ""]) == []


# --- tickets ----------------------------------------------------------------------------------


def test_zendesk_tickets():
    _, outputs = normalize_fixture("zendesk.csv", channel="zendesk")
    records = records_of(outputs)
    assert rejections_of(outputs) == []
    first = records[0]
    assert first.source == "support_ticket"
    assert first.text == (
        "CSV export times out\n\nHi,\n\nour monthly CSV export times out after 30 seconds.\n"
        "Can you help?\n\nThanks, Tom"
    )
    assert first.external_id == "48210"
    assert first.received_at == dt.datetime(2024, 3, 11, 8, 14, tzinfo=BERLIN)
    assert first.channel == "Email"
    assert first.metadata == {
        "format": "zendesk",
        "tags": ["export", "performance"],
        "status": "solved",
        "attributes": {"Priority": "High", "Organization": "Northwind"},
    }
    # Good → 5, Offered → None, Unoffered → None, Bad → 1, empty → None
    assert [r.csat for r in records[:6]] == [5, None, None, 1, 5, None]
    assert records[1].email == "sofia.garcia@andes-foods.example"


def test_intercom_conversations():
    _, outputs = normalize_fixture("intercom.csv")
    records = records_of(outputs)
    assert [r.csat for r in records] == [5, 1, None, 4, 3, 2]
    assert records[0].text == "Hey, how do I export a report to CSV?"
    assert records[1].text == "SSO outage\n\nSSO is broken again.\nNobody on our team can log in."
    assert records[0].metadata["tags"] == ["Export", "Resolved"]
    assert records[0].customer_external_id == "ACME-00031"
    assert records[0].received_at == dt.datetime(2024, 3, 12, 10, 0, 33, tzinfo=dt.UTC)
    assert records[5].email == ""


def test_generic_tickets():
    _, outputs = normalize_fixture("tickets_generic.csv")
    records = records_of(outputs)
    assert records[0].received_at == dt.datetime(2024, 3, 18, 8, 12, 44, tzinfo=dt.UTC)
    assert records[0].metadata["tags"] == ["export", "pdf"]
    assert records[2].text == "Data from yesterday is missing in all dashboards."
    assert records[5].text == "Thank you!"
    assert [r.csat for r in records] == [4, None, 2, 5, 1, 5]


def test_a_ticket_without_text_or_with_a_bad_rating_is_rejected():
    header = ["ticket_id", "created", "subject", "description", "satisfaction_rating"]
    _, normalizer = inline(header, ["1", "2024-03-01", "Help", "Please", "5"])
    assert normalizer.normalize(2, ["1", "2024-03-01", " ", "", "5"]) == RowRejection(
        2, "Ticket has no subject and no description."
    )
    assert normalizer.normalize(3, ["2", "2024-03-01", "Help", "", "7"]) == RowRejection(
        3, "Satisfaction in column 'satisfaction_rating' is '7', not a rating from 1 to 5."
    )
    assert normalizer.normalize(4, ["3", "soon", "Help", "", ""]) == RowRejection(
        4, "Created date 'soon' is not a date."
    )


# --- usage ------------------------------------------------------------------------------------


def test_usage_rows():
    _, outputs = normalize_fixture("usage.csv")
    records = records_of(outputs)
    assert rejections_of(outputs) == []
    assert all(isinstance(r, UsageRecord) for r in records)
    assert [r.period for r in records[:9]] == [
        dt.date(2024, month, 1) for _ in range(3) for month in (1, 2, 3)
    ]
    big = records[3]
    assert (big.active_users, big.task_attempts, big.task_successes) == (1234, 9870, 9012)
    assert big.feature_adoption == {"export": 310, "dashboards": 1102, "alerts": 88}
    small = records[8]
    assert (small.active_users, small.task_attempts) == (7, 52)
    assert small.feature_adoption == {"export": 0, "dashboards": 6}  # blank alerts: unknown
    assert small.line == 10


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("2024-03", dt.date(2024, 3, 1)),
        ("2024-03-17", dt.date(2024, 3, 1)),
        ("3/2024", dt.date(2024, 3, 1)),
        ("03/2024", dt.date(2024, 3, 1)),
        ("2024-03-01T00:00:00Z", dt.date(2024, 3, 1)),
        ("Mar 2024", dt.date(2024, 3, 1)),
    ],
)
def test_usage_periods_become_the_first_of_the_month(period, expected):
    header = ["account_id", "month", "active_users"]
    _, normalizer = inline(header, ["A-1", "2024-01", "3"])
    (record,) = normalizer.normalize(2, ["A-1", period, "3"])
    assert record.period == expected


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["A-1", "2024-13", "3", "1", "1"], "Period '2024-13' is not a month."),
        (["A-1", "", "3", "1", "1"], "No period in this row."),
        (["", "2024-03", "3", "1", "1"], "No customer id in this row."),
        (
            ["A-1", "2024-03", "-3", "1", "1"],
            "Active users in column 'active_users' is '-3', not a count.",
        ),
        (
            ["A-1", "2024-03", "many", "1", "1"],
            "Active users in column 'active_users' is 'many', not a count.",
        ),
        (
            ["A-1", "2024-03", "3", "10", "12"],
            "Task successes (12) are more than task attempts (10).",
        ),
    ],
)
def test_usage_rejections(row, reason):
    header = ["account_id", "period", "active_users", "task_attempts", "task_successes"]
    _, normalizer = inline(header, ["A-1", "2024-01", "3", "1", "1"])
    assert normalizer.normalize(2, row) == RowRejection(2, reason)


def test_usage_feature_count_that_is_not_a_count_is_rejected():
    header = ["account_id", "period", "feature_export"]
    _, normalizer = inline(header, ["A-1", "2024-01", "3"])
    assert normalizer.normalize(2, ["A-1", "2024-01", "2.5"]) == RowRejection(
        2, "Feature 'feature_export' is '2.5', not a count."
    )


# --- XLSX -------------------------------------------------------------------------------------


def test_an_xlsx_survey_read_back_as_strings(tmp_path):
    # given a workbook as Excel saves it: dates as datetimes, scores as floats
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Submitted", "Email", "NPS", "What could we do better?", "Region"])
    # Excel keeps wall-clock times without a zone, so the cells hold naive datetimes.
    first_time = dt.datetime(2024, 3, 14, 9, 12, 44)  # noqa: DTZ001
    second_time = dt.datetime(2024, 3, 15, 10, 0)  # noqa: DTZ001
    sheet.append([first_time, "A@B.example", 9.0, "Faster exports", "EMEA"])
    sheet.append([second_time, None, 3, "=1+1", "APAC"])
    path = tmp_path / "survey.xlsx"
    workbook.save(path)
    # when it is read back into rows of strings
    rows = []
    for line, values in enumerate(
        openpyxl.load_workbook(path, read_only=True).active.iter_rows(values_only=True), start=1
    ):
        cells = [
            ""
            if value is None
            else value.isoformat(sep=" ")
            if isinstance(value, dt.datetime)
            else str(value)
            for value in values
        ]
        rows.append((line, cells))
    fmt = detect_format(rows)
    normalizer = RowNormalizer(fmt, fmt.proposed, default_timezone=BERLIN)
    first, second = (normalizer.normalize(line, cells)[0] for line, cells in rows[1:])
    # then it is a generic survey and its values parse
    assert fmt.name == "generic"
    assert (first.nps, first.email, first.text) == (9, "a@b.example", "Faster exports")
    assert first.received_at == dt.datetime(2024, 3, 14, 9, 12, 44, tzinfo=BERLIN)
    assert (second.nps, second.text) == (3, "=1+1")


def test_columns_are_plain_frozen_values():
    column = Column(index=0, key="Q1", label="How likely…")
    assert column == Column(0, "Q1", "How likely…")
    with pytest.raises(AttributeError):
        column.key = "Q2"
