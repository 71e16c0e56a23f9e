import re

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from conversations.sanitize import SANITIZER_VERSION, clean_editor_html, clean_inbound_html
from tickets.templatetags.workspace import icon, when

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


# A message of the conversation, built here rather than by a template: a
# ticket pane shows up to 20, and the template engine took 0.35 ms for each
# (issue 22). Every value goes through format_html, which escapes it.

CHANNEL_ICONS = {
    "chat": "message-square",
    "messenger": "message-square",
    "form": "file-text",
    "phone": "phone",
}


@register.simple_tag(takes_context=True)
def message_article(context, m) -> str:
    """The <article> of message `m` in the conversation; the context gives
    the view the move forms return to and a failed move's error and number."""
    body = message_body(m)
    parts = [
        format_html(
            '<article id="message-{}" class="message{}{}" data-message="{}">\n',
            m.pk,
            " message-comment"
            if m.is_comment
            else (" message-inbound" if m.is_inbound else " message-outbound"),
            " message-bot" if m.is_bot else "",
            m.pk,
        ),
        _head(context, m),
        format_html('<div id="visitor-{}" hidden></div>\n', m.pk)
        if m.is_inbound and not m.contact_id
        else "",
        format_html('<div class="message-body" hx-disable>{}</div>\n', body["html"]),
        format_html(
            '<details class="message-quoted">\n<summary title="{}" aria-label="{}">•••</summary>\n'
            '<div class="message-body" hx-disable>{}</div>\n</details>\n',
            _("Show quoted text"),
            _("Show quoted text"),
            body["quoted"],
        )
        if body["quoted"]
        else "",
        _original(m, body),
        _attachments(body["attachments"]),
    ]
    return format_html("{}</article>\n", format_html_join("", "{}", ((part,) for part in parts)))


def _head(context, m) -> str:
    author = m.author if m.author_id else None
    if author:
        avatar = format_html("{}", author.initials)
    elif m.is_bot:
        avatar = icon("bot", 14)
    else:
        initial = (m.from_name or m.from_email)[:1].upper()
        avatar = format_html("{}", initial) if initial else icon("user", 14)
    parts = [
        format_html(
            '<header class="message-head">\n<span class="avatar{}">{}</span>\n'
            '<div class="message-meta">\n<div class="message-from">\n<strong>{}</strong>\n{}'
            "</div>\n",
            " avatar-contact" if m.is_inbound else "",
            avatar,
            m.sender_display,
            format_html('<span class="muted">&lt;{}&gt;</span>\n', m.from_email)
            if not m.is_comment and m.from_email
            else "",
        ),
        format_html(
            '<span class="unverified" title="{}">{}{}</span>\n',
            _(
                "The sender’s domain failed its DMARC check: this mail may not be from who "  # noqa: RUF001 (the message as translated)
                "it claims. It was not added to their other tickets."
            ),
            icon("shield-alert", 12),
            _("Unverified sender"),
        )
        if m.dmarc == "fail"
        else "",
        format_html("{}</div>\n", _recipients(m)),
        _delivery(m),
        _channel(m),
        format_html('<span class="message-time">{}</span>\n', when(m.created_at)),
    ]
    if m.is_inbound and not m.contact_id:
        label = _("Link this visitor to a contact")
        parts.append(
            format_html(
                '<button type="button" class="btn btn-ghost btn-icon btn-small" '
                'data-toggle-visitor="{}" data-visitor-url="{}?panel=1" title="{}" '
                'aria-label="{}">{}</button>\n',
                m.pk,
                reverse("conversations:visitor_search", args=[m.pk]),
                label,
                label,
                icon("search"),
            )
        )
    if m.is_inbound and not m.is_comment and not m.thread.visitor_key:
        parts.append(_move_menu(context, m))
    if not m.is_comment and not m.is_bot:
        label = _("Reply to this message")
        parts.append(
            format_html(
                '<button type="button" class="btn btn-ghost btn-icon btn-small" '
                'data-reply-to="{}" data-reply-label="{}" title="{}" aria-label="{}">{}</button>\n',
                m.pk,
                m.sender_display,
                label,
                label,
                icon("reply"),
            )
        )
    return format_html("{}</header>\n", format_html_join("", "{}", ((part,) for part in parts)))


def _recipients(m) -> str:
    if m.is_comment:
        return format_html(
            '<div class="comment-badge">{}<span>{}</span></div>\n',
            icon("lock", 12),
            _("Internal comment"),
        )
    if m.is_bot:
        return format_html(
            '<div class="message-to muted">{}</div>\n',
            _("Automatic answer before the visitor asked for a person"),
        )
    if not (m.to or m.cc or m.bcc):
        return ""
    shown = [format_html("{}: {}", _("To"), ", ".join(m.to))]
    if m.cc:
        shown.append(format_html(" · {}: {}", _("CC"), ", ".join(m.cc)))
    if m.bcc:
        shown.append(format_html(" · {}: {}", _("BCC"), ", ".join(m.bcc)))
    return format_html(
        '<div class="message-to muted">{}</div>\n',
        format_html_join("", "{}", ((part,) for part in shown)),
    )


def _delivery(m) -> str:
    delivery = m.delivery
    if not delivery or delivery.status == "sent":
        return ""
    if delivery.status == "failed":
        return format_html(
            '<span class="delivery delivery-failed" title="{}">{}{}</span>\n'
            '<button type="button" class="btn btn-small" hx-post="{}" hx-target="#message-{}" '
            'hx-swap="outerHTML">{}<span>{}</span></button>\n',
            delivery.last_error,
            icon("circle-alert", 12),
            _("Not sent"),
            reverse("conversations:message_resend", args=[m.pk]),
            m.pk,
            icon("rotate-cw", 12),
            _("Send again"),
        )
    return format_html(
        '<span class="delivery{}">{}{}</span>\n',
        " delivery-retrying" if delivery.last_error else "",
        icon("clock", 12),
        _("Not sent yet, retrying") if delivery.last_error else _("Sending"),
    )


def _channel(m) -> str:
    if m.is_comment:
        return ""
    channel = m.thread.get_channel_display()
    title = channel
    if m.joined_by:
        title = format_html("{} · {}", channel, m.get_joined_by_display())
        if m.joined_ticket_id:
            title = format_html("{} (#{})", title, m.joined_ticket_id)
    return format_html(
        '<span class="message-channel" title="{}" role="img" aria-label="{}">{}</span>\n',
        title,
        channel,
        icon(CHANNEL_ICONS.get(m.thread.channel, "mail"), 12),
    )


def _move_menu(context, m) -> str:
    error = context.get("move_error")
    view = context.get("view")
    slug = (getattr(view, "slug", "") if view else "") or context.get("view_slug") or ""
    url = reverse("conversations:message_move", args=[m.pk])
    label = _("Move to another ticket")
    return format_html(
        '<details class="message-move"{}>\n'
        '<summary class="btn btn-ghost btn-icon btn-small" title="{}" aria-label="{}">{}</summary>\n'
        '<div class="menu-panel">\n<p class="muted small">{}</p>\n'
        '<form hx-post="{}" hx-target="#detail-pane" hx-swap="outerHTML">\n'
        '<input type="hidden" name="view" value="{}">\n'
        '<button type="submit" class="btn btn-small">{}<span>{}</span></button>\n</form>\n'
        '<form class="move-to" hx-post="{}" hx-target="#detail-pane" hx-swap="outerHTML">\n'
        '<input type="hidden" name="view" value="{}">\n'
        '<label for="move-to-{}">{}</label>\n<div class="field-row">\n'
        '<input type="text" id="move-to-{}" name="to" inputmode="numeric" autocomplete="off" '
        'placeholder="123" value="{}" required>\n'
        '<button type="submit" class="btn btn-small">{}</button>\n</div>\n</form>\n{}'
        "</div>\n</details>\n",
        " open" if error else "",
        label,
        label,
        icon("split"),
        _("Joined the wrong ticket? Move this message with its files; the two tickets are linked."),
        url,
        slug,
        icon("split"),
        _("Move to a new ticket"),
        url,
        slug,
        m.pk,
        _("Or to ticket number"),
        m.pk,
        context.get("move_to") or "",
        _("Move"),
        format_html('<span class="field-error" role="alert">{}</span>\n', error) if error else "",
    )


def _original(m, body: dict) -> str:
    if not (body["formatted"] or body["blocked_images"]):
        return ""
    frame = reverse("conversations:message_frame", args=[m.pk])
    notice = ""
    if body["blocked_images"]:
        count = body["blocked_images"]
        notice = format_html(
            '<p class="remote-notice muted small">{}<span>{}</span>\n'
            '<button type="button" class="link-button" hx-get="{}?images=1" '
            'hx-target="#original-{}" hx-swap="outerHTML">{}</button></p>\n',
            icon("image-off", 12),
            ngettext(
                "%(counter)s remote image was blocked to protect your privacy.",
                "%(counter)s remote images were blocked to protect your privacy.",
                count,
            )
            % {"counter": count},
            frame,
            m.pk,
            _("Load images"),
        )
    return format_html(
        '<div class="message-original" id="original-{}">\n{}'
        '<button type="button" class="link-button small" hx-get="{}" hx-target="#original-{}" '
        'hx-swap="outerHTML">{}</button>\n</div>\n',
        m.pk,
        notice,
        frame,
        m.pk,
        _("Show original formatting"),
    )


def _attachments(attachments) -> str:
    if not attachments:
        return ""
    items = []
    for a in attachments:
        url = reverse("conversations:attachment_download", args=[a.pk])
        items.append(
            format_html(
                '<li>\n<a class="attachment" href="{}"{}>\n{}\n'
                '<span class="attachment-name">{}</span><span class="muted small">{}</span>\n'
                "</a>\n</li>\n",
                url,
                "" if a.is_image else " download",
                format_html('<img src="{}" alt="" loading="lazy" class="attachment-thumb">', url)
                if a.is_image
                else icon("paperclip"),
                a.filename,
                filesizeformat(a.size),
            )
        )
    return format_html(
        '<ul class="attachment-list">\n{}</ul>\n',
        format_html_join("", "{}", ((item,) for item in items)),
    )
