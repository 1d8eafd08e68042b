"""Reads the collective pages need, each in a fixed number of queries whatever the number of rows."""

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cordee.collectives.models import Collective, Membership, Reference

# --- Page completeness and onboarding --------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    key: str
    label: str
    done: bool
    hint: str = ""


@dataclass
class Checklist:
    items: list[CheckItem] = field(default_factory=list)

    @property
    def done_count(self) -> int:
        return sum(1 for item in self.items if item.done)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def is_complete(self) -> bool:
        return self.done_count == self.total

    @property
    def missing(self) -> list[CheckItem]:
        return [item for item in self.items if not item.done]


def page_completeness(
    collective: Collective, *, reference_count: int, members_without_title: int
) -> Checklist:
    """What a good public page needs, and what is still missing."""
    return Checklist(
        [
            CheckItem(
                "tagline",
                _("A tagline"),
                bool(collective.tagline),
                _("One sentence that says what you do and for whom."),
            ),
            CheckItem(
                "description",
                _("A description"),
                bool(collective.description.strip()),
                _("How you work, what clients get, how a project starts."),
            ),
            CheckItem(
                "expertises",
                _("At least one expertise"),
                bool(collective.expertises),
                _("The skills a client searches for: design, development, product…"),
            ),
            CheckItem("logo", _("A logo"), bool(collective.logo), _("A PNG, JPEG or WebP image.")),
            CheckItem(
                "references",
                _("At least one reference"),
                reference_count > 0,
                _("A past project, with the client and the year."),
            ),
            CheckItem(
                "titles",
                _("Every member has a title"),
                members_without_title == 0,
                _("For example “UX designer” or “Back-end developer”, on the Members page."),
            ),
        ]
    )


def onboarding_checklist(
    collective: Collective | None, *, member_count: int, pending_invitation_count: int, page_complete: bool
) -> Checklist:
    """The four first steps the product asks of a new collective."""
    return Checklist(
        [
            CheckItem("create", _("Create your collective"), collective is not None),
            CheckItem(
                "invite",
                _("Invite your members"),
                collective is not None and (member_count > 1 or pending_invitation_count > 0),
            ),
            CheckItem("page", _("Complete your page"), collective is not None and page_complete),
            CheckItem("publish", _("Publish your page"), collective is not None and collective.is_published),
        ]
    )


def onboarding_state(collective: Collective) -> Checklist:
    """The onboarding checklist of one collective, in one query (for the pages of the set-up thread)."""
    counts = Collective.objects.filter(pk=collective.pk).aggregate(
        members=Count("memberships", filter=Q(memberships__archived_at__isnull=True), distinct=True),
        members_without_title=Count(
            "memberships",
            filter=Q(memberships__title="", memberships__archived_at__isnull=True),
            distinct=True,
        ),
        pending_invitations=Count(
            "invitations",
            filter=Q(
                invitations__accepted_at__isnull=True,
                invitations__revoked_at__isnull=True,
                invitations__expires_at__gt=timezone.now(),
            ),
            distinct=True,
        ),
        references=Count("references", distinct=True),
    )
    page = page_completeness(
        collective,
        reference_count=counts["references"],
        members_without_title=counts["members_without_title"],
    )
    return onboarding_checklist(
        collective,
        member_count=counts["members"],
        pending_invitation_count=counts["pending_invitations"],
        page_complete=page.is_complete,
    )


# --- Members ------------------------------------------------------------------------------------


def collective_members(collective: Collective) -> QuerySet[Membership]:
    """Members with their user, admins first, then by name."""
    return (
        Membership.objects.filter(collective=collective)
        .select_related("user")
        .order_by("role", "user__full_name", "user__email")
    )


def collective_references(collective: Collective) -> QuerySet[Reference]:
    return Reference.objects.filter(collective=collective).order_by("position", "-year", "pk")


def collective_page_state(collective: Collective) -> tuple[list[Reference], Checklist]:
    """The references in page order and the page's completeness, in two queries."""
    references = list(collective_references(collective))
    members_without_title = Membership.objects.filter(collective=collective, title="").count()
    return references, page_completeness(
        collective, reference_count=len(references), members_without_title=members_without_title
    )
