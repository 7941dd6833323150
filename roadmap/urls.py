from django.urls import path

from roadmap import views

app_name = "roadmap"

urlpatterns = [
    path("", views.backlog_list, name="backlog-list"),
    path("items/<int:pk>/", views.backlog_detail, name="backlog-detail"),
]
