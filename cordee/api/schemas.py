"""What the API reads and writes: one output schema per resource, strict input schemas."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Generic, TypeVar

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field

ItemT = TypeVar("ItemT")
# Identifiers as the databases store them (64-bit): a larger number is a 422, not an overflow.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]


def _moment_in_range(value: datetime) -> datetime:
    """A moment as UTC, naive ones read as UTC; offsets beyond ±14 h and years outside 2000–2100 refused."""
    if value.tzinfo is not None and abs(value.utcoffset()) > timedelta(hours=14):
        raise ValueError("the time zone offset must be within ±14:00")
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if not 2000 <= value.year <= 2100:
        raise ValueError("the moment must be between the years 2000 and 2100")
    return value


Moment = Annotated[datetime, AfterValidator(_moment_in_range)]
# A status or stage value in a filter.
Code = Annotated[str, Field(pattern=r"^[a-z_]{1,20}$")]


class Strict(Schema):
    """Input bodies: an unknown field is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class CollectiveOut(Schema):
    id: int
    name: str
    slug: str
    tagline: str
    website: str
    time_zone: str
    hours_per_day: Decimal
    is_published: bool


class MemberOut(Schema):
    id: int
    user_id: int
    full_name: str = Field(validation_alias="user.full_name")
    role: str
    title: str
    skills: list[str]
    joined_at: datetime


class ClientOut(Schema):
    id: int
    name: str
    siren: str
    siret: str
    vat_number: str
    address_line: str
    postal_code: str
    city: str
    country: str
    created_at: datetime


class ContactOut(Schema):
    id: int
    client_id: int
    full_name: str
    email: str
    phone: str
    job_title: str
    role: str
    language: str


class OpportunityOut(Schema):
    id: int
    contact_name: str
    contact_email: str
    company: str
    need: str
    budget: str
    desired_start: date | None
    deadline: date | None
    language: str
    source: str
    stage: str
    owner_id: int | None
    notes: str
    next_action: str
    next_action_date: date | None
    created_at: datetime
    updated_at: datetime


class OpportunityIn(Strict):
    contact_name: str
    contact_email: str
    company: str = ""
    need: str = ""
    budget: str = "unknown"
    desired_start: date | None = None
    deadline: date | None = None
    notes: str = ""
    next_action: str = ""
    next_action_date: date | None = None


class OpportunityPatch(Strict):
    stage: str | None = None
    owner_id: Id | None = None
    notes: str | None = None
    next_action: str | None = None
    next_action_date: date | None = None


class MissionOut(Schema):
    id: int
    title: str
    client_id: int
    lead_id: int
    status: str
    start_date: date | None
    assignment_mode: str
    created_at: datetime
    activated_at: datetime | None


class DeliverableOut(Schema):
    id: int
    mission_id: Id
    title: str
    owner_id: int | None
    internal_date: date | None
    announced_date: date | None
    status: str
    health: str
    delivered_at: datetime | None


class TaskOut(Schema):
    id: int
    mission_id: Id
    deliverable_id: int | None
    request_id: int | None
    title: str
    description: str
    required_role: str
    estimate_hours: Decimal | None
    due_date: date | None
    status: str
    assignee_id: int | None
    position: int
    created_at: datetime
    completed_at: datetime | None


class TaskIn(Strict):
    mission_id: Id
    title: str
    description: str = ""
    deliverable_id: Id | None = None
    required_role: str = ""
    estimate_hours: Decimal | None = None
    due_date: date | None = None


class TaskPatch(Strict):
    status: str | None = None
    assignee_id: Id | None = None
    unassign: bool = False


class TimeEntryOut(Schema):
    id: int
    mission_id: Id
    user_id: int
    deliverable_id: int | None
    task_id: int | None
    date: date
    hours: Decimal
    activity: str
    note: str
    locked: bool = Field(validation_alias="is_locked")
    created_at: datetime
    updated_at: datetime


class TimeEntryIn(Strict):
    mission_id: Id
    date: date
    hours: Decimal | None = None
    days: Decimal | None = None
    activity: str = "production"
    deliverable_id: Id | None = None
    task_id: Id | None = None
    note: str = ""


class RequestOut(Schema):
    id: int
    mission_id: Id
    contact_id: int | None
    source: str
    title: str
    body: str
    status: str
    created_at: datetime


class RequestIn(Strict):
    mission_id: Id
    title: str
    body: str = ""
    contact_id: Id | None = None


class SurveyAnswerOut(Schema):
    id: int
    survey_id: int
    contact_id: int
    score: int | None
    ranking: str
    appreciated: list[str]
    improvements: list[str]
    comment: str
    submitted_at: datetime | None


class FeedbackSummaryOut(Schema):
    mission_id: Id
    responses: int
    nps: Decimal | None
    average_score: Decimal | None
    answers: list[SurveyAnswerOut]


class Page(Schema, Generic[ItemT]):
    """One page of a list; `next_cursor` is null on the last page."""

    items: list[ItemT]
    next_cursor: str | None


class ProblemError(Schema):
    field: str | None
    message: str


class Problem(Schema):
    """An error, as RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemError] | None = None


PROBLEMS = {status: Problem for status in (400, 401, 403, 404, 413, 422, 429)}


def responses(status: int, schema) -> dict:
    return {status: schema, **PROBLEMS}


def list_responses(schema) -> dict:
    return {200: Page[schema], 304: None, **PROBLEMS}
