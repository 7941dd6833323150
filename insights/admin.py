from django.contrib import admin

from insights.models import (
    ChurnScore,
    Contact,
    Customer,
    Feedback,
    ImportJob,
    ModelRun,
    Theme,
    UsageSnapshot,
)


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "external_id", "segment", "plan", "region", "arr", "seats", "churned")
    list_filter = ("segment", "plan", "region", "churned")
    search_fields = ("name", "external_id", "domain")
    inlines = [ContactInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "customer")
    search_fields = ("email", "name", "customer__name")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("__str__", "source", "received_at", "customer", "nps", "csat", "theme")
    list_filter = ("source", "sentiment_label", "theme", "customer__segment", "received_at")
    search_fields = ("text", "redacted_text", "external_id", "customer__name")
    date_hierarchy = "received_at"
    list_select_related = ("customer", "theme")
    autocomplete_fields = ("customer", "contact", "theme")
    raw_id_fields = ("import_job",)
    readonly_fields = ("content_hash", "created_at", "updated_at")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "original_name",
        "kind",
        "detected_format",
        "status",
        "created_count",
        "duplicate_count",
        "rejected_count",
        "created_at",
    )
    list_filter = ("status", "kind", "detected_format")
    search_fields = ("original_name",)
    readonly_fields = ("created_at", "updated_at", "started_at", "finished_at")


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("label", "status", "label_edited", "merged_into", "updated_at")
    list_filter = ("status", "label_edited")
    search_fields = ("label", "description")


@admin.register(UsageSnapshot)
class UsageSnapshotAdmin(admin.ModelAdmin):
    list_display = ("customer", "period", "active_users", "task_attempts", "task_successes")
    list_filter = ("period",)
    search_fields = ("customer__name", "customer__external_id")
    list_select_related = ("customer",)
    autocomplete_fields = ("customer",)


@admin.register(ModelRun)
class ModelRunAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "status", "data_size", "started_at", "finished_at")
    list_filter = ("kind", "status")
    search_fields = ("error",)
    readonly_fields = ("created_at", "updated_at", "started_at", "finished_at")


@admin.register(ChurnScore)
class ChurnScoreAdmin(admin.ModelAdmin):
    list_display = ("customer", "probability", "scored_at", "run")
    list_filter = ("scored_at",)
    search_fields = ("customer__name", "customer__external_id")
    list_select_related = ("customer", "run")
    autocomplete_fields = ("customer",)
    raw_id_fields = ("run",)
