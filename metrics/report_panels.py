"""Panels that apps above `metrics` add to the executive report — today roadmap's wins — so the
report can show them without importing upwards (the same arrangement as insights' import sinks).

An app registers a panel when Django starts (`AppConfig.ready`); the report renders every
registered panel per request, outside the report's cached body, so a panel is always current. A
panel returns HTML (from `render_to_string`), or "" when the user may not see it.
"""

from collections.abc import Callable

from django.http import HttpRequest
from django.utils.safestring import SafeString

ReportPanel = Callable[[HttpRequest], SafeString | str]

_PANELS: dict[str, ReportPanel] = {}


def report_panel_register(*, name: str, render: ReportPanel) -> None:
    """Make `render` the panel called `name` (a later call replaces it)."""
    _PANELS[name] = render


def report_panels_render(*, request: HttpRequest) -> list[SafeString | str]:
    """Every registered panel's HTML for this request, in name order; empty ones left out."""
    return [html for _, render in sorted(_PANELS.items()) if (html := render(request))]
