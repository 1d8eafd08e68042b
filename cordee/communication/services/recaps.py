"""Progress recaps for the client, 1 or 2 a week (seed, Conseil 2: « sur-communiquez »).

The system drafts each recap from what changed since the previous one; the lead reviews, edits and
sends it (or skips it); when the collective allows it, an untouched draft goes out by itself.

Drafting is split in two:

- `recap_text(data)` and the functions it uses are pure: from a `RecapData` (plain values), the
  subject, the body (plain text, editable) and whether the announced dates hold. Everything the
  client reads is in client words: a status, "on track for 14 March", "we are watching it closely",
  the announced dates; never an internal date, a task due date, hours or a health reason.
- `recap_data_load(...)` reads the mission (a fixed number of queries) into a `RecapData`.

The period a recap covers starts when the previous *sent* recap was drafted (its content reflects the
data at that moment, so nothing falls between two recaps; drafts that were skipped never reached
the client), or at the mission's activation for the first one.

The schedule (`recaps_schedule_run`, every 15 minutes) follows these rules:

- a mission's slots are the dates whose weekday is one of `mission.recap_weekdays`, after the day
  it was activated, in the collective's time zone; a slot is due from `RECAP_DRAFT_HOUR` (8:00) on
  its day, or from the automatic sending hour when the collective set it earlier;
- each tick drafts the most recent due slot of each active mission when it has no draft yet. When
  the worker was down over several slots, only the most recent one is drafted when it comes back:
  it covers everything since the previous recap, and the client gets one recap, not a burst of
  stale ones;
- (mission, slot date) is unique in the database: the draft is inserted and an `IntegrityError`
  means another tick drafted it, so no slot is ever drafted twice, whatever the restarts or
  concurrent workers; the lead is told once (`recap:<pk>:draft-ready`);
- a new slot draft supersedes the older drafts the lead has not touched (they are skipped): one
  recap waits for review at a time, unless the lead edited an older one.

Automatic sending (`recaps_auto_send_run`): when `collective.recaps_auto_send`, a slot draft still
untouched (`body == drafted_body`) is sent from `recaps_auto_send_hour` on its slot day, claimed with
a conditional update draft → sent so that a concurrent send (by the lead or another tick) cannot send
it twice. Not sent that day, it waits for the lead.

Recipients: every contact of the client except the finance ones (progress is for the people who
follow the project: sponsors and project contacts), each in their language for the email's frame;
the body is the lead's text, drafted in the language most of them read.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.clients.models import ClientContact
from cordee.collectives.time import collective_zone
from cordee.communication.models import Recap
from cordee.communication.services.kickoff import portal_url_for
from cordee.core.outbox import email_enqueue
from cordee.missions.access import mission_for
from cordee.missions.models import ClientRequest, DelayNotice, Deliverable, Mission, MissionEvent, Task
from cordee.missions.services.history import mission_event_record

Health = Deliverable.Health
RECAP_DRAFT_HOUR = 8
NEXT_TASKS_WITHIN_DAYS = 14
TASKS_LISTED = 5
STARTED = (Task.Status.DOING, Task.Status.REVIEW)
SUBJECT_MAX_LENGTH = Recap._meta.get_field("subject").max_length
TEMPLATE = "communication/emails/recap"
DRAFT_READY_TEMPLATE = "communication/emails/recap_draft_ready"


# --- The data a recap is drafted from -------------------------------------------------------------


@dataclass(frozen=True)
class DeliverableLine:
    """One deliverable as the client sees it."""

    title: str
    status: str  # Deliverable.Status
    health: str  # Deliverable.Health
    announced_date: date
    delivered_on: date | None = None
    moved_from: date | None = None  # the previous announced date, when a delay notice went out in the period
    done_tasks: tuple[str, ...] = ()
    next_tasks: tuple[str, ...] = ()
    more_next_tasks: int = 0

    @property
    def is_done(self) -> bool:
        return self.status in (Deliverable.Status.DELIVERED, Deliverable.Status.ACCEPTED)

    @property
    def is_late(self) -> bool:
        return not self.is_done and self.health == Health.LATE

    @property
    def is_at_risk(self) -> bool:
        return not self.is_done and self.health == Health.AT_RISK

    @property
    def has_moved(self) -> bool:
        return not self.is_done and self.moved_from is not None


@dataclass(frozen=True)
class RequestLine:
    title: str
    status: str  # ClientRequest.Status
    reason: str = ""


@dataclass(frozen=True)
class RecapData:
    mission_title: str
    lead_name: str
    today: date
    since: date | None  # the day the previous sent recap was drafted; None for the first one
    deliverables: tuple[DeliverableLine, ...] = ()
    other_done: tuple[str, ...] = ()  # tasks done without a deliverable
    other_next: tuple[str, ...] = ()
    requests: tuple[RequestLine, ...] = field(default_factory=tuple)


# --- Pure drafting --------------------------------------------------------------------------------


def quoted(text: str) -> str:
    """A title in the quotation marks of the current language (« » in French)."""
    return _("“%(text)s”") % {"text": text}


def _day(value: date) -> str:
    return formats.date_format(value, "j F")


def _quoted(titles) -> str:
    return get_text_list([quoted(title) for title in titles], _("and"))


def deliverable_state_words(line: DeliverableLine) -> str:
    """Where a deliverable stands, in the client's words (announced dates only)."""
    if line.status == Deliverable.Status.ACCEPTED:
        return _("delivered and accepted")
    if line.status == Deliverable.Status.DELIVERED:
        if line.delivered_on:
            return _("delivered on %(date)s") % {"date": _day(line.delivered_on)}
        return _("delivered")
    if line.health == Health.LATE:
        return _("its date of %(date)s will move: a new date is coming") % {"date": _day(line.announced_date)}
    if line.moved_from is not None:
        return _("new date: %(date)s (instead of %(previous)s)") % {
            "date": _day(line.announced_date),
            "previous": _day(line.moved_from),
        }
    if line.health == Health.AT_RISK:
        return _("we are watching it closely; still planned for %(date)s") % {
            "date": _day(line.announced_date)
        }
    return _("on track for %(date)s") % {"date": _day(line.announced_date)}


def dates_sentences(deliverables) -> tuple[str, bool]:
    """The explicit sentence(s) on whether the announced dates hold, and whether they all do.

    Worded from each open deliverable's health: late (its date will move, a new one is coming),
    moved in the period (we sent the new date), at risk (watched closely, its date still holds for
    now), on track. The dates hold when nothing is late and nothing moved.
    """
    lines = list(deliverables)
    open_lines = [line for line in lines if not line.is_done]
    late = [line for line in open_lines if line.is_late]
    moved = [line for line in open_lines if line.has_moved and not line.is_late]
    at_risk = [line for line in open_lines if line.is_at_risk and not line.has_moved]
    sentences = []
    if late:
        sentences.append(
            ngettext(
                "%(titles)s will move: we will send you a new date very soon.",
                "%(titles)s will move: we will send you new dates very soon.",
                len(late),
            )
            % {"titles": _quoted(line.title for line in late)}
        )
    for line in moved:
        sentences.append(
            _("%(title)s moves to %(date)s: we have sent you this new date.")
            % {"title": quoted(line.title), "date": _day(line.announced_date)}
        )
    for line in at_risk:
        sentences.append(
            _("We are watching %(title)s closely; its date of %(date)s still holds for now.")
            % {"title": quoted(line.title), "date": _day(line.announced_date)}
        )
    flagged = len(late) + len(moved) + len(at_risk)
    if flagged and flagged < len(open_lines):
        sentences.append(_("All the other announced dates hold."))
    elif not flagged:
        if open_lines:
            sentences.append(_("All announced dates hold."))
        elif lines:
            sentences.append(_("Everything announced so far has been delivered."))
        else:
            sentences.append(_("No delivery date has been announced yet."))
    return " ".join(sentences), not late and not moved


def recap_subject(data: RecapData) -> str:
    subject = _("%(mission)s: progress recap of %(date)s") % {
        "mission": data.mission_title,
        "date": _day(data.today),
    }
    return subject[:SUBJECT_MAX_LENGTH]


def _tasks_list(titles, more: int = 0) -> str:
    text = "; ".join(titles)
    if more:
        text += " " + ngettext("(and %(count)d more)", "(and %(count)d more)", more) % {"count": more}
    return text


def _request_words(line: RequestLine) -> str:
    if line.status == ClientRequest.Status.PLANNED:
        return _("taken into account, it is planned")
    if line.status == ClientRequest.Status.DONE:
        return _("done")
    if line.status == ClientRequest.Status.DECLINED:
        if line.reason:
            return _("we will not do it: %(reason)s") % {"reason": " ".join(line.reason.split()).rstrip(".")}
        return _("we will not do it")
    return _("received, we will come back to you")


def recap_body(data: RecapData, dates_text: str) -> str:
    """The plain-text body: greeting, dates sentence, deliverables, what was done, what comes next,
    the client's requests, and the lead's signature. Lines starting with "- " are items; indented
    lines belong to the item above (the email shows them as a list)."""
    paragraphs = [_("Hello,")]
    if data.since:
        intro = _(
            "Here is where “%(mission)s” stands today, %(today)s, since our last recap of %(since)s."
        ) % {
            "mission": data.mission_title,
            "today": _day(data.today),
            "since": _day(data.since),
        }
    else:
        intro = _("Here is where “%(mission)s” stands today, %(today)s.") % {
            "mission": data.mission_title,
            "today": _day(data.today),
        }
    paragraphs.append(f"{intro} {dates_text}")

    if data.deliverables:
        lines = [_("Deliverables:")]
        for line in data.deliverables:
            status = Deliverable.Status(line.status).label
            lines.append(
                "- "
                + _("“%(title)s” (%(status)s): %(state)s.")
                % {"title": line.title, "status": str(status).lower(), "state": deliverable_state_words(line)}
            )
            if line.done_tasks:
                lines.append("  " + _("Done: %(tasks)s.") % {"tasks": _tasks_list(line.done_tasks)})
            if line.next_tasks and not line.is_done:
                lines.append(
                    "  "
                    + _("Next: %(tasks)s.") % {"tasks": _tasks_list(line.next_tasks, line.more_next_tasks)}
                )
        paragraphs.append("\n".join(lines))

    if data.other_done or data.other_next:
        lines = [_("Other work:")]
        if data.other_done:
            lines.append("- " + _("Done: %(tasks)s.") % {"tasks": _tasks_list(data.other_done)})
        if data.other_next:
            lines.append("- " + _("Next: %(tasks)s.") % {"tasks": _tasks_list(data.other_next)})
        paragraphs.append("\n".join(lines))

    if not any(line.done_tasks for line in data.deliverables) and not data.other_done:
        paragraphs.append(
            _("No task was completed since the last recap; the work in progress is listed above.")
        )

    upcoming = [line for line in data.deliverables if not line.is_done]
    if upcoming:
        following = min(upcoming, key=lambda line: line.announced_date)
        paragraphs.append(
            _("Next delivery: “%(title)s”, announced for %(date)s.")
            % {"title": following.title, "date": _day(following.announced_date)}
        )

    if data.requests:
        lines = [_("Your requests:")]
        for line in data.requests:
            lines.append(
                "- " + _("“%(title)s”: %(state)s.") % {"title": line.title, "state": _request_words(line)}
            )
        paragraphs.append("\n".join(lines))

    paragraphs.append(_("A question, a remark? Just reply to this email."))
    paragraphs.append(data.lead_name)
    return "\n\n".join(paragraphs)


def recap_text(data: RecapData) -> tuple[str, str, bool]:
    """(subject, body, dates hold) in the active language."""
    dates_text, hold = dates_sentences(data.deliverables)
    return recap_subject(data), recap_body(data, dates_text), hold


def recap_body_blocks(body: str) -> list[dict]:
    """The body cut into blocks for the HTML email and the portal.

    Paragraphs are separated by blank lines; within one, lines starting with "- " are list items and
    indented lines continue the item above. Returns [{"lines": [...], "items": [[line, ...], ...]}].
    """
    blocks = []
    for chunk in body.replace("\r\n", "\n").split("\n\n"):
        if not chunk.strip():
            continue
        block = {"lines": [], "items": []}
        for raw in chunk.split("\n"):
            stripped = raw.strip()
            if not stripped:
                continue
            if stripped.startswith("- ") or stripped == "-":
                block["items"].append([stripped[2:].strip()])
            elif block["items"] and raw[:1].isspace():
                block["items"][-1].append(stripped)
            elif block["items"]:
                blocks.append(block)
                block = {"lines": [stripped], "items": []}
            else:
                block["lines"].append(stripped)
        blocks.append(block)
    return blocks


# --- Loading the data -----------------------------------------------------------------------------


def mission_activation(mission: Mission, zone) -> datetime:
    """When the mission became active (its start date's midnight when that was not recorded)."""
    if mission.activated_at:
        return mission.activated_at
    return datetime.combine(mission.start_date, time.min, tzinfo=zone)


def recap_period_start(mission: Mission, zone) -> tuple[datetime, bool]:
    """(when the previous sent recap was drafted, False), or (the mission's activation, True) for the
    first recap. One query."""
    previous = (
        Recap.objects.filter(collective_id=mission.collective_id, mission=mission, state=Recap.State.SENT)
        .order_by("-created_at", "-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    if previous is None:
        return mission_activation(mission, zone), True
    return previous, False


def recap_data_load(*, mission: Mission, period_start: datetime, now: datetime, first: bool) -> RecapData:
    """The mission's recap data since `period_start`: five queries, whatever the number of rows."""
    collective = mission.collective
    zone = collective_zone(collective)
    today = timezone.localtime(now, zone).date()
    scope = {"collective_id": mission.collective_id, "mission": mission}
    deliverables = list(
        Deliverable.objects.filter(**scope)
        .exclude(
            Q(status=Deliverable.Status.ACCEPTED)
            & (Q(delivered_at__lt=period_start) | Q(delivered_at__isnull=True))
        )
        .order_by("announced_date", "position", "pk")
    )
    done = defaultdict(list)
    for deliverable_id, title in (
        Task.objects.filter(
            **scope, status=Task.Status.DONE, completed_at__gte=period_start, completed_at__lte=now
        )
        .order_by("completed_at", "pk")
        .values_list("deliverable_id", "title")
    ):
        done[deliverable_id].append(title)
    upcoming = defaultdict(list)
    for deliverable_id, title in (
        Task.objects.filter(**scope)
        .exclude(status=Task.Status.DONE)
        .filter(Q(status__in=STARTED) | Q(due_date__lte=today + timedelta(days=NEXT_TASKS_WITHIN_DAYS)))
        .annotate(started=Case(When(status__in=STARTED, then=Value(0)), default=Value(1)))
        .order_by("started", F("due_date").asc(nulls_last=True), "position", "pk")
        .values_list("deliverable_id", "title")
    ):
        upcoming[deliverable_id].append(title)
    moved = {}
    for deliverable_id, previous_date in (
        DelayNotice.objects.filter(
            collective_id=mission.collective_id, deliverable__mission=mission, sent_at__gte=period_start
        )
        .order_by("sent_at", "pk")
        .values_list("deliverable_id", "previous_date")
    ):
        moved.setdefault(deliverable_id, previous_date)  # the date the client knew before the period
    requests = [
        RequestLine(title=title, status=status, reason=reason)
        for title, status, reason in ClientRequest.objects.filter(**scope)
        .filter(
            Q(triaged_at__gte=period_start) | Q(status=ClientRequest.Status.NEW, created_at__gte=period_start)
        )
        .order_by("created_at", "pk")
        .values_list("title", "status", "decline_reason")
    ]
    lines = []
    for deliverable in deliverables:
        next_titles = upcoming.get(deliverable.pk, [])
        lines.append(
            DeliverableLine(
                title=deliverable.title,
                status=deliverable.status,
                health=deliverable.health,
                announced_date=deliverable.announced_date,
                delivered_on=timezone.localtime(deliverable.delivered_at, zone).date()
                if deliverable.delivered_at
                else None,
                moved_from=moved.get(deliverable.pk),
                done_tasks=tuple(done.get(deliverable.pk, [])),
                next_tasks=tuple(next_titles[:TASKS_LISTED]),
                more_next_tasks=max(len(next_titles) - TASKS_LISTED, 0),
            )
        )
    # Tasks of deliverables not listed (accepted long ago) or without one are "other work".
    listed = {deliverable.pk for deliverable in deliverables}
    other_done = [title for key, titles in done.items() if key not in listed for title in titles]
    other_next = [title for key, titles in upcoming.items() if key not in listed for title in titles]
    return RecapData(
        mission_title=mission.title,
        lead_name=mission.lead.display_name,
        today=today,
        since=None if first else timezone.localtime(period_start, zone).date(),
        deliverables=tuple(lines),
        other_done=tuple(other_done[:TASKS_LISTED]),
        other_next=tuple(other_next[:TASKS_LISTED]),
        requests=tuple(requests),
    )


def recap_recipients(mission: Mission) -> list[ClientContact]:
    """The client's contacts who follow the project: everyone but the finance contacts."""
    return list(
        ClientContact.objects.current()
        .filter(collective_id=mission.collective_id, client_id=mission.client_id)
        .exclude(role=ClientContact.Role.FINANCE)
        .order_by("full_name", "pk")
    )


def recap_language(contacts) -> str:
    """The language most recipients read (the site's default on a tie or without recipients)."""
    counts = Counter(contact.language or settings.LANGUAGE_CODE for contact in contacts)
    if not counts:
        return settings.LANGUAGE_CODE
    best = max(counts.values())
    winners = [language for language, count in counts.items() if count == best]
    return settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in winners else sorted(winners)[0]


def recap_preview_text(
    *, mission: Mission, now: datetime, period: tuple | None = None
) -> tuple[str, str, bool, str]:
    """What a draft written now would say, without saving it: (subject, body, dates hold, language)."""
    period_start, first = period or recap_period_start(mission, collective_zone(mission.collective))
    data = recap_data_load(mission=mission, period_start=period_start, now=now, first=first)
    language = recap_language(recap_recipients(mission))
    with translation.override(language):
        subject, body, hold = recap_text(data)
    return subject, body, hold, language


# --- Drafting, editing, sending, skipping ---------------------------------------------------------


def recap_draft(
    *, mission: Mission, slot_date: date | None = None, now: datetime | None = None
) -> Recap | None:
    """Draft a recap from what changed since the previous one.

    For a schedule slot (`slot_date`), returns None when that slot already has its draft (the unique
    constraint decides, so concurrent ticks draft it once), and skips the older drafts nobody touched.
    Without a slot, a recap the lead asked for now.
    """
    now = now or timezone.now()
    mission = Mission.objects.select_related("collective", "lead").get(pk=mission.pk)
    period = recap_period_start(mission, collective_zone(mission.collective))
    subject, body, hold, _language = recap_preview_text(mission=mission, now=now, period=period)
    try:
        with transaction.atomic():
            recap = Recap.objects.create(
                collective_id=mission.collective_id,
                mission=mission,
                slot_date=slot_date,
                period_start=period[0],
                subject=subject,
                body=body,
                drafted_body=body,
                dates_hold=hold,
            )
            if slot_date is not None:
                Recap.objects.filter(
                    collective_id=mission.collective_id,
                    mission=mission,
                    state=Recap.State.DRAFT,
                    body=F("drafted_body"),
                    pk__lt=recap.pk,
                ).update(state=Recap.State.SKIPPED)
    except IntegrityError:
        return None
    recap.mission = mission
    return recap


def _clean(subject: str, body: str) -> tuple[str, str]:
    subject = " ".join((subject or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    errors = {}
    if not subject:
        errors["subject"] = ValidationError(_("Give the email a subject."), code="required")
    elif len(subject) > SUBJECT_MAX_LENGTH:
        errors["subject"] = ValidationError(
            _("Keep the subject under %(count)d characters.") % {"count": SUBJECT_MAX_LENGTH}, code="too_long"
        )
    if not body:
        errors["body"] = ValidationError(_("Write the recap before saving it."), code="required")
    if errors:
        raise ValidationError(errors)
    return subject, body


def _not_a_draft_error(recap_id: int) -> ValidationError:
    current = Recap.objects.filter(pk=recap_id).values_list("state", "sent_automatically").first()
    if current and current[0] == Recap.State.SENT:
        if current[1]:
            return ValidationError(_("This recap was already sent automatically."), code="sent")
        return ValidationError(_("This recap was already sent."), code="sent")
    return ValidationError(_("This recap was skipped: write a new one."), code="skipped")


@transaction.atomic
def recap_update(*, recap: Recap, by, subject: str, body: str, now: datetime | None = None) -> Recap:
    """Save the lead's subject and text of a draft (a sent or skipped recap no longer changes)."""
    mission_for(by, recap.mission_id, manage=True)
    subject, body = _clean(subject, body)
    now = now or timezone.now()
    changed = Recap.objects.filter(pk=recap.pk, state=Recap.State.DRAFT).update(
        subject=subject, body=body, edited_at=now
    )
    if changed != 1:
        raise _not_a_draft_error(recap.pk)
    recap.subject, recap.body, recap.edited_at = subject, body, now
    return recap


def recap_email_context(*, recap: Recap, mission: Mission, contact: ClientContact, portal_url: str) -> dict:
    return {
        "collective": mission.collective,
        "mission": mission,
        "lead": mission.lead,
        "contact": contact,
        "recap": recap,
        "blocks": recap_body_blocks(recap.body),
        "portal_url": portal_url,
    }


@transaction.atomic
def recap_send(*, recap: Recap, by, now: datetime | None = None) -> list:
    """The lead (or an admin) sends a draft to the client's contacts (all but finance), each in their
    language for the frame.

    Claimed with a conditional update draft → sent: a second click, the automatic sending or another
    worker cannot send it twice (they get a ValidationError). Returns the emails.
    """
    mission_for(by, recap.mission_id, manage=True)
    return _recap_send(recap=recap, by=by, now=now, automatic=False)


@transaction.atomic
def recap_send_automatic(*, recap: Recap, now: datetime | None = None) -> list:
    """The system's sending of an untouched draft at its slot (the schedule's tick, no user acting).

    Returns [] when the draft was edited, sent or skipped meanwhile, or the client has no recipient.
    """
    return _recap_send(recap=recap, by=None, now=now, automatic=True)


def _recap_send(*, recap: Recap, by, now: datetime | None, automatic: bool) -> list:
    mission = Mission.objects.select_related("collective", "lead", "client").get(pk=recap.mission_id)
    recipients = recap_recipients(mission)
    if not recipients:
        if automatic:
            return []
        raise ValidationError(
            _("%(client)s has no contact to send the recap to: add one on the client's page.")
            % {"client": mission.client.name},
            code="no_recipient",
        )
    now = now or timezone.now()
    claim = Recap.objects.filter(pk=recap.pk, state=Recap.State.DRAFT)
    if automatic:
        claim = claim.filter(body=F("drafted_body"))
    if claim.update(state=Recap.State.SENT, sent_at=now, sent_by=by, sent_automatically=automatic) != 1:
        if automatic:
            return []
        raise _not_a_draft_error(recap.pk)
    recap.refresh_from_db()
    collective, lead = mission.collective, mission.lead
    emails = [
        email_enqueue(
            key=f"recap:{recap.pk}:send:{contact.pk}",
            to=contact.email,
            template=TEMPLATE,
            context=recap_email_context(
                recap=recap, mission=mission, contact=contact, portal_url=portal_url_for(contact)
            ),
            language=contact.language or settings.LANGUAGE_CODE,
            sender=collective.notification_sender(),
            reply_to=lead.email,
            collective=collective,
        )
        for contact in recipients
    ]
    summary = recap.subject
    if automatic:
        summary = _("%(subject)s (sent automatically)") % {"subject": summary}
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.RECAP_SENT,
        actor=by,
        summary=summary,
        data={
            "recap": recap.pk,
            "contacts": [contact.pk for contact in recipients],
            "automatic": automatic,
            "dates_hold": recap.dates_hold,
        },
        flagged=not recap.dates_hold,
    )
    return emails


@transaction.atomic
def recap_skip(*, recap: Recap, by) -> Recap:
    """Do not send this draft (the next one covers its period, since it never reached the client)."""
    mission_for(by, recap.mission_id, manage=True)
    if Recap.objects.filter(pk=recap.pk, state=Recap.State.DRAFT).update(state=Recap.State.SKIPPED) != 1:
        raise _not_a_draft_error(recap.pk)
    recap.state = Recap.State.SKIPPED
    mission_event_record(
        mission=recap.mission,
        kind=MissionEvent.Kind.RECAP_SKIPPED,
        actor=by,
        summary=recap.subject,
        data={"recap": recap.pk, "slot_date": recap.slot_date.isoformat() if recap.slot_date else None},
    )
    return recap


def recap_create_now(*, mission: Mission, by, now: datetime | None = None) -> Recap:
    """ "Write one now": a draft outside the schedule. A double click within a minute opens the same draft."""
    mission_for(by, mission.pk, manage=True)
    now = now or timezone.now()
    recent = (
        Recap.objects.filter(
            collective_id=mission.collective_id,
            mission=mission,
            slot_date__isnull=True,
            state=Recap.State.DRAFT,
            body=F("drafted_body"),
            created_at__gte=now - timedelta(minutes=1),
        )
        .order_by("-pk")
        .first()
    )
    if recent is not None:
        return recent
    return recap_draft(mission=mission, now=now)


# --- For the portal --------------------------------------------------------------------------------


def recaps_for_portal(mission: Mission):
    """The recaps the client received, newest first (the portal shows them; never drafts)."""
    return Recap.objects.filter(
        collective_id=mission.collective_id, mission=mission, state=Recap.State.SENT
    ).order_by("-sent_at", "-pk")


# --- The schedule ----------------------------------------------------------------------------------


def recap_draft_hour(collective) -> int:
    if collective.recaps_auto_send:
        return min(RECAP_DRAFT_HOUR, collective.recaps_auto_send_hour)
    return RECAP_DRAFT_HOUR


def recap_due_slot(*, weekdays, activated_on: date, now_local: datetime, draft_hour: int) -> date | None:
    """The most recent slot that is due: a recap weekday after the activation day, from the drafting hour
    on that day. Pure."""
    days = set(weekdays or [])
    if not days:
        return None
    today = now_local.date()
    for back in range(8):
        day = today - timedelta(days=back)
        if day <= activated_on:
            return None
        if day.weekday() not in days:
            continue
        if back == 0 and now_local.hour < draft_hour:
            continue
        return day
    return None


def recap_next_slot(
    *, weekdays, activated_on: date, now_local: datetime, draft_hour: int, drafted: set
) -> date | None:
    """The next slot to come (today's when not drafted yet). Pure."""
    days = set(weekdays or [])
    if not days:
        return None
    today = now_local.date()
    for ahead in range(15):
        day = today + timedelta(days=ahead)
        if day <= activated_on or day.weekday() not in days or day in drafted:
            continue
        return day
    return None


def _notify_lead(recap: Recap, mission: Mission) -> None:
    collective, lead = mission.collective, mission.lead
    email_enqueue(
        key=f"recap:{recap.pk}:draft-ready",
        to=lead.email,
        template=DRAFT_READY_TEMPLATE,
        context={
            "collective": collective,
            "mission": mission,
            "recipient": lead,
            "recap": recap,
            "auto_send": collective.recaps_auto_send,
            "auto_send_hour": time(collective.recaps_auto_send_hour),
            "edit_url": settings.BASE_URL
            + reverse("communication:recap_edit", args=[collective.slug, mission.pk, recap.pk]),
        },
        language=lead.language or settings.LANGUAGE_CODE,
        sender=collective.notification_sender(),
        collective=collective,
    )


def recaps_due(*, now: datetime | None = None) -> list[tuple[int, date]]:
    """(mission id, slot date) of every active mission whose due slot has no draft yet.

    Two queries whatever the number of missions (the missions with their collectives, the slots
    already drafted); the drafting itself is `recap_slot_draft`, one mission at a time, so that the
    tick can hand each mission to the worker as its own task.
    """
    now = now or timezone.now()
    # Plain values, not model instances: building 10,000 instances costs more than the rest of the tick.
    missions = [
        SimpleNamespace(
            pk=pk,
            recap_weekdays=weekdays,
            activated_at=activated_at,
            start_date=start_date,
            collective=SimpleNamespace(
                time_zone=time_zone, recaps_auto_send=auto_send, recaps_auto_send_hour=auto_send_hour
            ),
        )
        for pk, weekdays, activated_at, start_date, time_zone, auto_send, auto_send_hour in Mission.objects.filter(
            status=Mission.Status.ACTIVE
        )
        .order_by("pk")
        .values_list(
            "pk",
            "recap_weekdays",
            "activated_at",
            "start_date",
            "collective__time_zone",
            "collective__recaps_auto_send",
            "collective__recaps_auto_send_hour",
        )
    ]
    due = {}
    for mission in missions:
        zone = collective_zone(mission.collective)
        slot = recap_due_slot(
            weekdays=mission.recap_weekdays,
            activated_on=timezone.localtime(mission_activation(mission, zone), zone).date(),
            now_local=timezone.localtime(now, zone),
            draft_hour=recap_draft_hour(mission.collective),
        )
        if slot is not None:
            due[mission.pk] = slot
    if not due:
        return []
    existing = set(
        Recap.objects.filter(mission_id__in=list(due), slot_date__isnull=False).values_list(
            "mission_id", "slot_date"
        )
    )
    return [(mission_id, slot) for mission_id, slot in due.items() if (mission_id, slot) not in existing]


def recap_slot_draft(*, mission_id: int, slot_date: date, now: datetime | None = None) -> bool:
    """Draft one mission's slot and tell its lead, unless it is drafted already or no longer active."""
    mission = (
        Mission.objects.select_related("collective", "lead")
        .filter(pk=mission_id, status=Mission.Status.ACTIVE)
        .first()
    )
    if mission is None:
        return False
    with transaction.atomic():
        recap = recap_draft(mission=mission, slot_date=slot_date, now=now)
        if recap is None:
            return False
        _notify_lead(recap, recap.mission)
    return True


def recaps_schedule_run(*, now: datetime | None = None) -> int:
    """Draft the due slot of every active mission that has no draft for it; tell the lead. Returns the count."""
    now = now or timezone.now()
    return sum(
        1
        for mission_id, slot in recaps_due(now=now)
        if recap_slot_draft(mission_id=mission_id, slot_date=slot, now=now)
    )


def recaps_auto_send_due(*, now: datetime | None = None) -> list[int]:
    """The untouched slot drafts to send automatically now, where the collective allows it (one query)."""
    now = now or timezone.now()
    candidates = (
        Recap.objects.filter(
            state=Recap.State.DRAFT,
            slot_date__isnull=False,
            body=F("drafted_body"),
            collective__recaps_auto_send=True,
            mission__status=Mission.Status.ACTIVE,
        )
        .select_related("collective")
        .only("pk", "slot_date", "collective__time_zone", "collective__recaps_auto_send_hour")
        .order_by("pk")
    )
    due = []
    for recap in candidates:
        collective = recap.collective
        local = timezone.localtime(now, collective_zone(collective))
        if recap.slot_date == local.date() and local.hour >= collective.recaps_auto_send_hour:
            due.append(recap.pk)
    return due


def recap_auto_send(*, recap_id: int, now: datetime | None = None) -> bool:
    """Send one untouched draft automatically; False when it was sent, edited or skipped meanwhile."""
    recap = Recap.objects.filter(pk=recap_id, state=Recap.State.DRAFT).first()
    return bool(recap and recap_send_automatic(recap=recap, now=now))


def recaps_auto_send_run(*, now: datetime | None = None) -> int:
    """Send the untouched slot drafts due today at the collective's hour, where it allows it."""
    now = now or timezone.now()
    return sum(1 for recap_id in recaps_auto_send_due(now=now) if recap_auto_send(recap_id=recap_id, now=now))


def recaps_tick(*, now: datetime | None = None) -> tuple[int, int]:
    """The 15-minute tick: draft the due slots, then send what is due automatically."""
    return recaps_schedule_run(now=now), recaps_auto_send_run(now=now)
