"""The feedback explorer: full-text search (PostgreSQL's, or a substring match elsewhere), facets
with counts, and filters that combine — and search that never reads what the redaction hid."""

import pytest
from django.db import connection
from django.urls import reverse

from insights.models import Feedback, Segment
from insights.roles import Role
from insights.selectors import FeedbackFilters, feedback_facets, feedback_list
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, FeedbackFactory, ThemeFactory

pytestmark = pytest.mark.django_db

ORIGINAL = "Ping jane.doe@example.com: the invoice export times out"
REDACTED = "Ping [EMAIL]: the invoice export times out"


def signed_in(client, role):
    user = user_with_role(role)
    client.force_login(user)
    return user


def results(response) -> str:
    return response.content.decode()


def given_feedback():
    enterprise = CustomerFactory(segment=Segment.ENTERPRISE)
    smb = CustomerFactory(segment=Segment.SMB)
    exports, sso = ThemeFactory(label="Slow exports"), ThemeFactory(label="SSO loops")
    FeedbackFactory(
        text=ORIGINAL,
        redacted_text=REDACTED,
        customer=enterprise,
        theme=exports,
        nps=3,
        sentiment_label="negative",
    )
    FeedbackFactory(
        text="Exporting reports is slow",
        redacted_text="Exporting reports is slow",
        customer=smb,
        theme=exports,
        nps=7,
        sentiment_label="negative",
        source=Feedback.Source.SUPPORT_TICKET,
    )
    FeedbackFactory(
        text="Single sign-on loops back to the login page",
        redacted_text="Single sign-on loops back to the login page",
        customer=enterprise,
        theme=sso,
        nps=10,
        sentiment_label="positive",
    )
    return exports, sso


# ------------------------------------------------------------------------------------------------
# Search
# ------------------------------------------------------------------------------------------------


def test_search_finds_words_in_the_redacted_text():
    given_feedback()

    found = feedback_list(filters=FeedbackFilters(q="invoice"))

    assert [item.redacted_text for item in found] == [REDACTED]


def test_search_never_matches_what_the_redaction_hid_for_non_admins():
    given_feedback()

    hidden = feedback_list(filters=FeedbackFilters(q="jane.doe@example.com"))
    admins = feedback_list(filters=FeedbackFilters(q="jane.doe@example.com", search_original=True))

    assert list(hidden) == []
    assert [item.text for item in admins] == [ORIGINAL]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text search")
def test_postgresql_search_stems_and_takes_web_search_syntax():
    given_feedback()

    stemmed = feedback_list(filters=FeedbackFilters(q="exports"))
    excluded = feedback_list(filters=FeedbackFilters(q="export -invoice"))
    phrase = feedback_list(filters=FeedbackFilters(q='"login page"'))

    assert stemmed.count() == 2  # "export" and "Exporting" both match "exports"
    assert [item.redacted_text for item in excluded] == ["Exporting reports is slow"]
    assert phrase.count() == 1


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the fallback of other databases")
def test_other_databases_search_a_case_insensitive_substring():
    given_feedback()

    assert feedback_list(filters=FeedbackFilters(q="EXPORT")).count() == 2
    assert feedback_list(filters=FeedbackFilters(q="login page")).count() == 1


@pytest.mark.parametrize("role", [Role.PRODUCT_MANAGER, Role.EXECUTIVE, Role.ENGINEER])
def test_the_page_searches_the_redacted_text_for_non_admins(client, role):
    signed_in(client, role)
    given_feedback()

    by_email = results(client.get(reverse("insights:feedback-list"), {"q": "jane.doe@example.com"}))
    by_word = results(client.get(reverse("insights:feedback-list"), {"q": "invoice"}))

    assert "0 items match the filters" in by_email
    assert REDACTED in by_word
    assert "jane.doe" not in by_word


def test_the_page_searches_the_original_for_admins(client):
    signed_in(client, Role.ADMIN)
    given_feedback()

    content = results(client.get(reverse("insights:feedback-list"), {"q": "jane.doe@example.com"}))

    assert ORIGINAL in content


def test_feedback_not_yet_redacted_shows_a_placeholder_to_non_admins(client):
    signed_in(client, Role.EXECUTIVE)
    FeedbackFactory(text=ORIGINAL, redacted_text="")

    content = results(client.get(reverse("insights:feedback-list")))

    assert "jane.doe" not in content
    assert "(not analysed yet)" in content


# ------------------------------------------------------------------------------------------------
# Facets and filters
# ------------------------------------------------------------------------------------------------


def facet_counts(values) -> dict[str, int]:
    return {facet.label: facet.count for facet in values}


def test_facets_count_the_filtered_feedback_by_every_dimension():
    exports, _ = given_feedback()
    FeedbackFactory(customer=None, text="")  # no theme, account or score

    everything = feedback_facets()
    enterprise = feedback_facets(filters=FeedbackFilters(segment=Segment.ENTERPRISE))

    assert everything.total == 4
    assert facet_counts(everything.source) == {"Survey": 3, "Support ticket": 1}
    assert facet_counts(everything.theme) == {"Slow exports": 2, "SSO loops": 1}
    assert everything.theme[0].value == str(exports.pk)
    assert facet_counts(everything.sentiment_label) == {"Negative": 2, "Positive": 1}
    assert facet_counts(everything.nps_group) == {
        "NPS promoters (9–10)": 1,
        "NPS passives (7–8)": 1,
        "NPS detractors (0–6)": 1,
    }
    assert facet_counts(everything.segment) == {"SMB": 1, "Enterprise": 2}
    assert enterprise.total == 2
    assert facet_counts(enterprise.theme) == {"Slow exports": 1, "SSO loops": 1}


def test_filters_combine(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    exports, _ = given_feedback()

    response = client.get(
        reverse("insights:feedback-list"),
        {"theme": exports.pk, "segment": Segment.ENTERPRISE, "score": "detractor", "q": "export"},
    )

    content = results(response)
    assert "1 item matches the filters" in content
    assert REDACTED in content
    assert "Pain point: <strong>Slow exports</strong>" in content


def test_facets_link_to_the_filter_keeping_the_others(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    exports, _ = given_feedback()

    content = results(client.get(reverse("insights:feedback-list"), {"segment": "enterprise"}))

    assert f'href="?segment=enterprise&amp;theme={exports.pk}"' in content
    assert 'href="?segment=enterprise&amp;sentiment_label=negative"' in content
    assert 'data-testid="facet-nps"' in content


def test_the_existing_filters_still_work(client):
    signed_in(client, Role.PRODUCT_MANAGER)
    given_feedback()

    content = results(
        client.get(
            reverse("insights:feedback-list"), {"source": "support_ticket", "score": "passive"}
        )
    )

    assert "1 item matches the filters" in content
    assert "Exporting reports is slow" in content


@pytest.mark.parametrize("rows", [3, 40])
def test_query_count_does_not_grow_with_rows_or_filters(
    client, django_assert_max_num_queries, rows
):
    signed_in(client, Role.PRODUCT_MANAGER)
    theme = ThemeFactory()
    for n in range(rows):
        FeedbackFactory(theme=theme, customer=CustomerFactory(), redacted_text=f"export {n}")

    # session, user, savepoints, permissions, groups, facets (which count), page
    with django_assert_max_num_queries(9):
        response = client.get(reverse("insights:feedback-list"))
    with django_assert_max_num_queries(9):
        client.get(
            reverse("insights:feedback-list"), {"q": "export", "theme": theme.pk, "segment": "smb"}
        )

    assert response.status_code == 200


def test_postgresql_search_of_the_redacted_text_can_use_its_gin_index():
    if connection.vendor != "postgresql":
        pytest.skip("the full-text index is PostgreSQL's")
    queryset = feedback_list(filters=FeedbackFilters(q="export slow")).values("pk")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "insights_feedback_redacted_search" in plan
