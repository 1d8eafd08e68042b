import io
import subprocess
import sys

import pytest
from django.core.mail import EmailMultiAlternatives

from cordee.core.mail import ConsoleSummaryBackend, main_link
from cordee.core.management.commands.serve import wait_for_outbox
from cordee.core.models import OutboundEmail


def test_each_email_is_one_line_with_recipient_subject_and_main_link(settings):
    settings.BASE_URL = "http://127.0.0.1:8000"
    stream = io.StringIO()
    message = EmailMultiAlternatives(
        subject="Invitation à rejoindre Atelier",
        body="Bonjour,\n\nVoir https://example.org/aide puis http://127.0.0.1:8000/invitations/abc/.\n",
        to=["hugo@example.fr"],
    )
    message.attach_alternative("<html><body>" + "<p>long</p>\n" * 200 + "</body></html>", "text/html")

    sent = ConsoleSummaryBackend(stream=stream).send_messages([message, message])

    assert sent == 2
    line = "✉ hugo@example.fr · Invitation à rejoindre Atelier · http://127.0.0.1:8000/invitations/abc/\n"
    assert stream.getvalue() == line * 2


def test_an_email_without_a_link_prints_recipient_and_subject_only():
    stream = io.StringIO()
    message = EmailMultiAlternatives(subject="Merci", body="Merci de votre message.", to=["a@example.fr"])

    ConsoleSummaryBackend(stream=stream).send_messages([message])

    assert stream.getvalue() == "✉ a@example.fr · Merci\n"


def test_the_main_link_falls_back_to_the_first_foreign_link(settings):
    settings.BASE_URL = "http://127.0.0.1:8000"
    assert main_link("see https://example.org/a, or https://example.org/b") == "https://example.org/a"
    assert main_link("nothing here") == ""


def test_the_console_is_the_default_backend_without_email_settings():
    environment = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "cordee.settings", "DEBUG": "1"}
    command = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    output = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + command],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    ).stdout
    assert output.strip() == "cordee.core.mail.ConsoleSummaryBackend"


@pytest.mark.django_db
def test_the_banner_waits_for_the_outbox_then_goes_on_when_it_is_empty():
    class Running:
        def poll(self):
            return None

    OutboundEmail.objects.create(
        idempotency_key="k", to_email="a@example.fr", from_email="x", subject="s", body_text="b"
    )
    waits = []

    def deliver_after_two_polls():
        waits.append(1)
        if len(waits) == 2:
            OutboundEmail.objects.update(state=OutboundEmail.State.SENT)

    class CountingProcess(Running):
        def poll(self):
            deliver_after_two_polls()
            return None

    wait_for_outbox([CountingProcess()], timeout=5, poll=0.01)

    assert len(waits) == 2
    assert not OutboundEmail.objects.filter(state=OutboundEmail.State.PENDING).exists()


@pytest.mark.django_db
def test_the_banner_does_not_wait_for_a_worker_that_stopped():
    class Stopped:
        def poll(self):
            return 1

    OutboundEmail.objects.create(
        idempotency_key="k", to_email="a@example.fr", from_email="x", subject="s", body_text="b"
    )

    wait_for_outbox([Stopped()], timeout=5, poll=0.01)

    assert OutboundEmail.objects.get().state == OutboundEmail.State.PENDING
