import base64
import hashlib
import importlib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.files.storage import default_storage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.utils import timezone

from cordee.core import outbox
from cordee.core.models import OutboundEmail
from cordee.schedule import outbox_attachments_sweep as outbox_attachments_sweep_tick

pytestmark = pytest.mark.django_db


def enqueue(key="test:1", language="fr", **kwargs):
    return outbox.email_enqueue(
        key=key,
        to="client@example.fr",
        template="core/emails/test",
        context={"name": "Léa"},
        language=language,
        **kwargs,
    )


def test_enqueue_stores_a_rendered_row_and_delivers_on_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = enqueue(reply_to="lead@example.fr")

    email.refresh_from_db()
    assert email.subject == "Bonjour Léa"
    assert "Ceci est un message de test de Cordée." in email.body_text
    assert "<html" in email.body_html and "Ceci est un message de test de Cordée." in email.body_html
    assert email.state == OutboundEmail.State.SENT
    assert email.attempts == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Bonjour Léa"
    assert message.to == ["client@example.fr"]
    assert message.reply_to == ["lead@example.fr"]
    assert message.alternatives[0][1] == "text/html"


def test_enqueue_renders_in_the_recipients_language():
    email = enqueue(language="en")
    assert email.subject == "Hello Léa"
    assert email.language == "en"


def test_same_key_twice_gives_one_row_and_one_send(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue()
        second = enqueue()
    assert first.pk == second.pk
    assert OutboundEmail.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_claimed_row_is_never_sent_twice():
    email = enqueue()
    assert outbox.email_deliver(email.pk) is True
    assert outbox.email_deliver(email.pk) is False
    assert len(mail.outbox) == 1


def test_failures_are_retried_with_back_off_then_marked_failed(settings, monkeypatch):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    scheduled = []
    monkeypatch.setattr(outbox, "_enqueue_delivery", lambda email_id, delay=None: scheduled.append(delay))
    settings.EMAIL_BACKEND = "cordee.core.tests.failing_backend.FailingBackend"
    email = enqueue()

    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        assert outbox.email_deliver(email.pk) is False
        email.refresh_from_db()
        assert email.state == OutboundEmail.State.PENDING
        assert email.attempts == 1
        assert email.last_error == "ConnectionRefusedError: SMTP server unreachable"
        assert email.next_attempt_at == timezone.now() + timedelta(seconds=30)

        outbox.email_deliver(email.pk)
        email.refresh_from_db()
        assert email.next_attempt_at == timezone.now() + timedelta(seconds=120)

        outbox.email_deliver(email.pk)
        email.refresh_from_db()
        assert email.state == OutboundEmail.State.FAILED
        assert email.attempts == 3
        assert email.next_attempt_at is None
    assert outbox.email_deliver(email.pk) is False  # a failed row is not retried any more


def test_tick_picks_up_lost_and_due_rows_only():
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        lost = enqueue(key="lost")
        fresh_due_later = enqueue(key="later")
        OutboundEmail.objects.filter(pk=fresh_due_later.pk).update(
            next_attempt_at=timezone.now() + timedelta(hours=1)
        )
    with time_machine.travel("2026-03-02 10:05 +01:00", tick=False):
        recent = enqueue(key="recent")
        due = outbox.outbox_due_ids()
    assert due == [lost.pk]
    assert recent.pk not in due


def test_retry_delay_grows():
    assert [outbox.retry_delay(attempt) for attempt in (1, 2, 3, 4)] == [30, 120, 480, 1920]


def test_a_calendar_attachment_keeps_its_method_and_one_charset(django_capture_on_commit_callbacks):
    invitation = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(
            attachments=[
                {
                    "filename": "invite.ics",
                    "content_base64": base64.b64encode(invitation).decode(),
                    "mimetype": 'text/calendar; method=REQUEST; charset="utf-8"',
                }
            ]
        )

    part = [part for part in mail.outbox[0].message().walk() if part.get_content_type() == "text/calendar"][0]
    assert part.get_param("method") == "REQUEST"
    assert str(part["Content-Type"]).lower().count("charset") == 1
    assert part.get_payload(decode=True) == invitation


# --- Claims carry their time and lapse after the lease -------------------------------------------------

LEASE = timedelta(seconds=180)


def claim_and_die(email):
    """A worker takes the row, then is killed before it records anything."""
    assert outbox._claim(email.pk, timezone.now()) is not None


def test_a_claim_records_its_time_and_counts_the_attempt():
    email = enqueue()
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        claim_and_die(email)
        email.refresh_from_db()
        assert email.state == OutboundEmail.State.SENDING
        assert email.claimed_at == timezone.now()
        assert email.attempts == 1


def test_a_row_whose_worker_died_goes_back_to_the_tick_after_the_lease(settings):
    assert LEASE.total_seconds() == settings.OUTBOX_LEASE_SECONDS
    email = enqueue()
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False) as traveller:
        claim_and_die(email)

        traveller.shift(LEASE - timedelta(seconds=1))
        assert outbox.outbox_due_ids() == []
        assert outbox.email_deliver(email.pk) is False  # the claim is still someone's
        assert outbox.outbox_recover() == 0
        assert mail.outbox == []

        traveller.shift(timedelta(seconds=1))
        assert outbox.outbox_due_ids() == [email.pk]
        assert outbox.outbox_recover() == 1

    email.refresh_from_db()
    assert email.state == OutboundEmail.State.SENT
    assert email.attempts == 2
    assert len(mail.outbox) == 1


def test_a_lapsed_claim_on_the_last_attempt_fails_the_email(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    email = enqueue()
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False) as traveller:
        claim_and_die(email)
        traveller.shift(LEASE)
        assert outbox.outbox_due_ids() == [email.pk]
        claim_and_die(email)  # the second worker dies too
        traveller.shift(LEASE)
        assert outbox.outbox_due_ids() == []
        assert outbox.email_deliver(email.pk) is False

        assert outbox.outbox_recover() == 0

    email.refresh_from_db()
    assert email.state == OutboundEmail.State.FAILED
    assert email.attempts == 2
    assert email.last_error == OutboundEmail.LEASE_LAPSED_ERROR
    assert email.lease_lapsed is True
    assert mail.outbox == []


def test_a_delivery_never_picked_up_is_due_after_the_lease():
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False) as traveller:
        email = enqueue()
        traveller.shift(LEASE - timedelta(seconds=1))
        assert outbox.outbox_due_ids() == []
        traveller.shift(timedelta(seconds=1))
        assert outbox.outbox_due_ids() == [email.pk]


class LeaseOutlivingBackend(BaseEmailBackend):
    """The SMTP server hangs past the lease: meanwhile a second worker takes the row and sends it,
    then the first one's connection fails."""

    def send_messages(self, email_messages):
        mail.outbox.extend(email_messages)
        if len(mail.outbox) == 1:
            with time_machine.travel(timezone.now() + LEASE, tick=False):
                assert outbox.email_deliver(OutboundEmail.objects.get().pk) is True
            raise ConnectionResetError("connection lost")
        return len(email_messages)


def test_a_worker_that_outlived_its_lease_does_not_undo_the_send_of_the_next_one(settings):
    settings.EMAIL_BACKEND = f"{__name__}.LeaseOutlivingBackend"
    email = enqueue()

    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        assert outbox.email_deliver(email.pk) is False

    email.refresh_from_db()
    assert email.state == OutboundEmail.State.SENT
    assert email.attempts == 2
    assert email.last_error == ""
    assert email.next_attempt_at is None
    assert len(mail.outbox) == 2
    assert mail.outbox[0].extra_headers["Message-ID"] == mail.outbox[1].extra_headers["Message-ID"]


# --- Message-ID ----------------------------------------------------------------------------------------


def test_the_message_id_derives_from_the_key_and_the_senders_domain():
    digest = hashlib.sha256(b"survey:42:reminder").hexdigest()[:32]
    assert outbox.message_id_for("survey:42:reminder", '"Atelier" <feedback+atelier@Mail.Example.FR>') == (
        f"<{digest}@mail.example.fr>"
    )
    assert outbox.message_id_for("survey:42:reminder", "") == f"<{digest}@cordee.localhost>"
    assert outbox.message_id_for("survey:43:reminder", "a@b.fr") != outbox.message_id_for(
        "survey:42:reminder", "a@b.fr"
    )


def test_every_attempt_of_an_email_carries_the_same_message_id(settings, monkeypatch):
    monkeypatch.setattr(outbox, "_enqueue_delivery", lambda email_id, delay=None: None)
    email = enqueue(key="retry:1", sender="Cordée <noreply@cordee.example>")
    settings.EMAIL_BACKEND = "cordee.core.tests.failing_backend.FailingBackend"
    assert outbox.email_deliver(email.pk) is False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.email_deliver(email.pk) is True

    expected = f"<{hashlib.sha256(b'retry:1').hexdigest()[:32]}@cordee.example>"
    message = mail.outbox[0].message()
    assert message["Message-ID"] == expected
    assert str(message).count("Message-ID") == 1


# --- Attachments are files named by their SHA-256 -------------------------------------------------------


PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40


@time_machine.travel("2026-03-02 10:00 +01:00", tick=False)
def test_attachments_are_stored_as_files_with_their_sha256_and_sent_from_there(
    django_capture_on_commit_callbacks,
):
    digest = hashlib.sha256(PDF).hexdigest()
    with django_capture_on_commit_callbacks(execute=True):
        email = enqueue(
            attachments=[{"filename": "facture.pdf", "mimetype": "application/pdf", "content": PDF}]
        )

    email.refresh_from_db()
    assert email.attachments == [
        {
            "filename": "facture.pdf",
            "mimetype": "application/pdf",
            "sha256": digest,
            "path": f"outbox/2026-03-02/{digest}",
            "size": len(PDF),
        }
    ]
    with default_storage.open(f"outbox/2026-03-02/{digest}", "rb") as file:
        assert file.read() == PDF
    assert mail.outbox[0].attachments == [("facture.pdf", PDF, "application/pdf")]


def test_the_same_content_is_stored_once_and_base64_callers_still_work():
    enqueue(key="a", attachments=[{"filename": "a.pdf", "mimetype": "application/pdf", "content": PDF}])
    enqueue(
        key="b",
        attachments=[
            {
                "filename": "b.pdf",
                "mimetype": "application/pdf",
                "content_base64": base64.b64encode(PDF).decode(),
            }
        ],
    )
    first, second = OutboundEmail.objects.order_by("pk")
    assert first.attachments[0]["path"] == second.attachments[0]["path"]
    assert second.attachments[0]["filename"] == "b.pdf"
    assert "content_base64" not in second.attachments[0]
    assert default_storage.listdir(first.attachments[0]["path"].rsplit("/", 1)[0])[1] == [
        first.attachments[0]["sha256"]
    ]


def test_an_attachment_changed_on_disk_is_not_sent(monkeypatch):
    monkeypatch.setattr(outbox, "_enqueue_delivery", lambda email_id, delay=None: None)
    email = enqueue(attachments=[{"filename": "facture.pdf", "mimetype": "application/pdf", "content": PDF}])
    path = default_storage.path(email.attachments[0]["path"])
    with open(path, "wb") as file:
        file.write(b"%PDF-1.7 forged")

    assert outbox.email_deliver(email.pk) is False

    email.refresh_from_db()
    assert email.state == OutboundEmail.State.PENDING
    assert email.last_error.startswith("ValueError: Attachment outbox/")
    assert mail.outbox == []


# --- Bulk enqueue and query counts ----------------------------------------------------------------------


def many(keys, language="fr"):
    return [
        outbox.EmailRequest(
            key=key,
            to=f"{key.replace(':', '-')}@example.fr",
            template="core/emails/test",
            context={"name": "Léa"},
            language=language,
        )
        for key in keys
    ]


def test_enqueue_many_stores_each_new_key_once_and_delivers_on_commit(django_capture_on_commit_callbacks):
    known = enqueue(key="bulk:1")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        added = outbox.email_enqueue_many(many(["bulk:1", "bulk:2", "bulk:3", "bulk:3"], language="en"))

    assert added == 2
    assert OutboundEmail.objects.filter(idempotency_key__startswith="bulk:").count() == 3
    assert sorted(message.to[0] for message in mail.outbox) == ["bulk-2@example.fr", "bulk-3@example.fr"]
    assert {message.subject for message in mail.outbox} == {"Hello Léa"}
    known.refresh_from_db()
    assert (known.to_email, known.subject) == ("client@example.fr", "Bonjour Léa")  # not rewritten


def test_enqueue_many_leaves_a_row_written_meanwhile_by_another_process(
    monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(outbox, "_enqueue_delivery", lambda email_id, delay=None: queued.append(email_id))
    original = outbox._outbound_email

    def render_while_another_process_writes(request):
        if request.key == "bulk:1":
            OutboundEmail.objects.create(
                idempotency_key="bulk:1",
                to_email="client@example.fr",
                subject="Écrit ailleurs",
                body_text=".",
            )
        return original(request)

    monkeypatch.setattr(outbox, "_outbound_email", render_while_another_process_writes)
    with django_capture_on_commit_callbacks(execute=True):
        outbox.email_enqueue_many(many(["bulk:0", "bulk:1"]))

    assert OutboundEmail.objects.count() == 2
    written_elsewhere = OutboundEmail.objects.get(idempotency_key="bulk:1")
    assert (written_elsewhere.to_email, written_elsewhere.subject) == ("client@example.fr", "Écrit ailleurs")
    assert sorted(queued) == sorted(
        OutboundEmail.objects.values_list("pk", flat=True)
    )  # the claim sorts it out


def test_enqueue_costs_two_queries_and_a_known_key_one(django_assert_num_queries):
    enqueue(key="warm-up")
    with django_assert_num_queries(2):
        enqueue(key="new")
    with django_assert_num_queries(1):
        enqueue(key="new")


@pytest.mark.parametrize("count", [5, 50])
def test_enqueue_many_costs_the_same_two_queries_for_5_and_50_emails(count, django_assert_num_queries):
    outbox.email_enqueue_many(many(["warm-up"]))
    with django_assert_num_queries(2):
        assert outbox.email_enqueue_many(many([f"size{count}:{index}" for index in range(count)])) == count
    assert OutboundEmail.objects.count() == count + 1


def test_delivering_costs_two_queries(django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(outbox, "_enqueue_delivery", lambda email_id, delay=None: None)
    first, second = enqueue(key="warm-up"), enqueue(key="measured")
    outbox.email_deliver(first.pk)
    with django_assert_num_queries(2):
        assert outbox.email_deliver(second.pk) is True
    with django_assert_num_queries(1):
        assert outbox.email_deliver(second.pk) is False


def test_the_migration_moves_base64_attachments_of_existing_rows_into_files():
    from django.apps import apps

    migration = importlib.import_module(
        "cordee.core.migrations.0002_outbox_lease_attachment_files_periodic_lock"
    )
    stored = outbox.attachment_store(
        {"filename": "a.pdf", "mimetype": "application/pdf", "content": b"%PDF-a"}
    )
    email = OutboundEmail.objects.create(
        idempotency_key="before-files",
        to_email="client@example.fr",
        subject="Ancien",
        body_text=".",
        attachments=[
            {
                "filename": "b.pdf",
                "mimetype": "application/pdf",
                "content_base64": base64.b64encode(PDF).decode(),
            },
            stored,
        ],
    )

    migration.attachments_to_files(apps, None)

    email.refresh_from_db()
    digest = hashlib.sha256(PDF).hexdigest()
    assert email.attachments == [
        {
            "filename": "b.pdf",
            "mimetype": "application/pdf",
            "sha256": digest,
            "path": f"outbox/{digest[:2]}/{digest}",
            "size": len(PDF),
        },
        stored,
    ]
    assert outbox.attachment_content(email.attachments[0]) == PDF


# --- Attachment files of emails whose transaction rolled back --------------------------------------


class RolledBack(Exception):
    pass


def enqueue_then_roll_back(content: bytes, key: str = "rolled-back") -> str:
    """Enqueue an email with an attachment inside a transaction that fails: its file stays on disk."""
    with pytest.raises(RolledBack), transaction.atomic():
        email = enqueue(
            key=key,
            attachments=[{"filename": "devis.pdf", "mimetype": "application/pdf", "content": content}],
        )
        path = email.attachments[0]["path"]
        raise RolledBack
    assert not OutboundEmail.objects.filter(idempotency_key=key).exists()
    return path


@pytest.mark.django_db(transaction=True)
def test_the_file_of_an_email_rolled_back_is_swept_once_its_day_is_past_the_grace(monkeypatch):
    monkeypatch.setattr(outbox, "_enqueue_delivery", lambda email_id, delay=None: None)
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        orphan = enqueue_then_roll_back(b"%PDF-1.7 devis jamais parti")
        kept = enqueue(
            key="committed",
            attachments=[{"filename": "facture.pdf", "mimetype": "application/pdf", "content": PDF}],
        ).attachments[0]["path"]
    assert default_storage.exists(orphan) and default_storage.exists(kept)

    with time_machine.travel("2026-03-03 23:00 +00:00", tick=False):
        assert outbox.outbox_attachments_sweep() == 0  # the grace: a transaction of that day may still commit
    assert default_storage.exists(orphan)

    with time_machine.travel("2026-03-04 03:17 +00:00", tick=False):
        assert outbox.outbox_attachments_sweep() == 1
        assert outbox.outbox_attachments_sweep() == 0

    assert not default_storage.exists(orphan)
    assert (
        outbox.attachment_content(OutboundEmail.objects.get(idempotency_key="committed").attachments[0])
        == PDF
    )
    assert default_storage.exists(kept)


@pytest.mark.django_db(transaction=True)
def test_a_file_shared_by_a_rolled_back_email_and_a_committed_one_is_kept(monkeypatch):
    monkeypatch.setattr(outbox, "_enqueue_delivery", lambda email_id, delay=None: None)
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        shared = enqueue_then_roll_back(PDF)
        email = enqueue(
            key="committed",
            attachments=[{"filename": "facture.pdf", "mimetype": "application/pdf", "content": PDF}],
        )
    assert email.attachments[0]["path"] == shared

    with time_machine.travel("2026-03-10 03:17 +00:00", tick=False):
        assert outbox.outbox_attachments_sweep() == 0

    assert outbox.attachment_content(email.attachments[0]) == PDF


@pytest.mark.django_db(transaction=True)
def test_the_sweep_looks_a_week_back_and_files_of_older_days_are_left():
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        orphan = enqueue_then_roll_back(b"%PDF-1.7 ancien")

    with time_machine.travel("2026-03-20 03:17 +00:00", tick=False):
        assert outbox.outbox_attachments_sweep() == 0
    assert default_storage.exists(orphan)


def test_the_sweep_runs_daily_behind_its_lock():
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        orphan = enqueue_then_roll_back(b"%PDF-1.7 devis")

    with time_machine.travel("2026-03-05 03:17 +00:00", tick=False):
        assert outbox_attachments_sweep_tick.call_local() == 1
        assert outbox_attachments_sweep_tick.call_local() is None  # the day's run holds the lock
    assert not default_storage.exists(orphan)
