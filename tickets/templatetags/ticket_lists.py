"""The ticket table's URLs and labels: the state with one thing changed (sort,
page, a condition left out), sort indicators, and condition values as labels."""

from django import template
from django.utils.translation import gettext as _

from helpdesk.html import html, html_cells, html_join
from tickets.rendering import TABLE_CELLS
from tickets.search import highlight

from .workspace import priority_label, when, when_reader

register = template.Library()


@register.simple_tag
def list_query(state, without=None, **changes) -> str:
    """The table's query string for `state` with `changes`, as "?..."."""
    return "?" + state.querystring(without=without, **changes)


@register.filter
def quick_values(state, key: str) -> list[str]:
    return state.quick(key)


@register.filter
def sort_toggle(state, key: str) -> str:
    """The sort a column header links to: ascending first, then descending."""
    return f"-{key}" if (state.sort or "-last_activity_at") == key else key


def _direction(state, key: str) -> str:
    current = state.sort or "-last_activity_at"
    if current == key:
        return "ascending"
    if current == f"-{key}":
        return "descending"
    return "none"


@register.simple_tag
def sort_state(state, key: str) -> str:
    return _direction(state, key)


@register.simple_tag
def sort_arrow(state, key: str) -> str:
    arrow = {"ascending": "↑", "descending": "↓"}.get(_direction(state, key))
    return html(' <span class="sort-arrow" aria-hidden="true">{}</span>', arrow) if arrow else ""


@register.simple_tag
def condition_value(condition, prop) -> str:
    """A condition's value as the agent reads it: choice labels, not ids."""
    if prop is not None and prop.choices and prop.type in ("choice", "sla", "tags", "slot"):
        labels = dict(prop.choices())
        return ", ".join(str(labels.get(v, v)) for v in condition.values)
    if condition.operator == "between":
        return " \u2013 ".join(condition.values)
    return condition.value


EMPTY = html('<span class="muted">{}</span>', "\u2014")


def _status(ticket):
    closed = " status-closed" if ticket.stage.is_closed else ""
    return html('<span class="status{}">{}</span>', closed, ticket.stage.local_name)


def _priority(ticket):
    if not ticket.priority:
        return EMPTY
    label = priority_label(ticket.priority)
    return html('<span class="priority priority-{}">{}</span>', ticket.priority, label)


def _owner(ticket):
    if not ticket.owner:
        return html('<span class="muted">{}</span>', _("Unassigned"))
    return html(
        '<span class="avatar avatar-xs">{}</span> {}',
        ticket.owner.initials,
        ticket.owner.display_name,
    )


def _tags(ticket):
    """The row's tags, (name, colour) read with the page (queries.tickets_for_table)."""
    if not ticket.table_tags:
        return EMPTY
    return html_join(
        " ",
        '<span class="tag tag-{}">{}</span>',
        ((colour or "grey", name) for name, colour in ticket.table_tags),
    )


CELLS = {
    "contact": lambda t, q: highlight(t.contact_name, q) if t.contact_name else EMPTY,
    "stage": lambda t, q: _status(t),
    "priority": lambda t, q: _priority(t),
    "owner": lambda t, q: _owner(t),
    "team": lambda t, q: t.team.local_name if t.team else EMPTY,
    "tags": lambda t, q: _tags(t),
    "pipeline": lambda t, q: t.pipeline.local_name,
    "category": lambda t, q: t.get_category_display() or EMPTY,
    "source": lambda t, q: t.get_source_display(),
}


# Cells that show a moment, drawn by `moment` (the page's when_reader()).
MOMENT_CELLS = {"last_activity_at", "created_at", "closed_at"}


@register.simple_tag
def table_cell(ticket, key: str, query=None, known=None, moment=when):
    """One cell of the ticket table, in Python: 50 rows of up to a dozen columns
    are rendered here faster than by a chain of template conditions. The SLA
    badge stays with the sla app's tag; custom properties show their value, an
    option by its label (`known`: the filterable properties, with definitions)."""
    if key in MOMENT_CELLS:
        value = getattr(ticket, key)
        return moment(value) if value else EMPTY
    cell = CELLS.get(key)
    if cell is not None:
        return cell(ticket, query)
    value = (ticket.properties or {}).get(key, "")
    definition = getattr((known or {}).get(key), "definition", None)
    if value and definition is not None:
        return definition.option_label(value)
    return value or EMPTY


# Cells that show one value of the row's (a status, an owner): drawn once per
# value and page, not for each of 50 rows.
SHARED_CELLS = {
    "stage": lambda t: t.stage_id,
    "priority": lambda t: t.priority,
    "owner": lambda t: t.owner_id,
    "team": lambda t: t.team_id,
    "pipeline": lambda t: t.pipeline_id,
    "category": lambda t: t.category,
    "source": lambda t: t.source,
}


TABLE_ROW = (
    '<tr id="table-row-{pk}">\n'
    '<td class="col-select"><input type="checkbox" name="ids" value="{pk}" form="bulk-form" '
    'aria-label="{select}"></td>\n'
    '<td class="col-name">\n'
    '<a class="ticket-link" href="{url}">{name}</a>\n'
    '<span class="ticket-number">#{pk}</span>\n'
    "{snippet}"
    "</td>\n"
    "{cells}"
    "</tr>\n"
)


@register.simple_tag(takes_context=True)
def table_rows(context) -> str:
    """The table's rows, built here as the list's are (workspace.ticket_row):
    50 rows of a dozen cells cost the template 2,300 nodes, a third of the
    table's time at a million tickets (issue 22). Reads `page`, `columns`,
    `query`, `known` and `row_url` from the page."""
    query, known = context.get("query"), context.get("known")
    keys = [key for key, _label in context.get("columns") or ()]
    select = _("Select ticket #%(number)s")
    prefix = context.get("row_url", "")
    drawn: dict[tuple, object] = {}  # SHARED_CELLS by (key, value)
    moment = when_reader()

    def cell(ticket, key: str):
        if key in TABLE_CELLS:
            return TABLE_CELLS[key](ticket)
        if key not in SHARED_CELLS:
            return table_cell(ticket, key, query, known, moment)
        shared = (key, SHARED_CELLS[key](ticket))
        if shared not in drawn:
            drawn[shared] = table_cell(ticket, key, query, known)
        return drawn[shared]

    rows = []
    for ticket in context["page"].tickets:
        snippet = ""
        if query and ticket.preview:
            snippet = html(
                '<span class="ticket-snippet">{}</span>\n', highlight(ticket.preview, query)
            )
        cells = html_cells([(key, cell(ticket, key)) for key in keys])
        rows.append(
            html(
                TABLE_ROW,
                pk=ticket.pk,
                select=select % {"number": ticket.pk},
                url=f"{prefix}{ticket.pk}/",
                name=highlight(ticket.name or "", query),
                snippet=snippet,
                cells=cells,
            )
        )
    return html_join("", "{}", ((row,) for row in rows))
