"""The backlog: work that starts from a customer problem and ends in a measured outcome."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from insights.models import Feedback, Theme, TimeStamped
from touchpoints.models import HackathonOutcome, Team


class BacklogItem(TimeStamped):
    class Status(models.TextChoices):
        IDEA = "idea", "Idea"
        DISCOVERY = "discovery", "Discovery"
        NOW = "now", "Now"
        NEXT = "next", "Next"
        LATER = "later", "Later"
        IN_PROGRESS = "in_progress", "In progress"
        SHIPPED = "shipped", "Shipped"
        MEASURED = "measured", "Measured"

    class MetricKind(models.TextChoices):
        THEME_VOLUME = "theme_volume", "Pain-point volume"
        NPS = "nps", "NPS of affected accounts"
        CSAT = "csat", "CSAT of affected accounts"
        TASK_SUCCESS = "task_success", "Task success"
        ADOPTION = "adoption", "Feature adoption"
        CHURN_RISK = "churn_risk", "Churn risk of affected accounts"

    title = models.CharField(max_length=200)
    customer_problem = models.TextField(help_text="What hurts the customer, in their words.")
    desired_outcome = models.TextField(blank=True, help_text="The experience we want instead.")
    metric_kind = models.CharField(max_length=20, choices=MetricKind.choices, blank=True)
    metric_description = models.CharField(
        max_length=300, blank=True, help_text='e.g. "SSO login loops volume −50 % in 60 days"'
    )
    metric_feature = models.CharField(
        max_length=100, blank=True, help_text="Feature whose adoption or task success is measured."
    )
    baseline = models.FloatField(null=True, blank=True)
    target = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IDEA)
    position = models.PositiveIntegerField(default=0, help_text="Order within its column.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backlog_items",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="backlog_items"
    )
    effort_weeks = models.FloatField(null=True, blank=True, help_text="Person-weeks.")
    confidence = models.PositiveSmallIntegerField(default=50, help_text="Percent, 0–100.")
    themes = models.ManyToManyField(
        Theme, through="BacklogThemeLink", related_name="backlog_items", blank=True
    )
    evidence = models.ManyToManyField(Feedback, related_name="backlog_items", blank=True)
    tracker_url = models.URLField(blank=True)
    hackathon_outcome = models.OneToOneField(
        HackathonOutcome,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backlog_item",
        help_text="The hackathon outcome this item grew from.",
    )
    shipped_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["status", "position", "-created_at"]
        indexes = [models.Index(fields=["status", "position"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(confidence__lte=100), name="backlog_confidence_percent"
            ),
            models.CheckConstraint(
                condition=Q(shipped_on__isnull=False) | ~Q(status__in=["shipped", "measured"]),
                name="backlog_shipped_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_success_metric(self) -> bool:
        return bool(self.metric_kind and self.metric_description and self.target is not None)


class BacklogThemeLink(TimeStamped):
    """Why a backlog item addresses a pain point."""

    item = models.ForeignKey(BacklogItem, on_delete=models.CASCADE, related_name="theme_links")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="backlog_links")
    rationale = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "theme"], name="backlog_theme_link_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item} ↔ {self.theme}"
