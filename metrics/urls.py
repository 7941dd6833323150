from django.urls import path

from metrics import views, views_report

app_name = "metrics"

urlpatterns = [
    path("", views.report, name="report"),
    # The executive report, its exports and its digest opt-in; the product managers' dashboard.
    path("executive/", views_report.executive_report_page, name="executive-report"),
    path("executive.csv", views_report.executive_report_csv, name="executive-report-csv"),
    path("executive.pdf", views_report.executive_report_pdf, name="executive-report-pdf"),
    path(
        "executive/digest/",
        views_report.report_subscription_update,
        name="executive-report-subscription",
    ),
    path("dashboard/", views_report.dashboard_page, name="dashboard"),
]
