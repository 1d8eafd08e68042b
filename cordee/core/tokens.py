"""Random tokens for links sent by email: 256 bits, only their SHA-256 is stored."""

import hashlib
import secrets


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_new() -> tuple[str, str]:
    """Return (raw token to put in the link, hash to store)."""
    raw = secrets.token_urlsafe(32)
    return raw, token_hash(raw)
