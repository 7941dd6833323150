"""Included by roadmap/urls.py without a namespace of its own: the names are "roadmap:…"."""

from django.urls import path

from roadmap.sharing import views

urlpatterns = [
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("subscriptions/team/", views.subscription_team_create, name="subscription-team-create"),
    path("subscriptions/<int:pk>/", views.subscription_update, name="subscription-update"),
    path("subscriptions/<int:pk>/delete/", views.subscription_delete, name="subscription-delete"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:pk>/test/", views.webhook_test, name="webhook-test"),
]
