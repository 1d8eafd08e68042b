import pytest
import time_machine
from django.urls import reverse

from cordee.collectives.models import Collective, Reference
from cordee.collectives.tests.factories import image_upload, oversized_png_upload, svg_upload
from cordee.core.tests.factories import MembershipFactory, ReferenceFactory

pytestmark = pytest.mark.django_db


def page_url(collective):
    return reverse("collectives:page_edit", args=[collective.slug])


def page_data(**overrides):
    data = {
        "tagline": "Design et code pour les PME",
        "description": "Nous **aimons** le travail bien fait.",
        "expertises": "Design, Django, design",
        "website": "https://atelier.example",
        "contact_email": "bonjour@atelier.example",
    }
    return {**data, **overrides}


# --- Editing the content -------------------------------------------------------------------------


def test_an_admin_edits_the_page(admin_client, collective):
    response = admin_client.post(page_url(collective), page_data(), follow=True)

    collective.refresh_from_db()
    assert collective.tagline == "Design et code pour les PME"
    assert collective.expertises == ["Design", "Django"]
    assert (collective.website, collective.contact_email) == (
        "https://atelier.example",
        "bonjour@atelier.example",
    )
    assert "Your page has been saved." in response.content.decode()


def test_the_form_shows_a_preview_link_to_the_public_page(admin_client, collective):
    response = admin_client.get(page_url(collective))

    content = response.content.decode()
    assert f'href="{reverse("public:collective", args=[collective.slug])}"' in content
    assert 'enctype="multipart/form-data"' in content
    assert 'accept="image/png,image/jpeg,image/webp"' in content


def test_an_invalid_field_keeps_what_was_typed(admin_client, collective):
    before = Collective.objects.values().get(pk=collective.pk)

    response = admin_client.post(page_url(collective), page_data(website="pas une adresse"))

    content = response.content.decode()
    assert "Enter a valid URL." in content
    assert 'value="pas une adresse"' in content
    assert "Design et code pour les PME" in content
    assert Collective.objects.values().get(pk=collective.pk) == before


def test_a_png_logo_is_accepted(admin_client, collective):
    admin_client.post(page_url(collective), {**page_data(), "logo": image_upload("logo.png")})

    collective.refresh_from_db()
    assert collective.logo.name.startswith(f"logos/{collective.slug}-")
    assert collective.logo.name.endswith(".png")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: svg_upload(), "This file is not an image we accept. Use a PNG, JPEG or WebP image."),
        (
            lambda: image_upload("logo.png", image_format="GIF"),
            "This file is not an image we accept. Use a PNG, JPEG or WebP image.",
        ),
        (lambda: oversized_png_upload(1_048_576), "the maximum is 1.0\xa0MB"),
    ],
    ids=["svg", "gif-disguised-as-png", "oversized"],
)
def test_a_refused_logo_shows_why_and_changes_nothing(admin_client, collective, upload, message):
    collective.logo = "logos/current.png"
    collective.save()

    response = admin_client.post(
        page_url(collective), {**page_data(tagline="Nouvelle accroche"), "logo": upload()}
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert 'value="Nouvelle accroche"' in content
    collective.refresh_from_db()
    assert (collective.logo.name, collective.tagline) == ("logos/current.png", "Design et développement web")


def test_a_text_file_renamed_png_is_refused(admin_client, collective):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("logo.png", b"<html>not an image</html>", content_type="image/png")

    response = admin_client.post(page_url(collective), {**page_data(), "logo": fake})

    assert "This file is not an image we accept." in response.content.decode()
    collective.refresh_from_db()
    assert collective.logo.name == ""


def test_the_logo_can_be_removed(admin_client, collective):
    admin_client.post(page_url(collective), {**page_data(), "logo": image_upload()})
    collective.refresh_from_db()
    assert collective.logo
    response = admin_client.get(page_url(collective))
    assert 'name="remove_logo"' in response.content.decode()

    admin_client.post(page_url(collective), {**page_data(), "remove_logo": "on"})

    collective.refresh_from_db()
    assert collective.logo.name == ""


def test_the_remove_option_is_hidden_without_logo(admin_client, collective):
    response = admin_client.get(page_url(collective))

    assert 'name="remove_logo"' not in response.content.decode()


def test_the_markdown_description_is_shown_sanitised_to_members(member_client, collective):
    collective.description = "Du **gras**.\n\n<script>alert(1)</script>\n\n[lien](javascript:alert(2))"
    collective.save()

    response = member_client.get(page_url(collective))

    content = response.content.decode()
    assert "<strong>gras</strong>" in content
    assert "<script>alert(1)" not in content
    assert "javascript:alert" not in content


def test_a_member_sees_a_read_only_summary_and_the_preview_link(member_client, collective):
    collective.expertises = ["Design"]
    collective.save()

    response = member_client.get(page_url(collective))

    content = response.content.decode()
    assert response.context["form"] is None
    assert "Only the collective’s admins can change the page." in content
    assert '<form method="post" enctype="multipart/form-data"' not in content
    assert reverse("public:collective", args=[collective.slug]) in content
    assert reverse("collectives:publish", args=[collective.slug]) not in content


def test_a_member_cannot_post_changes(member_client, collective):
    response = member_client.post(page_url(collective), page_data(tagline="Pirate"))

    assert response.status_code == 403
    collective.refresh_from_db()
    assert collective.tagline == "Design et développement web"


# --- Completeness --------------------------------------------------------------------------------


def test_the_completeness_indicator_lists_what_is_missing(admin_client, collective, admin_membership):
    response = admin_client.get(page_url(collective))

    completeness = response.context["completeness"]
    assert [item.key for item in completeness.missing] == [
        "description",
        "expertises",
        "logo",
        "references",
        "titles",
    ]
    assert "1 of 6 items" in response.content.decode()


def test_a_complete_page_says_so(admin_client, collective, admin_membership):
    admin_membership.title = "Cheffe de projet"
    admin_membership.save()
    ReferenceFactory(collective=collective)
    admin_client.post(page_url(collective), {**page_data(), "logo": image_upload()})

    response = admin_client.get(page_url(collective))

    assert response.context["completeness"].is_complete
    assert "Your page has everything a client looks for." in response.content.decode()


# --- Publish / unpublish -------------------------------------------------------------------------


def test_an_admin_publishes_then_unpublishes(admin_client, collective):
    with time_machine.travel("2026-03-14 10:00 +01:00", tick=False):
        response = admin_client.post(reverse("collectives:publish", args=[collective.slug]), follow=True)

    collective.refresh_from_db()
    assert collective.is_published
    assert collective.published_at.isoformat() == "2026-03-14T09:00:00+00:00"
    content = response.content.decode()
    assert "Your page is online." in content
    assert "To make it stronger, add:" in content
    assert "since March 14, 2026" in content

    response = admin_client.post(reverse("collectives:unpublish", args=[collective.slug]), follow=True)

    collective.refresh_from_db()
    assert (collective.is_published, collective.published_at) == (False, None)
    assert "Your page is offline." in response.content.decode()


@pytest.mark.parametrize("action", ["publish", "unpublish"])
def test_a_member_cannot_publish_or_unpublish(member_client, collective, action):
    collective.is_published = action == "unpublish"
    collective.save()

    response = member_client.post(reverse(f"collectives:{action}", args=[collective.slug]))

    assert response.status_code == 403
    collective.refresh_from_db()
    assert collective.is_published is (action == "unpublish")


def test_publishing_needs_a_post(admin_client, collective):
    response = admin_client.get(reverse("collectives:publish", args=[collective.slug]))

    assert response.status_code == 405
    collective.refresh_from_db()
    assert not collective.is_published


# --- References ----------------------------------------------------------------------------------


def test_an_admin_adds_a_reference(admin_client, collective):
    response = admin_client.post(
        reverse("collectives:reference_create", args=[collective.slug]),
        {
            "title": "Site de la mairie",
            "client_name": "Ville de Montreuil",
            "year": "2024",
            "text": "Refonte.",
        },
        follow=True,
    )

    reference = Reference.objects.get(collective=collective)
    assert (reference.title, reference.client_name, reference.year, reference.position) == (
        "Site de la mairie",
        "Ville de Montreuil",
        2024,
        0,
    )
    assert "The reference has been added to your page." in response.content.decode()


def test_an_invalid_reference_keeps_what_was_typed(admin_client, collective):
    response = admin_client.post(
        reverse("collectives:reference_create", args=[collective.slug]),
        {"title": "", "client_name": "Ville de Montreuil", "year": "2999", "text": "Refonte."},
    )

    content = response.content.decode()
    assert "This field is required." in content
    assert "This year is in the future." in content
    assert 'value="Ville de Montreuil"' in content
    assert not Reference.objects.exists()


def test_an_admin_edits_moves_and_deletes_references(admin_client, collective):
    first = ReferenceFactory(collective=collective, title="Premier", position=0)
    second = ReferenceFactory(collective=collective, title="Second", position=1)

    admin_client.post(
        reverse("collectives:reference_edit", args=[collective.slug, first.pk]),
        {"title": "Premier projet", "client_name": "", "year": "", "text": ""},
    )
    response = admin_client.post(
        reverse("collectives:reference_move", args=[collective.slug, second.pk]), {"direction": "up"}
    )
    assert response["Location"] == page_url(collective) + "#references"
    assert list(Reference.objects.values_list("title", flat=True)) == ["Second", "Premier projet"]

    response = admin_client.post(
        reverse("collectives:reference_delete", args=[collective.slug, first.pk]), follow=True
    )

    assert list(Reference.objects.values_list("title", flat=True)) == ["Second"]
    assert "The reference “Premier projet” has been deleted." in response.content.decode()


def test_a_member_cannot_touch_references(member_client, collective):
    reference = ReferenceFactory(collective=collective, title="Intact")
    urls = [
        reverse("collectives:reference_create", args=[collective.slug]),
        reverse("collectives:reference_edit", args=[collective.slug, reference.pk]),
        reverse("collectives:reference_delete", args=[collective.slug, reference.pk]),
        reverse("collectives:reference_move", args=[collective.slug, reference.pk]),
    ]

    statuses = [member_client.post(url, {"title": "Pirate", "direction": "up"}).status_code for url in urls]

    assert statuses == [403, 403, 403, 403]
    assert list(Reference.objects.values_list("title", flat=True)) == ["Intact"]


def test_the_page_shows_an_empty_state_without_reference(admin_client, collective):
    response = admin_client.get(page_url(collective))

    assert "No reference yet." in response.content.decode()
    assert reverse("collectives:reference_create", args=[collective.slug]) in response.content.decode()


def test_the_number_of_queries_does_not_grow_with_references_and_members(
    admin_client, collective, django_assert_num_queries
):
    counts = []
    for total in (2, 8):
        while Reference.objects.filter(collective=collective).count() < total:
            ReferenceFactory(collective=collective)
            MembershipFactory(collective=collective)
        admin_client.get(page_url(collective))  # warm-up
        # 4, and 1 for the set-up thread while the page is not published
        with django_assert_num_queries(5) as captured:
            response = admin_client.get(page_url(collective))
        assert len(response.context["references"]) == total
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_post_only_actions_refuse_a_get_and_change_nothing(admin_client, collective, member_membership):
    reference = ReferenceFactory(collective=collective)
    urls = [
        reverse("collectives:reference_delete", args=[collective.slug, reference.pk]),
        reverse("collectives:reference_move", args=[collective.slug, reference.pk]),
        reverse("collectives:member_remove", args=[collective.slug, member_membership.pk]),
        reverse("collectives:unpublish", args=[collective.slug]),
        reverse("collectives:leave", args=[collective.slug]),
    ]

    statuses = [admin_client.get(url).status_code for url in urls]

    assert statuses == [405] * 5
    assert Reference.objects.filter(pk=reference.pk).exists()
    assert collective.memberships.count() == 2
