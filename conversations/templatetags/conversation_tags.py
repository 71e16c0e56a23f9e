import re

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from conversations.sanitize import SANITIZER_VERSION, clean_editor_html, clean_inbound_html

register = template.Library()
# Any tag beyond the paragraphs, breaks and quotes we make from plain text.
FORMATTING = re.compile(r"<(?!/?(p|br|blockquote)>)[a-zA-Z/]")


@register.simple_tag
def message_body(message) -> dict:
    """A stored message body, safe to show. What agents wrote was cleaned on the
    way in: it is shown as stored unless the cleaning rules changed since
    (SANITIZER_VERSION), so a sanitiser fix also protects old rows.

    Inbound mail shows its inline images from our storage, leaves remote images
    out (counted, so the agent can load them in the isolated frame), and splits
    off the quoted history to fold. Attachments shown inline are not listed
    again below the message."""
    attachments = list(message.attachments.all())
    if not message.is_inbound:
        current = message.sanitizer_version == SANITIZER_VERSION
        # A reply's quoted history holds the customer's mail: cleaned as inbound.
        quoted = clean_inbound_html(message.quoted_html, {})
        return {
            "html": mark_safe(message.html if current else clean_editor_html(message.html)),
            "quoted": mark_safe(quoted.html),
            "blocked_images": 0,
            "formatted": False,
            "attachments": attachments,
        }
    images = {
        a.content_id: reverse("conversations:attachment_download", args=[a.pk])
        for a in attachments
        if a.content_id and a.is_image
    }
    main = clean_inbound_html(message.html, images)
    quoted = clean_inbound_html(message.quoted_html, images)
    body = message.html + message.quoted_html
    return {
        "html": mark_safe(main.html),
        "quoted": mark_safe(quoted.html),
        "blocked_images": main.blocked_images + quoted.blocked_images,
        # Mail that came as text has no formatting of its own to show.
        "formatted": bool(FORMATTING.search(body)),
        "attachments": [a for a in attachments if not _shown_inline(a, body)],
    }


def _shown_inline(attachment, body: str) -> bool:
    return (
        bool(attachment.content_id)
        and attachment.is_image
        and (f"cid:{attachment.content_id}" in body)
    )


@register.simple_tag
def upload_limit() -> dict:
    """The per-file attachment limit, and the refusals the server would give in
    the agent's language ({name} for the file's), so the composer refuses a
    file that is too large before uploading it, and says the same plainly when
    a request is refused for its size (HTTP 413, issue 19)."""
    from django.conf import settings
    from django.utils.translation import gettext

    from ..attachments import human_size, too_large_message

    return {
        "bytes": settings.HELPDESK_ATTACHMENT_MAX_BYTES,
        "message": too_large_message("{name}"),
        # The reply or comment itself (pasted images) over the form limit.
        "request": gettext("This message is too large to send: at most %(limit)s.")
        % {"limit": human_size(settings.HELPDESK_FORM_MAX_BYTES)},
    }


CJK = re.compile(r"[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@register.filter
def split_name(full: str) -> tuple[str, str]:
    """A visitor's full name as (first name, last name), as people write them
    (S22): a single word is a first name; Western names end with the family
    name; Chinese, Japanese and Korean names start with it, and without a
    space are kept whole."""
    words = (full or "").split()
    if len(words) < 2:
        return (words[0] if words else "", "")
    if CJK.search(full):
        return (" ".join(words[1:]), words[0])
    return (" ".join(words[:-1]), words[-1])
