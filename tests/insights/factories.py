import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from insights.models import (
    ChurnScore,
    Contact,
    Customer,
    Feedback,
    ImportJob,
    ModelRun,
    Plan,
    Region,
    Segment,
    Theme,
    UsageSnapshot,
)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    external_id = factory.Sequence(lambda n: f"ACME-{n:05d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    domain = factory.Sequence(lambda n: f"customer{n}.example")
    segment = Segment.MID_MARKET
    plan = Plan.GROWTH
    region = Region.EMEA
    arr = Decimal("24000.00")
    seats = 25
    customer_since = dt.date(2023, 1, 1)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    email = factory.Sequence(lambda n: f"person{n}@customer.example")
    name = factory.Sequence(lambda n: f"Person {n}")


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme

    label = factory.Sequence(lambda n: f"Pain point {n}")
    keywords = factory.LazyFunction(lambda: ["slow", "export"])


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    text = factory.Sequence(lambda n: f"Exports are slow, report {n} took ages")
    source = Feedback.Source.SURVEY
    received_at = factory.LazyFunction(timezone.now)
    customer = factory.SubFactory(CustomerFactory)


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    original_name = factory.Sequence(lambda n: f"export-{n}.csv")


class UsageSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageSnapshot

    customer = factory.SubFactory(CustomerFactory)
    period = dt.date(2026, 1, 1)
    active_users = 20
    feature_adoption = factory.LazyFunction(lambda: {"export": 5, "dashboards": 12})
    task_attempts = 100
    task_successes = 90


class ModelRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModelRun

    kind = ModelRun.Kind.THEMES


class ChurnScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChurnScore

    customer = factory.SubFactory(CustomerFactory)
    run = factory.SubFactory(ModelRunFactory, kind=ModelRun.Kind.CHURN_SCORE)
    probability = 0.2
    scored_at = factory.LazyFunction(timezone.now)
