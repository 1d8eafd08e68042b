"""The mission's history: one `MissionEvent` per notable change, shown as a timeline.

Every area records its own events through `mission_event_record` (inside its own transaction).
"""

from django.db import transaction

from cordee.core.deferred_text import DeferredText
from cordee.missions.models import Mission, MissionEvent

SUMMARY_MAX_LENGTH = MissionEvent._meta.get_field("summary").max_length


@transaction.atomic
def mission_event_record(
    *,
    mission: Mission,
    kind: str,
    actor=None,
    summary: str | DeferredText = "",
    data: dict | None = None,
    flagged: bool = False,
) -> MissionEvent:
    """Record one event in the mission's timeline.

    `kind` is a `MissionEvent.Kind` value; `summary` is a short human text: a `DeferredText` for a
    sentence (kept as data, read in the reader's language), else neutral text (names, titles); it is
    also kept as text in the active language, cut to the field's length;
    `data` holds JSON-serialisable details (ids, ISO dates) for the timeline and later features;
    `flagged` highlights the event (for example a delay notice sent too late).
    """
    if kind not in MissionEvent.Kind.values:
        raise ValueError(f"Unknown mission event kind: {kind!r}")
    summary_data = {}
    if isinstance(summary, DeferredText):
        summary_data = summary.as_data()
        summary = str(summary)
    summary = summary or ""
    if len(summary) > SUMMARY_MAX_LENGTH:
        summary = summary[: SUMMARY_MAX_LENGTH - 1] + "…"
    return MissionEvent.objects.create(
        collective_id=mission.collective_id,
        mission=mission,
        kind=kind,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", True) else None,
        summary=summary,
        summary_data=summary_data,
        data=data or {},
        is_flagged=flagged,
    )
