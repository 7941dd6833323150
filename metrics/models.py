"""Precomputed figures that dashboards read, so no page aggregates raw feedback."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from insights.models import TimeStamped


class MetricSnapshot(TimeStamped):
    class Metric(models.TextChoices):
        NPS = "nps", "NPS"
        CSAT = "csat", "CSAT"
        CES = "ces", "CES"
        ADOPTION = "adoption", "Adoption rate"
        TASK_SUCCESS = "task_success", "Task success rate"
        TOUCHPOINT_ADHERENCE = "touchpoint_adherence", "Touchpoint adherence"
        CHURN_FORECAST = "churn_forecast", "Expected churned ARR (90 days)"

    class PeriodKind(models.TextChoices):
        MONTH = "month", "Month"
        QUARTER = "quarter", "Quarter"
        YEAR = "year", "Year"

    metric = models.CharField(max_length=30, choices=Metric.choices)
    period_kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField()
    segment_field = models.CharField(
        max_length=30, blank=True, help_text="Blank for all accounts; e.g. segment, plan, region."
    )
    segment_value = models.CharField(max_length=100, blank=True)
    value = models.FloatField(null=True, blank=True, help_text="Null when there is no data.")
    n = models.PositiveIntegerField(default=0)
    ci_low = models.FloatField(null=True, blank=True)
    ci_high = models.FloatField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["metric", "period_start"]
        indexes = [models.Index(fields=["metric", "period_kind", "period_start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period_kind", "period_start", "segment_field", "segment_value"],
                name="metric_snapshot_unique",
            ),
            models.CheckConstraint(
                condition=Q(segment_field="", segment_value="") | ~Q(segment_field=""),
                name="metric_snapshot_segment_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.period_start} = {self.value}"


class ReportSubscription(TimeStamped):
    """One person's choice of report emails: the weekly executive digest is opt-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscription"
    )
    weekly_digest = models.BooleanField(
        default=False, help_text="Weekly email with the headline figures and links to the reports."
    )

    def __str__(self) -> str:
        return f"report emails of {self.user}"
