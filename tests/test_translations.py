"""French first: every string of the project has a French translation, with the same placeholders."""

import ast
import re
from pathlib import Path

import polib
from django.conf import settings
from django.utils.translation.template import templatize

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


def test_the_mission_lead_is_called_responsable_in_french():
    """The founding article names the client's single contact in French: no English "lead" in a translation."""
    english_word = re.compile(r"\b[Ll]eads?\b")
    leaking = [
        entry.msgid
        for entry in polib.pofile(str(CATALOGUE))
        if not entry.obsolete
        for translation in (entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr])
        if english_word.search(PLACEHOLDER.sub("", translation))
    ]
    assert leaking == []


GETTEXT_FUNCTIONS = {
    # name: (index of the context argument or None, index of the message argument)
    "_": (None, 0),
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "gettext_noop": (None, 0),
    "N_": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}
TEMPLATE_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\s*,?)+)")
STRING_LITERAL = re.compile(r"u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def messages_in_python(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name not in GETTEXT_FUNCTIONS:
            continue
        context_index, message_index = GETTEXT_FUNCTIONS[name]
        arguments = node.args
        if len(arguments) > message_index and isinstance(arguments[message_index], ast.Constant):
            context = arguments[context_index].value if context_index is not None else None
            yield context, arguments[message_index].value, f"{path}:{node.lineno}"


def messages_in_template(path: Path):
    for call in TEMPLATE_CALL.finditer(templatize(path.read_text(), origin=str(path))):
        literals = [ast.literal_eval(literal) for literal in STRING_LITERAL.findall(call.group(2))]
        context_index, message_index = GETTEXT_FUNCTIONS[call.group(1)]
        context = literals[context_index] if context_index is not None else None
        yield context, literals[message_index], str(path)


def test_every_string_marked_in_the_code_is_in_the_french_catalogue():
    """Catches strings added to the code after the last `make messages`."""
    catalogue = {
        (entry.msgctxt, entry.msgid): entry for entry in polib.pofile(str(CATALOGUE)) if not entry.obsolete
    }
    source = Path(settings.BASE_DIR) / "cordee"
    found = []
    for path in source.rglob("*.py"):
        if "tests" not in path.parts and "migrations" not in path.parts:
            found.extend(messages_in_python(path))
    for path in source.rglob("*.html"):
        found.extend(messages_in_template(path))
    for path in source.rglob("*.txt"):
        found.extend(messages_in_template(path))
    assert len(found) > 1000
    missing = sorted(
        {
            f"{where}: {message!r}"
            for context, message, where in found
            if message and (context, message) not in catalogue
        }
    )
    assert missing == []


def _eager_calls(node, names: set[str]) -> list[int]:
    """Lines of calls to `names` outside any function body below `node`."""
    lines = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id in names:
            lines.append(child.lineno)
        lines.extend(_eager_calls(child, names))
    return lines


def eager_translations_at_import(source: Path) -> list[str]:
    """Calls of the non-lazy gettext family outside any function: evaluated once, at import, in whatever
    language was active then (a message would stay English for every French page after it)."""
    found = []
    for path in source.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text())
        eager = {
            alias.asname or alias.name
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
            for alias in node.names
            if alias.name in ("gettext", "ngettext", "pgettext", "npgettext")
        }
        found.extend(f"{path}:{line}" for line in _eager_calls(tree, eager))
    return found


def test_no_message_is_translated_at_import_time(tmp_path):
    assert eager_translations_at_import(Path(settings.BASE_DIR) / "cordee") == []
    sample = tmp_path / "cordee" / "sample.py"
    sample.parent.mkdir()
    sample.write_text(
        "from django.utils.translation import gettext as _\nDONE = _('Done.')\n\ndef ok():\n    return _('Fine')\n"
    )
    assert eager_translations_at_import(tmp_path / "cordee") == [f"{sample}:2"]
