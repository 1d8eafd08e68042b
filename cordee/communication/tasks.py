"""Background work of the communication app: the per-mission work of the periodic jobs in `cordee/schedule.py`."""

from datetime import date

from huey.contrib.djhuey import db_task

from cordee.communication.services.recaps import recap_auto_send, recap_slot_draft
from cordee.communication.services.ritual_videos import ritual_video_reminder_send


@db_task()
def recap_slot_draft_task(mission_id: int, slot_date: date) -> bool:
    return recap_slot_draft(mission_id=mission_id, slot_date=slot_date)


@db_task()
def recap_auto_send_task(recap_id: int) -> bool:
    return recap_auto_send(recap_id=recap_id)


@db_task()
def ritual_video_reminder_task(mission_id: int, week_start: date) -> bool:
    return ritual_video_reminder_send(mission_id=mission_id, week_start=week_start)
