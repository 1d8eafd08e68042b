"""The email outbox: every outgoing email is rendered once, stored as a row, then delivered by the worker.

A row moves pending → sending → sent (or back to pending with a delay after a failure, and failed after
`OUTBOX_MAX_ATTEMPTS`). Taking a row to send it is one conditional `UPDATE … RETURNING` that stamps the
claim with its time and counts the attempt; a claim older than the lease (`OUTBOX_LEASE_SECONDS`) belongs
to a worker that died, and the tick takes the row back. Each email's Message-ID derives from its
idempotency key, so the one re-send that a crash inside SMTP can cause is the same message to the
receiving side. Attachments are files in the default storage named by their SHA-256, in a folder per day
of writing; the files of emails whose transaction rolled back are swept once their day is past the grace
(`outbox_attachments_sweep`).
"""

import base64
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from cordee.core import tasks
from cordee.core.models import OutboundEmail

logger = logging.getLogger(__name__)

ATTACHMENTS_DIRECTORY = "outbox"


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


# --- Attachments --------------------------------------------------------------------------------------


def attachment_store(attachment: dict) -> dict:
    """Write an attachment's content to the storage once per content; return its manifest.

    Accepts `{"filename", "mimetype", "content"}` (bytes) or `{"filename", "mimetype", "content_base64"}`;
    a manifest (it has a `sha256`) is returned as it is.
    """
    if "sha256" in attachment:
        return attachment
    content = (
        attachment["content"] if "content" in attachment else base64.b64decode(attachment["content_base64"])
    )
    digest = hashlib.sha256(content).hexdigest()
    # The file is written before the row, so that a crash after the commit loses nothing; the day's folder
    # lets the sweep find the files of rolled-back emails without reading every row.
    path = f"{_attachments_folder(timezone.now().astimezone(UTC).date())}/{digest}"
    if not default_storage.exists(path):
        # Two writers of the same content at once: the second one's file gets a suffix; both are valid.
        path = default_storage.save(path, ContentFile(content))
    return {
        "filename": attachment["filename"],
        "mimetype": attachment["mimetype"],
        "sha256": digest,
        "path": path,
        "size": len(content),
    }


def _attachments_folder(day: date) -> str:
    return f"{ATTACHMENTS_DIRECTORY}/{day.isoformat()}"


def outbox_attachments_sweep(now=None) -> int:
    """Delete the attachment files that no email refers to, written on a day past the grace: those of
    emails whose transaction rolled back. Returns how many files were deleted.

    A file is reused only by emails of its own day (the folder is the day's), so once that day is more
    than `OUTBOX_ATTACHMENT_GRACE_DAYS` behind no transaction can still be about to refer to it. Each run
    looks at the `OUTBOX_ATTACHMENT_SWEEP_DAYS` days before that (one listing and one query per day).
    """
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    last_day = today - timedelta(days=settings.OUTBOX_ATTACHMENT_GRACE_DAYS + 1)
    deleted = 0
    for offset in range(settings.OUTBOX_ATTACHMENT_SWEEP_DAYS):
        day = last_day - timedelta(days=offset)
        folder = _attachments_folder(day)
        try:
            _folders, names = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        if not names:
            continue
        # Emails refer to a file of `day` only if they were stored that day (or just after midnight).
        start = datetime.combine(day, time.min, tzinfo=UTC)
        referenced = {
            attachment.get("path")
            for attachments in OutboundEmail.objects.filter(
                created_at__gte=start, created_at__lt=start + timedelta(days=2), attachments__icontains=folder
            ).values_list("attachments", flat=True)
            for attachment in attachments
        }
        for name in names:
            path = f"{folder}/{name}"
            if path not in referenced:
                default_storage.delete(path)
                deleted += 1
    if deleted:
        logger.info("Deleted %s attachment files of emails that were never stored.", deleted)
    return deleted


def attachment_content(manifest: dict) -> bytes:
    """The bytes of a stored attachment, checked against the SHA-256 recorded with the email."""
    with default_storage.open(manifest["path"], "rb") as file:
        content = file.read()
    if hashlib.sha256(content).hexdigest() != manifest["sha256"]:
        raise ValueError(f"Attachment {manifest['path']} does not match its SHA-256.")
    return content


# --- Enqueue ------------------------------------------------------------------------------------------


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
    rows, _ = _enqueue([request])
    return rows[0]


def email_enqueue_many(requests: Iterable[EmailRequest]) -> int:
    """Store many emails at once (ticks): one query for the keys already there, one bulk insert.

    Keys already in the outbox, or repeated in `requests`, are skipped (neither rendered nor sent
    again), so the call is idempotent like `email_enqueue`. Returns how many emails were added.
    """
    _, added = _enqueue(requests)
    return added


def _enqueue(requests: Iterable[EmailRequest]) -> tuple[list[OutboundEmail], int]:
    """The rows of `requests` in their order (the existing row of a known key, else a new row), and
    how many rows were added.

    One query finds the known keys; the new emails are rendered and written with one `bulk_create`
    (per batch of the database's parameter limit), and their deliveries are queued once the
    transaction commits. A key written concurrently by another process between the two queries is
    not an error: the insert leaves that row as it is.
    """
    requests = list(requests)
    keys = [request.key for request in requests]
    existing = OutboundEmail.objects.in_bulk(keys, field_name="idempotency_key") if keys else {}
    new_rows: dict[str, OutboundEmail] = {}
    for request in requests:
        if request.key not in existing and request.key not in new_rows:
            new_rows[request.key] = _outbound_email(request)
    if new_rows:
        OutboundEmail.objects.bulk_create(
            new_rows.values(),
            update_conflicts=True,
            unique_fields=["idempotency_key"],
            update_fields=["idempotency_key"],
        )
        email_ids = [row.pk for row in new_rows.values()]
        transaction.on_commit(lambda: _enqueue_deliveries(email_ids))
    return [existing.get(key) or new_rows[key] for key in keys], len(new_rows)


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
        attachments=[attachment_store(attachment) for attachment in request.attachments or []],
    )


def _enqueue_deliveries(email_ids: list[int]) -> None:
    for email_id in email_ids:
        _enqueue_delivery(email_id)


def _enqueue_delivery(email_id: int, delay: int | None = None) -> None:
    if delay:
        tasks.deliver_email.schedule(args=(email_id,), delay=delay)
    else:
        tasks.deliver_email(email_id)


# --- Deliver ------------------------------------------------------------------------------------------


def outbox_lease() -> timedelta:
    """How long a hand-off (a queued delivery or a claim) is trusted before the tick takes the row over."""
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def retry_delay(attempts: int) -> int:
    """Seconds to wait before the next attempt: 30 s, 2 min, 8 min, 32 min..."""
    return 30 * 4 ** max(attempts - 1, 0)


def message_id_for(key: str, from_email: str) -> str:
    """The Message-ID of the email with this key: the same for every attempt, in the sender's domain."""
    domain = parseaddr(from_email)[1].rpartition("@")[2].lower() or settings.EMAIL_SENDER_DOMAIN
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def _claim(email_id: int, now) -> OutboundEmail | None:
    """Take one row for sending, in one statement: pending, or sending under a lapsed lease."""
    table = connection.ops.quote_name(OutboundEmail._meta.db_table)
    State = OutboundEmail.State
    rows = list(
        OutboundEmail.objects.raw(
            f"UPDATE {table} SET state = %s, attempts = attempts + 1, claimed_at = %s "  # noqa: S608 - names only
            "WHERE id = %s AND (state = %s OR (state = %s AND claimed_at <= %s AND attempts < %s)) "
            "RETURNING *",
            [
                State.SENDING,
                now,
                email_id,
                State.PENDING,
                State.SENDING,
                now - outbox_lease(),
                settings.OUTBOX_MAX_ATTEMPTS,
            ],
        )
    )
    return rows[0] if rows else None


def email_deliver(email_id: int) -> bool:
    """Send one outbox row if it is still due. Returns True when this call sent it.

    Two queries: the claim, then the result. The result is recorded only while the claim is this
    call's own (the attempt number is its token), so a worker that outlived its lease cannot turn an
    email another worker has sent into a failure.
    """
    email = _claim(email_id, timezone.now())
    if email is None:
        return False
    State = OutboundEmail.State
    mine = OutboundEmail.objects.filter(pk=email.pk, state=State.SENDING, attempts=email.attempts)
    try:
        _build_message(email).send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any transport failure is recorded and retried
        logger.warning("Email %s failed (attempt %s): %s", email.pk, email.attempts, error)
        last_error = f"{type(error).__name__}: {error}"[:2000]
        if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            mine.update(state=State.FAILED, last_error=last_error, next_attempt_at=None)
        else:
            delay = retry_delay(email.attempts)
            if mine.update(
                state=State.PENDING,
                last_error=last_error,
                next_attempt_at=timezone.now() + timedelta(seconds=delay),
            ):
                transaction.on_commit(lambda: _enqueue_delivery(email.pk, delay))
        return False
    # Sent is a fact whoever holds the claim now.
    OutboundEmail.objects.filter(pk=email.pk).update(
        state=State.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
    )
    return True


def _build_message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=email.from_email,
        to=[email.to_email],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={
            "Message-ID": message_id_for(email.idempotency_key, email.from_email),
            "X-Cordee-Key": email.idempotency_key,
        },
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments:
        message.attach(
            attachment["filename"], attachment_content(attachment), _without_charset(attachment["mimetype"])
        )
    return message


def _without_charset(mimetype: str) -> str:
    """Django adds the charset of text attachments itself; a second one would be a duplicate parameter."""
    return ";".join(part for part in mimetype.split(";") if not part.strip().lower().startswith("charset="))


# --- The tick -----------------------------------------------------------------------------------------


def outbox_due_ids(now=None, limit: int = 500) -> list[int]:
    """Rows the tick must deliver: a delivery never picked up (queue lost or worker down) after the
    lease, a retry whose time has come, and a claim whose lease lapsed (its worker died)."""
    now = now or timezone.now()
    State = OutboundEmail.State
    cutoff = now - outbox_lease()
    due = OutboundEmail.objects.filter(
        Q(state=State.PENDING, next_attempt_at__isnull=True, created_at__lte=cutoff)
        | Q(state=State.PENDING, next_attempt_at__lte=now)
        | Q(state=State.SENDING, claimed_at__lte=cutoff, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS)
    )
    return list(due.order_by("pk").values_list("pk", flat=True)[:limit])


def outbox_leases_exhausted_fail(now=None) -> int:
    """A lapsed claim on the last allowed attempt: the email is failed, for the admins to retry."""
    now = now or timezone.now()
    return OutboundEmail.objects.filter(
        state=OutboundEmail.State.SENDING,
        claimed_at__lte=now - outbox_lease(),
        attempts__gte=settings.OUTBOX_MAX_ATTEMPTS,
    ).update(
        state=OutboundEmail.State.FAILED, last_error=OutboundEmail.LEASE_LAPSED_ERROR, next_attempt_at=None
    )


def outbox_recover(now=None) -> int:
    """The tick's work: fail the exhausted lapsed claims, then deliver every due row (each claimed alone,
    so a tick killed midway leaves at most one row waiting for its lease). Returns the rows tried."""
    outbox_leases_exhausted_fail(now)
    ids = outbox_due_ids(now)
    for email_id in ids:
        email_deliver(email_id)
    return len(ids)


# --- Failed emails, for the collective's admins -------------------------------------------------------


def failed_emails(collective_id: int):
    return OutboundEmail.objects.filter(collective_id=collective_id, state=OutboundEmail.State.FAILED).only(
        "pk", "to_email", "subject", "attempts", "last_error", "created_at", "state", "collective_id"
    )


def failed_email_retry(email: OutboundEmail) -> bool:
    """Put a failed email back in the queue with a fresh count of attempts. False if it is not failed."""
    State = OutboundEmail.State
    retried = OutboundEmail.objects.filter(pk=email.pk, state=State.FAILED).update(
        state=State.PENDING, attempts=0, next_attempt_at=None, claimed_at=None
    )
    if retried:
        transaction.on_commit(lambda: _enqueue_delivery(email.pk))
    return bool(retried)
