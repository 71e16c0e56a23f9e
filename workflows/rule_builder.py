"""The rule builder's conditions (settings): each condition is a row of
property, operator and value, added and re-drawn with htmx as the property
changes. The choices come from the same registry as the table's advanced
filters (tickets.filters) plus the event's own (workflows.conditions), and a
saved rule's triples are exactly what a filter URL carries."""

import re
import secrets

from django import forms
from django.template.loader import render_to_string
from django.urls import reverse

from tickets import filters

from . import conditions

ROW = re.compile(r"^(?P<prefix>all|any)-(?P<index>\d{1,10})-key$")


def row_context(prefix: str, index: int | str, key: str, operator: str, value: str, known):
    prop = known.get(key)
    operators = prop.operators if prop else []
    if prop and operator not in dict(operators):
        operator = operators[0][0]
    choices = prop.choices() if prop and prop.choices else None
    values = filters.Condition(key, operator, value).values
    return {
        "prefix": prefix,
        "index": index,
        "index_text": str(index),
        "pick": "checkbox" if operator == "any_of" else "radio",
        "key": key,
        "operator": operator,
        "value": value,
        "values": values,
        "prop": prop,
        "operators": operators,
        "choices": [(str(v), label) for v, label in choices] if choices is not None else None,
        "valueless": operator in filters.VALUELESS,
        "known": known,
        "row_url": reverse("admin:workflows_rule_condition_row"),
    }


def render_row(prefix, index, key="", operator="", value="", known=None) -> str:
    known = known if known is not None else conditions.known_properties()
    return render_to_string(
        "workflows/admin/condition_row.html",
        row_context(prefix, index, key, operator, value, known),
    )


def new_index() -> int:
    return secrets.randbelow(10**9)


def posted_rows(data, prefix: str) -> list[list[str]]:
    """The rows of one list as posted, in the order shown."""
    rows = []
    for name in data:
        match = ROW.match(name)
        if not match or match["prefix"] != prefix or not data.get(name):
            continue
        base = f"{prefix}-{match['index']}"
        values = [v.strip() for v in data.getlist(f"{base}-value") if v.strip()]
        rows.append([data.get(name), data.get(f"{base}-op", ""), ",".join(values)])
    return rows


class ConditionsWidget(forms.Widget):
    def __init__(self, prefix: str, attrs=None):
        super().__init__(attrs)
        self.prefix = prefix

    def value_from_datadict(self, data, files, name):
        return posted_rows(data, self.prefix)

    def render(self, name, value, attrs=None, renderer=None):
        known = conditions.known_properties()
        if isinstance(value, str):
            value = []
        rows = [
            row_context(self.prefix, i, *[*triple, "", "", ""][:3], known)
            for i, triple in enumerate(value or [])
        ]
        return render_to_string(
            "workflows/admin/conditions.html",
            {
                "prefix": self.prefix,
                "rows": rows,
                "row_url": reverse("admin:workflows_rule_condition_row"),
            },
        )


class ConditionsField(forms.Field):
    def __init__(self, prefix: str, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(widget=ConditionsWidget(prefix), **kwargs)
        self.time_based = False

    def clean(self, value):
        return conditions.clean(value or [], time_based=self.time_based)
