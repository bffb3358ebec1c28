from django.urls import path

from helpdesk.views import desk

app_name = "helpdesk"

urlpatterns = [
    path("", desk.home, name="home"),
    path("no-role/", desk.no_role, name="no_role"),
    path("inbox/", desk.inbox, name="inbox"),
    path("tickets/new/", desk.inbox, name="ticket_new"),
]
