"""Building outbound email from stored messages."""

import re
from email.utils import formataddr

from django.core.mail import EmailMultiAlternatives
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import EmailAddress, Message

VERP = re.compile(r"\+b-(\d{1,18})-([0-9a-f]{16})@", re.IGNORECASE)


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


def build_reply(message: Message, *, verp: bool = True) -> EmailMultiAlternatives:
    """The MIME message for an agent's reply: our stored Message-ID, threading
    headers, text and HTML parts, and its own return path (`verp`; the From
    header stays the team address). Agents' replies carry no auto-reply markers."""
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
    email = EmailMultiAlternatives(
        subject=_header_safe(message.subject),
        body=message.text,
        from_email=return_path or sender,
        to=message.to,
        cc=message.cc,
        bcc=message.bcc,
        headers=headers,
    )
    email.attach_alternative(message.html, "text/html")
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as file:
            email.attach(_header_safe(attachment.filename), file.read(), attachment.content_type)
    return email
