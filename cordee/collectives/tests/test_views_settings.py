import pytest
from django.urls import reverse

from cordee.collectives.models import Collective
from cordee.core.tests.factories import CollectiveFactory

pytestmark = pytest.mark.django_db


def settings_url(collective):
    return reverse("collectives:settings", args=[collective.slug])


def settings_data(collective, **overrides):
    data = {
        "name": collective.name,
        "slug": collective.slug,
        "time_zone": "Europe/Paris",
        "contact_email": "",
        "feedback_sender_name": "",
        "feedback_sender_email": "",
        "notification_sender_name": "",
        "notification_sender_email": "",
    }
    return {**data, **overrides}


def test_the_form_shows_the_default_senders_as_placeholders(admin_client, collective, settings):
    response = admin_client.get(settings_url(collective))

    content = response.content.decode()
    assert f'placeholder="Feedback — {collective.name}"' in content
    assert f'placeholder="feedback+{collective.slug}@{settings.EMAIL_SENDER_DOMAIN}"' in content
    assert f'placeholder="noreply+{collective.slug}@{settings.EMAIL_SENDER_DOMAIN}"' in content
    assert (
        f"<code>Feedback — {collective.name} &lt;feedback+{collective.slug}@{settings.EMAIL_SENDER_DOMAIN}&gt;</code>"
        in content
    )


def test_an_admin_changes_name_time_zone_senders_and_slug(admin_client, collective):
    response = admin_client.post(
        settings_url(collective),
        settings_data(
            collective,
            name="Atelier Renommé",
            slug="atelier-renomme",
            time_zone="Europe/Brussels",
            contact_email="contact@atelier.example",
            notification_sender_name="L'équipe Atelier",
            notification_sender_email="equipe@atelier.example",
        ),
        follow=True,
    )

    collective.refresh_from_db()
    assert (collective.name, collective.slug, collective.time_zone) == (
        "Atelier Renommé",
        "atelier-renomme",
        "Europe/Brussels",
    )
    assert collective.notification_sender_identity() == ("L'équipe Atelier", "equipe@atelier.example")
    assert collective.notification_sender() == "L'équipe Atelier <equipe@atelier.example>"
    assert response.redirect_chain == [(settings_url(collective), 302)]
    assert "The settings have been saved." in response.content.decode()


def test_a_taken_slug_is_refused_and_typed_values_kept(admin_client, collective):
    CollectiveFactory(slug="deja-pris")
    before = Collective.objects.values().get(pk=collective.pk)

    response = admin_client.post(
        settings_url(collective), settings_data(collective, name="Nouveau nom", slug="deja-pris")
    )

    content = response.content.decode()
    assert "This address is already taken" in content
    assert 'value="Nouveau nom"' in content
    assert 'value="deja-pris"' in content
    assert Collective.objects.values().get(pk=collective.pk) == before
    # The navigation still points to the real address.
    assert reverse("collectives:members", args=[collective.slug]) in content


def test_a_reserved_slug_is_refused(admin_client, collective):
    before = Collective.objects.values().get(pk=collective.pk)

    response = admin_client.post(settings_url(collective), settings_data(collective, slug="admin"))

    assert "“admin” is reserved by Cordée" in response.content.decode()
    assert Collective.objects.values().get(pk=collective.pk) == before


def test_an_invalid_sender_address_is_refused(admin_client, collective):
    before = Collective.objects.values().get(pk=collective.pk)

    response = admin_client.post(
        settings_url(collective), settings_data(collective, feedback_sender_email="pas-une-adresse")
    )

    assert "Enter a valid email address." in response.content.decode()
    assert 'value="pas-une-adresse"' in response.content.decode()
    assert Collective.objects.values().get(pk=collective.pk) == before


def test_members_cannot_open_or_change_settings(member_client, collective):
    before = Collective.objects.values().get(pk=collective.pk)

    get = member_client.get(settings_url(collective))
    post = member_client.post(settings_url(collective), settings_data(collective, name="Pirate"))

    assert (get.status_code, post.status_code) == (403, 403)
    assert Collective.objects.values().get(pk=collective.pk) == before
