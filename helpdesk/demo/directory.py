"""Demo people and organizations: the seven sign-in accounts, teams, organizations, customers.

Everything here is idempotent: each object is looked up by its natural key
(username, organization name, customer email, team name) and left alone if it
already exists.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from helpdesk import roles, services
from helpdesk.demo.corpus import FIRST_NAMES, LAST_NAMES
from helpdesk.models import Customer, Organization

DEMO_PASSWORD = "demo"
STAFF_DOMAIN = "helpdesk.example"


@dataclass(frozen=True)
class Account:
    username: str
    first_name: str
    last_name: str
    role: str | None
    is_staff: bool = False
    organization: str | None = None  # customers only
    is_superuser: bool = False


ACCOUNTS = (
    Account("agent", "Jordan", "Ellis", roles.AGENTS),
    Account("agent2", "Priya", "Nair", roles.AGENTS),
    Account("pm", "Marta", "Kowalski", roles.PRODUCT_MANAGERS),
    Account("manager", "Daniel", "Okafor", roles.SUPPORT_MANAGERS, is_staff=True),
    Account("customer", "Emma", "Lindqvist", roles.CUSTOMERS, organization="Northwind Logistics"),
    Account("customer2", "Lucas", "Moreau", roles.CUSTOMERS, organization="Bluefin Analytics"),
    # The manager reaches every desk configuration screen; what stays with superusers
    # (staff and superuser status, single permissions, what a role carries) needs one.
    Account("admin", "Ada", "Sterling", None, is_staff=True, is_superuser=True),
)
DEMO_USERNAMES = tuple(a.username for a in ACCOUNTS)


@dataclass(frozen=True)
class Org:
    name: str
    domain: str
    tier: str
    annual_value: int
    lifetime_value: int
    key_account: bool
    customers: int  # how many demo customers work there
    notes: str


ENT, PREM, STD = Organization.Tier.ENTERPRISE, Organization.Tier.PREMIUM, Organization.Tier.STANDARD

ORGANIZATIONS = (
    Org("Northwind Logistics", "northwind-logistics.example", ENT, 480_000, 2_150_000, True, 9,
        "Key account since 2019. Field technicians use the mobile app offline all day."),
    Org("Initech Financial", "initech-financial.example", ENT, 620_000, 3_240_000, True, 8,
        "Key account. Strict security reviews; DPA renewed yearly."),
    Org("Globex Manufacturing", "globex-mfg.example", ENT, 355_000, 1_420_000, True, 7,
        "Key account. Heavy webhook and export usage feeding their ERP."),
    Org("Umbrella Health Clinics", "umbrella-health.example", PREM, 142_000, 515_000, False, 6,
        "Premium support. 40 clinics, many mobile users."),
    Org("Bluefin Analytics", "bluefin-analytics.example", PREM, 96_000, 310_000, False, 6,
        "Premium. Power users of dashboards and CSV exports."),
    Org("Kestrel Freight", "kestrel-freight.example", PREM, 74_500, 182_000, False, 5, "Premium since last year."),
    Org("Harbor City Credit Union", "harborcity-cu.example", PREM, 58_000, 121_000, False, 4,
        "Requires SSO; security questionnaire every renewal."),
    Org("Lumen & Hart Architects", "lumenhart.example", STD, 14_400, 38_900, False, 4, ""),
    Org("Quayside Coffee Roasters", "quayside-coffee.example", STD, 6_200, 11_800, False, 3, ""),
    Org("Brightwater Schools Trust", "brightwater-schools.example", STD, 22_000, 64_000, False, 3,
        "Non-profit discount applies."),
    Org("Sable Peak Outfitters", "sablepeak.example", STD, 9_800, 15_300, False, 3, ""),
    Org("Orchard Lane Bakery", "orchardlane.example", STD, 2_400, 4_100, False, 2, ""),
)

TEAMS = {
    "Billing": ("agent2",),
    "Technical support": ("agent", "agent2"),
    "Mobile": ("agent",),
}


def email_local_part(first: str, last: str) -> str:
    text = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in text if ch.isalnum() or ch == ".")


def ensure_accounts() -> dict:
    """The demo sign-ins with password ``demo``; returns them by username."""
    services.roles_ensure(actor=None)
    users = {}
    for account in ACCOUNTS:
        users[account.username] = services.user_ensure(
            actor=None,
            username=account.username,
            password=DEMO_PASSWORD,
            email=(
                f"{email_local_part(account.first_name, account.last_name)}@{_org(account.organization).domain}"
                if account.organization
                else f"{account.username}@{STAFF_DOMAIN}"
            ),
            first_name=account.first_name,
            last_name=account.last_name,
            role=account.role,
            is_staff=account.is_staff,
            is_superuser=account.is_superuser,
        )
    return users


def _org(name: str) -> Org:
    return next(o for o in ORGANIZATIONS if o.name == name)


def ensure_organizations() -> dict[str, Organization]:
    organizations = {}
    for spec in ORGANIZATIONS:
        organization = services.organization_ensure(
            actor=None,
            name=spec.name,
            domain=spec.domain,
            tier=spec.tier,
            annual_value=Decimal(spec.annual_value),
            lifetime_value=Decimal(spec.lifetime_value),
        )
        # organization_ensure only sets the basics; a brand-new demo organization
        # (no notes yet) also gets its account-management details once.
        if spec.notes and not organization.notes:
            organization.notes = spec.notes
            organization.is_key_account = spec.key_account
            services.directory_object_save(
                actor=None, obj=organization, changed_fields=["notes", "is_key_account"]
            )
        organizations[spec.name] = organization
    return organizations


def ensure_teams(users: dict) -> dict:
    return {
        name: services.team_ensure(actor=None, name=name, members=[users[u] for u in members])
        for name, members in TEAMS.items()
    }


def ensure_customers(users: dict, organizations: dict[str, Organization]) -> list[Customer]:
    """The two portal customers plus about sixty more spread over the organizations.

    Names come from a fixed seed so a second run computes the same e-mails and
    finds the customers it made the first time.
    """
    rng = random.Random(20240611)
    customers: list[Customer] = []
    for account in ACCOUNTS:
        if account.role != roles.CUSTOMERS:
            continue
        user = users[account.username]
        customers.append(
            services.customer_ensure(
                actor=None,
                name=f"{account.first_name} {account.last_name}",
                email=user.email,
                organization=organizations[account.organization],
                user=user,
                phone=f"+44 20 7946 {rng.randrange(1000, 9999)}",
            )
        )
    taken = {c.email.lower() for c in customers}
    for spec in ORGANIZATIONS:
        organization = organizations[spec.name]
        for index in range(spec.customers):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{email_local_part(first, last)}@{spec.domain}"
            if email in taken:
                email = f"{email_local_part(first, last)}{index + 2}@{spec.domain}"
            taken.add(email)
            # Customers of larger accounts carry a share of the account's value.
            share = Decimal(spec.annual_value) / Decimal(max(spec.customers, 1))
            customers.append(
                services.customer_ensure(
                    actor=None,
                    name=f"{first} {last}",
                    email=email,
                    organization=organization,
                    phone=f"+1 555 01{rng.randrange(10, 99)} {rng.randrange(1000, 9999)}",
                    annual_value=share.quantize(Decimal("1")),
                    lifetime_value=(share * Decimal(rng.choice((2, 3, 4)))).quantize(Decimal("1")),
                )
            )
    return customers
