from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("feedback/", views.feedback_list, name="feedback-list"),
    path("pain-points/", views.theme_list, name="theme-list"),
    path("pain-points/<int:pk>/", views.theme_detail, name="theme-detail"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/new/", views.import_new, name="import-new"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import-progress"),
    path("imports/<int:pk>/rejected.csv", views.import_errors_csv, name="import-errors-csv"),
]
