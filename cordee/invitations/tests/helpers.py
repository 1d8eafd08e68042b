import re

from cordee.core.models import OutboundEmail

_LINK = re.compile(r"https://app.cordee.test/invitations/([A-Za-z0-9_-]+)/")


def invitation_emails(to: str):
    return list(
        OutboundEmail.objects.filter(idempotency_key__startswith="invitation:", to_email=to).order_by("pk")
    )


def token_in(email: OutboundEmail) -> str:
    """The raw token of the link an invitation email carries."""
    tokens = set(_LINK.findall(email.body_text)) | set(_LINK.findall(email.body_html))
    assert len(tokens) == 1, tokens
    return tokens.pop()
