"""Magic links: stored hashed, single-use, expiring after 7 days, revocable; the portal session they open."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY as MEMBER_SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from cordee.core.tokens import token_hash
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory
from cordee.portal.models import PortalAccess
from cordee.portal.services import (
    portal_access_revoke_by_operator,
    portal_link_create,
    portal_link_for,
)
from cordee.portal.sessions import ACCESS_KEY, CONTACT_KEY
from cordee.portal.tests.conftest import sign_in, token_of

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def contact():
    mission = MissionFactory()
    mission.lead.full_name = "Claire Martin"  # a fixed name: the pages are asserted on it
    mission.lead.save()
    return ClientContactFactory(client=mission.client, full_name="Paul Durand", language="en")


def magic_url(link: str) -> str:
    return reverse("portal:magic", args=[token_of(link)])


def portal_state(client) -> tuple:
    session = client.session
    return session.get(CONTACT_KEY), session.get(ACCESS_KEY)


class TestTheLink:
    def test_only_the_hash_of_the_token_is_stored(self, contact, settings):
        with time_machine.travel(START, tick=False):
            link = portal_link_create(contact=contact)

        raw = token_of(link)
        access = PortalAccess.objects.get()
        assert link == f"{settings.BASE_URL}/portal/m/{raw}/"
        assert len(raw) >= 43  # 256 random bits, URL-safe
        assert access.token_hash == token_hash(raw)
        assert raw not in str(PortalAccess.objects.values().get())
        assert (access.contact, access.collective_id) == (contact, contact.collective_id)
        assert access.expires_at == START + dt.timedelta(days=7)
        assert (access.used_at, access.revoked_at) == (None, None)

    def test_the_validity_follows_the_setting(self, contact, settings):
        settings.PORTAL_LINK_VALIDITY_DAYS = 3
        with time_machine.travel(START, tick=False):
            portal_link_create(contact=contact)

        assert PortalAccess.objects.get().expires_at == START + dt.timedelta(days=3)

    def test_portal_link_for_gives_a_fresh_link_and_the_sign_in_page_once_revoked(self, contact, settings):
        first = portal_link_for(contact)
        second = portal_link_for(contact)
        portal_access_revoke_by_operator(contact=contact)

        after_revocation = portal_link_for(contact)

        assert first != second
        assert first.startswith(f"{settings.BASE_URL}/portal/m/")
        assert after_revocation == f"{settings.BASE_URL}/portal/"
        assert PortalAccess.objects.count() == 2


class TestOpeningTheLink:
    def test_a_get_shows_the_button_and_does_not_use_the_link(self, client, contact):
        link = portal_link_create(contact=contact)

        response = client.get(magic_url(link))

        content = response.content.decode()
        assert response.status_code == 200
        assert "Continue to your portal" in content
        assert "Hello Paul Durand" in content
        assert PortalAccess.objects.get().used_at is None
        assert portal_state(client) == (None, None)
        assert response["Cache-Control"].startswith("max-age=0")

    def test_the_post_signs_in_and_cycles_the_session_key(self, client, contact):
        with time_machine.travel(START, tick=False):
            client.get(reverse("portal:home"))  # a session exists before (the page asked for is kept)
            session_key_before = client.session.session_key
            link = portal_link_create(contact=contact)

            response = client.post(magic_url(link))

            access = PortalAccess.objects.get()
            assert response.status_code == 302
            assert response["Location"] == reverse("portal:home")
            assert access.used_at == START
            assert portal_state(client) == (contact.pk, access.pk)
            assert session_key_before
            assert client.session.session_key != session_key_before
            assert MEMBER_SESSION_KEY not in client.session

    def test_a_second_post_is_refused_with_the_message_and_a_way_to_ask_again(self, client, contact):
        link = portal_link_create(contact=contact)
        client.post(magic_url(link))
        used_at = PortalAccess.objects.get().used_at
        other_browser = client.__class__()

        response = other_browser.post(magic_url(link))

        content = response.content.decode()
        assert response.status_code == 410
        assert "This sign-in link was already used: each link works only once." in content
        assert 'role="alert"' in content
        assert reverse("portal:login") in content
        assert f'value="{contact.email}"' in content
        assert PortalAccess.objects.get().used_at == used_at
        assert portal_state(other_browser) == (None, None)

    def test_the_browser_it_signed_in_goes_back_to_its_portal(self, client, contact):
        link = sign_in(client, contact)

        response = client.get(magic_url(link))

        assert response.status_code == 302
        assert response["Location"] == reverse("portal:home")

    def test_an_unknown_token_is_refused(self, client, contact):
        response = client.post(reverse("portal:magic", args=["not-a-real-token"]))

        assert response.status_code == 404
        assert "This sign-in link is not valid." in response.content.decode()
        assert portal_state(client) == (None, None)

    @pytest.mark.parametrize(
        ("days", "signs_in"),
        [(6, True), (8, False)],
    )
    def test_a_link_works_for_seven_days(self, client, contact, days, signs_in):
        with time_machine.travel(START, tick=False):
            link = portal_link_create(contact=contact)

        with time_machine.travel(START + dt.timedelta(days=days), tick=False):
            page = client.get(magic_url(link))
            response = client.post(magic_url(link))
            state = portal_state(client)

        access = PortalAccess.objects.get()
        if signs_in:
            assert page.status_code == 200
            assert response.status_code == 302
            assert access.used_at == START + dt.timedelta(days=days)
            assert state == (contact.pk, access.pk)
        else:
            for answer in (page, response):
                assert answer.status_code == 410
                assert "This sign-in link has expired: links work for 7 days." in answer.content.decode()
            assert access.used_at is None
            assert state == (None, None)

    def test_a_revoked_link_is_refused_and_offers_no_new_link(self, client, contact):
        link = portal_link_create(contact=contact)
        portal_access_revoke_by_operator(contact=contact)

        response = client.post(magic_url(link))

        content = response.content.decode()
        assert response.status_code == 410
        lead = contact.client.missions.get().lead
        assert "This sign-in link was cancelled by the collective." in content
        assert f'Your contact: {lead.display_name}, <a href="mailto:{lead.email}">' in content
        assert "Email me a new link" not in content
        assert PortalAccess.objects.get().used_at is None
        assert portal_state(client) == (None, None)

    def test_the_page_is_in_the_contact_language(self, client, contact):
        contact.language = "fr"
        contact.save()
        link = portal_link_create(contact=contact)

        response = client.get(magic_url(link), HTTP_ACCEPT_LANGUAGE="en")

        assert '<html lang="fr">' in response.content.decode()

    def test_the_language_chosen_on_the_device_wins_and_becomes_the_contact_language(self, client, contact):
        contact.language = "fr"
        contact.save()
        link = portal_link_create(contact=contact)
        client.post(reverse("set_language"), {"language": "en", "next": magic_url(link)})

        page = client.get(magic_url(link))
        client.post(magic_url(link))

        assert '<html lang="en">' in page.content.decode()
        contact.refresh_from_db()
        assert contact.language == "en"

    def test_after_sign_in_the_page_asked_before_is_opened(self, client, contact):
        mission_url = reverse("portal:home") + "?page=1"
        client.get(mission_url)
        link = portal_link_create(contact=contact)

        response = client.post(magic_url(link))

        assert response["Location"] == mission_url


class TestThePortalSession:
    def test_revocation_ends_an_open_session(self, client, contact):
        sign_in(client, contact)
        assert client.get(reverse("portal:home")).status_code == 200

        revoked = portal_access_revoke_by_operator(contact=contact)
        response = client.get(reverse("portal:home"), follow=True)

        assert revoked == 1
        assert response.redirect_chain == [(reverse("portal:login"), 302)]
        assert "Your portal session has ended." in response.content.decode()
        assert portal_state(client) == (None, None)

    def test_revocation_revokes_every_unused_link_of_the_contact_only(self, contact):
        other = ClientContactFactory(client=contact.client)
        portal_link_create(contact=contact)
        portal_link_create(contact=contact)
        portal_link_create(contact=other)

        assert portal_access_revoke_by_operator(contact=contact) == 2

        assert PortalAccess.objects.filter(contact=contact, revoked_at__isnull=True).count() == 0
        assert PortalAccess.objects.get(contact=other).revoked_at is None

    def test_the_session_lasts_thirty_days(self, client, contact):
        with time_machine.travel(START, tick=False):
            sign_in(client, contact)
        with time_machine.travel(START + dt.timedelta(days=29), tick=False):
            day_29 = client.get(reverse("portal:home"))
        with time_machine.travel(START + dt.timedelta(days=30, minutes=1), tick=False):
            day_30 = client.get(reverse("portal:home"))

        assert day_29.status_code == 200
        assert day_30.status_code == 302
        assert day_30["Location"] == reverse("portal:login")

    def test_the_session_cookie_is_set_for_thirty_days(self, client, contact):
        with time_machine.travel(START, tick=False):
            sign_in(client, contact)
            expiry = client.session.get_expiry_date()

        assert expiry == START + dt.timedelta(days=30)

    def test_signing_out_ends_the_session_even_for_a_copied_cookie(self, client, contact):
        sign_in(client, contact)
        copied = client.__class__()
        copied.cookies = client.cookies.__class__(client.cookies)
        access = PortalAccess.objects.get()

        response = client.post(reverse("portal:logout"), follow=True)

        assert response.redirect_chain == [(reverse("portal:login"), 302)]
        assert "You are signed out of the portal." in response.content.decode()
        assert portal_state(client) == (None, None)
        access.refresh_from_db()
        assert access.session_ended_at is not None
        assert copied.get(reverse("portal:home")).status_code == 302

    def test_signing_out_keeps_the_member_signed_in_on_the_same_browser(self, client, contact):
        member = contact.client.missions.get().lead
        client.force_login(member)
        sign_in(client, contact)

        client.post(reverse("portal:logout"))

        assert client.get(reverse("collectives:home")).status_code == 200
        assert client.get(reverse("portal:home")).status_code == 302

    def test_an_ended_session_is_told_once(self, client, contact):
        sign_in(client, contact)
        portal_access_revoke_by_operator(contact=contact)

        first = client.get(reverse("portal:home"), follow=True)
        second = client.get(reverse("portal:home"), follow=True)

        assert "Your portal session has ended." in first.content.decode()
        assert "Your portal session has ended." not in second.content.decode()

    def test_the_link_is_claimed_by_a_conditional_update(self, contact):
        """Two consumers racing: the second UPDATE changes no row and is refused."""
        from cordee.portal.services import PortalLinkRefused, portal_link_consume

        link = portal_link_create(contact=contact)
        first = portal_link_consume(raw_token=token_of(link))
        with pytest.raises(PortalLinkRefused) as refused:
            portal_link_consume(raw_token=token_of(link))

        assert first.used_at is not None
        assert refused.value.reason == "used"
        assert PortalAccess.objects.get().used_at == first.used_at
        assert timezone.is_aware(first.used_at)
