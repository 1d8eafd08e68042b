"""The reminder ladder over 45 days (time-machine): each level once, a mission's invoices in one email,
none after payment, none for a disputed or paused invoice; R-1.12 mentions with penalties computed by hand."""

import email
from datetime import date, datetime, timedelta
from decimal import Decimal
from email import policy
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cordee.billing.models import Invoice, InvoiceReminder, ReminderLevel
from cordee.billing.services.payments import payment_record
from cordee.billing.services.reminders import (
    invoice_dispute_set,
    invoice_reminders_pause,
    ladder_for,
    ladder_level_add,
    ladder_level_archive,
    ladder_level_update,
    reminder_send,
    reminders_due,
)
from cordee.billing.tests.payment_helpers import issued_invoice, member_seller, mission_batch, teammate
from cordee.core import outbox
from cordee.core.access import AccessDenied
from cordee.core.models import OutboundEmail
from cordee.core.tests.conftest import smtp_server  # noqa: F401 - the real SMTP server fixture
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory
from cordee.schedule import billing_reminders_tick

PARIS = ZoneInfo("Europe/Paris")
ISSUED = date(2026, 4, 1)
DUE = date(2026, 5, 1)


@pytest.fixture(autouse=True)
def _english_messages():
    """Error messages are checked in English; the French catalogue is checked by test_translations."""
    with translation.override("en"):
        yield


def at_ten(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=PARIS)


@pytest.fixture
def batch(world):
    world.contact.language = "en"
    world.contact.save()
    lead_seller = member_seller(world.collective, world.lead)
    member_b, seller_b = teammate(world.collective, full_name="Paul Durand", business_name="Paul Durand Dev")
    seller_b.late_penalty_rate = "7.86"
    seller_b.save()
    _member_c, seller_c = teammate(world.collective, full_name="Inès Roy", business_name="Inès Roy Conseil")
    group = mission_batch(world.mission)
    invoices = [
        issued_invoice(
            mission=world.mission, seller=seller, batch=group, number=number, total=total, issued_on=ISSUED
        )
        for seller, number, total in (
            (lead_seller, "CM-2026-00001", "1200.00"),
            (seller_b, "PD-2026-00001", "2400.00"),
            (seller_c, "IR-2026-00001", "600.00"),
        )
    ]
    return group, invoices, member_b


def reminder_emails():
    return list(OutboundEmail.objects.filter(idempotency_key__startswith="billing:reminder:").order_by("pk"))


def test_the_ladder_over_45_days(world, batch, django_capture_on_commit_callbacks):
    group, (first, second, third), member_b = batch
    sent_on = {}
    start = DUE - timedelta(days=5)
    for offset in range(46):
        day = start + timedelta(days=offset)
        with time_machine.travel(at_ten(day), tick=False):
            if day == date(2026, 5, 10):  # +9: the second invoice is paid in full
                payment_record(by=member_b, invoice_id=second.pk, paid_on=day, amount="2400.00")
            if day == date(2026, 5, 20):  # +19: the client disputes the third one
                invoice_dispute_set(by=world.lead, invoice_id=third.pk, disputed=True)
            before = len(reminder_emails())
            billing_reminders_tick()
            billing_reminders_tick()  # a second run the same day (another worker) sends nothing more
            if len(reminder_emails()) > before:
                sent_on[(day - DUE).days] = reminder_emails()[before:]

    assert sorted(sent_on) == [-3, 0, 7, 15, 30]  # each level once, at its day
    assert all(len(emails) == 1 for emails in sent_on.values())  # one email for the whole mission
    assert InvoiceReminder.objects.filter(batch=group).count() == 5

    def numbers(level):
        body = sent_on[level][0].body_text
        return [number for number in ("CM-2026-00001", "PD-2026-00001", "IR-2026-00001") if number in body]

    assert numbers(-3) == numbers(0) == numbers(7) == ["CM-2026-00001", "PD-2026-00001", "IR-2026-00001"]
    assert numbers(15) == ["CM-2026-00001", "IR-2026-00001"]  # none after payment
    assert numbers(30) == ["CM-2026-00001"]  # none while disputed

    before_due = sent_on[-3][0]
    assert before_due.subject == f"Invoices for {world.mission.title}: due soon"
    assert "penalties" not in before_due.body_text.lower() and "indemnity" not in before_due.body_text

    late = sent_on[7][0].body_text
    assert "7 days late" in late
    # 1 200 × 10.15 % × 7 / 365 = 2.3358… → 2.34; 2 400 × 7.86 % × 7 / 365 = 3.6177… → 3.62;
    # 600 × 10.15 % × 7 / 365 = 1.1679… → 1.17
    assert "Late-payment penalties at 10.15% a year: 2.34\xa0€" in late
    assert "Late-payment penalties at 7.86% a year: 3.62\xa0€" in late
    assert "Late-payment penalties at 10.15% a year: 1.17\xa0€" in late
    assert late.count("Fixed recovery indemnity (art. D441-5 of the French commercial code): 40.00\xa0€") == 3
    assert (
        "Total balance due: 4,200.00\xa0€. Penalties to date: 7.13\xa0€; recovery indemnities: 120.00\xa0€."
        in late
    )
    # +30: 1 200 × 10.15 % × 30 / 365 = 10.0109… → 10.01
    assert "Late-payment penalties at 10.15% a year: 10.01\xa0€" in sent_on[30][0].body_text


def test_a_fully_paid_batch_is_never_reminded(world, batch):
    group, invoices, _member_b = batch
    Invoice.objects.filter(batch=group).update(payment_status=Invoice.PaymentStatus.PAID)
    for day in (DUE - timedelta(days=3), DUE, DUE + timedelta(days=30)):
        assert reminders_due(day) == []


def test_a_paused_invoice_is_left_out_and_resumes(world, batch):
    group, (first, second, third), _member_b = batch
    for invoice in (first, second, third):
        invoice_reminders_pause(by=world.lead, invoice_id=invoice.pk, paused=True)
    assert reminders_due(DUE) == []
    invoice_reminders_pause(by=world.lead, invoice_id=third.pk, paused=False)
    assert reminders_due(DUE) == [(group.pk, 0)]
    with pytest.raises(AccessDenied):
        invoice_reminders_pause(by=MissionFactory().lead, invoice_id=first.pk, paused=False)


def test_a_stopped_worker_catches_up_with_the_latest_level_only(world, batch):
    group, _invoices, _member_b = batch
    assert reminders_due(DUE + timedelta(days=16)) == [(group.pk, 15)]
    assert reminder_send(batch_id=group.pk, offset_days=15, today=DUE + timedelta(days=16))
    assert not reminder_send(batch_id=group.pk, offset_days=15, today=DUE + timedelta(days=16))
    assert reminders_due(DUE + timedelta(days=17)) == []


def test_consumer_reminders_never_mention_penalties_or_the_indemnity(world):
    world.contact.language = "en"
    world.contact.save()
    seller = member_seller(world.collective, world.lead)
    group = mission_batch(world.mission)
    issued_invoice(
        mission=world.mission,
        seller=seller,
        batch=group,
        number="CM-2026-00007",
        total="800.00",
        issued_on=ISSUED,
        flow=Invoice.Flow.B2C,
    )
    reminder_send(batch_id=group.pk, offset_days=15, today=DUE + timedelta(days=15))
    body = reminder_emails()[0].body_text
    assert "CM-2026-00007" in body and "Balance due: 800.00\xa0€" in body
    for mention in ("indemnity", "D441-5", "penalties", "days late", "40.00"):
        assert mention not in body


def test_the_ladder_is_each_collectives_own(world, batch):
    group, _invoices, _member_b = batch
    with pytest.raises(AccessDenied):
        ladder_for(by=MembershipFactory(collective=world.collective).user, collective_id=world.collective.pk)
    ladder = ladder_for(by=world.lead, collective_id=world.collective.pk)
    assert [level.offset_days for level in ladder.levels.all()] == [-3, 0, 7, 15, 30]
    before = ladder.levels.get(offset_days=-3)
    ladder_level_update(
        by=world.lead, level_id=before.pk, offset_days=-5, text_fr="Bientôt", text_en="Soon", enabled=True
    )
    ladder.levels.filter(offset_days=7).update(enabled=False)
    assert reminders_due(DUE - timedelta(days=5)) == [(group.pk, -5)]
    assert reminders_due(DUE + timedelta(days=7)) == [(group.pk, 0)]  # +7 switched off: the last reached is 0
    other = MissionFactory()
    assert reminders_due(DUE + timedelta(days=7)) == [(group.pk, 0)]
    with pytest.raises(AccessDenied):
        ladder_level_update(
            by=other.lead, level_id=before.pk, offset_days=-4, text_fr="x", text_en="x", enabled=True
        )
    assert ReminderLevel.objects.get(pk=before.pk).offset_days == -5


def test_a_french_reminder_through_a_real_smtp_server(world, batch, settings, smtp_server):  # noqa: F811
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    group, _invoices, _member_b = batch
    finance = ClientContactFactory(
        client=world.client,
        collective=world.collective,
        role="finance",
        full_name="Agnès Petit",
        language="fr",
    )
    assert reminder_send(batch_id=group.pk, offset_days=7, today=DUE + timedelta(days=7))
    (row,) = reminder_emails()
    assert row.to_email == finance.email  # the finance contact, not the project one
    assert outbox.email_deliver(row.pk)
    (envelope,) = smtp_server.handler.envelopes
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert message["Reply-To"] == world.lead.email
    assert "Bonjour Agnès Petit" in text
    assert "Sauf erreur de notre part" in text
    assert "7 jours de retard" in text
    assert "Pénalités de retard au taux de 10,15\xa0% par an\xa0: 2,34\xa0€" in text
    assert (
        "Indemnité forfaitaire pour frais de recouvrement (art. D441-5 du Code de commerce)\xa0: 40,00\xa0€"
        in text
    )
    assert not mail.outbox


def _preview(client, world):
    client.force_login(world.lead)
    url = reverse("communication:preview", args=[world.collective.slug, world.mission.pk])
    response = client.get(url, {"email": "invoice_reminder", "language": "en", "contact": world.contact.pk})
    assert response.status_code == 200 and response.context["unavailable"] == ""
    return response.context["subject"], response.context["text"]


def test_the_reminder_preview_shows_an_example_and_writes_nothing(client, world):
    before = (OutboundEmail.objects.count(), InvoiceReminder.objects.count(), Invoice.objects.count())
    subject, text = _preview(client, world)
    assert subject == f"Reminder: unpaid invoices for {world.mission.title}"
    assert "CM-2026-00012" in text and "PD-2026-00007" in text and "7 days late" in text
    assert (OutboundEmail.objects.count(), InvoiceReminder.objects.count(), Invoice.objects.count()) == before


def test_the_reminder_preview_shows_the_missions_invoices(client, world, batch):
    subject, text = _preview(client, world)
    assert "CM-2026-00001" in text and "PD-2026-00001" in text and "IR-2026-00001" in text
    assert "Late-payment penalties at 7.86% a year: 3.62\xa0€" in text
    assert not InvoiceReminder.objects.exists()


def _batches(count: int):
    for _index in range(count):
        mission = MissionFactory()
        ClientContactFactory(client=mission.client, collective=mission.collective, role="finance")
        seller = member_seller(mission.collective, mission.lead)
        group = mission_batch(mission)
        for number in range(2):
            issued_invoice(
                mission=mission,
                seller=seller,
                batch=group,
                number=f"S{group.pk}-{number}",
                total="100.00",
                issued_on=ISSUED,
            )


def test_the_tick_finds_what_is_due_in_a_fixed_number_of_queries(db, django_assert_num_queries):
    """Whatever the number of batches and collectives, finding the due reminders costs the same; each
    batch is then sent by the worker (immediate in tests)."""
    _batches(2)
    with CaptureQueriesContext(connection) as small:
        assert len(reminders_due(DUE + timedelta(days=7))) == 2
    _batches(8)
    with django_assert_num_queries(len(small)):
        assert len(reminders_due(DUE + timedelta(days=7))) == 10
    with time_machine.travel(at_ten(DUE + timedelta(days=7)), tick=False):
        billing_reminders_tick()
    assert InvoiceReminder.objects.count() == 10
    assert OutboundEmail.objects.filter(idempotency_key__startswith="billing:reminder:").count() == 10


def test_an_invoice_settled_by_a_credit_note_is_not_reminded(world, batch):
    """A partly paid invoice whose rest a credit note took off owes nothing: it is left out (R-1.8)."""
    group, (first, second, third), _member_b = batch
    Invoice.objects.filter(pk__in=[second.pk, third.pk]).update(
        payment_status="paid", amount_paid=F("total_incl_tax")
    )
    Invoice.objects.filter(pk=first.pk).update(
        amount_paid=Decimal("1000.00"), payment_status="partly_paid", amount_credited=Decimal("200.00")
    )
    assert reminders_due(DUE + timedelta(days=7)) == []


# --- Adding and archiving levels ------------------------------------------------------------------------


def run_ladder(days) -> dict[int, int]:
    """Run the tick twice a day over the days given; the number of reminder emails sent per day from DUE."""
    sent: dict[int, int] = {}
    for day in days:
        with time_machine.travel(at_ten(day), tick=False):
            before = len(reminder_emails())
            billing_reminders_tick()
            billing_reminders_tick()
            if len(reminder_emails()) > before:
                sent[(day - DUE).days] = len(reminder_emails()) - before
    return sent


def days_from_due(first: int, last: int):
    return [DUE + timedelta(days=offset) for offset in range(first, last + 1)]


def test_a_new_level_fires_once_and_an_archived_one_never_resends(world, batch):
    group, _invoices, _member_b = batch
    ladder = ladder_for(by=world.lead, collective_id=world.collective.pk)
    assert run_ladder(days_from_due(-5, 8)) == {-3: 1, 0: 1, 7: 1}
    keys = list(OutboundEmail.objects.values_list("idempotency_key", flat=True))
    seven = ladder.levels.get(offset_days=7)
    ladder_level_archive(by=world.lead, level_id=seven.pk)
    added = ladder_level_add(by=world.lead, collective_id=world.collective.pk, offset_days=10)
    # Archiving +7 after it was sent resends nothing; +10 fires once; +15 and +30 as before.
    assert run_ladder(days_from_due(9, 45)) == {10: 1, 15: 1, 30: 1}
    assert InvoiceReminder.objects.filter(batch=group).count() == 6
    after = set(OutboundEmail.objects.values_list("idempotency_key", flat=True))
    assert set(keys) <= after and len(after) == len(keys) + 3  # the keys sent before are untouched
    assert InvoiceReminder.objects.filter(batch=group, offset_days=7).count() == 1  # the history stays
    assert ReminderLevel.objects.filter(pk=seven.pk).exists()
    fifteen = ladder.levels.get(offset_days=15)  # the nearest level still in use (+7 is archived)
    assert (added.text_fr, added.text_en) == (fifteen.text_fr, fifteen.text_en)


def test_an_archived_level_is_not_due_and_cannot_be_edited(world, batch):
    group, _invoices, _member_b = batch
    ladder = ladder_for(by=world.lead, collective_id=world.collective.pk)
    level = ladder.levels.get(offset_days=7)
    ladder_level_archive(by=world.lead, level_id=level.pk)
    assert reminders_due(DUE + timedelta(days=7)) == [(group.pk, 0)]
    with pytest.raises(ValidationError, match="archived"):
        ladder_level_update(
            by=world.lead, level_id=level.pk, offset_days=8, text_fr="x", text_en="x", enabled=True
        )
    with pytest.raises(ValidationError, match="already archived"):
        ladder_level_archive(by=world.lead, level_id=level.pk)
    # Its day is free again for a new level; the batch reminded at +7 is not reminded at +7 twice.
    ladder_level_add(by=world.lead, collective_id=world.collective.pk, offset_days=7, text_en="Again")
    assert reminders_due(DUE + timedelta(days=7)) == [(group.pk, 7)]


def test_a_new_levels_texts_start_from_the_nearest_level(world):
    ladder = ladder_for(by=world.lead, collective_id=world.collective.pk)
    texts = {level.offset_days: (level.text_fr, level.text_en) for level in ladder.levels.all()}
    for offset, nearest in ((-30, -3), (2, 0), (11, 7), (12, 15), (22, 15), (23, 30), (120, 30)):
        level = ladder_level_add(by=world.lead, collective_id=world.collective.pk, offset_days=offset)
        assert (level.text_fr, level.text_en) == texts[nearest], offset
        ladder_level_archive(by=world.lead, level_id=level.pk)
    typed = ladder_level_add(
        by=world.lead,
        collective_id=world.collective.pk,
        offset_days=60,
        text_fr=" Dernier rappel ",
        text_en="",
    )
    assert (typed.text_fr, typed.text_en) == ("Dernier rappel", texts[30][1])


@pytest.mark.parametrize(
    ("offset", "message"),
    [
        (-31, "between 30 days before and 120 days after"),
        (121, "between 30 days before and 120 days after"),
        (15, "Another level of the ladder is on this day."),
        ("7", "Enter a whole number of days."),
    ],
)
def test_a_bad_new_level_is_refused_and_changes_nothing(world, offset, message):
    ladder = ladder_for(by=world.lead, collective_id=world.collective.pk)
    with pytest.raises(ValidationError) as refused:
        ladder_level_add(by=world.lead, collective_id=world.collective.pk, offset_days=offset)
    assert message in refused.value.message_dict["offset_days"][0]
    assert [level.offset_days for level in ladder.levels.all()] == [-3, 0, 7, 15, 30]


def test_only_admins_add_and_archive_levels(world):
    ladder = ladder_for(by=world.lead, collective_id=world.collective.pk)
    level = ladder.levels.get(offset_days=7)
    for user in (MembershipFactory(collective=world.collective).user, MissionFactory().lead):
        with pytest.raises(AccessDenied):
            ladder_level_add(by=user, collective_id=world.collective.pk, offset_days=10)
        with pytest.raises(AccessDenied):
            ladder_level_archive(by=user, level_id=level.pk)
    assert ladder.levels.count() == 5 and not ladder.levels.filter(archived_at__isnull=False).exists()


def test_the_ladder_page_adds_and_archives_levels(client, world):
    client.force_login(world.lead)
    url = reverse("billing:reminder_ladder", args=[world.collective.slug])
    refused = client.post(url, {"action": "add", "new-offset_days": "200", "new-text_fr": "Très tard"})
    assert refused.status_code == 400
    assert "Très tard" in refused.content.decode()
    added = client.post(url, {"action": "add", "new-offset_days": "45", "new-enabled": "on"})
    assert added.status_code == 302
    level = ReminderLevel.objects.get(collective=world.collective, offset_days=45)
    assert level.enabled and level.text_en
    client.post(url, {"action": "archive", "level": level.pk})
    level.refresh_from_db()
    assert level.archived_at is not None
    page = client.get(url).content.decode()
    assert "Archived reminders" in page and "45 days from the due date, archived on" in page
    assert f'name="level-{level.pk}-offset_days"' not in page
