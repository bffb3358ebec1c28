from django.urls import path

from helpdesk.views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.ticket_list, name="ticket_list"),
    path("tickets/new/", portal.ticket_list, name="ticket_new"),
]
