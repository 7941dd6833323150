from django.contrib import admin

from metrics.models import MetricSnapshot


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(admin.ModelAdmin):
    list_display = (
        "metric",
        "period_kind",
        "period_start",
        "segment_field",
        "segment_value",
        "value",
        "n",
    )
    list_filter = ("metric", "period_kind", "segment_field")
    search_fields = ("segment_value",)
    date_hierarchy = "period_start"
