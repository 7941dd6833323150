from django.contrib import admin

from touchpoints.models import (
    Hackathon,
    HackathonOutcome,
    HackathonProblem,
    HackathonTeam,
    Observation,
    Team,
    Touchpoint,
    TouchpointGoal,
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lead")
    search_fields = ("name", "lead__username", "members__username")
    filter_horizontal = ("members",)


class ObservationInline(admin.TabularInline):
    model = Observation
    extra = 0
    raw_id_fields = ("feedback",)


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "occurred_on", "partner_team", "duration_minutes")
    list_filter = ("kind", "partner_team", "occurred_on")
    search_fields = ("summary", "engineers__username", "customers__name")
    date_hierarchy = "occurred_on"
    filter_horizontal = ("engineers",)
    autocomplete_fields = ("customers",)
    raw_id_fields = ("logged_by", "hackathon")
    inlines = [ObservationInline]


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "severity", "touchpoint")
    list_filter = ("severity",)
    search_fields = ("text",)
    raw_id_fields = ("touchpoint", "feedback")


@admin.register(TouchpointGoal)
class TouchpointGoalAdmin(admin.ModelAdmin):
    list_display = ("__str__", "year", "scope", "effective_from", "target_count")
    list_filter = ("year", "scope")
    search_fields = ("team__name", "engineer__username")
    raw_id_fields = ("engineer",)


@admin.register(Hackathon)
class HackathonAdmin(admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on")
    list_filter = ("starts_on",)
    search_fields = ("name", "description")
    autocomplete_fields = ("customers",)


@admin.register(HackathonProblem)
class HackathonProblemAdmin(admin.ModelAdmin):
    list_display = ("__str__", "hackathon", "theme")
    list_filter = ("hackathon",)
    search_fields = ("statement", "hackathon__name", "theme__label")
    raw_id_fields = ("hackathon", "theme")


@admin.register(HackathonTeam)
class HackathonTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "hackathon", "problem")
    list_filter = ("hackathon",)
    search_fields = ("name", "hackathon__name", "members__username")
    filter_horizontal = ("members",)
    raw_id_fields = ("hackathon", "problem")


@admin.register(HackathonOutcome)
class HackathonOutcomeAdmin(admin.ModelAdmin):
    list_display = ("title", "team", "created_at")
    list_filter = ("team__hackathon",)
    search_fields = ("title", "description", "team__name", "team__hackathon__name")
    raw_id_fields = ("team",)
