import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory, UserFactory
from cordee.opportunities.models import Opportunity, OpportunityChange, OpportunityStageChange
from cordee.opportunities.services import (
    opportunity_change_stage,
    opportunity_create,
    opportunity_create_from_proposal,
    opportunity_update,
)

pytestmark = pytest.mark.django_db

PROPOSAL = {
    "contact_name": "Inès Caron",
    "contact_email": "ines@caron.fr",
    "company": "",
    "need": "Un site vitrine pour notre cabinet.",
    "budget": "lt5k",
    "desired_start": dt.date(2026, 5, 4),
    "deadline": None,
}


class TestOpportunityCreateFromProposal:
    def test_creates_a_new_opportunity_with_its_first_stage_change(self, collective):
        opportunity = opportunity_create_from_proposal(collective=collective, data=PROPOSAL, language="en")

        opportunity.refresh_from_db()
        assert opportunity.collective == collective
        assert (opportunity.contact_name, opportunity.contact_email, opportunity.company) == (
            "Inès Caron",
            "ines@caron.fr",
            "",
        )
        assert (opportunity.budget, opportunity.desired_start, opportunity.deadline) == (
            "lt5k",
            dt.date(2026, 5, 4),
            None,
        )
        assert (opportunity.stage, opportunity.source, opportunity.language) == ("new", "public_page", "en")
        assert list(
            opportunity.stage_changes.values_list("from_stage", "to_stage", "changed_by", "collective")
        ) == [("", "new", None, collective.pk)]

    def test_emails_every_active_admin_once_and_no_plain_member(self, collective, admin_user):
        second_admin = AdminMembershipFactory(collective=collective, user__language="en").user
        AdminMembershipFactory(collective=collective, user__is_active=False)
        MembershipFactory(collective=collective)

        opportunity = opportunity_create_from_proposal(collective=collective, data=PROPOSAL, language="fr")

        emails = OutboundEmail.objects.exclude(to_email=PROPOSAL["contact_email"]).order_by("to_email")
        assert sorted(emails.values_list("to_email", "idempotency_key", "language")) == sorted(
            [
                (admin_user.email, f"opportunity:{opportunity.pk}:admin:{admin_user.pk}", "fr"),
                (second_admin.email, f"opportunity:{opportunity.pk}:admin:{second_admin.pk}", "en"),
            ]
        )
        english = emails.get(to_email=second_admin.email)
        # no company: the subject names the person
        assert english.subject == "New project proposal: Inès Caron"
        assert english.reply_to == "ines@caron.fr"
        assert english.from_email == collective.notification_sender()
        assert "Under €5,000" in english.body_text
        assert "May 4, 2026" in english.body_text
        assert "Deadline: not specified" in english.body_text
        assert "Reply to this email to answer Inès Caron directly." in english.body_text
        assert f"Hello {second_admin.get_short_name()}," in english.body_text

    def test_the_html_email_escapes_what_the_visitor_typed(self, collective, admin_user):
        data = {**PROPOSAL, "contact_name": "<script>alert(1)</script>", "company": "L'Atelier & Co"}
        admin_user.language = "en"
        admin_user.save()

        opportunity_create_from_proposal(collective=collective, data=data, language="fr")

        email = OutboundEmail.objects.get(to_email=admin_user.email)
        assert "<script>" not in email.body_html
        assert "&lt;script&gt;" in email.body_html
        # the plain text parts are not HTML-escaped
        assert email.subject == "New project proposal: L'Atelier & Co"
        assert "Company: L'Atelier & Co" in email.body_text

    def test_the_visitor_gets_an_acknowledgement_in_their_language_once(self, collective, admin_user):
        collective.contact_email = "bonjour@collectif.example"
        collective.save(update_fields=["contact_email"])

        opportunity = opportunity_create_from_proposal(collective=collective, data=PROPOSAL, language="en")

        email = OutboundEmail.objects.get(to_email=PROPOSAL["contact_email"])
        assert email.idempotency_key == f"opportunity:{opportunity.pk}:acknowledgement"
        assert (email.language, email.reply_to) == ("en", "bonjour@collectif.example")
        assert email.subject == f"{collective.name} has received your project"
        assert (
            f"Thank you: {collective.name} has received the project you proposed on its page."
            in email.body_text
        )
        assert PROPOSAL["need"] in email.body_text
        assert f"{settings.BASE_URL}/c/{collective.slug}/" in email.body_text

    def test_without_a_contact_address_the_acknowledgement_replies_to_an_admin(self, collective, admin_user):
        opportunity_create_from_proposal(collective=collective, data=PROPOSAL, language="fr")

        email = OutboundEmail.objects.get(to_email=PROPOSAL["contact_email"])
        assert (email.language, email.reply_to) == ("fr", admin_user.email)
        assert email.subject == f"{collective.name} a bien reçu votre projet"


class TestOpportunityChangeStage:
    def test_records_a_change_only_when_the_stage_changes(self, opportunity, admin_user):
        assert opportunity_change_stage(opportunity=opportunity, stage="qualified", by=admin_user) is True
        assert opportunity_change_stage(opportunity=opportunity, stage="qualified", by=admin_user) is False

        opportunity.refresh_from_db()
        assert opportunity.stage == "qualified"
        assert list(OpportunityStageChange.objects.values_list("from_stage", "to_stage", "changed_by")) == [
            ("new", "qualified", admin_user.pk)
        ]

    def test_each_move_is_recorded_in_order(self, opportunity, admin_user):
        for stage in ["qualified", "proposal_sent", "won"]:
            opportunity_change_stage(opportunity=opportunity, stage=stage, by=admin_user)

        assert list(opportunity.stage_changes.values_list("from_stage", "to_stage")) == [
            ("new", "qualified"),
            ("qualified", "proposal_sent"),
            ("proposal_sent", "won"),
        ]

    def test_a_stale_instance_records_the_true_previous_stage(self, opportunity, admin_user):
        stale = Opportunity.objects.get(pk=opportunity.pk)
        opportunity_change_stage(opportunity=opportunity, stage="qualified", by=admin_user)

        opportunity_change_stage(opportunity=stale, stage="lost", by=admin_user)

        assert list(opportunity.stage_changes.values_list("from_stage", "to_stage")) == [
            ("new", "qualified"),
            ("qualified", "lost"),
        ]

    def test_an_unknown_stage_is_refused(self, opportunity, admin_user):
        with pytest.raises(ValidationError):
            opportunity_change_stage(opportunity=opportunity, stage="archived", by=admin_user)

        opportunity.refresh_from_db()
        assert opportunity.stage == "new"
        assert OpportunityStageChange.objects.count() == 0


class TestOpportunityUpdate:
    def test_updates_the_follow_up(self, opportunity, member_membership):
        opportunity_update(
            opportunity=opportunity,
            by=member_membership.user,
            owner=member_membership.user,
            notes="Budget confirmé au téléphone.",
            next_action="Envoyer la proposition",
            next_action_date=dt.date(2026, 3, 9),
        )

        opportunity.refresh_from_db()
        assert opportunity.owner == member_membership.user
        assert opportunity.notes == "Budget confirmé au téléphone."
        assert opportunity.next_action == "Envoyer la proposition"
        assert opportunity.next_action_date == dt.date(2026, 3, 9)
        assert OpportunityStageChange.objects.count() == 0
        change = OpportunityChange.objects.get()
        assert (change.opportunity, change.changed_by, change.fields) == (
            opportunity,
            member_membership.user,
            {
                "owner_id": [None, str(member_membership.user.pk)],
                "notes": ["", "Budget confirmé au téléphone."],
                "next_action": ["", "Envoyer la proposition"],
                "next_action_date": [None, "2026-03-09"],
            },
        )

    def test_an_unchanged_form_records_nothing(self, opportunity, member_membership):
        opportunity_update(
            opportunity=opportunity,
            by=member_membership.user,
            owner=None,
            notes="",
            next_action="",
            next_action_date=None,
        )

        assert not OpportunityChange.objects.exists()

    def test_an_owner_from_another_collective_is_refused(self, opportunity, other_admin_membership):
        with translation.override("en"), pytest.raises(ValidationError) as error:
            opportunity_update(
                opportunity=opportunity,
                by=opportunity.collective.memberships.first().user,
                owner=other_admin_membership.user,
                notes="x",
                next_action="",
                next_action_date=None,
            )

        assert error.value.messages == ["The owner must be a member of the collective."]
        opportunity.refresh_from_db()
        assert (opportunity.owner, opportunity.notes) == (None, "")


class TestOpportunityCreate:
    def test_creates_a_manual_opportunity_recorded_by_its_author(
        self, collective, admin_user, member_membership
    ):
        admin_user.language = "en"
        admin_user.save()
        data = {
            **PROPOSAL,
            "owner": member_membership.user,
            "notes": "Rencontrée au salon.",
            "next_action": "Rappeler",
            "next_action_date": dt.date(2026, 3, 4),
        }

        opportunity = opportunity_create(collective=collective, by=admin_user, data=data)

        opportunity.refresh_from_db()
        assert (opportunity.source, opportunity.stage, opportunity.language) == ("manual", "new", "en")
        assert (opportunity.owner, opportunity.notes, opportunity.next_action) == (
            member_membership.user,
            "Rencontrée au salon.",
            "Rappeler",
        )
        assert list(opportunity.stage_changes.values_list("from_stage", "to_stage", "changed_by")) == [
            ("", "new", admin_user.pk)
        ]
        assert OutboundEmail.objects.count() == 0

    def test_an_owner_who_is_not_a_member_is_refused(self, collective, admin_user):
        with pytest.raises(ValidationError):
            opportunity_create(
                collective=collective, by=admin_user, data={**PROPOSAL, "owner": UserFactory()}
            )

        assert Opportunity.objects.count() == 0
        assert OpportunityStageChange.objects.count() == 0
