"""The email outbox: every outgoing email is rendered once, stored as a row, then delivered by the worker."""

import base64
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cordee.core.models import OutboundEmail

logger = logging.getLogger(__name__)


def render_email(template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Render `<template>_subject.txt`, `<template>_message.txt` and `<template>_message.html`.

    The names follow django-allauth's convention so that one renderer serves every email. An email
    without its own HTML template gets its text in the shared HTML layout.
    """
    with translation.override(language):
        context = {"base_url": settings.BASE_URL, "language": language, **context}
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}_message.txt", context).strip() + "\n"
        try:
            html = render_to_string(f"{template}_message.html", context)
        except TemplateDoesNotExist:
            html = render_to_string(
                "emails/text_as_html.html", {**context, "subject": subject, "paragraphs": text.split("\n\n")}
            )
    return subject, text, html


@dataclass(frozen=True)
class EmailRequest:
    """One email to store in the outbox; the arguments of `email_enqueue`, for `email_enqueue_many`."""

    key: str
    to: str
    template: str
    context: dict
    language: str | None = None
    sender: str | None = None
    reply_to: str = ""
    collective: object = None
    attachments: list[dict] = field(default_factory=list)


def _outbound_email(request: EmailRequest) -> OutboundEmail:
    language = request.language or settings.LANGUAGE_CODE
    subject, text, html = render_email(request.template, request.context, language)
    return OutboundEmail(
        idempotency_key=request.key,
        to_email=request.to,
        from_email=request.sender or settings.DEFAULT_FROM_EMAIL,
        reply_to=request.reply_to,
        subject=subject,
        body_text=text,
        body_html=html,
        language=language,
        collective=request.collective,
        attachments=request.attachments or [],
    )


def email_enqueue(
    *,
    key: str,
    to: str,
    template: str,
    context: dict,
    language: str | None = None,
    sender: str | None = None,
    reply_to: str = "",
    collective=None,
    attachments: list[dict] | None = None,
) -> OutboundEmail:
    """Store an email in the outbox and deliver it once the transaction commits.

    The key makes the call idempotent: a second call with the same key returns the first row
    and sends nothing more, whatever the retries, restarts or concurrent workers.
    """
    existing = OutboundEmail.objects.filter(idempotency_key=key).first()
    if existing:
        return existing
    request = EmailRequest(
        key=key,
        to=to,
        template=template,
        context=context,
        language=language,
        sender=sender,
        reply_to=reply_to,
        collective=collective,
        attachments=attachments or [],
    )
    try:
        with transaction.atomic():
            email = _outbound_email(request)
            email.save()
    except IntegrityError:
        return OutboundEmail.objects.get(idempotency_key=key)
    transaction.on_commit(lambda: _enqueue_delivery(email.pk))
    return email


def email_enqueue_many(requests: Iterable[EmailRequest]) -> int:
    """Store many emails at once (ticks): one query for the keys already there, one bulk insert.

    Keys already in the outbox, or repeated in `requests`, are skipped, so the call is idempotent like
    `email_enqueue`. Returns how many emails are waiting for their first delivery among those keys.
    """
    requests = list({request.key: request for request in requests}.values())
    if not requests:
        return 0
    existing = set(
        OutboundEmail.objects.filter(idempotency_key__in=[request.key for request in requests]).values_list(
            "idempotency_key", flat=True
        )
    )
    rows = [_outbound_email(request) for request in requests if request.key not in existing]
    with transaction.atomic():
        OutboundEmail.objects.bulk_create(rows, ignore_conflicts=True)
        keys = [row.idempotency_key for row in rows]
        created = OutboundEmail.objects.filter(
            idempotency_key__in=keys, state=OutboundEmail.State.PENDING, attempts=0
        ).values_list("pk", flat=True)
        ids = list(created)
    transaction.on_commit(lambda: [_enqueue_delivery(email_id) for email_id in ids])
    return len(ids)


def _enqueue_delivery(email_id: int, delay: int | None = None) -> None:
    from cordee.core.tasks import deliver_email

    if delay:
        deliver_email.schedule(args=(email_id,), delay=delay)
    else:
        deliver_email(email_id)


def retry_delay(attempts: int) -> int:
    """Seconds to wait before the next attempt: 30 s, 2 min, 8 min, 32 min..."""
    return 30 * 4 ** max(attempts - 1, 0)


def email_deliver(email_id: int) -> bool:
    """Send one outbox row if it is still due. Returns True when this call sent it."""
    claimed = OutboundEmail.objects.filter(pk=email_id, state=OutboundEmail.State.PENDING).update(
        state=OutboundEmail.State.SENDING, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return False
    email = OutboundEmail.objects.get(pk=email_id)
    try:
        _build_message(email).send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any transport failure is recorded and retried
        logger.warning("Email %s failed (attempt %s): %s", email.pk, email.attempts, error)
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            email.state = OutboundEmail.State.FAILED
            email.next_attempt_at = None
        else:
            delay = retry_delay(email.attempts)
            email.state = OutboundEmail.State.PENDING
            email.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            transaction.on_commit(lambda: _enqueue_delivery(email.pk, delay))
        email.save(update_fields=["state", "last_error", "next_attempt_at"])
        return False
    email.state = OutboundEmail.State.SENT
    email.sent_at = timezone.now()
    email.last_error = ""
    email.next_attempt_at = None
    email.save(update_fields=["state", "sent_at", "last_error", "next_attempt_at"])
    return True


def _build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=[email.to_email],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"X-Cordee-Key": email.idempotency_key},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments:
        message.attach(
            attachment["filename"],
            base64.b64decode(attachment["content_base64"]),
            _without_charset(attachment["mimetype"]),
        )
    return message


def _without_charset(mimetype: str) -> str:
    """Django adds the charset of text attachments itself; a second one would be a duplicate parameter."""
    return ";".join(part for part in mimetype.split(";") if not part.strip().lower().startswith("charset="))


def outbox_due_ids(now=None, stale_after=timedelta(minutes=2)) -> list[int]:
    """Pending emails whose delivery was never picked up (worker down) or whose retry is due."""
    now = now or timezone.now()
    rows = OutboundEmail.objects.filter(state=OutboundEmail.State.PENDING, created_at__lte=now - stale_after)
    return list(rows.filter(next_attempt_at__isnull=True).values_list("pk", flat=True)[:500]) + list(
        rows.filter(next_attempt_at__lte=now).values_list("pk", flat=True)[:500]
    )
