"""The executive report as a CSV file and as a PDF, from the same `ExecutiveReport` the page shows.

* **CSV**: one tidy table, a row per figure (section, metric, period, group, value, interval, n,
  previous value, change, significant), for spreadsheets and BI tools. Written by
  `insights.exports`, so that no cell (a pain point's name comes from customers' words) runs as a
  formula; negative numbers stay numbers.
* **PDF**: A4, with fpdf2 (pure Python): the headline table, the churn forecast, the monthly and
  quarterly figures, the breakdowns by segment, plan, region and feature, the rising pain points.
  No charts: the tables are the figures. Its built-in font covers Latin-1; other characters in
  names are transliterated or replaced by "?".
"""

import unicodedata
from collections.abc import Iterator

from fpdf import FPDF
from fpdf.fonts import FontFace

from metrics.reports import (
    BREAKDOWN_METRICS,
    TREND_METRICS,
    ExecutiveReport,
    interval_text,
    period_label,
    value_text,
)
from metrics.selectors import METRICS, MONTH, QUARTER, SnapshotPoint

CSV_HEADER = (
    "section",
    "metric",
    "period_kind",
    "period_start",
    "period_end",
    "group",
    "group_value",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "previous_value",
    "change",
    "significant",
)


def _number(value: float | None, places: int = 3) -> float | str:
    return "" if value is None else round(value, places)


def _point_cells(point: SnapshotPoint) -> tuple:
    return (
        point.period_start.isoformat(),
        point.period_end.isoformat(),
    ), (_number(point.value), _number(point.ci_low), _number(point.ci_high), point.n)


def _row(section, metric, kind, point, group="", group_value="", previous="", change="", sig=""):
    dates, figures = _point_cells(point)
    return (section, metric, kind, *dates, group, group_value, *figures, previous, change, sig)


def executive_report_csv_rows(report: ExecutiveReport) -> Iterator[tuple]:
    """The rows of the CSV export (CSV_HEADER's columns), headline first."""
    for tile in report.tiles:
        yield _row(
            "headline",
            tile.metric,
            report.period_kind,
            tile.current,
            previous=_number(tile.previous.value),
            change=_number(tile.headline.change),
            sig="yes" if tile.significant else "no",
        )
    churn = report.churn
    if churn.run_id is not None:
        day = churn.scored_at.date().isoformat() if churn.scored_at else ""
        yield (
            ("churn_forecast", "expected_churned_arr_90_days", "scoring run", day, day, "", "")
            + (round(float(churn.expected_arr), 2), "", "", churn.accounts_scored, "", "", "")
        )
        yield (
            ("churn_forecast", "high_risk_accounts", "scoring run", day, day, "", "")
            + (churn.high_risk_accounts, "", "", churn.accounts_scored, "", "", "")
        )
    for section, all_series in (("trend", report.monthly), ("trend", report.quarterly)):
        for series in all_series:
            line = series.line()
            for point in line.points if line else ():
                yield _row(section, series.metric, series.period_kind, point)
    for table in report.breakdowns:
        for breakdown in table.breakdowns:
            for row in breakdown.rows:
                yield _row(
                    "breakdown",
                    breakdown.metric,
                    breakdown.period_kind,
                    row.point,
                    group=table.field,
                    group_value=row.label,
                )
    for row in report.features.rows:
        yield _row(
            "breakdown",
            report.features.metric,
            report.features.period_kind,
            row.point,
            group="feature",
            group_value=row.label,
        )
    for pain_point in report.pain_points:
        yield (
            "rising_pain_point",
            "feedback_last_30_days",
            "",
            "",
            "",
            "pain_point",
            pain_point.label,
            pain_point.volume_30,
            "",
            "",
            pain_point.volume_30,
            pain_point.previous_30,
            pain_point.change,
            "emerging" if pain_point.emerging else "",
        )


def executive_report_filename(report: ExecutiveReport, extension: str) -> str:
    name = period_label(report.period_start, report.period_kind).replace(" ", "-")
    basis = "" if report.complete else "-to-date"
    return f"executive-report-{name}{basis}.{extension}"


# --- PDF -----------------------------------------------------------------------------------------

_PUNCTUATION = str.maketrans(
    {
        "—": "-",
        "–": "-",
        "−": "-",
        "…": "...",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "≤": "<=",
        "≥": ">=",
        "→": "->",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Œ": "OE",
        "œ": "oe",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


def pdf_text(text: str) -> str:
    """`text` in Latin-1, which the PDF's built-in font covers: typographic punctuation as its
    ASCII cousin, accented letters outside Latin-1 without their accent, anything else "?"."""
    out = []
    for char in str(text).translate(_PUNCTUATION):
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode()
            out.append(base or "?")
    return "".join(out)


_HEADINGS = FontFace(emphasis="BOLD", fill_color=(241, 245, 249))
_INK = (15, 23, 42)
_MUTED = (71, 85, 105)


class _ReportPdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report_title = title
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(title)
        self.set_creator("Backlight")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("helvetica", size=8)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, pdf_text(f"{self.report_title} - page {self.page_no()}"), align="C")

    def heading(self, text: str) -> None:
        self.ln(4)
        self.set_font("helvetica", style="B", size=12)
        self.set_text_color(*_INK)
        self.cell(0, 7, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font("helvetica", size=8.5)

    def note(self, text: str) -> None:
        self.set_font("helvetica", size=8.5)
        self.set_text_color(*_MUTED)
        self.multi_cell(0, 4.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*_INK)

    def grid(self, header: list[str], rows: list[list[str]], widths: tuple[float, ...]) -> None:
        self.set_font("helvetica", size=8.5)
        align = ("LEFT",) + ("RIGHT",) * (len(header) - 1)
        with self.table(
            col_widths=widths,
            text_align=align,
            headings_style=_HEADINGS,
            line_height=5,
            padding=(0.6, 1.2),
            borders_layout="HORIZONTAL_LINES",
            width=sum(widths),
            align="LEFT",
        ) as table:
            for cells in [header, *rows]:
                row = table.row()
                for cell in cells:
                    row.cell(pdf_text(cell))


def _figure(metric: str, point: SnapshotPoint | None) -> str:
    if point is None or point.value is None:
        return "-"
    return value_text(metric, point.value)


def _cell_text(cell) -> str:
    return f"{cell.text} ({cell.n:,})" if cell.value is not None else "-"


def executive_report_pdf(report: ExecutiveReport, *, compress: bool = True) -> bytes:
    """The report as an A4 PDF document (tables only). `compress` False leaves the page text
    readable in the file, for tests."""
    basis = "" if report.complete else " so far"
    title = f"Executive report: {report.period_name}{basis}"
    pdf = _ReportPdf(title)
    pdf.set_compression(compress)
    pdf.add_page()
    pdf.set_font("helvetica", style="B", size=16)
    pdf.set_text_color(*_INK)
    pdf.cell(0, 9, pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    computed = report.computed_at
    pdf.note(
        f"{report.period_name} ({report.period_start:%d %b %Y} to {report.period_end:%d %b %Y})"
        f" against {report.previous_name}. Figures computed "
        + (f"{computed:%d %b %Y %H:%M} UTC" if computed else "- not yet")
        + ". A change is flagged significant only when the previous value lies outside this"
        " period's 95 % confidence interval."
    )

    pdf.heading("Headline figures")
    pdf.grid(
        ["Metric", report.period_name, "95 % CI", "n", report.previous_name, "Change", "Flag"],
        [
            [
                tile.info.label,
                tile.value,
                tile.interval,
                f"{tile.current.n:,}",
                tile.previous_value,
                tile.change,
                "significant" if tile.significant else "",
            ]
            for tile in report.tiles
        ],
        (44, 22, 30, 16, 22, 22, 24),
    )
    churn = report.churn
    if churn.run_id is None:
        pdf.note("Churn forecast: no churn forecast yet (no scoring run has finished).")
    else:
        scored = f"{churn.scored_at:%d %b %Y}" if churn.scored_at else "-"
        pdf.note(
            f"Churn forecast: expected churned ARR in the next 90 days {churn.expected_arr:,.0f}"
            f" across {churn.accounts_scored:,} accounts scored, {churn.high_risk_accounts:,}"
            f" at high risk (scored {scored})."
        )

    labels = [METRICS[metric].label for metric in TREND_METRICS]
    widths = (22,) + (158 / len(TREND_METRICS),) * len(TREND_METRICS)
    for period_kind, heading in ((MONTH, "Monthly figures"), (QUARTER, "Quarterly figures")):
        pdf.heading(f"{heading} (value and n; newest first)")
        rows = report.monthly_rows if period_kind == MONTH else report.quarterly_rows
        pdf.grid(
            ["Period", *labels],
            [[row.label, *(_cell_text(cell) for cell in row.cells)] for row in rows],
            widths,
        )

    breakdown_labels = [METRICS[metric].label for metric in BREAKDOWN_METRICS]
    breakdown_widths = (40,) + (140 / len(BREAKDOWN_METRICS),) * len(BREAKDOWN_METRICS)
    for table in report.breakdowns:
        pdf.heading(f"By {table.title.lower()}, {report.period_name}")
        rows = [[row.label, *(_cell_text(cell) for cell in row.cells)] for row in table.rows]
        rows.append(["All accounts", *(_cell_text(cell) for cell in table.overall)])
        pdf.grid([table.title, *breakdown_labels], rows, breakdown_widths)

    pdf.heading(f"Adoption by feature, {report.period_name}")
    if report.features.rows:
        pdf.grid(
            ["Feature", "Adoption", "95 % CI", "Active users"],
            [
                [
                    row.label,
                    _figure(report.features.metric, row.point),
                    interval_text(report.features.metric, row.point),
                    f"{row.point.n:,}",
                ]
                for row in report.features.rows
            ],
            (70, 30, 40, 30),
        )
    else:
        pdf.note("No feature usage recorded in this period.")
    pdf.note("Task success is recorded per account, not per feature: see the breakdowns above.")

    pdf.heading("Rising pain points (feedback in the last 30 days against the 30 before)")
    if report.pain_points:
        pdf.grid(
            ["Pain point", "Last 30 days", "30 days before", "Change", "Emerging"],
            [
                [
                    item.label,
                    f"{item.volume_30:,}",
                    f"{item.previous_30:,}",
                    f"+{item.change:,}",
                    "yes" if item.emerging else "",
                ]
                for item in report.pain_points
            ],
            (80, 25, 28, 20, 22),
        )
    else:
        pdf.note("No pain point is rising.")
    return bytes(pdf.output())
