"""Background work of the client portal."""

from huey.contrib.djhuey import db_task

from cordee.portal import services


@db_task()
def portal_links_send(email: str) -> int:
    """The sign-in page's links, sent by the worker: the page answers as fast for an unknown address as
    for a known one, so that its timing tells nothing either."""
    return services.portal_access_request(email=email)
