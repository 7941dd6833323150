"""Reading impact reviews: an item's panel and the impact report (page, `impact_report` command).
Both read what `roadmap.impact` recorded; neither measures anything itself.

Quotes are stored as feedback ids with the redacted text of the day; they are shown with the
feedback's redacted text as it is now (the analysis may have redacted it since), never the
original.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch

from insights.selectors import feedback_list
from roadmap.models import BacklogItem, ImpactReview

SHIPPED_STATUSES = (BacklogItem.Status.SHIPPED, BacklogItem.Status.MEASURED)


def quote_texts(*, reviews: Iterable[ImpactReview]) -> dict[int, dict[str, list[str]]]:
    """Review id → {"before": [...], "after": [...]}: the current redacted text of each quote
    (the stored one when the feedback is gone; quotes never redacted are left out). One query."""
    wanted: dict[int, dict[str, list[dict]]] = {}
    for review in reviews:
        quotes = (review.evidence or {}).get("quotes") or {}
        wanted[review.pk] = {side: list(quotes.get(side) or []) for side in ("before", "after")}
    ids = {
        quote.get("feedback_id")
        for sides in wanted.values()
        for quotes in sides.values()
        for quote in quotes
    } - {None}
    current = (
        dict(feedback_list().filter(pk__in=ids).order_by().values_list("pk", "redacted_text"))
        if ids
        else {}
    )
    texts: dict[int, dict[str, list[str]]] = {}
    for review_id, sides in wanted.items():
        texts[review_id] = {}
        for side, quotes in sides.items():
            shown = []
            for quote in quotes:
                text = (current.get(quote.get("feedback_id")) or quote.get("text") or "").strip()
                if text:
                    shown.append(text)
            texts[review_id][side] = shown
    return texts


@dataclass(frozen=True)
class ImpactPanel:
    """What the item page shows under "Impact after ship"."""

    reviews: list[ImpactReview]
    latest: ImpactReview | None  # the latest review done, whose verdict stands
    quotes_before: list[str]
    quotes_after: list[str]

    @property
    def evidence(self) -> dict:
        return self.latest.evidence if self.latest else {}


def impact_panel(*, item: BacklogItem) -> ImpactPanel:
    """The item's reviews in order and the latest done one with its quotes. Two queries at most
    (none for the reviews when the caller prefetched `impact_reviews`)."""
    reviews = sorted(item.impact_reviews.all(), key=lambda review: review.days_after)
    done = [review for review in reviews if review.status == ImpactReview.Status.DONE]
    latest = done[-1] if done else None
    quotes = quote_texts(reviews=[latest]).get(latest.pk, {}) if latest else {}
    return ImpactPanel(
        reviews=reviews,
        latest=latest,
        quotes_before=quotes.get("before", []),
        quotes_after=quotes.get("after", []),
    )


@dataclass(frozen=True)
class ImpactReportRow:
    item: BacklogItem
    review: ImpactReview | None  # the latest review done; None while none is
    verdict: str
    metric: str
    shipped_on: dt.date
    target: float | None
    before: float | None
    after: float | None
    reason: str

    def as_json(self) -> dict:
        return {
            "item": self.item.title,
            "shipped_at": self.shipped_on.isoformat(),
            "verdict": self.verdict,
            "metric": self.metric,
            "before": self.before,
            "after": self.after,
            "target": self.target,
        }


def impact_report() -> list[ImpactReportRow]:
    """Every shipped or measured item, earliest ship date first, with its latest done review's
    figures and verdict (too early while none is done). Two queries."""
    items = (
        BacklogItem.objects.filter(status__in=SHIPPED_STATUSES, shipped_on__isnull=False)
        .prefetch_related(
            Prefetch(
                "impact_reviews",
                queryset=ImpactReview.objects.filter(status=ImpactReview.Status.DONE).order_by(
                    "days_after"
                ),
                to_attr="done_reviews",
            )
        )
        .order_by("shipped_on", "pk")
    )
    rows = []
    for item in items:
        review = item.done_reviews[-1] if item.done_reviews else None
        metric = (review.evidence or {}).get("metric", {}) if review else {}
        rows.append(
            ImpactReportRow(
                item=item,
                review=review,
                verdict=review.verdict if review else ImpactReview.Verdict.TOO_EARLY,
                metric=item.metric_kind,
                shipped_on=item.shipped_on,
                target=item.target,
                before=(review.before or {}).get("value") if review else None,
                after=(review.after or {}).get("value") if review else None,
                reason=metric.get("reason", "") if review else "No review is due yet.",
            )
        )
    return rows
