from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render

from helpdesk import permissions


@login_required
def home(request):
    return redirect(permissions.home_url_name(request.user))


@login_required
def no_role(request):
    return render(request, "helpdesk/no_role.html", status=403)


@login_required
def inbox(request):
    return HttpResponse("inbox")
