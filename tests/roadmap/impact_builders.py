"""Givens for the impact-review tests: a shipped item, its pain point and feedback spread evenly
over the days of a window."""

import datetime as dt

from django.utils import timezone

from insights.models import Feedback, Theme
from roadmap.models import BacklogItem, BacklogThemeLink
from tests.insights.factories import CustomerFactory, ThemeFactory
from tests.roadmap.factories import BacklogItemFactory

SHIPPED_ON = dt.date(2026, 1, 15)
# The 90-day review's after-window ends here; a day later every review is due.
ALL_DUE = SHIPPED_ON + dt.timedelta(days=91)


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def shipped_item(
    *,
    themes: tuple[Theme, ...] = (),
    metric_kind: str = BacklogItem.MetricKind.THEME_VOLUME,
    target: float | None = -50,
    window: int = 60,
    feature: str = "",
    shipped_on: dt.date = SHIPPED_ON,
    **fields,
) -> BacklogItem:
    item = BacklogItemFactory(
        status=BacklogItem.Status.SHIPPED,
        shipped_on=shipped_on,
        metric_kind=metric_kind,
        metric_description="Mentions per month halved.",
        metric_feature=feature,
        target=target,
        metric_window_days=window,
        **fields,
    )
    for theme in themes:
        BacklogThemeLink.objects.create(item=item, theme=theme)
    return item


def mentions(
    *,
    theme: Theme | None,
    start: dt.date,
    days: int,
    count: int,
    customers=None,
    text: str = "Exports time out again",
    **fields,
) -> list[Feedback]:
    """`count` feedback spread evenly over `days` days from `start`, round-robin over
    `customers` (a new account each when None)."""
    rows = []
    for i in range(count):
        customer = customers[i % len(customers)] if customers else CustomerFactory()
        rows.append(
            Feedback(
                text=f"{text} ({i})",
                redacted_text=f"{text} ({i})",
                source=Feedback.Source.SURVEY,
                received_at=noon(start + dt.timedelta(days=i * days // count)),
                customer=customer,
                theme=theme,
                **fields,
            )
        )
    return Feedback.objects.bulk_create(rows)


def daily_background(*, start: dt.date, end: dt.date) -> None:
    """One unthemed answer a day, so the imports look caught up."""
    customer = CustomerFactory()
    Feedback.objects.bulk_create(
        Feedback(
            text="Fine",
            source=Feedback.Source.SURVEY,
            received_at=noon(start + dt.timedelta(days=i)),
            customer=customer,
        )
        for i in range((end - start).days + 1)
    )


def fading_pain_point(*, before: int = 60, after_30: int = 8, after_late: int = 6) -> Theme:
    """A pain point mentioned `before` times in the 60 days before shipping, `after_30` times in
    the 30 days after and `after_late` times in days 31–90; feedback every day throughout."""
    theme = ThemeFactory(label="Slow exports")
    mentions(theme=theme, start=SHIPPED_ON - dt.timedelta(days=60), days=60, count=before)
    mentions(theme=theme, start=SHIPPED_ON + dt.timedelta(days=1), days=30, count=after_30)
    mentions(theme=theme, start=SHIPPED_ON + dt.timedelta(days=31), days=60, count=after_late)
    daily_background(start=SHIPPED_ON - dt.timedelta(days=60), end=ALL_DUE)
    return theme
