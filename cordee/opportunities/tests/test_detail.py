import datetime as dt

import pytest
from django.urls import reverse

from cordee.core.tests.factories import MembershipFactory, OpportunityFactory
from cordee.opportunities.models import Opportunity, OpportunityChange, OpportunityStageChange
from cordee.opportunities.services import opportunity_change_stage, opportunity_create_from_proposal
from cordee.opportunities.tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def detail_url(opportunity):
    return reverse("opportunities:detail", args=[opportunity.collective.slug, opportunity.pk])


def edit_data(**changes):
    data = {"stage": "new", "owner": "", "notes": "", "next_action": "", "next_action_date": ""}
    data.update(changes)
    return data


class TestDetail:
    def test_shows_the_whole_proposal_and_its_history(self, admin_client, collective, admin_user, frozen_now):
        opportunity = opportunity_create_from_proposal(
            collective=collective,
            data={
                "contact_name": "Paul Durand",
                "contact_email": "paul@durand-sa.fr",
                "company": "Durand SA",
                "need": "Refonte de l'application.\n\nAvec un back-office.",
                "budget": "gt50k",
                "desired_start": dt.date(2026, 4, 1),
                "deadline": dt.date(2026, 9, 30),
            },
            language="en",
        )
        frozen_now.shift(dt.timedelta(hours=3))
        opportunity_change_stage(opportunity=opportunity, stage="qualified", by=admin_user)

        response = admin_client.get(detail_url(opportunity))

        assert response.status_code == 200
        content = response.content.decode()
        assert "<h1>Durand SA</h1>" in content
        assert "Paul Durand" in content
        assert 'href="mailto:paul@durand-sa.fr"' in content
        assert "Over €50,000" in content
        assert "April 1, 2026" in content
        assert "Sept. 30, 2026" in content
        assert "English" in content
        assert "<p>Refonte de l&#x27;application.</p>" in content
        assert "<p>Avec un back-office.</p>" in content
        assert "Public page" in content
        assert '<span class="badge badge--qualified">Qualified</span>' in content
        assert "Received from the public page, in New" in content
        assert f"{admin_user.display_name} moved it from New to Qualified" in content
        assert "March 2, 2026, 1 p.m." in content

    def test_the_form_starts_with_the_current_values_and_lists_only_members(
        self, admin_client, opportunity, member_membership, other_admin_membership
    ):
        opportunity.owner = member_membership.user
        opportunity.next_action = "Appeler Paul"
        opportunity.save()

        content = admin_client.get(detail_url(opportunity)).content.decode()

        assert f'<option value="{member_membership.user.pk}" selected>' in content
        assert 'value="Appeler Paul"' in content
        assert '<option value="new" selected>New</option>' in content
        assert f'<option value="{other_admin_membership.user.pk}"' not in content

    def test_an_overdue_next_action_is_said_in_words(self, admin_client, opportunity, frozen_now):
        opportunity.next_action_date = TODAY - dt.timedelta(days=1)
        opportunity.save()

        content = admin_client.get(detail_url(opportunity)).content.decode()

        assert '<span class="badge badge--danger">Overdue</span>' in content
        assert "The next action was due on March 1, 2026." in content


class TestEdit:
    def test_changing_the_stage_records_it_once_with_the_rest(
        self, admin_client, opportunity, admin_user, member_membership
    ):
        data = edit_data(
            stage="proposal_sent",
            owner=member_membership.user.pk,
            notes="Proposition envoyée le 2 mars.",
            next_action="Relancer",
            next_action_date="2026-03-09",
        )

        response = admin_client.post(detail_url(opportunity), data, follow=True)

        assert response.redirect_chain == [(detail_url(opportunity), 302)]
        assert "The opportunity was updated." in response.content.decode()
        opportunity.refresh_from_db()
        assert opportunity.stage == "proposal_sent"
        assert opportunity.owner == member_membership.user
        assert opportunity.notes == "Proposition envoyée le 2 mars."
        assert opportunity.next_action == "Relancer"
        assert opportunity.next_action_date == dt.date(2026, 3, 9)
        assert list(OpportunityStageChange.objects.values_list("from_stage", "to_stage", "changed_by")) == [
            ("new", "proposal_sent", admin_user.pk)
        ]

    def test_saving_without_changing_the_stage_records_no_stage_change(self, admin_client, opportunity):
        response = admin_client.post(detail_url(opportunity), edit_data(stage="new", notes="Juste une note"))

        assert response.status_code == 302
        opportunity.refresh_from_db()
        assert opportunity.notes == "Juste une note"
        assert OpportunityStageChange.objects.count() == 0

    def test_any_member_edits_and_the_history_says_who_changed_what(
        self, client, opportunity, member_membership
    ):
        client.force_login(member_membership.user)

        response = client.post(
            detail_url(opportunity),
            edit_data(notes="Budget confirmé", next_action="Relancer"),
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )

        assert response.status_code == 200
        assert (
            f"{member_membership.user.display_name} changed: notes, next action" in response.content.decode()
        )
        assert list(OpportunityChange.objects.values_list("changed_by", "fields")) == [
            (member_membership.user.pk, {"notes": ["", "Budget confirmé"], "next_action": ["", "Relancer"]})
        ]

    def test_the_owner_can_be_removed(self, admin_client, opportunity, admin_user):
        opportunity.owner = admin_user
        opportunity.save()

        admin_client.post(detail_url(opportunity), edit_data(owner=""))

        opportunity.refresh_from_db()
        assert opportunity.owner is None

    def test_an_owner_from_another_collective_is_refused(
        self, admin_client, opportunity, other_admin_membership
    ):
        outsider = other_admin_membership.user
        data = edit_data(stage="won", owner=outsider.pk, notes="Tentative", next_action="Rappeler")

        response = admin_client.post(detail_url(opportunity), data)

        assert response.status_code == 200
        content = response.content.decode()
        assert "Select a valid choice. That choice is not one of the available choices." in content
        assert "Tentative</textarea>" in content
        assert 'value="Rappeler"' in content
        assert '<option value="won" selected>Won</option>' in content
        opportunity.refresh_from_db()
        assert (opportunity.stage, opportunity.owner, opportunity.notes, opportunity.next_action) == (
            "new",
            None,
            "",
            "",
        )
        assert OpportunityStageChange.objects.count() == 0

    def test_an_invalid_stage_or_date_is_refused_and_typed_values_kept(self, admin_client, opportunity):
        data = edit_data(stage="archived", next_action_date="31/02/2026", notes="Gardée")

        response = admin_client.post(detail_url(opportunity), data)

        content = response.content.decode()
        assert "Select a valid choice. archived is not one of the available choices." in content
        assert "Enter a valid date." in content
        assert 'value="31/02/2026"' in content
        assert "Gardée</textarea>" in content
        opportunity.refresh_from_db()
        assert (opportunity.stage, opportunity.notes) == ("new", "")
        assert OpportunityStageChange.objects.count() == 0


class TestCreate:
    def url(self, collective):
        return reverse("opportunities:create", args=[collective.slug])

    def test_the_form_proposes_the_author_as_owner(self, admin_client, collective, admin_user):
        content = admin_client.get(self.url(collective)).content.decode()

        assert f'<option value="{admin_user.pk}" selected>' in content

    def test_a_member_adds_an_opportunity_by_hand(self, client, collective, frozen_now):
        member = MembershipFactory(collective=collective).user
        client.force_login(member)
        data = {
            "contact_name": "Marc Henry",
            "contact_email": "marc@henry.fr",
            "company": "Henry & fils",
            "need": "Une identité visuelle.",
            "budget": "5k-15k",
            "desired_start": "2026-04-01",
            "deadline": "",
            "owner": member.pk,
            "next_action": "Envoyer un devis",
            "next_action_date": "2026-03-05",
            "notes": "Recommandé par Maison Lenoir.",
        }

        response = client.post(self.url(collective), data, follow=True)

        opportunity = Opportunity.objects.get()
        assert response.redirect_chain == [(detail_url(opportunity), 302)]
        assert "The opportunity was added to the pipeline." in response.content.decode()
        assert (opportunity.source, opportunity.stage, opportunity.owner) == ("manual", "new", member)
        assert (opportunity.company, opportunity.next_action, opportunity.notes) == (
            "Henry & fils",
            "Envoyer un devis",
            "Recommandé par Maison Lenoir.",
        )
        assert list(opportunity.stage_changes.values_list("from_stage", "to_stage", "changed_by")) == [
            ("", "new", member.pk)
        ]

    def test_invalid_entries_are_refused_and_typed_values_kept(
        self, admin_client, collective, other_admin_membership, frozen_now
    ):
        data = {
            "contact_name": "Marc Henry",
            "contact_email": "pas-un-email",
            "company": "Henry & fils",
            "need": "",
            "budget": "5k-15k",
            "desired_start": "2026-04-01",
            "deadline": "2026-03-15",
            "owner": other_admin_membership.user.pk,
        }

        response = admin_client.post(self.url(collective), data)

        assert response.status_code == 200
        content = response.content.decode()
        assert "Enter a valid email address." in content
        assert "This field is required." in content
        assert "The deadline cannot be before the desired start." in content
        assert "Select a valid choice." in content
        assert 'value="Marc Henry"' in content
        assert 'value="pas-un-email"' in content
        assert 'value="Henry &amp; fils"' in content
        assert 'value="2026-04-01"' in content
        assert Opportunity.objects.count() == 0
        assert OpportunityStageChange.objects.count() == 0


def test_the_pipeline_of_another_page_links_back(admin_client, collective):
    opportunity = OpportunityFactory(collective=collective)

    content = admin_client.get(detail_url(opportunity)).content.decode()

    assert f'href="{reverse("opportunities:pipeline", args=[collective.slug])}"' in content
