"""Use cases of a mission's core: creation (from scratch or from a won opportunity), settings,
status, lead and team. Each function is one transaction.

Business-rule refusals raise `ValidationError` (keyed by form field when one is concerned);
acting without the right (not the lead nor an admin of the collective) raises `AccessDenied` (from the access functions of `cordee/missions/access.py`).
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.clients.models import Client, ClientContact
from cordee.clients.services import client_contact_get_or_create, client_get_or_create_by_name
from cordee.collectives.access import membership_for
from cordee.collectives.models import Collective, Membership
from cordee.core.deferred_text import format_day
from cordee.core.outbox import email_enqueue
from cordee.missions import signals
from cordee.missions.access import mission_for, mission_member_for
from cordee.missions.models import Mission, MissionEvent, MissionMember, Task
from cordee.missions.services.history import mission_event_record
from cordee.opportunities.models import Opportunity

# Recaps go out on business days: Monday (0) to Friday (4).
RECAP_WEEKDAYS = (0, 1, 2, 3, 4)
DEFAULT_RECAP_WEEKDAYS = {1: [4], 2: [1, 4]}  # Friday; Tuesday and Friday
# The settings a mission takes from its collective when they are not given.
SETTINGS_FIELDS = (
    "assignment_mode",
    "recaps_per_week",
    "recap_weekdays",
    "ritual_kind",
    "delay_notice_min_business_days",
    "feedback_enabled",
    "feedback_first_after_days",
    "feedback_every_days",
)

# status transitions: action → (allowed from, to, event kind)
TRANSITIONS = {
    "activate": ((Mission.Status.DRAFT,), Mission.Status.ACTIVE, MissionEvent.Kind.ACTIVATED),
    "pause": ((Mission.Status.ACTIVE,), Mission.Status.PAUSED, MissionEvent.Kind.PAUSED),
    "resume": ((Mission.Status.PAUSED,), Mission.Status.ACTIVE, MissionEvent.Kind.RESUMED),
    "deliver": ((Mission.Status.ACTIVE,), Mission.Status.DELIVERED, MissionEvent.Kind.DELIVERED),
    "close": ((Mission.Status.DELIVERED,), Mission.Status.CLOSED, MissionEvent.Kind.CLOSED),
}


# --- Defaults and checks ---------------------------------------------------------------------------


def mission_defaults(collective: Collective) -> dict:
    """The settings a new mission starts with: the collective's defaults (seed, Conseil 2 and 3)."""
    recaps_per_week = (
        collective.default_recaps_per_week if collective.default_recaps_per_week in (1, 2) else 1
    )
    return {
        "assignment_mode": collective.default_assignment_mode
        if collective.default_assignment_mode in Mission.AssignmentMode.values
        else Mission.AssignmentMode.LEAD_ASSIGNS,
        "recaps_per_week": recaps_per_week,
        "recap_weekdays": list(DEFAULT_RECAP_WEEKDAYS[recaps_per_week]),
        "ritual_kind": collective.default_ritual_kind
        if collective.default_ritual_kind in Mission.RitualKind.values
        else Mission.RitualKind.SYNC_CALL,
        "delay_notice_min_business_days": collective.delay_notice_min_business_days,
        "feedback_enabled": True,
        "feedback_first_after_days": collective.feedback_first_after_days,
        "feedback_every_days": collective.feedback_every_days,
    }


def _membership(collective_id: int, user) -> Membership | None:
    if user is None:
        return None
    return Membership.objects.filter(collective_id=collective_id, user=user).first()


def _settings_clean(data: dict, defaults: dict) -> dict:
    """The communication and feedback settings, validated (a missing one takes its default)."""
    values = {name: data[name] if data.get(name) is not None else defaults[name] for name in SETTINGS_FIELDS}
    errors = {}
    if values["assignment_mode"] not in Mission.AssignmentMode.values:
        errors["assignment_mode"] = ValidationError(_("Choose how tasks are assigned."), code="invalid_mode")
    if values["ritual_kind"] not in Mission.RitualKind.values:
        errors["ritual_kind"] = ValidationError(_("Choose the weekly ritual."), code="invalid_ritual")
    recaps = values["recaps_per_week"]
    try:
        recaps = int(recaps)
    except (TypeError, ValueError):
        recaps = 0
    if recaps not in (1, 2):
        errors["recaps_per_week"] = ValidationError(
            _("Send one or two recaps a week."), code="invalid_recaps"
        )
    weekdays = sorted({int(day) for day in values["recap_weekdays"] or []})
    if any(day not in RECAP_WEEKDAYS for day in weekdays):
        errors["recap_weekdays"] = ValidationError(
            _("Recaps go out from Monday to Friday."), code="invalid_weekday"
        )
    elif recaps in (1, 2) and len(weekdays) != recaps:
        errors["recap_weekdays"] = ValidationError(
            _("Pick exactly one weekday for the recap.")
            if recaps == 1
            else _("Pick exactly two weekdays for the recaps."),
            code="weekday_count",
        )
    for name in ("delay_notice_min_business_days", "feedback_first_after_days", "feedback_every_days"):
        if not isinstance(values[name], int) or values[name] < 0:
            errors[name] = ValidationError(_("Enter a whole number of days."), code="invalid_days")
    if (
        isinstance(values["feedback_every_days"], int)
        and values["feedback_enabled"]
        and values["feedback_every_days"] < 1
    ):
        errors["feedback_every_days"] = ValidationError(
            _("Surveys need at least one day between them."), code="invalid_days"
        )
    if errors:
        raise ValidationError(errors)
    values["recaps_per_week"] = recaps
    values["recap_weekdays"] = weekdays
    values["feedback_enabled"] = bool(values["feedback_enabled"])
    return values


def _check_member(collective_id: int, user, field: str, message: str) -> Membership:
    membership = _membership(collective_id, user)
    if membership is None:
        raise ValidationError({field: ValidationError(message, code="not_member")})
    return membership


def _check_opportunity_convertible(collective: Collective, opportunity: Opportunity) -> None:
    if opportunity.collective_id != collective.pk:
        raise ValidationError(_("This opportunity belongs to another collective."), code="opportunity_other")
    stage = Opportunity.objects.filter(pk=opportunity.pk).values_list("stage", flat=True).get()
    if stage != Opportunity.Stage.WON:
        raise ValidationError(
            _("Only a won opportunity becomes a mission: move it to Won first."), code="opportunity_not_won"
        )
    existing = Mission.objects.filter(opportunity=opportunity).first()
    if existing is not None:
        raise ValidationError(
            _("This opportunity is already the mission “%(title)s”.") % {"title": existing.title},
            code="opportunity_converted",
        )


def _decimal_or_none(value) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


# --- Creation and settings -------------------------------------------------------------------------


@transaction.atomic
def mission_create(*, collective: Collective, by, data: dict, team: list[dict], opportunity=None) -> Mission:
    """Create a mission in draft, with its lead, team and settings.

    `data` holds title, description, client (a Client of the collective) or new_client_name, lead (a
    member of the collective), start_date, and optionally the settings of SETTINGS_FIELDS (the
    collective's defaults fill in the missing ones). `team` is a list of {"user", "role", "day_rate",
    "weekly_capacity_hours"}: the lead joins it whatever; a day rate left empty is the member's day
    rate in the collective.

    From a won `opportunity` of the collective, not converted yet: a client chosen or, when none, the
    client named after the opportunity's company (reused when one has that name), the opportunity's
    contact added to it, its need as description, and the opportunity linked to the mission.
    """
    membership_for(by, collective.pk)
    if opportunity is not None:
        _check_opportunity_convertible(collective, opportunity)
    errors = {}
    title = " ".join((data.get("title") or "").split())
    if not title:
        errors["title"] = ValidationError(_("Give the mission a title."), code="required")
    start_date = data.get("start_date")
    if not isinstance(start_date, date):
        errors["start_date"] = ValidationError(_("Give the start date."), code="required")
    lead = data.get("lead")
    lead_membership = _membership(collective.pk, lead)
    if lead_membership is None:
        errors["lead"] = ValidationError(
            _("The lead must be a member of the collective."), code="lead_not_member"
        )
    client = data.get("client")
    if client is not None and client.collective_id != collective.pk:
        errors["client"] = ValidationError(_("Choose one of the collective's clients."), code="client_other")
    new_client_name = " ".join((data.get("new_client_name") or "").split())
    if client is None and not new_client_name and opportunity is None:
        errors["client"] = ValidationError(
            _("Choose a client or give the name of a new one."), code="client_required"
        )
    try:
        settings_values = _settings_clean(data, mission_defaults(collective))
    except ValidationError as error:
        errors.update(error.error_dict)
    team_rows = _team_clean(collective, team, errors)
    if errors:
        raise ValidationError(errors)

    if client is None:
        name = new_client_name or (opportunity.company or opportunity.contact_name)
        client, _created = client_get_or_create_by_name(collective=collective, by=by, name=name)
    if opportunity is not None:
        client_contact_get_or_create(
            client=client,
            by=by,
            data={
                "full_name": opportunity.contact_name,
                "email": opportunity.contact_email,
                "role": ClientContact.Role.SPONSOR,
                "language": opportunity.language
                if opportunity.language in dict(settings.LANGUAGES)
                else settings.LANGUAGE_CODE,
            },
        )
    description = (data.get("description") or "").strip()
    if not description and opportunity is not None:
        description = opportunity.need
    try:
        with transaction.atomic():
            mission = Mission.objects.create(
                collective=collective,
                client=client,
                opportunity=opportunity,
                title=title,
                description=description,
                lead=lead,
                start_date=start_date,
                status=Mission.Status.DRAFT,
                **settings_values,
            )
    except IntegrityError:
        # Another request converted the same opportunity in the meantime.
        raise ValidationError(
            _("This opportunity has just been converted into a mission."), code="opportunity_converted"
        ) from None

    rows_by_user = {row["user"].pk: row for row in team_rows}
    if lead.pk not in rows_by_user:
        rows_by_user[lead.pk] = {"user": lead, "role": "", "day_rate": None, "weekly_capacity_hours": None}
    memberships = {
        membership.user_id: membership
        for membership in Membership.objects.filter(collective=collective, user_id__in=list(rows_by_user))
    }
    MissionMember.objects.bulk_create(
        [
            MissionMember(
                collective=collective,
                mission=mission,
                user=row["user"],
                role=row["role"],
                day_rate=row["day_rate"] if row["day_rate"] is not None else memberships[user_id].day_rate,
                weekly_capacity_hours=row["weekly_capacity_hours"],
            )
            for user_id, row in rows_by_user.items()
        ]
    )
    summary = (
        _("Created from the opportunity of %(company)s.")
        % {"company": opportunity.company or opportunity.contact_name}
        if opportunity is not None
        else ""
    )
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.CREATED,
        actor=by,
        summary=summary,
        data={
            "opportunity": opportunity.pk if opportunity is not None else None,
            "lead": lead.pk,
            "team": sorted(rows_by_user),
        },
    )
    return mission


def _team_clean(collective: Collective, team: list[dict], errors: dict) -> list[dict]:
    """Team rows with members of the collective only, each once."""
    rows = []
    seen = set()
    member_ids = set(
        Membership.objects.filter(
            collective=collective, user_id__in=[row["user"].pk for row in team if row.get("user") is not None]
        ).values_list("user_id", flat=True)
    )
    for row in team:
        user = row.get("user")
        if user is None or user.pk in seen:
            continue
        if user.pk not in member_ids:
            errors["team"] = ValidationError(
                _("Only members of the collective can join the team."), code="team_not_member"
            )
            continue
        seen.add(user.pk)
        day_rate = _decimal_or_none(row.get("day_rate"))
        capacity = _decimal_or_none(row.get("weekly_capacity_hours"))
        if (day_rate is not None and day_rate < 0) or (capacity is not None and capacity < 0):
            errors["team"] = ValidationError(_("Rates and hours cannot be negative."), code="team_negative")
            continue
        rows.append(
            {
                "user": user,
                "role": (row.get("role") or "").strip(),
                "day_rate": day_rate,
                "weekly_capacity_hours": capacity,
            }
        )
    return rows


@transaction.atomic
def mission_update(*, mission: Mission, by, data: dict) -> Mission:
    """Change a mission's title, description, client, start date and settings (the lead has its own)."""
    mission_for(by, mission.pk, manage=True)
    errors = {}
    title = " ".join((data.get("title") or "").split())
    if not title:
        errors["title"] = ValidationError(_("Give the mission a title."), code="required")
    if not isinstance(data.get("start_date"), date):
        errors["start_date"] = ValidationError(_("Give the start date."), code="required")
    else:
        # As on creation: no deliverable is due before the mission starts.
        first_due = (
            mission.deliverables.order_by("internal_date").values_list("internal_date", flat=True).first()
        )
        if first_due is not None and data["start_date"] > first_due:
            errors["start_date"] = ValidationError(
                _("The start cannot be after the first deliverable's internal date (%(date)s).")
                % {"date": format_day(first_due)},
                code="start_after_deliverables",
            )
    client = data.get("client")
    if not isinstance(client, Client) or client.collective_id != mission.collective_id:
        errors["client"] = ValidationError(_("Choose one of the collective's clients."), code="client_other")
    current = {name: getattr(mission, name) for name in SETTINGS_FIELDS}
    try:
        settings_values = _settings_clean(data, current)
    except ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise ValidationError(errors)
    mission.title = title
    mission.description = (data.get("description") or "").strip()
    mission.client = client
    mission.start_date = data["start_date"]
    for name, value in settings_values.items():
        setattr(mission, name, value)
    mission.save(update_fields=["title", "description", "client", "start_date", *SETTINGS_FIELDS])
    if (
        current["ritual_kind"] == Mission.RitualKind.SYNC_CALL
        and mission.ritual_kind != current["ritual_kind"]
    ):
        _stop_weekly_call(mission=mission, by=by)
    return mission


# --- Status ----------------------------------------------------------------------------------------


def _transition(*, mission: Mission, by, action: str) -> Mission:
    allowed_from, to_status, event_kind = TRANSITIONS[action]
    mission_for(by, mission.pk, manage=True)
    current = Mission.objects.filter(pk=mission.pk).values_list("status", flat=True).get()
    changes = {"status": to_status}
    if action == "activate":
        changes["activated_at"] = timezone.now()
    # A conditional update: two people clicking at once cannot both move the mission.
    if (
        current not in allowed_from
        or Mission.objects.filter(pk=mission.pk, status=current).update(**changes) != 1
    ):
        mission.status = current
        raise ValidationError(
            _("A mission that is %(current)s cannot be %(action)s.")
            % {"current": Mission.Status(current).label.lower(), "action": _action_label(action)},
            code="invalid_transition",
        )
    for name, value in changes.items():
        setattr(mission, name, value)
    mission_event_record(
        mission=mission, kind=event_kind, actor=by, data={"from": current, "to": str(to_status)}
    )
    return mission


def _action_label(action: str) -> str:
    return {
        "activate": _("activated"),
        "pause": _("paused"),
        "resume": _("resumed"),
        "deliver": _("marked as delivered"),
        "close": _("closed"),
    }[action]


@transaction.atomic
def mission_activate(*, mission: Mission, by) -> Mission:
    """Draft → active: the work starts and the client is told (the kickoff email)."""
    mission = _transition(mission=mission, by=by, action="activate")
    _after_activation(mission=mission, by=by)
    return mission


def _after_activation(*, mission: Mission, by) -> None:
    """Hook run in the activation's transaction, after the status changed and the event was recorded.

    The communication area's receiver sends the kickoff email: the lead as single contact, the
    roadmap, the rituals, the recap rhythm and the surveys to come. It is idempotent (keyed on the
    mission) since a paused mission resumes without passing here again but a re-activation must never
    send it twice.
    """
    signals.mission_activated.send(sender=Mission, mission=mission, by=by)


@transaction.atomic
def mission_pause(*, mission: Mission, by) -> Mission:
    return _transition(mission=mission, by=by, action="pause")


@transaction.atomic
def mission_resume(*, mission: Mission, by) -> Mission:
    return _transition(mission=mission, by=by, action="resume")


@transaction.atomic
def mission_deliver(*, mission: Mission, by) -> Mission:
    mission = _transition(mission=mission, by=by, action="deliver")
    _stop_weekly_call(mission=mission, by=by)
    return mission


@transaction.atomic
def mission_close(*, mission: Mission, by) -> Mission:
    mission = _transition(mission=mission, by=by, action="close")
    _stop_weekly_call(mission=mission, by=by)
    return mission


def _stop_weekly_call(*, mission: Mission, by) -> None:
    """Issue 4: the weekly sync call is cancelled in every calendar (METHOD:CANCEL) when the mission is
    delivered or closed, or when its ritual becomes the weekly video. Nothing happens without one."""
    signals.weekly_call_ended.send(sender=Mission, mission=mission, by=by)


# --- Lead ------------------------------------------------------------------------------------------


@transaction.atomic
def mission_change_lead(*, mission: Mission, by, new_lead, message: str = "") -> MissionEvent:
    """Hand the mission over to another member, who joins the team if needed.

    The change is recorded in the history (from → to) and every client contact is told by email,
    in their language, from the collective's notification address with the new lead as Reply-To
    (unless the mission is still a draft: the kickoff will introduce the lead).
    """
    mission_for(by, mission.pk, manage=True)
    new_membership = _check_member(
        mission.collective_id, new_lead, "lead", _("The new lead must be a member of the collective.")
    )
    previous_lead = Mission.objects.select_related("lead").get(pk=mission.pk).lead
    if previous_lead.pk == new_lead.pk:
        raise ValidationError(
            {
                "lead": ValidationError(
                    _("%(name)s is already the lead.") % {"name": new_lead.display_name}, code="same_lead"
                )
            }
        )
    _member, joined = MissionMember.objects.get_or_create(
        collective_id=mission.collective_id,
        mission=mission,
        user=new_lead,
        defaults={"day_rate": new_membership.day_rate},
    )
    Mission.objects.filter(pk=mission.pk).update(lead=new_lead)
    mission.lead = new_lead
    event = mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.LEAD_CHANGED,
        actor=by,
        summary=f"{previous_lead.display_name} → {new_lead.display_name}",
        data={
            "from": previous_lead.pk,
            "to": new_lead.pk,
            "from_name": previous_lead.display_name,
            "to_name": new_lead.display_name,
            "joined_team": joined,
        },
    )
    if joined:
        mission_event_record(
            mission=mission,
            kind=MissionEvent.Kind.MEMBER_ADDED,
            actor=by,
            summary=new_lead.display_name,
            data={"user": new_lead.pk},
        )
    if mission.status != Mission.Status.DRAFT:
        _notify_contacts_of_new_lead(
            mission=mission,
            event=event,
            previous_lead=previous_lead,
            new_lead=new_lead,
            message=message.strip(),
        )
    return event


def _notify_contacts_of_new_lead(
    *, mission: Mission, event: MissionEvent, previous_lead, new_lead, message: str
):
    collective = mission.collective
    contacts = (
        ClientContact.objects.current()
        .filter(collective_id=mission.collective_id, client_id=mission.client_id)
        .order_by("pk")
    )
    for contact in contacts:
        email_enqueue(
            key=f"mission:{mission.pk}:lead:{event.pk}:{contact.pk}",
            to=contact.email,
            template="missions/missions/emails/lead_changed",
            context={
                "collective": collective,
                "mission": mission,
                "contact": contact,
                "previous_lead": previous_lead,
                "new_lead": new_lead,
                "message": message,
            },
            language=contact.language,
            sender=collective.notification_sender(),
            reply_to=new_lead.email,
            collective=collective,
        )


# --- Team ------------------------------------------------------------------------------------------


def _member_values(role, day_rate, weekly_capacity_hours) -> dict:
    day_rate = _decimal_or_none(day_rate)
    capacity = _decimal_or_none(weekly_capacity_hours)
    errors = {}
    if day_rate is not None and day_rate < 0:
        errors["day_rate"] = ValidationError(_("A day rate cannot be negative."), code="negative")
    if capacity is not None and (capacity < 0 or capacity > 168):
        errors["weekly_capacity_hours"] = ValidationError(
            _("Give between 0 and 168 hours a week."), code="invalid_capacity"
        )
    if errors:
        raise ValidationError(errors)
    return {"role": (role or "").strip(), "day_rate": day_rate, "weekly_capacity_hours": capacity}


@transaction.atomic
def mission_member_add(
    *, mission: Mission, by, user, role: str = "", day_rate=None, weekly_capacity_hours=None
) -> MissionMember:
    """Add a member of the collective to the team; an empty day rate is their rate in the collective."""
    mission_for(by, mission.pk, manage=True)
    membership = _check_member(
        mission.collective_id, user, "user", _("Only members of the collective can join the team.")
    )
    if MissionMember.objects.filter(mission=mission, user=user).exists():
        raise ValidationError(
            {
                "user": ValidationError(
                    _("%(name)s is already on the team.") % {"name": user.display_name}, code="already"
                )
            }
        )
    values = _member_values(role, day_rate, weekly_capacity_hours)
    if values["day_rate"] is None:
        values["day_rate"] = membership.day_rate
    try:
        with transaction.atomic():
            member = MissionMember.objects.create(
                collective_id=mission.collective_id, mission=mission, user=user, **values
            )
    except IntegrityError:
        raise ValidationError(
            {
                "user": ValidationError(
                    _("%(name)s is already on the team.") % {"name": user.display_name}, code="already"
                )
            }
        ) from None
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.MEMBER_ADDED,
        actor=by,
        summary=user.display_name + (f" ({values['role']})" if values["role"] else ""),
        data={"user": user.pk, "role": values["role"]},
    )
    return member


@transaction.atomic
def mission_member_update(
    *, member: MissionMember, by, role: str, day_rate, weekly_capacity_hours
) -> MissionMember:
    """Change a team member's role on the mission, day rate and weekly capacity."""
    mission_member_for(by, member.pk, manage=True)
    values = _member_values(role, day_rate, weekly_capacity_hours)
    for name, value in values.items():
        setattr(member, name, value)
    member.save(update_fields=list(values))
    return member


@transaction.atomic
def mission_member_remove(*, member: MissionMember, by) -> None:
    """Take a member off the team. The lead stays; so does anyone with open tasks or logged time."""
    mission = member.mission
    mission_for(by, mission.pk, manage=True)
    name = member.user.display_name
    if Mission.objects.filter(pk=mission.pk, lead_id=member.user_id).exists():
        raise ValidationError(
            _("%(name)s is the lead: hand the mission over to someone else first.") % {"name": name},
            code="is_lead",
        )
    open_tasks = (
        Task.objects.filter(collective_id=mission.collective_id, mission=mission, assignee_id=member.user_id)
        .exclude(status=Task.Status.DONE)
        .count()
    )
    if open_tasks:
        raise ValidationError(
            ngettext(
                "%(name)s still has %(count)s open task on this mission: reassign or finish it first.",
                "%(name)s still has %(count)s open tasks on this mission: reassign or finish them first.",
                open_tasks,
            )
            % {"name": name, "count": open_tasks},
            code="has_open_tasks",
        )
    if mission.time_entries.filter(collective_id=mission.collective_id, user_id=member.user_id).exists():
        raise ValidationError(
            _(
                "%(name)s has logged time on this mission: they stay on the team so that the time can be invoiced and split."
            )
            % {"name": name},
            code="has_time",
        )
    user_id = member.user_id
    member.delete()
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.MEMBER_REMOVED,
        actor=by,
        summary=name,
        data={"user": user_id},
    )
