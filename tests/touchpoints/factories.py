import datetime as dt

import factory
from django.contrib.auth import get_user_model

from touchpoints.models import (
    Hackathon,
    HackathonOutcome,
    HackathonProblem,
    HackathonTeam,
    Team,
    Touchpoint,
    TouchpointGoal,
    TouchpointKind,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@backlight.example")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Tester"
    password = factory.django.Password("backlight-test-pass")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint
        skip_postgeneration_save = True

    kind = TouchpointKind.RIDE_ALONG
    occurred_on = dt.date(2026, 3, 1)
    duration_minutes = 60
    summary = "Rode along with support on a call about slow exports."
    logged_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def engineers(self, create, extracted, **kwargs):
        if create:
            self.engineers.set(extracted or [self.logged_by])


class TouchpointGoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TouchpointGoal

    year = 2026
    effective_from = dt.date(2026, 1, 1)


class HackathonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hackathon

    name = factory.Sequence(lambda n: f"Customer hackathon {n}")
    starts_on = dt.date(2026, 3, 10)
    ends_on = dt.date(2026, 3, 11)


class HackathonProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HackathonProblem

    hackathon = factory.SubFactory(HackathonFactory)
    statement = "Finance teams cannot export a year of invoices in one go."


class HackathonTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HackathonTeam
        skip_postgeneration_save = True

    hackathon = factory.SubFactory(HackathonFactory)
    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class HackathonOutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HackathonOutcome

    team = factory.SubFactory(HackathonTeamFactory)
    title = factory.Sequence(lambda n: f"Streaming export prototype {n}")
    description = "Exports stream row by row instead of building the file in memory."
