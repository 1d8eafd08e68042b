"""No French sentence on an English page: the main pages of the demo, read in English, contain no French
sentence of the catalogue (sentences the application writes, stored ones included)."""

import re
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from cordee.accounts.models import User
from cordee.collectives.models import Collective
from cordee.missions.models import Deliverable, Mission

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")

pytestmark = pytest.mark.django_db


def french_fragments() -> set[str]:
    """The pieces of the French translations between placeholders, long enough to be a sentence."""
    fragments = set()
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.obsolete:
            continue
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        english = {entry.msgid, entry.msgid_plural}
        for french in translations:
            if not french or french in english:
                continue
            for piece in PLACEHOLDER.split(french.replace("\xa0", " ")):
                piece = piece.strip(" «»“”:;,.()!?-—\n")
                if len(piece) >= 14 and piece.count(" ") >= 2:
                    fragments.add(piece)
    return fragments


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "title"}:
            self.hidden += 1
        for name, value in attrs:
            if name in {"aria-label", "title", "alt", "placeholder"} and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in {"script", "style", "title"}:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).replace("\xa0", " ").split())


def french_on(text: str, fragments: set[str], user_content: str) -> list[str]:
    # The demo's own content (titles, descriptions, recaps) is French, typed by its members: a fragment
    # that happens to be in it is not a sentence of the application.
    return sorted(fragment for fragment in fragments if fragment in text and fragment not in user_content)


@pytest.fixture
def demo(client):
    # As `make run` does: a command runs in the site's language, French.
    with translation.override(settings.LANGUAGE_CODE):
        call_command("seed_demo", stdout=StringIO())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(User.objects.get(email=settings.DEMO_EMAIL))
    return client


def main_pages():
    collective = Collective.objects.get(slug=settings.DEMO_SLUG)
    mission = Mission.objects.filter(collective=collective, status=Mission.Status.ACTIVE).first()
    deliverable = Deliverable.objects.filter(mission=mission).first()
    slug, on_mission = collective.slug, {"slug": collective.slug, "mission_pk": mission.pk}
    return [
        reverse("collectives:home"),
        reverse("collectives:dashboard", args=[slug]),
        reverse("missions:my_work"),
        reverse("missions:list", args=[slug]),
        reverse("missions:detail", kwargs=on_mission),
        reverse("missions:history", kwargs=on_mission),
        reverse("missions:deliverables", kwargs=on_mission),
        reverse("missions:deliverable_detail", kwargs={**on_mission, "deliverable_pk": deliverable.pk}),
        reverse("missions:board", kwargs=on_mission),
        reverse("missions:inbox", kwargs=on_mission),
        reverse("timesheets:week"),
        reverse("timesheets:mission", kwargs=on_mission),
        reverse("communication:mission", kwargs=on_mission),
        reverse("feedback:mission", kwargs=on_mission),
        reverse("feedback:collective", args=[slug]),
        reverse("opportunities:pipeline", args=[slug]),
        reverse("clients:list", args=[slug]),
        reverse("collectives:members", args=[slug]),
        reverse("communication:events", args=[slug]),
        reverse("collectives:page_edit", args=[slug]),
        reverse("public:collective", args=[slug]),
    ]


def user_content() -> str:
    """Everything the demo's members typed, as one text."""
    from cordee.communication.models import Recap
    from cordee.missions.models import ClientRequest, Task

    texts = []
    for model, fields in [
        (Collective, ["name", "tagline", "description", "expertises"]),
        (Mission, ["title", "description"]),
        (Deliverable, ["title", "description"]),
        (Task, ["title", "description"]),
        (ClientRequest, ["title", "body"]),
        (Recap, ["subject", "body"]),
    ]:
        present = [f for f in fields if any(field.name == f for field in model._meta.get_fields())]
        for row in model.objects.values_list(*present):
            texts.extend(str(value) for value in row)
    return " ".join(" ".join(texts).replace("\xa0", " ").split())


def test_the_main_pages_in_english_show_no_french_sentence(demo):
    fragments = french_fragments()
    assert len(fragments) > 1000
    typed = user_content()
    found = {}
    for url in main_pages():
        response = demo.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "en", url
        french = french_on(visible_text(response.content.decode()), fragments, typed)
        if french:
            found[url] = french
    assert found == {}


def test_the_check_catches_a_french_sentence_on_an_english_page():
    fragments = french_fragments()
    text = visible_text("<p>Due 2 April.</p><p>« Maquettes » livré dans les délais</p>")
    assert french_on(text, fragments, user_content="") == ["livré dans les délais"]
