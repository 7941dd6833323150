from django.contrib import admin

from roadmap.models import BacklogItem, BacklogThemeLink


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
