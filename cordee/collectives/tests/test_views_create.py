import pytest
from django.urls import reverse

from cordee.collectives.models import Collective, Membership
from cordee.core.tests.factories import CollectiveFactory, UserFactory

pytestmark = pytest.mark.django_db

CREATE = reverse("collectives:create")


@pytest.fixture
def user_client(client):
    user = UserFactory()
    client.force_login(user)
    client.user = user
    return client


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(CREATE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_form_shows_name_address_and_tagline(user_client):
    response = user_client.get(CREATE)

    content = response.content.decode()
    assert response.status_code == 200
    for field in ("name", "slug", "tagline"):
        assert f'name="{field}"' in content
    assert 'data-slug-source="id_slug"' in content
    assert "http://testserver/c/<strong data-slug-preview>…</strong>/" in content


def test_creating_a_collective_makes_the_creator_admin_and_leads_to_the_next_step_invitations(user_client):
    response = user_client.post(
        CREATE, {"name": "Atelier Nord", "slug": "atelier-nord", "tagline": "Design et code"}, follow=True
    )

    collective = Collective.objects.get()
    assert (collective.name, collective.slug, collective.tagline) == (
        "Atelier Nord",
        "atelier-nord",
        "Design et code",
    )
    membership = Membership.objects.get(collective=collective)
    assert (membership.user, membership.role) == (user_client.user, Membership.Role.ADMIN)
    assert response.redirect_chain == [(reverse("invitations:list", args=["atelier-nord"]), 302)]
    content = response.content.decode()
    assert "Atelier Nord is ready. Next step: invite your members" in content
    assert '<li class="setup-steps__item setup-steps__item--current" aria-current="step">' in content


def test_an_empty_address_is_derived_from_the_name(user_client):
    user_client.post(CREATE, {"name": "L'Équipe Créative", "slug": "", "tagline": ""})

    assert Collective.objects.get().slug == "lequipe-creative"


@pytest.mark.parametrize(("typed", "slug"), [("  Studio Été ", "studio-ete"), ("mon_studio", "mon-studio")])
def test_a_typed_address_is_tidied_into_a_slug(user_client, typed, slug):
    user_client.post(CREATE, {"name": "Atelier", "slug": typed, "tagline": ""})

    assert Collective.objects.get().slug == slug


def test_a_taken_address_is_refused_and_what_was_typed_is_kept(user_client):
    CollectiveFactory(slug="atelier-nord", name="Le premier")

    response = user_client.post(
        CREATE, {"name": "Atelier Nord", "slug": "atelier-nord", "tagline": "Ma super accroche"}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "This address is already taken" in content
    assert "atelier-nord-2" in content  # a free alternative is suggested
    assert 'value="Atelier Nord"' in content
    assert 'value="atelier-nord"' in content
    assert 'value="Ma super accroche"' in content
    assert Collective.objects.count() == 1
    assert not Membership.objects.filter(user=user_client.user).exists()


def test_a_name_whose_derived_address_is_taken_is_refused(user_client):
    CollectiveFactory(slug="atelier-nord")

    response = user_client.post(CREATE, {"name": "Atelier Nord", "slug": "", "tagline": ""})

    assert "This address is already taken" in response.content.decode()
    assert Collective.objects.count() == 1


@pytest.mark.parametrize("slug", ["new", "admin", "api", "dashboard"])
def test_reserved_addresses_are_refused(user_client, slug):
    response = user_client.post(CREATE, {"name": "Mon collectif", "slug": slug, "tagline": "Accroche"})

    content = response.content.decode()
    assert f"“{slug}” is reserved by Cordée" in content
    assert 'value="Mon collectif"' in content
    assert 'value="Accroche"' in content
    assert not Collective.objects.exists()


def test_a_name_is_required(user_client):
    response = user_client.post(CREATE, {"name": "", "slug": "x-y", "tagline": "Accroche"})

    assert "This field is required." in response.content.decode()
    assert 'value="Accroche"' in response.content.decode()
    assert not Collective.objects.exists()


def test_a_name_without_letters_needs_a_typed_address(user_client):
    response = user_client.post(CREATE, {"name": "!!!", "slug": "", "tagline": ""})

    assert "We could not derive an address from this name" in response.content.decode()
    assert not Collective.objects.exists()
