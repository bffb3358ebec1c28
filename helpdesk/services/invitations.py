"""Portal invitations: a customer gets a link to choose a password, then signs in with their email.

The link is signed (Django's signing, with its own salt), expires after
``HELPDESK_INVITATION_DAYS`` and works once: it carries a fingerprint of the account's
password hash, which changes as soon as a password is set.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date

from helpdesk import links, permissions, roles
from helpdesk.errors import ActionForbidden, InvalidInput
from helpdesk.invitation_tokens import invitation_token, invitation_user
from helpdesk.mail.models import OutboundEmail
from helpdesk.models import Customer
from helpdesk.services.audit import audit_record
from helpdesk.services.outbox import outbox_message_enqueue
from helpdesk.services.people import user_create, user_set_roles


def _portal_account(customer: Customer) -> AbstractBaseUser:
    """The customer's sign-in, made now when they have none: their email is the username."""
    if customer.user_id is not None:
        return customer.user
    User = get_user_model()
    username = customer.email.strip().lower()
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(f"Another account already signs in as {username}.", field="customer")
    user = User(username=username, email=customer.email, first_name=customer.name[:150])
    user.set_unusable_password()
    user_create(actor=None, user=user)
    user_set_roles(actor=None, user=user, role_names=[roles.CUSTOMERS], keep=True)
    customer.user = user
    customer.save(update_fields=["user"])
    audit_record(actor=None, action="customer.updated", obj=customer, changes={"user": [None, username]})
    return user


@transaction.atomic
def customer_invite(*, actor: AbstractBaseUser | None, customer: Customer) -> OutboundEmail:
    """Email the customer a link to choose a portal password."""
    if actor is not None and not permissions.can_invite_customers(actor):
        raise ActionForbidden("Only support managers can invite customers to the portal.")
    customer = Customer.objects.select_for_update(of=("self",)).select_related("user").get(pk=customer.pk)
    user = _portal_account(customer)
    if user.has_usable_password() and user.is_active:
        raise InvalidInput(f"{customer.name} can already sign in to the portal (as {user.get_username()}).", field="customer")
    if not user.is_active:
        raise InvalidInput(f"{customer.name}'s account is deactivated; reactivate it first.", field="customer")
    expires = timezone.localtime() + timedelta(days=settings.HELPDESK_INVITATION_DAYS)
    url = links.absolute_url(reverse("portal:invitation", kwargs={"token": invitation_token(user)}))
    email = outbox_message_enqueue(
        kind=OutboundEmail.Kind.INVITATION,
        key="invitation",
        values={
            "customer.name": customer.name,
            "customer.email": customer.email,
            "desk.name": settings.HELPDESK_NAME,
            "link.url": url,
            "link.expires": format_date(expires, "j F Y"),
        },
        to=[customer.email],
    )
    audit_record(actor=actor, action="customer.invited", obj=customer, changes={"invited_until": [None, expires.isoformat()]})
    return email


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> AbstractBaseUser:
    """Set the invited customer's password from their link (checked by Django's password validators)."""
    user = invitation_user(token)
    if user is None:
        raise InvalidInput("This invitation link has expired or was already used.", field="token")
    try:
        password_validation.validate_password(password, user)
    except Exception as error:  # ValidationError: its messages name what is wrong
        messages = getattr(error, "messages", [str(error)])
        raise InvalidInput(" ".join(messages), field="new_password1") from error
    user.set_password(password)
    user.save(update_fields=["password"])
    customer = Customer.objects.filter(user=user).first()
    audit_record(
        actor=user,
        action="customer.invitation_accepted",
        obj=customer if customer is not None else user,
        changes={"password": [None, "set"]},
    )
    return user
