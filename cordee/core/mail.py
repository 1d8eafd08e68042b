"""The console email backend of a laptop: one line per email instead of the whole MIME message."""

import re
import sys
import threading

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

LINK = re.compile(r"https?://[^\s<>\"')]+")


def main_link(body: str) -> str:
    """The first link to the application itself in the body, else the first link, else nothing."""
    links = [link.rstrip(".,;:") for link in LINK.findall(body)]
    own = [link for link in links if link.startswith(settings.BASE_URL)]
    return (own or links or [""])[0]


def summary_line(message) -> str:
    link = main_link(message.body)
    parts = [", ".join(message.to), message.subject] + ([link] if link else [])
    return "✉ " + " · ".join(parts)


class ConsoleSummaryBackend(BaseEmailBackend):
    """Writes `✉ recipient · subject · main link` for each email to the standard output."""

    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream
        self._lock = threading.RLock()

    def send_messages(self, email_messages):
        if not email_messages:
            return 0
        stream = self.stream or sys.stdout
        with self._lock:
            for message in email_messages:
                stream.write(summary_line(message) + "\n")
            stream.flush()
        return len(email_messages)
