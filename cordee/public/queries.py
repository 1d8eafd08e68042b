"""What the public page of a collective shows, read in a fixed number of queries."""

from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import get_object_or_404

from cordee.collectives.models import Collective, Membership, Reference


@dataclass
class PublicMember:
    """What a visitor may know about a member: never their day rate nor their legal identity."""

    user_id: int
    name: str
    initials: str
    photo_url: str
    title: str
    role: str
    role_label: str
    skills: list


@dataclass
class PublicPage:
    collective: Collective
    members: list[PublicMember]
    references: list[Reference]

    def is_member(self, user) -> bool:
        return bool(user and user.is_authenticated) and any(
            member.user_id == user.pk for member in self.members
        )


def initials(name: str) -> str:
    """'Claire Dubois-Martin' → 'CD'; 'claire' → 'C'."""
    words = [word for word in name.replace("-", " ").split() if word[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def absolute_url(url: str) -> str:
    """Media URLs are relative on local storage and absolute on object storage."""
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.BASE_URL + url


def _public_member(membership: Membership) -> PublicMember:
    user = membership.user
    return PublicMember(
        user_id=user.pk,
        name=user.display_name,
        initials=initials(user.display_name),
        photo_url=user.photo.url if user.photo else "",
        title=membership.title or user.headline,
        role=membership.role,
        role_label=membership.get_role_display(),
        skills=list(membership.skills or user.skills or []),
    )


def public_page_get(*, slug: str) -> PublicPage:
    """The collective with its members and references, in three queries (published or not)."""
    collective = get_object_or_404(Collective, slug=slug)
    memberships = (
        Membership.objects.filter(collective=collective)
        .select_related("user")
        .filter(user__is_active=True)
        .order_by("joined_at", "pk")
    )
    references = Reference.objects.filter(collective=collective).order_by("position", "-year", "pk")
    return PublicPage(
        collective=collective,
        members=[_public_member(membership) for membership in memberships],
        references=list(references),
    )
