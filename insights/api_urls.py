"""The REST API, mounted at /api/ under the `api` namespace."""

from django.urls import path

from insights.api import CustomerApi, FeedbackApi, UsageUpsertApi

app_name = "api"

urlpatterns = [
    path("feedback/", FeedbackApi.as_view(), name="feedback-list"),
    path("customers/", CustomerApi.as_view(), name="customer-list"),
    path("usage/", UsageUpsertApi.as_view(), name="usage"),
]
