"""Small presentation helpers shared by the workspace templates."""

import datetime
import functools
import json
from collections.abc import Callable

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.templatetags.static import static
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from helpdesk.html import html, html_join

from .. import queries
from ..models import Category, Priority
from ..rendering import ROW_BADGES

register = template.Library()


@functools.cache
def _sprite() -> str:
    return static("vendor/lucide/sprite.svg")


@register.simple_tag
def icon(name: str, size: int = 16):
    """An icon from the vendored lucide sprite; decorative, so hidden from readers."""
    return _icon(name, size)


# A ticket pane draws some 80 icons of a few dozen kinds: each is built once
# per process (formatting and escaping one took 17 µs, finding it 0.2 µs).
@functools.lru_cache(maxsize=512)
def _icon(name: str, size: int):
    return html(
        '<svg class="icon icon-{}" width="{}" height="{}" aria-hidden="true">'
        '<use href="{}#{}"></use></svg>',
        size,
        size,
        size,
        _sprite(),
        name,
    )


@register.simple_tag
def when(moment: datetime.datetime | None):
    """Relative for the last 24 hours, then the locale's short date and time in the
    user's time zone (DESIGN: Dates). The full timestamp on hover is formatted by
    the browser from the datetime attribute: lists show 50 of these per page."""
    return _when(moment, timezone.now(), timezone.get_current_timezone(), get_language())


def when_reader() -> Callable[[datetime.datetime | None], str]:
    """`when` for the many moments of one page (a list's 50 rows), with the
    time, the user's zone and language read once: each is a lookup in
    asgiref's request-local storage, and the three took half of the 16 µs
    a moment cost the table (issue 22)."""
    return functools.partial(
        _when,
        now=timezone.now(),
        zone=timezone.get_current_timezone(),
        language=get_language(),
    )


def page_when(context) -> Callable[[datetime.datetime | None], str]:
    """The `when_reader()` of the request `context` renders a page for, made
    by its first row (each row is a partial of its own, so the template's
    render context cannot keep it)."""
    request = context.get("request")
    reader = getattr(request, "when_reader", None)
    if reader is None:
        reader = when_reader()
        if request is not None:
            request.when_reader = reader
    return reader


def _when(moment, now, zone, language):
    if moment is None:
        return ""
    ago = now - moment
    if ago >= datetime.timedelta(hours=24):
        return _dated(moment, zone, language)
    local = timezone.localtime(moment, zone)
    # "3 hours ago" reads the same for every moment of that hour.
    shown = _ago(_whole(ago), language) if ago.days >= 0 else naturaltime(moment)
    return html('<time datetime="{}">{}</time>', local.isoformat(), shown)


def _whole(ago: datetime.timedelta) -> int:
    """`ago` (under a day) cut to the unit naturaltime() says it in: seconds
    under a minute, minutes under an hour, else hours."""
    seconds = ago.seconds
    if seconds < 60:
        return seconds
    return seconds - seconds % (60 if seconds < 3600 else 3600)


@functools.lru_cache(maxsize=1024)
def _ago(seconds: int, language: str | None) -> str:
    return str(naturaltime(timezone.now() - datetime.timedelta(seconds=seconds)))


# An older moment reads the same for every reader of one time zone and
# language: a list page's 50 dates, drawn again on every page load (18 µs
# each), are found here in 2.
@functools.lru_cache(maxsize=8192)
def _dated(moment: datetime.datetime, zone, language: str | None):
    local = timezone.localtime(moment, zone)
    return html('<time datetime="{}">{}</time>', local.isoformat(), short_datetime(local))


@receiver(setting_changed)
def _forget_dates(*, setting, **kwargs):
    """A test that changes the formats or the time zone settings gets fresh dates."""
    if "FORMAT" in setting or setting in ("USE_TZ", "TIME_ZONE", "LANGUAGE_CODE", "LANGUAGES"):
        _dated.cache_clear()
        _ago.cache_clear()


def short_datetime(local: datetime.datetime) -> str:
    """`date_format(local, "SHORT_DATETIME_FORMAT")`, with the locale's format
    split once rather than on every call: 4-6 µs instead of 13, for the 50
    dates of a list page and the dozens of a ticket's."""
    drawn = dateformat.DateFormat(local)
    return "".join(
        str(getattr(drawn, piece)()) if is_character else piece
        for is_character, piece in _format_pieces(formats.get_format("SHORT_DATETIME_FORMAT"))
    )


@functools.lru_cache(maxsize=64)
def _format_pieces(format_string: str) -> tuple[tuple[bool, str], ...]:
    """A date format as Django's DateFormat.format() reads it: its format
    characters, and the text between them with backslash escapes undone."""
    return tuple(
        (True, piece) if index % 2 else (False, dateformat.re_escaped.sub(r"\1", piece))
        for index, piece in enumerate(dateformat.re_formatchars.split(format_string))
        if index % 2 or piece
    )


CHOICE_FIELDS = {"priority": Priority, "category": Category}


@register.simple_tag
def event_value(field: str, value: str, names=None, pipeline: str = ""):
    """A timeline value in the reader's language: choice codes become labels,
    names and options admins gave labels to become those (`names`, from
    tickets.views.workspace.event_names); a status by the `pipeline` it was
    in when the line was written."""
    choices = CHOICE_FIELDS.get(field)
    if choices and value in choices.values:
        return choices(value).label
    names = names or {}
    if field == "stage" and pipeline:
        local = names.get("stage_in", {}).get(pipeline, {}).get(value)
        if local:
            return local
    return (names.get(field) or {}).get(value, value)


@register.simple_tag
def purge_date(deleted_at: datetime.datetime, keep_days: int):
    """When a deleted ticket is removed for good (the hourly purge may take
    up to an hour more)."""
    return formats.date_format(
        timezone.localtime(deleted_at + datetime.timedelta(days=keep_days)), "SHORT_DATE_FORMAT"
    )


@register.filter
def ticket_ref(value: str):
    """A timeline's "#123" as a link to that ticket (it opens wherever it now is)."""
    number = value.removeprefix("#")
    if not number.isdigit():
        return value
    return html('<a href="{}">#{}</a>', reverse("tickets:ticket_open", args=[int(number)]), number)


# The labels are lazy: each is translated when drawn, in the reader's language.
PRIORITY_LABELS = {priority.value: priority.label for priority in Priority}


@register.filter
def priority_label(value: str):
    """Once per row of a list: a lookup (Priority.values builds its list anew)."""
    return PRIORITY_LABELS.get(value, "")


ROW = (
    '<li id="row-{pk}" class="ticket-row{active}"{oob} data-changed="{changed}">\n'
    '  <a class="row-link" href="{url}"\n'
    '     hx-get="{url}" hx-target="#detail-pane" hx-swap="outerHTML" hx-push-url="true"'
    ' data-row="{pk}">\n'
    '    <span class="row-line">\n'
    '      <span class="row-contact">{contact}</span>\n'
    '      <span class="row-time">{time}</span>\n'
    "    </span>\n"
    '    <span class="row-line">\n'
    '      <span class="row-subject">{name}</span>\n'
    "    </span>\n"
    '    <span class="row-line row-meta">\n'
    "      {priority}\n"
    '      <span class="status{closed}">{status}</span>\n'
    "      {badges}\n"
    "      {tags}\n"
    '      <span class="row-preview">{preview}</span>\n'
    '      <span class="row-owner" title="{owner_title}">{owner}</span>\n'
    "    </span>\n"
    "  </a>\n"
    "</li>"
)


@register.simple_tag(takes_context=True)
def ticket_row(context, ticket):
    """One row of a view's list. Built here, not by a template: a list draws
    50 of them, and the template's lookups, filters and tags (the SLA badge
    was a template of its own) cost a 50-row list 10-20 ms at a million
    tickets. Reads `row_url`, `active_pk` and `oob` (an out-of-band swap of
    the row after an edit) from the page."""
    tags = list(ticket.tags.all())
    shown = html_join(
        "", '<span class="tag tag-{}">{}</span>', ((t.colour or "grey", t.name) for t in tags[:2])
    )
    if len(tags) > 2:
        names = ", ".join(tag.name for tag in tags)
        shown += html('<span class="tag tag-grey" title="{}">+{}</span>', names, len(tags) - 2)
    owner = ticket.owner
    muted = '<span class="muted">{}</span>'
    priority = ""
    if ticket.priority:
        priority = html(
            '<span class="priority priority-{}">{}</span>',
            ticket.priority,
            priority_label(ticket.priority),
        )
    return html(
        ROW,
        pk=ticket.pk,
        active=" is-active" if ticket.pk == context.get("active_pk") else "",
        oob=html(' hx-swap-oob="{}"', "true") if context.get("oob") else "",
        changed=stamp(ticket.updated_at),
        url=f"{context.get('row_url', '')}{ticket.pk}/",
        contact=ticket.contact_name or html(muted, _("No contact")),
        time=page_when(context)(ticket.last_activity_at),
        name=ticket.name,
        priority=priority,
        closed=" status-closed" if ticket.stage.is_closed else "",
        status=ticket.stage.local_name,
        badges=html_join("", "{}", ((badge(ticket),) for badge in ROW_BADGES)),
        tags=shown,
        preview=ticket.preview,
        owner_title=_("Ticket owner"),
        owner=html('<span class="avatar avatar-xs">{}</span>', owner.initials)
        if owner
        else html(muted, _("Unassigned")),
    )


@register.filter
def get(mapping, key):
    return mapping.get(key, "") if mapping else ""


@register.filter
def get_field(form, key):
    """The bound field of custom property `key` in a property form."""
    return form[f"prop_{key}"]


@register.simple_tag
def view_count(count: int):
    """A count; one that stopped at its cap reads "1,000+" (tickets.queries.CappedCount)."""
    shown = formats.number_format(count, force_grouping=True)
    return f"{shown}+" if getattr(count, "capped", False) else shown


@register.simple_tag
def highlight(text: str, query):
    """`text` with the search's matched words marked (tickets.search)."""
    from ..search import highlight as mark

    return mark(text or "", query)


@register.filter
def stamp(moment: datetime.datetime | None) -> str:
    """A ticket's version as the live check names it (queries.stamp)."""
    return str(queries.stamp(moment)) if moment else ""


@register.simple_tag
def live_now() -> str:
    """The server's clock as a stamp: where the live list starts checking."""
    return str(queries.stamp(timezone.now()))


# A number in each plural category of CLDR (which the browser's Intl.PluralRules
# names) that Django's plural formula of our languages puts in the same form.
PLURAL_SAMPLES = {"zero": 0, "one": 1, "two": 2, "few": 2, "many": 5, "other": 5}


@register.simple_tag
def live_bar_forms() -> str:
    """The new-tickets bar's sentence in each plural category, as JSON."""
    return json.dumps(
        {
            category: ngettext(
                "%(count)s new ticket · Show", "%(count)s new tickets · Show", number
            )
            % {"count": "{n}"}
            for category, number in PLURAL_SAMPLES.items()
        },
        ensure_ascii=False,
    )
