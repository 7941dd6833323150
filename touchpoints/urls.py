from django.urls import path

from touchpoints import adherence_views, settings_views, views

app_name = "touchpoints"

urlpatterns = [
    path("", views.touchpoint_list, name="touchpoint-list"),
    path("new/", views.touchpoint_new, name="touchpoint-new"),
    path("customers/search/", views.customer_search, name="customer-search"),
    path("<int:pk>/", views.touchpoint_detail, name="touchpoint-detail"),
    path("<int:pk>/edit/", views.touchpoint_edit, name="touchpoint-edit"),
    path("adherence/", adherence_views.touchpoint_adherence, name="adherence"),
    path("adherence.csv", adherence_views.touchpoint_adherence_csv, name="adherence-csv"),
]

from touchpoints import hackathon_views  # noqa: E402

urlpatterns += [
    path("hackathons/", hackathon_views.hackathon_list, name="hackathon-list"),
    path("hackathons/new/", hackathon_views.hackathon_new, name="hackathon-new"),
    path("hackathons/<int:pk>/", hackathon_views.hackathon_detail, name="hackathon-detail"),
    path(
        "hackathons/<int:pk>/problems/",
        hackathon_views.hackathon_problem_add,
        name="hackathon-problem-add",
    ),
    path(
        "hackathons/<int:pk>/teams/", hackathon_views.hackathon_team_add, name="hackathon-team-add"
    ),
    path(
        "hackathons/<int:pk>/outcomes/",
        hackathon_views.hackathon_outcome_add,
        name="hackathon-outcome-add",
    ),
]

urlpatterns += [
    path("settings/", settings_views.touchpoint_settings, name="settings"),
    path(
        "settings/calendar-secret/",
        settings_views.calendar_secret_rotate,
        name="calendar-rotate",
    ),
    path("calendar/<slug:token>.ics", settings_views.calendar_feed, name="calendar-feed"),
]
