"""Uploading and serving attachments (RELIABILITY H)."""

import datetime
import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from tickets.models import Ticket
from tickets.signals import tickets_purging

from .models import Attachment

SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]


def sniff_type(head: bytes) -> str:
    """The type from the first bytes: a safe raster image, or a plain download.
    The sender's declared type is never trusted (an "image" may be HTML)."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


def display_name(name: str) -> str:
    """A file name safe to show and to put in a header: no path, no control or
    bidi characters, no leading dots, at most 150 characters."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C"
    )
    name = name.strip().lstrip(".").strip() or "file"
    stem, dot, extension = name.rpartition(".")
    if dot and len(extension) <= 10:
        return f"{stem[: 150 - len(extension) - 1]}.{extension}"
    return name[:150]


def human_size(size: int) -> str:
    """A size as people write it, in the active language: "25 MB", "1.5 MB"
    ("1,5 MB" in German), "512 KB"; binary units, as the limits are set."""
    units = ((2**30, _("%(size)s GB")), (2**20, _("%(size)s MB")), (2**10, _("%(size)s KB")))
    for unit, label in units:
        if size >= unit:
            value = round(size / unit, 1)
            places = 0 if value == int(value) else 1
            return label % {"size": number_format(value, decimal_pos=places)}
    return ngettext("%(size)d byte", "%(size)d bytes", size) % {"size": size}


def too_large_message(name: str) -> str:
    """Why a file is refused, in the active language: the same sentence from
    the server and, before uploading, from the composer (issue 19)."""
    return _("“%(name)s” is larger than %(limit)s.") % {
        "name": name,
        "limit": human_size(settings.HELPDESK_ATTACHMENT_MAX_BYTES),
    }


def attachment_upload(*, user: User, ticket: Ticket, upload) -> Attachment:
    """Store one uploaded file for the message being written. Refuses files over
    the per-file limit and uploads that would push the message over its total."""
    limit = settings.HELPDESK_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(too_large_message(display_name(upload.name)))
    pending = Attachment.objects.filter(uploaded_by=user, ticket=ticket, message__isnull=True)
    total = (pending.aggregate(total=Sum("size"))["total"] or 0) + upload.size
    if total > settings.HELPDESK_MESSAGE_MAX_BYTES:
        raise ValidationError(
            _("Attachments of one message can add up to %(limit)s."),
            params={"limit": human_size(settings.HELPDESK_MESSAGE_MAX_BYTES)},
        )
    head = upload.read(16)
    upload.seek(0)
    return Attachment.objects.create(
        ticket=ticket,
        uploaded_by=user,
        file=upload,
        filename=display_name(upload.name),
        content_type=sniff_type(head),
        size=upload.size,
    )


def claim_uploads(*, user: User, ticket: Ticket, ids) -> list[Attachment]:
    """The user's own pending uploads on this ticket among `ids`."""
    ids = [int(i) for i in ids if str(i).isdigit()]
    return list(
        Attachment.objects.filter(pk__in=ids, uploaded_by=user, ticket=ticket, message__isnull=True)
    )


def uploads_purge_abandoned() -> int:
    """Delete files uploaded in an editor that were never sent, once they are
    older than HELPDESK_UPLOAD_KEEP_HOURS (a draft keeps its uploads until then).
    The stored file goes first: a crash in between leaves a row without a file,
    which the next run removes, never a file without a row."""
    cutoff = timezone.now() - datetime.timedelta(hours=settings.HELPDESK_UPLOAD_KEEP_HOURS)
    removed = 0
    abandoned = Attachment.objects.filter(message__isnull=True, created_at__lt=cutoff)
    for attachment in abandoned.only("pk", "file")[:1000]:
        attachment.file.delete(save=False)
        removed += Attachment.objects.filter(pk=attachment.pk, message__isnull=True).delete()[0]
    return removed


def store_file(*, ticket: Ticket, message, file, external_id: str = "") -> Attachment:
    """An inbound (or imported) message's file, stored under a key of ours;
    its type is decided by its content, never by the sender (RELIABILITY 49,
    50). `external_id`: the file's id in the system it was imported from,
    once per message (IntegrityError, and nothing left in the storage, for a
    second one)."""
    attachment = Attachment(
        ticket=ticket,
        message=message,
        filename=display_name(file.filename),
        content_id=(file.content_id or "")[:255],
        content_type=sniff_type(file.data[:16]),
        size=len(file.data),
        external_id=external_id,
    )
    attachment.file.save("inbound", ContentFile(file.data), save=False)
    try:
        with transaction.atomic():
            attachment.save()
    except IntegrityError:
        attachment.file.delete(save=False)
        raise
    return attachment


@receiver(tickets_purging, dispatch_uid="conversations.attachments.purge")
def on_tickets_purging(sender, ticket_ids, **kwargs) -> None:
    """Deleted tickets leave for good: their stored files go before their rows."""
    for attachment in Attachment.objects.filter(ticket__in=ticket_ids).only("pk", "file"):
        attachment.file.delete(save=False)
