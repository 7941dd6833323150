"""Writing the backlog. Every change to a backlog item goes through here."""

from django.db import IntegrityError, transaction

from insights.models import Theme
from insights.selectors import theme_quotes
from roadmap.models import BacklogItem, BacklogThemeLink
from roadmap.selectors import backlog_item_open_for_theme
from touchpoints.hackathons import hackathon_outcome_get

PROMOTE_QUOTES = 3


def _money(amount: float) -> str:
    return f"${amount:,.0f}"


def _promotion_rationale(theme: Theme) -> str:
    statistics = theme.statistics or {}
    accounts = int(statistics.get("accounts") or 0)
    return (
        f"Promoted from the pain point “{theme.label}” (impact {theme.impact:.1f}, "
        f"{accounts} account{'s' if accounts != 1 else ''}, "
        f"ARR {_money(float(statistics.get('arr_affected') or 0))})."
    )


def _customer_problem(theme: Theme, quotes: list) -> str:
    statistics = theme.statistics or {}
    volume = int(statistics.get("volume_90") or 0)
    sentence = f"Customers keep raising “{theme.label}”"
    sentence += (
        f": {volume} mention{'s' if volume != 1 else ''} in the last 90 days." if volume else "."
    )
    lines = [sentence]
    # Redacted text only: the backlog is read by everyone, the original by admins alone.
    lines += [f"“{feedback.redacted_text.strip()}”" for feedback in quotes]
    return "\n\n".join(lines)


@transaction.atomic
def backlog_item_promote_from_theme(*, theme: Theme, user) -> BacklogItem:
    """A backlog idea for a pain point, linked to it, with its representative quotes as evidence.
    Promoting a theme that an open item already addresses returns that item."""
    # The theme row's lock makes two promotions of the same theme queue, so the second one
    # finds the first one's item instead of making a duplicate.
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    existing = backlog_item_open_for_theme(theme_id=theme.pk)
    if existing is not None:
        return existing
    quotes = [
        feedback
        for feedback in theme_quotes(theme=theme, limit=PROMOTE_QUOTES * 2)
        if feedback.redacted_text.strip()
    ][:PROMOTE_QUOTES]
    item = BacklogItem.objects.create(
        title=theme.label[:200],
        customer_problem=_customer_problem(theme, quotes),
        status=BacklogItem.Status.IDEA,
        metric_kind=BacklogItem.MetricKind.THEME_VOLUME,
        owner=user,
        created_by=user,
    )
    BacklogThemeLink.objects.create(item=item, theme=theme, rationale=_promotion_rationale(theme))
    if quotes:
        item.evidence.add(*quotes)
    return item


def _outcome_rationale(outcome) -> str:
    team = outcome.team
    return f"From hackathon “{team.hackathon.name}”, team “{team.name}”: “{outcome.title}”."


@transaction.atomic
def backlog_item_promote_from_outcome(*, outcome, user) -> BacklogItem:
    """A backlog idea from a hackathon outcome, linked to the pain point of the team's problem.
    An outcome that already became an item returns that item, whatever its status."""
    outcome = hackathon_outcome_get(outcome_id=outcome.pk)
    existing = BacklogItem.objects.filter(hackathon_outcome=outcome).first()
    if existing is not None:
        return existing
    problem = outcome.team.problem
    theme = problem.theme if problem is not None else None
    customer_problem = (
        problem.statement if problem is not None else outcome.description
    ) or outcome.title
    try:
        # The one-to-one column is unique: a promotion racing this one makes the insert fail,
        # and the savepoint lets us return the winner's item instead of a duplicate.
        with transaction.atomic():
            item = BacklogItem.objects.create(
                title=outcome.title[:200],
                customer_problem=customer_problem,
                desired_outcome=outcome.description if problem is not None else "",
                status=BacklogItem.Status.IDEA,
                metric_kind=BacklogItem.MetricKind.THEME_VOLUME if theme is not None else "",
                hackathon_outcome=outcome,
                owner=user,
                created_by=user,
            )
    except IntegrityError:
        return BacklogItem.objects.get(hackathon_outcome=outcome)
    if theme is not None:
        BacklogThemeLink.objects.create(
            item=item, theme=theme, rationale=_outcome_rationale(outcome)
        )
    return item
