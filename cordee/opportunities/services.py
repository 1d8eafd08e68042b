"""Use cases that change opportunities: each one a named function, in one transaction."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.collectives.access import membership_for
from cordee.collectives.models import Membership
from cordee.core.outbox import email_enqueue
from cordee.opportunities.access import opportunity_for
from cordee.opportunities.models import Opportunity, OpportunityChange, OpportunityStageChange

# The fields a proposal or a manual entry provides, as keys of the `data` argument.
CONTACT_FIELDS = ("contact_name", "contact_email", "company", "need", "budget", "desired_start", "deadline")


def _check_owner(*, collective_id: int, owner) -> None:
    """Only a member of the collective may own one of its opportunities."""
    if owner is not None and not Membership.objects.filter(collective_id=collective_id, user=owner).exists():
        raise ValidationError(_("The owner must be a member of the collective."), code="owner_not_member")


def _record_stage_change(*, opportunity, from_stage: str, by) -> OpportunityStageChange:
    return OpportunityStageChange.objects.create(
        collective_id=opportunity.collective_id,
        opportunity=opportunity,
        from_stage=from_stage,
        to_stage=opportunity.stage,
        changed_by=by,
    )


@transaction.atomic
def opportunity_create_from_proposal(*, collective, data: dict, language: str) -> Opportunity:
    """Record a project proposed on the public page, and tell every admin of the collective.

    `data` holds the keys of CONTACT_FIELDS (as cleaned by the proposal form); `language` is the
    visitor's, so that the collective can answer in it.
    """
    opportunity = Opportunity.objects.create(
        collective=collective,
        source=Opportunity.Source.PUBLIC_PAGE,
        stage=Opportunity.Stage.NEW,
        language=language,
        **{name: data.get(name) or _field_default(name) for name in CONTACT_FIELDS},
    )
    _record_stage_change(opportunity=opportunity, from_stage="", by=None)
    _notify_admins_of_proposal(opportunity=opportunity)
    _acknowledge_proposal(opportunity=opportunity)
    return opportunity


def _field_default(name: str):
    field = Opportunity._meta.get_field(name)
    if field.null:
        return None
    return field.get_default()


def _acknowledge_proposal(*, opportunity: Opportunity) -> None:
    """The visitor learns, in their language, that the collective received the project and what comes next."""
    collective = opportunity.collective
    email_enqueue(
        key=f"opportunity:{opportunity.pk}:acknowledgement",
        to=opportunity.contact_email,
        template="opportunities/emails/proposal_acknowledgement",
        context={
            "collective": collective,
            "opportunity": opportunity,
            "page_url": settings.BASE_URL + collective.get_public_url(),
        },
        language=opportunity.language,
        sender=collective.notification_sender(),
        reply_to=collective.contact_email or _first_admin_email(collective),
        collective=collective,
    )


def _first_admin_email(collective) -> str:
    admin = (
        Membership.objects.filter(collective=collective, role=Membership.Role.ADMIN, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return admin.user.email if admin else ""


def _notify_admins_of_proposal(*, opportunity: Opportunity) -> None:
    collective = opportunity.collective
    admins = (
        Membership.objects.filter(collective=collective, role=Membership.Role.ADMIN, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    path = reverse("opportunities:detail", args=[collective.slug, opportunity.pk])
    context = {
        "collective": collective,
        "opportunity": opportunity,
        "opportunity_url": settings.BASE_URL + path,
    }
    for membership in admins:
        user = membership.user
        email_enqueue(
            key=f"opportunity:{opportunity.pk}:admin:{user.pk}",
            to=user.email,
            template="opportunities/emails/proposal_received",
            context={**context, "recipient": user},
            language=user.language,
            sender=collective.notification_sender(),
            reply_to=opportunity.contact_email,
            collective=collective,
        )


@transaction.atomic
def opportunity_create(*, collective, by, data: dict) -> Opportunity:
    """Record an opportunity a member learnt about elsewhere (phone, meeting, referral).

    `data` holds the keys of CONTACT_FIELDS plus optionally owner, notes, next_action and
    next_action_date. No email is sent: the member who types it in already knows.
    """
    membership_for(by, collective.pk)
    owner = data.get("owner")
    _check_owner(collective_id=collective.pk, owner=owner)
    opportunity = Opportunity.objects.create(
        collective=collective,
        source=Opportunity.Source.MANUAL,
        stage=Opportunity.Stage.NEW,
        language=getattr(by, "language", "") or settings.LANGUAGE_CODE,
        owner=owner,
        notes=data.get("notes") or "",
        next_action=data.get("next_action") or "",
        next_action_date=data.get("next_action_date"),
        **{name: data.get(name) or _field_default(name) for name in CONTACT_FIELDS},
    )
    _record_stage_change(opportunity=opportunity, from_stage="", by=by)
    return opportunity


@transaction.atomic
def opportunity_change_stage(*, opportunity: Opportunity, stage: str, by) -> bool:
    """Move an opportunity to another stage and record the move. Returns False if it was already there."""
    opportunity_for(by, opportunity.pk)
    if stage not in Opportunity.Stage.values:
        raise ValidationError(_("Choose a valid stage."), code="invalid_stage")
    # Re-read the stage under the write lock so that two concurrent moves record two true changes.
    current = Opportunity.objects.filter(pk=opportunity.pk).values_list("stage", flat=True).get()
    if current == stage:
        opportunity.stage = stage
        return False
    Opportunity.objects.filter(pk=opportunity.pk).update(stage=stage, updated_at=timezone.now())
    opportunity.stage = stage
    _record_stage_change(opportunity=opportunity, from_stage=current, by=by)
    return True


@transaction.atomic
def opportunity_update(
    *, opportunity: Opportunity, by, owner, notes: str, next_action: str, next_action_date
) -> Opportunity:
    """Change who follows an opportunity and what comes next (the stage has its own function).

    Any member may (the pipeline is shared); what changed is recorded with its author.
    """
    opportunity_for(by, opportunity.pk)
    _check_owner(collective_id=opportunity.collective_id, owner=owner)
    before = Opportunity.objects.filter(pk=opportunity.pk).values(*UPDATE_FIELDS).get()
    after = {
        "owner_id": owner.pk if owner is not None else None,
        "notes": notes,
        "next_action": next_action,
        "next_action_date": next_action_date,
    }
    opportunity.owner = owner
    opportunity.notes = notes
    opportunity.next_action = next_action
    opportunity.next_action_date = next_action_date
    opportunity.save(update_fields=["owner", "notes", "next_action", "next_action_date", "updated_at"])
    changed = {
        name: [_as_text(before[name]), _as_text(after[name])]
        for name in UPDATE_FIELDS
        if before[name] != after[name]
    }
    if changed:
        OpportunityChange.objects.create(
            collective_id=opportunity.collective_id, opportunity=opportunity, changed_by=by, fields=changed
        )
    return opportunity


UPDATE_FIELDS = ("owner_id", "notes", "next_action", "next_action_date")


def _as_text(value) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
