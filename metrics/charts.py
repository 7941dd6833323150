"""Plotly figures for the report pages, built in Python and embedded in the page as JSON.

`figure_spec` turns a figure into a plain dict for `json_script`; static/js/charts.js draws it
with the plotly.js that `config.finders.PlotlyFinder` serves, so no page needs a CDN.
"""

import datetime as dt
import json

import plotly.graph_objects as go

from insights.charts import BASE_LAYOUT, GRID, MUTED
from metrics.selectors import PeriodScores

NPS_COLOUR = "#4f46e5"
CSAT_COLOUR = "#0f766e"

_LAYOUT = {
    **BASE_LAYOUT,
    "hovermode": "x unified",
    "xaxis": {"showgrid": False, "linecolor": GRID, "tickformat": "%b %Y", "fixedrange": True},
    "yaxis": {"gridcolor": GRID, "zerolinecolor": MUTED, "fixedrange": True},
}


def _interval_band(
    months: list[dt.date], lows: list, highs: list, colour: str, name: str
) -> list[go.Scatter]:
    return [
        go.Scatter(x=months, y=highs, mode="lines", line={"width": 0}, hoverinfo="skip", name=name),
        go.Scatter(
            x=months,
            y=lows,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor=colour + "22",
            hoverinfo="skip",
            name=name,
        ),
    ]


def _trend_figure(
    *,
    months: list[dt.date],
    values: list,
    lows: list,
    highs: list,
    ns: list[int],
    colour: str,
    name: str,
    y_range: tuple[float, float],
    suffix: str,
) -> go.Figure:
    figure = go.Figure()
    for trace in _interval_band(months, lows, highs, colour, "95 % interval"):
        figure.add_trace(trace)
    figure.add_trace(
        go.Scatter(
            x=months,
            y=values,
            customdata=ns,
            mode="lines+markers",
            connectgaps=False,
            line={"color": colour, "width": 2.5},
            marker={"size": 6},
            name=name,
            hovertemplate=f"%{{y:.1f}}{suffix} (n=%{{customdata}})<extra>{name}</extra>",
        )
    )
    figure.update_layout(**_LAYOUT)
    low, high = y_range
    # A little headroom, so that markers at the ends of the scale are not cut in half.
    pad = (high - low) * 0.04
    ticks = list(range(int(low), int(high) + 1, int((high - low) / 4)))
    figure.update_yaxes(
        range=[low - pad, high + pad],
        tickvals=ticks,
        ticktext=[f"{tick}{suffix}" for tick in ticks],
    )
    return figure


def nps_trend_figure(periods: list[PeriodScores]) -> go.Figure:
    """Monthly NPS with its 95 % interval as a shaded band; months without answers are gaps."""
    return _trend_figure(
        months=[p.start for p in periods],
        values=[p.nps.value for p in periods],
        lows=[p.nps.ci_low for p in periods],
        highs=[p.nps.ci_high for p in periods],
        ns=[p.nps.n for p in periods],
        colour=NPS_COLOUR,
        name="NPS",
        y_range=(-100, 100),
        suffix="",
    )


def csat_trend_figure(periods: list[PeriodScores]) -> go.Figure:
    """Monthly CSAT (% satisfied) with its Wilson 95 % interval."""
    return _trend_figure(
        months=[p.start for p in periods],
        values=[p.csat.value for p in periods],
        lows=[p.csat.ci_low for p in periods],
        highs=[p.csat.ci_high for p in periods],
        ns=[p.csat.n for p in periods],
        colour=CSAT_COLOUR,
        name="CSAT",
        y_range=(0, 100),
        suffix="%",
    )


def figure_spec(figure: go.Figure) -> dict:
    """The figure as plain data for `{{ spec|json_script:"id" }}` (which escapes it for HTML)."""
    return json.loads(figure.to_json())
