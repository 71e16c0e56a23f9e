"""Building outbound email from stored messages."""

from email.utils import formataddr

from django.core.mail import EmailMultiAlternatives

from .models import EmailAddress, Message


def _header_safe(value: str) -> str:
    """No CR, LF or NUL may reach a header (RELIABILITY item 74)."""
    return " ".join(value.replace("\x00", " ").splitlines()).strip()


def reply_to_address(message: Message) -> str:
    """support+<thread token>@domain when the sending address takes plus
    addresses; empty otherwise (the Message-ID still threads the reply)."""
    local, _at, domain = message.from_email.rpartition("@")
    sender = EmailAddress.objects.filter(email__iexact=message.from_email).first()
    if not (local and domain and sender and sender.plus_addressing):
        return ""
    address = f"{local.split('+')[0]}+{message.thread.reply_token}@{domain}"
    return address if len(address) - len(domain) - 1 <= 64 else ""


def build_reply(message: Message) -> EmailMultiAlternatives:
    """The MIME message for an agent's reply: our stored Message-ID, threading
    headers, text and HTML parts. Agents' replies carry no auto-reply markers."""
    headers = {"Message-ID": message.message_id}
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
        from_email=formataddr((_header_safe(message.from_name), message.from_email)),
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
