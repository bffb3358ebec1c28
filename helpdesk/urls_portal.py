from django.urls import path

from helpdesk.views import invitation, portal

app_name = "portal"

urlpatterns = [
    path("", portal.ticket_list, name="ticket_list"),
    path("invitation/<str:token>/", invitation.accept_invitation, name="invitation"),
    path("tickets/new/", portal.ticket_new, name="ticket_new"),
    path("tickets/<str:reference>/", portal.ticket_detail, name="ticket_detail"),
    path("tickets/<str:reference>/reply/", portal.ticket_reply, name="ticket_reply"),
    path("tickets/<str:reference>/solve/", portal.ticket_mark_solved, name="ticket_mark_solved"),
]
