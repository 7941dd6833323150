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

    class ImpactLevel(models.TextChoices):
        """RICE impact: how much this changes each reached customer's experience."""

        MINIMAL = "minimal", "Minimal (×0.25)"
        LOW = "low", "Low (×0.5)"
        MEDIUM = "medium", "Medium (×1)"
        HIGH = "high", "High (×2)"
        MASSIVE = "massive", "Massive (×3)"

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
    target = models.FloatField(
        null=True,
        blank=True,
        help_text=(
            "Pain-point volume: % change (−50 = halve it); NPS, CSAT and churn risk: change in "
            "points; task success and adoption: the % to reach."
        ),
    )
    metric_window_days = models.PositiveSmallIntegerField(
        default=60, help_text="Days after shipping by which the target should be met."
    )
    impact_level = models.CharField(
        max_length=10, choices=ImpactLevel.choices, default=ImpactLevel.MEDIUM
    )
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
    tracker_key = models.CharField(
        max_length=50, blank=True, help_text="The ticket's key in Jira or Linear, e.g. APP-123."
    )
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


class ImpactReview(TimeStamped):
    """ "Did it work?": one look at a shipped item's success metric, a number of days after it
    shipped. Scheduled when the item ships, measured by beat when due; `before` and `after` are
    the figures of same-length windows either side of the ship date."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Verdict(models.TextChoices):
        MET = "met", "Met"
        NOT_MET = "not_met", "Not met"
        TOO_EARLY = "too_early", "Too early"
        INCONCLUSIVE = "inconclusive", "Inconclusive"

    item = models.ForeignKey(BacklogItem, on_delete=models.CASCADE, related_name="impact_reviews")
    days_after = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    verdict = models.CharField(max_length=15, choices=Verdict.choices, blank=True)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    evidence = models.JSONField(
        default=dict, blank=True, help_text="Per-theme figures, the test used, quotes, accounts."
    )
    measured_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "days_after"]
        indexes = [models.Index(fields=["status", "due_on"])]
        constraints = [
            models.UniqueConstraint(fields=["item", "days_after"], name="impact_review_once"),
            models.CheckConstraint(
                condition=Q(status="done", measured_at__isnull=False) | ~Q(status="done"),
                name="impact_review_done_is_measured",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} +{self.days_after} days"


class OutboundWebhook(TimeStamped):
    """An address outside Backlight that digests and alerts are posted to (Slack-compatible JSON),
    configured by an admin. Payloads are signed with `secret` (HMAC-SHA256)."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(TimeStamped):
    """One payload for one webhook, and every attempt to deliver it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    webhook = models.ForeignKey(
        OutboundWebhook, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=50, help_text='e.g. "digest.weekly", "alert.emerging"')
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook} ({self.get_status_display()})"


class Subscription(TimeStamped):
    """Who gets what: a person or a team, by email or through a webhook. Alerts fire only above
    `threshold` (a theme's volume this week over its weekly baseline), so people get a digest,
    not a ping per response."""

    class Kind(models.TextChoices):
        WEEKLY_DIGEST = "weekly_digest", "Weekly digest"
        EMERGING_ALERTS = "emerging_alerts", "Emerging pain-point alerts"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="roadmap_subscriptions",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    webhook = models.ForeignKey(
        OutboundWebhook,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    threshold = models.FloatField(
        default=2.0, help_text="Alerts: this week's volume ÷ the weekly baseline, at least."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, team__isnull=True)
                | Q(user__isnull=True, team__isnull=False),
                name="subscription_user_or_team",
            ),
            models.CheckConstraint(
                condition=Q(channel="email", webhook__isnull=True)
                | Q(channel="webhook", webhook__isnull=False),
                name="subscription_webhook_channel",
            ),
            models.CheckConstraint(condition=Q(threshold__gt=0), name="subscription_threshold"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.user or self.team} ({self.channel})"


class NotificationLog(models.Model):
    """What was sent once and must not be sent again: an alert per theme per week, a digest per
    subscription per week. The unique key makes a task that runs twice send once."""

    key = models.CharField(max_length=200, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
