"""Engineers meeting customers: touchpoints, the teams engineers belong to, yearly goals."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from insights.models import Customer, Feedback, Theme, TimeStamped


class Team(TimeStamped):
    name = models.CharField(max_length=100, unique=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams_led",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TouchpointKind(models.TextChoices):
    RIDE_ALONG = "ride_along", "Ride-along"
    EMPATHY_SESSION = "empathy_session", "Digital empathy session"
    EMBEDDED_SUPPORT = "embedded_support", "Embedded support shift"
    HACKATHON = "hackathon", "Customer hackathon"
    CUSTOMER_CALL = "customer_call", "Customer call"
    SITE_VISIT = "site_visit", "Site visit"


class PartnerTeam(models.TextChoices):
    SALES = "sales", "Sales"
    SUPPORT = "support", "Support"
    SUCCESS = "success", "Customer success"
    DESIGN = "design", "Design"
    PRODUCT = "product", "Product"


class Hackathon(TimeStamped):
    name = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    description = models.TextField(blank=True)
    customers = models.ManyToManyField(Customer, related_name="hackathons", blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="hackathon_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Touchpoint(TimeStamped):
    """An engineer's direct contact with customers, and what they saw."""

    kind = models.CharField(max_length=20, choices=TouchpointKind.choices)
    occurred_on = models.DateField()
    duration_minutes = models.PositiveIntegerField(default=60)
    partner_team = models.CharField(max_length=20, choices=PartnerTeam.choices, blank=True)
    engineers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="touchpoints")
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints_logged",
    )
    customers = models.ManyToManyField(Customer, related_name="touchpoints", blank=True)
    hackathon = models.ForeignKey(
        Hackathon, null=True, blank=True, on_delete=models.SET_NULL, related_name="touchpoints"
    )
    summary = models.TextField(blank=True)
    follow_ups = models.TextField(blank=True)
    import_key = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="For a touchpoint imported from a file: what makes a second import skip it.",
    )

    class Meta:
        ordering = ["-occurred_on", "-id"]
        permissions = [("change_all_touchpoints", "Can edit every engineer's touchpoints")]
        indexes = [models.Index(fields=["occurred_on"]), models.Index(fields=["kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["import_key"],
                condition=~Q(import_key=""),
                name="touchpoint_import_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.occurred_on}"


class Observation(TimeStamped):
    """One thing an engineer observed; it becomes Feedback (source: touchpoint)."""

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    touchpoint = models.ForeignKey(
        Touchpoint, on_delete=models.CASCADE, related_name="observations"
    )
    text = models.TextField()
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    feedback = models.OneToOneField(
        Feedback, null=True, blank=True, on_delete=models.SET_NULL, related_name="observation"
    )

    class Meta:
        ordering = ["touchpoint", "id"]

    def __str__(self) -> str:
        return self.text[:80]


class TouchpointGoal(TimeStamped):
    """A yearly touchpoint policy: the organisation's default, or an override for a team or an
    engineer. A policy applies from `effective_from` until a later one for the same scope."""

    class Scope(models.TextChoices):
        ORGANISATION = "organisation", "Organisation"
        TEAM = "team", "Team"
        ENGINEER = "engineer", "Engineer"

    year = models.PositiveSmallIntegerField()
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.ORGANISATION)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="goals"
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="touchpoint_goals",
    )
    effective_from = models.DateField()
    target_count = models.PositiveSmallIntegerField(default=4)
    min_distinct_kinds = models.PositiveSmallIntegerField(default=2)
    required_kinds = models.JSONField(default=list, blank=True)
    required_partner_teams = models.JSONField(
        default=list, blank=True, help_text="At least one touchpoint with one of these teams."
    )

    class Meta:
        ordering = ["year", "scope", "effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="organisation", team__isnull=True, engineer__isnull=True)
                    | Q(scope="team", team__isnull=False, engineer__isnull=True)
                    | Q(scope="engineer", team__isnull=True, engineer__isnull=False)
                ),
                name="goal_scope_matches_target",
            ),
            models.UniqueConstraint(
                fields=["year", "scope", "team", "engineer", "effective_from"],
                name="goal_one_per_scope_and_date",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        who = self.team or self.engineer or "Organisation"
        return f"{who} {self.year}: {self.target_count} touchpoints"


class EngineerSettings(TimeStamped):
    """One person's touchpoint settings: the reminders and digests they get, and the secret in
    their calendar feed's address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="touchpoint_settings"
    )
    reminders = models.BooleanField(
        default=True, help_text="Weekly email when behind the yearly touchpoint goal."
    )
    team_digest = models.BooleanField(
        default=True, help_text="Weekly digest of the team's adherence, for team leads."
    )
    calendar_token = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name_plural = "engineer settings"

    def __str__(self) -> str:
        return f"touchpoint settings of {self.user}"


class HackathonProblem(TimeStamped):
    """A customer problem statement a hackathon works on, often a pain point."""

    hackathon = models.ForeignKey(Hackathon, on_delete=models.CASCADE, related_name="problems")
    statement = models.TextField()
    theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="hackathon_problems"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.statement[:80]


class HackathonTeam(TimeStamped):
    hackathon = models.ForeignKey(Hackathon, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="hackathon_teams")
    problem = models.ForeignKey(
        HackathonProblem, null=True, blank=True, on_delete=models.SET_NULL, related_name="teams"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["hackathon", "name"], name="hackathon_team_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class HackathonOutcome(TimeStamped):
    """What a team built or learned; it can become a backlog item in one click (roadmap)."""

    team = models.ForeignKey(HackathonTeam, on_delete=models.CASCADE, related_name="outcomes")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title
