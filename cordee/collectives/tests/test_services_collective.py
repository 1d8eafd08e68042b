import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from cordee.collectives import services
from cordee.collectives.models import Collective, Membership
from cordee.collectives.services import (
    collective_create,
    collective_page_update,
    collective_publish,
    collective_settings_update,
    collective_slug_suggest,
    collective_unpublish,
)
from cordee.collectives.tests.factories import image_upload, oversized_png_upload, svg_upload
from cordee.core.tests.factories import AdminMembershipFactory, CollectiveFactory, UserFactory

pytestmark = pytest.mark.django_db


def admin_of(collective):
    """An admin of the collective, who may change its page, references and settings."""
    membership = collective.memberships.filter(role="admin").select_related("user").first()
    return membership.user if membership else AdminMembershipFactory(collective=collective).user


def error_codes(error: ValidationError, field: str) -> list[str]:
    return [item.code for item in error.error_dict[field]]


# --- collective_create ---------------------------------------------------------------------------


def test_the_creator_becomes_the_only_admin():
    user = UserFactory()

    collective = collective_create(
        user=user, name="  Atelier   Nord ", slug="atelier-nord", tagline=" Design "
    )

    assert (collective.name, collective.slug, collective.tagline) == (
        "Atelier Nord",
        "atelier-nord",
        "Design",
    )
    assert list(collective.memberships.values_list("user", "role")) == [(user.pk, Membership.Role.ADMIN)]
    assert collective.is_published is False


def test_an_empty_slug_is_derived_from_the_name():
    collective = collective_create(user=UserFactory(), name="Les Artisans du Web", slug="", tagline="")

    assert collective.slug == "les-artisans-du-web"


def test_slug_suggestion_drops_accents_and_punctuation_and_fits_the_column():
    assert collective_slug_suggest("Café & Crème : l'Atelier") == "cafe-creme-latelier"
    assert len(collective_slug_suggest("a" * 200)) == 60


def test_a_duplicate_slug_is_refused_and_nothing_is_created():
    CollectiveFactory(slug="atelier-nord")
    user = UserFactory()

    with pytest.raises(ValidationError) as caught:
        collective_create(user=user, name="Atelier Nord", slug="atelier-nord", tagline="")

    assert error_codes(caught.value, "slug") == ["taken"]
    assert Collective.objects.count() == 1
    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.parametrize("slug", ["new", "admin", "api"])
def test_a_reserved_slug_is_refused(slug):
    with pytest.raises(ValidationError) as caught:
        collective_create(user=UserFactory(), name="Mon collectif", slug=slug, tagline="")

    assert error_codes(caught.value, "slug") == ["reserved"]
    assert not Collective.objects.exists()


@pytest.mark.parametrize("slug", ["Deux mots", "avec_souligne", "-tiret", "fin-"])
def test_a_malformed_slug_is_refused(slug):
    with pytest.raises(ValidationError) as caught:
        collective_create(user=UserFactory(), name="Mon collectif", slug=slug.upper(), tagline="")

    assert error_codes(caught.value, "slug") == ["invalid"]
    assert not Collective.objects.exists()


def test_a_slug_taken_between_the_check_and_the_insert_gives_the_same_clear_error(monkeypatch):
    user = UserFactory()
    monkeypatch.setattr(services, "collective_slug_check", lambda slug, exclude=None: None)
    original_create = Collective.objects.create

    def create_after_a_concurrent_request(**kwargs):
        original_create(name="Plus rapide", slug=kwargs["slug"])
        return original_create(**kwargs)

    monkeypatch.setattr(Collective.objects, "create", create_after_a_concurrent_request)

    with pytest.raises(ValidationError) as caught:
        collective_create(user=user, name="Atelier Nord", slug="atelier-nord", tagline="")

    assert error_codes(caught.value, "slug") == ["taken"]
    assert not Collective.objects.filter(name="Atelier Nord").exists()
    assert not Membership.objects.filter(user=user).exists()


def test_the_creation_is_atomic(monkeypatch):
    def fail(**kwargs):
        raise IntegrityError("boom")

    monkeypatch.setattr(Membership.objects, "create", fail)

    with pytest.raises(ValidationError):
        collective_create(user=UserFactory(), name="Atelier Nord", slug="atelier-nord", tagline="")

    assert not Collective.objects.exists()


# --- collective_settings_update ------------------------------------------------------------------


def settings_values(collective, **overrides):
    values = {
        "name": collective.name,
        "slug": collective.slug,
        "time_zone": collective.time_zone,
        "contact_email": "",
        "feedback_sender_name": "",
        "feedback_sender_email": "",
        "notification_sender_name": "",
        "notification_sender_email": "",
    }
    return {**values, **overrides}


def test_settings_change_the_name_slug_time_zone_and_senders():
    collective = CollectiveFactory(name="Ancien nom", slug="ancien")

    collective_settings_update(
        **settings_values(
            collective,
            name="Nouveau nom",
            slug="nouveau",
            time_zone="America/Montreal",
            feedback_sender_name="Avis clients",
            feedback_sender_email="avis@nouveau.fr",
        ),
        collective=collective,
        by=admin_of(collective),
    )

    collective.refresh_from_db()
    assert (collective.name, collective.slug, collective.time_zone) == (
        "Nouveau nom",
        "nouveau",
        "America/Montreal",
    )
    assert collective.feedback_sender() == "Avis clients <avis@nouveau.fr>"


def test_keeping_its_own_slug_is_not_a_duplicate():
    collective = CollectiveFactory(slug="atelier")

    collective_settings_update(
        **settings_values(collective, name="Atelier 2"), collective=collective, by=admin_of(collective)
    )

    assert Collective.objects.get(pk=collective.pk).name == "Atelier 2"


def test_settings_refuse_another_collectives_slug_and_change_nothing():
    CollectiveFactory(slug="pris")
    collective = CollectiveFactory(name="Atelier", slug="atelier")

    with pytest.raises(ValidationError) as caught:
        collective_settings_update(
            **settings_values(collective, name="Autre", slug="pris"),
            collective=collective,
            by=admin_of(collective),
        )

    assert error_codes(caught.value, "slug") == ["taken"]
    collective.refresh_from_db()
    assert (collective.name, collective.slug) == ("Atelier", "atelier")


# --- publish / unpublish ---------------------------------------------------------------------------


def test_publish_sets_the_date_once_and_unpublish_clears_it():
    collective = CollectiveFactory()
    first = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.UTC)

    with time_machine.travel(first, tick=False):
        collective_publish(collective=collective, by=admin_of(collective))
    with time_machine.travel(first + dt.timedelta(days=2), tick=False):
        collective_publish(collective=collective, by=admin_of(collective))  # already online: nothing changes

    collective.refresh_from_db()
    assert (collective.is_published, collective.published_at) == (True, first)

    collective_unpublish(collective=collective, by=admin_of(collective))

    collective.refresh_from_db()
    assert (collective.is_published, collective.published_at) == (False, None)


# --- collective_page_update ----------------------------------------------------------------------


def page_values(**overrides):
    values = {
        "tagline": "Design et code",
        "description": "Nous **aimons** le travail bien fait.",
        "expertises": ["Design", "Django"],
        "website": "https://atelier.example",
        "contact_email": "bonjour@atelier.example",
    }
    return {**values, **overrides}


def test_the_page_is_updated_and_a_png_logo_is_stored_under_a_name_we_choose():
    collective = CollectiveFactory(slug="atelier")

    collective_page_update(
        collective=collective,
        by=admin_of(collective),
        logo=image_upload("../../evil name.png"),
        **page_values(),
    )

    collective.refresh_from_db()
    assert collective.tagline == "Design et code"
    assert collective.expertises == ["Design", "Django"]
    assert collective.logo.name.startswith("logos/atelier-")
    assert collective.logo.name.endswith(".png")
    assert collective.logo.storage.exists(collective.logo.name)


@pytest.mark.parametrize(("image_format", "extension"), [("JPEG", "jpg"), ("WEBP", "webp")])
def test_jpeg_and_webp_logos_keep_the_extension_of_their_real_format(image_format, extension):
    collective = CollectiveFactory()

    collective_page_update(
        collective=collective,
        by=admin_of(collective),
        logo=image_upload("logo.png", image_format=image_format),
        **page_values(),
    )

    assert collective.logo.name.endswith(f".{extension}")


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (lambda: svg_upload(), "invalid_image"),
        (lambda: image_upload("logo.png", image_format="GIF"), "invalid_image"),
        (lambda: oversized_png_upload(1_048_576), "file_too_large"),
    ],
    ids=["svg", "gif-named-png", "oversized"],
)
def test_a_refused_logo_changes_nothing(upload, code):
    collective = CollectiveFactory(tagline="Avant", logo="logos/avant.png")

    with pytest.raises(ValidationError) as caught:
        collective_page_update(
            collective=collective, by=admin_of(collective), logo=upload(), **page_values(tagline="Après")
        )

    assert error_codes(caught.value, "logo") == [code]
    collective.refresh_from_db()
    assert (collective.tagline, collective.logo.name) == ("Avant", "logos/avant.png")


def test_replacing_then_removing_the_logo_deletes_the_old_files(django_capture_on_commit_callbacks):
    collective = CollectiveFactory()
    with django_capture_on_commit_callbacks(execute=True):
        collective_page_update(
            collective=collective, by=admin_of(collective), logo=image_upload(), **page_values()
        )
    first = collective.logo.name
    storage = collective.logo.storage

    with django_capture_on_commit_callbacks(execute=True):
        collective_page_update(
            collective=collective, by=admin_of(collective), logo=image_upload(), **page_values()
        )
    second = collective.logo.name
    assert second != first
    assert not storage.exists(first)

    with django_capture_on_commit_callbacks(execute=True):
        collective_page_update(
            collective=collective, by=admin_of(collective), remove_logo=True, **page_values()
        )

    collective.refresh_from_db()
    assert collective.logo.name == ""
    assert not storage.exists(second)


def test_the_description_is_rendered_as_sanitised_html():
    collective = CollectiveFactory()

    collective_page_update(
        collective=collective,
        by=admin_of(collective),
        **page_values(
            description=(
                "## Nous\n\nDu **gras** et [un lien](https://atelier.example).\n\n"
                "<script>alert('x')</script>\n\n[piège](javascript:alert(1)) "
                '<a href="javascript:alert(2)" onclick="steal()">clic</a> <img src=x onerror=alert(3)>'
            )
        ),
    )

    html = Collective.objects.get(pk=collective.pk).description_html
    assert "<h2>Nous</h2>" in html
    assert "<strong>gras</strong>" in html
    assert 'href="https://atelier.example"' in html
    assert "<script" not in html
    assert "javascript:" not in html
    assert "onclick" not in html
    assert "onerror" not in html
    assert "<img" not in html
