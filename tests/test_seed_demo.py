"""`seed_demo` and the services behind it: a believable, deterministic demo organisation."""

import contextlib
import datetime as dt
import hashlib
import io
import json
import random
import re
import statistics
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.http import HttpRequest

from insights.demo import DEMO_MARKER_EXTERNAL_ID, DEMO_PASSWORD
from insights.demo_text import (
    PAIN_POINTS,
    comment_compose,
    export_fix_shipped_on,
    months_before,
    pain_point_weight,
)
from insights.models import Contact, Customer, Feedback, Segment, UsageSnapshot
from insights.roles import Role
from roadmap.demo import demo_organisation_seed
from roadmap.models import BacklogItem
from touchpoints.adherence import adherence_report
from touchpoints.models import (
    Observation,
    PartnerTeam,
    Team,
    Touchpoint,
    TouchpointGoal,
    TouchpointKind,
)

TODAY = dt.date(2026, 3, 15)
SMALL = 0.15  # 60 accounts: enough for every signal, fast enough to seed per test


@pytest.fixture
def small_org(db):
    return demo_organisation_seed(seed=7, today=TODAY, scale=SMALL)


def _pain_comments(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        tone = rng.choices(("pain", "mixed", "praise", "generic"), weights=(45, 16, 27, 12))[0]
        texts.append(comment_compose(rng, tone=tone, pain_point=rng.choice(PAIN_POINTS).key))
    return texts


def _truth(feedback: Feedback) -> str | None:
    return feedback.metadata["demo_truth"]["pain_point"]


# --- the text generator, no database -----------------------------------------------------------


def test_the_comment_generator_is_deterministic_and_varied():
    # Given two generators with the same seed and one with another
    # When each writes 3,000 comments
    first, again, other = _pain_comments(7, 3000), _pain_comments(7, 3000), _pain_comments(8, 3000)
    # Then the same seed gives the same words, another seed other words, and few repeat
    assert first == again
    assert first != other
    assert len(set(first)) / len(first) >= 0.9


@pytest.mark.parametrize("pain", PAIN_POINTS, ids=lambda p: p.key)
def test_a_pain_point_comment_names_its_subject(pain):
    # Given 300 complaints about one pain point
    rng = random.Random(3)
    texts = [comment_compose(rng, tone="pain", pain_point=pain.key) for _ in range(300)]
    # When we look for the pain point's own words
    named = [t for t in texts if any(k in t.lower() for k in pain.keywords)]
    # Then nearly all of them carry the signal a clustering needs, and in many phrasings
    assert len(named) / len(texts) >= 0.85
    assert len(set(texts)) >= 200
    lengths = {len(t.split()) for t in texts}
    assert min(lengths) <= 4
    assert max(lengths) >= 25


def test_the_pain_point_curves_rise_and_fall():
    # Given the day the export fix shipped
    shipped = export_fix_shipped_on(TODAY)
    assert shipped == months_before(TODAY, 5)

    def weight(key: str, months_ago: float) -> float:
        return pain_point_weight(key, on=TODAY - dt.timedelta(days=30.44 * months_ago), today=TODAY)

    # Then exports fade after it, SSO loops spike once, crashes rise and onboarding gets better
    assert weight("slow_exports", 2) < weight("slow_exports", 7) / 5
    assert max(weight("sso_login_loops", m) for m in range(24)) > 10 * weight("sso_login_loops", 1)
    assert weight("mobile_upload_crash", 0) > 3 * weight("mobile_upload_crash", 20)
    assert weight("onboarding_confusion", 0) < weight("onboarding_confusion", 23) / 2


# --- the seeded organisation ---------------------------------------------------------------------


def test_the_demo_logins_sign_in_with_their_roles(client, small_org):
    # Given a seeded organisation
    expected = {
        "admin": Role.ADMIN,
        "pm": Role.PRODUCT_MANAGER,
        "engineer": Role.ENGINEER,
        "exec": Role.EXECUTIVE,
    }
    for username, role in expected.items():
        # When each demo user signs in with the demo password
        signed_in = client.login(request=HttpRequest(), username=username, password=DEMO_PASSWORD)
        # Then it can, and holds exactly its role
        assert signed_in, username
        user = get_user_model().objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.is_staff == user.is_superuser == (username == "admin")
        client.logout()


def test_re_seeding_keeps_the_demo_passwords(small_org):
    # Given a demo user whose password was changed after seeding
    pm = get_user_model().objects.get(username="pm")
    pm.set_password("changed-by-the-pm")
    pm.save()
    # When the organisation is seeded again
    summary = demo_organisation_seed(seed=7, today=TODAY, scale=SMALL)
    # Then nothing is added and the password stays
    assert not summary.created
    pm.refresh_from_db()
    assert pm.check_password("changed-by-the-pm")


def test_accounts_look_like_a_customer_base(small_org):
    # Given a seeded organisation at a fifth of full size
    customers = list(Customer.objects.all())
    # Then it has its 80 accounts across segments, plans and regions, with plausible ARR
    assert len(customers) == 60
    assert {c.segment for c in customers} == set(Segment.values)
    assert len({c.plan for c in customers}) >= 3
    assert len({c.region for c in customers}) == 4
    arr_ranges = {
        Segment.SMB: (5_000, 20_000),
        Segment.MID_MARKET: (20_000, 120_000),
        Segment.ENTERPRISE: (120_000, 1_200_000),
    }
    for customer in customers:
        low, high = arr_ranges[customer.segment]
        assert low <= customer.arr <= high
        assert customer.seats > 0
        assert customer.domain.endswith(".example")
        assert months_before(TODAY, 60) <= customer.customer_since <= TODAY
        assert customer.churned == (customer.churned_on is not None)
    churned = [c for c in customers if c.churned]
    assert 0.10 <= len(churned) / len(customers) <= 0.17
    assert all(months_before(TODAY, 24) < c.churned_on <= TODAY for c in churned)
    contacts = Counter(Contact.objects.values_list("customer_id", flat=True))
    assert all(2 <= contacts[c.pk] <= 7 for c in customers)


def test_feedback_volumes_and_fields_are_in_range(small_org):
    # Given a seeded organisation at a fifth of full size
    feedback = Feedback.objects.select_related("contact")
    surveys = list(feedback.filter(source=Feedback.Source.SURVEY))
    tickets = list(feedback.filter(source=Feedback.Source.SUPPORT_TICKET))
    # Then volumes are a fifth of about 8,000 answers and 3,000 tickets
    assert 1000 <= len(surveys) <= 1400
    assert 370 <= len(tickets) <= 560
    window_start = dt.datetime.combine(months_before(TODAY, 24), dt.time(), tzinfo=dt.UTC)
    window_end = dt.datetime.combine(TODAY, dt.time.max, tzinfo=dt.UTC)
    for feedback in surveys + tickets:
        assert window_start <= feedback.received_at <= window_end
        assert feedback.received_at.tzinfo is not None
        assert feedback.contact.customer_id == feedback.customer_id
    assert all(0 <= s.nps <= 10 for s in surveys)
    assert all(re.fullmatch(r"demo-nps-\d{6}", s.external_id) for s in surveys)
    assert len({s.external_id for s in surveys}) == len(surveys)
    assert 0.75 <= sum(bool(s.text) for s in surveys) / len(surveys) <= 0.9
    assert 0.25 <= sum(s.csat is not None for s in surveys) / len(surveys) <= 0.45
    assert 0.08 <= sum(s.ces is not None for s in surveys) / len(surveys) <= 0.25
    assert {s.channel for s in surveys} == {"In-app NPS", "Email survey"}
    assert {t.channel for t in tickets} == {"Zendesk"}
    assert all("\n\n" in t.text and t.nps is None for t in tickets)
    assert any(t.csat for t in tickets)


def test_comments_are_distinct_and_carry_every_pain_point(small_org):
    # Given the seeded comments and tickets
    feedback = [f for f in Feedback.objects.all() if f.text]
    # Then at least 90 % of the texts are distinct and every planted pain point is there
    assert len({f.text for f in feedback}) / len(feedback) >= 0.9
    mentioned = Counter(_truth(f) for f in feedback if _truth(f))
    assert set(mentioned) == {p.key for p in PAIN_POINTS}
    assert min(mentioned.values()) >= 20


def test_scores_follow_the_comment_and_sour_before_churn(small_org):
    # Given the seeded survey answers
    surveys = list(
        Feedback.objects.filter(source=Feedback.Source.SURVEY).select_related("customer")
    )
    by_tone = defaultdict(list)
    for survey in surveys:
        by_tone[survey.metadata["demo_truth"]["tone"]].append(survey.nps)
    # Then complaints skew to detractors and praise to promoters
    assert statistics.mean(by_tone["pain"]) < 5.5
    assert statistics.mean(by_tone["praise"]) > 8.5
    assert statistics.mean(by_tone["pain"]) + 3 < statistics.mean(by_tone["praise"])
    # And accounts that churn answer worse in their last three months than everyone else
    last_months, others = [], []
    for survey in surveys:
        churned_on = survey.customer.churned_on
        if churned_on and (churned_on - survey.received_at.date()).days <= 90:
            last_months.append(survey.nps)
        elif not churned_on:
            others.append(survey.nps)
    assert statistics.mean(last_months) + 1.5 < statistics.mean(others)


def test_churned_accounts_fade_before_they_leave(small_org):
    # Given each account's monthly usage
    usage = defaultdict(list)
    for snapshot in UsageSnapshot.objects.select_related("customer").order_by("period"):
        usage[snapshot.customer].append(snapshot)
        assert snapshot.task_successes <= snapshot.task_attempts
        assert snapshot.active_users <= snapshot.customer.seats
        assert set(snapshot.feature_adoption) == {
            "export", "dashboards", "mobile_upload", "search", "integrations", "bulk_edit",
        }  # fmt: skip

    def trend(snapshots, field):
        last = statistics.mean(getattr(s, field) for s in snapshots[-2:])
        earlier = statistics.mean(getattr(s, field) for s in snapshots[-9:-6])
        return last / earlier

    def success(snapshots):
        return sum(s.task_successes for s in snapshots) / sum(s.task_attempts for s in snapshots)

    churned = {c: s for c, s in usage.items() if c.churned and len(s) >= 9}
    stayed = {c: s for c, s in usage.items() if not c.churned and len(s) >= 9}
    # Then no account has usage after it churned
    assert all(s.period < c.churned_on for c, snaps in usage.items() if c.churned for s in snaps)
    # And churned accounts lose active users and task success in their last months; others don't
    assert len(churned) >= 4
    assert statistics.median(trend(s, "active_users") for s in churned.values()) < 0.75
    assert statistics.median(trend(s, "active_users") for s in stayed.values()) > 0.9
    assert statistics.median(success(s[-2:]) - success(s[-9:-6]) for s in churned.values()) < -0.05


def test_the_shipped_fix_fades_its_pain_point(small_org):
    # Given the shipped backlog item and the export complaints per month
    item = BacklogItem.objects.get(status=BacklogItem.Status.SHIPPED)
    assert item.shipped_on == export_fix_shipped_on(TODAY)
    assert "Slow CSV and report exports" in item.metric_description
    per_month = Counter(
        f.received_at.date().replace(day=1)
        for f in Feedback.objects.all()
        if _truth(f) == "slow_exports"
    )
    ship_month = item.shipped_on.replace(day=1)
    before = [per_month[months_before(ship_month, m)] for m in range(1, 7)]
    after = [per_month[months_before(ship_month, -m)] for m in range(2, 5)]
    # Then there are clearly fewer mentions a month after it shipped than before
    assert statistics.mean(after) < statistics.mean(before) / 3
    assert item.baseline == pytest.approx(statistics.mean(before), abs=0.1)


def test_engineers_teams_and_this_years_goal(small_org):
    # Given the seeded engineering organisation
    engineers = get_user_model().objects.filter(groups__name=Role.ENGINEER)
    teams = list(Team.objects.prefetch_related("members"))
    goal = TouchpointGoal.objects.get(year=TODAY.year, scope=TouchpointGoal.Scope.ORGANISATION)
    # Then 30 engineers sit in four teams, each led by one of its members
    assert engineers.count() == 30
    assert sorted(t.name for t in teams) == ["Billing", "Integrations", "Mobile", "Platform"]
    assert sum(t.members.count() for t in teams) == 30
    assert all(t.lead in t.members.all() for t in teams)
    assert engineers.filter(username="engineer").exists()
    # And the organisation's goal for this year is the agreed one
    assert (goal.target_count, goal.min_distinct_kinds) == (4, 2)
    assert goal.required_partner_teams == ["sales", "support"]
    assert goal.effective_from == dt.date(TODAY.year, 1, 1)


def test_touchpoints_cover_every_kind_and_tell_this_years_story(small_org):
    # Given the seeded touchpoints
    touchpoints = list(
        Touchpoint.objects.prefetch_related("engineers", "customers", "observations")
    )
    # Then every kind and partner team appears, with 1–2 engineers, 1–3 customers, 1–3 notes
    assert {t.kind for t in touchpoints} == set(TouchpointKind.values)
    assert {t.partner_team for t in touchpoints} == set(PartnerTeam.values)
    assert all(1 <= len(t.engineers.all()) <= 2 for t in touchpoints)
    assert all(1 <= len(t.customers.all()) <= 3 for t in touchpoints)
    assert all(1 <= len(t.observations.all()) <= 3 and t.summary for t in touchpoints)
    assert not Observation.objects.filter(feedback__isnull=False).exists()
    assert all(months_before(TODAY, 24) <= t.occurred_on <= TODAY for t in touchpoints)
    # And this year some engineers are done, some behind, and a couple have not started
    this_year = defaultdict(list)
    for touchpoint in touchpoints:
        if touchpoint.occurred_on.year == TODAY.year:
            for engineer in touchpoint.engineers.all():
                this_year[engineer.username].append(touchpoint)

    def done(tps):
        kinds = {t.kind for t in tps}
        partners = {t.partner_team for t in tps}
        return len(tps) >= 4 and len(kinds) >= 2 and partners & {"sales", "support"}

    engineers = get_user_model().objects.filter(groups__name=Role.ENGINEER)
    counts = {e.username: this_year[e.username] for e in engineers}
    assert sum(bool(done(tps)) for tps in counts.values()) >= 4
    assert sum(not tps for tps in counts.values()) == 2
    assert sum(0 < len(tps) and not done(tps) for tps in counts.values()) >= 15
    assert counts["engineer"]
    # And the adherence report, as the pages and the command compute it, tells the same story:
    # some done already, everyone else on track this early; by the year's end the rest behind
    now = Counter(row.status for row in adherence_report(year=TODAY.year, as_of=TODAY).engineers)
    assert now["done"] >= 4
    assert now["done"] + now["on_track"] == len(counts)
    year_end = dt.date(TODAY.year, 12, 31)
    later = Counter(
        row.status for row in adherence_report(year=TODAY.year, as_of=year_end).engineers
    )
    assert later["done"] == now["done"]
    assert later["behind"] == len(counts) - now["done"]


def test_the_backlog_has_an_item_in_every_column(small_org):
    # Given the seeded backlog
    items = list(BacklogItem.objects.select_related("owner", "team"))
    # Then each column has one item owned by the PM, with a team and a success metric
    assert {i.status for i in items} == {
        "discovery", "now", "next", "later", "in_progress", "shipped",
    }  # fmt: skip
    for item in items:
        assert item.owner.username == "pm"
        assert item.team is not None
        assert item.customer_problem
        assert item.desired_outcome
        assert item.has_success_metric
        assert item.metric_description.startswith("Pain point: ")
        assert item.baseline is not None
        assert (item.shipped_on is not None) == (item.status == "shipped")


# --- determinism and the command ---------------------------------------------------------------


class _Discard(Exception):
    """Raised to roll a seed back, so the next one starts from an empty database."""


def _seeded_fingerprint(seed: int) -> str:
    fingerprint = ""
    with contextlib.suppress(_Discard), transaction.atomic():
        demo_organisation_seed(seed=seed, today=TODAY, scale=0.05)
        rows = [
            *Feedback.objects.order_by("source", "external_id").values_list(
                "external_id", "text", "nps", "csat", "ces", "received_at", "customer__name"
            ),
            *UsageSnapshot.objects.order_by("customer__external_id", "period").values_list(
                "customer__external_id", "period", "active_users", "task_successes"
            ),
            *Customer.objects.order_by("external_id").values_list("name", "arr", "churned_on"),
            *sorted(Observation.objects.values_list("text", "severity")),
            *BacklogItem.objects.order_by("title").values_list("baseline", "target"),
        ]
        fingerprint = hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest()
        raise _Discard
    return fingerprint


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_organisation():
    # Given two seeds into an empty database with seed 7, and one with seed 8
    # When we fingerprint what each wrote
    first, again, other = _seeded_fingerprint(7), _seeded_fingerprint(7), _seeded_fingerprint(8)
    # Then the same seed wrote the same data, and another seed other data
    assert first == again
    assert first != other


def _counts() -> dict[str, int]:
    return {
        "customers": Customer.objects.count(),
        "churned": Customer.objects.filter(churned=True).count(),
        "contacts": Contact.objects.count(),
        "surveys": Feedback.objects.filter(source=Feedback.Source.SURVEY).count(),
        "tickets": Feedback.objects.filter(source=Feedback.Source.SUPPORT_TICKET).count(),
        "usage": UsageSnapshot.objects.count(),
        "users": get_user_model().objects.count(),
        "teams": Team.objects.count(),
        "touchpoints": Touchpoint.objects.count(),
        "observations": Observation.objects.count(),
        "goals": TouchpointGoal.objects.count(),
        "backlog": BacklogItem.objects.count(),
    }


@pytest.mark.slow
@pytest.mark.django_db
def test_seed_demo_at_full_size_twice_seeds_once():
    # Given an empty database
    # When the command runs at full size, then again
    out = io.StringIO()
    call_command("seed_demo", "--today", "2026-06-15", stdout=out)
    first = _counts()
    again_out = io.StringIO()
    call_command("seed_demo", "--today", "2026-06-15", stdout=again_out)
    # Then the first run built the organisation and printed the logins
    assert "engineer   Engineer" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    assert first["customers"] == 400
    assert 0.12 <= first["churned"] / first["customers"] <= 0.15
    assert 7200 <= first["surveys"] <= 8800
    assert 2700 <= first["tickets"] <= 3500
    assert 6000 <= first["usage"] <= 9600
    assert first["users"] == 33  # four demo logins, 29 more engineers
    assert (first["teams"], first["goals"], first["backlog"]) == (4, 1, 6)
    assert first["touchpoints"] >= 150
    # And the second run added nothing and said why
    assert _counts() == first
    assert DEMO_MARKER_EXTERNAL_ID in again_out.getvalue()
    assert "already exists" in again_out.getvalue()


@pytest.mark.django_db
def test_seed_demo_quiet_prints_nothing_and_rejects_a_bad_date():
    # Given an already seeded database
    demo_organisation_seed(seed=7, today=TODAY, scale=0.05)
    out = io.StringIO()
    # When the command runs quietly
    call_command("seed_demo", "--quiet", stdout=out)
    # Then it prints nothing
    assert out.getvalue() == ""
    # And a malformed --today is refused
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("seed_demo", "--today", "15/06/2026")


# --- the insights engine on the demo -----------------------------------------------------------


def test_the_demo_s_planted_pain_points_come_out_on_top_of_the_ranking(db):
    # Given a small demo organisation as of today (the ranking looks at the last 90 days)
    from django.db.models import Q

    from insights.selectors import pain_points_ranked
    from insights.services.analysis import analysis_run_now

    demo_organisation_seed(seed=7, today=dt.date.today(), scale=SMALL)  # noqa: DTZ011

    # When the whole pipeline runs
    analysis_run_now()

    # Then the top pain points, as every page ranks them, are the planted ones, each its own
    # theme (a parent's feedback is its sub-themes'), with a readable label of a few words
    top = [point.theme for point in pain_points_ranked(with_quotes=False)[:10]]
    truths = []
    for theme in top:
        members = Feedback.objects.filter(Q(theme=theme) | Q(theme__parent=theme))
        counts = Counter(_truth(item) for item in members)
        truth, members = counts.most_common(1)[0]
        truths.append(truth)
        assert 1 <= len(theme.label.split()) <= 7
        if truth is not None:
            assert members >= 0.5 * sum(counts.values()), (theme.label, counts)
    planted = [truth for truth in truths[:8] if truth is not None]
    assert len(planted) >= 7, truths
    assert len(set(planted)) == len(planted), truths
