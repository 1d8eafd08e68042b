"""French first: every string of the project has a French translation, with the same placeholders."""

import re
from pathlib import Path

import polib
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def project_entries():
    catalogue = polib.pofile(str(CATALOGUE))
    return [
        entry
        for entry in catalogue
        if not entry.obsolete and any(path.startswith("cordee/") for path, _ in entry.occurrences)
    ]


def test_the_catalogue_covers_the_project():
    assert len(project_entries()) > 300


def test_no_french_translation_is_empty_or_fuzzy():
    missing = [
        entry.msgid
        for entry in project_entries()
        if "fuzzy" in entry.flags
        or (entry.msgid_plural and not all(entry.msgstr_plural.values()))
        or (not entry.msgid_plural and not entry.msgstr)
    ]
    assert missing == []


def test_translations_keep_their_placeholders():
    broken = []
    for entry in project_entries():
        # A plural translation may use the placeholders of either source form (e.g. the count).
        expected = set(PLACEHOLDER.findall(entry.msgid)) | set(PLACEHOLDER.findall(entry.msgid_plural or ""))
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            if translation and set(PLACEHOLDER.findall(translation)) - expected:
                broken.append(entry.msgid)
    assert broken == []
