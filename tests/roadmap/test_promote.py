"""Promoting a pain point to the backlog: one idea per pain point, its words redacted."""

import pytest
from django.urls import reverse

from insights.models import Theme
from insights.roles import Role
from roadmap.models import BacklogItem, BacklogThemeLink
from roadmap.services import backlog_item_promote_from_theme
from tests.conftest import user_with_role
from tests.insights.factories import FeedbackFactory, ThemeFactory
from tests.insights.test_theme_views import ranked_theme

pytestmark = pytest.mark.django_db

ORIGINAL = "Call jane.doe@example.com, exports time out"
REDACTED = "Call [EMAIL], exports time out"


def given_a_ranked_theme_with_quotes():
    quotes = [
        FeedbackFactory(text=ORIGINAL, redacted_text=REDACTED),
        FeedbackFactory(text="mail bob@corp.example", redacted_text=""),  # not redacted yet
        FeedbackFactory(redacted_text="The CSV export never finishes"),
        FeedbackFactory(redacted_text="Exports of a year of data fail"),
        FeedbackFactory(redacted_text="A fourth quote, one too many"),
    ]
    theme = ranked_theme(
        label="Slow exports", impact=72.46, accounts=12, arr=340_000.0, quotes=quotes
    )
    return theme, quotes


def test_promote_creates_an_idea_linked_to_the_theme_with_redacted_quotes_as_evidence():
    # Given a ranked theme with representative quotes
    pm = user_with_role(Role.PRODUCT_MANAGER)
    theme, quotes = given_a_ranked_theme_with_quotes()

    # When it is promoted
    item = backlog_item_promote_from_theme(theme=theme, user=pm)

    # Then an idea names the theme and quotes up to three of its redacted quotes
    assert item.status == BacklogItem.Status.IDEA
    assert item.title == "Slow exports"
    assert (item.owner, item.created_by) == (pm, pm)
    assert "“Slow exports”" in item.customer_problem
    assert REDACTED in item.customer_problem
    assert "The CSV export never finishes" in item.customer_problem
    assert "Exports of a year of data fail" in item.customer_problem
    assert "one too many" not in item.customer_problem
    assert "jane.doe" not in item.customer_problem
    assert "bob@corp" not in item.customer_problem
    # linked with the reason, the quotes as evidence
    link = BacklogThemeLink.objects.get(item=item)
    assert link.theme == theme
    assert link.rationale == (
        "Promoted from the pain point “Slow exports” (impact 72.5, 12 accounts, ARR $340,000)."
    )
    assert set(item.evidence.values_list("pk", flat=True)) == {
        quotes[0].pk,
        quotes[2].pk,
        quotes[3].pk,
    }


def test_promoting_twice_returns_the_open_item():
    pm = user_with_role(Role.PRODUCT_MANAGER)
    theme, _ = given_a_ranked_theme_with_quotes()

    first = backlog_item_promote_from_theme(theme=theme, user=pm)
    second = backlog_item_promote_from_theme(theme=theme, user=pm)

    assert first == second
    assert BacklogItem.objects.count() == 1
    assert BacklogThemeLink.objects.count() == 1


def test_a_theme_whose_item_shipped_gets_a_new_one():
    pm = user_with_role(Role.PRODUCT_MANAGER)
    theme, _ = given_a_ranked_theme_with_quotes()
    first = backlog_item_promote_from_theme(theme=theme, user=pm)
    BacklogItem.objects.filter(pk=first.pk).update(
        status=BacklogItem.Status.SHIPPED, shipped_on="2026-01-10"
    )

    second = backlog_item_promote_from_theme(theme=theme, user=pm)

    assert second != first
    assert BacklogThemeLink.objects.filter(theme=theme).count() == 2


def test_a_theme_without_quotes_still_makes_a_sentence():
    theme = ThemeFactory(label="Confusing invoices", impact=12.0, statistics={})

    item = backlog_item_promote_from_theme(theme=theme, user=None)

    assert item.customer_problem == "Customers keep raising “Confusing invoices”."
    assert item.evidence.count() == 0


# ------------------------------------------------------------------------------------------------
# The view
# ------------------------------------------------------------------------------------------------


def test_a_product_manager_promotes_from_the_theme_page(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    theme, _ = given_a_ranked_theme_with_quotes()

    response = client.post(reverse("roadmap:promote-theme", args=[theme.pk]), follow=True)

    item = BacklogItem.objects.get()
    assert response.redirect_chain[-1][0] == reverse("roadmap:backlog-detail", args=[item.pk])
    content = response.content.decode()
    assert "is on the backlog as an idea" in content
    assert REDACTED in content
    assert "jane.doe" not in content

    again = client.post(reverse("roadmap:promote-theme", args=[theme.pk]), follow=True)
    assert "already on the backlog" in again.content.decode()
    assert BacklogItem.objects.count() == 1


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ENGINEER])
def test_viewers_may_not_promote(client, role):
    client.force_login(user_with_role(role))
    theme, _ = given_a_ranked_theme_with_quotes()

    assert client.post(reverse("roadmap:promote-theme", args=[theme.pk])).status_code == 403
    assert not BacklogItem.objects.exists()


def test_promote_is_post_only_and_404_for_a_missing_theme(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    theme, _ = given_a_ranked_theme_with_quotes()

    assert client.get(reverse("roadmap:promote-theme", args=[theme.pk])).status_code == 405
    assert client.post(reverse("roadmap:promote-theme", args=[999_999])).status_code == 404


def test_a_dismissed_theme_is_not_promoted(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    theme = ranked_theme(label="Noise", impact=0, status=Theme.Status.DISMISSED)

    response = client.post(reverse("roadmap:promote-theme", args=[theme.pk]), follow=True)

    assert "Only an active pain point can be promoted" in response.content.decode()
    assert not BacklogItem.objects.exists()
