"""Escalation pages (namespace ``escalations``), under /escalations/."""

from django.urls import path

from escalations.views import board, detail, metrics, raise_form

app_name = "escalations"
urlpatterns = [
    path("", board.board, name="board"),
    path("metrics/", metrics.metrics, name="metrics"),
    path("metrics.csv", metrics.metrics_csv, name="metrics_csv"),
    path("raise/<str:reference>/", raise_form.raise_escalation, name="raise"),
    path("raise/<str:reference>/link/", raise_form.link_by_reference, name="link_by_reference"),
    path("<str:reference>/", detail.detail, name="detail"),
    path("<str:reference>/act/", detail.act, name="act"),
    path("<str:reference>/comment/", detail.comment, name="comment"),
    path("<str:reference>/link/", detail.link, name="link"),
]
