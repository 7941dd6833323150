"""The roadmap's pain-point view: the ranking beside the work that addresses it."""

import pytest
from django.urls import reverse

from insights.roles import Role
from roadmap.models import BacklogItem, BacklogThemeLink
from tests.conftest import user_with_role
from tests.insights.test_theme_views import ranked_theme
from tests.roadmap.factories import BacklogItemFactory

pytestmark = pytest.mark.django_db


def given_pain_points_and_backlog():
    addressed = ranked_theme(label="Slow exports", impact=70)
    shipped_only = ranked_theme(label="Confusing invoices", impact=50)
    untouched = ranked_theme(label="SSO login loops", impact=30)
    now = BacklogItemFactory(title="Background exports", status=BacklogItem.Status.NOW)
    done = BacklogItemFactory(
        title="Clearer invoices", status=BacklogItem.Status.SHIPPED, shipped_on="2026-01-05"
    )
    BacklogThemeLink.objects.create(item=now, theme=addressed)
    BacklogThemeLink.objects.create(item=done, theme=shipped_only)
    return addressed, shipped_only, untouched


def test_pain_points_sit_beside_the_items_that_address_them(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    addressed, shipped_only, untouched = given_pain_points_and_backlog()

    response = client.get(reverse("roadmap:pain"))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.index("Slow exports") < content.index("Confusing invoices")
    assert content.index("Confusing invoices") < content.index("SSO login loops")
    assert "Background exports" in content
    assert "Clearer invoices" in content
    # a pain point whose only item shipped, and one with none, are highlighted with a button
    assert content.count('data-testid="unaddressed"') == 2
    assert "2 of 3 have no open item" in content
    assert reverse("roadmap:promote-theme", args=[untouched.pk]) in content
    assert reverse("roadmap:promote-theme", args=[shipped_only.pk]) in content
    assert reverse("roadmap:promote-theme", args=[addressed.pk]) not in content


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.ENGINEER])
def test_viewers_read_the_pain_view_without_promote_buttons(client, role):
    client.force_login(user_with_role(role))
    given_pain_points_and_backlog()

    content = client.get(reverse("roadmap:pain")).content.decode()

    assert "SSO login loops" in content
    assert "No open item" in content
    assert "/promote/" not in content


def test_the_pain_view_is_empty_before_any_analysis(client):
    client.force_login(user_with_role(Role.EXECUTIVE))

    assert "No pain points yet" in client.get(reverse("roadmap:pain")).content.decode()


def test_the_board_links_to_the_pain_view(client):
    client.force_login(user_with_role(Role.EXECUTIVE))

    assert reverse("roadmap:pain") in client.get(reverse("roadmap:backlog-list")).content.decode()


@pytest.mark.parametrize("themes", [2, 20])
def test_pain_view_query_count_does_not_grow(client, django_assert_max_num_queries, themes):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    for n in range(themes):
        theme = ranked_theme(label=f"Theme {n}", impact=60 - n)
        BacklogThemeLink.objects.create(item=BacklogItemFactory(), theme=theme)

    # session, user, savepoints, permissions, groups, themes, links with their items
    with django_assert_max_num_queries(10):
        response = client.get(reverse("roadmap:pain"))

    assert response.status_code == 200
