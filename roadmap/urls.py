from django.urls import path

from roadmap import views

app_name = "roadmap"

urlpatterns = [
    path("", views.backlog_list, name="backlog-list"),
    path("items/<int:pk>/", views.backlog_detail, name="backlog-detail"),
    path("pain-points/", views.pain_points, name="pain"),
    path("pain-points/<int:pk>/promote/", views.promote_theme, name="promote-theme"),
    path("hackathon-outcomes/<int:pk>/promote/", views.promote_outcome, name="promote-outcome"),
]
