import functools
import re

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from conversations.sanitize import SANITIZER_VERSION, clean_editor_html, clean_inbound_html
from helpdesk.html import html, html_join
from tickets.templatetags.workspace import icon, page_when

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
# (issue 22). Every value goes through helpdesk.html, which escapes it; the
# fixed words are translated and escaped once per language.

CHANNEL_ICONS = {
    "chat": "message-square",
    "messenger": "message-square",
    "form": "file-text",
    "phone": "phone",
}


@functools.lru_cache(maxsize=32)
def _words(language: str) -> dict:
    """The article's fixed words in `language`, translated and escaped."""
    from conversations.models import Channel, Message

    with translation.override(language):
        words = {
            "quoted": _("Show quoted text"),
            "dmarc": _(
                "The sender’s domain failed its DMARC check: this mail may not be from who "  # noqa: RUF001 (the message as translated)
                "it claims. It was not added to their other tickets."
            ),
            "unverified": _("Unverified sender"),
            "link_visitor": _("Link this visitor to a contact"),
            "reply": _("Reply to this message"),
            "comment": _("Internal comment"),
            "bot": _("Automatic answer before the visitor asked for a person"),
            "to": _("To"),
            "cc": _("CC"),
            "bcc": _("BCC"),
            "not_sent": _("Not sent"),
            "send_again": _("Send again"),
            "retrying": _("Not sent yet, retrying"),
            "sending": _("Sending"),
            "move": _("Move to another ticket"),
            "move_help": _(
                "Joined the wrong ticket? Move this message with its files; the two tickets "
                "are linked."
            ),
            "move_new": _("Move to a new ticket"),
            "move_to": _("Or to ticket number"),
            "move_button": _("Move"),
            "load_images": _("Load images"),
            "original": _("Show original formatting"),
        }
        words = {key: html("{}", text) for key, text in words.items()}
        words["channels"] = {value: html("{}", label) for value, label in Channel.choices}
        words["joined"] = {value: html("{}", label) for value, label in Message.JoinedBy.choices}
    return words


@register.simple_tag(takes_context=True)
def message_article(context, m) -> str:
    """The <article> of message `m` in the conversation; the context gives
    the view the move forms return to and a failed move's error and number."""
    w = _words(translation.get_language())
    body = message_body(m)
    return html(
        '<article id="message-{}" class="message{}{}" data-message="{}">\n{}{}'
        '<div class="message-body" hx-disable>{}</div>\n{}{}{}</article>\n',
        m.pk,
        " message-comment"
        if m.is_comment
        else (" message-inbound" if m.is_inbound else " message-outbound"),
        " message-bot" if m.is_bot else "",
        m.pk,
        _head(context, m, w),
        html('<div id="visitor-{}" hidden></div>\n', m.pk)
        if m.is_inbound and not m.contact_id
        else "",
        body["html"],
        html(
            '<details class="message-quoted">\n<summary title="{}" aria-label="{}">•••</summary>\n'
            '<div class="message-body" hx-disable>{}</div>\n</details>\n',
            w["quoted"],
            w["quoted"],
            body["quoted"],
        )
        if body["quoted"]
        else "",
        _original(m, body, w),
        _attachments(body["attachments"]),
    )


@register.simple_tag(takes_context=True)
def message_articles(context, messages) -> str:
    """The conversation's messages, one message_article each, joined in one
    call rather than by a template loop rendering a partial per message."""
    return html_join("", "{}", ((message_article(context, m),) for m in messages))


def _head(context, m, w: dict) -> str:
    author = m.author if m.author_id else None
    if author:
        avatar = author.initials
    elif m.is_bot:
        avatar = icon("bot", 14)
    else:
        avatar = (m.from_name or m.from_email)[:1].upper() or icon("user", 14)
    visitor = reply = move = ""
    if m.is_inbound and not m.contact_id:
        visitor = html(
            '<button type="button" class="btn btn-ghost btn-icon btn-small" '
            'data-toggle-visitor="{}" data-visitor-url="{}?panel=1" title="{}" '
            'aria-label="{}">{}</button>\n',
            m.pk,
            reverse("conversations:visitor_search", args=[m.pk]),
            w["link_visitor"],
            w["link_visitor"],
            icon("search"),
        )
    if m.is_inbound and not m.is_comment and not m.thread.visitor_key:
        move = _move_menu(context, m, w)
    if not m.is_comment and not m.is_bot:
        reply = html(
            '<button type="button" class="btn btn-ghost btn-icon btn-small" '
            'data-reply-to="{}" data-reply-label="{}" title="{}" aria-label="{}">{}</button>\n',
            m.pk,
            m.sender_display,
            w["reply"],
            w["reply"],
            icon("reply"),
        )
    return html(
        '<header class="message-head">\n<span class="avatar{}">{}</span>\n'
        '<div class="message-meta">\n<div class="message-from">\n<strong>{}</strong>\n{}'
        "</div>\n{}{}</div>\n{}{}"
        '<span class="message-time">{}</span>\n{}{}{}</header>\n',
        " avatar-contact" if m.is_inbound else "",
        avatar,
        m.sender_display,
        html('<span class="muted">&lt;{}&gt;</span>\n', m.from_email)
        if not m.is_comment and m.from_email
        else "",
        html(
            '<span class="unverified" title="{}">{}{}</span>\n',
            w["dmarc"],
            icon("shield-alert", 12),
            w["unverified"],
        )
        if m.dmarc == "fail"
        else "",
        _recipients(m, w),
        _delivery(m, w),
        _channel(m, w),
        page_when(context)(m.created_at),
        visitor,
        move,
        reply,
    )


def _recipients(m, w: dict) -> str:
    if m.is_comment:
        return html(
            '<div class="comment-badge">{}<span>{}</span></div>\n', icon("lock", 12), w["comment"]
        )
    if m.is_bot:
        return html('<div class="message-to muted">{}</div>\n', w["bot"])
    if not (m.to or m.cc or m.bcc):
        return ""
    return html(
        '<div class="message-to muted">{}: {}{}{}</div>\n',
        w["to"],
        ", ".join(m.to),
        html(" · {}: {}", w["cc"], ", ".join(m.cc)) if m.cc else "",
        html(" · {}: {}", w["bcc"], ", ".join(m.bcc)) if m.bcc else "",
    )


def _delivery(m, w: dict) -> str:
    delivery = m.delivery
    if not delivery or delivery.status == "sent":
        return ""
    if delivery.status == "failed":
        return html(
            '<span class="delivery delivery-failed" title="{}">{}{}</span>\n'
            '<button type="button" class="btn btn-small" hx-post="{}" hx-target="#message-{}" '
            'hx-swap="outerHTML">{}<span>{}</span></button>\n',
            delivery.last_error,
            icon("circle-alert", 12),
            w["not_sent"],
            reverse("conversations:message_resend", args=[m.pk]),
            m.pk,
            icon("rotate-cw", 12),
            w["send_again"],
        )
    return html(
        '<span class="delivery{}">{}{}</span>\n',
        " delivery-retrying" if delivery.last_error else "",
        icon("clock", 12),
        w["retrying"] if delivery.last_error else w["sending"],
    )


def _channel(m, w: dict) -> str:
    if m.is_comment:
        return ""
    channel = m.thread.channel
    label = w["channels"].get(channel, channel)
    joined = ""
    if m.joined_by:
        joined = html(
            " · {}{}",
            w["joined"].get(m.joined_by, m.joined_by),
            html(" (#{})", m.joined_ticket_id) if m.joined_ticket_id else "",
        )
    return html(
        '<span class="message-channel" title="{}{}" role="img" aria-label="{}">{}</span>\n',
        label,
        joined,
        label,
        icon(CHANNEL_ICONS.get(channel, "mail"), 12),
    )


def _move_menu(context, m, w: dict) -> str:
    error = context.get("move_error")
    view = context.get("view")
    slug = (getattr(view, "slug", "") if view else "") or context.get("view_slug") or ""
    url = reverse("conversations:message_move", args=[m.pk])
    return html(
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
        w["move"],
        w["move"],
        icon("split"),
        w["move_help"],
        url,
        slug,
        icon("split"),
        w["move_new"],
        url,
        slug,
        m.pk,
        w["move_to"],
        m.pk,
        context.get("move_to") or "",
        w["move_button"],
        html('<span class="field-error" role="alert">{}</span>\n', error) if error else "",
    )


def _original(m, body: dict, w: dict) -> str:
    if not (body["formatted"] or body["blocked_images"]):
        return ""
    frame = reverse("conversations:message_frame", args=[m.pk])
    notice = ""
    if body["blocked_images"]:
        count = body["blocked_images"]
        notice = html(
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
            w["load_images"],
        )
    return html(
        '<div class="message-original" id="original-{}">\n{}'
        '<button type="button" class="link-button small" hx-get="{}" hx-target="#original-{}" '
        'hx-swap="outerHTML">{}</button>\n</div>\n',
        m.pk,
        notice,
        frame,
        m.pk,
        w["original"],
    )


def _attachments(attachments) -> str:
    if not attachments:
        return ""
    items = []
    for a in attachments:
        url = reverse("conversations:attachment_download", args=[a.pk])
        items.append(
            html(
                '<li>\n<a class="attachment" href="{}"{}>\n{}\n'
                '<span class="attachment-name">{}</span><span class="muted small">{}</span>\n'
                "</a>\n</li>\n",
                url,
                "" if a.is_image else " download",
                html('<img src="{}" alt="" loading="lazy" class="attachment-thumb">', url)
                if a.is_image
                else icon("paperclip"),
                a.filename,
                filesizeformat(a.size),
            )
        )
    return html(
        '<ul class="attachment-list">\n{}</ul>\n',
        html_join("", "{}", ((item,) for item in items)),
    )
