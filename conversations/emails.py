"""Building outbound email from stored messages."""

import re
import zoneinfo
from email.utils import formataddr
from html import escape

import lxml.html
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import formats, timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext
from lxml import etree

from .models import EmailAddress, Message

VERP = re.compile(r"\+b-(\d{1,18})-([0-9a-f]{16})@", re.IGNORECASE)

# Gmail's markup for a quoted history: Gmail, Apple Mail, Thunderbird and
# Outlook all fold it (and our own splitter does, when the customer's client
# sends it back).
QUOTE_STYLE = "margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex"
# A history longer than this quotes only the answered message, not what that
# message quoted in turn.
MAX_QUOTED_HISTORY = 300_000
CID_IMAGE = re.compile(r"<img\b[^>]*\bsrc=[\"']?cid:[^>]*>", re.IGNORECASE)


def _header_safe(value: str) -> str:
    """No CR, LF or NUL may reach a header (RELIABILITY item 74)."""
    return " ".join(value.replace("\x00", " ").splitlines()).strip()


def _plus_address(message: Message, tag: str) -> str:
    """local+<tag>@domain of the sending address when it takes plus
    addresses; empty otherwise, or when the local part would be too long."""
    local, _at, domain = message.from_email.rpartition("@")
    sender = EmailAddress.objects.filter(email__iexact=message.from_email).first()
    if not (local and domain and sender and sender.plus_addressing):
        return ""
    address = f"{local.split('+')[0]}+{tag}@{domain}"
    return address if len(address) - len(domain) - 1 <= 64 else ""


def reply_to_address(message: Message) -> str:
    """support+<thread token>@domain when the sending address takes plus
    addresses; empty otherwise (the Message-ID still threads the reply)."""
    return _plus_address(message, message.thread.reply_token)


def _bounce_signature(message_pk: int) -> str:
    return salted_hmac("helpdesk.verp", str(message_pk)).hexdigest()[:16]


def bounce_address(message: Message) -> str:
    """The reply's own return path (VERP): support+b-<message>-<signature>@domain,
    so a delivery report finds the reply even when it quotes nothing of it.
    The signature keeps strangers from marking replies undelivered."""
    return _plus_address(message, f"b-{message.pk}-{_bounce_signature(message.pk)}")


def bounced_message_pk(addresses: list[str]) -> int | None:
    """The message whose return path is among `addresses`, when its signature holds."""
    for address in addresses:
        match = VERP.search(address)
        if match and constant_time_compare(match.group(2), _bounce_signature(int(match.group(1)))):
            return int(match.group(1))
    return None


def quoted_history(previous: Message, *, language: str, time_zone: str = "") -> str:
    """The HTML that follows a reply, as mail clients write it: "On <date>,
    <name> wrote:" in `language`, then the answered message with the history
    it quoted, as a block quote. Its inline images are left out: they are
    not attached to the reply."""
    try:
        zone = zoneinfo.ZoneInfo(time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    name = previous.from_name or previous.sender_display
    if previous.from_email and previous.from_email != name:
        name = f"{name} <{previous.from_email}>" if name else previous.from_email
    with translation.override(language):
        date = formats.date_format(timezone.localtime(previous.created_at, zone), "DATETIME_FORMAT")
        attribution = gettext("On %(date)s, %(name)s wrote:") % {"date": date, "name": name}
    body = previous.html + previous.quoted_html
    if len(body) > MAX_QUOTED_HISTORY:
        body = previous.html
    body = CID_IMAGE.sub("", body)
    return (
        f'<div class="gmail_quote"><div class="gmail_attr">{escape(attribution)}</div>'
        f'<blockquote class="gmail_quote" type="cite" style="{QUOTE_STYLE}">{body}</blockquote>'
        "</div>"
    )


def quoted_history_text(quoted_html: str) -> str:
    """The text form of quoted_history(): the attribution, then the answered
    message as "> " lines, the history it quoted as ">> " lines and so on."""
    if not quoted_html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(quoted_html, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    attribution = root.find(".//div[@class='gmail_attr']")
    quote = root.find(".//blockquote")
    if attribution is None or quote is None:
        return ""
    return f"{attribution.text_content().strip()}\n{_quote_marked(_text_of(quote))}"


def _text_of(element) -> str:
    """Plain text of `element`'s content, its block quotes as "> " lines."""
    from .sanitize import html_to_text

    parts, chunk = [], [escape(element.text or "", quote=False)]

    def flush():
        parts.append(html_to_text("".join(chunk)))
        chunk.clear()

    for child in element:
        if not isinstance(child.tag, str):
            chunk.append(escape(child.tail or "", quote=False))
        elif child.tag == "blockquote":
            flush()
            parts.append(_quote_marked(_text_of(child)))
            chunk.append(escape(child.tail or "", quote=False))
        elif child.find(".//blockquote") is not None:
            flush()
            parts.append(_text_of(child))
            chunk.append(escape(child.tail or "", quote=False))
        else:
            chunk.append(lxml.html.tostring(child, encoding="unicode"))  # with its tail
    flush()
    return "\n\n".join(part for part in parts if part.strip())


def _quote_marked(text: str) -> str:
    return "\n".join(
        (">" + line if line.startswith(">") else f"> {line}").rstrip() for line in text.splitlines()
    )


def build_reply(message: Message, *, verp: bool = True) -> EmailMultiAlternatives:
    """The MIME message for an agent's reply: our stored Message-ID, threading
    headers, text and HTML parts, and its own return path (`verp`; the From
    header stays the team address). Agents' replies carry no auto-reply markers; a rule's automatic email does."""
    headers = {"Message-ID": message.message_id}
    sender = formataddr((_header_safe(message.from_name), message.from_email))
    return_path = bounce_address(message) if verp else ""
    if return_path:
        # Django and anymail send from from_email and show the From header.
        headers["From"] = sender
    reply_address = reply_to_address(message)
    if reply_address:
        headers["Reply-To"] = formataddr((_header_safe(message.from_name), reply_address))
    if message.in_reply_to:
        headers["In-Reply-To"] = _header_safe(message.in_reply_to)
    if message.references:
        headers["References"] = _header_safe(message.references)
    if message.is_automatic:
        # RFC 3834: a robot's mail says so, and asks other robots not to answer.
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    body = message.text
    if message.quoted_html:
        body = f"{message.text}\n\n{quoted_history_text(message.quoted_html)}"
    email = EmailMultiAlternatives(
        subject=_header_safe(message.subject),
        body=body,
        from_email=return_path or sender,
        to=message.to,
        cc=message.cc,
        bcc=message.bcc,
        headers=headers,
    )
    email.attach_alternative(message.html + message.quoted_html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as file:
            email.attach(_header_safe(attachment.filename), file.read(), attachment.content_type)
    return email


def help_desk_sender() -> str:
    """The From of the help desk's own emails to customers (sign-in links,
    surveys): the first team address with its display name, else
    DEFAULT_FROM_EMAIL."""
    address = EmailAddress.objects.order_by("id").first()
    if address is None:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((_header_safe(address.display_name), address.email))
