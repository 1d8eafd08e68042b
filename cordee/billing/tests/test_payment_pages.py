"""The payment pages: statement upload with its progress, the matching screen, a mission's payments, the
charts and the reminder ladder; bad inputs, isolation and constant query counts."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cordee.billing.models import BankStatement, Invoice, Payment, StatementLine
from cordee.billing.services.payments import payment_record
from cordee.billing.tests.payment_helpers import issued_invoice, member_seller, mission_batch, teammate
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.tests.factories import ClientFactory, MissionFactory, MissionMemberFactory

DATA = Path(__file__).parent / "data"
ISSUED = date(2026, 3, 16)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(date(2026, 4, 20), tick=False):
        yield


@pytest.fixture
def invoices(world):
    seller = member_seller(world.collective, world.lead)
    batch = mission_batch(world.mission)
    return [
        issued_invoice(
            mission=world.mission, seller=seller, batch=batch, number=number, total=total, issued_on=ISSUED
        )
        for number, total in (("CM-2026-00001", "3600.00"), ("CM-2026-00002", "1000.00"))
    ]


def upload(client, world, seller_id, name="camt053_v02.xml", format="camt053", **mapping):
    content = (DATA / name).read_bytes()
    return client.post(
        reverse("billing:payments", args=[world.collective.slug]),
        {"seller": seller_id, "format": format, "file": SimpleUploadedFile(name, content), **mapping},
    )


def test_import_progress_and_matching(client, world, invoices, django_capture_on_commit_callbacks):
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, world, invoices[0].seller_id)
    statement = BankStatement.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "billing:statement", args=[world.collective.slug, statement.pk]
    )
    page = client.get(response.url)
    assert b'<progress id="statement-progress-bar" max="100" value="100">' in page.content
    assert "2 new payments to review." in page.content.decode()
    assert b"hx-trigger" not in page.content  # done: no more polling
    partial = client.get(response.url, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<div id="statement-progress"')

    review = client.get(reverse("billing:payments", args=[world.collective.slug])).content.decode()
    first, second = StatementLine.objects.order_by("pk")
    assert first.suggested_invoice == invoices[0]
    assert f'<option value="{invoices[0].pk}" selected>CM-2026-00001' in review
    decide = reverse("billing:line_decide", args=[world.collective.slug, first.pk])
    client.post(decide, {f"line-{first.pk}-action": "confirm", f"line-{first.pk}-invoice": invoices[0].pk})
    client.post(
        reverse("billing:line_decide", args=[world.collective.slug, second.pk]),
        {f"line-{second.pk}-action": "confirm", f"line-{second.pk}-invoice": invoices[1].pk},
    )
    invoices[0].refresh_from_db()
    invoices[1].refresh_from_db()
    assert (invoices[0].payment_status, invoices[1].payment_status) == ("paid", "partly_paid")
    again = client.post(decide, {f"line-{first.pk}-action": "ignore"}, follow=True)
    assert "Someone else has just decided this line" in again.content.decode()
    assert Payment.objects.count() == 2


def test_a_running_import_polls_and_refreshes_without_javascript(client, world, invoices):
    client.force_login(world.lead)
    upload(client, world, invoices[0].seller_id)  # no commit in the test: the import is still waiting
    statement = BankStatement.objects.get()
    page = client.get(
        reverse("billing:statement", args=[world.collective.slug, statement.pk])
    ).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page


@pytest.mark.parametrize(
    ("name", "format", "mapping", "message"),
    [
        ("camt054.xml", "camt053", {}, "camt.054 message, not a camt.053"),
        ("camt053_v13.xml", "camt053", {}, "version 001.13 is not supported"),
        (
            "bank_utf8.csv",
            "csv",
            {"date_column": "Date", "credit_column": "Montant", "reference_column": "Libellé"},
            "Columns not found in the file: Montant",
        ),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(client, world, invoices, name, format, mapping, message):
    client.force_login(world.lead)
    response = upload(client, world, invoices[0].seller_id, name=name, format=format, **mapping)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not BankStatement.objects.exists()
    if mapping:
        assert 'value="Montant"' in response.content.decode()  # what was typed is kept


def test_the_same_statement_twice_says_so(client, world, invoices, django_capture_on_commit_callbacks):
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, world, invoices[0].seller_id)
    response = upload(client, world, invoices[0].seller_id)
    assert response.status_code == 400
    assert "This file was already imported on" in response.content.decode()
    assert BankStatement.objects.count() == 1 and StatementLine.objects.count() == 2


def test_a_csv_statement_in_windows_1252(client, world, invoices, django_capture_on_commit_callbacks):
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(
            client,
            world,
            invoices[0].seller_id,
            name="bank_cp1252.csv",
            format="csv",
            date_column="Date",
            credit_column="Crédit",
            reference_column="Libellé",
            counterparty_column="Émetteur",
        )
    assert response.status_code == 302
    assert sorted(StatementLine.objects.values_list("counterparty", flat=True)) == [
        "ACME SAS",
        "Société Générale Études",
    ]


def test_a_member_reconciles_only_their_own_account(client, world, invoices):
    member, seller = teammate(world.collective)
    client.force_login(member)
    response = upload(client, world, invoices[0].seller_id)  # the lead's account
    assert response.status_code == 400 and not BankStatement.objects.exists()
    page = client.get(reverse("billing:payments", args=[world.collective.slug])).content.decode()
    assert f'<option value="{seller.pk}"' in page and f'<option value="{invoices[0].seller_id}"' not in page


def test_recording_a_payment_on_the_mission_page(client, world, invoices):
    client.force_login(world.lead)
    url = reverse("billing:mission_payments", args=[world.collective.slug, world.mission.pk])
    invoice = invoices[1]
    refused = client.post(
        url,
        {
            "action": "record",
            "invoice": invoice.pk,
            f"pay-{invoice.pk}-paid_on": "2026-04-18",
            f"pay-{invoice.pk}-amount": "-20",
            f"pay-{invoice.pk}-method": "transfer",
            f"pay-{invoice.pk}-reference": "VIR 42",
        },
    )
    assert refused.status_code == 400
    assert "A payment is a positive amount" in refused.content.decode()
    assert 'value="VIR 42"' in refused.content.decode()
    assert (
        client.post(
            url,
            {
                "action": "record",
                "invoice": invoice.pk,
                f"pay-{invoice.pk}-paid_on": "2026-04-18",
                f"pay-{invoice.pk}-amount": "1 250,00".replace(" ", "").replace(",", "."),
                f"pay-{invoice.pk}-method": "transfer",
                f"pay-{invoice.pk}-reference": "VIR 42",
            },
        ).status_code
        == 302
    )
    invoice.refresh_from_db()
    assert invoice.payment_status == "overpaid"
    page = client.get(url).content.decode()
    assert "Overpaid: 250.00" in page
    client.post(url, {"action": "pause", "invoice": invoices[0].pk})
    assert Invoice.objects.get(pk=invoices[0].pk).reminders_paused


def test_charts_are_svg_with_their_data_table(client, world, invoices):
    payment_record(by=world.lead, invoice_id=invoices[0].pk, paid_on=date(2026, 4, 2), amount="600.00")
    client.force_login(world.lead)
    page = client.get(reverse("billing:payment_charts", args=[world.collective.slug])).content.decode()
    assert page.count('role="img"') == 2
    assert '<title id="ageing-chart-title">Receivables ageing per client</title>' in page
    # Due 15 April (30 days after 16 March): 3 000 € and 1 000 € are 1–30 days late on 20 April.
    assert "4,000.00\xa0€" in page
    assert "600.00\xa0€" in page


@pytest.mark.parametrize(
    ("language", "one_client", "one_member"),
    [
        ("en", "1 client owes", "by 1 member&#x27;s business,"),
        ("fr", "1 client doit", "de 1 activité de membre,"),
    ],
)
def test_the_chart_descriptions_count_in_the_singular(
    client, world, invoices, language, one_client, one_member
):
    payment_record(by=world.lead, invoice_id=invoices[0].pk, paid_on=date(2026, 4, 2), amount="600.00")
    client.force_login(world.lead)

    url = reverse("billing:payment_charts", args=[world.collective.slug])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert one_client in page
    assert one_member in page


def test_the_ladder_is_for_admins(client, world):
    client.force_login(MembershipFactory(collective=world.collective).user)
    assert client.get(reverse("billing:reminder_ladder", args=[world.collective.slug])).status_code == 403
    client.force_login(world.lead)
    page = client.get(reverse("billing:reminder_ladder", args=[world.collective.slug]))
    assert "3 days before the due date" in page.content.decode()
    level = page.context["levels"][0]
    refused = client.post(
        reverse("billing:reminder_ladder", args=[world.collective.slug]),
        {
            "level": level.pk,
            f"level-{level.pk}-offset_days": "-90",
            f"level-{level.pk}-text_fr": "x",
            f"level-{level.pk}-text_en": "y",
            f"level-{level.pk}-enabled": "on",
        },
    )
    assert refused.status_code == 400


def test_other_collectives_see_nothing(client, world, invoices, django_capture_on_commit_callbacks):
    """Isolation: a member of another collective gets a 404 on every payment page of this one."""
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, world, invoices[0].seller_id)
    statement = BankStatement.objects.get()
    line = StatementLine.objects.first()
    slug = world.collective.slug
    outsider = MissionFactory().lead
    client.force_login(outsider)
    for url in (
        reverse("billing:payments", args=[slug]),
        reverse("billing:statement", args=[slug, statement.pk]),
        reverse("billing:payment_charts", args=[slug]),
        reverse("billing:reminder_ladder", args=[slug]),
        reverse("billing:mission_payments", args=[slug, world.mission.pk]),
    ):
        assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("billing:line_decide", args=[slug, line.pk]), {f"line-{line.pk}-action": "ignore"}
        ).status_code
        == 404
    )
    own_slug = outsider.memberships.first().collective.slug
    assert client.get(reverse("billing:statement", args=[own_slug, statement.pk])).status_code == 404
    assert (
        client.post(
            reverse("billing:line_decide", args=[own_slug, line.pk]), {f"line-{line.pk}-action": "ignore"}
        ).status_code
        == 404
    )
    assert StatementLine.objects.get(pk=line.pk).status == "suggested"


def test_pages_run_a_constant_number_of_queries(
    client, world, invoices, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, world, invoices[0].seller_id)
    statement = BankStatement.objects.get()
    # A client credit already (1 100 € paid on 1 000 €): the credit reads run from the start.
    payment_record(by=world.lead, invoice_id=invoices[1].pk, paid_on=date(2026, 4, 1), amount=Decimal("1100"))
    slug = world.collective.slug
    urls = [
        reverse("billing:payments", args=[slug]),
        reverse("billing:statement", args=[slug, statement.pk]),
        reverse("billing:payment_charts", args=[slug]),
        reverse("billing:mission_payments", args=[slug, world.mission.pk]),
        reverse("billing:reminder_ladder", args=[slug]),
        reverse("billing:client_credits", args=[slug]),
    ]
    counts = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    _member, seller = teammate(world.collective)
    for index in range(6):
        other_client = ClientFactory(collective=world.collective)
        invoice = issued_invoice(
            mission=world.mission,
            seller=seller if index % 2 else invoices[0].seller,
            batch=invoices[0].batch,
            number=f"XX-2026-{index:05d}",
            total="500.00",
            issued_on=ISSUED + timedelta(days=index),
        )
        Invoice.objects.filter(pk=invoice.pk).update(client=other_client)
        # Every third one paid 100 € too much: a credit for its client.
        amount = Decimal("600") if index % 3 == 0 else Decimal("100")
        payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=date(2026, 4, 1), amount=amount)
        StatementLine.objects.create(
            collective=world.collective,
            seller=invoices[0].seller,
            statement=statement,
            line_key=f"k{index}",
            booking_date=date(2026, 4, 10),
            amount=Decimal("10"),
            reference=f"Ref {index}",
        )
    for url in urls:
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_the_invoice_page_shows_its_payments_its_balance_and_where_to_record_one(client, world, invoices):
    invoice = invoices[0]
    url = reverse("billing:invoice", args=[world.collective.slug, world.mission.pk, invoice.pk])
    client.force_login(world.lead)

    def page_queries():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url)
        assert page.status_code == 200
        return page.content.decode(), len(captured)

    page, no_payment = page_queries()
    assert "No payment recorded yet." in page
    assert "balance due: 3,600.00\xa0€" in page
    payment_record(
        by=world.lead, invoice_id=invoice.pk, paid_on=date(2026, 4, 2), amount="1000.00", reference="VIR-4411"
    )
    page, one = page_queries()
    assert "VIR-4411" in page and "Bank transfer" in page and "1,000.00\xa0€" in page
    assert "balance due: 2,600.00\xa0€" in page and "Partly paid" in page
    record = reverse("billing:mission_payments", args=[world.collective.slug, world.mission.pk])
    assert f'href="{record}#invoice-{invoice.pk}"' in page
    for day in range(3, 7):
        payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=date(2026, 4, day), amount="100.00")
    page, five = page_queries()
    assert "balance due: 2,200.00\xa0€" in page
    assert one == five

    # A member of the collective who neither sold nor leads reads the payments but gets no button.
    reader = MembershipFactory(collective=world.collective).user
    MissionMemberFactory(mission=world.mission, user=reader)
    client.force_login(reader)
    page = client.get(url).content.decode()
    assert "VIR-4411" in page
    assert f"{record}#invoice-{invoice.pk}" not in page
