"""Bad input gets a clear message and changes nothing: the cases that were server errors, dates at the ends of
the calendar, uploads that are bombs, formulas in CSV exports, and a sweep of the main forms' pages with
100,000 characters and NUL bytes in every field. Runs on SQLite and on PostgreSQL (CI's second pass)."""

import csv
import io
import re
from datetime import date, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from cordee.accounts.models import User
from cordee.clients.models import Client
from cordee.collectives.models import Collective, Reference
from cordee.communication.models import Recap
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.core.tests.test_uploads import bomb_png
from cordee.core.validators import DATE_MAX, DATE_MIN
from cordee.feedback.models import Survey, SurveyResponse
from cordee.missions.models import Deliverable, Mission, Task
from cordee.missions.services.calendar_feed import calendar_feed_create
from cordee.missions.tests.factories import (
    ClientContactFactory,
    DeliverableFactory,
    MissionFactory,
    TaskFactory,
)
from cordee.opportunities.models import Opportunity
from cordee.timesheets.models import TimeEntry

pytestmark = pytest.mark.django_db

LONG = "x" * 100_000
NUL = "abc\x00def"
TODAY = date(2026, 3, 4)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 3, 4, 10, 0), tick=False):
        yield


@pytest.fixture
def admin():
    return AdminMembershipFactory(collective__is_published=True)


@pytest.fixture
def collective(admin):
    return admin.collective


@pytest.fixture
def user(admin):
    return admin.user


@pytest.fixture
def mission(collective, user):
    return MissionFactory(collective=collective, lead=user, start_date=date(2026, 2, 2))


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def french_or_english(text: str) -> str:
    return escape(translation.gettext(text))


def date_range_message() -> str:
    return "Enter a date between Jan. 1, 2000 and Dec. 31, 2100."


# --- Requests that were server errors -------------------------------------------------------------


@pytest.mark.parametrize("week", ["0001-W01", "9999-W52", "2101-W01", "1999-W52"])
def test_a_week_at_the_ends_of_the_calendar_shows_the_current_week(signed_in, week):
    response = signed_in.get(f"/time/?week={week}")

    assert response.status_code == 200
    assert response.context["week_value"] == "2026-W10"


def test_the_feedback_export_of_a_mission_that_is_not_a_number_is_a_404(signed_in, collective):
    for value in ("abc", "1e3", "١٢", "99999999999999999999999"):
        response = signed_in.get(reverse("feedback:export", args=[collective.slug]) + f"?mission={value}")
        assert response.status_code == 404, value


def test_a_decompression_bomb_as_logo_is_refused_with_a_message(signed_in, collective):
    bomb = SimpleUploadedFile("logo.png", bomb_png(), content_type="image/png")
    data = {"tagline": "Nouvelle accroche", "description": "", "expertises": "", "website": "", "logo": bomb}

    response = signed_in.post(reverse("collectives:page_edit", args=[collective.slug]), data)

    assert response.status_code == 200
    assert "This image has too many pixels: the maximum is 40 million." in response.content.decode()
    assert 'value="Nouvelle accroche"' in response.content.decode()
    collective.refresh_from_db()
    assert (collective.logo.name, collective.tagline) == ("", "Design et développement web")


def test_a_decompression_bomb_as_photo_is_refused_with_a_message(signed_in, user):
    bomb = SimpleUploadedFile("moi.png", bomb_png(), content_type="image/png")
    data = {"full_name": "Claire Martin", "language": "en", "legal_form": "", "vat_regime": "", "photo": bomb}

    response = signed_in.post("/profile/", data)

    assert response.status_code == 200
    assert response.context["form"].errors["photo"] == [
        "This image has too many pixels: the maximum is 40 million. Use a smaller image."
    ]
    user.refresh_from_db()
    assert user.photo.name == ""


def test_a_task_due_at_the_end_of_the_calendar_does_not_break_the_assignees_feed(client, user, mission):
    TaskFactory(mission=mission, assignee=user, due_date=date(9999, 12, 31), title="Far away")
    TaskFactory(mission=mission, assignee=user, due_date=date(1, 1, 1), title="Long ago")
    DeliverableFactory(
        mission=mission, owner=user, internal_date=date(9999, 12, 30), announced_date=date(9999, 12, 31)
    )
    kept = TaskFactory(mission=mission, assignee=user, due_date=date(2026, 3, 20), title="Soon")
    raw, _replaced = calendar_feed_create(user=user)

    response = client.get(reverse("missions:member_feed", args=[raw]))

    assert response.status_code == 200
    uids = re.findall(r"^UID:(.+?)\r$", response.content.decode(), re.MULTILINE)
    assert uids == [f"task-{kept.pk}@cordee"]


def test_a_task_due_at_the_end_of_the_calendar_cannot_be_typed(signed_in, mission):
    url = reverse("missions:task_create", args=[mission.collective.slug, mission.pk])

    response = signed_in.post(url, {"title": "Plus tard", "due_date": "9999-12-31", "estimate_hours": "2"})

    assert response.status_code == 200
    assert response.context["form"].errors["due_date"] == [date_range_message()]
    assert Task.objects.count() == 0


def test_a_nul_byte_in_skills_is_refused_with_a_message(signed_in, user):
    response = signed_in.post(
        "/profile/",
        {
            "full_name": "Claire Martin",
            "language": "en",
            "legal_form": "",
            "vat_regime": "",
            "skills": "UX, Fig\x00ma",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors["skills"] == ["Null characters are not allowed."]
    user.refresh_from_db()
    assert user.skills == []


def test_a_nul_byte_in_expertises_is_refused_with_a_message(signed_in, collective):
    response = signed_in.post(
        reverse("collectives:page_edit", args=[collective.slug]),
        {"tagline": "Accroche", "description": "", "expertises": "Design, Dja\x00ngo", "website": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["expertises"] == ["Null characters are not allowed."]
    collective.refresh_from_db()
    assert (collective.tagline, collective.expertises) == ("Design et développement web", [])


# --- CSV exports ---------------------------------------------------------------------------------


def test_a_contact_name_that_is_a_formula_comes_out_of_the_export_defused(signed_in, collective, mission):
    contact = ClientContactFactory(
        client=mission.client, full_name='=HYPERLINK("http://evil.example","Cliquez")'
    )
    survey = Survey.objects.create(collective=collective, mission=mission, due_date=date(2026, 3, 1))
    SurveyResponse.objects.create(
        collective=collective,
        survey=survey,
        contact=contact,
        score=9,
        ranking="top25",
        comment="@SUM(1+1)",
        appreciated=["-Écoute"],
    )

    response = signed_in.get(reverse("feedback:export", args=[collective.slug]))

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:]), delimiter=";"))
    assert rows[1][2] == '\'=HYPERLINK("http://evil.example","Cliquez")'
    assert rows[1][6] == "'-Écoute"
    assert rows[1][12] == "'@SUM(1+1)"


def test_a_formula_sent_anonymously_through_the_proposal_form_is_stored_as_typed(client, collective):
    name = '=HYPERLINK("http://evil.example","x")'

    response = client.post(
        reverse("public:collective", args=[collective.slug]),
        {"contact_name": name, "contact_email": "a@b.fr", "need": "Un site", "budget": "unknown"},
    )

    assert response.status_code == 302
    assert Opportunity.objects.get().contact_name == name  # shown escaped in pages, defused in exports


# --- Dates people type ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_a_time_entry_outside_the_date_range_is_refused(signed_in, mission, typed):
    url = reverse("timesheets:mission", args=[mission.collective.slug, mission.pk])

    response = signed_in.post(
        url, {"date": typed, "duration": "2", "unit": "hours", "activity": "production", "note": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["date"] == [date_range_message()]
    assert TimeEntry.objects.count() == 0


def test_the_ends_of_the_date_range_are_accepted(signed_in, mission):
    url = reverse("missions:task_create", args=[mission.collective.slug, mission.pk])

    for typed in (DATE_MIN, DATE_MAX):
        signed_in.post(url, {"title": f"Le {typed}", "due_date": typed.isoformat(), "estimate_hours": "1"})

    assert sorted(Task.objects.values_list("due_date", flat=True)) == [DATE_MIN, DATE_MAX]


def test_date_pickers_state_the_range(signed_in, mission):
    response = signed_in.get(reverse("missions:task_create", args=[mission.collective.slug, mission.pk]))

    assert 'min="2000-01-01"' in response.content.decode()
    assert 'max="2100-12-31"' in response.content.decode()


def test_a_missions_start_cannot_move_after_its_first_deliverable(signed_in, mission):
    DeliverableFactory(mission=mission, internal_date=date(2026, 3, 16), announced_date=date(2026, 3, 20))
    DeliverableFactory(mission=mission, internal_date=date(2026, 4, 1), announced_date=date(2026, 4, 3))
    url = reverse("missions:edit", args=[mission.collective.slug, mission.pk])
    form = signed_in.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        title=mission.title,
        client=mission.client_id,
        start_date="2026-03-17",
        recap_weekdays=[str(day) for day in form.initial.get("recap_weekdays", [])],
    )

    response = signed_in.post(url, data)

    assert response.status_code == 200
    assert response.context["form"].errors["start_date"] == [
        "The start cannot be after the first deliverable's internal date (16 March)."
    ]
    mission.refresh_from_db()
    assert mission.start_date == date(2026, 2, 2)

    data["start_date"] = "2026-03-16"
    assert signed_in.post(url, data).status_code == 302
    mission.refresh_from_db()
    assert mission.start_date == date(2026, 3, 16)


# --- Length limits ------------------------------------------------------------------------------------


def test_the_recap_body_has_a_limit_stated_in_the_form(signed_in, mission):
    recap = Recap.objects.create(
        collective=mission.collective,
        mission=mission,
        subject="Point",
        body="Bonjour",
        period_start=timezone.now(),
    )
    url = reverse("communication:recap_edit", args=[mission.collective.slug, mission.pk, recap.pk])

    page = signed_in.get(url)
    refused = signed_in.post(url, {"subject": "Point", "body": "y" * 20_001, "action": "save"})

    assert "At most 20,000 characters." in page.content.decode()
    assert 'maxlength="20000"' in page.content.decode()
    assert refused.status_code == 200
    assert refused.context["form"].errors["body"] == [
        "Ensure this value has at most 20000 characters (it has 20001)."
    ]
    recap.refresh_from_db()
    assert recap.body == "Bonjour"


def test_every_free_text_field_of_the_models_has_a_limit():
    from django.apps import apps
    from django.db import models

    # Written by the application, never typed: email bodies and errors of the outbox, a recap's draft.
    written_by_the_application = {
        ("core", "outboundemail", "body_text"),
        ("core", "outboundemail", "body_html"),
        ("core", "outboundemail", "last_error"),
        ("communication", "recap", "drafted_body"),
    }
    unlimited = [
        (model._meta.app_label, model._meta.model_name, field.name)
        for model in apps.get_models()
        if model.__module__.startswith("cordee.")
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and field.max_length is None
    ]
    assert sorted(set(unlimited) - written_by_the_application) == []


# --- The main forms' pages, every field at once -----------------------------------------------------------------


def field_names(html: str) -> list[str]:
    names = re.findall(r'<(?:input|textarea|select)\b[^>]*\bname="([^"]+)"', html)
    return sorted({name for name in names if name not in {"csrfmiddlewaretoken", "next"}})


def rows_of(*models):
    return {
        model.__name__: sorted(model_to_dict(row).__repr__() for row in model.objects.all())
        for model in models
    }


PAGES = {
    "proposal": lambda w: reverse("public:collective", args=[w.collective.slug]),
    "opportunity": lambda w: reverse("opportunities:create", args=[w.collective.slug]),
    "client": lambda w: reverse("clients:create", args=[w.collective.slug]),
    "mission": lambda w: reverse("missions:create", args=[w.collective.slug]),
    "deliverable": lambda w: reverse("missions:deliverable_create", args=[w.collective.slug, w.mission.pk]),
    "task": lambda w: reverse("missions:task_create", args=[w.collective.slug, w.mission.pk]),
    "time": lambda w: reverse("timesheets:mission", args=[w.collective.slug, w.mission.pk]),
    "reference": lambda w: reverse("collectives:reference_create", args=[w.collective.slug]),
    "page": lambda w: reverse("collectives:page_edit", args=[w.collective.slug]),
    "settings": lambda w: reverse("collectives:settings", args=[w.collective.slug]),
    "profile": lambda w: "/profile/",
    "week": lambda w: "/time/",
}
WATCHED = (Opportunity, Client, Mission, Deliverable, Task, TimeEntry, Reference, Collective, User)


class World:
    def __init__(self, collective, mission):
        self.collective, self.mission = collective, mission


@pytest.mark.parametrize("bad_value", [LONG, NUL], ids=["100k-characters", "nul-byte"])
@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_posted_with_a_bad_value_in_every_field_answers_and_saves_nothing(
    signed_in, collective, mission, page, bad_value
):
    MembershipFactory(collective=collective)
    url = PAGES[page](World(collective, mission))
    names = field_names(signed_in.get(url).content.decode())
    assert names, f"no field found on {url}"
    before = rows_of(*WATCHED)

    response = signed_in.post(url, {name: bad_value for name in names})

    # A form shown again with its errors; the proposal form's trap for robots answers as if sent
    assert (response.status_code, page) in {(200, page), (302, "proposal")}
    assert rows_of(*WATCHED) == before


# --- Calendar files --------------------------------------------------------------------------------------


def test_feed_uids_do_not_depend_on_the_servers_address(client, settings, user, mission):
    task = TaskFactory(mission=mission, assignee=user, due_date=date(2026, 3, 20))
    raw, _replaced = calendar_feed_create(user=user)
    url = reverse("missions:member_feed", args=[raw])

    def uids():
        return re.findall(r"^UID:(.+?)\r$", client.get(url).content.decode(), re.MULTILINE)

    first = uids()
    settings.BASE_URL = "https://cordee.example.org"
    moved = uids()

    assert first == moved == [f"task-{task.pk}@cordee"]
