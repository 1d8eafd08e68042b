"""The asynchronous weekly ritual (seed, Conseil 2): each week the lead posts a short video explaining the
week's priorities, with a summary; the client is told by email and finds it in the portal.

Rules:

- one video per mission and week (the Monday of the week, in the collective's time zone); posting again
  for the same week edits it, and an edit does not notify the client again;
- only the lead and the collective's admins post, only for missions whose ritual is the weekly video;
- a new video is posted for this week or next week while the mission is active; an existing one can be
  corrected later (but not once the mission is closed);
- **reminder**: from Thursday 9:00 in the collective's time zone, when the current week has no video, the
  lead gets one reminder for that week. The tick runs every hour (Huey's crontab is in UTC and
  collectives live in different zones), so the reminder leaves at the first run at or after Thursday
  9:00 local time, and a run missed that day (worker down) is caught up later in the week, until Sunday.
  The outbox key ``video-reminder:<mission>:<week>`` makes it once per mission and week, whatever the
  restarts. Missions that are not active (draft, paused, delivered, closed), missions whose ritual is the
  weekly call, and missions activated after that Thursday 9:00 get none.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cordee.clients.models import ClientContact
from cordee.collectives.time import collective_today, collective_zone
from cordee.communication.models import RitualVideo
from cordee.communication.services.kickoff import portal_login_url, portal_url_for
from cordee.communication.services.previews import PreviewKind
from cordee.core.models import OutboundEmail
from cordee.core.outbox import email_enqueue
from cordee.missions.access import mission_for
from cordee.missions.models import Mission, MissionEvent
from cordee.missions.services.history import mission_event_record

SUMMARY_MAX_LENGTH = 3000
VIDEO_LINK_MAX_LENGTH = RitualVideo._meta.get_field("video_link").max_length
# The reminder is due from this moment of the week, in the collective's time zone.
REMINDER_WEEKDAY = 3  # Thursday
REMINDER_TIME = time(9, 0)

validate_http_url = URLValidator(schemes=["http", "https"])


def week_start_of(day: date) -> date:
    """The Monday of the week of ``day``."""
    return day - timedelta(days=day.weekday())


def clean_video_link(value: str) -> str:
    """A web address (http or https only): the client opens it in a browser."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Paste the link to the video."), code="required")
    if len(value) > VIDEO_LINK_MAX_LENGTH:
        raise ValidationError(
            _("The link is too long (at most %(count)d characters).") % {"count": VIDEO_LINK_MAX_LENGTH},
            code="max_length",
        )
    try:
        validate_http_url(value)
    except ValidationError:
        raise ValidationError(
            _("Give a web address starting with https:// (or http://), such as a Loom or YouTube link."),
            code="invalid",
        ) from None
    return value


def clean_summary(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Sum up the week's priorities in a few lines."), code="required")
    if len(value) > SUMMARY_MAX_LENGTH:
        raise ValidationError(
            _("Keep the summary short: at most %(count)d characters.") % {"count": SUMMARY_MAX_LENGTH},
            code="max_length",
        )
    return value


def postable_weeks(*, mission: Mission, today: date | None = None) -> list[date]:
    """The weeks a new video can be posted for: this week and next week."""
    today = today or collective_today(mission.collective)
    this_week = week_start_of(today)
    return [this_week, this_week + timedelta(days=7)]


def video_contacts(*, mission: Mission) -> QuerySet:
    """Who is told of a new video: the client's contacts who follow the project, as for the recaps
    (sponsors and project contacts; not the finance ones)."""
    return (
        ClientContact.objects.current()
        .filter(collective_id=mission.collective_id, client_id=mission.client_id)
        .exclude(role=ClientContact.Role.FINANCE)
        .order_by("full_name", "pk")
    )


def ritual_video_post(
    *, mission: Mission, week_start: date, video_link: str, summary: str, by
) -> RitualVideo:
    """Post the week's video, or edit it when the week already has one.

    Raises AccessDenied for someone other than the lead or an admin, ValidationError (with field
    errors ``video_link``, ``summary``, ``week_start``) for a bad input or a mission that does not take
    videos. A new video emails every client contact in their language, from the collective's
    notification address, with the lead as reply-to (once per video and contact); an edit notifies
    no one. The returned video carries ``created`` (bool) and ``notified`` (number of contacts emailed).
    """
    mission_for(by, mission.pk, manage=True)
    week_start = week_start_of(week_start)
    errors = {}
    try:
        video_link = clean_video_link(video_link)
    except ValidationError as error:
        errors["video_link"] = error
    try:
        summary = clean_summary(summary)
    except ValidationError as error:
        errors["summary"] = error
    if mission.ritual_kind != Mission.RitualKind.ASYNC_VIDEO:
        raise ValidationError(
            _(
                "This mission's weekly ritual is a call: switch it to a weekly video in the mission's settings."
            ),
            code="not_async",
        )
    existing = RitualVideo.objects.filter(mission=mission, week_start=week_start).first()
    if existing is None:
        if mission.status != Mission.Status.ACTIVE:
            raise ValidationError(
                _("Weekly videos are posted while the mission is active (it is %(status)s).")
                % {"status": mission.get_status_display().lower()},
                code="not_active",
            )
        if week_start not in postable_weeks(mission=mission):
            errors["week_start"] = ValidationError(
                _("Post the video for this week or next week."), code="week"
            )
    elif mission.status in (Mission.Status.DRAFT, Mission.Status.CLOSED):
        raise ValidationError(_("The mission is closed: its videos can no longer change."), code="closed")
    if errors:
        raise ValidationError(errors)

    with transaction.atomic():
        video, created = existing, False
        if video is None:
            try:
                with transaction.atomic():
                    video = RitualVideo.objects.create(
                        collective_id=mission.collective_id,
                        mission=mission,
                        week_start=week_start,
                        video_link=video_link,
                        summary=summary,
                        posted_by=by,
                    )
                    created = True
            except IntegrityError:
                # Posted at the same moment by someone else (double submission): this post edits it.
                video = RitualVideo.objects.get(mission=mission, week_start=week_start)
        if not created:
            RitualVideo.objects.filter(pk=video.pk).update(video_link=video_link, summary=summary)
            video.video_link, video.summary = video_link, summary
        video.created = created
        video.notified = _notify_contacts(video=video, mission=mission) if created else 0
        if created:
            mission_event_record(
                mission=mission,
                kind=MissionEvent.Kind.RITUAL_VIDEO_POSTED,
                actor=by,
                summary=ngettext(
                    "Weekly video of the week of %(date)s, sent to %(count)d contact",
                    "Weekly video of the week of %(date)s, sent to %(count)d contacts",
                    video.notified,
                )
                % {"date": date_format(week_start, "DATE_FORMAT"), "count": video.notified},
                data={"video_id": video.pk, "week_start": week_start.isoformat(), "notified": video.notified},
            )
    return video


TEMPLATE = "communication/emails/ritual_video"


def ritual_video_email_context(*, video: RitualVideo, mission: Mission, contact, portal_url: str) -> dict:
    return {
        "collective": mission.collective,
        "mission": mission,
        "contact": contact,
        "lead": mission.lead,
        "video": video,
        "portal_url": portal_url,
    }


def _notify_contacts(*, video: RitualVideo, mission: Mission) -> int:
    collective = mission.collective
    lead = mission.lead
    count = 0
    for contact in video_contacts(mission=mission):
        email_enqueue(
            key=f"video:{video.pk}:{contact.pk}",
            to=contact.email,
            template=TEMPLATE,
            # The contact's own way into the portal (a magic link), as the recaps do.
            context=ritual_video_email_context(
                video=video, mission=mission, contact=contact, portal_url=portal_url_for(contact)
            ),
            language=contact.language or settings.LANGUAGE_CODE,
            sender=collective.notification_sender(),
            reply_to=lead.email,
            collective=collective,
        )
        count += 1
    return count


# --- Reads ---------------------------------------------------------------------------------------------


def ritual_videos_of(*, mission: Mission) -> QuerySet:
    """The mission's videos, most recent week first, with who posted them (for the team's page)."""
    return (
        RitualVideo.objects.filter(collective_id=mission.collective_id, mission=mission)
        .select_related("posted_by")
        .order_by("-week_start", "-pk")
    )


def ritual_videos_for_portal(mission: Mission) -> QuerySet:
    """What the client sees in the portal: the week, the link and the summary of every video, most recent
    first. Nothing else (no poster, no internal data) is loaded."""
    return (
        RitualVideo.objects.filter(collective_id=mission.collective_id, mission=mission)
        .only("pk", "mission_id", "collective_id", "week_start", "video_link", "summary", "posted_at")
        .order_by("-week_start", "-pk")
    )


@dataclass(frozen=True)
class WeekStatus:
    week_start: date
    video: RitualVideo | None
    reminder_at: datetime  # when the lead is reminded if the week still has no video
    reminder_passed: bool


def week_status(*, mission: Mission, now: datetime | None = None) -> WeekStatus:
    now = now or timezone.now()
    zone = collective_zone(mission.collective)
    week_start = week_start_of(timezone.localtime(now, zone).date())
    video = RitualVideo.objects.filter(mission=mission, week_start=week_start).first()
    reminder_at = reminder_due_at(week_start, zone)
    return WeekStatus(
        week_start=week_start, video=video, reminder_at=reminder_at, reminder_passed=now >= reminder_at
    )


def reminder_due_at(week_start: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(week_start + timedelta(days=REMINDER_WEEKDAY), REMINDER_TIME, tzinfo=zone)


# --- Reminder ------------------------------------------------------------------------------------------


def ritual_video_reminders_due(*, now: datetime | None = None) -> list[tuple[int, date]]:
    """(mission id, week start) of every reminder due now and not sent yet: three queries whatever the
    number of missions. Each is sent by `ritual_video_reminder_send` (one worker task each)."""
    now = now or timezone.now()
    # Plain values, not model instances: building 10,000 instances costs more than the rest of the tick.
    missions = [
        SimpleNamespace(
            pk=pk,
            activated_at=activated_at,
            start_date=start_date,
            collective=SimpleNamespace(time_zone=time_zone),
        )
        for pk, activated_at, start_date, time_zone in Mission.objects.filter(
            status=Mission.Status.ACTIVE, ritual_kind=Mission.RitualKind.ASYNC_VIDEO, lead__is_active=True
        )
        .order_by("pk")
        .values_list("pk", "activated_at", "start_date", "collective__time_zone")
    ]
    due: list[tuple[Mission, date]] = []
    for mission in missions:
        zone = collective_zone(mission.collective)
        local_now = timezone.localtime(now, zone)
        week_start = week_start_of(local_now.date())
        due_at = reminder_due_at(week_start, zone)
        if now < due_at:
            continue
        if mission.activated_at and mission.activated_at > due_at:
            continue
        if not mission.activated_at and mission.start_date > due_at.date():
            continue
        due.append((mission, week_start))
    if not due:
        return []
    posted = set(
        RitualVideo.objects.filter(
            mission_id__in=[mission.pk for mission, _week in due],
            week_start__in={week for _mission, week in due},
        ).values_list("mission_id", "week_start")
    )
    missing = {
        reminder_key(mission, week_start): (mission.pk, week_start)
        for mission, week_start in due
        if (mission.pk, week_start) not in posted
    }
    if not missing:
        return []
    already_sent = set(
        OutboundEmail.objects.filter(idempotency_key__in=list(missing)).values_list(
            "idempotency_key", flat=True
        )
    )
    return [item for key, item in missing.items() if key not in already_sent]


def ritual_video_reminder_send(*, mission_id: int, week_start: date) -> bool:
    """Remind one lead, unless the video was posted or the mission stopped meanwhile (the key sends once)."""
    mission = (
        Mission.objects.filter(
            pk=mission_id,
            status=Mission.Status.ACTIVE,
            ritual_kind=Mission.RitualKind.ASYNC_VIDEO,
            lead__is_active=True,
        )
        .select_related("collective", "lead")
        .first()
    )
    if mission is None or RitualVideo.objects.filter(mission=mission, week_start=week_start).exists():
        return False
    _remind_lead(key=reminder_key(mission, week_start), mission=mission, week_start=week_start)
    return True


def ritual_video_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the lead of every active weekly-video mission whose current week has no video, once the
    reminder is due (see the module's docstring). Returns the number of reminders enqueued by this run."""
    return sum(
        1
        for mission_id, week_start in ritual_video_reminders_due(now=now)
        if ritual_video_reminder_send(mission_id=mission_id, week_start=week_start)
    )


def reminder_key(mission: Mission, week_start: date) -> str:
    return f"video-reminder:{mission.pk}:{week_start.isoformat()}"


def _remind_lead(*, key: str, mission: Mission, week_start: date) -> None:
    collective, lead = mission.collective, mission.lead
    email_enqueue(
        key=key,
        to=lead.email,
        template="communication/emails/ritual_video_reminder",
        context={
            "collective": collective,
            "mission": mission,
            "lead": lead,
            "week_start": week_start,
            "post_url": settings.BASE_URL
            + reverse("communication:ritual_videos", args=[collective.slug, mission.pk]),
        },
        language=lead.language or settings.LANGUAGE_CODE,
        sender=collective.notification_sender(),
        collective=collective,
    )


# --- Preview -------------------------------------------------------------------------------------------


def email_previews():
    """The client's weekly video email, for the previews page (nothing is saved, no magic link made)."""

    def build(mission, contact, params):
        video = ritual_videos_of(mission=mission).first() or RitualVideo(
            collective_id=mission.collective_id,
            mission=mission,
            week_start=week_start_of(collective_today(mission.collective)),
            video_link="https://www.loom.com/share/example",
            summary=str(gettext_lazy("This week: the priorities in a few lines.\nNext: what comes after.")),
        )
        return TEMPLATE, ritual_video_email_context(
            video=video, mission=mission, contact=contact, portal_url=portal_login_url()
        )

    return [
        PreviewKind(
            "ritual_video",
            gettext_lazy("Weekly video"),
            gettext_lazy(
                "When you post the week's video (missions with a weekly video ritual), to every contact but "
                "finance; the latest video, or an example."
            ),
            build,
            template=TEMPLATE,
        )
    ]
