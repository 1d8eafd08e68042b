"""Tasks of a mission and who does them, in the mission's assignment mode (seed, "Se répartir les tâches").

Three modes, enforced here whatever the caller (view, API, portal):

- *lead assigns*: only the lead and the collective's admins assign, reassign and unassign; team
  members move their own tasks between statuses;
- *self-service*: any team member takes an unassigned task or releases their own; the lead and the
  admins can still assign;
- *by role*: a task that needs a role goes automatically to the team member holding it, the least
  loaded when several do; the lead and the admins can reassign.

A forbidden action raises `AccessDenied` and changes nothing. Every change of assignee is recorded
as a `TaskAssignment`; the rows not yet sent feed the assignees' daily digest.
"""

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.accounts.models import User
from cordee.core.access import AccessDenied
from cordee.core.models import OutboundEmail
from cordee.core.outbox import email_enqueue
from cordee.missions.access import can_manage, mission_membership_for
from cordee.missions.models import ClientRequest, Deliverable, Mission, MissionMember, Task, TaskAssignment

Mode = Mission.AssignmentMode

# The daily digest of new assignments goes out at 8:00, Paris time.
DIGEST_TIME_ZONE = ZoneInfo("Europe/Paris")
DIGEST_TIME = time(8, 0)


class _Keep:
    """Marks an argument the caller leaves as it is (distinct from None, which means "nobody")."""

    def __repr__(self):
        return "KEEP"


KEEP = _Keep()


def role_key(role: str) -> str:
    """How roles are compared: spaces collapsed, case ignored (accents included: "Développeur")."""
    return " ".join((role or "").split()).casefold()


@dataclass(frozen=True)
class TaskActor:
    """What one user may do with the tasks of one mission."""

    user_id: int | None
    mode: str
    is_manager: bool = False  # the mission's lead or an admin of the collective
    is_team_member: bool = False

    @property
    def is_member(self) -> bool:
        return self.is_manager or self.is_team_member

    def can_create(self) -> bool:
        """The lead organises the work; in the horizontal modes the team lists tasks too."""
        return self.is_manager or (self.is_team_member and self.mode != Mode.LEAD_ASSIGNS)

    def can_edit(self, task: Task) -> bool:
        if self.is_manager:
            return True
        if not self.is_team_member:
            return False
        return self.mode != Mode.LEAD_ASSIGNS or task.assignee_id == self.user_id

    def can_assign(self) -> bool:
        return self.is_manager

    def can_move(self, task: Task) -> bool:
        return self.is_manager or (self.is_team_member and task.assignee_id == self.user_id)

    def can_take(self, task: Task) -> bool:
        return (
            self.mode == Mode.SELF_SERVICE
            and self.is_team_member
            and task.assignee_id is None
            and task.status != Task.Status.DONE
        )

    def can_release(self, task: Task) -> bool:
        return self.mode == Mode.SELF_SERVICE and self.is_team_member and task.assignee_id == self.user_id


def task_actor(*, mission: Mission, user) -> TaskActor:
    """The user's rights on the mission's tasks, read from the database (never from a stale request).

    Someone who is not an active member of the mission's collective is refused here (`AccessDenied`).
    """
    mission, membership = mission_membership_for(user, mission.pk)
    return TaskActor(
        user_id=user.pk,
        mode=mission.assignment_mode,
        is_manager=can_manage(membership, mission),
        is_team_member=MissionMember.objects.filter(
            mission=mission, user=user, user__is_active=True
        ).exists(),
    )


def task_actor_for(*, mission: Mission, membership, team_user_ids) -> TaskActor:
    """The same rights, from what a page already loaded (the viewer's membership and the team)."""
    return TaskActor(
        user_id=membership.user_id,
        mode=mission.assignment_mode,
        is_manager=can_manage(membership, mission),
        is_team_member=membership.user_id in set(team_user_ids),
    )


# ---------------------------------------------------------------------------------------------------
# Checks shared by the use cases


def _forbid(message: str):
    raise AccessDenied(message)


def _forbid_self_service(actor: TaskActor):
    """Taking and releasing tasks: only in self-service mode, only for the mission's team."""
    if actor.mode == Mode.LEAD_ASSIGNS:
        _forbid(_("In this mission, the lead assigns the tasks."))
    if actor.mode == Mode.BY_ROLE:
        _forbid(_("In this mission, tasks go to the member holding their role; the lead can reassign them."))
    if not actor.is_team_member:
        _forbid(_("Only the mission's team can take or release tasks."))


def _check_deliverable(*, mission: Mission, deliverable) -> None:
    if deliverable is not None and (
        deliverable.mission_id != mission.pk or deliverable.collective_id != mission.collective_id
    ):
        raise ValidationError(
            {"deliverable": _("Choose a deliverable of this mission.")}, code="deliverable_other_mission"
        )


def _check_assignee(*, mission: Mission, assignee) -> None:
    if assignee is None:
        return
    if not MissionMember.objects.filter(
        mission=mission,
        user=assignee,
        user__is_active=True,
        user__memberships__collective=mission.collective_id,
        user__memberships__archived_at__isnull=True,
    ).exists():
        raise ValidationError(
            {"assignee": _("Only a member of the mission's team can be given a task.")},
            code="assignee_not_in_team",
        )


def _check_estimate(estimate_hours) -> None:
    if estimate_hours is not None and Decimal(estimate_hours) < 0:
        raise ValidationError({"estimate_hours": _("An estimate cannot be negative.")}, code="negative")


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError({"title": _("Give the task a title.")}, code="required")
    return title


def _next_position(*, mission_id: int, status: str) -> int:
    last = Task.objects.filter(mission_id=mission_id, status=status).aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _record_assignment(*, task: Task, from_user_id, to_user_id, by) -> TaskAssignment:
    return TaskAssignment.objects.create(
        collective_id=task.collective_id,
        task=task,
        from_user_id=from_user_id,
        to_user_id=to_user_id,
        changed_by=by if by is not None and by.is_authenticated else None,
    )


def _set_assignee(*, task: Task, assignee_id, by) -> bool:
    """Give the task to `assignee_id` (None: nobody) from its current assignee in the database."""
    current = Task.objects.filter(pk=task.pk).values_list("assignee_id", flat=True).first()
    if current == assignee_id:
        task.assignee_id = assignee_id
        return False
    Task.objects.filter(pk=task.pk).update(assignee_id=assignee_id)
    _record_assignment(task=task, from_user_id=current, to_user_id=assignee_id, by=by)
    task.assignee_id = assignee_id  # also forgets the cached previous assignee
    return True


# ---------------------------------------------------------------------------------------------------
# Auto-assignment by role


def task_role_holders(*, mission: Mission, role: str) -> list[MissionMember]:
    """The active team members whose role on the mission is `role` (compared without case)."""
    key = role_key(role)
    if not key:
        return []
    members = MissionMember.objects.filter(
        mission=mission,
        user__is_active=True,
        user__memberships__collective=mission.collective_id,
        user__memberships__archived_at__isnull=True,
    ).select_related("user")
    return [member for member in members if role_key(member.role) == key]


def open_load_by_user(*, collective_id: int, user_ids) -> dict[int, tuple[Decimal, int]]:
    """Open estimated hours and open task count of each user, across the collective's missions."""
    rows = (
        Task.objects.filter(collective_id=collective_id, assignee_id__in=list(user_ids))
        .exclude(status=Task.Status.DONE)
        .order_by()
        .values("assignee_id")
        .annotate(hours=Sum("estimate_hours"), count=Count("pk"))
    )
    return {row["assignee_id"]: (row["hours"] or Decimal("0"), row["count"]) for row in rows}


def task_role_holder(*, mission: Mission, role: str, exclude_task: Task | None = None):
    """The team member who should get a task needing `role`, or None when nobody holds it.

    Among several holders, the least loaded (open estimated hours across the collective's missions)
    wins; then the one with fewer open tasks; then by name.
    """
    holders = [member.user for member in task_role_holders(mission=mission, role=role)]
    if len(holders) <= 1:
        return holders[0] if holders else None
    loads = open_load_by_user(collective_id=mission.collective_id, user_ids=[user.pk for user in holders])
    if exclude_task is not None and exclude_task.assignee_id in loads and exclude_task.is_open:
        # The task being reassigned does not count against its current assignee.
        hours, count = loads[exclude_task.assignee_id]
        loads[exclude_task.assignee_id] = (hours - (exclude_task.estimate_hours or 0), count - 1)

    def rank(user):
        hours, count = loads.get(user.pk, (Decimal("0"), 0))
        return (hours, count, user.display_name.casefold(), user.pk)

    return min(holders, key=rank)


def _auto_assign(*, task: Task, mission: Mission, by) -> bool:
    """By-role mode: give the task to the holder of its role (or to nobody when nobody holds it)."""
    holder = task_role_holder(mission=mission, role=task.required_role, exclude_task=task)
    return _set_assignee(task=task, assignee_id=holder.pk if holder else None, by=by)


# ---------------------------------------------------------------------------------------------------
# Use cases


@transaction.atomic
def task_create(
    *,
    mission: Mission,
    by,
    title: str,
    description: str = "",
    deliverable: Deliverable | None = None,
    required_role: str = "",
    estimate_hours: Decimal | None = None,
    due_date=None,
    assignee=KEEP,
    request: ClientRequest | None = None,
) -> Task:
    """Add a task to the mission's "to do" column.

    `assignee` is an explicit choice (a user, or None for nobody) that only the lead and the admins may
    make; left out, the mode decides: in by-role mode a task needing a role goes to its holder.
    """
    actor = task_actor(mission=mission, user=by)
    if not actor.can_create():
        _forbid(_("Only the lead of the mission can add tasks in this mission's mode."))
    explicit = assignee is not KEEP
    if explicit and assignee is not None and not actor.can_assign():
        _forbid(_("Only the lead of the mission can assign tasks."))
    _check_deliverable(mission=mission, deliverable=deliverable)
    _check_estimate(estimate_hours)
    if explicit:
        _check_assignee(mission=mission, assignee=assignee)
    if request is not None and request.mission_id != mission.pk:
        raise ValidationError(_("This request belongs to another mission."), code="request_other_mission")
    task = Task.objects.create(
        collective_id=mission.collective_id,
        mission=mission,
        deliverable=deliverable,
        request=request,
        title=_clean_title(title),
        description=description.strip(),
        required_role=" ".join(required_role.split()),
        estimate_hours=estimate_hours,
        due_date=due_date,
        position=_next_position(mission_id=mission.pk, status=Task.Status.TODO),
        created_by=by,
    )
    if explicit:
        _set_assignee(task=task, assignee_id=assignee.pk if assignee else None, by=by)
    elif mission.assignment_mode == Mode.BY_ROLE and task.required_role:
        _auto_assign(task=task, mission=mission, by=by)
    if request is not None:
        client_request_sync_status(request_id=request.pk)
    return task


UPDATABLE_FIELDS = ["title", "description", "deliverable", "required_role", "estimate_hours", "due_date"]


@transaction.atomic
def task_update(
    *,
    task: Task,
    by,
    title: str,
    description: str = "",
    deliverable: Deliverable | None = None,
    required_role: str = "",
    estimate_hours: Decimal | None = None,
    due_date=None,
    assignee=KEEP,
) -> Task:
    """Change a task's details. In by-role mode a new role sends the task to that role's holder,
    unless the lead picks the assignee in the same change.

    Rights and the previous role are read from the database: `task` may hold unsaved values (a form
    fills its instance in while validating).
    """
    mission = task.mission
    stored = Task.objects.select_for_update().get(pk=task.pk, mission=mission)
    actor = task_actor(mission=mission, user=by)
    if not actor.can_edit(stored):
        _forbid(_("You cannot change this task."))
    explicit = assignee is not KEEP
    if explicit and not actor.can_assign():
        _forbid(_("Only the lead of the mission can assign tasks."))
    _check_deliverable(mission=mission, deliverable=deliverable)
    _check_estimate(estimate_hours)
    if explicit:
        _check_assignee(mission=mission, assignee=assignee)
    required_role = " ".join(required_role.split())
    role_changed = role_key(required_role) != role_key(stored.required_role)
    stored.title = _clean_title(title)
    stored.description = description.strip()
    stored.deliverable = deliverable
    stored.required_role = required_role
    stored.estimate_hours = estimate_hours
    stored.due_date = due_date
    stored.save(update_fields=UPDATABLE_FIELDS)
    if explicit:
        _set_assignee(task=stored, assignee_id=assignee.pk if assignee else None, by=by)
    elif role_changed and required_role and mission.assignment_mode == Mode.BY_ROLE and stored.is_open:
        _auto_assign(task=stored, mission=mission, by=by)
    for name in (*UPDATABLE_FIELDS, "assignee_id", "status"):
        setattr(task, name, getattr(stored, name))
    return task


@transaction.atomic
def task_assign(*, task: Task, assignee, by) -> bool:
    """The lead (or an admin) gives the task to a team member, or to nobody with None.

    Returns False when the task already had that assignee.
    """
    actor = task_actor(mission=task.mission, user=by)
    if not actor.can_assign():
        _forbid(_("Only the lead of the mission can assign tasks."))
    _check_assignee(mission=task.mission, assignee=assignee)
    return _set_assignee(task=task, assignee_id=assignee.pk if assignee else None, by=by)


@transaction.atomic
def task_take(*, task: Task, by) -> None:
    """Self-service: a team member takes an unassigned, open task ("I'll take it")."""
    _forbid_self_service(task_actor(mission=task.mission, user=by))
    # Conditional update: of two members clicking at the same time, only one gets the task.
    taken = (
        Task.objects.filter(pk=task.pk, assignee__isnull=True)
        .exclude(status=Task.Status.DONE)
        .update(assignee_id=by.pk)
    )
    if taken != 1:
        task.refresh_from_db(fields=["assignee", "status"])
        if task.status == Task.Status.DONE:
            _forbid(_("This task is already done."))
        _forbid(_("Someone already took this task."))
    _record_assignment(task=task, from_user_id=None, to_user_id=by.pk, by=by)
    task.assignee = by


@transaction.atomic
def task_release(*, task: Task, by) -> None:
    """Self-service: a team member gives back a task they had taken."""
    _forbid_self_service(task_actor(mission=task.mission, user=by))
    released = Task.objects.filter(pk=task.pk, assignee_id=by.pk).update(assignee_id=None)
    if released != 1:
        _forbid(_("This task is not yours to release."))
    _record_assignment(task=task, from_user_id=by.pk, to_user_id=None, by=by)
    task.assignee = None


@transaction.atomic
def task_move(*, task: Task, status: str, by) -> bool:
    """Move a task to another column (to do, doing, review, done), at the bottom of it.

    The lead and the admins move any task; a team member moves their own. Done sets `completed_at`,
    leaving done clears it. Returns False when the task was already there.
    """
    if status not in Task.Status.values:
        raise ValidationError(_("Choose a valid status."), code="invalid_status")
    actor = task_actor(mission=task.mission, user=by)
    current = Task.objects.filter(pk=task.pk).values("status", "assignee_id").first()
    if current is None:
        raise Task.DoesNotExist
    task.status, task.assignee_id = current["status"], current["assignee_id"]
    if not actor.can_move(task):
        _forbid(_("Only the lead of the mission or the task's assignee can move it."))
    if task.status == status:
        return False
    was_done = task.status == Task.Status.DONE
    task.status = status
    task.position = _next_position(mission_id=task.mission_id, status=status)
    if status == Task.Status.DONE:
        task.completed_at = timezone.now()
    elif was_done:
        task.completed_at = None
    task.save(update_fields=["status", "position", "completed_at"])
    if task.request_id and (was_done or status == Task.Status.DONE):
        client_request_sync_status(request_id=task.request_id)
    return True


@transaction.atomic
def task_reorder(*, task: Task, direction: str, by) -> bool:
    """Move a task one place up or down within its column. Returns False at either end."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Choose up or down."), code="invalid_direction")
    actor = task_actor(mission=task.mission, user=by)
    task.refresh_from_db(fields=["status", "assignee", "position"])
    if not actor.can_move(task):
        _forbid(_("Only the lead of the mission or the task's assignee can move it."))
    column = list(
        Task.objects.filter(mission_id=task.mission_id, status=task.status)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )
    index = column.index(task.pk)
    target = index - 1 if direction == "up" else index + 1
    if not 0 <= target < len(column):
        return False
    column[index], column[target] = column[target], column[index]
    for position, pk in enumerate(column):
        Task.objects.filter(pk=pk).exclude(position=position).update(position=position)
    task.position = target
    return True


@transaction.atomic
def task_place(*, task: Task, status: str, before_id: int | None, by) -> bool:
    """Put a task in a column just above the card `before_id` (None: at the bottom), as a drop does.

    The move itself goes through `task_move` (same rights, same completion rules); then the column is
    renumbered. The done column keeps its own order (most recently finished first), so a place there
    is only a move. Returns False when nothing changed.
    """
    moved = task_move(task=task, status=status, by=by)
    if status == Task.Status.DONE:
        return moved
    column = list(
        Task.objects.filter(mission_id=task.mission_id, status=status)
        .order_by("position", "pk")
        .only("position")
    )
    placed = next(other for other in column if other.pk == task.pk)
    column.remove(placed)
    index = next((number for number, other in enumerate(column) if other.pk == before_id), len(column))
    column.insert(index, placed)
    changed = []
    for position, other in enumerate(column):
        if other.position != position:
            other.position = position
            changed.append(other)
    Task.objects.bulk_update(changed, ["position"])
    task.position = index
    return moved or bool(changed)


@transaction.atomic
def task_delete(*, task: Task, by) -> None:
    """The lead (or an admin) deletes a task added by mistake; one with logged time is kept (move it to
    done instead), so that the time stays tied to its work."""
    actor = task_actor(mission=task.mission, user=by)
    if not actor.can_assign():
        _forbid(_("Only the lead of the mission can delete tasks."))
    if task.time_entries.exists():
        raise ValidationError(
            _("Time was logged on this task: move it to done instead of deleting it."), code="has_time"
        )
    request_id = task.request_id
    task.delete()
    if request_id:
        client_request_sync_status(request_id=request_id)


# ---------------------------------------------------------------------------------------------------
# Client requests follow their tasks


def client_request_sync_status(*, request_id: int) -> str:
    """A request turned into tasks is done when all its tasks are; back to planned if one reopens."""
    request = ClientRequest.objects.filter(pk=request_id).first()
    if request is None or request.status in (ClientRequest.Status.NEW, ClientRequest.Status.DECLINED):
        return request.status if request else ""
    counts = Task.objects.filter(request_id=request_id).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(status=Task.Status.DONE))
    )
    status = (
        ClientRequest.Status.DONE
        if counts["total"] and counts["total"] == counts["done"]
        else ClientRequest.Status.PLANNED
    )
    if status != request.status:
        ClientRequest.objects.filter(pk=request_id).update(status=status)
    return status


# ---------------------------------------------------------------------------------------------------
# Daily digest of new assignments


def digest_cutoff(now: datetime) -> datetime:
    """The last 8:00 in Paris at or before `now`: a digest covers the assignments made before it."""
    local = timezone.localtime(now, DIGEST_TIME_ZONE)
    day = local.date() if local.time() >= DIGEST_TIME else local.date() - timedelta(days=1)
    return datetime.combine(day, DIGEST_TIME, tzinfo=DIGEST_TIME_ZONE)


def task_assignment_digest_recipients(*, now: datetime | None = None) -> tuple[datetime, list[int]]:
    """(the digest's cutoff, the users with unsent assignments made before it): one query whatever the
    number of recipients. Each digest is sent by `task_assignment_digest_send` (one worker task each)."""
    now = now or timezone.now()
    cutoff = digest_cutoff(now)
    recipients = (
        TaskAssignment.objects.filter(
            digest_sent_at__isnull=True, to_user__isnull=False, changed_at__lt=cutoff
        )
        .order_by("to_user_id")
        .values_list("to_user_id", flat=True)
        .distinct()
    )
    return cutoff, list(recipients)


def task_assignment_digests_send(*, now: datetime | None = None) -> int:
    """Send each assignee one email listing the tasks given to them since their last digest.

    Safe to run any number of times and from concurrent workers: the rows are claimed with a
    conditional update, and each email's key is the recipient and the digest's date. Returns the
    number of emails enqueued.
    """
    cutoff, user_ids = task_assignment_digest_recipients(now=now)
    return sum(1 for user_id in user_ids if task_assignment_digest_send(user_id=user_id, cutoff=cutoff))


def task_assignment_digest_send(*, user_id: int, cutoff: datetime) -> bool:
    """One assignee's digest of the assignments made before `cutoff`; False when there is nothing to send."""
    return _digest_send_one(user_id=user_id, cutoff=cutoff)


def _digest_send_one(*, user_id: int, cutoff: datetime) -> bool:
    key = f"digest:{user_id}:{cutoff.date().isoformat()}"
    with transaction.atomic():
        if OutboundEmail.objects.filter(idempotency_key=key).exists():
            # Today's digest already went out: what arrived after it waits for tomorrow's.
            return False
        claimed_at = timezone.now()
        claimed = TaskAssignment.objects.filter(
            to_user_id=user_id, digest_sent_at__isnull=True, changed_at__lt=cutoff
        ).update(digest_sent_at=claimed_at)
        if not claimed:
            return False  # another worker claimed them first
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            return False
        rows = (
            TaskAssignment.objects.filter(to_user_id=user_id, digest_sent_at=claimed_at)
            .exclude(changed_by_id=user_id)  # what they took themselves needs no email
            .filter(task__assignee_id=user_id)  # given to someone else since: not theirs any more
            .filter(
                task__mission__collective__memberships__user_id=user_id,
                task__mission__collective__memberships__archived_at__isnull=True,
            )
            .select_related("task__mission__collective", "task__deliverable", "changed_by")
            .order_by("task__mission__collective__name", "task__mission__title", "task__position", "task_id")
        )
        groups = _digest_groups(rows)
        if not groups:
            return False
        collectives = {group["mission"].collective_id: group["collective"] for group in groups}
        collective = next(iter(collectives.values())) if len(collectives) == 1 else None
        email_enqueue(
            key=key,
            to=user.email,
            template="missions/emails/assignment_digest",
            context={
                "recipient": user,
                "groups": groups,
                "task_count": sum(len(group["tasks"]) for group in groups),
                "collective": collective,
                "my_work_url": settings.BASE_URL + reverse("missions:my_work"),
            },
            language=user.language,
            sender=collective.notification_sender() if collective else None,
            collective=collective,
        )
    return True


def _digest_groups(rows) -> list[dict]:
    """The tasks of the digest by mission, each task once (with who gave it last)."""
    missions: OrderedDict[int, dict] = OrderedDict()
    for row in rows:
        task = row.task
        mission = task.mission
        group = missions.get(mission.pk)
        if group is None:
            board_url = settings.BASE_URL + reverse(
                "missions:board", args=[mission.collective.slug, mission.pk]
            )
            group = missions[mission.pk] = {
                "mission": mission,
                "collective": mission.collective,
                "board_url": f"{board_url}?who=mine",
                "tasks": OrderedDict(),
            }
        group["tasks"][task.pk] = {
            "task": task,
            "assigned_by": row.changed_by,
            "url": f"{group['board_url']}#task-{task.pk}",
        }
    return [{**group, "tasks": list(group["tasks"].values())} for group in missions.values()]
