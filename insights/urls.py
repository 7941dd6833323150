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
]
