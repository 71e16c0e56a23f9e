"""Writes of the library (S18): documents uploaded once, quotes on deals, and
what customers do with the links (open a document, accept a quote), which the
ticket's timeline records."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Team, User
from conversations.attachments import display_name, sniff_type
from conversations.models import Notification
from conversations.notifications import notify
from crm.models import Deal
from tickets.access import users_who_see
from tickets.models import Ticket, TicketEvent

from .models import Document, DocumentOpen, Quote, QuoteLine, Video


class QuoteExpired(Exception):
    """The quote's last day has passed: it can no longer be accepted."""


def _check_sharing(*, actor: User, sharing: str, teams: Iterable[Team]) -> list[Team]:
    """Agents share with their own teams; super admins with any team."""
    chosen: list[Team] = list(teams or [])
    if sharing != Document.Sharing.TEAMS:
        return []
    if not chosen:
        raise ValidationError({"teams": _("Choose at least one team to share with.")})
    if not actor.is_super_admin and any(t.pk not in actor.team_ids for t in chosen):
        raise ValidationError({"teams": _("You can share only with teams you belong to.")})
    return chosen


def document_save(
    *,
    actor: User,
    document: Document | None = None,
    name: str,
    sharing: str,
    teams: Iterable[Team] = (),
    upload: File[bytes] | None = None,
) -> Document:
    """Create a document from an upload, or rename, reshare or replace the file
    of one. The file's name and type are decided by us (RELIABILITY item 49):
    the type is sniffed, never the uploader's claim."""
    teams = _check_sharing(actor=actor, sharing=sharing, teams=teams)
    if document is None and upload is None:
        raise ValidationError({"file": _("Choose a file to upload.")})
    if upload is not None and upload.size > settings.HELPDESK_DOCUMENT_MAX_BYTES:
        raise ValidationError(
            {
                "file": _("The file is larger than %(limit)d MB.")
                % {"limit": settings.HELPDESK_DOCUMENT_MAX_BYTES // 2**20}
            }
        )
    with transaction.atomic():
        document = document or Document(owner=actor)
        document.name = name.strip()
        document.sharing = sharing
        if upload is not None:
            head = upload.read(16)
            upload.seek(0)
            document.file = upload
            document.filename = display_name(upload.name or "")
            document.content_type = sniff_type(head)
            document.size = upload.size
        document.save()
        document.teams.set(teams)
    return document


def document_delete(*, actor: User, document: Document) -> None:
    """Delete the document and its file: every link to it stops working."""
    with transaction.atomic():
        file = document.file
        document.delete()
        transaction.on_commit(lambda: file.delete(save=False))


def document_opened(*, document: Document, ticket_id: int | None) -> None:
    """Count an open of the document's link from a ticket. The first open
    writes a timeline line ("the customer opened …"); later ones only count,
    so a customer who opens a guide daily does not flood the timeline."""
    if ticket_id is None:
        return
    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket.objects.filter(pk=ticket_id, deleted_at__isnull=True).first()
        if ticket is None:
            return
        updated = DocumentOpen.objects.filter(document=document, ticket=ticket).update(
            open_count=F("open_count") + 1, last_opened_at=now
        )
        if updated:
            return
        _row, created = DocumentOpen.objects.get_or_create(
            document=document,
            ticket=ticket,
            defaults={"first_opened_at": now, "last_opened_at": now, "open_count": 1},
        )
        if not created:  # another request made the row first
            DocumentOpen.objects.filter(document=document, ticket=ticket).update(
                open_count=F("open_count") + 1, last_opened_at=now
            )
            return
        TicketEvent.objects.create(
            ticket=ticket, kind=TicketEvent.Kind.OPENED, field="document", new_value=document.name
        )


# Videos the browser's own player plays: MP4 (an ISO box "ftyp" after the
# first four bytes) and WebM (EBML). Sniffed, never the uploader's claim.
def _video_type(head: bytes) -> str:
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return ""


def video_save(
    *,
    actor: User,
    video: Video | None = None,
    name: str,
    sharing: str,
    teams: Iterable[Team] = (),
    upload: File[bytes] | None = None,
    url: str = "",
) -> Video:
    """Create or change a video: an uploaded MP4 or WebM file, or an https
    address. Giving one replaces the other."""
    teams = _check_sharing(actor=actor, sharing=sharing, teams=teams)
    url = url.strip()
    if upload is not None and url:
        raise ValidationError({"url": _("Upload a file or give an address, not both.")})
    if url and not url.lower().startswith("https://"):
        raise ValidationError({"url": _("Give an address that starts with https://.")})
    if upload is None and not url and (video is None or not (video.file or video.url)):
        raise ValidationError({"file": _("Upload a video or give its address.")})
    content_type = ""
    if upload is not None:
        if upload.size > settings.HELPDESK_DOCUMENT_MAX_BYTES:
            raise ValidationError(
                {
                    "file": _("The file is larger than %(limit)d MB.")
                    % {"limit": settings.HELPDESK_DOCUMENT_MAX_BYTES // 2**20}
                }
            )
        head = upload.read(16)
        upload.seek(0)
        content_type = _video_type(head)
        if not content_type:
            raise ValidationError({"file": _("Upload an MP4 or WebM video.")})
    with transaction.atomic():
        video = video or Video(owner=actor)
        old_file = video.file.name if video.file and (upload is not None or url) else ""
        video.name = name.strip()
        video.sharing = sharing
        if upload is not None:
            video.file = upload
            video.filename = display_name(upload.name or "")
            video.content_type = content_type
            video.size = upload.size
            video.url = ""
        elif url:
            video.url = url
            video.file = ""
            video.filename, video.content_type, video.size = "", "", 0
        video.save()
        video.teams.set(teams)
        if old_file and old_file != video.file.name:
            storage = video.file.storage
            transaction.on_commit(lambda: storage.delete(old_file))
    return video


def video_delete(*, actor: User, video: Video) -> None:
    """Delete the video (and its file): its player page and links stop working."""
    with transaction.atomic():
        file = video.file
        video.delete()
        if file:
            transaction.on_commit(lambda: file.delete(save=False))


def quote_save(
    *,
    actor: User,
    quote: Quote | None = None,
    deal: Deal,
    title: str,
    currency: str,
    expires_on: datetime.date,
    note: str = "",
    sharing: str,
    teams: Iterable[Team] = (),
    lines: list[dict[str, Any]],
) -> Quote:
    """Create or change a quote with its lines (description, quantity, unit
    price), in their order. An accepted quote is what the customer agreed to:
    it no longer changes."""
    teams = _check_sharing(actor=actor, sharing=sharing, teams=teams)
    lines = [line for line in lines if line.get("description")]
    if not lines:
        raise ValidationError({"lines": _("Add at least one line.")})
    with transaction.atomic():
        if quote is not None:
            quote = Quote.objects.select_for_update().get(pk=quote.pk)
            if quote.accepted_at is not None:
                raise ValidationError(
                    _("The customer accepted this quote; it can no longer change.")
                )
        quote = quote or Quote(owner=actor)
        quote.deal = deal
        quote.title = title.strip()
        quote.currency = currency
        quote.expires_on = expires_on
        quote.note = note.strip()
        quote.sharing = sharing
        quote.save()
        quote.teams.set(teams)
        quote.lines.all().delete()
        QuoteLine.objects.bulk_create(
            QuoteLine(
                quote=quote,
                position=position,
                description=line["description"].strip(),
                quantity=Decimal(line["quantity"]),
                unit_price=Decimal(line["unit_price"]),
            )
            for position, line in enumerate(lines)
        )
    return quote


def quote_delete(*, actor: User, quote: Quote) -> None:
    quote.delete()


def quote_accept(*, quote: Quote, name: str, ticket_id: int | None) -> bool:
    """The customer accepts the quote on its public page. Once: a second
    accept changes nothing and answers False. An expired quote raises
    QuoteExpired. The ticket the link was sent from gets a timeline line."""
    name = name.replace("\x00", "").strip()[:200]
    if not name:
        raise ValidationError({"name": _("Type your name to accept the quote.")})
    with transaction.atomic():
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if quote.accepted_at is not None:
            return False
        if quote.is_expired():
            raise QuoteExpired
        ticket = (
            Ticket.objects.filter(pk=ticket_id, deleted_at__isnull=True).first()
            if ticket_id is not None
            else None
        )
        quote.accepted_at = timezone.now()
        quote.accepted_by = name
        quote.accepted_ticket = ticket
        quote.save(update_fields=["accepted_at", "accepted_by", "accepted_ticket"])
        if ticket is not None:
            TicketEvent.objects.create(
                ticket=ticket,
                kind=TicketEvent.Kind.QUOTE_ACCEPTED,
                field="quote",
                old_value=name,
                new_value=quote.title,
            )
            _tell_the_owner(quote, ticket)
    return True


def _tell_the_owner(quote: Quote, ticket: Ticket) -> None:
    """The quote's author hears of the acceptance (in the app, and by email
    as rule notifications are), if they may still see the ticket (S3)."""
    owner = quote.owner
    if owner is None or not users_who_see(ticket).filter(pk=owner.pk).exists():
        return
    with translation.override(owner.language or settings.LANGUAGE_CODE):
        detail = _("%(name)s accepted the quote “%(title)s”") % {
            "name": quote.accepted_by,
            "title": quote.title,
        }
    notify(
        [Notification(user=owner, ticket=ticket, kind=Notification.Kind.RULE, detail=detail[:200])]
    )
