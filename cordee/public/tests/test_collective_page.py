import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cordee.core.tests.factories import (
    CollectiveFactory,
    MembershipFactory,
    ReferenceFactory,
    UserFactory,
)
from cordee.public.queries import initials

pytestmark = pytest.mark.django_db


def png_file(name="logo.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "#17424f").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def page_url(collective):
    return reverse("public:collective", args=[collective.slug])


def test_published_page_shows_the_collective_to_an_anonymous_visitor(client, published, admin_membership):
    # Given a published collective with a member, expertises, a description and a reference
    admin_membership.title = "Lead designer"
    admin_membership.skills = ["Figma", "Recherche utilisateur"]
    admin_membership.day_rate = Decimal("650.00")
    admin_membership.save()
    user = admin_membership.user
    user.siret = "73282932000074"
    user.iban = "FR7630006000011234567890189"
    user.save()
    member = MembershipFactory(collective=published, user__full_name="Léa Martin", title="Développeuse")

    # When an anonymous visitor opens the page
    response = client.get(page_url(published))

    # Then everything a client needs is there
    assert response.status_code == 200
    content = response.content.decode()
    assert f"<h1>{published.name}</h1>" in content
    assert published.tagline in content
    assert "<strong>produits numériques</strong>" in content
    for expertise in ["Design UX", "Django", "Accessibilité"]:
        assert f"<li>{expertise}</li>" in content
    assert user.display_name in content
    assert "Lead designer" in content
    assert "<li>Figma</li>" in content
    assert "<li>Recherche utilisateur</li>" in content
    assert "Léa Martin" in content
    assert member.title in content
    # The roles are internal: a prospect sees names and titles, and no sign-in bar of Cordée.
    assert ">Admin</span>" not in content
    assert 'class="topbar"' not in content
    assert ">Member</span>" not in content
    assert "Refonte du site e-commerce" in content
    assert "Maison Lenoir · 2025" in content
    assert "Une refonte complète en six semaines." in content
    assert 'href="mailto:bonjour@collectif.fr"' in content
    assert 'href="#proposer"' in content
    assert 'id="proposer"' in content
    # and nothing a client must not see
    assert "650" not in content
    assert user.siret not in content
    assert user.iban not in content
    assert "preview-banner" not in content


def test_members_without_photo_get_initials_and_with_photo_an_image(client, published, admin_membership):
    admin_membership.user.full_name = "Claire Dubois"
    admin_membership.user.save()
    with_photo = MembershipFactory(collective=published, user__full_name="Léa Martin")
    with_photo.user.photo = png_file("lea.png")
    with_photo.user.save()

    content = client.get(page_url(published)).content.decode()

    assert '<span class="avatar" aria-hidden="true">CD</span>' in content
    assert f'<img class="avatar" src="{with_photo.user.photo.url}"' in content


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Claire Dubois", "CD"),
        ("claire", "C"),
        ("Jean-Pierre Léon", "JL"),
        ("Anne de la Tour", "AT"),
        ("", "?"),
    ],
)
def test_initials(name, expected):
    assert initials(name) == expected


def test_open_graph_and_meta_tags(client, published, settings):
    settings.BASE_URL = "https://cordee.example"
    published.logo = png_file()
    published.save()

    content = client.get(page_url(published)).content.decode()

    url = f"https://cordee.example/c/{published.slug}/"
    assert f'<meta property="og:title" content="{published.name}">' in content
    assert '<meta property="og:description" content="Design et développement web">' in content
    assert '<meta property="og:type" content="website">' in content
    assert f'<meta property="og:url" content="{url}">' in content
    assert f'<meta property="og:image" content="https://cordee.example{published.logo.url}">' in content
    assert '<meta name="twitter:card" content="summary">' in content
    assert f'<link rel="canonical" href="{url}">' in content
    assert '<meta name="description" content="Design et développement web">' in content
    assert 'name="robots"' not in content


def test_without_logo_or_tagline_the_description_summarises_and_no_image_is_announced(client, published):
    published.tagline = ""
    published.save()

    content = client.get(page_url(published)).content.decode()

    assert (
        '<meta property="og:description" content="Nous concevons des produits numériques sobres.">' in content
    )
    assert "og:image" not in content
    assert "twitter:image" not in content


def test_unpublished_page_is_a_404_for_an_anonymous_visitor(client, collective):
    assert collective.is_published is False

    assert client.get(page_url(collective)).status_code == 404
    assert client.get(reverse("public:thanks", args=[collective.slug])).status_code == 404


def test_unknown_collective_is_a_404(client, db):
    assert client.get("/c/nobody-here/").status_code == 404


def test_unpublished_page_is_a_404_for_a_member_of_another_collective(client, collective):
    outsider = MembershipFactory(collective=CollectiveFactory(is_published=True)).user
    client.force_login(outsider)

    assert client.get(page_url(collective)).status_code == 404
    assert client.get(reverse("public:thanks", args=[collective.slug])).status_code == 404


def test_unpublished_page_is_a_preview_for_a_member(client, collective, member_membership):
    client.force_login(member_membership.user)

    response = client.get(page_url(collective))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="preview-banner"' in content
    assert "this page is not published yet" in content
    assert f'href="{reverse("collectives:page_edit", args=[collective.slug])}"' in content
    assert '<meta name="robots" content="noindex, nofollow">' in content
    # the form is shown but cannot be sent before publication
    assert '<fieldset class="fieldset-plain" disabled>' in content
    assert "the form takes proposals once the page is published" in content


def test_a_member_on_the_published_page_gets_a_link_to_the_editor(client, published, admin_user):
    client.force_login(admin_user)

    content = client.get(page_url(published)).content.decode()

    assert "preview-banner" not in content
    assert 'class="member-bar"' in content
    assert f'href="{reverse("collectives:page_edit", args=[published.slug])}"' in content


def test_empty_sections_are_hidden_from_visitors_and_suggested_to_members(client, collective, admin_user):
    collective.is_published = True
    collective.save()

    anonymous = client.get(page_url(collective)).content.decode()
    client.force_login(admin_user)
    member = client.get(page_url(collective)).content.decode()

    assert 'id="references-title"' not in anonymous
    assert 'id="about-title"' not in anonymous
    assert "add two or three references" in member
    assert "Write them in the editor" in member


def _grow(collective, count):
    for index in range(count):
        MembershipFactory(collective=collective, skills=[f"Skill {index}"])
        ReferenceFactory(collective=collective, title=f"Reference {index}")


def test_query_count_does_not_grow_with_members_and_references(client, published, django_assert_num_queries):
    url = page_url(published)
    _grow(published, 1)  # 2 members, 2 references
    client.get(url)  # warm-up
    with django_assert_num_queries(3):  # collective, members with their users, references
        response = client.get(url)
    assert response.content.decode().count('class="card member"') == 2

    _grow(published, 6)  # 8 members, 8 references
    with django_assert_num_queries(3):
        response = client.get(url)
    content = response.content.decode()
    assert content.count('class="card member"') == 8
    assert content.count('class="card reference"') == 8


def test_preview_query_count_does_not_grow_for_a_member(
    client, collective, admin_user, django_assert_num_queries
):
    client.force_login(admin_user)
    url = page_url(collective)
    _grow(collective, 1)
    client.get(url)
    # user, collective, members, references, the member's collectives for the top bar (session: cache)
    with django_assert_num_queries(5):
        client.get(url)
    _grow(collective, 6)
    with django_assert_num_queries(5):
        response = client.get(url)
    assert response.content.decode().count('class="card member"') == 8


def test_page_is_translated_for_an_english_visitor_and_a_french_one(client, published):
    english = client.get(page_url(published), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Propose a project" in english
    assert '<html lang="en">' in english

    french = client.get(page_url(published), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="fr">' in french


def test_page_has_no_inline_script_or_style(client, published):
    content = client.get(page_url(published)).content.decode()

    assert "<script>" not in content
    assert "style=" not in content


def test_a_user_without_a_full_name_is_shown_by_the_start_of_their_email(client, published):
    MembershipFactory(collective=published, user=UserFactory(full_name="", email="jo.leroy@example.fr"))

    content = client.get(page_url(published)).content.decode()

    assert "jo.leroy</h3>" in content
    assert "jo.leroy@example.fr" not in content
