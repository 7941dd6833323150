"""Plotly figures of the adherence page, built in Python and embedded as JSON (drawn by
static/js/charts.js). Figures show coverage over time and by kind, never a ranking of people."""

import calendar

import plotly.graph_objects as go

from insights.charts import ACCENT, BASE_LAYOUT, GRID, figure_spec
from touchpoints.adherence import AdherenceReport
from touchpoints.models import PartnerTeam, TouchpointKind

MONTHS = [calendar.month_abbr[month] for month in range(1, 13)]
NO_PARTNER = "No partner team"
ROW_HEIGHT = 22


def adherence_heatmap_spec(report: AdherenceReport) -> dict:
    """Engineers (by username, alphabetical) × months of the year: touchpoints per month."""
    rows = report.engineers
    figure = go.Figure(
        go.Heatmap(
            z=[report.monthly.get(row.engineer_id, [0] * 12) for row in rows],
            x=MONTHS,
            y=[row.username for row in rows],
            colorscale=[[0, "#f8fafc"], [1, ACCENT]],
            zmin=0,
            xgap=2,
            ygap=2,
            hovertemplate="%{y}, %{x}: %{z} touchpoints<extra></extra>",
            showscale=False,
        )
    )
    figure.update_layout(
        **{
            **BASE_LAYOUT,
            "height": max(160, 60 + ROW_HEIGHT * len(rows)),
            "margin": {"l": 120, "r": 16, "t": 16, "b": 40},
            "xaxis": {"fixedrange": True, "side": "bottom"},
            "yaxis": {"fixedrange": True, "autorange": "reversed", "automargin": True},
        }
    )
    return figure_spec(figure)


def _bar_spec(labels: list[str], values: list[int]) -> dict:
    figure = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=ACCENT,
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    figure.update_layout(
        **{
            **BASE_LAYOUT,
            "height": max(160, 60 + 32 * len(labels)),
            "margin": {"l": 160, "r": 16, "t": 16, "b": 40},
            "xaxis": {"gridcolor": GRID, "fixedrange": True, "rangemode": "tozero"},
            "yaxis": {"fixedrange": True, "autorange": "reversed", "automargin": True},
        }
    )
    return figure_spec(figure)


def kind_breakdown_rows(report: AdherenceReport) -> list[tuple[str, int]]:
    """(label, touchpoints) for every kind, in the kinds' own order."""
    return [(label, report.by_kind.get(value, 0)) for value, label in TouchpointKind.choices]


def partner_breakdown_rows(report: AdherenceReport) -> list[tuple[str, int]]:
    rows = [(label, report.by_partner_team.get(value, 0)) for value, label in PartnerTeam.choices]
    return [*rows, (NO_PARTNER, report.by_partner_team.get("", 0))]


def kind_breakdown_spec(report: AdherenceReport) -> dict:
    rows = kind_breakdown_rows(report)
    return _bar_spec([label for label, _ in rows], [count for _, count in rows])


def partner_breakdown_spec(report: AdherenceReport) -> dict:
    rows = partner_breakdown_rows(report)
    return _bar_spec([label for label, _ in rows], [count for _, count in rows])
