"""Background work of the communication app: the work the periodic jobs of `cordee/schedule.py` hand out.

Each task takes a batch of missions and does each one in its own transaction."""

from datetime import date

from huey.contrib.djhuey import db_task

from cordee.communication.services.recaps import recap_auto_send, recap_slot_draft
from cordee.communication.services.ritual_videos import ritual_video_reminder_send


@db_task()
def recap_slot_drafts_task(slots: list[tuple[int, date]]) -> int:
    return sum(
        1 for mission_id, slot_date in slots if recap_slot_draft(mission_id=mission_id, slot_date=slot_date)
    )


@db_task()
def recap_auto_sends_task(recap_ids: list[int]) -> int:
    return sum(1 for recap_id in recap_ids if recap_auto_send(recap_id=recap_id))


@db_task()
def ritual_video_reminders_task(weeks: list[tuple[int, date]]) -> int:
    return sum(
        1
        for mission_id, week_start in weeks
        if ritual_video_reminder_send(mission_id=mission_id, week_start=week_start)
    )
