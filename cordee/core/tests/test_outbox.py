from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from cordee.core import outbox
from cordee.core.models import OutboundEmail

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
    import base64

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
    enqueue(key="bulk:1")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        added = outbox.email_enqueue_many(many(["bulk:1", "bulk:2", "bulk:3", "bulk:3"], language="en"))

    assert added == 2
    assert OutboundEmail.objects.filter(idempotency_key__startswith="bulk:").count() == 3
    assert sorted(message.to[0] for message in mail.outbox) == ["bulk-2@example.fr", "bulk-3@example.fr"]
    assert {message.subject for message in mail.outbox} == {"Hello Léa"}


def test_enqueue_many_costs_the_same_queries_for_5_and_50_emails(django_assert_num_queries):
    outbox.email_enqueue_many(many(["warm:1"]))
    for size in (5, 50):
        with django_assert_num_queries(5):
            outbox.email_enqueue_many(many([f"size{size}:{index}" for index in range(size)]))
    assert OutboundEmail.objects.count() == 56
