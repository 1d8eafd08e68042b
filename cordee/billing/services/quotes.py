"""Quotes (devis): drafted from the plan, numbered and frozen when sent, accepted or declined in the portal,
revised into a new version. An accepted quote makes its plan the mission's active plan."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from cordee.billing.legal import legal_values
from cordee.billing.models import (
    BillingPlan,
    LegalSeller,
    NumberSeries,
    PlanDeliverable,
    PlanMemberRate,
    Quote,
)
from cordee.billing.pdf import pdf_render, sha256_hex
from cordee.billing.services.links import client_email_enqueue, portal_link_to
from cordee.billing.services.plans import PortalRefused, bonus_amount
from cordee.billing.services.sellers import (
    client_billing_address_missing,
    client_identity,
    number_issue,
    seller_identity,
    seller_missing,
)
from cordee.billing.signals import quote_accepted
from cordee.billing.templatetags.billing import euros, quantity
from cordee.clients.models import ClientContact
from cordee.core.money import line_amount, money_sum, percent_of, round_cents
from cordee.core.outbox import email_enqueue
from cordee.missions.access import mission_for

DOCUMENT_LANGUAGE = "fr"  # French legal documents are written in French.
MAX_VALIDITY_DAYS = 180


PAID_TO_EACH_MEMBER = (BillingPlan.InvoicingMode.PER_MEMBER, BillingPlan.InvoicingMode.MANDATE)


def _latest_plan(mission) -> BillingPlan | None:
    return BillingPlan.objects.filter(mission=mission).order_by("-version").first()


def _check_ready(*, mission, seller: LegalSeller) -> None:
    errors = []
    if client_billing_address_missing(mission.client):
        errors.append(
            _("%(client)s has no billing address: add it on the client's page before drafting a quote.")
            % {"client": mission.client.name}
        )
    missing = seller_missing(seller)
    if missing:
        errors.append(
            _("%(seller)s is not ready to bill; missing: %(missing)s.")
            % {"seller": seller.display_name, "missing": ", ".join(missing)}
        )
    if errors:
        raise ValidationError(errors)


def _check_validity(valid_until: date | None, *, today: date) -> None:
    if valid_until is None or valid_until < today:
        raise ValidationError({"valid_until": _("The quote must be valid until today at least.")})
    if (valid_until - today).days > MAX_VALIDITY_DAYS:
        raise ValidationError({"valid_until": _("A quote is valid for 180 days at most.")})


@transaction.atomic
def quote_draft(*, by, mission_id: int, valid_until: date) -> Quote:
    """The draft quote of the mission's draft plan (created or updated); nothing is numbered yet."""
    mission = mission_for(by, mission_id, manage=True)
    plan = _latest_plan(mission)
    if plan is None or plan.status != BillingPlan.Status.DRAFT:
        raise ValidationError(_("Save a billing plan first: the quote is drafted from it."))
    _check_ready(mission=mission, seller=plan.seller)
    _check_validity(valid_until, today=timezone.localdate())
    quote = Quote.objects.select_for_update().filter(mission=mission, status=Quote.Status.DRAFT).first()
    if quote is None:
        quote = Quote(collective_id=mission.collective_id, mission=mission, created_by=by)
    quote.plan = plan
    quote.seller = plan.seller
    quote.valid_until = valid_until
    quote.is_amendment = BillingPlan.objects.filter(
        mission=mission, status=BillingPlan.Status.ACTIVE
    ).exists()
    quote.supersedes = (
        Quote.objects.filter(mission=mission, status=Quote.Status.SUPERSEDED, superseded_by__isnull=True)
        .order_by("-sent_at")
        .first()
    )
    quote.save()
    return quote


def quote_lines(plan: BillingPlan) -> list[dict]:
    """The lines of the plan, in French, with their amounts (None for time and materials without a cap)."""
    lines = []

    def add(description, qty, unit, unit_price, amount):
        lines.append(
            {
                "description": description,
                "quantity": str(qty) if qty is not None else "",
                "unit": unit,
                "unit_price": str(round_cents(unit_price)),
                "amount": str(amount) if amount is not None else "",
            }
        )

    with translation.override(DOCUMENT_LANGUAGE):
        if plan.model == BillingPlan.Model.MILESTONE:
            for item in plan.deliverable_prices.select_related("deliverable"):
                add(
                    _("Deliverable: %(title)s") % {"title": item.deliverable.title},
                    Decimal(1),
                    _("fixed price"),
                    item.price,
                    line_amount(1, item.price),
                )
        else:
            if plan.has_derisk_phase:
                add(
                    _("De-risking phase: %(scope)s (until %(date)s)")
                    % {"scope": plan.derisk_scope, "date": date_format(plan.derisk_end_date, "DATE_FORMAT")},
                    Decimal(1),
                    _("fixed price"),
                    plan.derisk_price,
                    line_amount(1, plan.derisk_price),
                )
            if plan.rate_mode == BillingPlan.RateMode.MISSION:
                if plan.cap_days:
                    add(
                        _("Time and materials, up to the cap of %(days)s days")
                        % {"days": quantity(plan.cap_days)},
                        plan.cap_days.normalize(),
                        pgettext("unit of quantity", "d"),
                        plan.mission_day_rate,
                        line_amount(plan.cap_days, plan.mission_day_rate),
                    )
                else:
                    add(
                        _("Time and materials, per day consumed"),
                        None,
                        pgettext("unit of quantity", "d"),
                        plan.mission_day_rate,
                        None,
                    )
            else:
                for rate in plan.member_rates.select_related("user"):
                    add(
                        _("Time and materials: day of %(name)s") % {"name": rate.user.display_name},
                        None,
                        pgettext("unit of quantity", "d"),
                        rate.day_rate,
                        None,
                    )
    return lines


def quote_totals(
    lines: list[dict], *, vat_registered: bool, issued_on: date
) -> tuple[Decimal, Decimal, Decimal]:
    """Total excl. VAT, VAT computed once on the total of the rate (R-1.14), total incl. VAT."""
    total = money_sum(line["amount"] for line in lines if line["amount"])
    vat = percent_of(total, legal_values(issued_on).standard_vat_rate) if vat_registered else Decimal("0.00")
    return total, vat, round_cents(total + vat)


def _conditions(plan: BillingPlan, total: Decimal) -> list[str]:
    """The plan's terms printed under the lines (deposit, cycle, cap, overage, bonus)."""
    conditions = []
    with translation.override(DOCUMENT_LANGUAGE):
        if plan.model == BillingPlan.Model.MILESTONE:
            trigger = (
                _("on delivery of each deliverable")
                if plan.milestone_trigger == BillingPlan.MilestoneTrigger.DELIVERED
                else _("when the client accepts each deliverable")
            )
            conditions.append(_("Each deliverable is invoiced %(trigger)s.") % {"trigger": trigger})
            if plan.deposit_percent:
                conditions.append(
                    _("A deposit of %(percent)s%% (%(amount)s) is invoiced on acceptance of this quote.")
                    % {
                        "percent": quantity(plan.deposit_percent),
                        "amount": euros(percent_of(total, plan.deposit_percent)),
                    }
                )
        else:
            cycle = (
                _("every month")
                if plan.cycle == BillingPlan.Cycle.MONTHLY
                else _("twice a month (on the 1st and the 16th)")
            )
            conditions.append(
                _("The days consumed are invoiced %(cycle)s, from an activity report you validate.")
                % {"cycle": cycle}
            )
            if plan.cap_days:
                conditions.append(
                    _(
                        "Cap: %(days)s days. You are told at 50, 80 and 100%% of it; no day beyond it is "
                        "invoiced without your written approval in the portal."
                    )
                    % {"days": quantity(plan.cap_days)}
                )
        if plan.has_bonus:
            fixed = total if total else Decimal("0.00")
            bonus = (
                _("%(percent)s%% of the fixed part") % {"percent": quantity(plan.bonus_value)}
                if plan.bonus_kind == BillingPlan.BonusKind.PERCENT
                else euros(bonus_amount(plan, fixed))
            )
            conditions.append(
                _(
                    "Performance bonus: %(bonus)s excl. VAT if %(kpi)s reaches %(target)s, on top of the fixed fee."
                )
                % {"bonus": bonus, "kpi": plan.bonus_kpi, "target": plan.bonus_target}
            )
    return conditions


def _payment_terms_text(identity: dict) -> str:
    with translation.override(DOCUMENT_LANGUAGE):
        if identity["payment_terms"] == LegalSeller.PaymentTerms.END_OF_MONTH_45:
            return _("45 days end of month from the invoice date")
        return _("%(days)s days from the invoice date") % {"days": identity["payment_days"]}


def quote_pdf_context(quote: Quote) -> dict:
    seller = quote.seller_snapshot
    values = legal_values(quote.issued_on)
    return {
        "quote": quote,
        "seller": seller,
        "client": quote.client_snapshot,
        "lines": quote.lines["items"],
        "conditions": quote.lines["conditions"],
        "vat_registered": seller["vat_regime"] == LegalSeller.VatRegime.REGISTERED,
        "vat_rate": values.standard_vat_rate,
        "franchise_mention": values.franchise_mention,
        "recovery_indemnity": values.recovery_indemnity,
        "payment_terms": _payment_terms_text(seller),
        # Each member's invoice (their own, or issued under a mandate in their name) carries their own bank
        # details: the quote names no single account to pay everything to.
        "bank_details_per_member": quote.plan.invoicing_mode in PAID_TO_EACH_MEMBER,
        "mission": quote.mission,
    }


@transaction.atomic
def quote_send(*, by, quote_id: int) -> Quote:
    """Issue the draft quote: number from the seller's series, snapshots, lines, totals and the PDF, all
    frozen; any quote still open for the mission can no longer be accepted; the client contacts get it by
    email with the PDF attached, and in the portal."""
    quote = Quote.objects.select_for_update().filter(pk=quote_id).first()
    if quote is None:
        raise ValidationError(_("This quote does not exist."))
    mission = mission_for(by, quote.mission_id, manage=True)
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError(_("This quote was already sent: revise it to change it."))
    plan = BillingPlan.objects.select_for_update().get(pk=quote.plan_id)
    if plan.status != BillingPlan.Status.DRAFT:
        raise ValidationError(_("The plan of this quote changed since: draft the quote again."))
    _check_ready(mission=mission, seller=quote.seller)
    today = timezone.localdate()
    _check_validity(quote.valid_until, today=today)
    contacts = list(
        ClientContact.objects.filter(client_id=mission.client_id, collective_id=mission.collective_id)
    )
    if not contacts:
        raise ValidationError(_("The client has no contact to send the quote to: add one first."))
    for open_quote in Quote.objects.select_for_update().filter(mission=mission, status=Quote.Status.SENT):
        open_quote.status = Quote.Status.SUPERSEDED
        open_quote.save(update_fields=["status"])
        BillingPlan.objects.filter(pk=open_quote.plan_id, status=BillingPlan.Status.PROPOSED).update(
            status=BillingPlan.Status.SUPERSEDED
        )
        if quote.supersedes_id is None:
            quote.supersedes = open_quote
    quote.number = number_issue(
        seller=quote.seller, document_type=NumberSeries.DocumentType.QUOTE, issued_on=today
    )
    quote.issued_on = today
    quote.seller_snapshot = seller_identity(quote.seller)
    quote.client_snapshot = client_identity(mission.client)
    lines = quote_lines(plan)
    vat_registered = quote.seller_snapshot["vat_regime"] == LegalSeller.VatRegime.REGISTERED
    quote.total_excl_vat, quote.vat_amount, quote.total_incl_vat = quote_totals(
        lines, vat_registered=vat_registered, issued_on=today
    )
    quote.lines = {"items": lines, "conditions": _conditions(plan, quote.total_excl_vat)}
    quote.pdf = quote_pdf(quote)
    quote.pdf_sha256 = sha256_hex(quote.pdf)
    quote.status = Quote.Status.SENT
    quote.sent_at = timezone.now()
    quote.full_clean(exclude=["pdf"])
    quote.save()
    plan.status = BillingPlan.Status.PROPOSED
    plan.save(update_fields=["status"])
    attachment = {
        "filename": f"devis-{quote.number}.pdf".replace("/", "-"),
        "mimetype": "application/pdf",
        "content": bytes(quote.pdf),
    }
    for contact in contacts:
        client_email_enqueue(
            mission,
            contact,
            key=f"billing:quote:{quote.pk}:contact:{contact.pk}",
            template="billing/emails/quote_sent",
            context={"quote": quote, "portal_url": portal_link_to(contact, "billing_portal:quote", quote.pk)},
            attachments=[attachment],
        )
    return quote


def quote_pdf(quote: Quote) -> bytes:
    return pdf_render("billing/pdf/quote.html", quote_pdf_context(quote), language=DOCUMENT_LANGUAGE)


def _plan_copy(plan: BillingPlan, *, by) -> BillingPlan:
    latest = _latest_plan(plan.mission)
    deliverable_prices = list(plan.deliverable_prices.all())
    member_rates = list(plan.member_rates.all())
    plan.pk = None
    plan._state.adding = True
    plan.version = latest.version + 1
    plan.status = BillingPlan.Status.DRAFT
    plan.created_by = by
    plan.activated_at = None
    plan.bonus_measured_at = None
    plan.bonus_measured_value = ""
    plan.bonus_reached = None
    plan.save()
    for item in deliverable_prices:
        item.pk = None
        item.plan = plan
    for item in member_rates:
        item.pk = None
        item.plan = plan
    PlanDeliverable.objects.bulk_create(deliverable_prices)
    PlanMemberRate.objects.bulk_create(member_rates)
    return plan


@transaction.atomic
def quote_revise(*, by, quote_id: int) -> BillingPlan:
    """Withdraw a sent quote (it can no longer be accepted) and start a new plan version from it, to edit
    and send as the next quote. An accepted quote is never revised: change the plan (an amendment)."""
    quote = Quote.objects.select_for_update().filter(pk=quote_id).first()
    if quote is None:
        raise ValidationError(_("This quote does not exist."))
    mission_for(by, quote.mission_id, manage=True)
    if quote.status != Quote.Status.SENT:
        raise ValidationError(_("Only a quote waiting for the client's answer can be revised."))
    quote.status = Quote.Status.SUPERSEDED
    quote.save(update_fields=["status"])
    plan = BillingPlan.objects.select_for_update().get(pk=quote.plan_id)
    plan.status = BillingPlan.Status.SUPERSEDED
    plan.save(update_fields=["status"])
    latest = _latest_plan(quote.mission)
    if latest.status == BillingPlan.Status.DRAFT:
        return latest
    return _plan_copy(plan, by=by)


def portal_quote(contact: ClientContact, quote_id: int) -> Quote:
    """A sent (or answered) quote of the contact's client; drafts never show."""
    return Quote.objects.select_related("mission", "plan").get(
        pk=quote_id,
        collective_id=contact.collective_id,
        mission__client_id=contact.client_id,
        status__in=(Quote.Status.SENT, Quote.Status.ACCEPTED, Quote.Status.DECLINED, Quote.Status.SUPERSEDED),
    )


def _refusal(quote: Quote, today: date) -> str | None:
    if quote.status == Quote.Status.ACCEPTED:
        return _("This quote was already accepted.")
    if quote.status == Quote.Status.DECLINED:
        return _("This quote was declined.")
    if quote.status == Quote.Status.SUPERSEDED:
        return _("This quote was replaced by a newer version: answer the latest one.")
    if quote.valid_until < today:
        return _("This quote expired on %(date)s: ask your contact for a new one.") % {
            "date": date_format(quote.valid_until, "DATE_FORMAT")
        }
    return None


@transaction.atomic
def quote_accept(
    *,
    contact: ClientContact,
    quote_id: int,
    typed_name: str,
    ip: str | None,
    user_agent: str,
    pdf_sha256: str,
) -> Quote:
    """ "Bon pour accord": the contact accepts the exact PDF they were shown (its SHA-256), with their typed
    name, the time, their IP address and browser. Two acceptances at once: the conditional update lets one
    through. The quote's plan becomes the mission's active plan; the previous active one is superseded."""
    quote = portal_quote(contact, quote_id)
    typed_name = " ".join(typed_name.split())
    if not typed_name:
        raise ValidationError({"typed_name": _("Type your full name to accept the quote.")})
    if len(typed_name) > 150:
        raise ValidationError({"typed_name": _("Your name is 150 characters at most.")})
    today = timezone.localdate()
    refusal = _refusal(quote, today)
    if refusal:
        raise PortalRefused(refusal)
    if pdf_sha256 != quote.pdf_sha256 or sha256_hex(bytes(quote.pdf)) != quote.pdf_sha256:
        raise PortalRefused(_("The quote changed since you opened it: reload the page and read it again."))
    now = timezone.now()
    changed = Quote.objects.filter(pk=quote.pk, status=Quote.Status.SENT, valid_until__gte=today).update(
        status=Quote.Status.ACCEPTED,
        accepted_by=contact,
        accepted_name=typed_name,
        accepted_at=now,
        accepted_ip=ip,
        accepted_user_agent=(user_agent or "")[:400],
        accepted_pdf_sha256=quote.pdf_sha256,
    )
    if changed != 1:
        quote.refresh_from_db()
        raise PortalRefused(_refusal(quote, today) or _("This quote can no longer be accepted."))
    BillingPlan.objects.filter(mission_id=quote.mission_id, status=BillingPlan.Status.ACTIVE).update(
        status=BillingPlan.Status.SUPERSEDED
    )
    BillingPlan.objects.filter(pk=quote.plan_id).update(status=BillingPlan.Status.ACTIVE, activated_at=now)
    quote.refresh_from_db()
    quote_accepted.send(sender=Quote, quote=quote)
    mission = quote.mission
    email_enqueue(
        key=f"billing:quote:{quote.pk}:accepted",
        to=mission.lead.email,
        template="billing/emails/quote_accepted",
        context={"quote": quote, "mission": mission, "collective": mission.collective, "contact": contact},
        language=mission.lead.language,
        sender=mission.collective.notification_sender(),
        collective=mission.collective,
    )
    return quote


@transaction.atomic
def quote_decline(*, contact: ClientContact, quote_id: int, reason: str) -> Quote:
    quote = portal_quote(contact, quote_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the team why, so that they can propose something better.")})
    if len(reason) > 2000:
        raise ValidationError({"reason": _("2,000 characters at most.")})
    refusal = _refusal(quote, timezone.localdate())
    if refusal:
        raise PortalRefused(refusal)
    changed = Quote.objects.filter(pk=quote.pk, status=Quote.Status.SENT).update(
        status=Quote.Status.DECLINED, declined_reason=reason, declined_at=timezone.now()
    )
    if changed != 1:
        raise PortalRefused(_("This quote can no longer be answered."))
    quote.refresh_from_db()
    mission = quote.mission
    email_enqueue(
        key=f"billing:quote:{quote.pk}:declined",
        to=mission.lead.email,
        template="billing/emails/quote_declined",
        context={"quote": quote, "mission": mission, "collective": mission.collective, "contact": contact},
        language=mission.lead.language,
        sender=mission.collective.notification_sender(),
        collective=mission.collective,
    )
    return quote
