"""Plotly figures for the report pages, built in Python and embedded in the page as JSON.

`figure_spec` turns a figure into a plain dict for `json_script`; static/js/charts.js draws it
with the plotly.js that `config.finders.PlotlyFinder` serves, so no page needs a CDN.
"""

import datetime as dt
import json

import plotly.graph_objects as go

from insights.charts import BASE_LAYOUT, GRID, MUTED
from metrics.selectors import METRICS, QUARTER, Breakdown, SnapshotSeries

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


def _series_figure(
    series: SnapshotSeries,
    *,
    colour: str,
    name: str,
    y_range: tuple[float, float],
    suffix: str,
    segment_value: str = "",
) -> go.Figure:
    line = series.line(segment_value)
    points = line.points if line else ()
    return _trend_figure(
        months=[p.period_start for p in points],
        values=[p.value for p in points],
        lows=[p.ci_low for p in points],
        highs=[p.ci_high for p in points],
        ns=[p.n for p in points],
        colour=colour,
        name=name,
        y_range=y_range,
        suffix=suffix,
    )


def nps_trend_figure(series: SnapshotSeries, *, segment_value: str = "") -> go.Figure:
    """NPS per period of a snapshot series (one of its lines: every account by default) with its
    95 % interval as a shaded band; periods without answers are gaps."""
    return _series_figure(
        series,
        colour=NPS_COLOUR,
        name="NPS",
        y_range=(-100, 100),
        suffix="",
        segment_value=segment_value,
    )


def csat_trend_figure(series: SnapshotSeries, *, segment_value: str = "") -> go.Figure:
    """CSAT (% satisfied) per period of a snapshot series with its Wilson 95 % interval."""
    return _series_figure(
        series,
        colour=CSAT_COLOUR,
        name="CSAT",
        y_range=(0, 100),
        suffix="%",
        segment_value=segment_value,
    )


def figure_spec(figure: go.Figure) -> dict:
    """The figure as plain data for `{{ spec|json_script:"id" }}` (which escapes it for HTML)."""
    return json.loads(figure.to_json())


# --- the executive report and the product managers' dashboard -----------------------------------
#
# These figures are built from plain dicts in one `go.Figure(...)` call: a report draws sixteen
# of them, and building plotly's trace objects and updating layouts one call at a time costs four
# times as much for the same JSON.

METRIC_COLOURS = {
    "nps": NPS_COLOUR,
    "csat": CSAT_COLOUR,
    "ces": "#b45309",
    "adoption": "#0891b2",
    "task_success": "#7c3aed",
    "touchpoint_adherence": "#be185d",
}
SOURCE_COLOURS = ("#4f46e5", "#0f766e", "#d97706", "#0891b2", "#7c3aed", "#64748b")
SENTIMENT_COLOURS = {"negative": "#dc2626", "neutral": "#94a3b8", "positive": "#16a34a"}
_LEGEND = {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0}
_AXIS = {"gridcolor": GRID, "zerolinecolor": MUTED, "fixedrange": True}


def _error_bars(results) -> dict:
    """Asymmetric error bars from results with `value`, `ci_low` and `ci_high`."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [(r.ci_high if r.ci_high is not None else r.value) - r.value for r in results],
        "arrayminus": [r.value - (r.ci_low if r.ci_low is not None else r.value) for r in results],
        "color": MUTED,
        "thickness": 1.2,
    }


def snapshot_trend_figure(
    series: SnapshotSeries, *, segment_value: str = "", height: int | None = None
) -> go.Figure:
    """Any metric of a snapshot series (every account by default) per period, with its 95 %
    interval as a shaded band, on the metric's own scale; periods without data are gaps;
    quarters are labelled "Q1 2026"."""
    info = METRICS[series.metric]
    colour = METRIC_COLOURS.get(series.metric, NPS_COLOUR)
    line = series.line(segment_value)
    points = line.points if line else ()
    starts = [p.period_start for p in points]
    band = {"x": starts, "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip"}
    low, high = info.low, info.high
    # A little headroom, so that markers at the ends of the scale are not cut in half.
    pad = (high - low) * 0.04
    ticks = list(range(int(low), int(high) + 1, max(1, int((high - low) / 4))))
    xaxis = {"showgrid": False, "linecolor": GRID, "tickformat": "%b %Y", "fixedrange": True}
    if series.period_kind == QUARTER:
        xaxis.update(
            tickvals=starts,
            ticktext=[f"Q{(s.month - 1) // 3 + 1}<br>{s.year}" for s in starts],
            tickangle=0,
        )
    return go.Figure(
        data=[
            {**band, "type": "scatter", "y": [p.ci_high for p in points], "name": "95 % interval"},
            {
                **band,
                "type": "scatter",
                "y": [p.ci_low for p in points],
                "fill": "tonexty",
                "fillcolor": colour + "22",
                "name": "95 % interval",
            },
            {
                "type": "scatter",
                "x": starts,
                "y": [p.value for p in points],
                "customdata": [p.n for p in points],
                "mode": "lines+markers",
                "connectgaps": False,
                "line": {"color": colour, "width": 2.5},
                "marker": {"size": 6},
                "name": info.label,
                "hovertemplate": f"%{{y:.1f}}{info.unit} (n=%{{customdata}})"
                f"<extra>{info.label}</extra>",
            },
        ],
        layout={
            **BASE_LAYOUT,
            "height": height or BASE_LAYOUT["height"],
            "hovermode": "x unified",
            "xaxis": xaxis,
            "yaxis": {
                **_AXIS,
                "range": [low - pad, high + pad],
                "tickvals": ticks,
                "ticktext": [f"{tick}{info.unit}" for tick in ticks],
            },
        },
    )


def breakdown_figure(breakdown: Breakdown) -> go.Figure:
    """One metric per group (segment, plan, region, feature) as bars with their 95 % intervals,
    and every account's figure as a dotted line; groups without a value are left out."""
    info = METRICS[breakdown.metric]
    points = [row.point for row in breakdown.rows if row.point.value is not None]
    labels = [row.label for row in breakdown.rows if row.point.value is not None]
    xaxis = dict(_AXIS)
    if info.low is not None and info.high is not None:
        xaxis.update(range=[info.low, info.high], ticksuffix=info.unit)
    shapes = []
    if breakdown.overall.value is not None:
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": breakdown.overall.value,
                "x1": breakdown.overall.value,
                "y0": 0,
                "y1": 1,
                "line": {"dash": "dot", "color": MUTED, "width": 1},
            }
        )
    return go.Figure(
        data=[
            {
                "type": "bar",
                "orientation": "h",
                "x": [p.value for p in points],
                "y": labels,
                "marker": {"color": METRIC_COLOURS.get(breakdown.metric, NPS_COLOUR)},
                "error_x": _error_bars(points),
                "customdata": [p.n for p in points],
                "hovertemplate": f"%{{x:.1f}}{info.unit} (n=%{{customdata}})<extra>%{{y}}</extra>",
                "name": info.label,
            }
        ],
        layout={
            **BASE_LAYOUT,
            "height": max(160, 70 + 34 * len(points)),
            "margin": {"l": 140, "r": 16, "t": 8, "b": 36},
            "xaxis": xaxis,
            "yaxis": {"autorange": "reversed", "fixedrange": True, "automargin": True},
            "shapes": shapes,
        },
    )


def theme_scores_figure(themes, *, limit: int = 15) -> go.Figure:
    """NPS (left) and detractor share (right) of the pain points with NPS answers, most feedback
    first, each with its 95 % interval. `themes`: `metrics.dashboards.ThemeScores`."""
    shown = [theme for theme in themes if theme.nps.n][:limit]
    labels = [theme.label for theme in shown]
    traces = []
    for axis, results, colour, suffix in (
        ("", [theme.nps for theme in shown], NPS_COLOUR, ""),
        ("2", [theme.detractor_share for theme in shown], "#dc2626", "%"),
    ):
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "x": [r.value for r in results],
                "y": labels,
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "marker": {"color": colour},
                "error_x": _error_bars(results),
                "customdata": [r.n for r in results],
                "hovertemplate": f"%{{x:.1f}}{suffix} (n=%{{customdata}})<extra>%{{y}}</extra>",
            }
        )
    y_axis = {"autorange": "reversed", "fixedrange": True, "automargin": True}
    title = {"xref": "paper", "yref": "paper", "y": 1.0, "yanchor": "bottom", "showarrow": False}
    return go.Figure(
        data=traces,
        layout={
            **BASE_LAYOUT,
            "height": max(200, 80 + 30 * len(shown)),
            "margin": {"l": 180, "r": 16, "t": 28, "b": 36},
            "xaxis": {**_AXIS, "domain": [0, 0.48], "range": [-100, 100]},
            "xaxis2": {**_AXIS, "domain": [0.52, 1], "range": [0, 100], "ticksuffix": "%"},
            "yaxis": y_axis,
            "yaxis2": {**y_axis, "anchor": "x2", "matches": "y", "showticklabels": False},
            "annotations": [
                {**title, "x": 0.24, "text": "NPS"},
                {**title, "x": 0.76, "text": "Detractor share"},
            ],
        },
    )


def _stacked_layout(**yaxis) -> dict:
    return {
        **_LAYOUT,
        "barmode": "stack",
        "showlegend": True,
        "legend": _LEGEND,
        "yaxis": {**_LAYOUT["yaxis"], **yaxis},
    }


def source_volume_figure(volume, sources) -> go.Figure:
    """Feedback per month, stacked by source. `volume`: `metrics.dashboards.MonthVolume` per
    month; `sources`: (value, label, count) most first."""
    months = [month.month for month in volume]
    return go.Figure(
        data=[
            {
                "type": "bar",
                "x": months,
                "y": [month.by_source.get(value, 0) for month in volume],
                "name": label,
                "marker": {"color": SOURCE_COLOURS[index % len(SOURCE_COLOURS)]},
                "hovertemplate": "%{y:,}<extra>" + label + "</extra>",
            }
            for index, (value, label, _) in enumerate(sources)
        ],
        layout=_stacked_layout(rangemode="tozero"),
    )


def sentiment_trend_figure(sentiment) -> go.Figure:
    """The share of negative, neutral and positive feedback per month among the feedback scored
    so far. `sentiment`: `metrics.dashboards.MonthSentiment` per month."""
    months = [month.month for month in sentiment]
    return go.Figure(
        data=[
            {
                "type": "bar",
                "x": months,
                "y": [month.share(label) for month in sentiment],
                "customdata": [month.counts.get(label, 0) for month in sentiment],
                "name": label.capitalize(),
                "marker": {"color": colour},
                "hovertemplate": "%{y:.1f}% (%{customdata:,})<extra>" + label + "</extra>",
            }
            for label, colour in SENTIMENT_COLOURS.items()
        ],
        layout=_stacked_layout(range=[0, 100], ticksuffix="%"),
    )
