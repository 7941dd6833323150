from django.contrib import admin

from roadmap.models import (
    BacklogItem,
    BacklogThemeLink,
    ImpactReview,
    OutboundWebhook,
    Subscription,
    WebhookDelivery,
)
from roadmap.sharing.forms import OutboundWebhookAdminForm
from roadmap.sharing.services import outbound_webhook_create


class BacklogThemeLinkInline(admin.TabularInline):
    model = BacklogThemeLink
    extra = 0
    autocomplete_fields = ("theme",)


@admin.register(BacklogItem)
class BacklogItemAdmin(admin.ModelAdmin):
    list_display = ("title", "status", "owner", "team", "metric_kind", "shipped_on")
    list_filter = ("status", "metric_kind", "team")
    search_fields = ("title", "customer_problem", "desired_outcome")
    raw_id_fields = ("owner", "created_by")
    autocomplete_fields = ("evidence",)
    inlines = [BacklogThemeLinkInline]


@admin.register(BacklogThemeLink)
class BacklogThemeLinkAdmin(admin.ModelAdmin):
    list_display = ("item", "theme")
    search_fields = ("item__title", "theme__label", "rationale")
    list_select_related = ("item", "theme")
    autocomplete_fields = ("item", "theme")


@admin.register(ImpactReview)
class ImpactReviewAdmin(admin.ModelAdmin):
    list_display = ("item", "days_after", "due_on", "status", "verdict", "measured_at")
    list_filter = ("status", "verdict")
    list_select_related = ("item",)
    raw_id_fields = ("item",)


@admin.register(OutboundWebhook)
class OutboundWebhookAdmin(admin.ModelAdmin):
    form = OutboundWebhookAdminForm
    list_display = ("name", "url", "is_active", "created_by")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    raw_id_fields = ("created_by",)

    def save_model(self, request, obj, form, change):
        # A new webhook goes through the service, which gives it its signing secret.
        if change:
            super().save_model(request, obj, form, change)
            return
        created = outbound_webhook_create(
            name=obj.name,
            url=obj.url,
            is_active=obj.is_active,
            created_by=obj.created_by or request.user,
        )
        obj.pk, obj.secret, obj.created_by = created.pk, created.secret, created.created_by
        obj._state.adding = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("event", "webhook", "status", "attempts", "response_status", "created_at")
    list_filter = ("status", "event")
    list_select_related = ("webhook",)
    raw_id_fields = ("webhook",)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("kind", "channel", "user", "team", "webhook", "threshold", "is_active")
    list_filter = ("kind", "channel", "is_active")
    raw_id_fields = ("user", "team", "webhook")
