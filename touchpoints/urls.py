from django.urls import path

from touchpoints import views

app_name = "touchpoints"

urlpatterns = [
    path("", views.touchpoint_list, name="touchpoint-list"),
    path("<int:pk>/", views.touchpoint_detail, name="touchpoint-detail"),
]
