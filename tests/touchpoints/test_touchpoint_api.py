import datetime as dt

from rest_framework.test import APIClient

from insights.roles import Role
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory
from tests.touchpoints.factories import TouchpointFactory
from touchpoints.models import Touchpoint

URL = "/api/touchpoints/"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_filters_by_year_and_engineer(db):
    # given
    engineer = user_with_role(Role.ENGINEER)
    mine = TouchpointFactory(engineers=[engineer], occurred_on=dt.date(2026, 3, 1))
    TouchpointFactory(occurred_on=dt.date(2026, 3, 2))
    TouchpointFactory(engineers=[engineer], occurred_on=dt.date(2025, 3, 1))

    # when
    response = _client(user_with_role(Role.EXECUTIVE)).get(
        URL, {"year": 2026, "engineer": engineer.pk}
    )

    # then
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_engineer_logs_a_touchpoint_and_is_on_it(db):
    # given
    engineer = user_with_role(Role.ENGINEER)
    customer = CustomerFactory()

    # when
    response = _client(engineer).post(
        URL,
        {
            "kind": "customer_call",
            "occurred_on": "2026-01-05",
            "customers": [customer.pk],
            "observations": [{"text": "Exports time out", "severity": "high"}],
        },
        format="json",
    )

    # then
    assert response.status_code == 201, response.json()
    touchpoint = Touchpoint.objects.get(pk=response.json()["id"])
    assert list(touchpoint.engineers.all()) == [engineer]
    assert touchpoint.observations.count() == 1


def test_executives_may_not_log_and_bad_input_is_a_400(db):
    # given
    executive = user_with_role(Role.EXECUTIVE)
    engineer = user_with_role(Role.ENGINEER)
    body = {"kind": "customer_call", "occurred_on": "2026-01-05"}

    # when
    refused = _client(executive).post(URL, body, format="json")
    unknown = _client(engineer).post(URL, {**body, "customers": [999999]}, format="json")
    future = _client(engineer).post(URL, {**body, "occurred_on": "2999-01-01"}, format="json")
    not_object = _client(engineer).post(URL, [body], format="json")

    # then
    assert refused.status_code == 403
    assert unknown.status_code == future.status_code == not_object.status_code == 400
    assert not Touchpoint.objects.exists()
