import email
from email import policy

import pytest

from cordee.core import outbox

pytestmark = pytest.mark.django_db


def test_an_outbox_email_goes_through_a_real_smtp_server(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    row = outbox.email_enqueue(
        key="smtp:1",
        to="client@example.fr",
        template="core/emails/test",
        context={"name": "Léa"},
        language="fr",
        sender='"Feedback — Atelier" <feedback@atelier.example>',
        reply_to="feedback@atelier.example",
    )

    assert outbox.email_deliver(row.pk) is True

    assert len(smtp_server.handler.envelopes) == 1
    envelope = smtp_server.handler.envelopes[0]
    assert envelope.mail_from == "feedback@atelier.example"
    assert envelope.rcpt_tos == ["client@example.fr"]
    message = email.message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == "Bonjour Léa"
    assert message["Reply-To"] == "feedback@atelier.example"
    assert message["X-Cordee-Key"] == "smtp:1"
    assert message["From"].addresses[0].display_name == "Feedback — Atelier"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Ceci est un message de test de Cordée." in text
    assert "Ceci est un message de test de Cordée." in html
    row.refresh_from_db()
    assert row.state == "sent"
