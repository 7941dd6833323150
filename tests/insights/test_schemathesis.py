"""Property-based tests of the whole API against its own OpenAPI schema (schemathesis).

Schemathesis takes the schema that /api/schema/ serves, generates requests for every /api/
operation — valid ones and invalid ones — and sends them to the app in-process over WSGI with an
Admin token. Every answer must be a non-5xx, with a status, content type and body the schema
documents. Bounded (MAX_EXAMPLES per operation, derandomised) so that it stays well under a
minute and fails the same way twice.

The schema is generated at collection (as the schema view does) rather than fetched from the
view through a pytest fixture: fetching needs a token, so a database, which collection does not
have; and schemathesis' fixture-based loader does not run on pytest 9.2. A test below checks
that the view serves exactly this schema.
"""

import itertools
import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.insights.factories import CustomerFactory, FeedbackFactory, ThemeFactory

MAX_EXAMPLES = 25
KNOWN_ACCOUNT = "SCHEMATHESIS-ACCOUNT"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _generated_schema() -> dict:
    """The OpenAPI document /api/schema/ serves, as JSON data."""
    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(_generated_schema()).include(path_regex="^/api/")
schema.app = get_wsgi_application()
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
)
# The coverage phase walks every boundary the schema states (lengths, ranges, enums, formats) for
# valid requests; its invalid variants would triple the run for little: the fuzzing phase sends
# invalid requests too.
schema.config.phases.coverage.generation.update(modes=[schemathesis.GenerationMode.POSITIVE])


@pytest.fixture
def admin_token(role_admin) -> str:
    return Token.objects.create(user=role_admin).key


@pytest.fixture
def in_test_transaction(db):
    """Keep WSGI requests inside the test's transaction: Django closes the connection at the end
    of each request, which would end it (the test client disconnects the same handler)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def some_data(db) -> None:
    """Something to list and to refer to: accounts, a pain point, feedback."""
    theme = ThemeFactory()
    for customer in [*CustomerFactory.create_batch(2), CustomerFactory(external_id=KNOWN_ACCOUNT)]:
        FeedbackFactory(customer=customer, theme=theme)


_key_numbers = itertools.count()


def _steer(case) -> None:
    """Point generated writes at the code under test rather than at the first guard:
    schemathesis draws few distinct Idempotency-Keys, so most writes would replay or clash (422)
    with an earlier example's key; a unique prefix keeps each key's shape but makes it new. And
    usage needs an existing account (an unknown one is a 400, tested in test_api.py)."""
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and key.strip() and len(key) < 190:
        case.headers["Idempotency-Key"] = f"{next(_key_numbers)}-{key}"
    if case.path == "/api/usage/":
        items = case.body if isinstance(case.body, list) else [case.body]
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("customer"), str):
                item["customer"] = KNOWN_ACCOUNT


def test_the_schema_tested_is_the_one_served(client, role_admin):
    client.force_login(role_admin)

    served = client.get("/api/schema/", {"format": "json"}).json()

    assert served == _generated_schema()
    assert {"/api/feedback/", "/api/customers/", "/api/usage/"} <= set(served["paths"])


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # The fixtures are meant to be shared by an operation's examples: one transaction, one token.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_api_conforms_to_its_schema(case, in_test_transaction, some_data, admin_token):
    _steer(case)
    case.call_and_validate(headers={"Authorization": f"Token {admin_token}"}, checks=CHECKS)
