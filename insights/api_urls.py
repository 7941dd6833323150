"""The REST API, mounted at /api/ under the `api` namespace."""

from django.urls import path

from insights.api import CustomerListApi, FeedbackListApi

app_name = "api"

urlpatterns = [
    path("feedback/", FeedbackListApi.as_view(), name="feedback-list"),
    path("customers/", CustomerListApi.as_view(), name="customer-list"),
]
