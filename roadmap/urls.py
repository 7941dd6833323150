from django.urls import include, path

from roadmap import views, views_impact

app_name = "roadmap"

urlpatterns = [
    path("", views.backlog_list, name="backlog-list"),
    path("export.csv", views.backlog_export, name="backlog-export"),
    path("items/new/", views.backlog_new, name="backlog-new"),
    path("items/<int:pk>/", views.backlog_detail, name="backlog-detail"),
    path("items/<int:pk>/edit/", views.backlog_edit, name="backlog-edit"),
    path("items/<int:pk>/move/", views.backlog_move, name="backlog-move"),
    path("pain-points/", views.pain_points, name="pain"),
    path("pain-points/<int:pk>/promote/", views.promote_theme, name="promote-theme"),
    path("hackathon-outcomes/<int:pk>/promote/", views.promote_outcome, name="promote-outcome"),
    path("wins/", views_impact.wins, name="wins"),
    path("", include("roadmap.sharing.urls")),
]
