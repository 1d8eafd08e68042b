import pytest
from django.core.exceptions import ValidationError

from cordee.clients.models import Client, ClientContact
from cordee.clients.services import (
    client_contact_create,
    client_contact_get_or_create,
    client_contact_remove,
    client_contact_update,
    client_create,
    client_get_or_create_by_name,
    client_update,
)
from cordee.collectives.models import Membership
from cordee.missions.tests.factories import ClientContactFactory, ClientFactory, ClientRequestFactory

pytestmark = pytest.mark.django_db


def admin_of(collective):
    """An admin of the collective (each service acts on someone's behalf and checks them)."""
    return Membership.objects.filter(collective=collective, role="admin").first().user


# Real, valid identifiers (checksums included): SIREN 732 829 320, one of its SIRETs, its VAT number.
SIREN = "732829320"
SIRET = "73282932000074"
VAT = "FR44732829320"


def company(**changes):
    data = {"name": "Maison Lenoir", "siren": "", "siret": "", "vat_number": "", "city": "Lyon"}
    data.update(changes)
    return data


class TestIdentifiers:
    def test_spaces_are_removed_and_the_siren_is_derived_from_the_siret(self, collective):
        client = client_create(
            collective=collective,
            by=admin_of(collective),
            data=company(siret="732 829 320 00074", vat_number="fr 44 732829320"),
        )

        assert (client.siren, client.siret, client.vat_number) == (SIREN, SIRET, VAT)

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("siren", "73282932", "A SIREN has 9 digits."),
            ("siren", "732829321", "This SIREN is not valid"),
            ("siret", "73282932000075", "This SIRET is not valid"),
            ("siret", "7328293200007", "A SIRET has 14 digits."),
            ("vat_number", "FR00732829320", "This VAT number is not valid"),
        ],
    )
    def test_an_invalid_identifier_is_refused_on_its_field(self, collective, field, value, message):
        with pytest.raises(ValidationError) as refused:
            client_create(collective=collective, by=admin_of(collective), data=company(**{field: value}))

        assert list(refused.value.error_dict) == [field]
        assert message in refused.value.error_dict[field][0].messages[0]
        assert Client.objects.count() == 0

    def test_a_siret_of_another_company_than_the_siren_is_refused(self, collective):
        with pytest.raises(ValidationError) as refused:
            client_create(
                collective=collective, by=admin_of(collective), data=company(siren="303265045", siret=SIRET)
            )

        assert refused.value.error_dict["siret"][0].code == "siret_mismatch"
        assert Client.objects.count() == 0

    def test_a_french_vat_number_of_another_company_is_refused(self, collective):
        with pytest.raises(ValidationError) as refused:
            client_create(
                collective=collective,
                by=admin_of(collective),
                data=company(siren=SIREN, vat_number="FR40303265045"),
            )

        error = refused.value.error_dict["vat_number"][0]
        assert error.code == "vat_mismatch"
        assert "FR44732829320" in error.messages[0]

    def test_a_foreign_vat_number_is_accepted_with_a_french_siren(self, collective):
        client = client_create(
            collective=collective,
            by=admin_of(collective),
            data=company(siren=SIREN, vat_number="BE0403170701"),
        )

        assert client.vat_number == "BE0403170701"


class TestDuplicates:
    def test_a_siren_already_known_in_the_collective_is_refused_naming_the_client(self, collective):
        ClientFactory(collective=collective, name="Lenoir SA", siren=SIREN)

        with pytest.raises(ValidationError) as refused:
            client_create(
                collective=collective, by=admin_of(collective), data=company(name="Autre nom", siret=SIRET)
            )

        error = refused.value.error_dict["siren"][0]
        assert error.code == "duplicate_siren"
        assert error.messages == [
            "“Lenoir SA” is already a client of the collective with this SIREN (732829320)."
        ]
        assert list(Client.objects.values_list("name", flat=True)) == ["Lenoir SA"]

    def test_the_same_siren_in_another_collective_is_fine(self, collective):
        ClientFactory(siren=SIREN)

        client = client_create(collective=collective, by=admin_of(collective), data=company(siren=SIREN))

        assert client.collective == collective
        assert Client.objects.filter(siren=SIREN).count() == 2

    def test_clients_without_siren_are_not_duplicates(self, collective):
        client_create(collective=collective, by=admin_of(collective), data=company(name="A"))
        client_create(collective=collective, by=admin_of(collective), data=company(name="B"))

        assert Client.objects.filter(collective=collective).count() == 2

    def test_an_update_to_another_clients_siren_is_refused_and_nothing_changes(self, collective):
        ClientFactory(collective=collective, name="Lenoir SA", siren=SIREN)
        other = ClientFactory(collective=collective, name="Durand")

        with pytest.raises(ValidationError) as refused:
            client_update(
                client=other, by=admin_of(other.collective), data=company(name="Durand renommé", siren=SIREN)
            )

        assert refused.value.error_dict["siren"][0].code == "duplicate_siren"
        other.refresh_from_db()
        assert (other.name, other.siren) == ("Durand", "")

    def test_a_client_keeps_its_own_siren_on_update(self, collective):
        client = ClientFactory(collective=collective, name="Lenoir SA", siren=SIREN)

        client_update(
            client=client,
            by=admin_of(client.collective),
            data=company(name="Lenoir Group", siren=SIREN, postal_code="69001"),
        )

        client.refresh_from_db()
        assert (client.name, client.siren, client.postal_code) == ("Lenoir Group", SIREN, "69001")

    def test_get_or_create_by_name_reuses_a_client_whatever_the_case(self, collective):
        existing = ClientFactory(collective=collective, name="Maison Lenoir")

        found, created = client_get_or_create_by_name(
            collective=collective, by=admin_of(collective), name="  maison   LENOIR "
        )

        assert (found, created) == (existing, False)
        new, created = client_get_or_create_by_name(
            collective=collective, by=admin_of(collective), name="Durand SA"
        )
        assert created is True
        assert new.name == "Durand SA"


class TestContacts:
    def contact(self, **changes):
        data = {
            "full_name": "Claire Lenoir",
            "email": "claire@lenoir.fr",
            "phone": "",
            "job_title": "DG",
            "role": "sponsor",
            "language": "fr",
        }
        data.update(changes)
        return data

    def test_a_contact_is_added_with_a_lowercase_address(self, collective):
        client = ClientFactory(collective=collective)

        contact = client_contact_create(
            client=client,
            by=admin_of(client.collective),
            data=self.contact(email="Claire@Lenoir.FR", language="en"),
        )

        assert (contact.collective, contact.email, contact.role, contact.language) == (
            collective,
            "claire@lenoir.fr",
            "sponsor",
            "en",
        )

    def test_an_address_already_among_the_clients_contacts_is_refused(self, collective):
        client = ClientFactory(collective=collective)
        ClientContactFactory(client=client, full_name="Claire Lenoir", email="claire@lenoir.fr")

        with pytest.raises(ValidationError) as refused:
            client_contact_create(
                client=client,
                by=admin_of(client.collective),
                data=self.contact(full_name="C. Lenoir", email="CLAIRE@lenoir.fr"),
            )

        error = refused.value.error_dict["email"][0]
        assert error.code == "duplicate_email"
        assert error.messages == [
            "Claire Lenoir is already a contact of this client with the address claire@lenoir.fr."
        ]
        assert ClientContact.objects.count() == 1

    def test_the_same_address_at_another_client_is_fine(self, collective):
        ClientContactFactory(email="claire@lenoir.fr")
        client = ClientFactory(collective=collective)

        client_contact_create(client=client, by=admin_of(client.collective), data=self.contact())

        assert ClientContact.objects.filter(email="claire@lenoir.fr").count() == 2

    def test_an_update_to_another_contacts_address_is_refused(self, collective):
        client = ClientFactory(collective=collective)
        ClientContactFactory(client=client, email="claire@lenoir.fr")
        paul = ClientContactFactory(client=client, full_name="Paul", email="paul@lenoir.fr")

        with pytest.raises(ValidationError):
            client_contact_update(
                contact=paul,
                by=admin_of(paul.collective),
                data=self.contact(full_name="Paul", email="claire@lenoir.fr"),
            )

        paul.refresh_from_db()
        assert paul.email == "paul@lenoir.fr"

    def test_a_contact_who_sent_requests_is_archived_and_stays_on_them(self, collective):
        contact = ClientContactFactory(client=ClientFactory(collective=collective))
        request = ClientRequestFactory(
            mission__collective=collective, mission__client=contact.client, contact=contact
        )

        outcome = client_contact_remove(contact=contact, by=admin_of(collective))

        request.refresh_from_db()
        assert (outcome, request.contact) == ("archived", contact)
        assert ClientContact.objects.get().archived_at is not None

    def test_get_or_create_finds_the_contact_by_address(self, collective):
        client = ClientFactory(collective=collective)
        existing = ClientContactFactory(client=client, email="claire@lenoir.fr")

        assert client_contact_get_or_create(
            client=client, by=admin_of(client.collective), data=self.contact(email="Claire@lenoir.fr")
        ) == (
            existing,
            False,
        )
