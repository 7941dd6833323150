import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache

from insights.roles import Role
from tests.touchpoints.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Metric snapshots, sessions of throttling and weekly send-once marks live in the cache; each
    test starts and ends with an empty one, so nothing leaks from one test into another."""
    cache.clear()
    yield
    cache.clear()


def user_with_role(role: str | None, *, username: str | None = None):
    """A user in one of the four role groups (None: a signed-in user with no role)."""
    user = UserFactory(username=username or f"{(role or 'norole').lower().replace(' ', '_')}_user")
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    if role == Role.ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def role_admin(db):
    return user_with_role(Role.ADMIN, username="admin_user")


@pytest.fixture
def role_pm(db):
    return user_with_role(Role.PRODUCT_MANAGER, username="pm_user")


@pytest.fixture
def role_engineer(db):
    return user_with_role(Role.ENGINEER, username="engineer_user")


@pytest.fixture
def role_exec(db):
    return user_with_role(Role.EXECUTIVE, username="exec_user")
