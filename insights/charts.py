"""Figures of the pain-point pages: plotly figures built here and embedded in the page as JSON
(drawn by static/js/charts.js), plus the small pieces drawn without plotly (score bars and
sparklines, dozens to a page)."""

import html
import json
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from insights.models import Theme

INK = "#0f172a"
MUTED = "#475569"
GRID = "#e2e8f0"
ACCENT = "#4f46e5"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

# A small template of our own: plotly's default template adds ~8 kB of JSON to every figure.
# The house look of every chart; metrics/charts.py builds on it.
BASE_LAYOUT = {
    "template": go.layout.Template(),
    "font": {"family": FONT, "size": 13, "color": INK},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "margin": {"l": 48, "r": 16, "t": 16, "b": 40},
    "height": 320,
    "showlegend": False,
}

# The impact score's parts (insights.ml.ranking.PARTS), for people, with a colour each.
SCORE_PARTS: dict[str, tuple[str, str]] = {
    "volume": ("Volume", "#4f46e5"),
    "trend": ("Trend", "#0891b2"),
    "negativity": ("Negativity", "#dc2626"),
    "nps_impact": ("NPS impact", "#d97706"),
    "arr": ("ARR", "#0f766e"),
    "churn_risk": ("Churn risk", "#7c3aed"),
}


@dataclass(frozen=True)
class ScorePart:
    key: str
    label: str
    colour: str
    points: float
    percent: float  # of the whole score, for the bar's segment width


def score_parts(statistics: dict) -> list[ScorePart]:
    """The parts of a theme's impact score that contribute, in the ranking's order."""
    parts = (statistics or {}).get("parts") or {}
    total = sum(max(float(value or 0), 0.0) for value in parts.values())
    result = []
    for key, (label, colour) in SCORE_PARTS.items():
        points = max(float(parts.get(key) or 0), 0.0)
        if points > 0:
            percent = round(100 * points / total, 1) if total else 0.0
            result.append(ScorePart(key, label, colour, round(points, 1), percent))
    return result


SPARK_WIDTH, SPARK_HEIGHT = 120, 28


def sparkline_points(values: list[int] | None) -> str:
    """The `points` of an SVG polyline drawing `values` in a 120×28 box ("" for no data)."""
    values = [float(v or 0) for v in (values or [])]
    if len(values) < 2:
        return ""
    top = max(values) or 1.0
    step = SPARK_WIDTH / (len(values) - 1)
    pad = 2
    return " ".join(
        f"{i * step:.1f},{pad + (SPARK_HEIGHT - 2 * pad) * (1 - value / top):.1f}"
        for i, value in enumerate(values)
    )


def theme_timeline_figure(weeks: list) -> go.Figure:
    """Weekly feedback of one theme: (Monday, count) pairs, oldest first."""
    figure = go.Figure(
        go.Bar(
            x=[monday.isoformat() for monday, _ in weeks],
            y=[count for _, count in weeks],
            marker={"color": ACCENT},
            hovertemplate="Week of %{x|%d %b %Y}: %{y}<extra></extra>",
        )
    )
    figure.update_layout(**BASE_LAYOUT, bargap=0.15)
    figure.update_xaxes(showgrid=False, linecolor=GRID, tickformat="%b %Y", fixedrange=True)
    figure.update_yaxes(gridcolor=GRID, zerolinecolor=MUTED, fixedrange=True, rangemode="tozero")
    return figure


def _centroids_2d(vectors: np.ndarray) -> np.ndarray:
    """PCA to two dimensions; one theme sits at the origin, a flat second axis stays at 0."""
    if len(vectors) < 2:
        return np.zeros((len(vectors), 2))
    from sklearn.decomposition import PCA

    components = min(2, len(vectors), vectors.shape[1])
    projected = PCA(n_components=components, random_state=7).fit_transform(vectors)
    if components < 2:
        projected = np.hstack([projected, np.zeros((len(vectors), 2 - components))])
    return projected


def theme_map_figure(themes: list[Theme]) -> go.Figure | None:
    """Active themes' centroids projected to 2-D: near markers are themes that may overlap.
    Marker area follows the 90-day volume. None when no theme has a usable centroid."""
    usable = []
    for theme in themes:
        vector = np.frombuffer(bytes(theme.centroid), dtype=np.float32)
        if vector.size:
            usable.append((theme, vector))
    if not usable:
        return None
    size = max(len(vector) for _, vector in usable)
    usable = [(theme, vector) for theme, vector in usable if len(vector) == size]
    points = _centroids_2d(np.vstack([vector for _, vector in usable]).astype(np.float64))
    volumes = [int((theme.statistics or {}).get("volume_90") or 0) for theme, _ in usable]
    biggest = max(volumes) or 1
    figure = go.Figure(
        go.Scatter(
            x=[round(float(x), 4) for x in points[:, 0]],
            y=[round(float(y), 4) for y in points[:, 1]],
            mode="markers+text",
            # plotly reads a few tags in text; escaped, a label shows as typed.
            text=[html.escape(theme.label) for theme, _ in usable],
            textposition="top center",
            customdata=[
                [volume, round(theme.impact, 1)]
                for (theme, _), volume in zip(usable, volumes, strict=True)
            ],
            marker={
                "size": [12 + 38 * (volume / biggest) ** 0.5 for volume in volumes],
                "color": ["#d97706" if theme.emerging else ACCENT for theme, _ in usable],
                "opacity": 0.7,
                "line": {"width": 1, "color": "#ffffff"},
            },
            hovertemplate=(
                "<b>%{text}</b><br>%{customdata[0]} in 90 days · impact %{customdata[1]}"
                "<extra></extra>"
            ),
        )
    )
    figure.update_layout(**{**BASE_LAYOUT, "height": 520, "hovermode": "closest"})
    for axis in (figure.update_xaxes, figure.update_yaxes):
        axis(showgrid=False, zeroline=False, showticklabels=False, fixedrange=False)
    return figure


def figure_spec(figure: go.Figure) -> dict:
    """The figure as plain data for `{{ spec|json_script:"id" }}` (which escapes it for HTML)."""
    return json.loads(figure.to_json())


# --- churn ----------------------------------------------------------------------------------------

RISK_COLOUR = "#7c3aed"


def risk_sparkline_points(probabilities: list[float] | None) -> str:
    """The `points` of an SVG polyline of churn probabilities in the 120×28 box, from 0 at the
    bottom to the larger of 10 % and the highest value at the top ("" for fewer than two)."""
    values = [float(v or 0) for v in (probabilities or [])]
    if len(values) < 2:
        return ""
    top = max(0.1, max(values))
    step = SPARK_WIDTH / (len(values) - 1)
    pad = 2
    return " ".join(
        f"{i * step:.1f},{pad + (SPARK_HEIGHT - 2 * pad) * (1 - value / top):.1f}"
        for i, value in enumerate(values)
    )


def importance_rows(importance: list[tuple[str, float]], *, top: int = 12) -> list[dict]:
    """The features a model leans on, (name, value) largest first, as rows of a bar list: each
    with its bar's width in % of the largest (features it does not lean on are left out)."""
    shown = [(name, value) for name, value in importance if value > 0][:top]
    largest = max((value for _, value in shown), default=0.0)
    return [
        {"label": name, "value": value, "percent": round(100 * value / largest, 1)}
        for name, value in shown
    ]


def churn_calibration_figure(bins: list) -> go.Figure:
    """Predicted against observed churn per bin of the validation (objects with `predicted`,
    `observed` and `count`): a calibrated model sits on the diagonal."""
    top = max([0.05, *(b.predicted for b in bins), *(b.observed for b in bins)]) * 1.1
    figure = go.Figure(
        [
            go.Scatter(
                x=[0, top],
                y=[0, top],
                mode="lines",
                line={"color": MUTED, "dash": "dot", "width": 1},
                hoverinfo="skip",
                name="Perfect calibration",
            ),
            go.Scatter(
                x=[round(b.predicted, 4) for b in bins],
                y=[round(b.observed, 4) for b in bins],
                mode="lines+markers",
                marker={"color": RISK_COLOUR, "size": [8 + min(b.count, 400) ** 0.5 for b in bins]},
                line={"color": RISK_COLOUR},
                customdata=[b.count for b in bins],
                hovertemplate=(
                    "Predicted %{x:.1%} · churned %{y:.1%} · %{customdata} accounts<extra></extra>"
                ),
                name="Validation",
            ),
        ]
    )
    figure.update_layout(**BASE_LAYOUT)
    figure.update_xaxes(
        title_text="Predicted probability",
        tickformat=".0%",
        range=[0, top],
        gridcolor=GRID,
        fixedrange=True,
    )
    figure.update_yaxes(
        title_text="Share that churned",
        tickformat=".0%",
        range=[0, top],
        gridcolor=GRID,
        fixedrange=True,
    )
    return figure
