"""Previews of every email the client receives about a mission, as a given contact will read it.

Each kind of email is a `PreviewKind`: a key, a label, when it is sent, and a builder that returns
the template and its context for a mission and a contact (or None, with the reason, when it cannot be
shown yet). Nothing is written: a preview never creates a magic link, a recap or an email.

The kinds of this module are the kickoff, the progress recap, the delay notice and the change of
lead. Every area registers its own with `preview_register()` from its `AppConfig.ready()` (delivery
calls, the weekly call and videos, the portal's sign-in link, the surveys, the follow-up call and the
improvement plan): this module imports none of them. The page lists them in the order of registration,
which is the order of INSTALLED_APPS. `tests/test_email_previews.py` checks that every client-facing
template given to `email_enqueue` has its preview.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cordee.clients.models import ClientContact
from cordee.communication.models import Recap
from cordee.communication.services.kickoff import TEMPLATE as KICKOFF_TEMPLATE
from cordee.communication.services.kickoff import kickoff_email_context, portal_login_url
from cordee.communication.services.recaps import TEMPLATE as RECAP_TEMPLATE
from cordee.communication.services.recaps import recap_email_context, recap_preview_text
from cordee.core.business_days import add_business_days
from cordee.missions.models import Deliverable, Mission, MissionMember
from cordee.missions.services.deliverables import delay_notice_email_context


class PreviewUnavailable(Exception):
    """The email cannot be previewed yet; the message says what to do first."""


@dataclass(frozen=True)
class PreviewKind:
    key: str
    label: str
    when: str  # when the client receives it
    # (mission, contact, params) → (template, context); raises PreviewUnavailable. `params` holds the
    # page's query parameters (for instance the recap to show).
    build: Callable[[Mission, ClientContact, dict], tuple[str, dict]]
    # The email's template (what `build` returns), declared so that the list of previews can be
    # checked against the templates the code sends.
    template: str = field(kw_only=True)


_registered: dict[str, PreviewKind] = {}


def preview_register(kinds) -> None:
    """Add an area's kinds to the page (from its AppConfig.ready()); a key already there keeps its kind."""
    for kind in kinds:
        _registered.setdefault(kind.key, kind)


def _kickoff(mission, contact, params):
    return KICKOFF_TEMPLATE, kickoff_email_context(
        mission=mission, contact=contact, portal_url=portal_login_url()
    )


def _recap(mission, contact, params):
    recaps = Recap.objects.filter(collective_id=mission.collective_id, mission=mission)
    recap = None
    recap_id = params.get("recap")
    if recap_id and str(recap_id).isdigit():
        recap = recaps.filter(pk=int(recap_id)).first()
    if recap is None:
        recap = recaps.filter(state=Recap.State.DRAFT).order_by("-created_at", "-pk").first()
    if recap is None:
        # What a recap drafted now would say, not saved.
        subject, body, hold, _language = recap_preview_text(mission=mission, now=timezone.now())
        recap = Recap(
            collective_id=mission.collective_id, mission=mission, subject=subject, body=body, dates_hold=hold
        )
    return RECAP_TEMPLATE, recap_email_context(
        recap=recap, mission=mission, contact=contact, portal_url=portal_login_url()
    )


def _delay_notice(mission, contact, params):
    deliverable = (
        Deliverable.objects.filter(collective_id=mission.collective_id, mission=mission)
        .exclude(status__in=[Deliverable.Status.DELIVERED, Deliverable.Status.ACCEPTED])
        .order_by("announced_date", "pk")
        .first()
    )
    if deliverable is None:
        raise PreviewUnavailable(_("Add a deliverable still to deliver: the example moves its date."))
    deliverable.mission, deliverable.collective = mission, mission.collective
    previous: date = deliverable.announced_date
    return "missions/emails/delay_notice", delay_notice_email_context(
        deliverable=deliverable,
        previous_date=previous,
        new_date=add_business_days(previous, 5),
        reason=str(_("(The reason you give, in your own words.)")),
        contact=contact,
    )


def _lead_changed(mission, contact, params):
    other = (
        MissionMember.objects.filter(collective_id=mission.collective_id, mission=mission)
        .exclude(user_id=mission.lead_id)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if other is None:
        raise PreviewUnavailable(
            _("Add a second member to the team: the example hands the mission over to them.")
        )
    return "missions/missions/emails/lead_changed", {
        "collective": mission.collective,
        "mission": mission,
        "contact": contact,
        "previous_lead": mission.lead,
        "new_lead": other.user,
        "message": "",
    }


OWN_KINDS = [
    PreviewKind(
        "kickoff",
        _("Kickoff"),
        _("To every contact of the client when the mission becomes active."),
        _kickoff,
        template=KICKOFF_TEMPLATE,
    ),
    PreviewKind(
        "recap",
        _("Progress recap"),
        _("On the recap days, once you send the draft (all contacts but finance)."),
        _recap,
        template=RECAP_TEMPLATE,
    ),
    PreviewKind(
        "delay_notice",
        _("Delay notice"),
        _("When you move an announced date back (example: the next deliverable, 5 business days later)."),
        _delay_notice,
        template="missions/emails/delay_notice",
    ),
    PreviewKind(
        "lead_changed",
        _("New lead"),
        _("When the mission is handed over to another lead."),
        _lead_changed,
        template="missions/missions/emails/lead_changed",
    ),
]


def preview_kinds() -> list[PreviewKind]:
    """Every kind registered, this module's first."""
    return list(_registered.values())


def preview_kind(key: str) -> PreviewKind | None:
    return next((kind for kind in preview_kinds() if kind.key == key), None)


def sample_contact(mission: Mission, language: str) -> ClientContact:
    """A stand-in contact (not saved) when the client has none yet."""
    return ClientContact(
        collective_id=mission.collective_id,
        client=mission.client,
        full_name=str(_("Your client contact")),
        email="contact@example.com",
        language=language,
    )
