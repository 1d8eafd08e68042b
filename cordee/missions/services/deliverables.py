"""Deliverables: created and changed by the mission's lead, announced to the client with a margin.

The announced date is the internal date plus the collective's margin (seed, Conseil 2), recomputed
whenever the internal date changes, unless the lead set it by hand. A deliverable delivered on or
before its announced date is on time. Pushing the announced date back goes through a delay notice,
which tells the client and records whether it came early enough.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from cordee.clients.models import ClientContact
from cordee.collectives.time import collective_zone
from cordee.core.access import AccessDenied
from cordee.core.business_days import announced_date_for, business_days_between
from cordee.core.deferred_text import DeferredText, format_day
from cordee.core.history import history_of
from cordee.core.outbox import email_enqueue
from cordee.missions import signals
from cordee.missions.access import deliverable_for, mission_for
from cordee.missions.models import DelayNotice, Deliverable, Mission, MissionEvent, MissionMember
from cordee.missions.services.health import deliverables_health_store
from cordee.missions.services.history import mission_event_record

Status = Deliverable.Status

# The status moves a lead may make: forward along planned → in progress → delivered → accepted
# (skipping steps is allowed), and back when a delivery was marked by mistake or reopened.
STATUS_MOVES = {
    Status.PLANNED: {Status.IN_PROGRESS, Status.DELIVERED},
    Status.IN_PROGRESS: {Status.PLANNED, Status.DELIVERED},
    Status.DELIVERED: {Status.ACCEPTED, Status.IN_PROGRESS},
    Status.ACCEPTED: set(),
}


# --- Rules --------------------------------------------------------------------------------------


def automatic_announced_date(*, mission: Mission, collective, internal_date: date) -> date:
    """The internal date plus the collective's margin, counted from the mission's start."""
    return announced_date_for(
        mission.start_date,
        internal_date,
        collective.margin_percent,
        collective.margin_min_business_days,
    )


def margin_business_days_of(deliverable: Deliverable) -> int:
    """The business days between the internal and the announced date (0 if announced first)."""
    return business_days_between(deliverable.internal_date, deliverable.announced_date)


@dataclass(frozen=True)
class OnTimeRate:
    on_time: int
    delivered: int

    @property
    def percent(self) -> int | None:
        """The share of delivered deliverables that were on time, in %, or None when none is delivered."""
        if not self.delivered:
            return None
        return int(
            (Decimal(100) * self.on_time / self.delivered).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )


def on_time_rate(deliverables, *, time_zone) -> OnTimeRate:
    """On-time deliverables over delivered ones (delivered or accepted), dates in the collective's zone."""
    delivered = on_time = 0
    for deliverable in deliverables:
        result = deliverable.delivered_on_time(time_zone)
        if result is None:
            continue
        delivered += 1
        on_time += result
    return OnTimeRate(on_time=on_time, delivered=delivered)


def _check_owner(*, mission: Mission, owner) -> None:
    if owner is not None and not MissionMember.objects.filter(mission=mission, user=owner).exists():
        raise ValidationError({"owner": _("The owner must be on the mission's team.")})


def _check_internal_date(*, mission: Mission, internal_date: date) -> None:
    if internal_date < mission.start_date:
        raise ValidationError(
            {
                "internal_date": _("The internal date cannot be before the mission's start (%(date)s).")
                % {"date": format_day(mission.start_date)}
            }
        )


def _check_announced_date(*, internal_date: date, announced_date: date | None) -> None:
    if announced_date is not None and announced_date < internal_date:
        raise ValidationError(
            {
                "announced_date": _(
                    "The announced date cannot be before the internal date (%(date)s): "
                    "the margin is what lets the team deliver before the date the client expects."
                )
                % {"date": format_day(internal_date)}
            }
        )


# --- Use cases ----------------------------------------------------------------------------------


@transaction.atomic
def deliverable_create(
    *,
    mission: Mission,
    collective,
    by,
    title: str,
    internal_date: date,
    description: str = "",
    owner=None,
    announced_date: date | None = None,
) -> Deliverable:
    """Add a deliverable to a mission; `announced_date=None` computes it from the margin."""
    mission_for(by, mission.pk, manage=True)
    if collective.pk != mission.collective_id:
        raise AccessDenied(_("Only the lead of the mission or an admin of the collective can do this."))
    _check_owner(mission=mission, owner=owner)
    _check_internal_date(mission=mission, internal_date=internal_date)
    _check_announced_date(internal_date=internal_date, announced_date=announced_date)
    overridden = announced_date is not None
    if not overridden:
        announced_date = automatic_announced_date(
            mission=mission, collective=collective, internal_date=internal_date
        )
    last_position = (
        Deliverable.objects.filter(mission=mission)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
    )
    deliverable = Deliverable.objects.create(
        collective=collective,
        mission=mission,
        title=title,
        description=description,
        owner=owner,
        internal_date=internal_date,
        announced_date=announced_date,
        announced_date_overridden=overridden,
        position=(last_position or 0) + 1,
    )
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.DELIVERABLE_ADDED,
        actor=by,
        summary=DeferredText(N_("“%(title)s”, announced for %(date)s"), title=title, date=announced_date),
        data={
            "deliverable_id": deliverable.pk,
            "internal_date": internal_date.isoformat(),
            "announced_date": announced_date.isoformat(),
        },
    )
    deliverable.collective, deliverable.mission = collective, mission
    deliverables_health_store([deliverable], by=by, collective=collective)
    return deliverable


@transaction.atomic
def deliverable_update(
    *,
    deliverable: Deliverable,
    by,
    title: str,
    internal_date: date,
    description: str = "",
    owner=None,
    announced_date: date | None = None,
) -> Deliverable:
    """Change a deliverable. `announced_date=None` means automatic: recomputed from the internal date.

    A date given by hand overrides the margin until the lead goes back to automatic. Any change of
    the announced date made here (not through a delay notice) is recorded in the mission's history.
    """
    deliverable_for(by, deliverable.pk, manage=True)
    mission, collective = deliverable.mission, deliverable.collective
    _check_owner(mission=mission, owner=owner)
    if internal_date != deliverable.internal_date:
        _check_internal_date(mission=mission, internal_date=internal_date)
    _check_announced_date(internal_date=internal_date, announced_date=announced_date)
    previous_date = deliverable.announced_date
    overridden = announced_date is not None
    if not overridden:
        announced_date = automatic_announced_date(
            mission=mission, collective=collective, internal_date=internal_date
        )
    deliverable.title = title
    deliverable.description = description
    deliverable.owner = owner
    deliverable.internal_date = internal_date
    deliverable.announced_date = announced_date
    deliverable.announced_date_overridden = overridden
    deliverable.save(
        update_fields=[
            "title",
            "description",
            "owner",
            "internal_date",
            "announced_date",
            "announced_date_overridden",
        ]
    )
    if announced_date != previous_date:
        _record_announced_date_change(deliverable=deliverable, previous_date=previous_date, by=by)
    deliverables_health_store([deliverable], by=by, collective=collective)
    return deliverable


@transaction.atomic
def deliverable_announced_date_reset(*, deliverable: Deliverable, by) -> Deliverable:
    """Go back to the automatic announced date (internal date plus margin)."""
    return deliverable_update(
        deliverable=deliverable,
        by=by,
        title=deliverable.title,
        description=deliverable.description,
        owner=deliverable.owner,
        internal_date=deliverable.internal_date,
        announced_date=None,
    )


def _record_announced_date_change(*, deliverable: Deliverable, previous_date: date, by) -> None:
    mission_event_record(
        mission=deliverable.mission,
        kind=MissionEvent.Kind.ANNOUNCED_DATE_CHANGED,
        actor=by,
        summary=DeferredText(
            N_("“%(title)s”: announced date moved from %(from)s to %(to)s"),
            title=deliverable.title,
            **{"from": previous_date, "to": deliverable.announced_date},
        ),
        data={
            "deliverable_id": deliverable.pk,
            "from": previous_date.isoformat(),
            "to": deliverable.announced_date.isoformat(),
            "overridden": deliverable.announced_date_overridden,
        },
    )


@transaction.atomic
def deliverable_delete(*, deliverable: Deliverable, by) -> None:
    """Remove a deliverable that was not delivered and has no history (no delay notice sent, no delivery
    call, nothing billed); its tasks and time stay on the mission."""
    deliverable_for(by, deliverable.pk, manage=True)
    # Locked: a delay notice or a call about to be recorded for it waits, then finds it gone (PostgreSQL).
    deliverable = Deliverable.objects.select_for_update().get(pk=deliverable.pk)
    if deliverable.is_done:
        raise ValidationError(
            _("A delivered deliverable stays in the mission's record: it cannot be deleted."),
            code="delivered",
        )
    history = history_of(deliverable)
    if history:
        raise ValidationError(
            _(
                "This deliverable stays in the mission's record, which refers to it (%(history)s): change its "
                "dates or status instead of deleting it."
            )
            % {"history": ", ".join(history)},
            code="has_history",
        )
    deliverable.delete()


@transaction.atomic
def deliverable_change_status(*, deliverable: Deliverable, status: str, by, now=None) -> bool:
    """Move a deliverable along planned → in progress → delivered → accepted.

    Delivering sets `delivered_at` (now) and records a `deliverable_delivered` event, accepting a
    `deliverable_accepted` one; going back to in progress clears `delivered_at`. Returns False when
    it already had that status; raises ValidationError for a move that is not allowed.
    """
    deliverable_for(by, deliverable.pk, manage=True)
    if status not in Status.values:
        raise ValidationError(_("Choose a valid status."), code="invalid_status")
    current = Deliverable.objects.filter(pk=deliverable.pk).values_list("status", flat=True).get()
    if current == status:
        deliverable.status = status
        return False
    if status not in STATUS_MOVES[current]:
        raise ValidationError(
            _("A deliverable cannot go from %(from)s to %(to)s.")
            % {"from": Status(current).label, "to": Status(status).label},
            code="invalid_move",
        )
    now = now or timezone.now()
    fields = {"status": status}
    if status == Status.DELIVERED:
        fields["delivered_at"] = now
    elif status in (Status.PLANNED, Status.IN_PROGRESS):
        fields["delivered_at"] = None
    claimed = Deliverable.objects.filter(pk=deliverable.pk, status=current).update(**fields)
    if claimed != 1:
        raise ValidationError(_("The deliverable just changed; please try again."), code="concurrent")
    for name, value in fields.items():
        setattr(deliverable, name, value)
    mission = deliverable.mission
    time_zone = collective_zone(deliverable.collective)
    if status == Status.DELIVERED:
        on_time = deliverable.delivered_on_time(time_zone)
        mission_event_record(
            mission=mission,
            kind=MissionEvent.Kind.DELIVERABLE_DELIVERED,
            actor=by,
            summary=DeferredText(
                N_("“%(title)s” delivered on time")
                if on_time
                else "“%(title)s” delivered after the announced date",
                title=deliverable.title,
            ),
            data={
                "deliverable_id": deliverable.pk,
                "delivered_at": now.isoformat(),
                "announced_date": deliverable.announced_date.isoformat(),
                "on_time": on_time,
            },
        )
    elif status == Status.ACCEPTED:
        mission_event_record(
            mission=mission,
            kind=MissionEvent.Kind.DELIVERABLE_ACCEPTED,
            actor=by,
            summary=DeferredText(N_("“%(title)s” accepted by the client"), title=deliverable.title),
            data={"deliverable_id": deliverable.pk},
        )
        signals.deliverable_accepted.send(sender=Deliverable, deliverable=deliverable, now=now)
    deliverables_health_store([deliverable], by=by, collective=deliverable.collective)
    return True


# --- Delay notices ------------------------------------------------------------------------------


def delay_notice_terms(*, deliverable: Deliverable, today: date) -> tuple[int, bool]:
    """(business days of notice before the current announced date, whether that is too late)."""
    notice = business_days_between(today, deliverable.announced_date)
    return notice, notice < deliverable.mission.delay_notice_min_business_days


def delay_notice_recipients(*, mission: Mission):
    return (
        ClientContact.objects.current()
        .filter(collective_id=mission.collective_id, client_id=mission.client_id)
        .order_by("full_name", "pk")
    )


def delay_notice_email_context(
    *, deliverable: Deliverable, previous_date: date, new_date: date, reason: str, contact
) -> dict:
    mission = deliverable.mission
    return {
        "collective": deliverable.collective,
        "mission": mission,
        "deliverable": deliverable,
        "previous_date": previous_date,
        "new_date": new_date,
        "reason": reason,
        "lead": mission.lead,
        "contact": contact,
    }


@transaction.atomic
def delay_notice_send(
    *, deliverable: Deliverable, new_date: date, reason: str, by, today: date
) -> DelayNotice:
    """Move the announced date back and tell every contact of the client, early enough or flagged late.

    The notice records the previous date and how many business days before it the client was told;
    fewer than the mission's minimum makes it a late notice, flagged in the mission's history. Each
    contact gets the email in their language, from the collective's notification address, with the
    lead as the one to reply to.
    """
    deliverable_for(by, deliverable.pk, manage=True)
    mission, collective = deliverable.mission, deliverable.collective
    reason = (reason or "").strip()
    errors = {}
    if deliverable.is_done:
        raise ValidationError(_("This deliverable was already delivered."), code="delivered")
    previous_date = deliverable.announced_date
    if new_date <= previous_date:
        errors["new_date"] = _("The new date must be after the current announced date (%(date)s).") % {
            "date": format_day(previous_date)
        }
    if not reason:
        errors["reason"] = _("Tell the client why the date moves.")
    contacts = list(delay_notice_recipients(mission=mission))
    if not contacts:
        errors["__all__"] = _("The client has no contact to tell: add one on the client's page first.")
    if errors:
        raise ValidationError(errors)
    notice_days, is_late = delay_notice_terms(deliverable=deliverable, today=today)
    # Claimed on the date the lead saw, so that a double submission sends one notice.
    claimed = Deliverable.objects.filter(pk=deliverable.pk, announced_date=previous_date).update(
        announced_date=new_date, announced_date_overridden=True
    )
    if claimed != 1:
        raise ValidationError(
            _("The announced date just changed: check it and send the notice again."), code="concurrent"
        )
    deliverable.announced_date, deliverable.announced_date_overridden = new_date, True
    notice = DelayNotice.objects.create(
        collective=collective,
        deliverable=deliverable,
        previous_date=previous_date,
        new_date=new_date,
        reason=reason,
        sent_by=by,
        business_days_notice=notice_days,
        is_late=is_late,
    )
    summary = DeferredText(
        N_("“%(title)s” moved from %(from)s to %(to)s, told %(days)s business days before"),
        title=deliverable.title,
        **{"from": previous_date, "to": new_date},
        days=notice_days,
    )
    if is_late:
        summary = DeferredText(
            N_("%(summary)s: late notice (the mission asks for %(minimum)s)"),
            summary=summary,
            minimum=mission.delay_notice_min_business_days,
        )
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.DELAY_NOTICE,
        actor=by,
        summary=summary,
        data={
            "deliverable_id": deliverable.pk,
            "delay_notice_id": notice.pk,
            "from": previous_date.isoformat(),
            "to": new_date.isoformat(),
            "business_days_notice": notice_days,
            "minimum": mission.delay_notice_min_business_days,
            "is_late": is_late,
        },
        flagged=is_late,
    )
    lead = mission.lead
    for contact in contacts:
        email_enqueue(
            key=f"delay_notice:{notice.pk}:{contact.pk}",
            to=contact.email,
            template="missions/emails/delay_notice",
            context=delay_notice_email_context(
                deliverable=deliverable,
                previous_date=previous_date,
                new_date=new_date,
                reason=reason,
                contact=contact,
            ),
            language=contact.language or settings.LANGUAGE_CODE,
            sender=collective.notification_sender(),
            reply_to=lead.email,
            collective=collective,
        )
    deliverables_health_store([deliverable], by=by, collective=collective)
    return notice
