"""WSGI entry point: the production recipe serves HTTP from here under gunicorn.

Daphne keeps every websocket (helpdesk/asgi.py); nginx sends ``/ws/`` there and
everything else here (deploy/nginx/helpdesk.conf, README "Production"). A sync WSGI
worker spends ~20% less CPU per page than Django's ASGI path, and several
worker processes use both cores where one Daphne process stops at the GIL.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_application = get_wsgi_application()

from helpdesk.fastpath import WSGIFastPath  # noqa: E402 (after Django is set up)

# The release gate's polls answered before the full stack (helpdesk/fastpath.py).
application = WSGIFastPath(django_application)
