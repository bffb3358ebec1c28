"""The escalations part of /api/v1/ (namespace ``escalations-api``)."""

from django.urls import path

from escalations.api import views

app_name = "escalations-api"
urlpatterns = [
    path("features/", views.FeatureListView.as_view(), name="feature-list"),
    path("features/<str:key>/gate/", views.FeatureGateView.as_view(), name="feature-gate"),
    path("escalations/", views.EscalationListView.as_view(), name="escalation-list"),
    path("escalations/<str:reference>/", views.EscalationDetailView.as_view(), name="escalation-detail"),
    path("escalations/<str:reference>/links/", views.EscalationLinksView.as_view(), name="escalation-links"),
    path(
        "escalations/<str:reference>/transitions/",
        views.EscalationTransitionsView.as_view(),
        name="escalation-transitions",
    ),
    path("escalations/<str:reference>/comments/", views.EscalationCommentsView.as_view(), name="escalation-comments"),
]
