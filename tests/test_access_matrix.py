"""Who may open which URL: every URL pattern of the project × method × role, against a table.

A new URL pattern fails `test_every_url_pattern_is_in_the_table` until someone decides, in the
table below, what each role gets from it — so no page ships unguarded. The Django admin is checked
as a group: its own login decides who gets in, and its model permissions decide what staff see.
"""

import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from insights.models import RunStatus
from insights.roles import Role
from roadmap.models import Subscription
from roadmap.sharing.services import outbound_webhook_create, subscription_create
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, ImportJobFactory, ThemeFactory
from tests.roadmap.factories import BacklogItemFactory
from tests.touchpoints.factories import (
    HackathonFactory,
    HackathonOutcomeFactory,
    TeamFactory,
    TouchpointFactory,
    UserFactory,
)
from touchpoints.notifications import engineer_settings_get

ANON = "anonymous"
ADMIN = Role.ADMIN.value
PM = Role.PRODUCT_MANAGER.value
ENG = Role.ENGINEER.value
EXEC = Role.EXECUTIVE.value
NO_ROLE = "no role"
ROLES = (ANON, ADMIN, PM, ENG, EXEC, NO_ROLE)
NON_STAFF = (ANON, PM, ENG, EXEC, NO_ROLE)
METHODS = ("GET", "POST")

# Outcomes other than a plain status code.
LOGIN = "302 → site login"
ADMIN_LOGIN = "302 → admin login"
ADMIN_INDEX = "302 → admin index"
ANY_LOGIN = "302 → site or admin login"
API_DENIED = "401/403"

# fmt: off
# Every URL pattern outside the admin. Columns follow ROLES:
#   anonymous   Admin   Product manager   Engineer   Executive   no role
EXPECTED: dict[str, dict[str, tuple]] = {
    "home": {
        "GET":  (LOGIN, 200, 200, 200, 200, 200),
        "POST": (LOGIN, 405, 405, 405, 405, 405),
    },
    "healthz": {
        "GET":  (200, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    "login": {
        "GET":  (200, 200, 200, 200, 200, 200),
        "POST": (200, 200, 200, 200, 200, 200),  # an empty form comes back with its errors
    },
    "logout": {
        "GET":  (LOGIN, 405, 405, 405, 405, 405),
        "POST": (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
    },
    "insights:feedback-list": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "insights:theme-list": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "insights:theme-detail": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    # Pain points: the analysis button, its status block, the theme map and the edits. A PM's
    # empty POST comes back to the page with the reason (the edit forms) or queues a run.
    "insights:theme-analyse": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "insights:theme-analysis-status": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "insights:theme-map": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "insights:theme-rename": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "insights:theme-merge": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "insights:theme-dismiss": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "insights:theme-restore": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "insights:theme-split": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "insights:theme-feedback-move": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "insights:customer-list": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "insights:customer-detail": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    # Churn: whoever reads churn scores reads the at-risk list, its CSV and the model card (the
    # roles give insights.view_churnscore to all four); retraining is for who may start model
    # runs (Admin, PM). A PM's POST queues a run and goes back to the list.
    "insights:churn-at-risk": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "insights:churn-at-risk-csv": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "insights:churn-model": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "insights:churn-retrain": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "insights:import-list": {
        "GET":  (LOGIN, 200, 403, 403, 403, 403),
        "POST": (LOGIN, 405, 403, 403, 403, 403),
    },
    "insights:import-new": {
        "GET":  (LOGIN, 200, 403, 403, 403, 403),
        "POST": (LOGIN, 400, 403, 403, 403, 403),  # an empty form comes back asking for a file
    },
    "insights:import-detail": {
        "GET":  (LOGIN, 200, 403, 403, 403, 403),
        "POST": (LOGIN, 302, 403, 403, 403, 403),  # the job already ran: back to its page
    },
    "insights:import-progress": {
        "GET":  (LOGIN, 200, 403, 403, 403, 403),
        "POST": (LOGIN, 405, 403, 403, 403, 403),
    },
    "insights:import-errors-csv": {
        "GET":  (LOGIN, 200, 403, 403, 403, 403),
        "POST": (LOGIN, 405, 403, 403, 403, 403),
    },
    "touchpoints:touchpoint-list": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "touchpoints:touchpoint-detail": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    # Logging and editing: an empty form comes back with its errors (400). The engineer did not
    # take part in the touchpoint pointed at, so may not edit it; PMs and admins edit all.
    "touchpoints:touchpoint-new": {
        "GET":  (LOGIN, 200, 200, 200, 403, 403),
        "POST": (LOGIN, 400, 400, 400, 403, 403),
    },
    "touchpoints:touchpoint-edit": {
        "GET":  (LOGIN, 200, 200, 403, 403, 403),
        "POST": (LOGIN, 400, 400, 403, 403, 403),
    },
    "touchpoints:adherence": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "touchpoints:adherence-csv": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "touchpoints:customer-search": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    # My touchpoint settings: an empty POST saves both emails as off; the rotation makes a new
    # secret. The calendar feed needs no login: its secret token is the credential.
    "touchpoints:settings": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 302, 302, 302, 302, 403),
    },
    "touchpoints:calendar-rotate": {
        "GET":  (LOGIN, 405, 405, 405, 405, 403),
        "POST": (LOGIN, 302, 302, 302, 302, 403),
    },
    "touchpoints:calendar-feed": {
        "GET":  (200, 200, 200, 200, 200, 200),
        "POST": (405, 405, 405, 405, 405, 405),
    },
    # Hackathons: everyone who reads touchpoints reads them; PMs plan them and their problems,
    # engineers also form teams and write up outcomes. An empty add form goes back to the page.
    "touchpoints:hackathon-list": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "touchpoints:hackathon-new": {
        "GET":  (LOGIN, 200, 200, 403, 403, 403),
        "POST": (LOGIN, 400, 400, 403, 403, 403),
    },
    "touchpoints:hackathon-detail": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "touchpoints:hackathon-problem-add": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "touchpoints:hackathon-team-add": {
        "GET":  (LOGIN, 405, 405, 405, 403, 403),
        "POST": (LOGIN, 302, 302, 302, 403, 403),
    },
    "touchpoints:hackathon-outcome-add": {
        "GET":  (LOGIN, 405, 405, 405, 403, 403),
        "POST": (LOGIN, 302, 302, 302, 403, 403),
    },
    "roadmap:backlog-list": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "roadmap:backlog-detail": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    # Creating and editing items: PMs and admins; an empty form comes back with its errors.
    "roadmap:backlog-new": {
        "GET":  (LOGIN, 200, 200, 403, 403, 403),
        "POST": (LOGIN, 400, 400, 403, 403, 403),
    },
    "roadmap:backlog-edit": {
        "GET":  (LOGIN, 200, 200, 403, 403, 403),
        "POST": (LOGIN, 400, 400, 403, 403, 403),
    },
    # Moving a card: PMs and admins; an empty move goes back to the board with the reason.
    "roadmap:backlog-move": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    # The Jira/Linear CSV: whoever reads the board.
    "roadmap:backlog-export": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "roadmap:pain": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    "roadmap:promote-theme": {  # the item's page, new or already there
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "roadmap:promote-outcome": {  # the item's page, new or already there
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 302, 302, 403, 403, 403),
    },
    "roadmap:wins": {  # everyone who can view the backlog
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 405, 405, 405, 405, 403),
    },
    # Sharing: everyone who reads the roadmap manages their own digests and alerts (an empty
    # POST comes back with its errors); PMs subscribe teams and change or remove their
    # subscriptions (the object here is a team's: 404 for those who may not manage it). The
    # webhook page and its test button are for admins.
    "roadmap:subscriptions": {
        "GET":  (LOGIN, 200, 200, 200, 200, 403),
        "POST": (LOGIN, 400, 400, 400, 400, 403),
    },
    "roadmap:subscription-team-create": {
        "GET":  (LOGIN, 405, 405, 403, 403, 403),
        "POST": (LOGIN, 400, 400, 403, 403, 403),
    },
    "roadmap:subscription-update": {  # an empty form goes back to the page with the reason
        "GET":  (LOGIN, 405, 405, 405, 405, 403),
        "POST": (LOGIN, 302, 302, 404, 404, 403),
    },
    "roadmap:subscription-delete": {
        "GET":  (LOGIN, 405, 405, 405, 405, 403),
        "POST": (LOGIN, 302, 302, 404, 404, 403),
    },
    "roadmap:webhooks": {
        "GET":  (LOGIN, 200, 403, 403, 403, 403),
        "POST": (LOGIN, 405, 403, 403, 403, 403),
    },
    "roadmap:webhook-test": {  # queued after commit: nothing is posted from this test
        "GET":  (LOGIN, 405, 403, 403, 403, 403),
        "POST": (LOGIN, 302, 403, 403, 403, 403),
    },
    "metrics:report": {
        "GET":  (LOGIN, 200, 200, 403, 200, 403),
        "POST": (LOGIN, 405, 405, 403, 405, 403),
    },
    # The executive report, its exports and the product dashboard: whoever reads the reports
    # (executives, PMs, admins); engineers do not (their role has no report permission). The
    # digest opt-in is saved by a POST from the report page; an empty one switches it off.
    "metrics:executive-report": {
        "GET":  (LOGIN, 200, 200, 403, 200, 403),
        "POST": (LOGIN, 405, 405, 403, 405, 403),
    },
    "metrics:executive-report-csv": {
        "GET":  (LOGIN, 200, 200, 403, 200, 403),
        "POST": (LOGIN, 405, 405, 403, 405, 403),
    },
    "metrics:executive-report-pdf": {
        "GET":  (LOGIN, 200, 200, 403, 200, 403),
        "POST": (LOGIN, 405, 405, 403, 405, 403),
    },
    "metrics:executive-report-subscription": {
        "GET":  (LOGIN, 405, 405, 403, 405, 403),
        "POST": (LOGIN, 302, 302, 403, 302, 403),
    },
    "metrics:dashboard": {
        "GET":  (LOGIN, 200, 200, 403, 200, 403),
        "POST": (LOGIN, 405, 405, 403, 405, 403),
    },
    # The API's writes take JSON only: the empty form posted here is refused with 415.
    "api:feedback-list": {
        "GET":  (API_DENIED, 200, 200, 200, 200, 403),
        "POST": (API_DENIED, 415, 403, 403, 403, 403),
    },
    "api:customer-list": {
        "GET":  (API_DENIED, 200, 200, 200, 200, 403),
        "POST": (API_DENIED, 415, 403, 403, 403, 403),
    },
    "api:usage": {
        "GET":  (API_DENIED, 405, 403, 403, 403, 403),
        "POST": (API_DENIED, 415, 403, 403, 403, 403),
    },
    "api-touchpoint-list": {
        "GET":  (API_DENIED, 200, 200, 200, 200, 403),
        "POST": (API_DENIED, 415, 415, 415, 403, 403),
    },
    "api-schema": {
        "GET":  (API_DENIED, 200, 200, 200, 200, 200),
        "POST": (API_DENIED, 405, 405, 405, 405, 405),
    },
    "api-docs": {
        "GET":  (API_DENIED, 200, 200, 200, 200, 200),
        "POST": (API_DENIED, 405, 405, 405, 405, 405),
    },
}
# fmt: on


def _finished_import_job():
    return ImportJobFactory(status=RunStatus.SUCCEEDED, confirmed_at=timezone.now())


def _team_subscription():
    return subscription_create(kind=Subscription.Kind.WEEKLY_DIGEST, team=TeamFactory())


def _webhook():
    return outbound_webhook_create(name="Slack", url="https://hooks.slack.com/services/T/B/X")


# Objects behind the patterns that take arguments.
URL_KWARGS: dict[str, Callable[[], dict]] = {
    "insights:theme-detail": lambda: {"pk": ThemeFactory().pk},
    "insights:customer-detail": lambda: {"pk": CustomerFactory().pk},
    **{
        f"insights:theme-{name}": lambda: {"pk": ThemeFactory().pk}
        for name in ("rename", "merge", "dismiss", "restore", "split", "feedback-move")
    },
    "roadmap:promote-theme": lambda: {"pk": ThemeFactory().pk},
    "insights:import-detail": lambda: {"pk": _finished_import_job().pk},
    "insights:import-progress": lambda: {"pk": _finished_import_job().pk},
    "insights:import-errors-csv": lambda: {"pk": _finished_import_job().pk},
    "touchpoints:touchpoint-detail": lambda: {"pk": TouchpointFactory().pk},
    "touchpoints:touchpoint-edit": lambda: {"pk": TouchpointFactory().pk},
    "roadmap:backlog-detail": lambda: {"pk": BacklogItemFactory().pk},
    "roadmap:backlog-edit": lambda: {"pk": BacklogItemFactory().pk},
    "roadmap:backlog-move": lambda: {"pk": BacklogItemFactory().pk},
    **{
        f"touchpoints:hackathon-{name}": lambda: {"pk": HackathonFactory().pk}
        for name in ("detail", "problem-add", "team-add", "outcome-add")
    },
    "roadmap:promote-outcome": lambda: {"pk": HackathonOutcomeFactory().pk},
    "roadmap:subscription-update": lambda: {"pk": _team_subscription().pk},
    "roadmap:subscription-delete": lambda: {"pk": _team_subscription().pk},
    "roadmap:webhook-test": lambda: {"pk": _webhook().pk},
    "touchpoints:calendar-feed": lambda: {
        "token": engineer_settings_get(user=UserFactory(username="feed_owner")).calendar_token
    },
}

# Admin patterns are regular expressions or take free-form ids; these stand in for them.
ADMIN_REGEX_SAMPLES = {
    "admin:app_list": "/admin/insights/",
    "admin:<unnamed admin/(?P<url>.*)$>": "/admin/no-such-page/",
}
# Admin patterns that behave differently from "non-staff are sent to the admin login".
ADMIN_SPECIAL = {
    "admin:login": {"GET": 200, "POST": 200},  # the form itself; an empty POST re-renders it
    "admin:logout": {"GET": ADMIN_INDEX, "POST": ADMIN_INDEX},
}


def _collect(patterns, namespace: str = "", prefix: str = "") -> dict[str, tuple[str, object]]:
    """Route key → (full pattern text, pattern). Keys are "namespace:name", or
    "namespace:<unnamed pattern>" for patterns without a name."""
    routes: dict[str, tuple[str, object]] = {}
    for entry in patterns:
        text = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            routes.update(_collect(entry.url_patterns, inner, text))
        elif isinstance(entry, URLPattern):
            name = entry.name or f"<unnamed {text}>"
            routes[f"{namespace}:{name}" if namespace else name] = (text, entry.pattern)
    return routes


ROUTES = _collect(get_resolver().url_patterns)
ADMIN_ROUTES = sorted(key for key in ROUTES if key.startswith("admin:"))
APP_ROUTES = sorted(key for key in ROUTES if not key.startswith("admin:"))


def _admin_path(key: str) -> str:
    """A concrete path for an admin pattern: argument placeholders become "1"."""
    if key in ADMIN_REGEX_SAMPLES:
        return ADMIN_REGEX_SAMPLES[key]
    text, _ = ROUTES[key]
    if "(?P<" in text:
        raise AssertionError(f"{key}: add a sample path to ADMIN_REGEX_SAMPLES")
    return "/" + re.sub(r"<(?:\w+:)?\w+>", "1", text)


def _user_for(role: str):
    return user_with_role(None if role == NO_ROLE else role)


def _request(client, method: str, path: str):
    return client.get(path) if method == "GET" else client.post(path)


def _assert_outcome(response, expected, *, label: str) -> None:
    status = response.status_code
    location = response.get("Location", "")
    if expected == LOGIN:
        assert status == 302, f"{label}: expected a redirect to the login, got {status}"
        assert location.startswith(reverse(settings.LOGIN_URL)), f"{label}: went to {location}"
    elif expected == ADMIN_LOGIN:
        assert status == 302, f"{label}: expected a redirect to the admin login, got {status}"
        assert location.startswith(reverse("admin:login")), f"{label}: went to {location}"
    elif expected == ANY_LOGIN:
        assert status == 302, f"{label}: expected a redirect to a login, got {status}"
        logins = (reverse(settings.LOGIN_URL), reverse("admin:login"))
        assert location.startswith(logins), f"{label}: went to {location}"
    elif expected == ADMIN_INDEX:
        assert status == 302, f"{label}: expected a redirect to the admin index, got {status}"
        assert location == reverse("admin:index"), f"{label}: went to {location}"
    elif expected == API_DENIED:
        assert status in (401, 403), f"{label}: expected 401 or 403, got {status}"
    else:
        assert status == expected, f"{label}: expected {expected}, got {status} {location}"


# ------------------------------------------------------------------------------------------------
# The table covers the project
# ------------------------------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_table():
    missing = [key for key in APP_ROUTES if key not in EXPECTED]
    assert not missing, (
        "URL patterns without an access rule — add them to EXPECTED in "
        f"tests/test_access_matrix.py: {missing}"
    )


def test_the_table_names_only_existing_patterns():
    stale = [key for key in EXPECTED if key not in ROUTES]
    assert not stale, f"EXPECTED names URL patterns that no longer exist: {stale}"


def test_every_pattern_with_arguments_has_objects_to_point_at():
    needing = [key for key in APP_ROUTES if "<" in ROUTES[key][0] and key not in URL_KWARGS]
    assert not needing, f"Add a factory to URL_KWARGS for: {needing}"


def test_no_pattern_serves_uploaded_media():
    """Uploads are customer exports full of personal data: never served by URL."""
    media = settings.MEDIA_URL.strip("/")
    assert not [key for key, (text, _) in ROUTES.items() if text.startswith(media)]


# ------------------------------------------------------------------------------------------------
# Pages and API: the table
# ------------------------------------------------------------------------------------------------

CASES = [
    pytest.param(key, method, role, expected, id=f"{key} {method} {role}")
    for key, by_method in EXPECTED.items()
    for method in METHODS
    for role, expected in zip(ROLES, by_method[method], strict=True)
]


@pytest.mark.parametrize(("route", "method", "role", "expected"), CASES)
def test_access(client, db, route, method, role, expected):
    kwargs = URL_KWARGS[route]() if route in URL_KWARGS else {}
    path = reverse(route, kwargs=kwargs)
    if role != ANON:
        client.force_login(_user_for(role))

    response = _request(client, method, path)

    _assert_outcome(response, expected, label=f"{method} {path} as {role}")


# ------------------------------------------------------------------------------------------------
# The Django admin, as a group
# ------------------------------------------------------------------------------------------------

ADMIN_CASES = [
    pytest.param(key, method, role, id=f"{key} {method} {role}")
    for key in ADMIN_ROUTES
    for method in METHODS
    for role in NON_STAFF
]


@pytest.mark.parametrize(("route", "method", "role"), ADMIN_CASES)
def test_admin_is_closed_to_everyone_but_staff(client, db, route, method, role):
    """Anonymous requests are sent to a login by the login middleware (Django points admin-site
    views at the admin login and model-admin views at the site login); signed-in people who are
    not staff are sent to the admin's own login."""
    path = _admin_path(route)
    if role != ANON:
        client.force_login(_user_for(role))
    if route in ADMIN_SPECIAL and not (role == ANON and route != "admin:login"):
        expected = ADMIN_SPECIAL[route][method]
    else:
        expected = ANY_LOGIN if role == ANON else ADMIN_LOGIN

    response = _request(client, method, path)

    _assert_outcome(response, expected, label=f"{method} {path} as {role}")


REGISTERED_MODELS = sorted(
    admin.site._registry, key=lambda model: (model._meta.app_label, model._meta.model_name)
)


def _changelist_name(model) -> str:
    return f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"


@pytest.mark.parametrize(
    "model", REGISTERED_MODELS, ids=[model._meta.label for model in REGISTERED_MODELS]
)
def test_every_registered_model_has_a_changelist_url(model):
    path = reverse(_changelist_name(model))
    assert resolve(path).url_name == _changelist_name(model).removeprefix("admin:")


def test_staff_admin_opens_the_admin_index(client, db):
    client.force_login(_user_for(ADMIN))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "model", REGISTERED_MODELS, ids=[model._meta.label for model in REGISTERED_MODELS]
)
def test_staff_admin_changelists(client, db, model):
    """The Admin role holds every permission of Backlight's own apps, so their changelists open;
    other apps' (auth, tokens, axes) open exactly when the role was given their view permission."""
    user = _user_for(ADMIN)
    client.force_login(user)
    opts = model._meta
    own_app = opts.app_label in ("insights", "touchpoints", "metrics", "roadmap")
    may_view = user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )

    response = client.get(reverse(_changelist_name(model)))

    if own_app:
        assert response.status_code == 200
    else:
        assert response.status_code == (200 if may_view else 403)


def test_staff_admin_sees_user_changelist(client, db):
    client.force_login(_user_for(ADMIN))

    assert client.get(reverse("admin:auth_user_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 200


# ------------------------------------------------------------------------------------------------
# Static files, uploads, health check
# ------------------------------------------------------------------------------------------------

STATIC_ASSETS = (
    "css/backlight.css",
    "js/backlight.js",
    "js/charts.js",
    "img/backlight-mark.svg",
    "vendor/plotly/plotly.min.js",
    "django_htmx/htmx-2.min.js",
)


@pytest.mark.parametrize("asset", STATIC_ASSETS)
def test_static_assets_are_served_without_login(client, db, asset):
    """The sign-in page needs its CSS before anyone signs in; WhiteNoise answers before the
    login middleware. (Here from the finders; in production from collectstatic's output.)"""
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        response = client.get(settings.STATIC_URL + asset)

    assert response.status_code == 200
    assert not response.get("Location")


@pytest.mark.parametrize("role", [ANON, ADMIN])
def test_uploaded_media_is_not_served(client, db, role):
    if role != ANON:
        client.force_login(_user_for(role))

    response = client.get(settings.MEDIA_URL + "imports/2026/01/export.csv")

    assert response.status_code in (302, 404)
    assert response.status_code != 200


def test_healthz_reports_ok_without_login(client, db):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
