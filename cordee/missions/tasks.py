"""Background work of the missions app: the per-item work of the periodic jobs in `cordee/schedule.py`."""

from datetime import datetime

from huey.contrib.djhuey import db_task

from cordee.missions.services.health import deliverables_health_refresh_ids
from cordee.missions.services.tasks import task_assignment_digest_send


@db_task()
def deliverables_health_refresh_task(ids: list[int]) -> int:
    return deliverables_health_refresh_ids(ids)


@db_task()
def task_assignment_digest_task(user_id: int, cutoff: datetime) -> bool:
    return task_assignment_digest_send(user_id=user_id, cutoff=cutoff)
