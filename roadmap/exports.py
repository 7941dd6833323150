"""The backlog as a CSV that Jira's and Linear's importers read, with their column names.

Rows come highest customer-impact score first. Priority is the item's place in that ranking
among the exported items that have a score: the top fifth High, the next half Medium, the rest
Low; items without a score (no effort estimate) get none. Every cell goes through
`insights.exports`, which neutralises formulas (a title starting with "=" stays text).

Jira: one "Labels" column per label (its importer reads repeated columns as a multi-value field;
labels hold no spaces); "Original Estimate" in seconds of a 5-day, 8-hour week, as Jira's time
tracking counts. Linear: labels comma-separated in one cell; "Estimate" in whole person-weeks.
"""

import math
from collections.abc import Callable, Iterable

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from insights.exports import csv_download
from roadmap.models import BacklogItem

TRACKERS = ("jira", "linear")
SECONDS_PER_PERSON_WEEK = 5 * 8 * 3600
HIGH_SHARE, MEDIUM_SHARE = 0.2, 0.5
Status = BacklogItem.Status

JIRA_STATUS = {
    Status.IDEA: "To Do",
    Status.DISCOVERY: "To Do",
    Status.NOW: "To Do",
    Status.NEXT: "To Do",
    Status.LATER: "To Do",
    Status.IN_PROGRESS: "In Progress",
    Status.SHIPPED: "Done",
    Status.MEASURED: "Done",
}
LINEAR_STATUS = {
    Status.IDEA: "Triage",
    Status.DISCOVERY: "Backlog",
    Status.NOW: "Todo",
    Status.NEXT: "Backlog",
    Status.LATER: "Backlog",
    Status.IN_PROGRESS: "In Progress",
    Status.SHIPPED: "Done",
    Status.MEASURED: "Done",
}
PRIORITY = {
    "jira": {"high": "High", "medium": "Medium", "low": "Low", None: ""},
    "linear": {"high": "High", "medium": "Medium", "low": "Low", None: "No priority"},
}
TRAILING = ["Tracker Key", "Tracker URL", "Backlight URL"]


def priority_bands(items: list[BacklogItem]) -> dict[int, str | None]:
    """Item id → "high", "medium", "low" by its place among the scored items; None unscored."""
    scored = sorted(
        (item for item in items if item.rice.score is not None), key=lambda i: i.rice.sort_key
    )
    high = math.ceil(len(scored) * HIGH_SHARE)
    medium = high + math.ceil(len(scored) * MEDIUM_SHARE)
    bands: dict[int, str | None] = {item.pk: None for item in items}
    for rank, item in enumerate(scored):
        bands[item.pk] = "high" if rank < high else "medium" if rank < medium else "low"
    return bands


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def rice_sentence(item: BacklogItem) -> str:
    rice = item.rice
    effort = f"{_number(rice.effort_weeks)} person-weeks" if rice.effort_weeks else "no estimate"
    score = _number(rice.score, 2) if rice.score is not None else "none yet"
    return (
        f"Customer impact (RICE): {score} = reach {_number(rice.reach, 2)} "
        f"({rice.accounts} account{'s' if rice.accounts != 1 else ''}, weighted by ARR and churn "
        f"risk) × impact {_number(rice.impact, 2)} × confidence {rice.confidence_percent}% "
        f"÷ effort {effort}."
    )


def description(item: BacklogItem, *, item_url: str) -> str:
    parts = [f"Customer problem:\n{item.customer_problem.strip()}"]
    if item.desired_outcome.strip():
        parts.append(f"Desired outcome:\n{item.desired_outcome.strip()}")
    if item.metric_kind or item.metric_description:
        metric = [f"Success metric: {item.get_metric_kind_display() or 'not chosen'}"]
        if item.metric_description:
            metric.append(item.metric_description)
        figures = []
        if item.metric_feature:
            figures.append(f"feature {item.metric_feature}")
        if item.baseline is not None:
            figures.append(f"baseline {_number(item.baseline, 2)}")
        if item.target is not None:
            figures.append(f"target {_number(item.target, 2)}")
        figures.append(f"within {item.metric_window_days} days of shipping")
        parts.append("\n".join([" — ".join(metric), ", ".join(figures).capitalize() + "."]))
    links = list(item.theme_links.all())
    if links:
        lines = ["Pain points addressed:"]
        lines += [
            f"- {link.theme.label}" + (f": {link.rationale}" if link.rationale else "")
            for link in links
        ]
        parts.append("\n".join(lines))
    parts.append(rice_sentence(item))
    if item.tracker_url:
        parts.append(f"Tracker: {item.tracker_url}")
    parts.append(f"Backlight: {item_url}")
    return "\n\n".join(parts)


def labels(item: BacklogItem) -> list[str]:
    names = ["backlight", f"impact-{item.impact_level}"]
    names += [slugify(link.theme.label)[:60] for link in item.theme_links.all()]
    return [name for name in dict.fromkeys(names) if name]


def _estimate_seconds(item: BacklogItem) -> str:
    if not item.effort_weeks:
        return ""
    return str(round(item.effort_weeks * SECONDS_PER_PERSON_WEEK))


def _estimate_weeks(item: BacklogItem) -> str:
    return str(max(1, math.ceil(item.effort_weeks))) if item.effort_weeks else ""


def _assignee(item: BacklogItem) -> str:
    return item.owner.email if item.owner else ""


def jira_table(
    items: list[BacklogItem], *, item_url: Callable[[BacklogItem], str]
) -> tuple[list[str], Iterable[list[str]]]:
    bands = priority_bands(items)
    label_columns = max((len(labels(item)) for item in items), default=1)
    header = [
        "Summary",
        "Issue Type",
        "Priority",
        "Status",
        "Description",
        *(["Labels"] * label_columns),
        "Component",
        "Assignee",
        "Original Estimate",
        *TRAILING,
    ]

    def rows():
        for item in items:
            names = labels(item)
            yield [
                item.title,
                "Story",
                PRIORITY["jira"][bands[item.pk]],
                JIRA_STATUS[item.status],
                description(item, item_url=item_url(item)),
                *(names + [""] * (label_columns - len(names))),
                item.team.name if item.team else "",
                _assignee(item),
                _estimate_seconds(item),
                item.tracker_key,
                item.tracker_url,
                item_url(item),
            ]

    return header, rows()


def linear_table(
    items: list[BacklogItem], *, item_url: Callable[[BacklogItem], str]
) -> tuple[list[str], Iterable[list[str]]]:
    bands = priority_bands(items)
    header = [
        "Title",
        "Description",
        "Status",
        "Priority",
        "Labels",
        "Estimate",
        "Team",
        "Assignee",
        *TRAILING,
    ]

    def rows():
        for item in items:
            yield [
                item.title,
                description(item, item_url=item_url(item)),
                LINEAR_STATUS[item.status],
                PRIORITY["linear"][bands[item.pk]],
                ", ".join(labels(item)),
                _estimate_weeks(item),
                item.team.name if item.team else "",
                _assignee(item),
                item.tracker_key,
                item.tracker_url,
                item_url(item),
            ]

    return header, rows()


def backlog_csv_download(
    *, items: list[BacklogItem], tracker: str, item_url: Callable[[BacklogItem], str]
) -> StreamingHttpResponse:
    """The CSV for `tracker` ("jira" or "linear"), as a download. Items come from
    `roadmap.selectors.backlog_items_ranked` (scored, links and themes prefetched)."""
    table = jira_table if tracker == "jira" else linear_table
    header, rows = table(items, item_url=item_url)
    filename = f"backlog-{tracker}-{timezone.localdate():%Y-%m-%d}.csv"
    return csv_download(filename, header, rows)
