"""The live benchmark's baseline: a bare Channels group broadcast, no database, no checks.

The same sockets as the real chat (``/ws/bare/<id>/`` for the customer and the agent,
``/ws/bare/<id>/listen/`` for listeners), the same channel layer (the project's settings,
so the same Redis and capacity), and a message is only ``group_send`` to the session's
group: the usual Channels chat recipe, which loses what the layer drops.

It keeps CPython's collector defaults, as that recipe does; ``run_live --tuned-baseline``
(``BARE_GC_TUNED=1``) gives it the chat servers' settings (``helpdesk.gctuning``), to see
how much of the comparison is the collector.
"""

from __future__ import annotations

import json
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class BareChatConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.group = f"bare.{self.scope['url_route']['kwargs']['session_id']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        frame = json.loads(text_data)
        if frame.get("type") != "message":
            return
        out = {"type": "message", "kind": "message", "body": frame.get("body"), "client_id": frame.get("client_id")}
        await self.channel_layer.group_send(self.group, {"type": "bare.message", "frame": out})

    async def bare_message(self, event: dict) -> None:
        await self.send(text_data=json.dumps(event["frame"]))


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                path("ws/bare/<str:session_id>/", BareChatConsumer.as_asgi()),
                path("ws/bare/<str:session_id>/listen/", BareChatConsumer.as_asgi()),
            ]
        ),
    }
)

if os.environ.get("BARE_GC_TUNED") == "1":
    from helpdesk.gctuning import tune_for_server  # noqa: E402

    tune_for_server()
