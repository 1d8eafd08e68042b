"""Background work of the missions app: the work the periodic jobs of `cordee/schedule.py` hand out."""

from datetime import datetime

from huey.contrib.djhuey import db_task

from cordee.missions.services.health import deliverables_health_refresh_ids
from cordee.missions.services.tasks import task_assignment_digest_send


@db_task()
def deliverables_health_refresh_task(ids: list[int]) -> int:
    return deliverables_health_refresh_ids(ids)


@db_task()
def task_assignment_digests_task(user_ids: list[int], cutoff: datetime) -> int:
    return sum(1 for user_id in user_ids if task_assignment_digest_send(user_id=user_id, cutoff=cutoff))
