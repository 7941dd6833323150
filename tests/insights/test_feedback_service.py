import datetime as dt

import pytest
from django.db import connection

from insights.models import Feedback
from insights.records import FeedbackRecord
from insights.services.feedback import feedback_content_hash, feedback_records_insert
from insights.services.matching import CustomerMatcher
from tests.insights.factories import ContactFactory, CustomerFactory, ImportJobFactory

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2026, 3, 5, 14, 22, tzinfo=dt.UTC)


def record(**overrides) -> FeedbackRecord:
    values = {
        "source": Feedback.Source.SURVEY,
        "received_at": WHEN,
        "text": "Exports time out on big reports",
        "nps": 4,
    }
    values.update(overrides)
    return FeedbackRecord(**values)


def test_new_records_are_stored_with_their_fields_and_job():
    # Given a job and two records, one with a formula and a newline in its text
    job = ImportJobFactory()
    records = [
        record(external_id="R1:Q2", text='=HYPERLINK("http://x","y")\nsecond line', csat=2),
        record(external_id="R2:Q2", text="Love the dashboards", nps=10, metadata={"k": "v"}),
    ]

    # When they are inserted
    result = feedback_records_insert(
        records=records, matcher=CustomerMatcher.load(), import_job_id=job.pk
    )

    # Then both are stored exactly as given
    assert (result.created, result.duplicates, result.unmatched) == (2, 0, 2)
    stored = {f.external_id: f for f in Feedback.objects.all()}
    assert stored["R1:Q2"].text == '=HYPERLINK("http://x","y")\nsecond line'
    assert stored["R1:Q2"].csat == 2
    assert stored["R1:Q2"].ces is None
    assert stored["R1:Q2"].channel == ""
    assert stored["R2:Q2"].metadata == {"k": "v"}
    assert stored["R2:Q2"].received_at == WHEN
    assert {f.import_job_id for f in stored.values()} == {job.pk}
    assert stored["R1:Q2"].content_hash == feedback_content_hash(records[0])


def test_inserting_the_same_records_twice_stores_them_once():
    records = [record(external_id="R1:Q2"), record(text="Another one", external_id="")]
    matcher = CustomerMatcher.load()
    feedback_records_insert(records=records, matcher=matcher)

    again = feedback_records_insert(records=records, matcher=matcher)

    assert (again.created, again.duplicates) == (0, 2)
    assert Feedback.objects.count() == 2


def test_a_record_repeated_within_one_batch_is_stored_once():
    result = feedback_records_insert(records=[record(), record()], matcher=CustomerMatcher.load())
    assert (result.created, result.duplicates) == (1, 1)


def test_same_response_id_with_other_content_is_a_duplicate():
    matcher = CustomerMatcher.load()
    feedback_records_insert(records=[record(external_id="R9:Q1")], matcher=matcher)

    result = feedback_records_insert(
        records=[record(external_id="R9:Q1", text="edited later")], matcher=matcher
    )

    assert result.duplicates == 1


def test_respondents_match_by_email_then_domain_then_external_id():
    # Given a contact at one account and two other accounts
    contact = ContactFactory(email="ana@acme.example")
    by_domain = CustomerFactory(domain="globex.example")
    by_external_id = CustomerFactory(external_id="ACC-77", domain="")
    records = [
        record(text="a", email="ANA@acme.example "),
        record(text="b", email="bob@globex.example"),
        record(text="c", customer_external_id="ACC-77"),
        record(text="d", email="someone@gmail.com"),
    ]

    result = feedback_records_insert(records=records, matcher=CustomerMatcher.load())

    stored = {f.text: f for f in Feedback.objects.all()}
    assert (stored["a"].customer_id, stored["a"].contact_id) == (contact.customer_id, contact.pk)
    assert stored["b"].customer_id == by_domain.pk
    assert stored["c"].customer_id == by_external_id.pk
    assert stored["d"].customer_id is None
    assert result.unmatched == 1


def test_a_domain_shared_by_two_accounts_matches_neither():
    CustomerFactory(domain="shared.example")
    CustomerFactory(domain="shared.example")

    feedback_records_insert(
        records=[record(email="x@shared.example")], matcher=CustomerMatcher.load()
    )

    assert Feedback.objects.get().customer_id is None


def test_a_row_stored_by_another_writer_meanwhile_is_a_duplicate_not_an_error(monkeypatch):
    # Given a record already stored, and a look-up that misses it (another writer raced us)
    from django.db import connection

    from insights.services import feedback as service

    if connection.vendor != "postgresql":
        pytest.skip("the COPY fast path and its fallback are PostgreSQL's")
    matcher = CustomerMatcher.load()
    feedback_records_insert(records=[record(external_id="R1:Q2")], matcher=matcher)
    monkeypatch.setattr(service, "_stored_keys_postgresql", lambda rows: (set(), set()))

    # When it comes again with a new one
    result = feedback_records_insert(
        records=[record(external_id="R1:Q2"), record(external_id="R2:Q2", text="new")],
        matcher=matcher,
    )

    # Then the unique constraints catch it and the batch still stores the new one only
    assert (result.created, result.duplicates) == (1, 1)
    assert Feedback.objects.count() == 2


def test_text_with_copy_special_characters_round_trips():
    # Given texts and metadata with backslashes, tabs, carriage returns and quotes
    text = 'C:\\exports\\q3.csv\tfailed\r\nwith "quotes" and \\N and \\t literally'
    records = [
        record(external_id="R1:Q2", text=text, channel="web\tform"),
        record(external_id="R2:Q2", text="x", metadata={"path": "a\\b", "note": 'say "hi"\n'}),
    ]

    # When they are inserted
    feedback_records_insert(records=records, matcher=CustomerMatcher.load())

    # Then they are stored exactly as given
    stored = {f.external_id: f for f in Feedback.objects.all()}
    assert stored["R1:Q2"].text == text
    assert stored["R1:Q2"].channel == "web\tform"
    assert stored["R2:Q2"].metadata == {"path": "a\\b", "note": 'say "hi"\n'}


@pytest.mark.parametrize("expect_duplicates", [False, True])
def test_a_batch_partly_stored_already_stores_only_the_new_rows(expect_duplicates):
    # Given one record stored, and a batch that repeats it among new ones
    from insights.services.feedback import feedback_batch_prepare, feedback_batch_store

    matcher = CustomerMatcher.load()
    feedback_records_insert(records=[record(external_id="R1:Q2")], matcher=matcher)
    batch = feedback_batch_prepare(
        records=[
            record(external_id="R0:Q2", text="before"),
            record(external_id="R1:Q2"),
            record(external_id="R2:Q2", text="after"),
            record(external_id="R2:Q2", text="after"),
        ],
        matcher=matcher,
        import_job_id=None,
        copy_lines=connection.vendor == "postgresql",
    )

    # When it is stored, the stored keys looked up first or after a refused COPY
    result = feedback_batch_store(batch=batch, expect_duplicates=expect_duplicates)

    # Then the two new rows are stored once each, the others counted as duplicates
    assert (result.created, result.duplicates) == (2, 2)
    assert sorted(Feedback.objects.values_list("external_id", flat=True)) == [
        "R0:Q2",
        "R1:Q2",
        "R2:Q2",
    ]
