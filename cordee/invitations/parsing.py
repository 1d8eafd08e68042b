"""Reading the addresses an admin pastes: a typed list, an email's "To:" line or a spreadsheet column.

Entries are separated by commas, semicolons or new lines; words inside an entry by spaces or tabs.
"Jean Dupont <jean@example.fr>", '"Dupont, Jean" <jean@example.fr>' and a spreadsheet row
"Jean Dupont<TAB>jean@example.fr" all give jean@example.fr. A word that looks like an attempt at an
address ("jean.example.fr") is reported as invalid rather than taken for a name.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_EMAIL_LENGTH = 254

# A quoted name, a bracketed address, an entry separator, or a word.
_TOKENS = re.compile(r'"[^"]*"|<[^<>]*>|[,;\n\r]|[^\s,;<>"]+')
_DOMAIN_LIKE = re.compile(r"\.[^\W\d_]{2,}$")


@dataclass(frozen=True)
class ParsedAddress:
    email: str
    name: str = ""


@dataclass
class ParseResult:
    addresses: list[ParsedAddress] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    duplicates: int = 0

    @property
    def emails(self) -> list[str]:
        return [address.email for address in self.addresses]


def normalise_email(value: str) -> str:
    """The form every address is stored and compared in (accounts are stored in lower case too)."""
    return value.strip().lower()


def is_valid_email(value: str) -> bool:
    if not value or len(value) > MAX_EMAIL_LENGTH:
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _looks_like_address(word: str) -> bool:
    return "@" in word or bool(_DOMAIN_LIKE.search(word))


def parse_addresses(text: str) -> ParseResult:
    """Split pasted text into unique, valid addresses (in the order typed) and invalid entries."""
    result = ParseResult()
    seen: set[str] = set()
    name_words: list[str] = []

    def add(candidate: str) -> None:
        raw = candidate.strip()
        if raw.lower().startswith("mailto:"):
            raw = raw[len("mailto:") :]
        email = normalise_email(raw)
        name = " ".join(name_words).strip()
        name_words.clear()
        if not is_valid_email(email):
            result.invalid.append(candidate.strip() or "<>")
            return
        if email in seen:
            result.duplicates += 1
            return
        seen.add(email)
        result.addresses.append(ParsedAddress(email=email, name=name))

    def end_entry() -> None:
        # Words left without an address: a name alone, or a typo such as "jean dupont".
        if name_words:
            result.invalid.append(" ".join(name_words))
            name_words.clear()

    for match in _TOKENS.finditer(text or ""):
        token = match.group()
        if token in {",", ";", "\n", "\r"}:
            end_entry()
        elif token.startswith("<"):
            add(token[1:-1])
        elif token.startswith('"'):
            content = token[1:-1].strip()
            if _looks_like_address(content) and not re.search(r"\s", content):
                add(content)  # a quoted CSV cell: "jean@example.fr"
            elif content:
                name_words.append(content)
        elif _looks_like_address(token):
            add(token)
        else:
            name_words.append(token.strip("'"))
    end_entry()
    return result
