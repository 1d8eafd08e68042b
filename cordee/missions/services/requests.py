"""Client requests: what the client asked or reported, centralised by the lead in the mission's inbox
(seed, Conseil 1), then turned into tasks or declined with a reason.

New requests come in two ways: the lead records one (`client_request_record`, checked), or a contact
sends one from their portal session (`client_request_from_portal`).
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from cordee.clients.models import ClientContact
from cordee.core.deferred_text import DeferredText
from cordee.missions.access import mission_for
from cordee.missions.models import ClientRequest, Mission, MissionEvent, Task
from cordee.missions.services.history import mission_event_record
from cordee.missions.services.tasks import KEEP, client_request_sync_status, task_create


def _check_contact(*, mission: Mission, contact) -> None:
    if contact is not None and (
        contact.client_id != mission.client_id or contact.collective_id != mission.collective_id
    ):
        raise ValidationError({"contact": _("Choose a contact of this mission's client.")}, code="contact")


@transaction.atomic
def client_request_record(
    *, mission: Mission, title: str, by, body: str = "", contact: ClientContact | None = None
) -> ClientRequest:
    """The lead (or an admin) puts a request the client made by phone or email in the mission's inbox."""
    mission_for(by, mission.pk, manage=True)
    return _record(
        mission=mission, title=title, body=body, contact=contact, source=ClientRequest.Source.LEAD, by=by
    )


@transaction.atomic
def client_request_from_portal(
    *, mission: Mission, contact: ClientContact, title: str, body: str = ""
) -> ClientRequest:
    """A client contact sends a request from their portal session (the portal scoped the mission to
    their client); an archived contact sends nothing."""
    if contact is None or contact.archived_at is not None:
        raise ValidationError({"contact": _("A request from the portal needs its contact.")})
    return _record(
        mission=mission, title=title, body=body, contact=contact, source=ClientRequest.Source.PORTAL, by=None
    )


def _record(*, mission: Mission, title: str, body: str, contact, source: str, by) -> ClientRequest:
    _check_contact(mission=mission, contact=contact)
    title = " ".join(title.split())
    if not title:
        raise ValidationError({"title": _("Summarise the request in a few words.")}, code="required")
    client_request = ClientRequest.objects.create(
        collective_id=mission.collective_id,
        mission=mission,
        contact=contact,
        source=source,
        title=title,
        body=body.strip(),
        recorded_by=by if by is not None and by.is_authenticated else None,
    )
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.REQUEST_RECEIVED,
        actor=by,
        summary=client_request.title,
        data={"request": client_request.pk, "source": source, "contact": contact.pk if contact else None},
    )
    return client_request


@transaction.atomic
def client_request_plan(*, client_request: ClientRequest, tasks: list[dict], by) -> list[Task]:
    """Turn a request into one or more tasks, assigned per the mission's mode.

    Each item of `tasks` holds `title` and optionally `description`, `required_role`, `estimate_hours`,
    `deliverable`, `due_date` and `assignee` (an explicit choice, which only the lead may make; left
    out, the mode decides). A request already planned can get more tasks; a declined one cannot.
    """
    mission = client_request.mission
    mission_for(by, mission.pk, manage=True)
    current = ClientRequest.objects.select_for_update().get(pk=client_request.pk)
    if current.status == ClientRequest.Status.DECLINED:
        raise ValidationError(
            _("This request was declined; it cannot be turned into tasks."), code="declined"
        )
    if not tasks:
        raise ValidationError(_("Add at least one task."), code="no_task")
    first_triage = current.status == ClientRequest.Status.NEW
    if first_triage:
        # Planned before the tasks are linked, so that their creation keeps the status in step.
        ClientRequest.objects.filter(pk=current.pk).update(
            status=ClientRequest.Status.PLANNED, triaged_by=by, triaged_at=timezone.now()
        )
    created = [
        task_create(
            mission=mission,
            by=by,
            request=current,
            title=item["title"],
            description=item.get("description", ""),
            deliverable=item.get("deliverable"),
            required_role=item.get("required_role", ""),
            estimate_hours=item.get("estimate_hours"),
            due_date=item.get("due_date"),
            assignee=item.get("assignee", KEEP),
        )
        for item in tasks
    ]
    client_request_sync_status(request_id=current.pk)
    client_request.refresh_from_db()
    titles = ", ".join(task.title for task in created)
    summary = DeferredText(
        N_("“%(request)s” turned into a task: %(tasks)s"),
        plural="“%(request)s” turned into %(count)d tasks: %(tasks)s",
        count=len(created),
        request=client_request.title,
        tasks=titles,
    )
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.REQUEST_TRIAGED,
        actor=by,
        summary=summary,
        data={"request": client_request.pk, "outcome": "planned", "tasks": [task.pk for task in created]},
    )
    return created


@transaction.atomic
def client_request_decline(*, client_request: ClientRequest, reason: str, by) -> ClientRequest:
    """Decline a new request, with the reason (kept for the client and the team)."""
    mission = client_request.mission
    mission_for(by, mission.pk, manage=True)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is declined.")}, code="required")
    declined = ClientRequest.objects.filter(pk=client_request.pk, status=ClientRequest.Status.NEW).update(
        status=ClientRequest.Status.DECLINED, decline_reason=reason, triaged_by=by, triaged_at=timezone.now()
    )
    if declined != 1:
        raise ValidationError(_("Only a new request can be declined."), code="not_new")
    client_request.refresh_from_db()
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.REQUEST_TRIAGED,
        actor=by,
        summary=DeferredText(
            N_("“%(request)s” declined: %(reason)s"), request=client_request.title, reason=reason
        ),
        data={"request": client_request.pk, "outcome": "declined"},
    )
    return client_request
