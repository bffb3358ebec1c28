"""Words for demo tickets: product areas with subjects, messages, replies and notes.

Templates use ``{slot}`` placeholders filled by :class:`Slots`. Rare tokens (order
numbers, error codes, build numbers) are part of the vocabulary on purpose: they
give full-text search the selectivity real support mail has.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST_NAMES = [
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Mateo", "Sofia", "Lucas", "Amara", "Hiroshi", "Chloe", "Ethan",
    "Isabella", "Arjun", "Mia", "Kwame", "Zoe", "Daniel", "Leila", "Tomás", "Hannah", "Oscar", "Priya", "Jonas",
    "Aisha", "Marcus", "Elena", "Sven", "Grace", "Rafael", "Yuki", "Nadia", "Owen", "Fatima", "Henrik", "Camila",
    "Samuel", "Ingrid", "Diego", "Chiara", "Ravi", "Lena", "Felix", "Maya", "Kofi", "Julia", "Anders", "Naomi",
    "Viktor", "Rosa", "Ibrahim", "Clara", "Mei", "Patrick", "Alina", "Gabriel", "Freya", "Omar", "Beatriz", "Connor",
    "Sara", "Theo", "Lucía", "Adrian", "Ines", "Benjamin", "Anika", "Rohan", "Eva", "Malik", "Charlotte", "Pavel",
]
LAST_NAMES = [
    "Lindqvist", "Moreau", "Okafor", "Tanaka", "Fischer", "García", "Novak", "O'Brien", "Haddad", "Kowalski",
    "Silva", "Müller", "Nguyen", "Rossi", "Patel", "Johansson", "Mensah", "Dubois", "Kim", "Andersen", "Costa",
    "Schmidt", "Ivanova", "Walsh", "Nakamura", "Bianchi", "Ahmed", "Larsen", "Fernández", "Baker", "Petrov",
    "Chen", "Jansen", "Romero", "Hughes", "Eriksson", "Mwangi", "Lambert", "Sato", "Horvat", "Reyes", "Keller",
    "Osei", "Varga", "Murphy", "Berg", "Santos", "Weber", "Yilmaz", "Carter", "Nieminen", "Das", "Kruger",
    "Marino", "Olsen", "Popescu", "Ward", "Bauer", "Quinn", "Sharma",
]

# Devices and the systems they run, by platform: one ticket names one platform, so an
# iPhone never runs Android and "Face ID" never meets a Pixel.
IOS, ANDROID = "ios", "android"
PLATFORM_DEVICES = {
    IOS: (
        ("iPhone 15", ("iOS 17.4", "iOS 17.5.1", "iOS 18.1")),
        ("iPhone 14 Pro", ("iOS 17.4", "iOS 17.5.1", "iOS 18.1")),
        ("iPhone 13 mini", ("iOS 17.5.1", "iOS 18.1")),
        ("iPhone SE", ("iOS 17.4", "iOS 18.1")),
        ("iPad Air", ("iPadOS 17.6", "iPadOS 18.1")),
    ),
    ANDROID: (
        ("Pixel 8", ("Android 14", "Android 15")),
        ("Pixel 7a", ("Android 14", "Android 15")),
        ("Galaxy S24", ("Android 14",)),
        ("Galaxy S23", ("Android 13", "Android 14")),
        ("Galaxy A54", ("Android 13", "Android 14")),
        ("OnePlus 12", ("Android 14",)),
        ("Xiaomi 13T", ("Android 13", "Android 14")),
        ("Moto G84", ("Android 13", "Android 14")),
        ("Fairphone 5", ("Android 13", "Android 14")),
    ),
}
# The words that give a text's platform away (tests check that a ticket never mixes them).
PLATFORM_WORDS = {
    IOS: ("iOS", "iPadOS", "iPhone", "iPad", "Face ID", "App Store"),
    ANDROID: ("Android", "Pixel", "Galaxy", "OnePlus", "Xiaomi", "Moto", "Fairphone", "Google Play"),
}
DEVICES = [device for devices in PLATFORM_DEVICES.values() for device, _ in devices]
BROWSERS = ["Chrome 124", "Chrome 126", "Firefox 127", "Safari 17.5", "Edge 125", "Firefox ESR 115"]
CURRENCIES = ["€", "$", "£"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
ERROR_PREFIXES = ["E", "ERR", "SYNC", "PAY", "AUTH", "EXP", "WH"]


class Slots(dict):
    """Fills template slots on demand, so unused ones cost nothing.

    One ticket's texts share one ``Slots``: the device, its system and the platform
    are chosen once (``platform`` fixes it when the subject already names one), so
    every message of the conversation talks about the same phone.
    """

    def __init__(self, rng: random.Random, *, platform: str | None = None, **fixed: str) -> None:
        super().__init__(fixed)
        self.rng = rng
        self.platform = platform

    def _pick_device(self) -> None:
        r = self.rng
        if self.platform is None:
            self.platform = r.choice((IOS, ANDROID))
        device, systems = r.choice(PLATFORM_DEVICES[self.platform])
        self["device"], self["os"] = device, r.choice(systems)

    def __missing__(self, key: str) -> str:
        r = self.rng
        if key in ("device", "os"):
            self._pick_device()
            return self[key]
        if key == "order":
            value = str(r.randrange(10_000_000, 99_999_999))
        elif key == "invoice":
            value = f"INV-{r.randrange(100_000, 999_999)}"
        elif key == "amount":
            value = f"{r.choice(CURRENCIES)}{r.randrange(19, 4_800):,}.{r.choice(('00', '50', '99', '20'))}"
        elif key == "error":
            value = f"{r.choice(ERROR_PREFIXES)}{r.randrange(1000, 9999)}"
        elif key == "browser":
            value = r.choice(BROWSERS)
        elif key == "version":
            value = f"5.{r.randrange(6, 14)}.{r.randrange(0, 6)}"
        elif key == "build":
            value = str(r.randrange(4100, 4999))
        elif key == "rows":
            value = f"{r.choice((10, 25, 50, 65, 100, 250))},000"
        elif key == "count":
            value = str(r.randrange(2, 40))
        elif key == "status_code":
            value = r.choice(("500", "502", "503", "504", "401", "403", "410", "429"))
        elif key == "weekday":
            value = r.choice(WEEKDAYS)
        elif key == "month":
            value = r.choice(MONTHS)
        elif key == "seats":
            value = str(r.randrange(5, 400))
        elif key == "minutes":
            value = str(r.randrange(2, 90))
        elif key == "request_id":
            value = "req_" + "".join(r.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(10))
        else:
            raise KeyError(key)
        self[key] = value
        return value


@dataclass(frozen=True)
class Topic:
    """One kind of request: its subject, the customer's first message and the desk's first answer.

    ``platform`` is set when the words themselves name one (Face ID, "on Android"),
    so the device and system the conversation fills in belong to it.
    """

    subject: str
    opening: str
    reply: str
    platform: str | None = None


@dataclass(frozen=True)
class Area:
    """A product area: what customers write about it and how the desk answers."""

    key: str
    weight: int
    team: str
    feature: str | None
    tags: tuple[str, ...]
    topics: tuple[Topic, ...]
    details: tuple[str, ...]  # optional extra sentence in the first message
    followups: tuple[str, ...]  # the customer answering the desk
    notes: tuple[str, ...]  # internal notes
    resolutions: tuple[str, ...]  # the desk closing the loop


T = Topic

AREAS: tuple[Area, ...] = (
    Area(
        key="invoices",
        weight=12,
        team="Billing",
        feature="billing.invoices",
        tags=("billing", "invoice"),
        topics=(
            T("Invoice PDF is blank when downloaded",
              "When I download invoice {invoice} from the billing page the PDF opens but every page is blank. "
              "Our accounts payable team cannot book it without the document.",
              "Thanks for the details. I've regenerated invoice {invoice}; the new PDF renders correctly here. "
              "Could you try downloading it again?"),
            T("Wrong VAT number on invoice {invoice}",
              "Invoice {invoice} lists our old VAT number. We changed it in the account settings in {month}, "
              "but the invoice still shows the previous one, so our finance team rejected it.",
              "I can see the VAT number was updated after the invoice was issued. I've asked our billing team "
              "to reissue {invoice} with the new number; you'll get it by e-mail."),
            T("Need copies of our {month} invoices for the auditors",
              "Our auditors need copies of all invoices for {month}, including {invoice}. Could you send them, "
              "or tell me where to find them? The billing page only shows the last six months.",
              "All invoices are under Settings → Billing → History; use 'Show all' to go back further than six "
              "months. I've also attached {invoice} and the rest of {month} as one ZIP."),
            T("Invoice e-mail never arrived for {month}",
              "We did not receive the invoice e-mail for {month}. Normally it arrives on the first working day; "
              "nothing in spam either. The total should be around {amount}.",
              "The invoice e-mail bounced because the billing address on file had a typo. I've corrected it and "
              "re-sent the invoice for {month}."),
            T("Duplicate invoice {invoice} issued",
              "Invoice {invoice} was issued twice, with two different numbers, for the same {amount}. "
              "Which one should we pay?",
              "Sorry for the confusion: the second invoice was created by a retry on our side. I've voided it; "
              "please pay {invoice} only."),
            T("Please add our PO number to invoices",
              "Our procurement process requires the purchase order number on every invoice. "
              "Is there a field for that? Otherwise invoices like {invoice} get stuck in approval.",
              "You can add a PO number under Settings → Billing → Invoice details. It is printed on every invoice "
              "issued after you save it. I've added it to {invoice} manually for you."),
        ),
        details=(
            "I tried in {browser} and in another browser with the same result.",
            "This is blocking our month-end close, so a quick answer would be appreciated.",
            "The amount on the invoice is {amount}, which matches what we expected.",
            "Our billing contact changed recently; maybe that is related.",
        ),
        followups=(
            "Thanks, that works.",
            "Still the same for me, unfortunately. I attached a screenshot of what I see.",
            "Got it, thank you! Will this apply to next month's invoice as well?",
            "Our finance team confirms the invoice is fine now.",
        ),
        notes=(
            "Known issue with PDF rendering for invoices with more than 40 line items — linked to billing.invoices.",
            "Checked the payment provider: the invoice was finalized before the change. Reissue needed, no credit note.",
            "Customer is on annual billing; finance asked us to loop them in for reissues over {amount}.",
        ),
        resolutions=(
            "Everything should be in order now. I'll mark this as solved; just reply if anything else looks off.",
            "Glad that's sorted. Future invoices will be issued correctly.",
        ),
    ),
    Area(
        key="payments",
        weight=8,
        team="Billing",
        feature="billing.payments",
        tags=("billing", "payment-failed"),
        topics=(
            T("Card declined when renewing our subscription",
              "Our renewal failed: the card was declined with error {error}, but the bank says they never saw "
              "the attempt. The card works everywhere else.",
              "I checked the payment log: the bank declined with a 'do not honor' code before the request reached "
              "them. Could you ask your bank to allow recurring charges from us and retry?"),
            T("3-D Secure window loops forever at checkout",
              "At checkout the 3-D Secure window opens, I approve in the banking app, and then it just loads again. "
              "I have tried {count} times now.",
              "The 3-D Secure loop is a known issue with some banks in {browser}. Please try once more in a private "
              "window; we've also reported it to our payment provider."),
            T("Charged twice for order #{order}",
              "We were charged twice for order #{order}, {amount} each. Please refund the duplicate charge.",
              "Sorry about the double charge on order #{order}. I've refunded the duplicate {amount}; it usually "
              "takes 5–10 business days to show on your statement."),
            T("Cannot update the credit card on file",
              "When I try to replace the expiring card the form says 'Something went wrong' ({error}). "
              "Our current card expires at the end of the month.",
              "The card form rejects cards whose billing address lacks a postcode. Could you add it and try again?"),
            T("Switch from card to bank transfer",
              "We would like to pay by bank transfer instead of card from now on. What do we need to do?",
              "Bank transfer is available on annual plans. I've switched your account; the next invoice will show "
              "our bank details."),
        ),
        details=(
            "Browser: {browser}.",
            "The card is a corporate Visa issued in the EU.",
            "Our subscription renews on {weekday}, so this is urgent for us.",
        ),
        followups=("Retried and it went through. Thanks!", "Still failing with {error}.",
                   "I can see the refund as pending now."),
        notes=(
            "Payment provider shows two successful charges {minutes} seconds apart — double click on the pay button.",
            "Payment provider incident last {weekday} explains the 3DS loop; see status page.",
        ),
        resolutions=(
            "The payment has gone through and your subscription is active. Marking this as solved.",
            "All settled on our side. Let us know if anything looks wrong on your statement.",
        ),
    ),
    Area(
        key="refunds",
        weight=7,
        team="Billing",
        feature="billing.refunds",
        tags=("billing", "refund"),
        topics=(
            T("Refund for order #{order} not received",
              "You confirmed a refund of {amount} for order #{order} two weeks ago, but nothing has arrived yet.",
              "I found the refund for order #{order}: it was issued on {weekday} with reference {request_id}. "
              "Banks usually take 5–10 business days."),
            T("Partial refund for unused seats",
              "We reduced our plan from {seats} seats last month. Could we get a partial refund for the unused seats?",
              "Partial refunds for seat reductions are prorated. I've issued {amount} for the unused seats."),
            T("Refund went to an expired card",
              "The refund for order #{order} went to a card we cancelled. Will it bounce back to you?",
              "Refunds to cancelled cards are returned to us by the bank; we'll then pay it out by bank transfer. "
              "Could you send me your IBAN?"),
            T("Refund amount is wrong on order #{order}",
              "We were refunded less than expected for order #{order}: {amount} instead of the full amount.",
              "The difference is the non-refundable setup fee on order #{order}. I've asked billing whether we can "
              "make an exception given the circumstances."),
        ),
        details=("Our finance team needs the refund reference for reconciliation.",
                 "The original payment was made by card."),
        followups=("Thank you, I'll pass the reference on to finance.", "Here is our IBAN as requested.",
                   "The refund arrived today."),
        notes=("Refund {request_id} stuck in 'pending' at the provider; opened a case with them.",
               "Prorated refund approved by the billing lead."),
        resolutions=("The refund has been completed. Marking this as solved.",),
    ),
    Area(
        key="mobile_login",
        weight=10,
        team="Mobile",
        feature="mobile.login",
        tags=("mobile", "login"),
        topics=(
            T("Can't log in on the {device} app",
              "Since yesterday I can't log in on my {device} ({os}). The app shows error {error} right after I enter "
              "my password. Login in the browser works fine.",
              "Thanks for reporting this. Could you tell me the exact app version (Settings → About) and whether you "
              "use SSO or a password?"),
            T("Face ID no longer offered after updating to {version}",
              "After updating the app to {version}, Face ID is no longer offered; I have to type my password every "
              "time. It worked before the update.",
              "We found a bug in {version} that drops the biometric setting after an update. A fix is in build "
              "{build}, rolling out this week. Until then, toggling Face ID off and on in the app settings restores "
              "it.", platform=IOS),
            T("SSO login on Android loops back to the start screen",
              "When I sign in with our company SSO on Android, the browser opens, I log in, and the app goes back to "
              "the start screen. {count} of my colleagues have the same problem.",
              "The SSO loop happens when the app's redirect URL isn't allowed in your identity provider. I've sent "
              "your IT team the exact URL to add.", platform=ANDROID),
            T("Logged out every time I open the app",
              "The app logs me out every time I close it. I'm on {os} with app version {version} (build {build}).",
              "Please sign out on all devices from the web (Profile → Security), then sign in on the phone again."),
            T("Two-factor code not accepted in the mobile app",
              "The two-factor code from my authenticator app is rejected in the mobile app but accepted on the web.",
              "The app checks codes against the phone's clock. Please make sure the time is set automatically, then "
              "try a fresh code."),
        ),
        details=("I already reinstalled the app.", "The clock on my phone is set automatically.",
                 "This affects everyone in our field team, about {seats} people."),
        followups=("That worked, thanks.", "It's app version {version}, and we use SSO.",
                   "Our IT team made the change and it works now.", "Still logged out every time, even after that."),
        notes=(
            "Reproduced on {device} with {os}: keychain entry is dropped on upgrade. Linked to mobile.login.",
            "Customer's IdP is Okta; the allowed redirect list is missing the app scheme.",
        ),
        resolutions=("Great to hear it works again. I'll mark this as solved.",
                     "Build {build} with the fix is now live in the app stores. Marking as solved."),
    ),
    Area(
        key="sync",
        weight=9,
        team="Mobile",
        feature="mobile.sync",
        tags=("mobile", "sync"),
        topics=(
            T("Changes made offline disappeared after sync",
              "Our technicians worked offline all morning. When they got signal again, the app synced and {count} "
              "of the reports they filled in were gone.",
              "I'm sorry about the lost reports. Please don't reinstall the app: the unsynced changes are still on "
              "the device. Could you send the logs from Settings → Support → Send logs?"),
            T("Sync stuck at 99% on {device}",
              "Sync has been stuck at 99% for two days on a {device} ({os}, app {version}). Our other devices are "
              "fine.",
              "The sync is stuck on one attachment larger than our limit. I've raised the limit for your account; "
              "it should finish within {minutes} minutes."),
            T("Duplicate records after offline sync",
              "After syncing, every job edited offline appears twice. We now have {count} duplicates to clean up.",
              "The duplicates come from a conflict-resolution bug in {version}. Engineering is working on it; I'll "
              "keep you posted here."),
            T("Sync error {error} on {os}",
              "The app shows sync error {error} whenever I try to upload changes. Request id {request_id}.",
              "Thanks for the request id. That error means the session expired while offline; signing out and in "
              "again uploads the pending changes."),
        ),
        details=("This is causing real data loss for us; please treat it as urgent.",
                 "We can send you the device logs if that helps."),
        followups=("Logs sent from the {device}.", "Sync finished, everything is there. Thank you!",
                   "Any news? It happened again today."),
        notes=("Escalation candidate: conflict resolution drops offline edits when two devices edit the same job.",
               "Logs show {error} on a 40 MB photo; limit is 25 MB."),
        resolutions=("Engineering shipped a fix in {version}. Please update the app; marking as solved.",
                     "Everything synced correctly now. Marking this as solved."),
    ),
    Area(
        key="push",
        weight=5,
        team="Mobile",
        feature="mobile.push",
        tags=("mobile", "push"),
        topics=(
            T("No push notifications on {os}",
              "Since {weekday} none of our team get push notifications on {os}. Notifications are enabled for the "
              "app in the phone settings.",
              "Could you check that background app refresh is on for the app, and tell me your app version?"),
            T("Push notifications arrive hours late",
              "Notifications about new assignments arrive {minutes} minutes to several hours late.",
              "We had a delay with our push provider on {weekday}; it's resolved now. Are notifications arriving "
              "on time again?"),
            T("Too many notifications after update",
              "After updating to {version} I get a notification for every comment, even with the digest setting on.",
              "The update reset the digest setting for some users. Switching it off and on again under "
              "Settings → Notifications fixes it."),
        ),
        details=("Our team's {device} devices are managed by our MDM.",),
        followups=("Background refresh was off, it works now.", "Still nothing on {os}.", "Yes, all good now."),
        notes=("Push token registration fails for MDM-managed devices; see mobile.push.",),
        resolutions=("Notifications are arriving normally again. Marking this as solved.",),
    ),
    Area(
        key="exports",
        weight=9,
        team="Technical support",
        feature="reports.export",
        tags=("reporting", "export", "csv"),
        topics=(
            T("CSV export cuts off at {rows} rows",
              "Our CSV export of all orders stops at exactly {rows} rows, but the report shows many more. "
              "We need the full export for our {month} reconciliation.",
              "The {rows}-row limit applies to exports started from the browser. For larger exports, use the "
              "'Export in background' option; you'll get an e-mail with a download link."),
            T("Excel export shows garbled characters",
              "When we open the Excel export, names with accents (like 'Müller' or 'García') show as garbled "
              "characters.",
              "The export is UTF-8 encoded. Excel only detects that with a byte-order mark; please use the "
              "'Excel (UTF-8)' option in the export dialog, which adds it."),
            T("Scheduled export e-mail not sent on {weekday}",
              "The scheduled export that normally arrives every {weekday} at 7:00 did not arrive this week.",
              "I can see the scheduled export failed with {error} on {weekday}. I re-ran it manually; you should "
              "have it now."),
            T("Export times out for large date ranges",
              "Exporting the activity report for the whole year fails after a few minutes with error {error}.",
              "Exports of a whole year run longer than the browser waits. 'Export in background' handles them; "
              "I've started one for you."),
            T("Dates in CSV export use the wrong timezone",
              "All dates in the CSV export are one hour off compared to what the dashboard shows.",
              "CSV dates are exported in UTC. You can switch to your account timezone under Reports → Settings."),
        ),
        details=("We use Excel on Windows with a German locale.",
                 "The export is set up by our data team and feeds our BI tool."),
        followups=("The background export worked, thanks.", "That fixed it.", "It failed again this {weekday}."),
        notes=("Background exports over 2M rows hit the worker timeout; linked to reports.export.",
               "Scheduled export job {request_id} failed on the storage upload; retried OK."),
        resolutions=("Happy to hear the export works now. Marking this as solved.",),
    ),
    Area(
        key="dashboards",
        weight=5,
        team="Technical support",
        feature="reports.dashboards",
        tags=("reporting", "dashboard"),
        topics=(
            T("Dashboard widgets show no data",
              "All widgets on our 'Weekly KPIs' dashboard show 'No data' since {weekday}, although the reports "
              "behind them have data.",
              "A filter on the dashboard refers to a field that was renamed. I've updated the filter; the widgets "
              "show data again."),
            T("Custom dashboard loads very slowly",
              "Our main dashboard takes more than a minute to load. It has {count} widgets.",
              "Dashboards with many widgets load each one in turn. Combining the {count} widgets into fewer reports "
              "will help; I've also asked engineering to look at the slow queries."),
            T("Shared dashboard link asks viewers to log in",
              "We shared a dashboard with a public link, but people opening it are asked to log in.",
              "Public links are off for your account by default. An admin can enable them under Settings → "
              "Sharing; the link works right after."),
        ),
        details=("We're on {browser}.",),
        followups=("The widgets are back, thank you.", "Still slow, unfortunately.", "Works now, thanks."),
        notes=("Slow dashboard: widget queries run sequentially; known limitation.",),
        resolutions=("Marking this as solved; let us know if it comes back.",),
    ),
    Area(
        key="webhooks",
        weight=8,
        team="Technical support",
        feature="integrations.webhooks",
        tags=("api", "webhooks"),
        topics=(
            T("Webhook deliveries failing with {status_code}",
              "Since {weekday} all webhook deliveries to our endpoint fail with HTTP {status_code}. "
              "Our endpoint responds fine when we call it ourselves. Request id {request_id}.",
              "Our delivery log shows your endpoint answering {status_code} with a firewall challenge page. Please "
              "allow our webhook IP ranges (listed in the docs) through the firewall."),
            T("Webhook signature verification fails",
              "We verify the webhook signature as documented, but it never matches. We use the secret from the "
              "integration settings and the raw body.",
              "The signature is computed over the raw request body before any JSON parsing. Many frameworks "
              "re-encode the body; please make sure you hash the exact bytes you received."),
            T("Webhooks stopped after endpoint change",
              "We changed our webhook URL on {weekday} and since then we get no events at all.",
              "After an endpoint change the integration has to be re-enabled. I've done that for you; new events "
              "are being delivered again."),
            T("Missing webhook events for order #{order}",
              "We never received the 'order.paid' webhook for order #{order}, although the order is paid.",
              "I've resent the events for order #{order} from the delivery log."),
            T("Webhook retries flooding our endpoint",
              "After our endpoint was down for {minutes} minutes, your retries arrived all at once and overloaded it.",
              "Thanks for flagging this. Retries currently don't spread out after a long outage; I've raised it with "
              "engineering. Meanwhile you can pause deliveries from the integration settings."),
        ),
        details=("Our endpoint is behind a CDN.", "We process about {seats} thousand events per day."),
        followups=("Allowing the IP ranges fixed it.", "We now hash the raw bytes and it matches. Thanks!",
                   "We still see {status_code} errors for some events."),
        notes=(
            "Retry storm after outage: we don't apply jitter to retries. Candidate escalation for "
            "integrations.webhooks.",
            "Delivery log for {request_id}: 14 attempts, all {status_code} from the customer's proxy.",
        ),
        resolutions=("Deliveries are succeeding again on our side. Marking this as solved.",),
    ),
    Area(
        key="slack",
        weight=4,
        team="Technical support",
        feature="integrations.slack",
        tags=("slack", "integrations"),
        topics=(
            T("Slack notifications stopped",
              "Our Slack channel stopped receiving notifications about new tickets on {weekday}.",
              "The Slack token was revoked when the user who installed the app was deactivated. Please reinstall "
              "the app from an admin account."),
            T("Slack app cannot be installed in our workspace",
              "Installing the Slack app fails with error {error} in our Enterprise Grid workspace.",
              "Enterprise Grid installs need the app approved at the organization level first. Your Slack admin can "
              "do that under Manage apps."),
        ),
        details=("Our Slack admin reinstalled it once already.",),
        followups=("Reinstalled from an admin account; it works.", "Approved and installed, thanks."),
        notes=("Enterprise Grid installs need org-level approval first.",),
        resolutions=("Notifications are flowing again. Marking this as solved.",),
    ),
    Area(
        key="account",
        weight=14,
        team="Technical support",
        feature=None,
        tags=("account", "how-to"),
        topics=(
            T("Add {count} new users to our account",
              "We are onboarding {count} new colleagues next {weekday}. What is the easiest way to add them all?",
              "You can invite many users at once under Settings → Users → Import; upload a CSV with name and "
              "e-mail."),
            T("Reset two-factor authentication for a colleague",
              "A colleague lost her phone and can no longer log in with two-factor authentication. Can you reset "
              "it?",
              "For security I need the request to come from an account admin. Could your admin confirm here?"),
            T("Set up SAML single sign-on",
              "We would like to set up SAML single sign-on with Azure AD. Is there a guide?",
              "Here's our SAML guide for Azure AD. The entity ID and reply URL are shown under Settings → Security → "
              "SSO."),
            T("Change the account owner",
              "Our account owner is leaving the company. Please transfer ownership to me.",
              "Happy to help. We need the current owner's confirmation by e-mail, or an admin's if they have left."),
            T("Password reset e-mail not arriving",
              "I requested a password reset {count} times but no e-mail arrives, not even in spam.",
              "Your mail server rejected our password reset e-mails. Please allow mail from our sending domain."),
            T("How do I remove a former employee?",
              "One of our employees left. How do I remove their access without losing the tickets they created?",
              "Deactivating a user keeps everything they created. Settings → Users → the user → Deactivate."),
        ),
        details=("We have {seats} seats on our plan.", "Please answer soon, this is blocking onboarding."),
        followups=("Admin here: I confirm the request.", "The CSV import worked perfectly.",
                   "Thanks, that's what I needed."),
        notes=("Verified admin via the account's registered phone number before making the change.",
               "Ownership transfer needs the current owner's written consent; asked for it."),
        resolutions=("Glad to help. Marking this as solved.", "All done on our side; marking as solved."),
    ),
    Area(
        key="privacy",
        weight=3,
        team="Technical support",
        feature=None,
        tags=("gdpr", "security"),
        topics=(
            T("GDPR data export request",
              "Under GDPR article 15 a customer of ours asked for all data we hold about them. How do we export it?",
              "Data exports for a single person are under Settings → Privacy → Export person. It produces a ZIP "
              "within {minutes} minutes."),
            T("Request for our data processing agreement",
              "Our legal team needs a signed data processing agreement before we renew.",
              "Our DPA is available for signature under Settings → Legal. I've also attached the current version."),
            T("Security questionnaire for our vendor review",
              "Our security team sent a vendor questionnaire ({count} questions). Who can fill it in?",
              "Our security team will complete the questionnaire; expect it within five business days."),
        ),
        details=("Our deadline is next {weekday}.",),
        followups=("Thank you, we have what we need.", "Received, thanks."),
        notes=("Forwarded to security@ for the questionnaire; due {weekday}.",),
        resolutions=("Completed. Marking this as solved.",),
    ),
    Area(
        key="performance",
        weight=6,
        team="Technical support",
        feature=None,
        tags=("performance", "outage"),
        topics=(
            T("Application very slow this morning",
              "Since about 9:00 every page takes 20–30 seconds to load for our whole team.",
              "We had a degraded database node between 8:50 and 9:40 UTC; it has been replaced and response times "
              "are back to normal. Sorry for the disruption."),
            T("Error {status_code} when opening the app",
              "We get an error {status_code} page when we open the app. Request id {request_id}.",
              "Thanks for the request id. It hit a node that was being deployed; retries succeed. We're adjusting "
              "the deploy process so that doesn't happen."),
            T("Timeouts on the API since {weekday}",
              "Our integration's API calls time out about one in {count} times since {weekday}.",
              "We found a misbehaving load balancer node and took it out of rotation. Are you still seeing "
              "timeouts?"),
        ),
        details=("Our status page subscription didn't report anything.", "We're located in Europe."),
        followups=("Confirmed, everything is fast again.", "We still see timeouts from time to time."),
        notes=("Incident INC-{build} covers this; customer notified via status page as well.",),
        resolutions=("The incident is resolved. Marking this as solved.",),
    ),
)

AREA_WEIGHTS = [area.weight for area in AREAS]

# Forty tags: the area tags above plus cross-cutting ones agents add while triaging.
TAG_POOL = (
    "billing", "invoice", "payment-failed", "refund", "chargeback", "mobile", "login", "sync", "push", "ios",
    "android", "2fa", "sso", "password-reset", "reporting", "export", "csv", "dashboard", "api", "webhooks",
    "slack", "integrations", "account", "how-to", "gdpr", "security", "performance", "outage", "bug",
    "feature-request", "regression", "data-loss", "duplicate", "vip", "enterprise", "escalated", "needs-info",
    "known-issue", "workaround-given", "churn-risk",
)
# Platform tags ("ios", "android") are not among them: a mobile ticket gets the one its
# conversation is about (conversations.py), never a random one.
TRIAGE_TAGS = ("bug", "feature-request", "regression", "vip", "needs-info", "known-issue", "workaround-given",
               "escalated", "duplicate", "churn-risk", "data-loss", "chargeback")

GREETINGS = ("Hi", "Hello", "Hi there", "Good morning", "Dear support team", "Hey")
SIGNOFFS = ("Thanks", "Thank you", "Best regards", "Kind regards", "Cheers", "Many thanks")
# Later desk replies in a conversation, after the first real answer.
AGENT_FOLLOWUPS = (
    "Thanks for the update. I've passed this on to the team and will get back to you as soon as I hear from them.",
    "Understood — let me look into that and come back to you today.",
    "Thanks for confirming. I'll keep this open a little longer in case anything else comes up.",
    "Could you send a screenshot of what you see? That will help us reproduce it.",
    "I've reproduced it on our side and raised it with engineering. I'll update you here.",
    "Thanks for your patience. The team is testing a fix; I expect news by {weekday}.",
)
AGENT_SIGNOFFS = ("Best", "Kind regards", "Thanks", "Cheers", "All the best")
