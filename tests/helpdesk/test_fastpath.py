"""The fast path for polled token reads (the release gate): the same answers as the full stack, or none at all."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from channels.testing import HttpCommunicator
from django.utils import timezone

from escalations import services as escalation_services
from helpdesk import fastpath, services
from helpdesk.asgi import application as asgi_application
from helpdesk.models import ApiToken
from helpdesk.wsgi import application as wsgi_application

pytestmark = pytest.mark.django_db(transaction=True)

GATE = "/api/v1/features/billing.invoices/gate/"


@pytest.fixture
def feature(product_manager):
    product = escalation_services.product_ensure(actor=None, key="billing", name="Billing")
    return escalation_services.feature_ensure(
        actor=None, product=product, key="billing.invoices", name="Invoices", owner=product_manager
    )


def token_for(user) -> str:
    _, key = services.api_token_create(actor=user, name="ci")
    ApiToken.objects.filter(user=user).update(last_used_at=timezone.now())  # used a moment ago
    return key


def wsgi_get(path: str, key: str | None, query: str = ""):
    answered = {}

    def start_response(status, headers):
        answered["status"], answered["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    if key is not None:
        environ["HTTP_AUTHORIZATION"] = f"Token {key}"
    body = b"".join(wsgi_application(environ, start_response))
    return int(answered["status"].split()[0]), answered["headers"], body


def test_it_answers_like_the_full_stack_in_two_queries(agent, feature, ticket, django_assert_max_num_queries, on_postgresql):
    key = token_for(agent)
    assert fastpath.answer(GATE, f"Token {key}") == (200, b'{"feature":"billing.invoices","blocked":false,"escalations":[]}')
    fast_status, fast_headers, fast_body = wsgi_get(GATE, key)
    slow_status, slow_headers, slow_body = wsgi_get(GATE, key, query="full=1")  # a query string takes the full stack
    assert (fast_status, fast_body) == (slow_status, slow_body) == (200, fast_body)
    expected = {name.lower() for name in slow_headers} - {"allow"}
    assert expected <= {name.lower() for name in fast_headers}
    escalation = escalation_services.escalation_raise(
        actor=agent, ticket=ticket, feature=feature, severity="blocking", title="Blank", customer_impact="Empty."
    )
    status, _, body = wsgi_get(GATE, key)
    assert status == 423 and escalation.reference.encode() in body
    # The token with its account's right, and the gate (its flag and ids apart where there are no arrays).
    with django_assert_max_num_queries(2 if on_postgresql else 3):
        assert fastpath.answer(GATE, f"Token {key}")[0] == 423


@pytest.mark.parametrize(
    "case", ["no token", "bad header", "unknown", "revoked", "expired", "stale", "inactive", "customer", "unknown feature"]
)
def test_everything_it_is_not_sure_of_goes_to_django(case, agent, customer, feature):
    key = token_for(agent)
    path, header = GATE, f"Token {key}"
    if case == "no token":
        header = None
    elif case == "bad header":
        header = f"Bearer {key}"
    elif case == "unknown":
        header = "Token hdk_not-a-real-key"
    elif case == "revoked":
        ApiToken.objects.update(revoked_at=timezone.now())
    elif case == "expired":
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif case == "stale":  # its "last used" needs a write: the full stack does it
        ApiToken.objects.update(last_used_at=timezone.now() - timedelta(hours=1))
    elif case == "inactive":
        type(agent).objects.filter(pk=agent.pk).update(is_active=False)
    elif case == "customer":
        header = f"Token {token_for(customer.user)}"
    elif case == "unknown feature":
        path = "/api/v1/features/nope.none/gate/"
    assert fastpath.answer(path, header) is None


def test_a_stale_token_is_touched_by_the_full_stack_then_served_fast(agent, feature):
    _, key = services.api_token_create(actor=agent, name="ci")
    assert fastpath.answer(GATE, f"Token {key}") is None  # never used: Django records its use
    status, _, _ = wsgi_get(GATE, key)
    assert status == 200 and ApiToken.objects.get().last_used_at is not None
    assert fastpath.answer(GATE, f"Token {key}")[0] == 200


async def test_daphne_s_asgi_application_takes_the_same_path(agent, feature):
    from channels.db import database_sync_to_async

    key = await database_sync_to_async(token_for)(agent)
    communicator = HttpCommunicator(
        asgi_application, "GET", GATE, headers=[(b"host", b"testserver"), (b"authorization", f"Token {key}".encode())]
    )
    response = await communicator.get_response(timeout=10)
    assert response["status"] == 200 and response["body"] == b'{"feature":"billing.invoices","blocked":false,"escalations":[]}'
    assert dict(response["headers"])[b"cache-control"] == b"private, no-store"
    missing = HttpCommunicator(
        asgi_application,
        "GET",
        "/api/v1/features/nope.none/gate/",
        headers=[(b"host", b"testserver"), (b"authorization", f"Token {key}".encode())],
    )
    assert (await missing.get_response(timeout=10))["status"] == 404  # Django's own answer
