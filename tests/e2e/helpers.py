import re

from cordee.core.models import OutboundEmail


def link_in_email(to: str, path_fragment: str) -> str:
    """The first link to `path_fragment` in the newest email sent to `to`."""
    email = OutboundEmail.objects.filter(to_email=to).order_by("-pk").first()
    assert email is not None, f"no email to {to}"
    match = re.search(rf"https?://\S*{re.escape(path_fragment)}\S*", email.body_text)
    assert match, f"no {path_fragment} link in: {email.body_text}"
    return match.group(0).rstrip(".,)")


def on_live_server(url: str, live_server_url: str) -> str:
    """Emails carry BASE_URL; the test server listens elsewhere."""
    return re.sub(r"^https?://[^/]+", live_server_url, url)
