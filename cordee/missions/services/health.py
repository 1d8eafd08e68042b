"""Deadline health of deliverables: on track, at risk or late, with the reason in words.

`deliverable_health` is the rule, a pure function of a deliverable and a few numbers; the loader
`deliverables_health_inputs` computes those numbers for many deliverables with a fixed number of
queries; `deliverables_health_store` keeps the result on the deliverables and alerts the lead when
one turns worse (the hourly `missions_health_tick` calls it for every active mission).

Capacity, in hours, until a date: the business days from today (included when it is a business day)
to that date, times the collective's hours per day, scaled for each person by their share of a full
week on the mission (`MissionMember.weekly_capacity_hours / (5 × hours_per_day)`, full time when
empty). Whose capacity counts:

- every open task is assigned: the assignees' capacity;
- no open task is assigned and the deliverable has an owner: the owner's capacity (they do it);
- otherwise, when some estimated open work is unassigned (anyone may take it) or there is no owner:
  the whole team's capacity (and the assignees', if one of them has left the team).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.collectives.models import Collective
from cordee.collectives.time import collective_today
from cordee.core.business_days import business_days_between
from cordee.core.outbox import email_enqueue
from cordee.missions.models import Deliverable, Mission, MissionEvent, MissionMember, Task
from cordee.missions.services.history import mission_event_record

Health = Deliverable.Health
# Worse is higher: an alert goes out when a deliverable moves up this scale.
SEVERITY = {Health.ON_TRACK: 0, Health.AT_RISK: 1, Health.LATE: 2}
HOURS_QUANTUM = Decimal("0.01")
REASON_MAX_LENGTH = Deliverable._meta.get_field("health_reason").max_length


@dataclass(frozen=True)
class HealthInputs:
    """What the health of one deliverable is computed from."""

    today: date
    open_hours: Decimal
    capacity_until_internal: Decimal
    capacity_until_announced: Decimal
    unestimated_tasks: int = 0


def format_hours(hours: Decimal) -> str:
    """12 → "12", 6.50 → "6.5" (localised: "6,5" in French); rounded to the hundredth."""
    value = Decimal(hours).quantize(HOURS_QUANTUM, rounding=ROUND_HALF_UP)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return formats.number_format(Decimal(text))


def format_day(day: date) -> str:
    """14 March (14 mars in French)."""
    return formats.date_format(day, "j F")


def business_days_from_today(today: date, until: date) -> int:
    """Business days from today (included when it is one) to `until` (included); 0 once it has passed."""
    if until < today:
        return 0
    return business_days_between(today - timedelta(days=1), until)


def deliverable_health(
    deliverable: Deliverable,
    *,
    today: date,
    open_hours: Decimal,
    capacity_until_internal: Decimal,
    capacity_until_announced: Decimal,
    unestimated_tasks: int = 0,
) -> tuple[str, str]:
    """The health of a deliverable and its reason, in words in the active language.

    - delivered or accepted: on track;
    - late: the announced date has passed, or the open work exceeds the capacity until it;
    - at risk: the open work exceeds the capacity until the internal date (the margin is being
      eaten), or the internal date has passed with work still open;
    - otherwise on track.
    """
    if deliverable.is_done:
        return Health.ON_TRACK, _done_reason(deliverable)
    has_open_work = open_hours > 0 or unestimated_tasks > 0
    internal, announced = format_day(deliverable.internal_date), format_day(deliverable.announced_date)
    hours = format_hours(open_hours)
    if today > deliverable.announced_date:
        reason = _("The announced date, %(date)s, has passed and it is not delivered") % {"date": announced}
        if open_hours > 0:
            reason = _("%(reason)s: %(hours)s h of open work") % {"reason": reason, "hours": hours}
        return Health.LATE, _with_unestimated(reason, unestimated_tasks)
    if open_hours > capacity_until_announced:
        reason = _(
            "%(hours)s h of open work, %(capacity)s h of capacity before %(date)s (announced date)"
        ) % {
            "hours": hours,
            "capacity": format_hours(capacity_until_announced),
            "date": announced,
        }
        return Health.LATE, _with_unestimated(reason, unestimated_tasks)
    if today > deliverable.internal_date and has_open_work:
        if open_hours > 0:
            reason = _("The internal date, %(date)s, has passed with %(hours)s h of open work") % {
                "date": internal,
                "hours": hours,
            }
        else:
            reason = _("The internal date, %(date)s, has passed with open tasks") % {"date": internal}
        reason = _("%(reason)s; %(capacity)s h of capacity before %(announced)s (announced date)") % {
            "reason": reason,
            "capacity": format_hours(capacity_until_announced),
            "announced": announced,
        }
        return Health.AT_RISK, _with_unestimated(reason, unestimated_tasks)
    if open_hours > capacity_until_internal:
        reason = _(
            "%(hours)s h of open work, %(capacity)s h of capacity before %(date)s: the margin is being used"
        ) % {"hours": hours, "capacity": format_hours(capacity_until_internal), "date": internal}
        return Health.AT_RISK, _with_unestimated(reason, unestimated_tasks)
    if not has_open_work:
        if today > deliverable.internal_date:
            reason = _("No open task: it can be delivered")
        else:
            reason = _("No open work before %(date)s") % {"date": internal}
        return Health.ON_TRACK, reason
    reason = _("%(hours)s h of open work, %(capacity)s h of capacity before %(date)s") % {
        "hours": hours,
        "capacity": format_hours(capacity_until_internal),
        "date": internal,
    }
    return Health.ON_TRACK, _with_unestimated(reason, unestimated_tasks)


def _done_reason(deliverable: Deliverable) -> str:
    return str(deliverable.get_status_display())


def _with_unestimated(reason: str, count: int) -> str:
    if not count:
        return reason
    more = ngettext(
        "%(count)d open task without an estimate",
        "%(count)d open tasks without an estimate",
        count,
    ) % {"count": count}
    return f"{reason} ({more})"


# --- Loading the inputs -------------------------------------------------------------------------


def deliverables_health_inputs(
    mission_or_deliverables, today: date | None = None, *, collective=None
) -> dict[int, HealthInputs]:
    """The inputs of `deliverable_health` for a mission's deliverables, or for given ones.

    Always 3 queries (collectives, open tasks, team), whatever the number of deliverables (a
    mission costs one more to list its deliverables); none for an empty list. `today` defaults to
    today in each collective's time zone. The collectives query is saved when `collective` is given
    (every deliverable belongs to it) or when the deliverables were loaded with their collective.
    """
    if isinstance(mission_or_deliverables, Mission):
        deliverables = list(mission_or_deliverables.deliverables.all())
    else:
        deliverables = list(mission_or_deliverables)
    if not deliverables:
        return {}
    if collective is not None:
        collectives = {collective.pk: collective}
    elif all(Deliverable.collective.is_cached(deliverable) for deliverable in deliverables):
        collectives = {deliverable.collective_id: deliverable.collective for deliverable in deliverables}
    else:
        collective_ids = {deliverable.collective_id for deliverable in deliverables}
        collectives = Collective.objects.in_bulk(collective_ids)

    open_tasks = defaultdict(list)
    for row in (
        Task.objects.filter(deliverable__in=[d.pk for d in deliverables])
        .exclude(status=Task.Status.DONE)
        .values("deliverable_id", "assignee_id", "estimate_hours")
    ):
        open_tasks[row["deliverable_id"]].append(row)

    weekly_capacity = defaultdict(dict)  # mission id → {user id: weekly hours or None}
    for row in MissionMember.objects.filter(mission__in={d.mission_id for d in deliverables}).values(
        "mission_id", "user_id", "weekly_capacity_hours"
    ):
        weekly_capacity[row["mission_id"]][row["user_id"]] = row["weekly_capacity_hours"]

    inputs = {}
    for deliverable in deliverables:
        owning_collective = collectives[deliverable.collective_id]
        day = today or collective_today(owning_collective)
        team = weekly_capacity[deliverable.mission_id]
        tasks = open_tasks[deliverable.pk]
        people = _people_counted(deliverable, tasks, team)
        inputs[deliverable.pk] = HealthInputs(
            today=day,
            open_hours=sum((row["estimate_hours"] or Decimal(0) for row in tasks), Decimal(0)),
            capacity_until_internal=_capacity(
                people, team, owning_collective.hours_per_day, day, deliverable.internal_date
            ),
            capacity_until_announced=_capacity(
                people, team, owning_collective.hours_per_day, day, deliverable.announced_date
            ),
            unestimated_tasks=sum(1 for row in tasks if row["estimate_hours"] is None),
        )
    return inputs


def _people_counted(deliverable, tasks: list[dict], team: dict) -> set[int]:
    assignees = {row["assignee_id"] for row in tasks if row["assignee_id"]}
    unassigned_work = any(not row["assignee_id"] and row["estimate_hours"] for row in tasks)
    if not assignees and deliverable.owner_id:
        return {deliverable.owner_id}
    if unassigned_work or not assignees:
        return set(team) | assignees
    return assignees


def _capacity(people: set[int], team: dict, hours_per_day: Decimal, today: date, until: date) -> Decimal:
    days = business_days_from_today(today, until)
    if not days:
        return Decimal(0)
    total = Decimal(0)
    for user_id in people:
        weekly = team.get(user_id)
        per_day = weekly / 5 if weekly is not None else hours_per_day
        total += per_day * days
    return total.quantize(HOURS_QUANTUM, rounding=ROUND_HALF_UP)


def deliverables_health(
    mission_or_deliverables, today: date | None = None, *, collective=None
) -> dict[int, tuple[str, str]]:
    """{deliverable pk: (health, reason)}, the reasons in the active language."""
    if isinstance(mission_or_deliverables, Mission):
        deliverables = list(mission_or_deliverables.deliverables.all())
    else:
        deliverables = list(mission_or_deliverables)
    inputs = deliverables_health_inputs(deliverables, today, collective=collective)
    return {
        deliverable.pk: deliverable_health(deliverable, **vars(inputs[deliverable.pk]))
        for deliverable in deliverables
    }


# --- Storing the health and alerting the lead ---------------------------------------------------


def deliverables_health_store(
    deliverables, *, now=None, today: date | None = None, by=None, collective=None
) -> int:
    """Recompute and keep the health of these deliverables; alert the lead of each one that turned worse.

    A deliverable that turns at risk or late (from a better state) records a `health_changed` event,
    and its lead receives an email with the reason and the two ways out (replan, or send a delay
    notice), unless the lead caused the change themselves (`by`), or the mission is not active. The
    change is claimed with a conditional update, so two concurrent runs alert once; the email key
    holds the day, so the same transition on the same day never sends twice. Returns the number of
    deliverables that turned worse. Stored reasons are in the site's default language.
    """
    deliverables = list(deliverables)
    if not deliverables:
        return 0
    now = now or timezone.now()
    inputs = deliverables_health_inputs(deliverables, today, collective=collective)
    unchanged, worsened = [], 0
    with translation.override(settings.LANGUAGE_CODE):
        results = {d.pk: deliverable_health(d, **vars(inputs[d.pk])) for d in deliverables}
    for deliverable in deliverables:
        health, reason = results[deliverable.pk]
        reason = reason[:REASON_MAX_LENGTH]
        previous = deliverable.health
        deliverable.health_reason, deliverable.health_checked_at = reason, now
        if health == previous:
            unchanged.append(deliverable)
            continue
        with transaction.atomic():
            claimed = Deliverable.objects.filter(pk=deliverable.pk, health=previous).update(
                health=health, health_reason=reason, health_checked_at=now
            )
            deliverable.health = health
            if claimed == 1 and SEVERITY[health] > SEVERITY[previous]:
                worsened += 1
                _deliverable_health_alert(
                    deliverable=deliverable, previous=previous, inputs=inputs[deliverable.pk], by=by
                )
    if unchanged:
        Deliverable.objects.bulk_update(unchanged, ["health_reason", "health_checked_at"])
    return worsened


def _deliverable_health_alert(*, deliverable: Deliverable, previous: str, inputs: HealthInputs, by) -> None:
    mission = deliverable.mission
    health = deliverable.health
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.HEALTH_CHANGED,
        actor=by,
        summary=_("“%(title)s”: %(from)s → %(to)s. %(reason)s")
        % {
            "title": deliverable.title,
            "from": Health(previous).label,
            "to": Health(health).label,
            "reason": deliverable.health_reason,
        },
        data={
            "deliverable_id": deliverable.pk,
            "from": previous,
            "to": health,
            "reason": deliverable.health_reason,
        },
        flagged=health == Health.LATE,
    )
    if mission.status != Mission.Status.ACTIVE or (by is not None and by.pk == mission.lead_id):
        return
    lead = mission.lead
    collective = deliverable.collective
    slug = collective.slug
    with translation.override(lead.language):
        reason = deliverable_health(deliverable, **vars(inputs))[1]
    email_enqueue(
        key=f"deliverable:{deliverable.pk}:health:{health}:{inputs.today.isoformat()}",
        to=lead.email,
        template="missions/emails/health_alert",
        context={
            "collective": collective,
            "mission": mission,
            "deliverable": deliverable,
            "recipient": lead,
            "health": health,
            "health_label": Health(health).label,
            "reason": reason,
            "deliverable_url": settings.BASE_URL
            + reverse("missions:deliverable_detail", args=[slug, mission.pk, deliverable.pk]),
            "replan_url": settings.BASE_URL
            + reverse("missions:deliverable_edit", args=[slug, mission.pk, deliverable.pk]),
            "board_url": settings.BASE_URL + reverse("missions:board", args=[slug, mission.pk]),
            "delay_notice_url": settings.BASE_URL
            + reverse("missions:delay_notice", args=[slug, mission.pk, deliverable.pk]),
        },
        language=lead.language,
        sender=collective.notification_sender(),
        collective=collective,
    )


def deliverables_health_refresh(*, now=None, batch_size: int = 500) -> int:
    """The hourly tick: refresh the stored health of every deliverable of active missions.

    Deliverables are read in batches (by primary key) so that memory stays flat. Returns the number
    of deliverables that turned worse.
    """
    worsened, last_pk = 0, 0
    base = (
        Deliverable.objects.filter(mission__status=Mission.Status.ACTIVE)
        .select_related("mission__lead", "collective")
        .order_by("pk")
    )
    while True:
        batch = list(base.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return worsened
        worsened += deliverables_health_store(batch, now=now)
        last_pk = batch[-1].pk
