"""The files of imported messages (Zendesk comments' attachments): downloaded
after their batch of tickets is committed, never inside its transaction,
through the same SSRF-guarded client as the webhooks (webhooks.safehttp),
each capped at HELPDESK_ATTACHMENT_MAX_BYTES, and stored as inbound mail
stores its files (conversations.attachments.store_file: our storage key, the
type decided by the content).

A file that cannot be had is a line on the import's error list and the
import goes on; its message is stored all the same. Files are kept by their
id in the other system, so running the import again fetches only the files
the last run missed.
"""

import contextlib
import http.client
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from conversations.attachments import display_name, store_file
from conversations.models import Attachment, Message
from webhooks import safehttp

from .fields import AttachmentRecord, TicketRecord

log = logging.getLogger(__name__)
COLUMN = "attachments"


@dataclass
class _File:
    """What store_file reads from an inbound mail part."""

    filename: str
    data: bytes
    content_id: str = ""


def _reason(error: Exception) -> str:
    if isinstance(error, safehttp.Refused):
        return {
            "private": _("its address points to a private network"),
            "unresolved": _("its host name could not be resolved"),
        }.get(error.code, _("its address is not a valid http or https address"))
    if isinstance(error, TimeoutError):
        return _("the download took too long")
    return _("no answer from the server")


def download(ref: AttachmentRecord) -> tuple[bytes | None, str]:
    """(the file's content, "") or (None, why not), in the admin's words."""
    limit = settings.HELPDESK_ATTACHMENT_MAX_BYTES
    name = display_name(ref.file_name)
    too_large = _("“%(name)s” is larger than %(limit)s and was not imported.") % {
        "name": name,
        "limit": filesizeformat(limit),
    }
    if ref.size is not None and ref.size > limit:
        return None, too_large
    try:
        answer = safehttp.fetch(ref.url, limit=limit)
    except safehttp.TooLarge:
        return None, too_large
    except (safehttp.Refused, OSError, http.client.HTTPException) as error:
        log.info("attachment %s not downloaded: %r", ref.external_id, error)
        return None, _("“%(name)s” could not be downloaded: %(reason)s.") % {
            "name": name,
            "reason": _reason(error),
        }
    if answer.status != 200:
        return None, _("“%(name)s” could not be downloaded: the server answered %(status)s.") % {
            "name": name,
            "status": answer.status,
        }
    return answer.body, ""


def attachments_import(
    records: list[TicketRecord], *, beat: Callable[[], None] = lambda: None
) -> list[tuple[int, str, str]]:
    """Download and store the files of the batch's messages that their stored
    message does not have yet; the errors as (line, column, message). `beat`
    is called before each download (the job's heartbeat)."""
    wanted = [
        (record, message.external_id, ref)
        for record in records
        for message in record.messages
        for ref in message.attachments
    ]
    if not wanted:
        return []
    messages = {
        (m.ticket.external_id, m.external_id): m
        for m in Message.objects.filter(
            ticket__external_id__in={r.external_id for r, _m, _a in wanted},
            external_id__in={m for _r, m, _a in wanted},
        ).select_related("ticket")
    }
    have = set(
        Attachment.objects.filter(message__in=list(messages.values()))
        .exclude(external_id="")
        .values_list("message_id", "external_id")
    )
    errors = []
    for record, message_id, ref in wanted:
        message = messages.get((record.external_id, message_id))
        if message is None or (message.pk, ref.external_id) in have:
            continue  # the ticket was not stored (its error is listed), or the file is
        beat()
        data, problem = download(ref)
        if data is None:
            errors.append((record.line, COLUMN, problem))
            continue
        with contextlib.suppress(IntegrityError):  # another run stored it meanwhile
            store_file(
                ticket=message.ticket,
                message=message,
                file=_File(filename=ref.file_name, data=data),
                external_id=ref.external_id,
            )
        have.add((message.pk, ref.external_id))
    return errors
