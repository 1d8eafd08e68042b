"""An admin finds the emails the outbox gave up on, from the settings, and sends one again."""

import re

import pytest
from django.core import mail

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory

from .conftest import PHONE, new_page

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def log_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", email)
    page.fill("[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))


def test_an_admin_sends_a_failed_email_again(live_server, browser, page, journey):
    admin = AdminMembershipFactory()
    collective = admin.collective
    for index, (to, error) in enumerate(
        [
            (
                "direction@client-exemple.fr",
                "SMTPRecipientsRefused: {'direction@client-exemple.fr': (550, b'5.1.1 User unknown')}",
            ),
            (
                "achats@autre-client.fr",
                "Delivery interrupted: the worker stopped before recording the result.",
            ),
        ]
    ):
        OutboundEmail.objects.create(
            collective=collective,
            idempotency_key=f"e2e:failed:{index}",
            to_email=to,
            from_email=collective.notification_sender(),
            subject=f"Point d'avancement — semaine {10 + index}",
            body_text="Bonjour,\n",
            state=OutboundEmail.State.FAILED,
            attempts=6,
            last_error=error,
        )

    log_in(page, live_server.url, admin.user.email)
    page.goto(f"{live_server.url}/collectives/{collective.slug}/settings/")
    page.get_by_role("link", name="E-mails qui n'ont pas pu être distribués").click()
    page.wait_for_url(re.compile(r"/settings/emails/$"))
    assert page.locator("h1").inner_text() == "E-mails non distribués"
    assert page.locator("tbody tr").count() == 2
    assert "Le processus d'envoi s'est arrêté avant d'enregistrer le résultat." in page.content()
    journey.snap(page, "failed-emails")

    phone = new_page(browser, PHONE)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(page.url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    journey.snap(phone, "failed-emails-phone")
    phone.context.close()

    page.get_by_role("button", name="Renvoyer direction@client-exemple.fr").click()
    page.wait_for_load_state()
    assert "L'e-mail à direction@client-exemple.fr est de nouveau en file d'envoi." in page.content()
    assert page.locator("tbody tr").count() == 1
    journey.snap(page, "after-retry")

    email = OutboundEmail.objects.get(to_email="direction@client-exemple.fr")
    assert (email.state, email.attempts) == (OutboundEmail.State.SENT, 1)
    assert [message.to for message in mail.outbox] == [["direction@client-exemple.fr"]]
