"""URL root: the desk, the portal, the API, the admin and sign-in."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from helpdesk.views import auth as auth_views

urlpatterns = [
    path("accounts/login/", auth_views.RateLimitedLoginView.as_view(), name="login"),
    path("accounts/password_reset/", auth_views.RateLimitedPasswordResetView.as_view(), name="password_reset"),
    path("accounts/password_change/", auth_views.RateLimitedPasswordChangeView.as_view(), name="password_change"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Before the admin's own URLs: its sign-in page counts against the same limits.
    path("admin/login/", auth_views.AdminLoginView.as_view(), name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("helpdesk.api.urls")),
    path("portal/", include("helpdesk.urls_portal")),
    path("", include("helpdesk.urls_desk")),
]
