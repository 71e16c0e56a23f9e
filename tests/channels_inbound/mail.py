"""Real MIME messages for the tests, built with Python's email package."""

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone


def mail(
    *,
    sender="Ana Virtanen <ana@acme.example>",
    to="support@helpdesk.example",
    cc="",
    subject="Printer on fire",
    text="Hello, the printer is on fire.",
    html="",
    message_id=None,
    in_reply_to="",
    references="",
    headers=None,
    attachments=(),
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain="acme.example")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, data, maintype, subtype, cid in attachments:
        if cid:
            html_part = message.get_payload()[-1] if html else message
            html_part.add_related(
                data, maintype=maintype, subtype=subtype, cid=f"<{cid}>", filename=filename
            )
        else:
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()
