"""Live chat pages in the desk (namespace ``livelisten``): the console under /chat/, listening under /live/."""

from django.urls import path

from livelisten import views

app_name = "livelisten"
urlpatterns = [
    path("chat/", views.console, name="console"),
    path("chat/settings/", views.console_settings, name="console_settings"),
    path("chat/coaching/", views.coaching, name="coaching"),
    path("chat/<str:session_id>/pane/", views.console_pane, name="console_pane"),
    path("chat/<str:session_id>/accept/", views.console_accept, name="accept"),
    path("chat/<str:session_id>/transfer/", views.console_transfer, name="transfer"),
    path("chat/<str:session_id>/end/", views.session_end, name="end"),
    path("live/", views.dashboard, name="dashboard"),
    path("live/audit/", views.listen_audit, name="audit"),
    path("live/<str:session_id>/", views.shadow, name="shadow"),
]
