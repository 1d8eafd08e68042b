"""The reminder ladder: unpaid invoices are reminded at each level of their collective's ladder (default:
3 days before the due date, on it, then 7, 15 and 30 days after), all of a mission's invoices sent
together in one email (the seed: "toutes vos factures (et éventuelles relances) en même temps").

R-1.12: a B2B reminder states the due date, the days late, the penalties at the invoice's rate and the
40 € recovery indemnity; a consumer's states the due date and balance, never the indemnity. A level is
sent once per batch (a unique row and idempotent outbox keys), never after payment, and an invoice that is
disputed or whose reminders a member paused is left out (its batch is reminded without it).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.billing.late_payment import (
    DEFAULT_LADDER_OFFSETS,
    LEVEL_OFFSET_MAX,
    LEVEL_OFFSET_MIN,
    days_late,
    late_penalty,
    level_due,
    recovery_indemnity,
)
from cordee.billing.models import Invoice, InvoiceReminder, ReminderLadder, ReminderLevel
from cordee.billing.services.links import portal_link_to
from cordee.billing.services.payments import invoice_balance, invoice_for_payment
from cordee.clients.models import ClientContact
from cordee.collectives.access import membership_for
from cordee.core.access import AccessDenied
from cordee.core.money import ZERO, money_sum, to_decimal
from cordee.core.outbox import EmailRequest, email_enqueue_many

REMINDER_TEMPLATE = "billing/emails/invoice_reminder"
BUSINESS_FLOWS = (Invoice.Flow.B2B, Invoice.Flow.B2BINT)
# Invoices overdue for longer are not looked at by the tick any more (the last level is at +30 days).
LOOK_BACK_DAYS = 400
DEFAULT_TEXTS = {
    -3: (
        "Petit rappel : les factures ci-dessous arrivent à échéance dans 3 jours. Si le paiement est déjà "
        "parti, merci de ne pas tenir compte de ce message.",
        "A friendly note: the invoices below are due in 3 days. If you have already paid, please ignore "
        "this message.",
    ),
    0: (
        "Les factures ci-dessous arrivent à échéance aujourd’hui.",
        "The invoices below are due today.",
    ),
    7: (
        "Sauf erreur de notre part, les factures ci-dessous restent impayées 7 jours après leur échéance. "
        "Merci de procéder à leur règlement.",
        "Unless we are mistaken, the invoices below are still unpaid 7 days after their due date. Please "
        "pay them.",
    ),
    15: (
        "Nous n’avons toujours pas reçu le règlement des factures ci-dessous. Merci de les régler dès que "
        "possible ou de nous dire ce qui bloque.",
        "We still have not received payment of the invoices below. Please pay them as soon as possible or "
        "tell us what is holding them up.",
    ),
    30: (
        "Les factures ci-dessous sont impayées depuis 30 jours. Sans règlement de votre part, nous "
        "serons contraints d’engager une procédure de recouvrement.",
        "The invoices below have been unpaid for 30 days. Without payment, we will have to start "
        "recovery proceedings.",
    ),
}


@dataclass(frozen=True)
class DefaultLevel:
    offset_days: int
    text_fr: str
    text_en: str
    enabled: bool = True

    def text(self, language: str) -> str:
        return self.text_fr if (language or "").startswith("fr") else self.text_en


def default_levels() -> list[DefaultLevel]:
    return [DefaultLevel(offset, *DEFAULT_TEXTS[offset]) for offset in DEFAULT_LADDER_OFFSETS]


# --- The ladder -------------------------------------------------------------------------------------


def ladder_levels(collective_ids) -> dict[int, list]:
    """Each collective's enabled levels, archived ones left out (the default ladder for a collective that
    never changed it); one query. READ_ONLY."""
    levels: dict[int, list] = {collective_id: [] for collective_id in collective_ids}
    customised = set(
        ReminderLadder.objects.filter(collective_id__in=levels).values_list("collective_id", flat=True)
    )
    for level in ReminderLevel.objects.filter(
        collective_id__in=customised, enabled=True, archived_at__isnull=True
    ):
        levels[level.collective_id].append(level)
    for collective_id in levels:
        if collective_id not in customised:
            levels[collective_id] = default_levels()
    return levels


@transaction.atomic
def ladder_for(*, by, collective_id: int) -> ReminderLadder:
    """The collective's ladder, created with the default levels the first time an admin edits it."""
    membership_for(by, collective_id, admin=True)
    ladder, created = ReminderLadder.objects.get_or_create(collective_id=collective_id)
    if created:
        ReminderLevel.objects.bulk_create(
            ReminderLevel(
                collective_id=collective_id,
                ladder=ladder,
                offset_days=level.offset_days,
                text_fr=level.text_fr,
                text_en=level.text_en,
            )
            for level in default_levels()
        )
    return ladder


def _offset_checked(offset_days) -> int:
    if isinstance(offset_days, bool) or not isinstance(offset_days, int):
        raise ValidationError({"offset_days": _("Enter a whole number of days.")})
    if not LEVEL_OFFSET_MIN <= offset_days <= LEVEL_OFFSET_MAX:
        raise ValidationError(
            {
                "offset_days": _(
                    "A reminder is between %(before)s days before and %(after)s days after the due date."
                )
                % {"before": -LEVEL_OFFSET_MIN, "after": LEVEL_OFFSET_MAX}
            }
        )
    return offset_days


def _level_saved(level: ReminderLevel) -> ReminderLevel:
    level.full_clean(exclude=["ladder", "collective"])
    try:
        with transaction.atomic():
            level.save()
    except IntegrityError as error:
        raise ValidationError({"offset_days": _("Another level of the ladder is on this day.")}) from error
    return level


@transaction.atomic
def ladder_level_update(
    *, by, level_id: int, offset_days: int, text_fr: str, text_en: str, enabled: bool
) -> ReminderLevel:
    """Change a level's day and texts (admins only). The legal mentions are added by Cordée whatever the text."""
    level = ReminderLevel.objects.select_for_update().filter(pk=level_id).first()
    if level is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership_for(by, level.collective_id, admin=True)
    if level.archived_at is not None:
        raise ValidationError(_("This reminder is archived: add a new one instead."))
    level.offset_days = _offset_checked(offset_days)
    level.text_fr = (text_fr or "").strip()
    level.text_en = (text_en or "").strip()
    level.enabled = enabled
    return _level_saved(level)


def nearest_level(levels, offset_days: int):
    """The level whose day is nearest to `offset_days` (the earlier one when two are as near)."""
    return min(levels, key=lambda level: (abs(level.offset_days - offset_days), level.offset_days))


@transaction.atomic
def ladder_level_add(
    *, by, collective_id: int, offset_days: int, text_fr: str = "", text_en: str = "", enabled: bool = True
) -> ReminderLevel:
    """Add a level to the collective's ladder (admins only); a text left empty starts from the text of the
    level nearest in days (its French and English words), which the admin may then reword."""
    ladder = ladder_for(by=by, collective_id=collective_id)
    offset_days = _offset_checked(offset_days)
    current = list(ReminderLevel.objects.filter(ladder=ladder, archived_at__isnull=True))
    if any(level.offset_days == offset_days for level in current):
        raise ValidationError({"offset_days": _("Another level of the ladder is on this day.")})
    nearest = nearest_level(current or default_levels(), offset_days)
    level = ReminderLevel(
        collective_id=collective_id,
        ladder=ladder,
        offset_days=offset_days,
        text_fr=(text_fr or "").strip() or nearest.text_fr,
        text_en=(text_en or "").strip() or nearest.text_en,
        enabled=enabled,
    )
    return _level_saved(level)


@transaction.atomic
def ladder_level_archive(*, by, level_id: int) -> ReminderLevel:
    """Archive a level (admins only): it is no longer sent; the reminders already sent at it keep their
    history, and nothing is sent again because of it."""
    level = ReminderLevel.objects.select_for_update().filter(pk=level_id).first()
    if level is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership_for(by, level.collective_id, admin=True)
    if level.archived_at is not None:
        raise ValidationError(_("This reminder is already archived."))
    level.archived_at = timezone.now()
    level.archived_by = by
    level.save(update_fields=["archived_at", "archived_by"])
    return level


# --- Pausing ----------------------------------------------------------------------------------------


@transaction.atomic
def invoice_reminders_pause(*, by, invoice_id: int, paused: bool) -> Invoice:
    """Stop (or resume) reminding one invoice; its batch is reminded without it."""
    invoice = invoice_for_payment(by, invoice_id)
    invoice.reminders_paused = paused
    invoice.save(update_fields=["reminders_paused"])
    return invoice


@transaction.atomic
def invoice_dispute_set(*, by, invoice_id: int, disputed: bool) -> Invoice:
    """Mark an invoice disputed by the client (no reminder while it is), or settled again."""
    invoice = invoice_for_payment(by, invoice_id)
    invoice.disputed = disputed
    invoice.save(update_fields=["disputed"])
    return invoice


# --- What is due, and sending ---------------------------------------------------------------------------


def _remindable(queryset):
    """Issued client invoices still owed (after credit notes and payments), not disputed nor paused."""
    return queryset.annotate(
        owed=F("total_incl_tax") - F("prepaid_amount") - F("amount_credited") - F("amount_paid")
    ).filter(
        owed__gt=0,
        status=Invoice.Status.ISSUED,
        document_type="380",
        payment_status__in=(Invoice.PaymentStatus.OPEN, Invoice.PaymentStatus.PARTLY_PAID),
        disputed=False,
        reminders_paused=False,
        batch__isnull=False,
        due_on__isnull=False,
        client__isnull=False,
    )


def reminders_due(today: date | None = None) -> list[tuple[int, int]]:
    """(batch id, level offset) of every reminder due today, in three queries whatever the data size.

    A batch's reference date is the earliest due date of its invoices still to remind.
    """
    today = today or timezone.localdate()
    rows = _remindable(Invoice.objects).filter(
        due_on__gte=today - timedelta(days=LOOK_BACK_DAYS), due_on__lte=today + timedelta(days=30)
    )
    batches: dict[int, tuple[int, date]] = {}
    for batch_id, collective_id, due_on in rows.values_list("batch_id", "collective_id", "due_on"):
        if batch_id not in batches or due_on < batches[batch_id][1]:
            batches[batch_id] = (collective_id, due_on)
    if not batches:
        return []
    levels = ladder_levels({collective_id for collective_id, _ in batches.values()})
    sent: dict[int, set[int]] = {}
    for batch_id, offset in InvoiceReminder.objects.filter(batch_id__in=batches).values_list(
        "batch_id", "offset_days"
    ):
        sent.setdefault(batch_id, set()).add(offset)
    due = []
    for batch_id, (collective_id, due_on) in sorted(batches.items()):
        offsets = [level.offset_days for level in levels[collective_id]]
        offset = level_due(offsets, due_on, today, sent.get(batch_id, set()))
        if offset is not None:
            due.append((batch_id, offset))
    return due


@dataclass
class ReminderLine:
    invoice: Invoice
    business: bool
    balance: Decimal
    days_late: int
    penalty_rate: Decimal
    penalty: Decimal
    indemnity: Decimal

    @property
    def seller_name(self) -> str:
        return self.invoice.seller_snapshot.get("name", "") or str(self.invoice.seller)


def reminder_lines(invoices, today: date) -> list[ReminderLine]:
    """What a reminder states for each invoice on a day: balance, days late, penalties, indemnity."""
    lines = []
    for invoice in invoices:
        business = invoice.flow in BUSINESS_FLOWS
        late = days_late(invoice.due_on, today)
        rate = to_decimal(invoice.seller_snapshot.get("late_penalty_rate") or "0")
        balance = invoice_balance(invoice)
        lines.append(
            ReminderLine(
                invoice=invoice,
                business=business,
                balance=balance,
                days_late=late if business else 0,
                penalty_rate=rate,
                penalty=late_penalty(balance, rate, late) if business else ZERO,
                indemnity=recovery_indemnity(business=business, days=late, on=today),
            )
        )
    return lines


def reminder_recipients(client_id: int, collective_id: int) -> list[ClientContact]:
    """The client's finance contacts, or all its contacts when it has none."""
    contacts = list(
        ClientContact.objects.filter(
            collective_id=collective_id, client_id=client_id, archived_at__isnull=True
        ).order_by("pk")
    )
    finance = [contact for contact in contacts if contact.role == ClientContact.Role.FINANCE]
    return finance or contacts


def reminder_context(*, lines: list[ReminderLine], level, mission, contact, today: date) -> dict:
    language = contact.language if contact is not None else "fr"
    return {
        "mission": mission,
        "collective": mission.collective,
        "contact": contact,
        "lines": lines,
        "level_text": level.text(language),
        "before_due": level.offset_days < 0,
        "today": today,
        "total_balance": money_sum(line.balance for line in lines),
        "total_penalties": money_sum(line.penalty for line in lines),
        "total_indemnities": money_sum(line.indemnity for line in lines),
        "any_business": any(line.business for line in lines),
    }


def reminder_send(*, batch_id: int, offset_days: int, today: date | None = None) -> bool:
    """Send one level's reminder for a batch: one email per client contact listing every invoice of the
    batch still to remind. The unique row (batch, level) and the outbox keys make it happen once."""
    today = today or timezone.localdate()
    with transaction.atomic():
        invoices = list(
            _remindable(Invoice.objects.select_for_update(of=("self",)))
            .filter(batch_id=batch_id)
            .select_related("mission__collective", "mission__lead", "seller__user")
            .order_by("due_on", "number")
        )
        if not invoices:
            return False
        mission = invoices[0].mission
        try:
            with transaction.atomic():
                reminder = InvoiceReminder.objects.create(
                    collective_id=mission.collective_id,
                    batch_id=batch_id,
                    offset_days=offset_days,
                    key=f"billing:reminder:{batch_id}:{offset_days}",
                    sent_at=timezone.now(),
                )
        except IntegrityError:
            return False
        reminder.invoices.set(invoices)
        levels = {
            level.offset_days: level
            for level in ladder_levels([mission.collective_id])[mission.collective_id]
        }
        level = levels.get(offset_days) or DefaultLevel(
            offset_days, *DEFAULT_TEXTS.get(offset_days, ("", ""))
        )
        lines = reminder_lines(invoices, today)
        requests = [
            EmailRequest(
                key=f"{reminder.key}:contact:{contact.pk}",
                to=contact.email,
                template=REMINDER_TEMPLATE,
                context={
                    **reminder_context(
                        lines=lines, level=level, mission=mission, contact=contact, today=today
                    ),
                    "portal_url": portal_link_to(contact, "billing_portal:billing", mission.pk),
                },
                language=contact.language,
                sender=mission.collective.notification_sender(),
                reply_to=mission.lead.email,
                collective=mission.collective,
            )
            for contact in reminder_recipients(invoices[0].client_id, mission.collective_id)
        ]
        email_enqueue_many(requests)
    return True
