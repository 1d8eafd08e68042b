import datetime as dt
import re

import pytest
from django.urls import reverse

from cordee.core.tests.factories import MembershipFactory, OpportunityFactory
from cordee.opportunities.models import Opportunity, OpportunityStageChange
from cordee.opportunities.tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def pipeline_url(collective, query=""):
    return reverse("opportunities:pipeline", args=[collective.slug]) + query


def list_url(collective, query=""):
    return reverse("opportunities:list", args=[collective.slug]) + query


def move_url(opportunity):
    return reverse("opportunities:move", args=[opportunity.collective.slug, opportunity.pk])


def column(content, stage):
    """The HTML of one column of the board."""
    match = re.search(rf'<section class="board__column board__column--{stage}".*?</section>', content, re.S)
    assert match, f"no {stage} column"
    return match.group(0)


def card_titles(html):
    return re.findall(
        r'<h3 class="board__card-title kanban-card__title" id="card-\d+"><a href="[^"]+"[^>]*>([^<]+)</a></h3>',
        html,
    )


def test_the_board_has_one_column_per_stage_with_counts_and_cards(
    admin_client, collective, admin_user, member_membership, frozen_now
):
    OpportunityFactory(
        collective=collective,
        company="Maison Lenoir",
        contact_name="Anne Lenoir",
        need="Boutique en ligne pour nos créations, avec paiement et gestion des stocks.",
        budget="15k-50k",
        owner=admin_user,
        next_action="Rappeler",
        next_action_date=TODAY - dt.timedelta(days=2),
    )
    OpportunityFactory(collective=collective, company="", contact_name="Jules Petit", stage="qualified")
    OpportunityFactory(collective=collective, company="Durand SA", stage="qualified", next_action_date=TODAY)
    OpportunityFactory(
        collective=collective,
        company="Gagné SARL",
        stage="won",
        next_action_date=TODAY - dt.timedelta(days=9),
    )

    response = admin_client.get(pipeline_url(collective))

    assert response.status_code == 200
    content = response.content.decode()
    new = column(content, "new")
    assert "<span>New</span>" in new
    assert "1 opportunity" in new
    assert card_titles(new) == ["Maison Lenoir"]
    # A compact card: who (the contact and the need in its tooltip), the owner's avatar, the next action's
    # date, the budget.
    assert 'title="Anne Lenoir · Boutique en ligne pour nos créations' in new
    assert (
        '<span class="kanban-card__tag" title="€15,000 to €50,000"><span aria-hidden="true">€15k–50k</span>'
        '<span class="visually-hidden">€15,000 to €50,000</span></span>'
    ) in new
    assert f'<span class="visually-hidden">Owner: {admin_user.display_name}</span>' in new
    assert '<time datetime="2026-02-28" title="Rappeler">February 28</time>' in new
    assert '<span class="badge badge--danger">Overdue</span>' in new
    qualified = column(content, "qualified")
    assert "2 opportunities" in qualified
    assert sorted(card_titles(qualified)) == ["Durand SA", "Jules Petit"]
    assert '<span class="badge badge--pending">Today</span>' in qualified
    assert "Overdue" not in qualified
    assert "Unassigned" in qualified
    assert "0 opportunities" in column(content, "proposal_sent")
    assert "Move here the opportunities once your proposal is sent." in column(content, "proposal_sent")
    won = column(content, "won")
    assert card_titles(won) == ["Gagné SARL"]
    # a won opportunity is not late
    assert "Overdue" not in won
    assert f'href="{list_url(collective)}?stage=won"' in won
    assert "0 opportunities" in column(content, "lost")


def test_open_columns_put_the_most_urgent_next_action_first(admin_client, collective, frozen_now):
    OpportunityFactory(collective=collective, company="Sans date")
    OpportunityFactory(
        collective=collective, company="Dans une semaine", next_action_date=TODAY + dt.timedelta(7)
    )
    OpportunityFactory(collective=collective, company="En retard", next_action_date=TODAY - dt.timedelta(3))

    content = admin_client.get(pipeline_url(collective)).content.decode()

    assert card_titles(column(content, "new")) == ["En retard", "Dans une semaine", "Sans date"]


def test_won_and_lost_columns_show_the_ten_most_recent_and_link_to_all(admin_client, collective, frozen_now):
    for index in range(12):
        frozen_now.shift(dt.timedelta(hours=1))
        OpportunityFactory(collective=collective, company=f"Gagné {index:02d}", stage="won")
    OpportunityFactory(collective=collective, company="Perdu", stage="lost")

    content = admin_client.get(pipeline_url(collective)).content.decode()

    won = column(content, "won")
    assert "12 opportunities" in won
    assert card_titles(won) == [f"Gagné {index:02d}" for index in range(11, 1, -1)]
    assert "The 10 most recent of 12." in won
    assert f'<a class="board__more" href="{list_url(collective)}?stage=won">See all (12)' in won
    lost = column(content, "lost")
    assert card_titles(lost) == ["Perdu"]
    assert f'<a class="board__more" href="{list_url(collective)}?stage=lost">See all (1)' in lost


def test_filters_mine_and_unassigned(admin_client, collective, admin_user, member_membership):
    OpportunityFactory(collective=collective, company="À moi", owner=admin_user)
    OpportunityFactory(collective=collective, company="À Léa", owner=member_membership.user)
    OpportunityFactory(collective=collective, company="Personne")

    everything = admin_client.get(pipeline_url(collective)).content.decode()
    mine = admin_client.get(pipeline_url(collective, "?owner=mine")).content.decode()
    unassigned = admin_client.get(pipeline_url(collective, "?owner=unassigned")).content.decode()

    assert sorted(card_titles(everything)) == ["Personne", "À Léa", "À moi"]
    assert card_titles(mine) == ["À moi"]
    assert f'<a href="{pipeline_url(collective)}?owner=mine" aria-current="page">Mine</a>' in mine
    assert card_titles(unassigned) == ["Personne"]
    # the filter follows the moves and the switch to the list
    assert '<input type="hidden" name="owner" value="unassigned">' in unassigned
    assert f'href="{list_url(collective)}?owner=unassigned"' in unassigned


def test_an_unknown_filter_shows_everything(admin_client, collective, admin_user):
    OpportunityFactory(collective=collective, company="Personne")

    content = admin_client.get(pipeline_url(collective, "?owner=someone-else")).content.decode()

    assert card_titles(content) == ["Personne"]


def test_the_empty_board_says_what_to_do(admin_client, collective):
    content = admin_client.get(pipeline_url(collective)).content.decode()

    assert "No new request. Share your public page, or add an opportunity you heard of." in content
    assert f'href="{reverse("opportunities:create", args=[collective.slug])}"' in content


def _fill(collective, owner, count):
    stages = Opportunity.Stage.values
    for index in range(count):
        OpportunityFactory(
            collective=collective,
            stage=stages[index % len(stages)],
            owner=owner if index % 2 else None,
            next_action_date=TODAY if index % 3 else None,
        )


def test_the_board_query_count_does_not_grow(admin_client, collective, admin_user, django_assert_num_queries):
    url = pipeline_url(collective)
    _fill(collective, admin_user, 3)
    admin_client.get(url)  # warm-up
    # session, user, membership, the top bar's collectives, counts per stage, cards with owners
    with django_assert_num_queries(6):
        response = admin_client.get(url)
    assert len(card_titles(response.content.decode())) == 3

    _fill(collective, admin_user, 27)
    with django_assert_num_queries(6):
        response = admin_client.get(url)
    assert len(card_titles(response.content.decode())) == 30
    with django_assert_num_queries(6):
        admin_client.get(url + "?owner=mine")


class TestMove:
    def test_a_plain_post_moves_the_card_records_it_and_redirects(
        self, admin_client, opportunity, admin_user
    ):
        response = admin_client.post(
            move_url(opportunity), {"stage": "qualified", "owner": "mine"}, follow=True
        )

        assert response.redirect_chain == [(pipeline_url(opportunity.collective, "?owner=mine"), 302)]
        assert "“Durand SA” moved to Qualified." in response.content.decode()
        opportunity.refresh_from_db()
        assert opportunity.stage == "qualified"
        assert list(OpportunityStageChange.objects.values_list("from_stage", "to_stage", "changed_by")) == [
            ("new", "qualified", admin_user.pk)
        ]

    def test_htmx_gets_the_board_fragment_back(self, admin_client, opportunity):
        response = admin_client.post(move_url(opportunity), {"stage": "won"}, HTTP_HX_REQUEST="true")

        assert response.status_code == 200
        content = response.content.decode()
        assert "<html" not in content
        assert content.count('id="board"') == 1
        assert card_titles(column(content, "won")) == ["Durand SA"]
        assert card_titles(column(content, "new")) == []
        assert '<div id="board-status" hx-swap-oob="innerHTML">' in content
        assert "“Durand SA” moved to Won." in content
        opportunity.refresh_from_db()
        assert opportunity.stage == "won"
        assert OpportunityStageChange.objects.count() == 1

    def test_moving_to_the_same_stage_records_nothing(self, admin_client, opportunity):
        response = admin_client.post(move_url(opportunity), {"stage": "new"}, follow=True)

        assert "“Durand SA” is already in New." in response.content.decode()
        assert OpportunityStageChange.objects.count() == 0

    def test_an_invalid_stage_changes_nothing(self, admin_client, opportunity):
        response = admin_client.post(move_url(opportunity), {"stage": "archived"}, HTTP_HX_REQUEST="true")

        assert "Choose a valid stage." in response.content.decode()
        opportunity.refresh_from_db()
        assert opportunity.stage == "new"
        assert OpportunityStageChange.objects.count() == 0

    def test_get_is_not_allowed(self, admin_client, opportunity):
        assert admin_client.get(move_url(opportunity)).status_code == 405

    def test_the_board_has_one_menu_and_no_form_per_card(self, admin_client, opportunity):
        OpportunityFactory(collective=opportunity.collective, company="Autre")

        content = admin_client.get(pipeline_url(opportunity.collective)).content.decode()

        template = move_url(opportunity).replace(f"/{opportunity.pk}/", "/{id}/")
        assert f'data-drop-url="{template}" data-drop-field="stage"' in content
        assert f'data-url="{template}" data-name="stage" data-value="won">Won</button>' in content
        assert content.count('role="menu"') == 1
        assert content.count("<form") == 3  # log out, the board's one action form, the language
        detail = reverse("opportunities:detail", args=[opportunity.collective.slug, opportunity.pk])
        # Without JavaScript, the card's menu link opens the opportunity, whose form changes the stage.
        assert f'<a class="task-card__menu" href="{detail}" data-menu-button>' in content
        assert f'data-id="{opportunity.pk}" data-stage="new" data-actions="move" draggable="true"' in content


class TestList:
    def test_paginates_by_25_the_most_recent_first(self, admin_client, collective, frozen_now):
        for index in range(27):
            frozen_now.shift(dt.timedelta(minutes=1))
            OpportunityFactory(collective=collective, company=f"Société {index:02d}")

        first = admin_client.get(list_url(collective)).content.decode()
        second = admin_client.get(list_url(collective, "?page=2")).content.decode()

        assert "27 opportunities" in first
        assert first.count("<tr>") == 26  # header + 25
        assert "Société 26" in first
        assert "Société 01" not in first
        assert "Page 1 of 2" in first
        assert 'href="?page=2"' in first
        assert second.count("<tr>") == 3
        assert "Société 01" in second and "Société 00" in second

    def test_filters_by_stage_owner_and_search_and_keeps_them_across_pages(
        self, admin_client, collective, admin_user
    ):
        OpportunityFactory(collective=collective, company="Gagnée", stage="won", owner=admin_user)
        OpportunityFactory(collective=collective, company="Perdue", stage="lost", owner=admin_user)
        OpportunityFactory(collective=collective, company="Autre gagnée", stage="won")
        OpportunityFactory(collective=collective, company="Cherchez-moi", need="Une application de quiz")

        won = admin_client.get(list_url(collective, "?stage=won")).content.decode()
        mine_won = admin_client.get(list_url(collective, "?stage=won&owner=mine")).content.decode()
        search = admin_client.get(list_url(collective, "?q=quiz")).content.decode()

        assert "<h1>Opportunities: Won</h1>" in won
        assert "Gagnée" in won and "Autre gagnée" in won
        assert "Perdue" not in won
        assert "Gagnée" in mine_won
        assert "Autre gagnée" not in mine_won
        assert "Cherchez-moi" in search
        assert "Gagnée" not in search
        assert 'value="quiz"' in search

        for index in range(26):
            OpportunityFactory(collective=collective, company=f"Won {index}", stage="won")
        page = admin_client.get(list_url(collective, "?stage=won")).content.decode()
        assert 'href="?stage=won&amp;page=2"' in page

    def test_empty_states(self, admin_client, collective):
        empty = admin_client.get(list_url(collective)).content.decode()
        filtered = admin_client.get(list_url(collective, "?stage=lost")).content.decode()

        assert "No opportunity yet. Share your public page" in empty
        assert "No opportunity matches these filters." in filtered

    def test_query_count_does_not_grow(self, admin_client, collective, admin_user, django_assert_num_queries):
        url = list_url(collective)
        _fill(collective, admin_user, 3)
        admin_client.get(url)
        # session, user, membership, top bar, count, page with owners
        with django_assert_num_queries(6):
            admin_client.get(url)
        _fill(collective, admin_user, 27)
        with django_assert_num_queries(6):
            response = admin_client.get(url)
        assert response.content.decode().count("<tr>") == 26


def test_a_plain_member_sees_the_pipeline_too(client, collective, member_membership, opportunity):
    client.force_login(member_membership.user)

    response = client.get(pipeline_url(collective))

    assert response.status_code == 200
    assert card_titles(response.content.decode()) == ["Durand SA"]


def test_cards_of_other_collectives_never_show(admin_client, collective, other_opportunity, opportunity):
    content = admin_client.get(pipeline_url(collective)).content.decode()

    assert card_titles(content) == ["Durand SA"]
    assert "Société B" not in content


def test_the_mine_filter_is_relative_to_who_is_looking(client, collective, opportunity):
    member = MembershipFactory(collective=collective).user
    opportunity.owner = member
    opportunity.save()
    client.force_login(member)

    content = client.get(pipeline_url(collective, "?owner=mine")).content.decode()

    assert card_titles(content) == ["Durand SA"]


def test_open_columns_show_their_20_most_urgent_cards_and_link_to_the_rest(
    admin_client, collective, frozen_now, django_assert_num_queries
):
    for index in range(26):
        OpportunityFactory(
            collective=collective,
            company=f"Prospect {index:02d}",
            next_action_date=TODAY + dt.timedelta(index),
        )
    url = pipeline_url(collective)
    admin_client.get(url)  # warm-up

    with django_assert_num_queries(6):
        content = admin_client.get(url).content.decode()

    new = column(content, "new")
    assert card_titles(new) == [f"Prospect {index:02d}" for index in range(20)]
    assert "20 shown out of 26." in new
    assert f'<a class="board__more" href="{list_url(collective)}?stage=new">See all (26)' in new
