from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import views
from touchpoints.api import TouchpointApi

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("insights/", include("insights.urls")),
    path("touchpoints/", include("touchpoints.urls")),
    path("roadmap/", include("roadmap.urls")),
    path("reports/", include("metrics.urls")),
    path("api/touchpoints/", TouchpointApi.as_view(), name="api-touchpoint-list"),
    path("api/", include("insights.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Backlight administration"
admin.site.site_title = "Backlight"

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
