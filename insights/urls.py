from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("feedback/", views.feedback_list, name="feedback-list"),
    path("pain-points/", views.theme_list, name="theme-list"),
    path("pain-points/analyse/", views.theme_analysis_run, name="theme-analyse"),
    path("pain-points/analysis/", views.theme_analysis_status, name="theme-analysis-status"),
    path("pain-points/map/", views.theme_map, name="theme-map"),
    path("pain-points/<int:pk>/", views.theme_detail, name="theme-detail"),
    path("pain-points/<int:pk>/rename/", views.theme_rename, name="theme-rename"),
    path("pain-points/<int:pk>/merge/", views.theme_merge, name="theme-merge"),
    path("pain-points/<int:pk>/dismiss/", views.theme_dismiss, name="theme-dismiss"),
    path("pain-points/<int:pk>/restore/", views.theme_restore, name="theme-restore"),
    path("pain-points/<int:pk>/split/", views.theme_split, name="theme-split"),
    path("pain-points/<int:pk>/move/", views.theme_feedback_move, name="theme-feedback-move"),
    path("customers/", views.customer_list, name="customer-list"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("imports/", views.import_list, name="import-list"),
    path("imports/new/", views.import_new, name="import-new"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/progress/", views.import_progress, name="import-progress"),
    path("imports/<int:pk>/rejected.csv", views.import_errors_csv, name="import-errors-csv"),
    path("at-risk/", views.churn_at_risk, name="churn-at-risk"),
    path("at-risk/accounts.csv", views.churn_at_risk_csv, name="churn-at-risk-csv"),
    path("at-risk/model/", views.churn_model, name="churn-model"),
    path("at-risk/retrain/", views.churn_retrain, name="churn-retrain"),
]
