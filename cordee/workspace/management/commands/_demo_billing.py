"""The demo's billing, end to end, through the real billing services: the members' legal sellers and their
numbering series, the clients' invoicing data, a fixed-price plan with milestones on the subsidies portal
and a time-and-materials maintenance mission with monthly activity reports, accepted quotes, approved
revenue splits, per-member invoices issued and sent together (numbered, with their Factur-X PDF and XML),
payments, an overdue invoice and its reminders, and a split still waiting for a member's approval.

Every step runs at the moment it would have happened, the clock set there (`time_machine`), so the
services stamp and number everything as they would have: issue dates, due dates, acceptance times. The
steps of both missions play in one chronological order, so each series' numbers follow its issue dates.
"""

import heapq
import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import time_machine
from django.conf import settings
from django.utils import timezone

from cordee.billing.models import (
    ActivityReport,
    BillingPlan,
    Invoice,
    LegalSeller,
    Payment,
    Quote,
    RevenueSplit,
)
from cordee.billing.services.invoices import (
    invoice_batch_draft,
    invoice_batch_send,
    invoice_draft_update,
    invoice_issue,
)
from cordee.billing.services.payments import payment_record
from cordee.billing.services.plans import PlanInput, plan_save
from cordee.billing.services.quotes import quote_accept, quote_draft, quote_send
from cordee.billing.services.reminders import default_levels, reminder_send
from cordee.billing.services.reports import (
    activity_report_draft,
    activity_report_send,
    activity_report_validate,
)
from cordee.billing.services.sellers import member_seller_for
from cordee.billing.services.splits import SplitChoice, split_approve, split_propose
from cordee.clients.models import Client, ClientContact
from cordee.clients.services import client_update
from cordee.collectives.models import Collective, Membership
from cordee.collectives.time import collective_today, collective_zone
from cordee.core.business_days import add_business_days, is_business_day
from cordee.missions.models import Deliverable, Mission
from cordee.missions.services.missions import mission_activate, mission_create
from cordee.timesheets.models import TimeEntry
from cordee.workspace.management.commands._demo_work import (
    ACTIVE_TITLE,
    JULIEN,
    KARIM,
    SOPHIE,
    _at,
    _business_day_on_or_after,
)

MAINTENANCE_TITLE = "Maintenance et évolutions de la boutique en ligne"

# The clients' identifiers (made up for Maison Lenoir; they pass their check digits).
CLIENT_IDENTIFIERS = {
    "Ville de Montreuil": {"siren": "219300480", "siret": "21930048000015", "vat_number": ""},
    "Maison Lenoir": {"siren": "418765236", "siret": "41876523600017", "vat_number": "FR26418765236"},
}

# The subsidies portal, at a fixed price per deliverable (in the order of their dates), and the share of
# each member agreed at the start.
MILESTONE_PRICES = [Decimal("9000.00"), Decimal("16000.00"), Decimal("11000.00")]
MILESTONE_DAYS = [Decimal("15"), Decimal("27"), Decimal("18")]
AGREED_PERCENTS = {
    JULIEN: Decimal("45"),
    settings.DEMO_EMAIL: Decimal("25"),
    SOPHIE: Decimal("20"),
    KARIM: Decimal("10"),
}
PURCHASE_ORDER = "EJ-2026-004512"  # The city's commitment number, which Chorus Pro requires.

# The maintenance mission: a day a week of back-end, half a day of front-end, billed monthly.
MAINTENANCE_RATES = {KARIM: Decimal("600.00"), SOPHIE: Decimal("580.00")}
MAINTENANCE_CAP_DAYS = Decimal("30")
# (email, weekday, hours, notes in turn)
MAINTENANCE_TIME = [
    (
        KARIM,
        1,
        "7",
        [
            "Mise à jour de Django et des dépendances",
            "Correctifs du back-office des commandes",
            "Export comptable mensuel",
            "Optimisation des requêtes du catalogue",
        ],
    ),
    (
        SOPHIE,
        3,
        "3.5",
        [
            "Corrections d'affichage sur mobile",
            "Accessibilité de la fiche produit",
            "Nouveau bandeau de la page d'accueil",
        ],
    ),
]
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def demo_has_billing(collective: Collective) -> bool:
    """Billing data already there (seeded, or entered by hand): the seed never touches it."""
    return LegalSeller.objects.filter(collective=collective).exists()


class _Timeline:
    """Steps at the moments they would have happened, played in order with the clock set to each moment.
    Steps in the future are left out (with everything that follows them in their story)."""

    def __init__(self, now: datetime):
        self.now = now
        self._steps: list = []
        self._order = itertools.count()

    def at(self, moment: datetime, step: Callable[[], None]) -> None:
        if moment < self.now:
            heapq.heappush(self._steps, (moment, next(self._order), step))

    def play(self) -> None:
        while self._steps:
            moment, _order, step = heapq.heappop(self._steps)
            with time_machine.travel(moment, tick=False):
                step()


def _month_start(day: date, months_back: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months_back, 12)
    return date(year, month + 1, 1)


def create_demo_billing(*, collective: Collective) -> None:
    tz = collective_zone(collective)
    today = collective_today(collective)
    users = {
        membership.user.email: membership.user
        for membership in Membership.objects.filter(collective=collective).select_related("user")
    }
    claire = users[settings.DEMO_EMAIL]
    active = Mission.objects.get(collective=collective, title=ACTIVE_TITLE)
    lenoir = Client.objects.get(collective=collective, name="Maison Lenoir")

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return _at(day, hour, minute, tz)

    timeline = _Timeline(timezone.now())
    maintenance_start = _business_day_on_or_after(_month_start(today, 3))
    # Before anything else: the members' sellers and the clients' invoicing data.
    timeline.at(
        at(maintenance_start - timedelta(days=21), 9),
        lambda: _billing_settings(collective=collective, users=users, claire=claire),
    )
    _milestone_story(timeline, at=at, tz=tz, mission=active, users=users, claire=claire)
    _maintenance_story(
        timeline,
        at=at,
        collective=collective,
        client=lenoir,
        users=users,
        claire=claire,
        start=maintenance_start,
        today=today,
    )
    timeline.play()


# --- Sellers and clients ------------------------------------------------------------------------------


def _billing_settings(*, collective, users, claire) -> None:
    # Each member's series carry their initials: FAC-CM-2026-00001 for Claire, FAC-KB-… for Karim.
    for user in users.values():
        member_seller_for(by=claire, collective_id=collective.pk, user_id=user.pk)
    for client in Client.objects.filter(collective=collective, name__in=CLIENT_IDENTIFIERS):
        if client.siren:
            continue
        values = {
            name: getattr(client, name)
            for name in ("name", "address_line", "postal_code", "city", "country", "notes")
        }
        client_update(client=client, by=claire, data=values | CLIENT_IDENTIFIERS[client.name])


# --- Shared steps ---------------------------------------------------------------------------------------


def _quote(*, mission_id: int, by, plan_input: PlanInput) -> None:
    plan_save(by=by, mission_id=mission_id, plan_input=plan_input)
    quote = quote_draft(by=by, mission_id=mission_id, valid_until=timezone.localdate() + timedelta(days=30))
    quote_send(by=by, quote_id=quote.pk)


def _accept(*, mission_id: int, contact: ClientContact) -> None:
    quote = Quote.objects.get(mission_id=mission_id, status=Quote.Status.SENT)
    quote_accept(
        contact=contact,
        quote_id=quote.pk,
        typed_name=contact.full_name,
        ip="192.0.2.41",
        user_agent=BROWSER,
        pdf_sha256=quote.pdf_sha256,
    )


def _invoice(timeline: _Timeline, *, at, mission_id: int, by, purchase_order: str = "", **source) -> None:
    """Draft the invoices of an approved split, each member issues theirs, the lead sends them together; the
    reminders then go out at each level of the ladder the invoices reach unpaid."""
    batch = invoice_batch_draft(by=by, mission_id=mission_id, **source)
    invoices = list(batch.invoices.select_related("seller__user").order_by("pk"))
    for invoice in invoices:
        if purchase_order:
            invoice_draft_update(by=by, invoice_id=invoice.pk, values={"purchase_order": purchase_order})
        invoice_issue(by=invoice.seller.user, invoice_id=invoice.pk)
    invoice_batch_send(by=by, batch_id=batch.pk)
    due_on = Invoice.objects.filter(batch=batch).order_by("due_on").values_list("due_on", flat=True).first()
    for level in default_levels():
        day = due_on + timedelta(days=level.offset_days)
        timeline.at(
            at(day, 8),
            lambda day=day, offset=level.offset_days: reminder_send(
                batch_id=batch.pk, offset_days=offset, today=day
            ),
        )


def _propose(*, mission_id: int, by, choice: SplitChoice, **source) -> None:
    kind, source_id = next(iter(source.items()))
    split_propose(by=by, mission_id=mission_id, kind=kind, source_id=source_id, choice=choice)


def _approve(*, user, **source) -> None:
    split = RevenueSplit.objects.get(status=RevenueSplit.Status.PROPOSED, **source)
    split_approve(by=user, split_id=split.pk)


def _pay(*, by, invoice_filter: dict, amount_of: Callable[[Invoice], Decimal], reference: str) -> None:
    invoice = Invoice.objects.get(document_type=Invoice.DocumentType.INVOICE, **invoice_filter)
    payment_record(
        by=by,
        invoice_id=invoice.pk,
        paid_on=timezone.localdate(),
        amount=amount_of(invoice),
        method=Payment.Method.TRANSFER,
        reference=f"{reference} {invoice.number}",
    )


# --- The subsidies portal: a fixed price per milestone -----------------------------------------------------


def _milestone_story(timeline: _Timeline, *, at, tz, mission: Mission, users, claire) -> None:
    """Quoted a week before the start and accepted by the sponsor; the first deliverable, delivered, is split
    as agreed, approved by everyone, and the four members' invoices go to the city's finance department."""
    deliverables = list(Deliverable.objects.filter(mission=mission).order_by("internal_date", "pk"))
    contacts = {
        contact.role: contact for contact in ClientContact.objects.filter(client_id=mission.client_id)
    }
    start = mission.start_date
    plan_input = PlanInput(
        model=BillingPlan.Model.MILESTONE,
        milestone_trigger=BillingPlan.MilestoneTrigger.DELIVERED,
        deliverable_prices=[
            (deliverable.pk, price, days)
            for deliverable, price, days in zip(deliverables, MILESTONE_PRICES, MILESTONE_DAYS, strict=True)
        ],
        note="Forfait par livrable, facturé à la livraison. Chaque membre facture sa part.",
    )
    timeline.at(
        at(start - timedelta(days=6), 10),
        lambda: _quote(mission_id=mission.pk, by=claire, plan_input=plan_input),
    )
    timeline.at(
        at(start - timedelta(days=4), 11, 20),
        lambda: _accept(mission_id=mission.pk, contact=contacts[ClientContact.Role.SPONSOR]),
    )
    delivered = deliverables[0]
    if delivered.status != Deliverable.Status.DELIVERED or delivered.delivered_at is None:
        return
    split_day = add_business_days(timezone.localtime(delivered.delivered_at, tz).date(), 1)
    choice = SplitChoice(
        method=RevenueSplit.Method.AGREED_BEFORE,
        percents={users[email].pk: percent for email, percent in AGREED_PERCENTS.items()},
        note="Parts convenues au lancement de la mission.",
    )
    source = {"deliverable": delivered.pk}
    timeline.at(
        at(split_day, 9, 30), lambda: _propose(mission_id=mission.pk, by=claire, choice=choice, **source)
    )
    for minutes, email in ((45, JULIEN), (130, SOPHIE), (275, KARIM)):
        timeline.at(
            at(split_day, 9, 30) + timedelta(minutes=minutes),
            lambda email=email: _approve(user=users[email], deliverable_id=delivered.pk),
        )
    timeline.at(
        at(split_day, 16),
        lambda: _invoice(
            timeline,
            at=at,
            mission_id=mission.pk,
            by=claire,
            purchase_order=PURCHASE_ORDER,
            deliverable_id=delivered.pk,
        ),
    )


# --- The online shop's maintenance: time and materials, monthly activity reports -------------------------


def _maintenance_story(
    timeline: _Timeline, *, at, collective, client, users, claire, start: date, today: date
) -> None:
    """Three months ago Maison Lenoir signed for the maintenance of its shop: a day a week of Karim, half a
    day of Sophie. Each month's activity report is validated by the client, split by time × rate and
    invoiced; Karim's first invoice is paid, his second partly (the VAT forgotten), Sophie's first is
    overdue and reminded; last month's split still waits for Sophie's approval."""
    karim, sophie = users[KARIM], users[SOPHIE]
    contacts = {contact.role: contact for contact in ClientContact.objects.filter(client=client)}
    state = {}

    def create_and_quote() -> None:
        mission = mission_create(
            collective=collective,
            by=claire,
            data={
                "title": MAINTENANCE_TITLE,
                "description": "Maintenance corrective et évolutive de la boutique en ligne livrée en 2025 : mises "
                "à jour de sécurité, corrections, petites évolutions demandées par l'équipe de Maison Lenoir. "
                "Environ une journée de back-end et une demi-journée de front-end par semaine, en régie.",
                "client": client,
                "lead": claire,
                "start_date": start,
            },
            team=[
                {"user": claire, "role": "pilotage", "day_rate": Decimal("650.00")},
                {"user": karim, "role": "back-end", "day_rate": MAINTENANCE_RATES[KARIM]},
                {"user": sophie, "role": "front-end", "day_rate": MAINTENANCE_RATES[SOPHIE]},
            ],
        )
        state["mission"] = mission
        _quote(
            mission_id=mission.pk,
            by=claire,
            plan_input=PlanInput(
                model=BillingPlan.Model.PAY_AS_YOU_GO,
                rate_mode=BillingPlan.RateMode.PER_MEMBER,
                member_rates=[(users[email].pk, rate) for email, rate in MAINTENANCE_RATES.items()],
                cycle=BillingPlan.Cycle.MONTHLY,
                cap_days=MAINTENANCE_CAP_DAYS,
                note="Régie au temps passé, compte rendu d'activité mensuel, plafond de 30 jours.",
            ),
        )

    def activate() -> None:
        mission = state["mission"]
        mission_activate(mission=mission, by=claire)
        _maintenance_time(mission=mission, users=users, start=start, today=today)

    timeline.at(at(start - timedelta(days=14), 10), create_and_quote)
    timeline.at(
        at(start - timedelta(days=10), 15, 10),
        lambda: _accept(mission_id=state["mission"].pk, contact=contacts[ClientContact.Role.SPONSOR]),
    )
    timeline.at(at(start, 9), activate)

    for months_back in (3, 2, 1):
        period_start = max(_month_start(today, months_back), start)
        period_end = _month_start(today, months_back - 1) - timedelta(days=1)
        sent_day = _business_day_on_or_after(period_end + timedelta(days=1))
        validated_day = add_business_days(sent_day, 1)
        invoice_day = add_business_days(validated_day, 1)
        report = {"period_start": period_start}

        def report_sent(period_start=period_start, period_end=period_end) -> None:
            draft = activity_report_draft(
                by=claire, mission_id=state["mission"].pk, period_start=period_start, period_end=period_end
            )
            activity_report_send(by=claire, report_id=draft.pk)

        def report_validated(report=report) -> None:
            sent = ActivityReport.objects.get(mission=state["mission"], **report)
            activity_report_validate(contact=contacts[ClientContact.Role.PROJECT], report_id=sent.pk)

        def split_proposed(report=report) -> None:
            validated = ActivityReport.objects.get(mission=state["mission"], **report)
            _propose(
                mission_id=state["mission"].pk,
                by=claire,
                choice=SplitChoice(method=RevenueSplit.Method.TIME_RATE),
                activity_report=validated.pk,
            )

        def approved_by(user, report=report) -> None:
            _approve(
                user=user,
                activity_report__mission=state["mission"],
                activity_report__period_start=report["period_start"],
            )

        def invoiced(report=report) -> None:
            validated = ActivityReport.objects.get(mission=state["mission"], **report)
            _invoice(
                timeline, at=at, mission_id=state["mission"].pk, by=claire, activity_report_id=validated.pk
            )

        timeline.at(at(sent_day, 9), report_sent)
        timeline.at(at(validated_day, 10, 30), report_validated)
        timeline.at(at(validated_day, 14), split_proposed)
        timeline.at(at(validated_day, 16, 45), lambda approved_by=approved_by: approved_by(karim))
        if months_back == 1:
            continue  # Last month's split waits for Sophie.
        timeline.at(at(invoice_day, 9, 15), lambda approved_by=approved_by: approved_by(sophie))
        timeline.at(at(invoice_day, 11), invoiced)
        karim_invoice = {"seller__user": karim, "activity_report__period_start": period_start}
        if months_back == 3:
            # Paid in full, a little before the due date.
            timeline.at(
                at(invoice_day + timedelta(days=27), 11),
                lambda filters=karim_invoice: _pay(
                    by=claire,
                    invoice_filter=filters,
                    amount_of=lambda invoice: invoice.total_incl_tax,
                    reference="VIR MAISON LENOIR",
                ),
            )
        else:
            # The client's accountant paid the amount excluding VAT: the balance is still due.
            timeline.at(
                at(min(invoice_day + timedelta(days=26), today - timedelta(days=1)), 11),
                lambda filters=karim_invoice: _pay(
                    by=claire,
                    invoice_filter=filters,
                    amount_of=lambda invoice: invoice.total_excl_tax,
                    reference="VIR MAISON LENOIR",
                ),
            )


def _maintenance_time(*, mission: Mission, users, start: date, today: date) -> None:
    """Every week since the start: Karim's Tuesday, Sophie's Thursday morning."""
    entries = []
    for email, weekday, hours, notes in MAINTENANCE_TIME:
        days = [
            start + timedelta(days=offset)
            for offset in range((today - start).days)
            if (start + timedelta(days=offset)).weekday() == weekday
        ]
        days = [day for day in days if is_business_day(day)]
        for position, day in enumerate(days):
            entries.append(
                TimeEntry(
                    collective_id=mission.collective_id,
                    mission=mission,
                    user=users[email],
                    date=day,
                    hours=Decimal(hours),
                    activity=TimeEntry.Activity.PRODUCTION,
                    note=notes[position % len(notes)],
                )
            )
    TimeEntry.objects.bulk_create(entries)
