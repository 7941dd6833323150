"""Print the ranked pain points as the pages show them: the same ranking
(`insights.selectors.pain_points_ranked`), the same order, strengths left out."""

import json

from django.core.management.base import BaseCommand, CommandError

from insights.selectors import PainPoint, pain_points_ranked

LABEL_WIDTH = 48


def pain_point_row(point: PainPoint, *, parent: int | None = None) -> dict:
    statistics = point.statistics
    return {
        "id": point.theme.pk,
        "label": point.theme.label,
        "summary": point.theme.summary,
        "score": round(float(point.theme.impact), 2),
        "volume": point.volume,
        "negative_share": float(statistics.get("negative_share") or 0.0),
        "positive_share": float(statistics.get("positive_share") or 0.0),
        "parent": parent,
    }


def pain_point_rows(*, limit: int | None) -> list[dict]:
    """The top `limit` pain points in ranking order, each followed by its sub-themes (as the
    list shows them expanded; `parent` is their pain point's id)."""
    rows = []
    for point in pain_points_ranked(with_quotes=False, limit=limit):
        parent = point.theme.parent_id if point.theme.parent_id else None
        rows.append(pain_point_row(point, parent=parent))
        rows.extend(pain_point_row(child, parent=point.theme.pk) for child in point.children)
    return rows


class Command(BaseCommand):
    help = (
        "Print the ranked pain points, highest impact first, as the pain-points page, Home and "
        "the reports show them (strengths are not pain points and are left out)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="Only the top N pain points (their sub-themes come with them).",
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON list."
        )

    def handle(self, *args, limit: int | None, as_json: bool, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1.")
        rows = pain_point_rows(limit=limit)
        if as_json:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        if not rows:
            self.stdout.write(
                "No pain points yet: they appear once feedback has been analysed "
                "(manage.py analyze_feedback)."
            )
            return
        self.stdout.write(
            f"{'#':>3}  {'Pain point':<{LABEL_WIDTH}}  {'Score':>6}  {'Volume':>7}  "
            f"{'Neg.':>5}  {'Pos.':>5}"
        )
        rank = 0
        for row in rows:
            child = row["parent"] is not None and any(
                other["id"] == row["parent"] for other in rows
            )
            if not child:
                rank += 1
            label = ("  ↳ " if child else "") + row["label"]
            if len(label) > LABEL_WIDTH:
                label = label[: LABEL_WIDTH - 1] + "…"
            self.stdout.write(
                f"{'' if child else rank:>3}  {label:<{LABEL_WIDTH}}  {row['score']:>6.1f}  "
                f"{row['volume']:>7,}  {row['negative_share']:>5.0%}  {row['positive_share']:>5.0%}"
            )
