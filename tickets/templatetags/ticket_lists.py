"""The ticket table's URLs and labels: the state with one thing changed (sort,
page, a condition left out), sort indicators, and condition values as labels."""

from django import template
from django.utils.html import format_html

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
    return (
        format_html(' <span class="sort-arrow" aria-hidden="true">{}</span>', arrow)
        if arrow
        else ""
    )


@register.simple_tag
def condition_value(condition, prop) -> str:
    """A condition's value as the agent reads it: choice labels, not ids."""
    if prop is not None and prop.choices and prop.type in ("choice", "sla"):
        labels = dict(prop.choices())
        return ", ".join(str(labels.get(v, v)) for v in condition.values)
    if condition.operator == "between":
        return " \u2013 ".join(condition.values)
    return condition.value


@register.filter
def column_value(ticket, key: str):
    """A custom property's value in a table row."""
    return (ticket.properties or {}).get(key, "")
