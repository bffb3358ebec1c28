"""Demo products and features for `manage.py seed_demo`."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from escalations.services import feature_ensure, product_ensure

PRODUCTS = {
    ("billing", "Billing"): [
        ("billing.invoices", "Invoices", "PDF invoices and invoice e-mails"),
        ("billing.payments", "Card payments", "Card checkout and 3-D Secure"),
        ("billing.refunds", "Refunds", "Full and partial refunds"),
    ],
    ("mobile", "Mobile app"): [
        ("mobile.login", "Mobile sign-in", "Sign-in, SSO and biometrics on iOS and Android"),
        ("mobile.sync", "Offline sync", "Syncing changes made offline"),
        ("mobile.push", "Push notifications", "Push notifications on iOS and Android"),
    ],
    ("reports", "Reporting"): [
        ("reports.export", "CSV export", "Exporting reports to CSV and Excel"),
        ("reports.dashboards", "Dashboards", "Custom dashboards and widgets"),
    ],
    ("integrations", "Integrations"): [
        ("integrations.webhooks", "Webhooks", "Outgoing webhooks"),
        ("integrations.slack", "Slack app", "Notifications and commands in Slack"),
    ],
}


def seed_products(*, stdout) -> None:
    owner = get_user_model().objects.filter(username="pm").first()
    count = 0
    for (product_key, product_name), features in PRODUCTS.items():
        product = product_ensure(actor=None, key=product_key, name=product_name)
        for key, name, description in features:
            feature_ensure(actor=None, product=product, key=key, name=name, description=description, owner=owner)
            count += 1
    stdout.write(f"  products and features: {len(PRODUCTS)} products, {count} features")


# (feature, severity, title, what customers experience, the steps taken after raising (action, text), hours ago)
ESCALATIONS = [
    (
        "billing.invoices",
        "blocking",
        "Invoice PDFs are blank since Tuesday's release",
        "Customers open or download an invoice and get an empty white page; accounting teams cannot pay.",
        [],
        3,
    ),
    (
        "mobile.login",
        "blocking",
        "SSO sign-in loops back to the login screen on iOS",
        "After choosing their company's SSO the app returns to the sign-in screen; they cannot get in at all.",
        [("acknowledge", ""), ("start", "")],
        20,
    ),
    (
        "billing.payments",
        "blocking",
        "3-D Secure challenge never completes for some banks",
        "The card challenge window spins forever and the payment is abandoned.",
        [("acknowledge", ""), ("request_info", "Which banks? Please add the card's country and issuer from the tickets.")],
        30,
    ),
    (
        "reports.export",
        "major",
        "CSV export drops rows beyond 10,000",
        "Large exports stop at exactly 10,000 rows without any warning.",
        [
            ("acknowledge", ""),
            ("start", ""),
            (
                "fix",
                "Fixed in version 4.2.1: CSV exports now include every row. Please export again; "
                "nothing else needs to change on your side.",
            ),
        ],
        24 * 12,
    ),
    (
        "billing.refunds",
        "blocking",
        "Partial refunds refund the full amount",
        "Refunding part of an order refunds all of it; finance teams have to charge customers again.",
        [
            ("acknowledge", ""),
            (
                "fix",
                "Fixed: partial refunds refund exactly the amount you enter again. We corrected the "
                "refunds made while the problem lasted.",
            ),
        ],
        24 * 20,
    ),
    (
        "mobile.sync",
        "minor",
        "Offline edits take a minute to appear on the web",
        "Changes made offline show up on the web only after about a minute.",
        [("reject", "Works as designed: offline changes are synced in batches once a minute to save battery.")],
        24 * 9,
    ),
    (
        "integrations.slack",
        "major",
        "Slack notifications arrive twice",
        "Every notification shows twice in Slack channels.",
        [("acknowledge", ""), ("fix", "Fixed: each notification arrives once."), ("close", "")],
        24 * 40,
    ),
    (
        "reports.dashboards",
        "major",
        "Dashboard widgets show yesterday's numbers",
        "Widgets refresh once a day instead of every hour.",
        [],
        26,
    ),
    (
        "integrations.webhooks",
        "minor",
        "Webhook retries ignore the Retry-After header",
        "Receivers that ask to wait get retried at once.",
        [("acknowledge", "")],
        24 * 3,
    ),
]


def _tickets_for(feature_key: str, ticket_model, count: int):
    """Unclosed demo tickets about the feature, or else of as many organizations as possible."""
    candidates = ticket_model.objects.filter(removed="").exclude(status="closed")
    chosen = list(candidates.filter(feature__key=feature_key).select_related("requester").order_by("id")[:count])
    if len(chosen) < count:
        seen_orgs = {t.requester.organization_id for t in chosen}
        for ticket in candidates.select_related("requester").order_by("id"):
            if len(chosen) >= count:
                break
            if ticket in chosen or ticket.requester.organization_id in seen_orgs:
                continue
            seen_orgs.add(ticket.requester.organization_id)
            chosen.append(ticket)
    return chosen


def seed_escalations(*, stdout) -> None:
    """Escalations in every status across the demo features, a few blocking (at most 3 of the 10 features stay blocked)."""
    from datetime import timedelta

    from django.utils import timezone

    from escalations.models import Escalation, EscalationEvent, Feature, FixNotice
    from escalations.services import escalation_link, escalation_raise, escalation_transition, fix_notices_deliver
    from helpdesk.models import Ticket

    if Escalation.objects.exists():
        stdout.write("  escalations: already seeded")
        return
    users = {user.username: user for user in get_user_model().objects.filter(username__in=["agent", "agent2", "pm", "manager"])}
    features = {feature.key: feature for feature in Feature.objects.all()}
    now = timezone.now()
    for index, (key, severity, title, impact, steps, hours_ago) in enumerate(ESCALATIONS):
        tickets = _tickets_for(key, Ticket, 2 + index % 4)
        if key not in features or not tickets:
            continue
        raiser = users["agent" if index % 2 == 0 else "agent2"]
        escalation = escalation_raise(
            actor=raiser,
            ticket=tickets[0],
            feature=features[key],
            severity=severity,
            title=title,
            customer_impact=impact,
            steps="Reported by customers; see the linked tickets.",
        )
        for ticket in tickets[1:]:
            escalation_link(actor=users["agent"], escalation=escalation, ticket=ticket)
        for action, text in steps:
            actor = users["agent"] if action == "provide_info" else users["pm"]
            escalation = escalation_transition(actor=actor, escalation=escalation, action=action, text=text)
        # Their history happened over the past days (the metrics and the board's ages read these).
        raised_at = now - timedelta(hours=hours_ago)
        step_at = raised_at + timedelta(hours=max(1, hours_ago // 4))
        Escalation.objects.filter(pk=escalation.pk).update(
            created_at=raised_at,
            acknowledge_by=raised_at + timedelta(hours=1) if severity == "blocking" else None,
            acknowledged_at=step_at if escalation.acknowledged_at else None,
            resolved_at=step_at + timedelta(hours=2) if escalation.resolved_at else None,
        )
        EscalationEvent.objects.filter(escalation=escalation, kind__in=["raised", "linked"]).update(created_at=raised_at)
        EscalationEvent.objects.filter(escalation=escalation, kind="status").update(created_at=step_at)
    fix_notices_deliver()  # any the after-commit delivery left
    told = FixNotice.objects.filter(delivered_at__isnull=False).count()
    blocked = Feature.objects.filter(blocked=True).count()
    stdout.write(
        f"  escalations: {Escalation.objects.count()} in every status, {blocked} of {len(features)} features blocked, "
        f"{told} fix updates posted to linked tickets"
    )
