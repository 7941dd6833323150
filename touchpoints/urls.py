from django.urls import path

from touchpoints import adherence_views, views

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
