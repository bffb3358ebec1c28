"""URL root: the desk, the portal, the API, the admin and sign-in."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from helpdesk import extensions
from helpdesk.views import auth as auth_views
from helpdesk.views import files, navigation

urlpatterns = [
    path("accounts/login/", auth_views.RateLimitedLoginView.as_view(), name="login"),
    path("accounts/password_reset/", auth_views.RateLimitedPasswordResetView.as_view(), name="password_reset"),
    path("accounts/logout/", navigation.SignOutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.RateLimitedPasswordChangeView.as_view(), name="password_change"),
    path("accounts/", include("django.contrib.auth.urls")),
    # The admin's own sign-in and sign-out, with ``next`` made safe (helpdesk/views/navigation.py).
    path("admin/login/", navigation.admin_login),
    path("admin/logout/", navigation.admin_logout),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, not inline (Content-Security-Policy).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("helpdesk.api.urls")),
    # Mail providers' inbound webhooks, e.g. /anymail/postmark/inbound/ (docs/email.md); basic-auth protected.
    path("anymail/", include("anymail.urls")),
    # Desk and portal alike: the view checks who may see each file.
    path("attachments/<int:attachment_id>/", files.attachment_download, name="attachment"),
    path("attachments/<int:attachment_id>/preview/", files.attachment_thumbnail, name="attachment_preview"),
    # Other apps' pages and API (escalations), registered in their AppConfig.ready().
    *extensions.url_patterns(),
    path("portal/", include("helpdesk.urls_portal")),
    path("", include("helpdesk.urls_desk")),
]
