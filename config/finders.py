"""Serve plotly.js from the installed plotly package, so no page needs a CDN."""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_JS = "plotly.min.js"
STATIC_PATH = f"vendor/plotly/{PLOTLY_JS}"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source_dir = Path(plotly.__file__).resolve().parent / "package_data"
        self.storage = FileSystemStorage(location=self.source_dir)
        self.storage.prefix = "vendor/plotly"

    def check(self, **kwargs):
        if not (self.source_dir / PLOTLY_JS).exists():
            from django.core.checks import Error

            return [Error(f"plotly.js not found in {self.source_dir}", id="backlight.E001")]
        return []

    def find(self, path, find_all=False, **kwargs):
        if path != STATIC_PATH:
            return [] if find_all else None
        match = str(self.source_dir / PLOTLY_JS)
        return [match] if find_all else match

    def list(self, ignore_patterns):
        yield PLOTLY_JS, self.storage
