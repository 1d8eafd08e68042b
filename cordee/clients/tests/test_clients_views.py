import pytest
from django.urls import reverse

from cordee.clients.models import Client, ClientContact
from cordee.core.tests.factories import AdminMembershipFactory
from cordee.missions.tests.factories import ClientContactFactory, ClientFactory, MissionFactory

pytestmark = pytest.mark.django_db

SIREN = "732829320"
SIRET = "73282932000074"


def url(name, collective, *args):
    return reverse(f"clients:{name}", args=[collective.slug, *args])


def company(**changes):
    data = {
        "name": "Maison Lenoir",
        "siret": "",
        "siren": "",
        "vat_number": "",
        "address_line": "",
        "postal_code": "",
        "city": "",
        "country": "FR",
        "notes": "",
    }
    data.update(changes)
    return data


def person(**changes):
    data = {
        "full_name": "Claire Lenoir",
        "email": "claire@lenoir.fr",
        "phone": "",
        "job_title": "",
        "role": "sponsor",
        "language": "fr",
    }
    data.update(changes)
    return data


class TestClientList:
    def test_lists_clients_with_counts_and_searches(self, admin_client, collective):
        lenoir = ClientFactory(collective=collective, name="Maison Lenoir", city="Lyon")
        ClientContactFactory(client=lenoir)
        MissionFactory(collective=collective, client=lenoir)
        ClientFactory(collective=collective, name="Durand SA")
        ClientFactory(name="Autre collectif")

        response = admin_client.get(url("list", collective))
        content = response.content.decode()
        assert [client.name for client in response.context["page_obj"]] == ["Durand SA", "Maison Lenoir"]
        assert "Autre collectif" not in content
        assert "2 clients" in content
        row = response.context["page_obj"].object_list[1]
        assert (row.contact_count, row.mission_count, row.open_mission_count) == (1, 1, 1)

        searched = admin_client.get(url("list", collective), {"q": "lyon"})
        assert [client.name for client in searched.context["page_obj"]] == ["Maison Lenoir"]

    def test_an_empty_list_says_what_to_do(self, admin_client, collective):
        content = admin_client.get(url("list", collective)).content.decode()

        assert "No client yet." in content
        assert url("create", collective) in content

    def test_the_query_count_does_not_grow_with_clients(
        self, admin_client, collective, django_assert_num_queries
    ):
        counts = []
        for extra in (2, 20):
            for _ in range(extra):
                client = ClientFactory(collective=collective)
                ClientContactFactory(client=client)
            admin_client.get(url("list", collective))  # warm-up; the missions of the page in one more query
            with django_assert_num_queries(7) as captured:
                admin_client.get(url("list", collective))
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1]

    def test_the_list_paginates(self, admin_client, collective):
        ClientFactory.create_batch(27, collective=collective)

        page_2 = admin_client.get(url("list", collective), {"page": 2})

        assert len(page_2.context["page_obj"].object_list) == 2
        assert "Page 2 of 2" in page_2.content.decode()


class TestClientCreate:
    def test_a_member_adds_a_client_and_sees_its_page(self, member_client, collective):
        response = member_client.post(
            url("create", collective),
            company(
                siret="732 829 320 00074", address_line="3 rue de la Paix", postal_code="69001", city="Lyon"
            ),
            follow=True,
        )

        client = Client.objects.get()
        assert (client.collective, client.siren, client.siret, client.city) == (
            collective,
            SIREN,
            SIRET,
            "Lyon",
        )
        assert response.redirect_chain == [(url("detail", collective, client.pk), 302)]
        assert "Maison Lenoir was added to your clients." in response.content.decode()

    def test_a_duplicate_siren_is_refused_with_the_existing_client_named_and_typed_values_kept(
        self, admin_client, collective
    ):
        ClientFactory(collective=collective, name="Lenoir SA", siren=SIREN)

        response = admin_client.post(
            url("create", collective), company(name="Lenoir bis", siret=SIRET, city="Lyon")
        )

        content = response.content.decode()
        assert response.status_code == 200
        assert "“Lenoir SA” is already a client of the collective with this SIREN (732829320)." in content
        assert 'value="Lenoir bis"' in content
        assert f'value="{SIRET}"' in content
        assert 'value="Lyon"' in content
        assert list(Client.objects.values_list("name", flat=True)) == ["Lenoir SA"]

    def test_an_invalid_siret_is_shown_next_to_its_field(self, admin_client, collective):
        response = admin_client.post(url("create", collective), company(siret="73282932000075"))

        content = response.content.decode()
        assert "This SIRET is not valid" in content
        assert 'value="73282932000075"' in content
        assert not Client.objects.exists()


class TestClientPage:
    def test_shows_contacts_missions_and_details(self, admin_client, collective, admin_user):
        client = ClientFactory(
            collective=collective, name="Maison Lenoir", siren=SIREN, vat_number="FR44732829320"
        )
        ClientContactFactory(
            client=client, full_name="Claire Lenoir", email="claire@lenoir.fr", language="en"
        )
        mission = MissionFactory(collective=collective, client=client, title="Refonte", lead=admin_user)
        MissionFactory(collective=collective, title="Pas ce client")

        content = admin_client.get(url("detail", collective, client.pk)).content.decode()

        assert "<h1>Maison Lenoir</h1>" in content
        assert "Claire Lenoir" in content
        assert "Emails in English" in content
        assert "FR44732829320" in content
        assert reverse("missions:detail", args=[collective.slug, mission.pk]) in content
        assert "Pas ce client" not in content
        assert f"?client={client.pk}" in content

    def test_an_edit_keeps_the_siren_rules(self, admin_client, collective):
        ClientFactory(collective=collective, name="Lenoir SA", siren=SIREN)
        client = ClientFactory(collective=collective, name="Durand")

        response = admin_client.post(
            url("edit", collective, client.pk), company(name="Durand et fils", siren=SIREN)
        )

        assert "is already a client of the collective" in response.content.decode()
        assert 'value="Durand et fils"' in response.content.decode()
        client.refresh_from_db()
        assert client.name == "Durand"

        ok = admin_client.post(
            url("edit", collective, client.pk), company(name="Durand et fils", city="Nantes")
        )
        assert ok.status_code == 302
        client.refresh_from_db()
        assert (client.name, client.city) == ("Durand et fils", "Nantes")


class TestContacts:
    def test_a_contact_is_added(self, member_client, collective):
        client = ClientFactory(collective=collective, name="Maison Lenoir")

        response = member_client.post(
            url("contact_create", collective, client.pk), person(language="en"), follow=True
        )

        contact = ClientContact.objects.get()
        assert (contact.client, contact.collective, contact.language) == (client, collective, "en")
        assert "Claire Lenoir was added to the contacts of Maison Lenoir." in response.content.decode()

    def test_a_duplicate_email_is_refused_naming_the_contact_and_typed_values_kept(
        self, admin_client, collective
    ):
        client = ClientFactory(collective=collective)
        ClientContactFactory(client=client, full_name="Claire Lenoir", email="claire@lenoir.fr")

        response = admin_client.post(
            url("contact_create", collective, client.pk),
            person(full_name="Claire L.", email="Claire@Lenoir.fr", phone="0600000000"),
        )

        content = response.content.decode()
        assert (
            "Claire Lenoir is already a contact of this client with the address claire@lenoir.fr." in content
        )
        assert 'value="Claire L."' in content
        assert 'value="0600000000"' in content
        assert ClientContact.objects.count() == 1

    def test_a_contact_is_edited_and_removed(self, admin_client, collective):
        client = ClientFactory(collective=collective)
        contact = ClientContactFactory(client=client, full_name="Claire")

        admin_client.post(
            url("contact_edit", collective, client.pk, contact.pk),
            person(full_name="Claire Lenoir", role="finance"),
        )
        contact.refresh_from_db()
        assert (contact.full_name, contact.role) == ("Claire Lenoir", "finance")

        assert admin_client.get(url("contact_delete", collective, client.pk, contact.pk)).status_code == 405
        response = admin_client.post(url("contact_delete", collective, client.pk, contact.pk), follow=True)
        assert not ClientContact.objects.exists()
        assert "Claire Lenoir was removed from the contacts" in response.content.decode()

    def test_a_contact_of_another_client_is_a_404_under_this_client(self, admin_client, collective):
        client = ClientFactory(collective=collective)
        contact = ClientContactFactory(client=ClientFactory(collective=collective))

        response = admin_client.post(url("contact_delete", collective, client.pk, contact.pk))

        assert response.status_code == 404
        assert ClientContact.objects.filter(pk=contact.pk).exists()


class TestIsolation:
    def test_a_member_of_another_collective_gets_404_everywhere(self, client, collective):
        lenoir = ClientFactory(collective=collective)
        contact = ClientContactFactory(client=lenoir)
        outsider = AdminMembershipFactory()
        client.force_login(outsider.user)
        before = list(Client.objects.values()), list(ClientContact.objects.values())

        for slug in (collective.slug, outsider.collective.slug):
            for name, args in [
                ("list", []),
                ("create", []),
                ("detail", [lenoir.pk]),
                ("edit", [lenoir.pk]),
                ("contact_create", [lenoir.pk]),
                ("contact_edit", [lenoir.pk, contact.pk]),
                ("contact_delete", [lenoir.pk, contact.pk]),
            ]:
                if slug == outsider.collective.slug and not args:
                    continue
                address = reverse(f"clients:{name}", args=[slug, *args])
                assert client.get(address).status_code == 404, address
                assert client.post(address, person()).status_code == 404, address

        assert (list(Client.objects.values()), list(ClientContact.objects.values())) == before

    def test_anonymous_visitors_are_sent_to_log_in(self, client, collective):
        response = client.get(url("list", collective))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
