"""The ingest API (POST /api/feedback/, /api/customers/, /api/usage/) and the feedback filters.

Every client here authenticates with a token, as an integration would.
"""

import datetime as dt
import math
import threading
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from insights.api import feedback as feedback_api
from insights.models import Contact, Customer, Feedback, IdempotencyKey, UsageSnapshot
from insights.roles import Role, roles_sync
from insights.services import idempotency
from insights.services.idempotency import idempotency_keys_purge
from tests.conftest import user_with_role
from tests.insights.factories import (
    ContactFactory,
    CustomerFactory,
    FeedbackFactory,
    ThemeFactory,
    UsageSnapshotFactory,
)

pytestmark = pytest.mark.django_db

FEEDBACK = reverse("api:feedback-list")
CUSTOMERS = reverse("api:customer-list")
USAGE = reverse("api:usage")
MARCH = "2026-03-05T14:22:00Z"


def token_client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def admin_api(role_admin) -> APIClient:
    return token_client(role_admin)


def item(**overrides) -> dict:
    values = {"text": "Exports time out on big reports", "received_at": MARCH, "nps": 4}
    values.update(overrides)
    return values


def items(count: int, **overrides) -> list[dict]:
    return [item(text=f"Export number {n} timed out", **overrides) for n in range(count)]


# ------------------------------------------------------------------------------------------------
# POST /api/feedback/
# ------------------------------------------------------------------------------------------------


def test_a_single_item_is_stored_with_its_fields(admin_api):
    # Given one item with every field
    body = item(
        source="survey",
        channel="in-app NPS",
        question="How likely are you to recommend us?",
        external_id="R1",
        csat=2,
        ces=6,
        metadata={"plan": "growth", "tags": ["export"]},
    )

    # When it is posted
    response = admin_api.post(FEEDBACK, body, format="json")

    # Then it is stored as sent, unmatched to any account
    assert response.status_code == 201
    assert response.json() == {"created": 1, "duplicates": 0, "unmatched": 1}
    stored = Feedback.objects.get()
    assert (stored.source, stored.channel, stored.external_id) == ("survey", "in-app NPS", "R1")
    assert (stored.nps, stored.csat, stored.ces) == (4, 2, 6)
    assert stored.received_at == dt.datetime(2026, 3, 5, 14, 22, tzinfo=dt.UTC)
    assert stored.metadata == {"plan": "growth", "tags": ["export"]}
    assert stored.customer is None


def test_posted_feedback_is_analysed_after_the_commit_when_switched_on(
    admin_api, settings, django_capture_on_commit_callbacks
):
    # Given analysis on arrival (on in production; tasks run in-process here)
    settings.BACKLIGHT_ANALYZE_ON_ARRIVAL = True

    # When two items are posted, one a duplicate of the other
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_api.post(
            FEEDBACK, [item(text="Mail me at ana@acme.example"), item()], format="json"
        )

    # Then one analysis task was queued after the commit, and it redacted both new items
    assert response.status_code == 201
    assert len(callbacks) == 1
    assert set(Feedback.objects.values_list("redacted_text", flat=True)) == {
        "Mail me at [EMAIL]",
        "Exports time out on big reports",
    }
    assert all(Feedback.objects.values_list("sentiment_label", flat=True))


def test_posted_feedback_is_not_analysed_in_the_request_when_switched_off(admin_api):
    admin_api.post(FEEDBACK, item(), format="json")
    assert Feedback.objects.get().text_version == ""


@override_settings(TIME_ZONE="Europe/Berlin")
def test_defaults_source_to_api_and_reads_a_naive_time_in_the_site_zone(admin_api):
    # Given an item with neither source nor offset (Berlin is UTC+1 in March)
    body = {"text": "Dark mode please", "received_at": "2026-03-05T10:00:00"}

    # When it is posted
    response = admin_api.post(FEEDBACK, body, format="json")

    # Then it came from the API, at 09:00 UTC
    assert response.status_code == 201
    stored = Feedback.objects.get()
    assert stored.source == Feedback.Source.API
    assert stored.received_at == dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC)


def test_a_batch_is_stored_and_matched_to_accounts(admin_api):
    # Given an account known by its contact, one by its domain, and a batch naming them
    contact = ContactFactory(email="ann@acme.example")
    globex = CustomerFactory(external_id="GLOBEX", domain="globex.example")
    batch = [
        item(text="Slow exports", email="Ann@Acme.example"),
        item(text="Slow dashboards", email="bob@globex.example"),
        item(text="Slow search", customer="GLOBEX"),
        item(text="Slow everything", email="someone@gmail.com"),
    ]

    # When it is posted
    response = admin_api.post(FEEDBACK, batch, format="json")

    # Then each is linked to its account, the last one to none
    assert response.status_code == 201
    assert response.json() == {"created": 4, "duplicates": 0, "unmatched": 1}
    by_text = {f.text: f for f in Feedback.objects.all()}
    assert by_text["Slow exports"].contact == contact
    assert by_text["Slow exports"].customer == contact.customer
    assert by_text["Slow dashboards"].customer == globex
    assert by_text["Slow search"].customer == globex
    assert by_text["Slow everything"].customer is None


def test_posting_again_counts_duplicates_and_stores_nothing_new(admin_api):
    # Given a batch already posted: one item with an external id, one without
    batch = [item(external_id="R1"), item(text="Love the new charts", nps=10)]
    admin_api.post(FEEDBACK, batch, format="json")

    # When the same items are posted again, the first one even edited since
    again = [item(external_id="R1", text="edited"), item(text="Love the new charts", nps=10)]
    response = admin_api.post(FEEDBACK, again, format="json")

    # Then both are duplicates, the answer is 200 (nothing was created), and nothing changed
    assert response.status_code == 200
    assert response.json() == {"created": 0, "duplicates": 2, "unmatched": 0}
    assert Feedback.objects.count() == 2


def test_the_same_moment_with_another_offset_is_a_duplicate(admin_api):
    admin_api.post(FEEDBACK, item(received_at="2026-03-05T14:22:00Z"), format="json")

    response = admin_api.post(
        FEEDBACK, item(received_at="2026-03-05T15:22:00+01:00"), format="json"
    )

    assert response.json()["duplicates"] == 1


def test_more_than_1000_items_are_refused_and_nothing_is_stored(admin_api):
    # Given 1,001 valid items
    batch = items(1001)

    # When they are posted
    response = admin_api.post(FEEDBACK, batch, format="json")

    # Then the request is refused with a message that says why
    assert response.status_code == 400
    assert "at most 1,000 items" in response.json()["detail"]
    assert "1,001" in response.json()["detail"]
    assert Feedback.objects.count() == 0


def test_exactly_1000_items_are_accepted(admin_api):
    response = admin_api.post(FEEDBACK, items(1000), format="json")

    assert response.status_code == 201
    assert response.json()["created"] == 1000


def test_an_invalid_item_in_a_batch_is_named_by_its_index_and_nothing_is_stored(admin_api):
    # Given a batch whose fourth item has an NPS of 11 and whose sixth has no date
    batch = items(6)
    batch[3]["nps"] = 11
    del batch[5]["received_at"]

    # When it is posted
    response = admin_api.post(FEEDBACK, batch, format="json")

    # Then the errors name those items and their fields, and nothing of the batch is stored
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"3", "5"}
    assert list(body["errors"]["3"]) == ["nps"]
    assert list(body["errors"]["5"]) == ["received_at"]
    assert body["detail"] == "2 of 6 items are invalid; nothing was stored."
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nps", -1),
        ("csat", 0),
        ("csat", 6),
        ("ces", 8),
        ("source", "carrier-pigeon"),
        ("email", "not-an-email"),
        ("received_at", "yesterday"),
        ("metadata", ["not", "an", "object"]),
        ("metadata", {"key": "nul\x00byte"}),
        ("metadata", {"nul\x00key": 1}),
        ("channel", "x" * 101),
    ],
)
def test_a_single_invalid_item_gets_errors_by_field(admin_api, field, value):
    response = admin_api.post(FEEDBACK, item(**{field: value}), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert Feedback.objects.count() == 0


def test_free_form_json_with_a_lone_surrogate_is_refused(admin_api):
    # JSON may escape half of a UTF-16 pair; no database can store the result.
    body = '{"text": "x", "received_at": "2026-03-05T14:22:00Z", "metadata": {"k": "\\ud800"}}'

    response = admin_api.post(FEEDBACK, body, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["metadata"]


def test_an_item_needs_a_text_or_a_score(admin_api):
    response = admin_api.post(FEEDBACK, {"received_at": MARCH}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"non_field_errors": ["Give a text, a score, or both."]}


@pytest.mark.parametrize("body", [[], "text", 42, ["not an object"]])
def test_the_body_must_be_an_object_or_a_non_empty_array_of_objects(admin_api, body):
    response = admin_api.post(FEEDBACK, body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]


def test_malformed_json_is_a_400_and_form_data_a_415(admin_api):
    malformed = admin_api.post(FEEDBACK, "{not json", content_type="application/json")
    form = admin_api.post(FEEDBACK, {"text": "x"}, format="multipart")

    assert malformed.status_code == 400
    assert form.status_code == 415


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_upload_limit_is_refused_before_parsing(admin_api):
    response = admin_api.post(FEEDBACK, items(30), format="json")

    assert response.status_code == 413
    assert Feedback.objects.count() == 0


def insert_statements(*, rows: int, columns: int) -> int:
    """How many INSERT statements Django's bulk_create makes: one on PostgreSQL; on SQLite as
    many as it takes to stay under 999 bound parameters per statement."""
    per_statement = connection.ops.bulk_batch_size(["column"] * columns, [None] * rows)
    return math.ceil(rows / per_statement)


# Token, permissions ×2, matcher ×2, savepoints; then PostgreSQL: temporary table, COPY,
# INSERT … ON CONFLICT, DROP; SQLite: two look-ups, then the INSERT statements.
BULK_POST_QUERIES = {"postgresql": 12, "sqlite": 10}


@pytest.mark.parametrize("size", [1, 100])
def test_a_batch_costs_the_same_queries_whatever_its_size(
    admin_api, django_assert_max_num_queries, size
):
    # Given accounts to match against and a batch of `size` items, half with an email
    ContactFactory.create_batch(5)
    batch = [
        item(text=f"Item {n}", email=f"p{n}@customer{n % 3}.example" if n % 2 else "")
        for n in range(size)
    ]
    expected = BULK_POST_QUERIES[connection.vendor] + insert_statements(rows=size, columns=20)

    # When it is posted
    with django_assert_max_num_queries(expected):
        response = admin_api.post(FEEDBACK, batch, format="json")

    # Then the queries did not grow with the items (beyond SQLite's statement size)
    assert response.json()["created"] == size


# ------------------------------------------------------------------------------------------------
# Idempotency-Key
# ------------------------------------------------------------------------------------------------


def test_a_repeat_with_the_same_key_and_body_replays_the_first_answer(admin_api):
    # Given a batch posted with a key
    batch = items(3)
    first = admin_api.post(FEEDBACK, batch, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # When the very same request is sent again
    again = admin_api.post(FEEDBACK, batch, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # Then the first answer comes back as it was (not "3 duplicates"), marked as a replay,
    # and nothing more was stored
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"created": 3, "duplicates": 0, "unmatched": 3}
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Feedback.objects.count() == 3
    stored = IdempotencyKey.objects.get()
    assert (stored.key, stored.endpoint, stored.response_status) == ("k-1", "feedback-create", 201)


def test_the_same_body_with_other_spacing_or_key_order_is_the_same_request(admin_api):
    admin_api.post(
        FEEDBACK,
        '{"text": "Slow", "received_at": "2026-03-05T14:22:00Z"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    again = admin_api.post(
        FEEDBACK,
        '{"received_at":"2026-03-05T14:22:00Z","text":"Slow"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"


def test_the_same_key_with_another_body_is_refused_with_422(admin_api):
    admin_api.post(FEEDBACK, items(2), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = admin_api.post(FEEDBACK, items(3), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 422
    assert "already used for a different request" in response.json()["detail"]
    assert Feedback.objects.count() == 2


def test_the_same_key_on_another_endpoint_is_refused_with_422(admin_api):
    CustomerFactory(external_id="ACME")
    body = {"customer": "ACME", "period": "2026-03", "text": "x", "received_at": MARCH}
    admin_api.post(FEEDBACK, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = admin_api.post(USAGE, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 422
    assert UsageSnapshot.objects.count() == 0


def test_keys_belong_to_their_user(admin_api):
    # Given a key used by one admin
    other_admin = token_client(user_with_role(Role.ADMIN, username="other_admin"))
    admin_api.post(FEEDBACK, items(2), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # When another admin sends another body with the same key
    response = other_admin.post(
        FEEDBACK, [item(text="mine")], format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    # Then it is a new request of theirs
    assert response.status_code == 201
    assert IdempotencyKey.objects.count() == 2


def test_a_refused_request_does_not_use_up_its_key(admin_api):
    # Given a request refused for an invalid item
    batch = items(2)
    batch[1]["nps"] = 99
    refused = admin_api.post(FEEDBACK, batch, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # When the corrected request is sent with the same key
    batch[1]["nps"] = 9
    response = admin_api.post(FEEDBACK, batch, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # Then it is done
    assert refused.status_code == 400
    assert response.status_code == 201
    assert response.json()["created"] == 2


@pytest.mark.parametrize("key", ["", "   ", "k" * 201])
def test_an_empty_or_too_long_key_is_refused(admin_api, key):
    response = admin_api.post(FEEDBACK, items(1), format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert Feedback.objects.count() == 0


def test_a_request_that_lost_the_race_for_its_key_returns_the_winners_answer(
    admin_api, monkeypatch
):
    # Given a first request done with a key, and a second one that does not see the stored key
    # when it looks (the first had not committed yet), so that its claim hits the constraint
    batch = items(2)
    first = admin_api.post(FEEDBACK, batch, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    real_stored = idempotency._stored
    lookups = []

    def stored_after_the_first_look(**kwargs):
        lookups.append(kwargs)
        return None if len(lookups) == 1 else real_stored(**kwargs)

    monkeypatch.setattr(idempotency, "_stored", stored_after_the_first_look)

    # When the second request is made
    second = admin_api.post(FEEDBACK, batch, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    # Then it returns the first one's answer after its claim failed
    assert len(lookups) == 2
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Feedback.objects.count() == 2


def test_a_key_whose_answer_vanished_after_a_lost_race_gets_409(admin_api, monkeypatch):
    admin_api.post(FEEDBACK, items(1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    monkeypatch.setattr(idempotency, "_stored", lambda **kwargs: None)

    response = admin_api.post(FEEDBACK, items(1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 409


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent transactions: the SQLite test database is in memory",
)
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_with_one_key_are_done_once(monkeypatch):
    # Given two clients of one admin, and a store slow enough for their requests to overlap
    # (an earlier transactional test may have flushed the role groups the migration made)
    roles_sync(group_model=Group, permission_model=Permission)
    user = user_with_role(Role.ADMIN, username="racing_admin")
    clients = [token_client(user), token_client(user)]
    real_insert = feedback_api.feedback_records_insert
    started = threading.Event()

    def slow_insert(**kwargs):
        started.set()
        threading.Event().wait(0.5)
        return real_insert(**kwargs)

    monkeypatch.setattr(feedback_api, "feedback_records_insert", slow_insert)
    batch = items(5)
    responses = [None, None]

    def post(index: int) -> None:
        try:
            responses[index] = clients[index].post(
                FEEDBACK, batch, format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
        finally:
            connection.close()

    # When both send the same request with the same key at the same time
    first = threading.Thread(target=post, args=(0,))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=post, args=(1,))
    second.start()
    first.join(20)
    second.join(20)

    # Then the second waited for the first and returned its answer; the work was done once
    assert [r.status_code for r in responses] == [201, 201]
    expected = {"created": 5, "duplicates": 0, "unmatched": 5}
    assert responses[0].json() == responses[1].json() == expected
    assert responses[1]["Idempotent-Replayed"] == "true"
    assert Feedback.objects.count() == 5
    assert IdempotencyKey.objects.count() == 1


def test_purge_deletes_keys_older_than_asked(role_admin):
    # Given a fresh key and one from two days ago
    fresh = IdempotencyKey.objects.create(
        user=role_admin,
        key="new",
        endpoint="e",
        request_sha256="0",
        response_status=201,
        response_body={},
    )
    old = IdempotencyKey.objects.create(
        user=role_admin,
        key="old",
        endpoint="e",
        request_sha256="0",
        response_status=201,
        response_body={},
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(
        created_at=fresh.created_at - dt.timedelta(days=2)
    )

    # When keys older than a day are purged
    deleted = idempotency_keys_purge(older_than=dt.timedelta(hours=24))

    # Then only the old one is gone
    assert deleted == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


# ------------------------------------------------------------------------------------------------
# Who may write
# ------------------------------------------------------------------------------------------------

WRITES = [FEEDBACK, CUSTOMERS, USAGE]


@pytest.mark.parametrize("path", WRITES)
@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.ENGINEER, Role.EXECUTIVE, None])
def test_only_admins_may_write(path, role):
    client = token_client(user_with_role(role))

    response = client.post(path, item(), format="json")

    assert response.status_code == 403
    assert Feedback.objects.count() == 0


@pytest.mark.parametrize("path", WRITES)
def test_anonymous_writes_get_401_with_a_token_challenge(path):
    response = token_client().post(path, item(), format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_wrong_token_gets_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.post(FEEDBACK, item(), format="json").status_code == 401


# ------------------------------------------------------------------------------------------------
# GET /api/feedback/ filters
# ------------------------------------------------------------------------------------------------


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_feedback_list_filters_by_received_dates(admin_api):
    early = FeedbackFactory(received_at=dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC))
    march = FeedbackFactory(received_at=dt.datetime(2026, 3, 31, 23, tzinfo=dt.UTC))
    late = FeedbackFactory(received_at=dt.datetime(2026, 4, 1, 0, tzinfo=dt.UTC))

    in_march = admin_api.get(FEEDBACK, {"received_from": "2026-03-01", "received_to": "2026-03-31"})
    since_march = admin_api.get(FEEDBACK, {"received_from": "2026-03-01"})
    until_march = admin_api.get(FEEDBACK, {"received_to": "2026-03-31"})
    everything = admin_api.get(
        FEEDBACK, {"received_from": "0001-01-01", "received_to": "9999-12-31"}
    )

    assert _ids(in_march) == {march.pk}
    assert _ids(since_march) == {march.pk, late.pk}
    assert _ids(until_march) == {early.pk, march.pk}
    assert _ids(everything) == {early.pk, march.pk, late.pk}


def test_feedback_list_filters_by_source(admin_api):
    review = FeedbackFactory(source=Feedback.Source.REVIEW)
    FeedbackFactory(source=Feedback.Source.SURVEY)

    assert _ids(admin_api.get(FEEDBACK, {"source": "review"})) == {review.pk}


def test_feedback_list_filters_by_customer_external_id(admin_api):
    mine = FeedbackFactory(customer=CustomerFactory(external_id="ACME-1"))
    FeedbackFactory(customer=CustomerFactory(external_id="ACME-2"))

    assert _ids(admin_api.get(FEEDBACK, {"customer": "ACME-1"})) == {mine.pk}


def test_feedback_list_filters_by_theme(admin_api):
    theme = ThemeFactory()
    themed = FeedbackFactory(theme=theme)
    FeedbackFactory(theme=ThemeFactory())
    FeedbackFactory(theme=None)

    assert _ids(admin_api.get(FEEDBACK, {"theme": theme.pk})) == {themed.pk}


def test_feedback_list_filters_by_sentiment(admin_api):
    negative = FeedbackFactory(sentiment=-0.8, sentiment_label="negative")
    FeedbackFactory(sentiment=0.7, sentiment_label="positive")
    FeedbackFactory()

    assert _ids(admin_api.get(FEEDBACK, {"sentiment": "negative"})) == {negative.pk}


@pytest.mark.parametrize(
    ("score", "expected"),
    [("promoter", {"promoter"}), ("detractor", {"detractor"}), ("unscored", {"unscored"})],
)
def test_feedback_list_filters_by_score(admin_api, score, expected):
    made = {
        "promoter": FeedbackFactory(nps=10),
        "detractor": FeedbackFactory(nps=3),
        "unscored": FeedbackFactory(),
    }

    found = _ids(admin_api.get(FEEDBACK, {"score": score}))

    assert found == {made[name].pk for name in expected}


@pytest.mark.parametrize(
    "query",
    [
        {"theme": "abc"},
        {"theme": "0"},
        {"theme": str(2**63)},  # past 64 bits: would overflow the database driver
        {"sentiment": "grumpy"},
        {"score": "nps>5"},
    ],
)
def test_feedback_list_rejects_bad_filters(admin_api, query):
    assert admin_api.get(FEEDBACK, query).status_code == 400


def test_feedback_list_redacts_for_token_users_without_the_permission(role_exec, admin_api):
    FeedbackFactory(text="Call me on 555-0100", redacted_text="Call me on [PHONE]")

    executive = token_client(role_exec).get(FEEDBACK).json()["results"][0]
    admin = admin_api.get(FEEDBACK).json()["results"][0]

    assert (executive["text"], executive["redacted"]) == ("Call me on [PHONE]", True)
    assert (admin["text"], admin["redacted"]) == ("Call me on 555-0100", False)


# ------------------------------------------------------------------------------------------------
# POST /api/customers/
# ------------------------------------------------------------------------------------------------


def test_customers_are_created_then_updated_by_external_id(admin_api):
    # Given two new accounts posted, one with a contact
    created = admin_api.post(
        CUSTOMERS,
        [
            {
                "external_id": "ACME",
                "name": "Acme",
                "domain": "Acme.example",
                "segment": "enterprise",
                "plan": "business",
                "region": "emea",
                "arr": "120000.50",
                "seats": 300,
                "customer_since": "2022-05-01",
                "attributes": {"industry": "anvils"},
                "contacts": [{"email": "Wile@Acme.example", "name": "Wile E.", "title": "CTO"}],
            },
            {"external_id": "GLOBEX", "name": "Globex"},
        ],
        format="json",
    )

    # When one of them is posted again, churned, with one new account
    updated = admin_api.post(
        CUSTOMERS,
        [
            {
                "external_id": "ACME",
                "name": "Acme Corp",
                "churned": True,
                "churned_on": "2026-02-01",
            },
            {"external_id": "INITECH", "name": "Initech"},
        ],
        format="json",
    )

    # Then the counts say so, the account was updated in place and kept its contact
    assert created.status_code == 201
    assert created.json() == {"created": 2, "updated": 0}
    assert updated.status_code == 201
    assert updated.json() == {"created": 1, "updated": 1}
    assert Customer.objects.count() == 3
    acme = Customer.objects.get(external_id="ACME")
    assert acme.name == "Acme Corp"
    assert (acme.churned, acme.churned_on) == (True, dt.date(2026, 2, 1))
    assert acme.arr == Decimal("0.00")  # an upsert replaces every field
    contact = Contact.objects.get()
    assert (contact.customer, contact.email, contact.title) == (acme, "wile@acme.example", "CTO")


def test_an_upsert_that_changes_nothing_new_answers_200(admin_api):
    CustomerFactory(external_id="ACME")

    response = admin_api.post(CUSTOMERS, {"external_id": "ACME", "name": "Acme"}, format="json")

    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"external_id": "X", "name": "X", "churned_on": "2026-01-01"}, "churned_on"),
        ({"external_id": "X", "name": "X", "arr": "-1"}, "arr"),
        ({"external_id": "X", "name": "X", "segment": "galactic"}, "segment"),
        ({"external_id": "X"}, "name"),
        ({"external_id": "X", "name": "X", "contacts": [{"email": "nope"}]}, "contacts"),
    ],
)
def test_invalid_customers_are_refused(admin_api, body, field):
    response = admin_api.post(
        CUSTOMERS, [{"external_id": "OK", "name": "Fine"}, body], format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]["1"]) == [field]
    assert Customer.objects.count() == 0


def test_customer_writes_require_add_and_change_customer(role_pm):
    response = token_client(role_pm).post(
        CUSTOMERS, {"external_id": "X", "name": "X"}, format="json"
    )

    assert response.status_code == 403


def test_customer_list_still_answers_get(admin_api):
    CustomerFactory(external_id="ACME")

    response = admin_api.get(CUSTOMERS)

    assert response.status_code == 200
    assert response.json()["results"][0]["external_id"] == "ACME"


# ------------------------------------------------------------------------------------------------
# POST /api/usage/
# ------------------------------------------------------------------------------------------------


def test_usage_is_created_then_updated_per_account_and_month(admin_api):
    # Given an account with January stored
    acme = CustomerFactory(external_id="ACME")
    UsageSnapshotFactory(customer=acme, period=dt.date(2026, 1, 1), active_users=20)

    # When January (as a date) and February (as a month) are posted
    response = admin_api.post(
        USAGE,
        [
            {"customer": "ACME", "period": "2026-01-17", "active_users": 25},
            {
                "customer": "ACME",
                "period": "2026-02",
                "active_users": 30,
                "feature_adoption": {"export": 12},
                "task_attempts": 50,
                "task_successes": 45,
            },
        ],
        format="json",
    )

    # Then January was updated and February created
    assert response.status_code == 201
    assert response.json() == {"created": 1, "updated": 1}
    snapshots = {s.period: s for s in UsageSnapshot.objects.filter(customer=acme)}
    assert set(snapshots) == {dt.date(2026, 1, 1), dt.date(2026, 2, 1)}
    assert snapshots[dt.date(2026, 1, 1)].active_users == 25
    assert snapshots[dt.date(2026, 2, 1)].feature_adoption == {"export": 12}
    assert snapshots[dt.date(2026, 2, 1)].task_successes == 45


def test_usage_for_an_unknown_account_is_refused_naming_it_and_nothing_is_stored(admin_api):
    CustomerFactory(external_id="ACME")

    response = admin_api.post(
        USAGE,
        [
            {"customer": "ACME", "period": "2026-01"},
            {"customer": "NOPE-42", "period": "2026-01"},
        ],
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "1": {"customer": ["No account with external id 'NOPE-42'."]}
    }
    assert UsageSnapshot.objects.count() == 0


def test_a_single_usage_item_for_an_unknown_account_gets_field_errors(admin_api):
    response = admin_api.post(USAGE, {"customer": "NOPE", "period": "2026-01"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"customer": ["No account with external id 'NOPE'."]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "March"}, "period"),
        ({"task_attempts": 1, "task_successes": 2}, "task_successes"),
        ({"active_users": -1}, "active_users"),
        ({"feature_adoption": {"export": -3}}, "feature_adoption"),
    ],
)
def test_invalid_usage_is_refused(admin_api, changes, field):
    CustomerFactory(external_id="ACME")

    response = admin_api.post(
        USAGE, {"customer": "ACME", "period": "2026-01", **changes}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert UsageSnapshot.objects.count() == 0


def test_usage_accepts_only_post(admin_api):
    assert admin_api.get(USAGE).status_code == 405


# ------------------------------------------------------------------------------------------------
# One URL, one class per operation
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [FEEDBACK, CUSTOMERS])
def test_shared_urls_route_each_method_to_its_operation(admin_api, path):
    assert admin_api.get(path).status_code == 200
    assert admin_api.head(path).status_code == 200
    assert admin_api.put(path, {}, format="json").status_code == 405
    assert admin_api.delete(path).status_code == 405
    assert admin_api.options(path).status_code == 200
    assert token_client().put(path, {}, format="json").status_code == 401
