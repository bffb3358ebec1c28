"""ASGI entry point: Daphne serves HTTP and websockets from here."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

# Imported after Django is set up: routing modules import models.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from helpdesk.consumers import NoRouteConsumer  # noqa: E402
from helpdesk.fastpath import ASGIFastPath  # noqa: E402
from helpdesk.gctuning import tune_for_server  # noqa: E402
from helpdesk.routing import websocket_urlpatterns  # noqa: E402
from helpdesk.websocket import OriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        # The release gate's polls answered before the full stack (helpdesk/fastpath.py).
        "http": ASGIFastPath(django_asgi_app),
        # The full Origin is checked first (helpdesk/websocket.py); a path no route
        # serves is refused at the handshake rather than raising in the router (a 500).
        "websocket": OriginValidator(
            AuthMiddlewareStack(URLRouter([*websocket_urlpatterns, re_path(r"", NoRouteConsumer.as_asgi())]))
        ),
    }
)

# Last: everything imported so far lives as long as the server.
tune_for_server()
