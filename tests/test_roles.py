import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from insights.roles import ROLE_PERMISSIONS, Role, roles_sync
from tests.conftest import user_with_role
from tests.touchpoints.factories import UserFactory

pytestmark = pytest.mark.django_db


def _codes(group: Group) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_the_migration_creates_the_four_roles_with_their_permissions():
    # Given a freshly migrated database
    # When we read the groups
    groups = {g.name: g for g in Group.objects.all()}
    # Then each role exists and holds at least what it is defined with
    assert set(groups) >= {r.value for r in Role}
    for role, names in ROLE_PERMISSIONS.items():
        assert set(names) <= _codes(groups[role])


def test_admin_holds_every_permission_of_the_four_apps():
    admin_codes = _codes(Group.objects.get(name=Role.ADMIN))
    for app_label in ("insights", "touchpoints", "metrics", "roadmap"):
        app_codes = {
            f"{app_label}.{p.codename}"
            for p in Permission.objects.filter(content_type__app_label=app_label)
        }
        assert app_codes
        assert app_codes <= admin_codes


@pytest.mark.parametrize(
    ("role", "permission", "expected"),
    [
        (Role.ENGINEER, "touchpoints.add_touchpoint", True),
        (Role.ENGINEER, "touchpoints.change_all_touchpoints", False),
        (Role.ENGINEER, "roadmap.change_backlogitem", False),
        (Role.ENGINEER, "insights.view_feedback", True),
        (Role.ENGINEER, "metrics.view_metricsnapshot", False),
        (Role.PRODUCT_MANAGER, "roadmap.change_backlogitem", True),
        (Role.PRODUCT_MANAGER, "insights.change_theme", True),
        (Role.PRODUCT_MANAGER, "insights.add_importjob", False),
        (Role.PRODUCT_MANAGER, "insights.view_original_text", False),
        (Role.EXECUTIVE, "metrics.view_metricsnapshot", True),
        (Role.EXECUTIVE, "roadmap.change_backlogitem", False),
        (Role.EXECUTIVE, "touchpoints.add_touchpoint", False),
        (Role.ADMIN, "insights.add_importjob", True),
        (Role.ADMIN, "insights.view_original_text", True),
        (Role.ADMIN, "auth.add_user", True),
    ],
)
def test_each_role_may_do_only_what_it_should(role, permission, expected):
    user = user_with_role(role)
    assert user.has_perm(permission) is expected


def test_roles_sync_is_idempotent_and_restores_a_removed_permission():
    # Given an admin removed a permission from the Engineer group by hand
    engineer = Group.objects.get(name=Role.ENGINEER)
    engineer.permissions.remove(Permission.objects.get(codename="add_touchpoint"))
    before = {name: _codes(Group.objects.get(name=name)) for name in ROLE_PERMISSIONS}
    # When the roles are synced twice
    roles_sync(group_model=Group, permission_model=Permission)
    roles_sync(group_model=Group, permission_model=Permission)
    # Then the permission is back and nothing else changed
    assert "touchpoints.add_touchpoint" in _codes(engineer)
    after = {name: _codes(Group.objects.get(name=name)) for name in ROLE_PERMISSIONS}
    assert after[Role.ENGINEER] == before[Role.ENGINEER] | {"touchpoints.add_touchpoint"}
    assert {k: v for k, v in after.items() if k != Role.ENGINEER} == {
        k: v for k, v in before.items() if k != Role.ENGINEER
    }


def test_roles_sync_refuses_a_permission_that_does_not_exist(monkeypatch):
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.EXECUTIVE, ["insights.fly_to_the_moon"])
    with pytest.raises(LookupError, match="fly_to_the_moon"):
        roles_sync(group_model=Group, permission_model=Permission)


def test_the_migration_s_sync_skips_permissions_of_models_created_later(monkeypatch):
    # Given a role naming a permission that does not exist yet (its model comes in a later
    # migration) besides one that does
    monkeypatch.setitem(
        ROLE_PERMISSIONS, Role.EXECUTIVE, ["insights.fly_to_the_moon", "insights.view_feedback"]
    )
    # When the migration syncs the roles (not strict)
    roles_sync(group_model=Group, permission_model=Permission, strict=False)
    # Then the role holds what exists, and nothing else
    executive = Group.objects.get(name=Role.EXECUTIVE)
    assert [p.codename for p in executive.permissions.all()] == ["view_feedback"]


def test_login_is_throttled_after_repeated_failures(client, settings):
    # Given a user and the configured failure limit
    UserFactory(username="victim", password="correct-horse-battery")
    login_url = reverse("login")
    # When someone guesses wrong up to the limit
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(login_url, {"username": "victim", "password": "wrong"})
        assert response.status_code == 200
    response = client.post(login_url, {"username": "victim", "password": "wrong"})
    assert response.status_code == 429
    assert b"locked" in response.content.lower()
    # Then even the right password is refused for the cool-off period
    response = client.post(login_url, {"username": "victim", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_correct_login_before_the_limit_signs_in(client):
    UserFactory(username="someone", password="correct-horse-battery")
    client.post(reverse("login"), {"username": "someone", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "someone", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"]
