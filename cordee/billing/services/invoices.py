"""Invoices and credit notes: drafted from an approved revenue split in the mission's invoicing mode, checked
for every mandatory mention (R-1.1), numbered and frozen when issued (R-1.2 to R-1.6, R-0.4), corrected by
credit notes (R-1.7, R-1.8), sent to the client together (one email, one portal page), and billing mandates
(R-6.2).

What is invoiced: a delivered milestone, a validated activity period, the performance bonus, or the deposit
an accepted quote promised (a deposit invoice, CII 386). Each seller's later milestone or period invoices to
the same buyer deduct what is left of their deposit invoice (BT-113, BT-25, BT-23 S4).

Who issues an invoice: its seller (a member for their own business; the mission's lead or an admin for the
collective's entity), or under a billing mandate the mandated issuer. Drafting and sending to the client are
the mission's lead's or an admin's.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cordee.billing import einvoice
from cordee.billing.legal import legal_values
from cordee.billing.models import (
    DOCUMENT_NUMBER_PATTERN,
    ActivityReport,
    BillingMandate,
    BillingPlan,
    Invoice,
    InvoiceBatch,
    InvoiceLine,
    LegalSeller,
    NumberSeries,
    PlanDeliverable,
    Quote,
)
from cordee.billing.pdf import sha256_hex
from cordee.billing.queries import invoiceable_deliverables, plan_deposit
from cordee.billing.services.links import client_email_enqueue, portal_link_to
from cordee.billing.services.payments import invoice_paid_refresh
from cordee.billing.services.reports import report_days_and_rate
from cordee.billing.services.sellers import (
    COMPANY_FORMS,
    SOLE_TRADER_FORMS,
    client_billing_address_missing,
    client_identity,
    member_seller_for,
    number_issue,
    seller_identity,
    seller_missing,
)
from cordee.billing.services.splits import approved_split_for, split_source_for
from cordee.billing.signals import invoice_issued, invoices_sent
from cordee.billing.templatetags.billing import quantity
from cordee.clients.models import ClientContact
from cordee.collectives.access import membership_for
from cordee.core.access import AccessDenied
from cordee.core.money import ZERO, line_amount, money_sum, percent_of, round_cents, to_decimal
from cordee.missions.access import mission_for
from cordee.missions.models import Deliverable
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.services import time_entries_lock

DOCUMENT_LANGUAGE = "fr"  # French legal documents are written in French.
FRANCHISE_EXEMPTION_CODE = "VATEX-FR-FRANCHISE"
REVERSE_CHARGE_EXEMPTION_CODE = "VATEX-EU-AE"
REVERSE_CHARGE_MENTION = "Autoliquidation"
NUMBER_RE = re.compile(DOCUMENT_NUMBER_PATTERN)
SERIAL_RE = re.compile(r"(\d+)$")
BUSINESS_FLOWS = (Invoice.Flow.B2B, Invoice.Flow.B2BINT)
CONSUMER_FLOWS = (Invoice.Flow.B2C, Invoice.Flow.B2CINT)
MAX_PURCHASE_ORDER = 50
FINAL_AFTER_DEPOSIT_FRAME = "S4"  # BT-23 of a final invoice after a deposit
SERIES_OF = {
    Invoice.DocumentType.INVOICE: NumberSeries.DocumentType.INVOICE,
    Invoice.DocumentType.CREDIT_NOTE: NumberSeries.DocumentType.CREDIT_NOTE,
}


class InvoiceTampered(Exception):
    """A stored file no longer matches the SHA-256 recorded when the invoice was issued."""


# --- What is invoiced -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A milestone, an activity period, or a plan's deposit or bonus: its amount and what the invoices say
    of it."""

    amount: Decimal
    label: str
    supplied_on: date | None
    deliverable: Deliverable | None = None
    activity_report: ActivityReport | None = None
    plan: BillingPlan | None = None
    kind: str = Invoice.Kind.SERVICES

    @property
    def period_start(self) -> date | None:
        return self.activity_report.period_start if self.activity_report else None

    @property
    def period_end(self) -> date | None:
        return self.activity_report.period_end if self.activity_report else None

    def filter(self) -> dict:
        if self.deliverable is not None:
            return {"deliverable": self.deliverable}
        if self.activity_report is not None:
            return {"activity_report": self.activity_report}
        return {"plan": self.plan, "kind": self.kind}


def _day(value: date) -> str:
    return date_format(value, "DATE_FORMAT")


def _document_text(message: str, **values) -> str:
    """A text printed on the invoices, in their language (French), whatever the reader's language."""
    with translation.override(DOCUMENT_LANGUAGE):
        return _(message) % {name: value() if callable(value) else value for name, value in values.items()}


def _plan_amount_source(plan: BillingPlan, kind: str) -> Source:
    """The deposit the accepted quote promised, or the bonus whose target was reached, as its split page
    shows it (the same amount, which the approved split must match)."""
    try:
        split_source = split_source_for(plan.mission, kind, plan.pk)
    except ValidationError as error:
        if kind == Invoice.Kind.DEPOSIT:
            raise ValidationError(
                _("There is no deposit to invoice: the client has not accepted a quote with a deposit.")
            ) from error
        raise ValidationError(_("There is no bonus to invoice: its target is not reached yet.")) from error
    if kind == Invoice.Kind.DEPOSIT:
        deposit = plan_deposit(plan)
        label = _document_text(
            gettext_noop("Deposit of %(percent)s%% of quote %(number)s accepted on %(date)s"),
            percent=lambda: quantity(deposit.percent),
            number=deposit.quote.number,
            date=lambda: _day(timezone.localdate(deposit.quote.accepted_at)),
        )
        supplied_on = timezone.localdate(deposit.quote.accepted_at)
    else:
        label = _document_text(
            gettext_noop("Performance bonus: %(kpi)s reached %(target)s"),
            kpi=plan.bonus_kpi,
            target=plan.bonus_target,
        )
        supplied_on = timezone.localdate(plan.bonus_measured_at) if plan.bonus_measured_at else None
    return Source(amount=split_source.amount, label=label, supplied_on=supplied_on, plan=plan, kind=kind)


def _source(
    plan: BillingPlan, *, deliverable_id: int | None, activity_report_id: int | None, kind: str = ""
) -> Source:
    if kind in (Invoice.Kind.DEPOSIT, Invoice.Kind.BONUS):
        return _plan_amount_source(plan, kind)
    if deliverable_id:
        price = next(
            (item for item in invoiceable_deliverables(plan) if item.deliverable_id == deliverable_id),
            None,
        )
        if price is None:
            if PlanDeliverable.objects.filter(plan=plan, deliverable_id=deliverable_id).exists():
                raise ValidationError(_("This deliverable cannot be invoiced yet: it is not delivered."))
            raise ValidationError(_("This deliverable has no price in the mission's active plan."))
        deliverable = price.deliverable
        return Source(
            amount=price.price,
            label=_document_text(gettext_noop("Deliverable: %(title)s"), title=deliverable.title),
            supplied_on=timezone.localdate(deliverable.delivered_at) if deliverable.delivered_at else None,
            deliverable=deliverable,
        )
    report = ActivityReport.objects.filter(pk=activity_report_id, plan__mission_id=plan.mission_id).first()
    if report is None:
        raise ValidationError(_("Choose a milestone or an activity report to invoice."))
    if report.status != ActivityReport.Status.VALIDATED:
        raise ValidationError(_("This activity report is not validated by the client yet."))
    return Source(
        amount=report.total_amount,
        label=_document_text(
            gettext_noop("Services from %(start)s to %(end)s"),
            start=lambda: _day(report.period_start),
            end=lambda: _day(report.period_end),
        ),
        supplied_on=report.period_end,
        activity_report=report,
    )


@dataclass(frozen=True)
class Share:
    user_id: int | None  # None: the common fund's or the referrer's part, kept by the plan's seller
    amount: Decimal


def _shares(mission, plan: BillingPlan, source: Source) -> tuple[object, list[Share]]:
    target = source.deliverable or source.activity_report
    split = approved_split_for(target) if target else approved_split_for(plan, source.kind)
    if split is None:
        raise ValidationError(_("The revenue split of this amount is not approved by every member yet."))
    if split.amount != source.amount:
        raise ValidationError(
            _("The split is for %(split)s € but the amount to invoice is %(amount)s €: split it again.")
            % {"split": split.amount, "amount": source.amount}
        )
    shares = [Share(share.user_id, share.amount) for share in split.shares.all() if share.amount > 0]
    return split, shares


# --- Drafting ---------------------------------------------------------------------------------------


def _active_plan(mission) -> BillingPlan:
    plan = (
        BillingPlan.objects.select_related("seller__user")
        .filter(mission=mission, status=BillingPlan.Status.ACTIVE)
        .first()
    )
    if plan is None:
        raise ValidationError(_("The mission has no active billing plan: the client accepts a quote first."))
    return plan


def _not_invoiced_yet(mission, source: Source) -> None:
    existing = (
        Invoice.objects.filter(mission=mission, document_type=Invoice.DocumentType.INVOICE, **source.filter())
        .exclude(status=Invoice.Status.CANCELLED)
        # An issued invoice is named before a draft (NULL dates sort differently on SQLite and PostgreSQL).
        .order_by("-number", "pk")
        .first()
    )
    if existing is not None:
        if existing.is_draft:
            raise ValidationError(_("Invoices of this amount are already drafted: issue or discard them."))
        raise ValidationError(
            _("This amount is already invoiced (%(number)s): cancel that invoice by a credit note first.")
            % {"number": existing.number}
        )


def _ready_or_refuse(sellers, client) -> None:
    errors = []
    if client is not None and client_billing_address_missing(client):
        errors.append(
            _("%(client)s has no billing address: add it on the client's page before invoicing.")
            % {"client": client.name}
        )
    for seller in sellers:
        missing = seller_missing(seller)
        if missing:
            errors.append(
                _("%(seller)s is not ready to bill; missing: %(missing)s.")
                % {"seller": seller.display_name, "missing": ", ".join(missing)}
            )
    if errors:
        raise ValidationError(errors)


def active_mandate(*, seller: LegalSeller, issuer: LegalSeller, on: date) -> BillingMandate | None:
    """The mandate under which `issuer` may issue `seller`'s invoices on a day, if any."""
    for mandate in BillingMandate.objects.filter(seller=seller, issuer=issuer, archived_at__isnull=True):
        if mandate.is_active_on(on):
            return mandate
    return None


def _mandate_or_refuse(seller: LegalSeller, issuer: LegalSeller, on: date) -> BillingMandate:
    mandate = active_mandate(seller=seller, issuer=issuer, on=on)
    if mandate is None:
        raise ValidationError(
            _(
                "%(issuer)s has no active billing mandate from %(seller)s: store the mandate %(seller)s signed "
                "before issuing invoices in their name."
            )
            % {"issuer": issuer.display_name, "seller": seller.display_name}
        )
    return mandate


@dataclass
class _Planned:
    seller: LegalSeller
    amount: Decimal
    buyer_seller: LegalSeller | None = None
    user_id: int | None = None


def _planned_invoices(*, by, mission, plan: BillingPlan, shares: list[Share]) -> list[_Planned]:
    """The invoices the mode makes of the split (R-6.1): per member in A1/B, the plan's seller's invoice to
    the client and the members' invoices to it in C/E. The common fund's and referrer's parts stay with the
    plan's seller, who invoices them (A1/B) and pays them on."""
    mode = plan.invoicing_mode
    lead_seller = plan.seller
    sellers = {
        share.user_id: member_seller_for(by=by, collective_id=mission.collective_id, user_id=share.user_id)
        for share in shares
        if share.user_id is not None
    }
    if mode in (BillingPlan.InvoicingMode.PER_MEMBER, BillingPlan.InvoicingMode.MANDATE):
        planned: dict[int, _Planned] = {}
        for share in shares:
            seller = sellers[share.user_id] if share.user_id is not None else lead_seller
            item = planned.setdefault(seller.pk, _Planned(seller=seller, amount=ZERO, user_id=share.user_id))
            item.amount = round_cents(item.amount + share.amount)
        return list(planned.values())
    total = money_sum(share.amount for share in shares)
    planned = [_Planned(seller=lead_seller, amount=total)]
    for share in shares:
        seller = sellers.get(share.user_id)
        if seller is not None and seller.pk != lead_seller.pk:
            planned.append(
                _Planned(seller=seller, amount=share.amount, buyer_seller=lead_seller, user_id=share.user_id)
            )
    return planned


def _draft_line(
    invoice: Invoice, description: str, amount: Decimal, user_id, days_and_rate=None
) -> InvoiceLine:
    quantity, unit_code, unit_price = Decimal("1"), einvoice.UNIT_ONE, amount
    # A member's share of an activity period is their days × their day rate. When that does not give the
    # share to the cent (the split divides by minutes with largest-remainder rounding, a common fund or a
    # referrer takes part, the shares were agreed), the line stays one amount so the total never moves.
    if days_and_rate is not None and line_amount(*days_and_rate) == amount:
        (quantity, unit_price), unit_code = days_and_rate, einvoice.UNIT_DAY
    return InvoiceLine(
        collective_id=invoice.collective_id,
        invoice=invoice,
        position=1,
        description=description[:300],
        quantity=quantity,
        unit_code=unit_code,
        unit_price=unit_price,
        vat_category=InvoiceLine.VatCategory.STANDARD,
        vat_rate=ZERO,
        net_amount=line_amount(quantity, unit_price),
        user_id=user_id,
    )


@transaction.atomic
def invoice_batch_draft(
    *,
    by,
    mission_id: int,
    deliverable_id: int | None = None,
    activity_report_id: int | None = None,
    kind: str = "",
) -> InvoiceBatch:
    """The draft invoices of a delivered milestone, a validated activity period, or (`kind`) the active
    plan's deposit or bonus, from its approved split, in the plan's invoicing mode; none is numbered until
    issued. Each amount is drafted once: again, it is refused while its invoices live."""
    mission = mission_for(by, mission_id, manage=True)
    plan = _active_plan(mission)
    source = _source(plan, deliverable_id=deliverable_id, activity_report_id=activity_report_id, kind=kind)
    _not_invoiced_yet(mission, source)
    split, shares = _shares(mission, plan, source)
    planned = _planned_invoices(by=by, mission=mission, plan=plan, shares=shares)
    to_client = [item for item in planned if item.buyer_seller is None]
    _ready_or_refuse({item.seller.pk: item.seller for item in planned}.values(), mission.client)
    today = timezone.localdate()
    mandates = {}
    if plan.invoicing_mode == BillingPlan.InvoicingMode.MANDATE:
        for item in to_client:
            if item.seller.pk != plan.seller_id:
                mandates[item.seller.pk] = _mandate_or_refuse(item.seller, plan.seller, today)
    batch = InvoiceBatch.objects.create(
        collective_id=mission.collective_id,
        mission=mission,
        plan=plan,
        deliverable=source.deliverable,
        activity_report=source.activity_report,
        period_start=source.period_start,
        period_end=source.period_end,
        label=source.label[:200],
        created_by=by,
    )
    flow = Invoice.Flow.B2B if (mission.client.country or "FR") == "FR" else Invoice.Flow.B2BINT
    lines = []
    for item in planned:
        mandate = mandates.get(item.seller.pk)
        invoice = Invoice(
            collective_id=mission.collective_id,
            mission=mission,
            plan=plan,
            batch=batch,
            split=split,
            deliverable=source.deliverable,
            activity_report=source.activity_report,
            seller=item.seller,
            issuer=plan.seller if mandate else None,
            mandate=mandate,
            client=None if item.buyer_seller else mission.client,
            buyer_seller=item.buyer_seller,
            supplied_on=source.supplied_on,
            period_start=source.period_start,
            period_end=source.period_end,
            flow=Invoice.Flow.B2B if item.buyer_seller else flow,
            kind=source.kind,
            language=DOCUMENT_LANGUAGE,
            total_excl_tax=item.amount,
            created_by=by,
        )
        try:
            with transaction.atomic():
                invoice.save()
        except IntegrityError as error:
            raise ValidationError(_("This amount is already invoiced.")) from error
        description = source.label
        if item.buyer_seller is not None:
            description = _document_text(
                gettext_noop("Subcontracting, mission “%(mission)s”: %(what)s"),
                mission=mission.title,
                what=source.label,
            )
        days_and_rate = report_days_and_rate(source.activity_report, item.user_id)
        lines.append(_draft_line(invoice, description, item.amount, item.user_id, days_and_rate))
    InvoiceLine.objects.bulk_create(lines)
    return batch


DRAFT_FIELDS = ("purchase_order", "vat_on_debits", "flow", "operation_nature", "note")


@transaction.atomic
def invoice_draft_update(*, by, invoice_id: int, values: dict) -> Invoice:
    """The draft's purchase order, VAT-on-debits option, flow and note: whoever may issue it, or the lead."""
    invoice = _invoice_for_change(by, invoice_id, manage_ok=True)
    if not invoice.is_draft:
        raise ValidationError(_("An issued invoice never changes: correct it with a credit note."))
    errors = {}
    purchase_order = " ".join(str(values.get("purchase_order", invoice.purchase_order)).split())
    if len(purchase_order) > MAX_PURCHASE_ORDER:
        errors["purchase_order"] = _("The purchase order number is 50 characters at most.")
    flow = values.get("flow", invoice.flow)
    if flow not in Invoice.Flow.values:
        errors["flow"] = _("Choose a flow from the list.")
    nature = values.get("operation_nature", invoice.operation_nature)
    if nature not in Invoice.OperationNature.values:
        errors["operation_nature"] = _("Choose goods, services or both.")
    note = str(values.get("note", invoice.note)).strip()
    if len(note) > 500:
        errors["note"] = _("500 characters at most.")
    if errors:
        raise ValidationError(errors)
    invoice.purchase_order = purchase_order
    invoice.flow = flow
    invoice.operation_nature = nature
    invoice.note = note
    invoice.vat_on_debits = bool(values.get("vat_on_debits", invoice.vat_on_debits))
    invoice.save(update_fields=list(DRAFT_FIELDS))
    return invoice


@transaction.atomic
def invoice_batch_discard(*, by, batch_id: int) -> int:
    """Discard the drafts of a batch none of whose invoices is issued (a draft has no number, hence no
    history); returns how many drafts went."""
    batch = InvoiceBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    mission_for(by, batch.mission_id, manage=True)
    invoices = Invoice.objects.filter(batch=batch)
    if invoices.exclude(status=Invoice.Status.DRAFT).exists():
        raise ValidationError(_("Some invoices of this batch are issued: cancel them by credit notes."))
    drafts = list(invoices)
    InvoiceLine.objects.filter(invoice__in=drafts).delete()
    for invoice in drafts:
        invoice.delete()
    batch.delete()
    return len(drafts)


# --- Who may act on an invoice ------------------------------------------------------------------------


def _may_act_for(by, seller: LegalSeller, mission) -> bool:
    """A member acts for their own business; the mission's lead and the collective's admins act for the
    collective's entity."""
    if seller.is_member:
        return seller.user_id == by.pk
    try:
        mission_for(by, mission.pk, manage=True)
    except AccessDenied:
        return False
    return True


def _invoice_for_change(by, invoice_id: int, *, manage_ok: bool = False) -> Invoice:
    """The invoice, locked, for whoever may issue it (its seller, or its mandated issuer); with `manage_ok`
    the mission's lead and admins pass too."""
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("seller__user", "issuer__user", "mission__client", "mission__collective")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    mission = mission_for(by, invoice.mission_id)
    acting_for = invoice.issuer if invoice.issuer_id else invoice.seller
    if _may_act_for(by, acting_for, mission):
        return invoice
    if manage_ok:
        mission_for(by, invoice.mission_id, manage=True)
        return invoice
    raise AccessDenied(
        _("Only %(seller)s can issue this invoice (or the issuer of their billing mandate).")
        % {"seller": invoice.seller.display_name}
    )


# --- Mandatory mentions (R-1.1) -----------------------------------------------------------------------


def _is_business(invoice: Invoice) -> bool:
    return invoice.flow in BUSINESS_FLOWS


def invoice_missing_mentions(invoice: Invoice, lines: list[InvoiceLine]) -> list[str]:
    """Each mandatory mention (INVOICING_FR.md 1.1, rows 1 to 15) the invoice would lack, in words.

    Reads the snapshots, lines and totals the issue is about to freeze; an empty list lets it through.
    """
    missing = []
    business = _is_business(invoice)
    seller = invoice.seller_snapshot or {}
    buyer = invoice.buyer_snapshot or {}
    # 1. Title and type
    if invoice.document_type not in Invoice.DocumentType.values:
        missing.append(_("the document type (invoice or credit note)"))
    if invoice.is_credit_note and not (
        invoice.corrects_id and invoice.corrects.number and invoice.corrects.issued_on
    ):
        missing.append(_("the number and date of the invoice the credit note corrects"))
    # 2. Number
    if not NUMBER_RE.match(invoice.number or ""):
        missing.append(_("a unique number in the seller's series"))
    # 3. Issue date
    if invoice.issued_on is None:
        missing.append(_("the issue date"))
    # 4. Date of supply
    if invoice.supplied_on is None and not (invoice.period_start and invoice.period_end):
        missing.append(_("the date of supply or the period of the service"))
    # 5. Seller identity
    for key, label in (
        ("name", _("the seller's name")),
        ("address_line", _("the seller's address")),
        ("postal_code", _("the seller's postal code")),
        ("city", _("the seller's city")),
        ("siren", _("the seller's SIREN")),
    ):
        if not seller.get(key):
            missing.append(label)
    if seller.get("legal_form_code") in SOLE_TRADER_FORMS and not str(seller.get("name", "")).endswith(" EI"):
        missing.append(_("the mention “EI” after the seller's name"))
    if seller.get("legal_form_code") in COMPANY_FORMS:
        if not seller.get("legal_form"):
            missing.append(_("the seller's legal form"))
        if not seller.get("share_capital"):
            missing.append(_("the seller's share capital"))
        if not seller.get("rcs_city"):
            missing.append(_("the seller's RCS city"))
    if not seller.get("vat_regime"):
        missing.append(_("the seller's VAT regime"))
    # 6. Seller VAT number
    if seller.get("vat_regime") == LegalSeller.VatRegime.REGISTERED and not seller.get("vat_number"):
        missing.append(_("the seller's VAT number"))
    # 7. Buyer
    if not buyer.get("name"):
        missing.append(_("the buyer's name"))
    if business and not (buyer.get("address_line") and buyer.get("postal_code") and buyer.get("city")):
        missing.append(_("the buyer's billing address"))
    # 8. Buyer SIREN (B2B in France) and VAT number (reverse charge)
    if invoice.flow == Invoice.Flow.B2B and not buyer.get("siren"):
        missing.append(_("the buyer's SIREN"))
    reverse_charge = any(line.vat_category == InvoiceLine.VatCategory.REVERSE_CHARGE for line in lines)
    if reverse_charge and not buyer.get("vat_number"):
        missing.append(_("the buyer's VAT number (reverse charge)"))
    # 9. Lines
    if not lines:
        missing.append(_("at least one line"))
    for line in lines:
        if not line.description.strip() or line.quantity is None or line.unit_price is None:
            missing.append(_("a description, quantity and unit price on every line"))
            break
    # 10. VAT per rate and totals
    if not _totals_match(invoice, lines):
        missing.append(_("the totals per VAT rate and the amount due"))
    # 11. Exemption reference
    for line in lines:
        if line.vat_category != InvoiceLine.VatCategory.STANDARD and not line.exemption_reason:
            missing.append(_("the VAT exemption reference (e.g. art. 293 B du CGI)"))
            break
    # 12. Special mentions
    if reverse_charge and not any(line.exemption_reason == REVERSE_CHARGE_MENTION for line in lines):
        missing.append(_("the mention “Autoliquidation”"))
    if invoice.mandate_id and not (invoice.issuer_snapshot or {}).get("name"):
        missing.append(_("the issuer acting under the billing mandate"))
    # 13. Payment terms
    if invoice.due_on is None:
        missing.append(_("the due date"))
    if business:
        if not seller.get("late_penalty_rate"):
            missing.append(_("the late-payment penalty rate"))
        if seller.get("payment_terms") is None:
            missing.append(_("the payment terms"))
    # 14. Purchase order, when the buyer issued one
    if len(invoice.purchase_order) > MAX_PURCHASE_ORDER or "\n" in invoice.purchase_order:
        missing.append(_("the buyer's purchase order number as issued"))
    # 15. Reform data: nature of the operation, flow, VAT on debits only for VAT-registered sellers
    if invoice.operation_nature not in Invoice.OperationNature.values:
        missing.append(_("the nature of the operation (goods, services or both)"))
    if invoice.flow not in Invoice.Flow.values:
        missing.append(_("the flow of the invoice (B2B, B2C…)"))
    if invoice.vat_on_debits and seller.get("vat_regime") != LegalSeller.VatRegime.REGISTERED:
        missing.append(_("no “option for VAT on debits” for a seller without VAT"))
    return missing


def _totals_match(invoice: Invoice, lines: list[InvoiceLine]) -> bool:
    if not invoice.tax_breakdown:
        return False
    breakdown = tax_breakdown(lines)
    return (
        [(row["category"], row["rate"], row["base"], row["tax"]) for row in breakdown]
        == [(row["category"], row["rate"], row["base"], row["tax"]) for row in invoice.tax_breakdown]
        and invoice.total_excl_tax == money_sum(Decimal(row["base"]) for row in breakdown)
        and invoice.total_tax == money_sum(Decimal(row["tax"]) for row in breakdown)
        and invoice.total_incl_tax == round_cents(invoice.total_excl_tax + invoice.total_tax)
    )


# --- VAT and totals (R-1.14, R-1.16) ------------------------------------------------------------------


def line_vat(seller: dict, buyer: dict, *, flow: str, on: date) -> tuple[str, Decimal, str, str]:
    """(category, rate, exemption reason, exemption code) of a seller's line for a buyer."""
    values = legal_values(on)
    if seller.get("vat_regime") != LegalSeller.VatRegime.REGISTERED:
        return InvoiceLine.VatCategory.EXEMPT, ZERO, values.franchise_mention, FRANCHISE_EXEMPTION_CODE
    if flow == Invoice.Flow.B2BINT and buyer.get("vat_number"):
        return (
            InvoiceLine.VatCategory.REVERSE_CHARGE,
            ZERO,
            REVERSE_CHARGE_MENTION,
            REVERSE_CHARGE_EXEMPTION_CODE,
        )
    return InvoiceLine.VatCategory.STANDARD, values.standard_vat_rate, "", ""


def tax_breakdown(lines) -> list[dict]:
    """Per VAT category and rate: the base (sum of the line nets) and the VAT computed once on it (R-1.14),
    never the sum of rounded VAT per line."""
    groups: dict[tuple[str, Decimal], dict] = {}
    for line in lines:
        key = (line.vat_category, Decimal(line.vat_rate).quantize(Decimal("0.01")))
        group = groups.setdefault(
            key,
            {
                "base": ZERO,
                "exemption_reason": line.exemption_reason,
                "exemption_code": line.exemption_code,
            },
        )
        group["base"] = round_cents(group["base"] + line.net_amount)
    return [
        {
            "category": category,
            "rate": str(rate),
            "base": str(group["base"]),
            "tax": str(percent_of(group["base"], rate)),
            "exemption_reason": group["exemption_reason"],
            "exemption_code": group["exemption_code"],
        }
        for (category, rate), group in sorted(groups.items(), key=lambda item: (-item[0][1], item[0][0]))
    ]


def due_date(seller: dict, issued_on: date) -> date:
    """The due date of the seller's payment terms; for "45 days end of month", the earlier of its two
    readings (R-1.9)."""
    if seller.get("payment_terms") == LegalSeller.PaymentTerms.END_OF_MONTH_45:
        month_end = issued_on.replace(day=calendar.monthrange(issued_on.year, issued_on.month)[1])
        first = month_end + timedelta(days=45)
        later = issued_on + timedelta(days=45)
        second = later.replace(day=calendar.monthrange(later.year, later.month)[1])
        return min(first, second)
    return issued_on + timedelta(days=int(seller.get("payment_days") or 0))


# --- Issuing ------------------------------------------------------------------------------------------


def _buyer_snapshot(invoice: Invoice) -> dict:
    if invoice.client_id:
        return client_identity(invoice.client)
    identity = seller_identity(invoice.buyer_seller)
    for private in ("iban", "bic", "account_holder", "payment_terms", "payment_days", "late_penalty_rate"):
        identity.pop(private, None)
    return identity


def _seller_snapshot(seller: LegalSeller) -> dict:
    identity = seller_identity(seller)
    identity["legal_form_code"] = seller.user.legal_form if seller.is_member else seller.entity_form
    return identity


def _series_not_reset(seller: LegalSeller, document_type: str) -> None:
    """Refuse to number when the series' counter was put back below a number already issued (R-1.2)."""
    series = NumberSeries.objects.filter(seller=seller, document_type=SERIES_OF[document_type]).first()
    if series is None:
        raise ValidationError(_("The seller has no numbering series for this document."))
    numbers = Invoice.objects.filter(seller=seller, document_type=document_type).exclude(number="")
    highest = max(
        (
            int(match.group(1))
            for match in (SERIAL_RE.search(n) for n in numbers.values_list("number", flat=True))
            if match
        ),
        default=0,
    )
    if highest > series.last_number:
        raise ValidationError(
            _(
                "The series %(prefix)s was set back to %(last)s while number %(highest)s was issued: "
                "numbers would repeat. Put the counter back to %(highest)s."
            )
            % {"prefix": series.prefix, "last": series.last_number, "highest": highest},
            code="series_reset",
        )


def invoice_render_files(invoice: Invoice) -> tuple[bytes, bytes]:
    """The Factur-X PDF/A-3 and its CII XML of an invoice about to be issued (its number, snapshots, lines
    and totals set)."""
    return einvoice.invoice_files(invoice)


def _lock_covered_time(invoice: Invoice, at) -> None:
    """Lock the time an issued invoice covers (R-0.4): a member's own time for their invoice, everyone's for
    the invoice of the lead or the entity to the client."""
    entries = TimeEntry.objects.filter(collective_id=invoice.collective_id, mission_id=invoice.mission_id)
    if invoice.deliverable_id:
        entries = entries.filter(deliverable_id=invoice.deliverable_id)
    elif invoice.activity_report_id:
        entries = entries.filter(date__gte=invoice.period_start, date__lte=invoice.period_end)
    else:
        return
    if invoice.seller.is_member and not (
        invoice.client_id and invoice.plan.invoicing_mode in _SINGLE_INVOICE
    ):
        entries = entries.filter(user_id=invoice.seller.user_id)
    time_entries_lock(collective=invoice.collective_id, entry_ids=entries.values_list("pk", flat=True), at=at)


_SINGLE_INVOICE = (BillingPlan.InvoicingMode.LEAD_REINVOICES, BillingPlan.InvoicingMode.ENTITY)


def _freeze(invoice: Invoice, lines: list[InvoiceLine], *, by, today: date) -> Invoice:
    """Snapshots, VAT, totals, mention check, number, files and their hashes: everything in the caller's
    transaction, so a refusal leaves no number used (R-1.3)."""
    seller = LegalSeller.objects.select_related("user").get(pk=invoice.seller_id)
    problems = seller_missing(seller)
    if problems:
        raise ValidationError(
            _("%(seller)s is not ready to bill; missing: %(missing)s.")
            % {"seller": seller.display_name, "missing": ", ".join(problems)}
        )
    if invoice.client_id and _is_business(invoice) and client_billing_address_missing(invoice.client):
        raise ValidationError(
            _("%(client)s has no billing address: add it on the client's page before invoicing.")
            % {"client": invoice.client.name}
        )
    if invoice.buyer_seller_id and seller_missing(invoice.buyer_seller):
        raise ValidationError(
            _("%(buyer)s is not ready to be invoiced; missing: %(missing)s.")
            % {
                "buyer": invoice.buyer_seller.display_name,
                "missing": ", ".join(seller_missing(invoice.buyer_seller)),
            }
        )
    if invoice.mandate_id:
        mandate = BillingMandate.objects.get(pk=invoice.mandate_id)
        if not mandate.is_active_on(today) or mandate.seller_id != invoice.seller_id:
            raise ValidationError(
                _(
                    "The billing mandate from %(seller)s is no longer active: nothing can be issued in their name."
                )
                % {"seller": seller.display_name}
            )
        invoice.issuer_snapshot = _seller_snapshot(invoice.issuer)
    _series_not_reset(seller, invoice.document_type)
    invoice.issued_on = today
    invoice.seller_snapshot = _seller_snapshot(seller)
    invoice.buyer_snapshot = _buyer_snapshot(invoice)
    if invoice.client_id and not (invoice.buyer_snapshot.get("siren") or invoice.buyer_snapshot.get("email")):
        raise ValidationError(
            _(
                "%(client)s has no electronic address for the e-invoice: without a SIREN it is the email of "
                "a contact of the client (the finance contact first). Add a contact with an email on the "
                "client's page."
            )
            % {"client": invoice.client.name}
        )
    for line in lines:
        category, rate, reason, code = line_vat(
            invoice.seller_snapshot, invoice.buyer_snapshot, flow=invoice.flow, on=today
        )
        line.vat_category, line.vat_rate, line.exemption_reason, line.exemption_code = (
            category,
            rate,
            reason,
            code,
        )
        line.net_amount = line_amount(line.quantity, line.unit_price)
    invoice.tax_breakdown = tax_breakdown(lines)
    invoice.total_excl_tax = money_sum(Decimal(row["base"]) for row in invoice.tax_breakdown)
    invoice.total_tax = money_sum(Decimal(row["tax"]) for row in invoice.tax_breakdown)
    invoice.total_incl_tax = round_cents(invoice.total_excl_tax + invoice.total_tax)
    invoice.due_on = due_date(invoice.seller_snapshot, today) if not invoice.is_credit_note else today
    if invoice.kind == Invoice.Kind.SERVICES and not invoice.is_credit_note:
        _deposit_deduct(invoice)
    # Numbered before the check of every mention: a refusal rolls the number back with the transaction.
    invoice.number = number_issue(
        seller=seller, document_type=SERIES_OF[invoice.document_type], issued_on=today
    )
    missing = invoice_missing_mentions(invoice, lines)
    if missing:
        raise ValidationError(
            _("This invoice cannot be issued; missing mandatory mentions: %(missing)s.")
            % {"missing": "; ".join(missing)},
            code="mentions",
        )
    invoice.status = Invoice.Status.ISSUED
    invoice.issued_by = by
    invoice.issued_at = timezone.now()
    for line in lines:
        line.save(
            update_fields=["vat_category", "vat_rate", "exemption_reason", "exemption_code", "net_amount"]
        )
    pdf, xml = invoice_render_files(invoice)
    invoice.pdf, invoice.xml = pdf, xml
    invoice.pdf_sha256, invoice.xml_sha256 = sha256_hex(pdf), sha256_hex(xml)
    invoice.full_clean(exclude=["pdf", "xml", "seller", "mission", "plan", "collective"])
    invoice.save()
    _lock_covered_time(invoice, invoice.issued_at)
    invoice_issued.send(sender=Invoice, invoice=invoice)
    return invoice


# --- Deposits (factures d'acompte) -------------------------------------------------------------------


def _deposits_of(invoice: Invoice):
    """The deposit invoices of the invoice's seller to the same buyer in the mission."""
    return Invoice.objects.filter(
        mission_id=invoice.mission_id,
        seller_id=invoice.seller_id,
        client_id=invoice.client_id,
        buyer_seller_id=invoice.buyer_seller_id,
        kind=Invoice.Kind.DEPOSIT,
        document_type=Invoice.DocumentType.INVOICE,
    )


def deposit_deduction(*, deposit: Decimal, already_deducted: Decimal, invoice_total: Decimal) -> Decimal:
    """What an invoice deducts of a deposit (incl. VAT): what is left of the deposit, never more than the
    invoice's total, never less than 0."""
    left = max(round_cents(to_decimal(deposit) - to_decimal(already_deducted)), ZERO)
    return min(left, round_cents(invoice_total))


def _deducted_from(deposit: Invoice) -> Decimal:
    """What the live invoices deducting a deposit invoice took of it."""
    taken = (
        Invoice.objects.filter(deposit_invoice=deposit)
        .exclude(status__in=(Invoice.Status.DRAFT, Invoice.Status.CANCELLED))
        .aggregate(total=Sum("prepaid_amount"))["total"]
    )
    return round_cents(taken or ZERO)


def _deposit_deduct(invoice: Invoice) -> None:
    """Deduct from the invoice being issued what is left of its seller's deposit invoice to the same buyer,
    never more than the invoice's total nor than the deposit (BT-113, BT-115 reduced, BT-25 the deposit's
    number, BT-23 S4: a final invoice after a deposit, R-2.4). The deposit's row is locked, so two invoices
    issued at once cannot both take the same part of it."""
    deposits = _deposits_of(invoice)
    if deposits.filter(status=Invoice.Status.DRAFT).exists():
        raise ValidationError(
            _("Issue the deposit invoice to this buyer first: this invoice then deducts it.")
        )
    deposit = (
        deposits.select_for_update().filter(status=Invoice.Status.ISSUED).order_by("issued_on", "pk").first()
    )
    if deposit is None:
        return
    prepaid = deposit_deduction(
        deposit=deposit.total_incl_tax - deposit.amount_credited,
        already_deducted=_deducted_from(deposit),
        invoice_total=invoice.total_incl_tax,
    )
    if prepaid <= ZERO:
        return
    invoice.deposit_invoice = deposit
    invoice.prepaid_amount = prepaid
    invoice.invoicing_frame = FINAL_AFTER_DEPOSIT_FRAME


@transaction.atomic
def invoice_issue(*, by, invoice_id: int) -> Invoice:
    """Issue a draft: every mention checked, numbered in the seller's series under a row lock, snapshots,
    lines and totals frozen, PDF and XML stored with their SHA-256, the time it covers locked."""
    invoice = _invoice_for_change(by, invoice_id)
    if not invoice.is_draft:
        raise ValidationError(_("This invoice is already issued: it never changes."))
    lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("position", "pk"))
    return _freeze(invoice, lines, by=by, today=timezone.localdate())


# --- Credit notes (R-1.7, R-1.8) -----------------------------------------------------------------------


def credited_excl_tax(invoice: Invoice) -> Decimal:
    total = (
        Invoice.objects.filter(corrects=invoice, document_type=Invoice.DocumentType.CREDIT_NOTE)
        .exclude(status=Invoice.Status.DRAFT)
        .aggregate(total=Sum("total_excl_tax"))["total"]
    )
    return round_cents(total or ZERO)


@transaction.atomic
def credit_note_issue(
    *, by, invoice_id: int, amount_excl_tax: Decimal | None = None, reason: str = ""
) -> Invoice:
    """A credit note on an issued invoice, issued at once: for its whole remaining amount (the invoice is
    then cancelled) or a part of it (its balance goes down). Never more than what is left to credit.
    The invoice's payment status is then recomputed on its locked row (R-1.8)."""
    original = _invoice_for_change(by, invoice_id)
    if original.is_credit_note or original.status != Invoice.Status.ISSUED:
        raise ValidationError(_("Only an issued invoice that is not cancelled can be credited."))
    reason = " ".join(reason.split())
    if len(reason) > 200:
        raise ValidationError({"reason": _("200 characters at most.")})
    remaining = round_cents(original.total_excl_tax - credited_excl_tax(original))
    amount = remaining if amount_excl_tax is None else round_cents(amount_excl_tax)
    if amount <= ZERO:
        raise ValidationError({"amount": _("The credit note's amount must be more than 0 €.")})
    if amount > remaining:
        raise ValidationError(
            {
                "amount": _(
                    "A credit note cannot exceed what is left of the invoice: %(remaining)s € excl. VAT."
                )
                % {"remaining": remaining}
            }
        )
    credit = Invoice(
        collective_id=original.collective_id,
        mission_id=original.mission_id,
        plan_id=original.plan_id,
        batch_id=original.batch_id,
        seller_id=original.seller_id,
        issuer_id=original.issuer_id,
        mandate_id=original.mandate_id,
        client_id=original.client_id,
        buyer_seller_id=original.buyer_seller_id,
        document_type=Invoice.DocumentType.CREDIT_NOTE,
        corrects=original,
        supplied_on=original.supplied_on,
        period_start=original.period_start,
        period_end=original.period_end,
        flow=original.flow,
        operation_nature=original.operation_nature,
        invoicing_frame=original.invoicing_frame,
        vat_on_debits=original.vat_on_debits,
        purchase_order=original.purchase_order,
        language=original.language,
        note=reason,
        created_by=by,
    )
    credit.save()
    description = _document_text(
        gettext_noop("Credit note on invoice %(number)s of %(date)s: %(reason)s")
        if reason
        else gettext_noop("Credit note on invoice %(number)s of %(date)s"),
        number=original.number,
        date=lambda: _day(original.issued_on),
        reason=reason,
    )
    line = _draft_line(credit, description, amount, None)
    line.save()
    _freeze(credit, [line], by=by, today=timezone.localdate())
    original.amount_credited = round_cents(original.amount_credited + credit.total_incl_tax)
    fields = ["amount_credited"]
    if amount == remaining:
        original.status = Invoice.Status.CANCELLED
        original.cancelled_at = timezone.now()
        fields += ["status", "cancelled_at"]
    original.save(update_fields=fields)
    invoice_paid_refresh(original)  # what the client owes changed: a partly paid invoice may now be paid
    if credit.client_id and original.sent_at:
        _credit_note_email(credit, original)
    return credit


# --- Files served ---------------------------------------------------------------------------------------


def invoice_pdf_checked(invoice: Invoice) -> bytes:
    """The stored PDF, after checking it still has the SHA-256 recorded at issue (R-1.13)."""
    content = bytes(invoice.pdf or b"")
    if not content or sha256_hex(content) != invoice.pdf_sha256:
        raise InvoiceTampered(f"The PDF of invoice {invoice.pk} does not match its SHA-256")
    return content


def invoice_xml_checked(invoice: Invoice) -> bytes:
    content = bytes(invoice.xml or b"")
    if not content or sha256_hex(content) != invoice.xml_sha256:
        raise InvoiceTampered(f"The XML of invoice {invoice.pk} does not match its SHA-256")
    return content


def invoice_filename(invoice: Invoice, extension: str = "pdf") -> str:
    stem = "avoir" if invoice.is_credit_note else "facture"
    return f"{stem}-{invoice.number.replace('/', '-')}.{extension}"


# --- Sending together ---------------------------------------------------------------------------------------


def _finance_contacts(mission) -> list[ClientContact]:
    return list(
        ClientContact.objects.filter(
            client_id=mission.client_id,
            collective_id=mission.collective_id,
            role=ClientContact.Role.FINANCE,
            archived_at__isnull=True,
        ).order_by("pk")
    )


def _attachment(invoice: Invoice) -> dict:
    return {
        "filename": invoice_filename(invoice),
        "mimetype": "application/pdf",
        "content": invoice_pdf_checked(invoice),
    }


@transaction.atomic
def invoice_batch_send(*, by, batch_id: int) -> InvoiceBatch:
    """Send every client invoice of the batch in one email to the client's finance contact, with every PDF
    attached, and open their portal page (each seller's amount due and IBAN)."""
    batch = InvoiceBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    mission = mission_for(by, batch.mission_id, manage=True)
    if batch.sent_at:
        raise ValidationError(_("These invoices were already sent to the client."))
    invoices = list(
        Invoice.objects.filter(batch=batch, client__isnull=False, document_type=Invoice.DocumentType.INVOICE)
        .select_related("seller__user")
        .order_by("pk")
    )
    drafts = [invoice.seller.display_name for invoice in invoices if invoice.is_draft]
    if drafts:
        raise ValidationError(
            _("Issue every invoice before sending them together; still a draft: %(sellers)s.")
            % {"sellers": ", ".join(drafts)}
        )
    invoices = [invoice for invoice in invoices if invoice.status == Invoice.Status.ISSUED]
    if not invoices:
        raise ValidationError(_("There is no issued invoice to send."))
    contacts = _finance_contacts(mission)
    if not contacts:
        raise ValidationError(_("The client has no finance contact: add one on the client's page first."))
    try:
        attachments = [_attachment(invoice) for invoice in invoices]
    except InvoiceTampered as error:
        raise ValidationError(
            _("A stored invoice no longer matches its fingerprint: nothing is sent. Contact the operator.")
        ) from error
    now = timezone.now()
    key = f"billing:invoice-batch:{batch.pk}"
    for contact in contacts:
        client_email_enqueue(
            mission,
            contact,
            key=f"{key}:contact:{contact.pk}",
            template="billing/emails/invoices_sent",
            context={
                "batch": batch,
                "invoices": invoices,
                "total": money_sum(invoice.amount_due for invoice in invoices),
                "portal_url": portal_link_to(contact, "billing_portal:batch", batch.pk),
            },
            attachments=attachments,
        )
    batch.sent_at = now
    batch.email_key = key
    batch.save(update_fields=["sent_at", "email_key"])
    for invoice in invoices:
        invoice.sent_at = now
        invoice.save(update_fields=["sent_at"])
    invoices_sent.send(sender=Invoice, invoices=invoices)
    return batch


def _credit_note_email(credit: Invoice, original: Invoice) -> None:
    mission = credit.mission
    for contact in _finance_contacts(mission):
        client_email_enqueue(
            mission,
            contact,
            key=f"billing:credit-note:{credit.pk}:contact:{contact.pk}",
            template="billing/emails/credit_note_sent",
            context={
                "credit": credit,
                "original": original,
                "portal_url": portal_link_to(contact, "billing_portal:invoices", mission.pk),
            },
            attachments=[_attachment(credit)],
        )
    Invoice.objects.filter(pk=credit.pk).update(sent_at=timezone.now())


# --- Billing mandates (R-6.2) -------------------------------------------------------------------------------


@transaction.atomic
def billing_mandate_record(
    *,
    by,
    collective_id: int,
    issuer_id: int,
    signed_on: date,
    scope: str,
    contest_days: int = 15,
    valid_until: date | None = None,
    document=None,
) -> BillingMandate:
    """Record the mandate the member signed for another seller (the lead's business or the entity) to issue
    their invoices in their name. Only the member themself records their own mandate."""
    membership_for(by, collective_id)
    seller = member_seller_for(by=by, collective_id=collective_id, user_id=by.pk)
    issuer = LegalSeller.objects.filter(
        pk=issuer_id, collective_id=collective_id, archived_at__isnull=True
    ).first()
    errors = {}
    if issuer is None or issuer.pk == seller.pk:
        errors["issuer"] = _("Choose another member's business or the collective's entity.")
    scope = " ".join((scope or "").split())
    if not scope:
        errors["scope"] = _("Say what the mandate covers (e.g. the invoices of the collective's missions).")
    elif len(scope) > 300:
        errors["scope"] = _("300 characters at most.")
    today = timezone.localdate()
    if signed_on is None or signed_on > today or signed_on.year < 2000:
        errors["signed_on"] = _("The signing date is a day in the past (or today).")
    if valid_until is not None and signed_on is not None and valid_until < signed_on:
        errors["valid_until"] = _("The mandate ends after it was signed.")
    if not 1 <= int(contest_days) <= 90:
        errors["contest_days"] = _("Between 1 and 90 days.")
    if errors:
        raise ValidationError(errors)
    return BillingMandate.objects.create(
        collective_id=collective_id,
        seller=seller,
        issuer=issuer,
        signed_on=signed_on,
        scope=scope,
        contest_days=contest_days,
        valid_until=valid_until,
        document=document,
        created_by=by,
    )


@transaction.atomic
def billing_mandate_archive(*, by, mandate_id: int) -> BillingMandate:
    """End a mandate (kept for the invoices issued under it): the member who gave it, or an admin."""
    mandate = (
        BillingMandate.objects.select_for_update().select_related("seller").filter(pk=mandate_id).first()
    )
    if mandate is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership = membership_for(by, mandate.collective_id)
    if mandate.seller.user_id != by.pk and not membership.is_admin:
        raise AccessDenied(_("Only the member who gave the mandate, or an admin, can end it."))
    if mandate.archived_at is None:
        mandate.archived_at = timezone.now()
        mandate.save(update_fields=["archived_at"])
    return mandate


# --- Numbering gaps (R-1.6) ----------------------------------------------------------------------------------


@dataclass
class SeriesReport:
    series: NumberSeries
    issued: int
    missing: list[int]
    duplicates: list[int]
    out_of_order: list[str]

    @property
    def is_clean(self) -> bool:
        return not (self.missing or self.duplicates or self.out_of_order)


def series_gap_report(series: NumberSeries) -> SeriesReport:
    """Numbers of the series that are missing, repeated or dated before an earlier number (R-1.2, R-1.6)."""
    if series.document_type == NumberSeries.DocumentType.QUOTE:
        documents = Quote.objects.filter(seller_id=series.seller_id)
    else:
        kind = next(kind for kind, series_kind in SERIES_OF.items() if series_kind == series.document_type)
        documents = Invoice.objects.filter(seller_id=series.seller_id, document_type=kind)
    rows = list(documents.exclude(number="").values_list("number", "issued_on"))
    serials = sorted(
        (
            (int(match.group(1)), issued_on, number)
            for number, issued_on in rows
            if (match := SERIAL_RE.search(number))
        ),
    )
    seen, duplicates = set(), []
    for serial, _issued_on, _number in serials:
        if serial in seen:
            duplicates.append(serial)
        seen.add(serial)
    top = max([series.last_number, *seen], default=0)
    missing = [n for n in range(1, top + 1) if n not in seen]
    out_of_order = []
    latest = None
    for _serial, issued_on, number in serials:
        if latest and issued_on and issued_on < latest:
            out_of_order.append(number)
        latest = max(latest, issued_on) if latest and issued_on else (issued_on or latest)
    return SeriesReport(
        series=series, issued=len(rows), missing=missing, duplicates=duplicates, out_of_order=out_of_order
    )


# --- The client's portal -------------------------------------------------------------------------------------


def portal_invoices(contact: ClientContact):
    """The contact's client's issued invoices and credit notes, newest first (drafts never show)."""
    return (
        Invoice.objects.filter(
            collective_id=contact.collective_id,
            client_id=contact.client_id,
        )
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("mission", "corrects")
        .defer("pdf", "xml")
        .order_by("-issued_on", "-pk")
    )


def portal_invoice(contact: ClientContact, invoice_id: int) -> Invoice:
    return (
        Invoice.objects.filter(collective_id=contact.collective_id, client_id=contact.client_id)
        .exclude(status=Invoice.Status.DRAFT)
        .get(pk=invoice_id)
    )


def portal_batch(contact: ClientContact, batch_id: int) -> tuple[InvoiceBatch, list[Invoice]]:
    """A batch sent to the contact's client and its invoices to them: each seller, amount due and IBAN."""
    batch = InvoiceBatch.objects.select_related("mission").get(
        pk=batch_id,
        collective_id=contact.collective_id,
        mission__client_id=contact.client_id,
        sent_at__isnull=False,
    )
    invoices = list(
        Invoice.objects.filter(batch=batch, client_id=contact.client_id)
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("corrects")
        .defer("pdf", "xml")
        .order_by("document_type", "pk")
    )
    return batch, invoices
