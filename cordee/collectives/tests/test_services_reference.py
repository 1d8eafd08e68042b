import pytest
from django.core.exceptions import ValidationError

from cordee.collectives.models import Reference
from cordee.collectives.services import reference_create, reference_delete, reference_move, reference_update
from cordee.core.tests.factories import AdminMembershipFactory, CollectiveFactory

pytestmark = pytest.mark.django_db


def admin_of(collective):
    """An admin of the collective, who may change its page, references and settings."""
    membership = collective.memberships.filter(role="admin").select_related("user").first()
    return membership.user if membership else AdminMembershipFactory(collective=collective).user


def titles(collective):
    return list(Reference.objects.filter(collective=collective).values_list("title", "position"))


@pytest.fixture
def three_references():
    collective = CollectiveFactory()
    for title in ("Premier", "Deuxième", "Troisième"):
        reference_create(
            collective=collective,
            by=admin_of(collective),
            title=title,
            client_name="Client",
            year=2024,
            text="",
        )
    return collective


def test_references_are_added_at_the_end(three_references):
    assert titles(three_references) == [("Premier", 0), ("Deuxième", 1), ("Troisième", 2)]


def test_a_reference_is_updated():
    collective = CollectiveFactory()
    reference = reference_create(
        collective=collective, by=admin_of(collective), title="Site", client_name="", year=None, text=""
    )

    reference_update(
        reference=reference,
        by=admin_of(collective),
        title=" Site vitrine ",
        client_name=" Mairie ",
        year=2025,
        text=" Texte ",
    )

    reference.refresh_from_db()
    assert (reference.title, reference.client_name, reference.year, reference.text) == (
        "Site vitrine",
        "Mairie",
        2025,
        "Texte",
    )


def test_moving_up_and_down_swaps_neighbours(three_references):
    last = Reference.objects.get(title="Troisième")

    reference_move(reference=last, by=admin_of(last.collective), direction="up")
    assert titles(three_references) == [("Premier", 0), ("Troisième", 1), ("Deuxième", 2)]

    reference_move(
        reference=Reference.objects.get(title="Premier"),
        by=admin_of(three_references),
        direction="down",
    )
    assert titles(three_references) == [("Troisième", 0), ("Premier", 1), ("Deuxième", 2)]


def test_moving_past_either_end_changes_nothing(three_references):
    reference_move(
        reference=Reference.objects.get(title="Premier"),
        by=admin_of(three_references),
        direction="up",
    )
    reference_move(
        reference=Reference.objects.get(title="Troisième"),
        by=admin_of(three_references),
        direction="down",
    )

    assert titles(three_references) == [("Premier", 0), ("Deuxième", 1), ("Troisième", 2)]


def test_an_unknown_direction_is_refused(three_references):
    with pytest.raises(ValidationError):
        reference_move(
            reference=Reference.objects.get(title="Premier"),
            by=admin_of(three_references),
            direction="sideways",
        )

    assert titles(three_references) == [("Premier", 0), ("Deuxième", 1), ("Troisième", 2)]


def test_deleting_closes_the_gap(three_references):
    reference_delete(
        reference=Reference.objects.get(title="Deuxième"),
        by=admin_of(three_references),
    )

    assert titles(three_references) == [("Premier", 0), ("Troisième", 1)]


def test_moving_never_touches_another_collective(three_references):
    other = CollectiveFactory()
    reference_create(
        collective=other, by=admin_of(other), title="Ailleurs", client_name="", year=None, text=""
    )

    reference_move(
        reference=Reference.objects.get(title="Deuxième"),
        by=admin_of(three_references),
        direction="up",
    )

    assert titles(other) == [("Ailleurs", 0)]
