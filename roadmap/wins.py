"""Reading wins: shipped items whose latest impact review met the target, with the customers'
words before and after (redacted text only) and the engineers whose touchpoints surfaced the pain
(recorded with the review, so the feed costs two queries however long it is)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.http import HttpRequest
from django.template.loader import render_to_string

from insights.selectors import day_start
from roadmap.impact_selectors import SHIPPED_STATUSES, quote_texts
from roadmap.models import BacklogItem, ImpactReview

REPORT_WINS = 5  # wins in the executive report's panel


@dataclass(frozen=True)
class Win:
    item: BacklogItem
    review: ImpactReview
    metric: str  # the metric's label, e.g. "Pain-point volume"
    target: float | None
    unit: str
    observed: float | None  # the change (or level) measured
    before: float | None
    after: float | None
    reason: str
    quotes_before: list[str]
    quotes_after: list[str]
    engineers: list[dict]  # {"username", "name", "touchpoints"}, most touchpoints first

    @property
    def measured_at(self) -> dt.datetime | None:
        return self.review.measured_at


def wins_recent(*, since: dt.datetime | dt.date | None = None, limit: int = 10) -> list[Win]:
    """The latest wins, most recently measured first: items (shipped or measured) whose latest
    done review says met, measured since `since` when given. Two queries."""
    latest_done = (
        ImpactReview.objects.filter(item=OuterRef("item"), status=ImpactReview.Status.DONE)
        .order_by("-days_after", "-pk")
        .values("pk")[:1]
    )
    reviews = ImpactReview.objects.filter(
        status=ImpactReview.Status.DONE,
        verdict=ImpactReview.Verdict.MET,
        item__status__in=SHIPPED_STATUSES,
        pk=Subquery(latest_done),
    )
    if since is not None:
        if not isinstance(since, dt.datetime):
            since = day_start(since)
        reviews = reviews.filter(measured_at__gte=since)
    reviews = list(
        reviews.select_related("item", "item__team").order_by("-measured_at", "-pk")[:limit]
    )
    quotes = quote_texts(reviews=reviews)
    wins = []
    for review in reviews:
        evidence = review.evidence or {}
        metric = evidence.get("metric") or {}
        wins.append(
            Win(
                item=review.item,
                review=review,
                metric=review.item.get_metric_kind_display(),
                target=review.item.target,
                unit=(evidence.get("target") or {}).get("unit", ""),
                observed=metric.get("observed"),
                before=(review.before or {}).get("value"),
                after=(review.after or {}).get("value"),
                reason=metric.get("reason", ""),
                quotes_before=quotes[review.pk]["before"],
                quotes_after=quotes[review.pk]["after"],
                engineers=list(evidence.get("credits") or []),
            )
        )
    return wins


def wins_report_panel(request: HttpRequest) -> str:
    """The executive report's wins section (registered with `metrics.report_panels`)."""
    if not request.user.has_perm("roadmap.view_backlogitem"):
        return ""
    return render_to_string(
        "roadmap/_wins_panel.html", {"wins": wins_recent(limit=REPORT_WINS)}, request=request
    )
