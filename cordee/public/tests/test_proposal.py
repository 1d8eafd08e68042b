import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.opportunities.models import Opportunity, OpportunityStageChange
from cordee.public.forms import HONEYPOT_FIELD

pytestmark = pytest.mark.django_db


def page_url(collective):
    return reverse("public:collective", args=[collective.slug])


def assert_nothing_created():
    assert Opportunity.objects.count() == 0
    assert OpportunityStageChange.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def assert_typed_values_kept(content, data):
    assert f'value="{data["contact_name"]}"' in content
    assert f'value="{data["contact_email"]}"' in content
    assert f'value="{data["company"]}"' in content
    assert f"{data['need']}</textarea>" in content
    assert f'<option value="{data["budget"]}" selected>' in content
    assert f'value="{data["desired_start"]}"' in content
    assert f'value="{data["deadline"]}"' in content


def test_the_form_is_on_the_page_with_a_honeypot(client, published, frozen_now):
    content = client.get(page_url(published)).content.decode()

    assert f'action="{page_url(published)}#proposer"' in content
    for name in ["contact_name", "contact_email", "company", "need", "budget", "desired_start", "deadline"]:
        assert f'name="{name}"' in content
    assert (
        f'<input type="text" class="honeypot" id="id_{HONEYPOT_FIELD}" name="{HONEYPOT_FIELD}" value="" '
        'tabindex="-1" autocomplete="off">'
    ) in content
    assert f'<label for="id_{HONEYPOT_FIELD}">Website</label>' in content
    # the date pickers start today, in the collective's time zone
    assert 'min="2026-03-02"' in content


def test_a_valid_proposal_creates_the_opportunity_and_emails_every_admin_in_their_language(
    client, published, admin_user, proposal_data, frozen_now, django_capture_on_commit_callbacks
):
    # Given two admins, one reading English and one French, and a plain member
    admin_user.language = "fr"
    admin_user.save()
    english_admin = AdminMembershipFactory(collective=published, user__language="en").user
    MembershipFactory(collective=published)

    # When a visitor sends a valid proposal
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page_url(published), proposal_data)

    # Then they are redirected to the thanks page
    assert response.status_code == 302
    assert response["Location"] == reverse("public:thanks", args=[published.slug])
    # and one opportunity is recorded, new, from the public page, in the visitor's language
    opportunity = Opportunity.objects.get()
    assert opportunity.collective == published
    assert opportunity.contact_name == "Paul Durand"
    assert opportunity.contact_email == "paul@durand-sa.fr"
    assert opportunity.company == "Durand SA"
    assert opportunity.need == proposal_data["need"]
    assert opportunity.budget == Opportunity.Budget.FROM_15K_TO_50K
    assert opportunity.desired_start == dt.date(2026, 4, 1)
    assert opportunity.deadline == dt.date(2026, 6, 30)
    assert opportunity.source == Opportunity.Source.PUBLIC_PAGE
    assert opportunity.stage == Opportunity.Stage.NEW
    assert opportunity.language == "en"
    assert opportunity.owner is None
    # with its first stage change
    change = OpportunityStageChange.objects.get()
    assert (change.opportunity, change.collective, change.from_stage, change.to_stage, change.changed_by) == (
        opportunity,
        published,
        "",
        Opportunity.Stage.NEW,
        None,
    )
    # and one email per admin (not to the plain member), each in the admin's language
    emails = {email.to_email: email for email in OutboundEmail.objects.all()}
    assert set(emails) == {admin_user.email, english_admin.email, "paul@durand-sa.fr"}
    english = emails[english_admin.email]
    assert english.idempotency_key == f"opportunity:{opportunity.pk}:admin:{english_admin.pk}"
    assert english.language == "en"
    assert english.subject == "New project proposal: Durand SA"
    assert english.reply_to == "paul@durand-sa.fr"
    assert english.from_email == published.notification_sender()
    assert english.collective == published
    link = f"{settings.BASE_URL}/collectives/{published.slug}/opportunities/{opportunity.pk}/"
    for body in (english.body_text, english.body_html):
        assert "Paul Durand" in body
        assert "paul@durand-sa.fr" in body
        assert "Durand SA" in body
        assert "Refonte de notre application mobile" in body
        assert "€15,000 to €50,000" in body
        assert "April 1, 2026" in body
        assert "June 30, 2026" in body
        assert link in body
    french = emails[admin_user.email]
    assert french.idempotency_key == f"opportunity:{opportunity.pk}:admin:{admin_user.pk}"
    assert french.language == "fr"
    assert french.reply_to == "paul@durand-sa.fr"
    assert "1 avril 2026" in french.body_text
    # delivered once the transaction committed, with the visitor as reply-to
    assert len(mail.outbox) == 3  # the two admins, and the acknowledgement to the visitor
    assert {message.to[0]: message.reply_to[0] for message in mail.outbox}[
        "paul@durand-sa.fr"
    ] == published.contact_email
    assert {message.reply_to[0] for message in mail.outbox if message.to[0] != "paul@durand-sa.fr"} == {
        "paul@durand-sa.fr"
    }


def test_the_thanks_page_says_what_happens_next(client, published):
    response = client.get(reverse("public:thanks", args=[published.slug]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Thank you, your project has been sent" in content
    assert "What happens next" in content
    assert 'href="mailto:bonjour@collectif.fr"' in content
    assert f'href="{page_url(published)}"' in content


def test_the_visitor_language_is_recorded(client, published, proposal_data, frozen_now):
    client.post(page_url(published), proposal_data, HTTP_ACCEPT_LANGUAGE="fr")

    assert Opportunity.objects.get().language == "fr"


def test_optional_fields_may_be_left_empty(client, published, admin_user, proposal_data, frozen_now):
    admin_user.language = "en"
    admin_user.save()
    data = {**proposal_data, "company": "", "budget": "unknown", "desired_start": "", "deadline": ""}

    response = client.post(page_url(published), data)

    assert response.status_code == 302
    opportunity = Opportunity.objects.get()
    assert (opportunity.company, opportunity.budget, opportunity.desired_start, opportunity.deadline) == (
        "",
        Opportunity.Budget.UNKNOWN,
        None,
        None,
    )
    email = OutboundEmail.objects.exclude(to_email="paul@durand-sa.fr").get()
    assert email.subject == "New project proposal: Paul Durand"
    assert "Company: —" in email.body_text
    assert "Desired start: not specified" in email.body_text


def test_a_filled_honeypot_is_silently_discarded(client, published, proposal_data, frozen_now):
    data = {**proposal_data, HONEYPOT_FIELD: "https://cheap-pills.example"}

    response = client.post(page_url(published), data, follow=True)

    assert response.redirect_chain == [(reverse("public:thanks", args=[published.slug]), 302)]
    assert "Thank you, your project has been sent" in response.content.decode()
    assert_nothing_created()
    assert mail.outbox == []


def test_the_sixth_proposal_in_the_hour_is_refused_then_accepted_after_the_window(
    client, published, proposal_data, frozen_now
):
    # Given five proposals sent from the same address within the hour
    for _index in range(5):
        assert client.post(page_url(published), proposal_data).status_code == 302
    assert Opportunity.objects.count() == 5
    emails_before = OutboundEmail.objects.count()

    # When a sixth one is posted
    frozen_now.shift(dt.timedelta(minutes=50))
    data = {**proposal_data, "contact_name": "Sixième essai"}
    response = client.post(page_url(published), data)

    # Then it is refused with a clear message, nothing is created, and the typed values are kept
    assert response.status_code == 429
    content = response.content.decode()
    assert "You have sent several proposals in a short time. Please try again in an hour" in content
    assert Opportunity.objects.count() == 5
    assert OpportunityStageChange.objects.count() == 5
    assert OutboundEmail.objects.count() == emails_before
    assert_typed_values_kept(content, data)

    # When the hour has passed, the same visitor can propose again
    frozen_now.shift(dt.timedelta(minutes=11))
    response = client.post(page_url(published), data)
    assert response.status_code == 302
    assert Opportunity.objects.count() == 6
    assert Opportunity.objects.filter(contact_name="Sixième essai").count() == 1


def test_invalid_posts_and_robots_do_not_use_up_the_quota(
    client, published, proposal_data, frozen_now, settings
):
    settings.PROPOSAL_RATE_LIMIT = 2
    for _index in range(5):
        client.post(page_url(published), {**proposal_data, "need": ""})
        client.post(page_url(published), {**proposal_data, HONEYPOT_FIELD: "spam"})

    for _index in range(2):
        assert client.post(page_url(published), proposal_data).status_code == 302
    assert client.post(page_url(published), proposal_data).status_code == 429
    assert Opportunity.objects.count() == 2


def test_the_rate_limit_is_per_address(client, published, proposal_data, frozen_now, settings):
    settings.PROPOSAL_RATE_LIMIT = 1
    assert client.post(page_url(published), proposal_data, REMOTE_ADDR="203.0.113.1").status_code == 302
    assert client.post(page_url(published), proposal_data, REMOTE_ADDR="203.0.113.1").status_code == 429

    assert client.post(page_url(published), proposal_data, REMOTE_ADDR="203.0.113.2").status_code == 302
    assert Opportunity.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"contact_email": "paul-at-durand"}, "contact_email", "Enter a valid email address."),
        ({"need": ""}, "need", "This field is required."),
        ({"contact_name": ""}, "contact_name", "This field is required."),
        ({"deadline": "2026-03-20"}, "deadline", "The deadline cannot be before the desired start."),
        ({"desired_start": "2026-03-01"}, "desired_start", "This date is already past."),
        ({"deadline": "2026-02-27", "desired_start": ""}, "deadline", "This date is already past."),
        ({"budget": "a lot"}, "budget", "Select a valid choice. a lot is not one of the available choices."),
    ],
)
def test_invalid_proposals_show_errors_and_keep_what_was_typed(
    client, published, proposal_data, frozen_now, changes, field, message
):
    data = {**proposal_data, **changes}

    response = client.post(page_url(published), data)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Please correct the fields marked below." in content
    assert f'<ul class="errorlist" id="id_{field}_errors"><li>{message}</li></ul>' in content
    assert_nothing_created()
    kept = {name: value for name, value in data.items() if name not in changes and name != "budget"}
    for name, value in kept.items():
        if name == "need":
            assert f"{value}</textarea>" in content
        else:
            assert f'value="{value}"' in content


def test_a_past_date_is_judged_in_the_collective_time_zone(client, published, proposal_data):
    # 23:30 in Paris on March 1st is already March 2nd in Auckland, where this collective works.
    published.time_zone = "Pacific/Auckland"
    published.save()
    data = {**proposal_data, "desired_start": "2026-03-01", "deadline": ""}
    with time_machine.travel(dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC), tick=False):
        response = client.post(page_url(published), data)

    assert response.status_code == 200
    assert "This date is already past." in response.content.decode()
    assert Opportunity.objects.count() == 0


def test_a_proposal_to_an_unpublished_collective_is_refused(client, collective, proposal_data, frozen_now):
    response = client.post(page_url(collective), proposal_data)

    assert response.status_code == 404
    assert_nothing_created()


def test_a_member_previewing_cannot_send_a_proposal_either(
    client, collective, admin_user, proposal_data, frozen_now
):
    client.force_login(admin_user)

    response = client.post(page_url(collective), proposal_data)

    assert response.status_code == 404
    assert_nothing_created()


def test_other_methods_are_not_allowed(client, published):
    assert client.put(page_url(published)).status_code == 405
