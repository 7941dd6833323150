"""Customers, what they tell us, and what Backlight learns from it.

The ground floor of the house: every other app may read these models through
`insights.selectors` and change them only through `insights.services`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class RunStatus(models.TextChoices):
    """The life of a background run. The status is what makes a task safe to run twice: a task
    claims its run with a conditional PENDING → RUNNING update and does nothing when it loses."""

    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Segment(models.TextChoices):
    SMB = "smb", "SMB"
    MID_MARKET = "mid_market", "Mid-market"
    ENTERPRISE = "enterprise", "Enterprise"


class Plan(models.TextChoices):
    STARTER = "starter", "Starter"
    GROWTH = "growth", "Growth"
    BUSINESS = "business", "Business"
    ENTERPRISE = "enterprise", "Enterprise"


class Region(models.TextChoices):
    NORTH_AMERICA = "na", "North America"
    EMEA = "emea", "EMEA"
    APAC = "apac", "APAC"
    LATAM = "latam", "Latin America"


class Customer(TimeStamped):
    """An account: the company that pays us."""

    external_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    domain = models.CharField(
        max_length=200, blank=True, help_text="Email domain used to match respondents."
    )
    segment = models.CharField(max_length=20, choices=Segment.choices, blank=True)
    plan = models.CharField(max_length=20, choices=Plan.choices, blank=True)
    region = models.CharField(max_length=20, choices=Region.choices, blank=True)
    arr = models.DecimalField("ARR", max_digits=14, decimal_places=2, default=0)
    seats = models.PositiveIntegerField(default=0)
    customer_since = models.DateField(null=True, blank=True)
    churned = models.BooleanField(default=False)
    churned_on = models.DateField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["segment"]),
            models.Index(fields=["plan"]),
            models.Index(fields=["region"]),
            models.Index(fields=["domain"]),
            models.Index(fields=["churned", "churned_on"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(arr__gte=0), name="customer_arr_not_negative"),
            models.CheckConstraint(
                condition=Q(churned=True) | Q(churned_on__isnull=True),
                name="customer_churned_on_only_when_churned",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Contact(TimeStamped):
    """A person at a customer."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.name or self.email


class ImportPreset(TimeStamped):
    """A saved column mapping. A file whose columns have the same signature gets it by itself."""

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20)
    format_name = models.CharField(max_length=30)
    signature = models.CharField(
        max_length=64, help_text="Hash of the file's column keys, in order."
    )
    mapping = models.JSONField(default=dict, help_text="Column key → role.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["signature"])]

    def __str__(self) -> str:
        return self.name


class ImportJob(TimeStamped):
    """One uploaded file and what became of each of its rows.

    Life: uploaded (PENDING, not confirmed) → the admin confirms the mapping (confirmed_at) →
    a worker claims it (RUNNING) and commits rows chunk by chunk, each chunk together with the
    checkpoint `processed_rows`, so a job restarted after a crash resumes where it stopped and
    ends with the same result → SUCCEEDED, or FAILED with `error` when the file cannot be
    imported at all (then nothing of it was kept).
    """

    class Kind(models.TextChoices):
        SURVEY = "survey", "Survey export"
        SUPPORT_TICKETS = "support_tickets", "Support tickets"
        USAGE = "usage", "Usage analytics"
        TOUCHPOINTS = "touchpoints", "Touchpoints"

    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SURVEY)
    format_override = models.CharField(max_length=30, blank=True)
    detected_format = models.CharField(max_length=30, blank=True)
    encoding = models.CharField(max_length=20, blank=True)
    header_rows = models.PositiveSmallIntegerField(default=1)
    mapping = models.JSONField(default=dict, blank=True)
    preset = models.ForeignKey(
        ImportPreset, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(
        default=0, help_text="Checkpoint: source rows whose outcome is committed."
    )
    created_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    unmatched_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "started_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def progress(self) -> float:
        return self.processed_rows / self.total_rows if self.total_rows else 0.0


class ImportRowError(models.Model):
    """A source row that was rejected, with its line in the file and the reason."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    line = models.PositiveIntegerField()
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["job", "line"]
        constraints = [
            models.UniqueConstraint(fields=["job", "line"], name="import_row_error_once"),
        ]

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class IdempotencyKey(models.Model):
    """The answer already given to an API write sent with this Idempotency-Key header."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    endpoint = models.CharField(max_length=200)
    request_sha256 = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user"),
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return self.key


class Theme(TimeStamped):
    """A pain point: recurring feedback that Backlight clustered, and a PM may have corrected."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DISMISSED = "dismissed", "Dismissed"
        MERGED = "merged", "Merged"
        # No active feedback is left in it: kept for history and links, never listed.
        RETIRED = "retired", "Retired"

    class Polarity(models.TextChoices):
        # What its members say: a pain point is a problem, a strength is what customers value
        # (insights.ml.ranking.theme_polarity holds the rule).
        PAIN = "pain", "Pain point"
        STRENGTH = "strength", "Strength"

    label = models.CharField(max_length=120)
    label_edited = models.BooleanField(
        default=False, help_text="Set when a person renamed the theme; re-runs keep the label."
    )
    description = models.TextField(blank=True)
    summary = models.TextField(
        blank=True, help_text="The theme's most central sentence, as a customer wrote it."
    )
    keywords = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    polarity = models.CharField(max_length=20, choices=Polarity.choices, default=Polarity.PAIN)
    # A theme too big to act on is split into sub-themes: its children. Feedback sits in the
    # children; the parent's figures are theirs added up.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    statistics = models.JSONField(
        default=dict, blank=True, help_text="The ranking's parts, as the last analysis saw them."
    )
    impact = models.FloatField(default=0, help_text="Impact score: the ranking orders by it.")
    emerging = models.BooleanField(default=False, help_text="Volume spiking against its baseline.")
    quotes = models.JSONField(default=list, blank=True, help_text="Representative feedback ids.")
    # Where the theme sits in embedding space (float32, unit length): new feedback is themed by
    # its similarity to it, and a re-cluster finds the theme again by it.
    centroid = models.BinaryField(null=True, blank=True, editable=False)
    threshold = models.FloatField(
        null=True, blank=True, help_text="Similarity to the centroid below which feedback is out."
    )
    last_run = models.ForeignKey(
        "ModelRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-impact", "label"]
        indexes = [models.Index(fields=["status", "polarity", "impact"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="merged", merged_into__isnull=False)
                | (~Q(status="merged") & Q(merged_into__isnull=True)),
                name="theme_merged_into_iff_merged",
            ),
        ]

    def __str__(self) -> str:
        return self.label


NOT_REDACTED_YET = "(not analysed yet)"


class Feedback(TimeStamped):
    """One thing a customer told us, wherever it came from."""

    class Source(models.TextChoices):
        SURVEY = "survey", "Survey"
        SUPPORT_TICKET = "support_ticket", "Support ticket"
        REVIEW = "review", "Review"
        INTERVIEW = "interview", "Interview"
        TOUCHPOINT = "touchpoint", "Touchpoint"
        API = "api", "API"

    class SentimentLabel(models.TextChoices):
        NEGATIVE = "negative", "Negative"
        NEUTRAL = "neutral", "Neutral"
        POSITIVE = "positive", "Positive"

    text = models.TextField(blank=True)
    source = models.CharField(max_length=20, choices=Source.choices)
    channel = models.CharField(max_length=100, blank=True, help_text="e.g. in-app NPS, email")
    question = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(help_text="When the customer said it.")
    # No single-column indexes on customer and theme: the (customer, received_at) and
    # (theme, received_at) indexes below serve those lookups, and every index slows imports.
    customer = models.ForeignKey(
        Customer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        db_index=False,
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    nps = models.PositiveSmallIntegerField("NPS", null=True, blank=True)
    csat = models.PositiveSmallIntegerField("CSAT", null=True, blank=True)
    ces = models.PositiveSmallIntegerField("CES", null=True, blank=True)
    redacted_text = models.TextField(blank=True)
    language = models.CharField(max_length=12, blank=True)
    sentiment = models.FloatField(null=True, blank=True)
    sentiment_label = models.CharField(max_length=10, choices=SentimentLabel.choices, blank=True)
    theme = models.ForeignKey(
        Theme,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback",
        db_index=False,
    )
    theme_pinned = models.BooleanField(
        default=False, help_text="Set when a person moved it; re-runs keep its theme."
    )
    theme_similarity = models.FloatField(null=True, blank=True)
    # The versions of the text rules and of the sentiment model that produced redacted_text,
    # language and sentiment: feedback analysed by older ones is analysed again.
    text_version = models.CharField(max_length=40, blank=True)
    sentiment_version = models.CharField(max_length=120, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    import_job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback"
    )
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "feedback"
        permissions = [("view_original_text", "Can see feedback text before redaction")]
        indexes = [
            models.Index(fields=["received_at"]),
            models.Index(fields=["source", "received_at"]),
            models.Index(fields=["theme", "received_at"]),
            models.Index(fields=["customer", "received_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="feedback_unique_external_id_per_source",
            ),
            models.UniqueConstraint(
                fields=["content_hash"],
                condition=~Q(content_hash=""),
                name="feedback_unique_content_hash",
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__lte=10), name="feedback_nps_0_10"
            ),
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="feedback_csat_1_5",
            ),
            models.CheckConstraint(
                condition=Q(ces__isnull=True) | Q(ces__gte=1, ces__lte=7), name="feedback_ces_1_7"
            ),
            models.CheckConstraint(
                condition=Q(sentiment__isnull=True) | Q(sentiment__gte=-1, sentiment__lte=1),
                name="feedback_sentiment_range",
            ),
        ]

    def __str__(self) -> str:
        return (self.redacted_text or self.text)[:80] or f"Feedback #{self.pk}"

    @property
    def display_text(self) -> str:
        """What people other than admins see: the redacted text, never the original — before
        the analysis has redacted it, a placeholder."""
        if self.redacted_text:
            return self.redacted_text
        return NOT_REDACTED_YET if self.text else ""


class UsageSnapshot(TimeStamped):
    """How one account used the product in one period (a month, starting on `period`)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="usage")
    period = models.DateField(help_text="First day of the period.")
    active_users = models.PositiveIntegerField(default=0)
    feature_adoption = models.JSONField(
        default=dict, blank=True, help_text="Feature name → number of users who used it."
    )
    task_attempts = models.PositiveIntegerField(default=0)
    task_successes = models.PositiveIntegerField(default=0)
    import_job = models.ForeignKey(
        ImportJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="usage"
    )

    class Meta:
        ordering = ["customer", "period"]
        indexes = [models.Index(fields=["period"])]
        constraints = [
            models.UniqueConstraint(fields=["customer", "period"], name="usage_one_per_period"),
            models.CheckConstraint(
                condition=Q(task_successes__lte=models.F("task_attempts")),
                name="usage_successes_within_attempts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.period:%Y-%m}"


class FeedbackVector(models.Model):
    """The embedding of one feedback's redacted text, kept until the text or the model changes."""

    feedback = models.OneToOneField(
        Feedback, primary_key=True, on_delete=models.CASCADE, related_name="vector"
    )
    vector = models.BinaryField(help_text="float32, unit length")
    text_hash = models.CharField(max_length=64)
    model_version = models.CharField(max_length=120)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"vector of feedback {self.feedback_id}"


class ThemeEdit(models.Model):
    """What a person changed about a theme: every edit is kept, and every re-run respects it."""

    class Action(models.TextChoices):
        RENAME = "rename", "Renamed"
        MERGE = "merge", "Merged"
        SPLIT = "split", "Split"
        DISMISS = "dismiss", "Dismissed"
        RESTORE = "restore", "Restored"
        MOVE = "move", "Moved feedback"

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="edits")
    action = models.CharField(max_length=20, choices=Action.choices)
    details = models.JSONField(default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.theme}"


class ModelRun(TimeStamped):
    """One run of the NLP or ML pipeline: what went in, how long it took, how good it was."""

    class Kind(models.TextChoices):
        TEXT = "text", "Redaction and sentiment"
        THEMES = "themes", "Pain-point clustering"
        CHURN_TRAIN = "churn_train", "Churn model training"
        CHURN_SCORE = "churn_score", "Churn scoring"
        METRICS = "metrics", "Metric snapshots"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.PENDING)
    parameters = models.JSONField(default=dict, blank=True)
    data_size = models.PositiveIntegerField(default=0)
    progress = models.FloatField(default=0, help_text="0…1")
    timings = models.JSONField(default=dict, blank=True, help_text="Step → seconds.")
    metrics = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A trained model the run produced (e.g. the sentiment model), for the runs that use it next.
    artifact = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["kind", "status"]),
            models.Index(fields=["status", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"


class ChurnScore(TimeStamped):
    """A model's view of one account's risk of churning, and why."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="churn_scores")
    run = models.ForeignKey(ModelRun, on_delete=models.CASCADE, related_name="churn_scores")
    probability = models.FloatField()
    drivers = models.JSONField(
        default=list, blank=True, help_text='[{"feature": …, "effect": …, "text": …}]'
    )
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["-scored_at"]
        indexes = [models.Index(fields=["customer", "scored_at"])]
        constraints = [
            models.UniqueConstraint(fields=["customer", "run"], name="churn_score_one_per_run"),
            models.CheckConstraint(
                condition=Q(probability__gte=0, probability__lte=1),
                name="churn_probability_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer}: {self.probability:.0%}"
