"""The API's resources. Reads are scoped to the token's collective; writes go through the pages' forms
and services, so the API follows the same rules, answers the same refusals and records the same history.
"""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Query, Schema
from pydantic import Field

from cordee.api import schemas
from cordee.api.api import DEFAULT_PAGE_SIZE, api, created, etag_response, form_errors, page, require_write
from cordee.api.schemas import Code, Id, Moment
from cordee.clients.models import Client, ClientContact
from cordee.collectives.models import Membership
from cordee.feedback.models import SurveyResponse
from cordee.feedback.queries import mission_feedback
from cordee.missions.forms.requests import ClientRequestForm
from cordee.missions.forms.tasks import TaskForm
from cordee.missions.models import ClientRequest, Deliverable, Mission, Task
from cordee.missions.queries.board import mission_team, team_roles
from cordee.missions.services.requests import client_request_record
from cordee.missions.services.tasks import KEEP, task_assign, task_create, task_move
from cordee.opportunities.forms import OpportunityCreateForm, OpportunityEditForm
from cordee.opportunities.models import Opportunity
from cordee.opportunities.services import opportunity_change_stage, opportunity_create, opportunity_update
from cordee.timesheets.forms import TimeEntryForm
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.services import time_entry_log


class ListParams(Schema):
    cursor: str | None = Field(default=None, max_length=500)
    limit: int = Field(
        default=DEFAULT_PAGE_SIZE, ge=1, le=10_000, description="At most 300 items are returned."
    )


class ChangedListParams(ListParams):
    updated_since: Moment | None = None


class MissionListParams(ListParams):
    mission_id: Id | None = None


class ChangedMissionListParams(ChangedListParams):
    mission_id: Id | None = None


def _scoped(request, model) -> QuerySet:
    return model.objects.filter(collective_id=request.collective.pk)


def _since(queryset: QuerySet, params, *, field: str = "updated_at") -> QuerySet:
    if params.updated_since is not None:
        queryset = queryset.filter(**{f"{field}__gte": params.updated_since})
    return queryset


def _in_mission(queryset: QuerySet, params) -> QuerySet:
    if params.mission_id is not None:
        queryset = queryset.filter(mission_id=params.mission_id)
    return queryset


def _mission(request, mission_id: Id) -> Mission:
    return get_object_or_404(_scoped(request, Mission), pk=mission_id)


@api.get("/collective", response=schemas.responses(200, schemas.CollectiveOut), tags=["collective"])
def collective_read(request):
    return request.collective


@api.get("/members", response=schemas.list_responses(schemas.MemberOut), tags=["collective"])
def members_list(request, params: Query[ListParams]):
    queryset = (
        _scoped(request, Membership)
        .select_related("user")
        .only("pk", "user_id", "role", "title", "skills", "joined_at", "user__full_name")
    )
    return page(request, queryset, schemas.MemberOut, limit=params.limit, cursor=params.cursor)


@api.get("/clients", response=schemas.list_responses(schemas.ClientOut), tags=["clients"])
def clients_list(request, params: Query[ListParams]):
    return page(
        request, _scoped(request, Client), schemas.ClientOut, limit=params.limit, cursor=params.cursor
    )


@api.get("/clients/{client_id}", response=schemas.responses(200, schemas.ClientOut), tags=["clients"])
def client_read(request, client_id: Id):
    return get_object_or_404(_scoped(request, Client), pk=client_id)


@api.get("/contacts", response=schemas.list_responses(schemas.ContactOut), tags=["clients"])
def contacts_list(request, params: Query[ListParams], client_id: Id | None = None):
    queryset = _scoped(request, ClientContact)
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    return page(request, queryset, schemas.ContactOut, limit=params.limit, cursor=params.cursor)


@api.get("/opportunities", response=schemas.list_responses(schemas.OpportunityOut), tags=["opportunities"])
def opportunities_list(request, params: Query[ChangedListParams], stage: Code | None = None):
    queryset = _since(_scoped(request, Opportunity), params)
    if stage:
        queryset = queryset.filter(stage=stage)
    return page(request, queryset, schemas.OpportunityOut, limit=params.limit, cursor=params.cursor)


@api.get(
    "/opportunities/{opportunity_id}",
    response=schemas.responses(200, schemas.OpportunityOut),
    tags=["opportunities"],
)
def opportunity_read(request, opportunity_id: Id):
    return get_object_or_404(_scoped(request, Opportunity), pk=opportunity_id)


def _date_text(value) -> str:
    return value.isoformat() if value else ""


@api.post("/opportunities", response=schemas.responses(201, schemas.OpportunityOut), tags=["opportunities"])
def opportunity_create_endpoint(request, payload: schemas.OpportunityIn):
    require_write(request)
    data = {
        name: _date_text(value) if "date" in name or name in ("deadline", "desired_start") else value
        for name, value in payload.model_dump().items()
    }
    form = OpportunityCreateForm(data, collective=request.collective)
    if not form.is_valid():
        raise form_errors(form)
    opportunity = opportunity_create(collective=request.collective, by=request.user, data=form.cleaned_data)
    return created(schemas.OpportunityOut.from_orm(opportunity).model_dump(mode="json"))


@api.patch(
    "/opportunities/{opportunity_id}",
    response=schemas.responses(200, schemas.OpportunityOut),
    tags=["opportunities"],
)
def opportunity_patch(request, opportunity_id: Id, payload: schemas.OpportunityPatch):
    require_write(request)
    opportunity = get_object_or_404(_scoped(request, Opportunity), pk=opportunity_id)
    changes = payload.model_dump(exclude_unset=True)
    data = {
        "stage": changes.get("stage", opportunity.stage),
        "owner": changes.get("owner_id", opportunity.owner_id) or "",
        "notes": changes.get("notes", opportunity.notes),
        "next_action": changes.get("next_action", opportunity.next_action),
        "next_action_date": _date_text(changes.get("next_action_date", opportunity.next_action_date)),
    }
    form = OpportunityEditForm(data, collective=request.collective)
    if not form.is_valid():
        raise form_errors(form)
    values = form.cleaned_data
    opportunity_change_stage(opportunity=opportunity, stage=values["stage"], by=request.user)
    opportunity_update(
        opportunity=opportunity,
        by=request.user,
        owner=values["owner"],
        notes=values["notes"],
        next_action=values["next_action"],
        next_action_date=values["next_action_date"],
    )
    opportunity.refresh_from_db()
    return opportunity


@api.get("/missions", response=schemas.list_responses(schemas.MissionOut), tags=["missions"])
def missions_list(request, params: Query[ListParams], status: Code | None = None):
    queryset = _scoped(request, Mission)
    if status:
        queryset = queryset.filter(status=status)
    return page(request, queryset, schemas.MissionOut, limit=params.limit, cursor=params.cursor)


@api.get("/missions/{mission_id}", response=schemas.responses(200, schemas.MissionOut), tags=["missions"])
def mission_read(request, mission_id: Id):
    return _mission(request, mission_id)


@api.get("/deliverables", response=schemas.list_responses(schemas.DeliverableOut), tags=["missions"])
def deliverables_list(request, params: Query[MissionListParams]):
    queryset = _in_mission(_scoped(request, Deliverable), params)
    return page(request, queryset, schemas.DeliverableOut, limit=params.limit, cursor=params.cursor)


@api.get("/tasks", response=schemas.list_responses(schemas.TaskOut), tags=["tasks"])
def tasks_list(
    request, params: Query[MissionListParams], status: Code | None = None, assignee_id: Id | None = None
):
    queryset = _in_mission(_scoped(request, Task), params)
    if status:
        queryset = queryset.filter(status=status)
    if assignee_id is not None:
        queryset = queryset.filter(assignee_id=assignee_id)
    return page(request, queryset, schemas.TaskOut, limit=params.limit, cursor=params.cursor)


@api.get("/tasks/{task_id}", response=schemas.responses(200, schemas.TaskOut), tags=["tasks"])
def task_read(request, task_id: Id):
    return get_object_or_404(_scoped(request, Task), pk=task_id)


@api.post("/tasks", response=schemas.responses(201, schemas.TaskOut), tags=["tasks"])
def task_create_endpoint(request, payload: schemas.TaskIn):
    require_write(request)
    mission = _mission(request, payload.mission_id)
    data = payload.model_dump(exclude={"mission_id"})
    data["deliverable"] = data.pop("deliverable_id") or ""
    data["due_date"] = _date_text(data["due_date"])
    data["estimate_hours"] = "" if data["estimate_hours"] is None else str(data["estimate_hours"])
    form = TaskForm(data, mission=mission, roles=team_roles(mission_team(mission=mission)), can_assign=False)
    if not form.is_valid():
        raise form_errors(form)
    values = form.cleaned_data
    task = task_create(
        mission=mission,
        by=request.user,
        assignee=KEEP,
        title=values["title"],
        description=values.get("description", ""),
        deliverable=values.get("deliverable"),
        required_role=values.get("required_role") or "",
        estimate_hours=values.get("estimate_hours"),
        due_date=values.get("due_date"),
    )
    return created(schemas.TaskOut.from_orm(task).model_dump(mode="json"))


@api.patch("/tasks/{task_id}", response=schemas.responses(200, schemas.TaskOut), tags=["tasks"])
def task_patch(request, task_id: Id, payload: schemas.TaskPatch):
    require_write(request)
    task = get_object_or_404(_scoped(request, Task).select_related("mission"), pk=task_id)
    changes = payload.model_dump(exclude_unset=True)
    if "assignee_id" in changes or changes.get("unassign"):
        assignee = None
        if changes.get("assignee_id") is not None:
            membership = (
                _scoped(request, Membership)
                .select_related("user")
                .filter(user_id=changes["assignee_id"])
                .first()
            )
            if membership is None:
                raise Http404
            assignee = membership.user
        task_assign(task=task, assignee=assignee, by=request.user)
    if changes.get("status"):
        task_move(task=task, status=changes["status"], by=request.user)
    task.refresh_from_db()
    return task


@api.get("/time-entries", response=schemas.list_responses(schemas.TimeEntryOut), tags=["time"])
def time_entries_list(request, params: Query[ChangedMissionListParams], user_id: Id | None = None):
    queryset = _in_mission(_since(_scoped(request, TimeEntry), params), params)
    if user_id is not None:
        queryset = queryset.filter(user_id=user_id)
    return page(request, queryset, schemas.TimeEntryOut, limit=params.limit, cursor=params.cursor)


@api.post("/time-entries", response=schemas.responses(201, schemas.TimeEntryOut), tags=["time"])
def time_entry_create(request, payload: schemas.TimeEntryIn):
    require_write(request)
    mission = _mission(request, payload.mission_id)
    in_days = payload.days is not None
    data = {
        "date": payload.date.isoformat(),
        "duration": str(payload.days if in_days else payload.hours or ""),
        "unit": TimeEntryForm.Unit.DAYS if in_days else TimeEntryForm.Unit.HOURS,
        "activity": payload.activity,
        "deliverable": payload.deliverable_id or "",
        "task": payload.task_id or "",
        "note": payload.note,
    }
    form = TimeEntryForm(data, mission=mission, hours_per_day=request.collective.hours_per_day)
    if not form.is_valid():
        raise form_errors(form)
    entry = time_entry_log(mission=mission, user=request.user, **form.service_arguments())
    return created(schemas.TimeEntryOut.from_orm(entry).model_dump(mode="json"))


@api.get("/requests", response=schemas.list_responses(schemas.RequestOut), tags=["requests"])
def requests_list(request, params: Query[MissionListParams], status: Code | None = None):
    queryset = _in_mission(_scoped(request, ClientRequest), params)
    if status:
        queryset = queryset.filter(status=status)
    return page(request, queryset, schemas.RequestOut, limit=params.limit, cursor=params.cursor)


@api.post("/requests", response=schemas.responses(201, schemas.RequestOut), tags=["requests"])
def request_create(request, payload: schemas.RequestIn):
    require_write(request)
    mission = _mission(request, payload.mission_id)
    form = ClientRequestForm(
        {"title": payload.title, "body": payload.body, "contact": payload.contact_id or ""}, mission=mission
    )
    if not form.is_valid():
        raise form_errors(form)
    values = form.cleaned_data
    client_request = client_request_record(
        mission=mission,
        title=values["title"],
        body=values.get("body", ""),
        contact=values.get("contact"),
        by=request.user,
    )
    return created(schemas.RequestOut.from_orm(client_request).model_dump(mode="json"))


@api.get(
    "/missions/{mission_id}/feedback",
    response=schemas.responses(200, schemas.FeedbackSummaryOut),
    tags=["feedback"],
)
def mission_feedback_read(request, mission_id: Id):
    mission = _mission(request, mission_id)
    summary = mission_feedback(request.collective, mission).summary
    answers = SurveyResponse.objects.filter(
        collective_id=request.collective.pk, survey__mission=mission
    ).order_by("pk")
    body = {
        "mission_id": mission.pk,
        "responses": summary.answers,
        "nps": summary.nps,
        "average_score": summary.average,
        "answers": [schemas.SurveyAnswerOut.from_orm(answer).model_dump(mode="json") for answer in answers],
    }
    return etag_response(request, schemas.FeedbackSummaryOut(**body).model_dump(mode="json"))
