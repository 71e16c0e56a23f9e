import datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from helpdesk.html import html
from sla import clocks
from sla.models import SlaOutcome
from tickets.templatetags.workspace import icon

register = template.Library()
GOALS = SlaOutcome.Goal  # labels translated when read


@register.simple_tag
def sla_badge(ticket, long=False) -> str:
    """The most urgent running SLA clock of `ticket` with the time left or
    past, or nothing (no goal, paused, closed). Built in Python: every row of
    a list shows one (tickets.rendering.ROW_BADGES)."""
    now = timezone.now()
    state = clocks.status(ticket, now)
    if state is None:
        return ""
    due = state["due"]
    if state["state"] == "overdue":
        text = _("Overdue by %(time)s") % {"time": timesince(due, now, depth=1)}
    else:
        text = _("%(time)s left") % {"time": timeuntil(due, now, depth=1)}
    goal = str(GOALS(state["goal"]).label)
    return html(
        '<span class="sla sla-{}" title="{}: {}">{}<span>{}{}</span></span>',
        state["state"],
        goal,
        date_format(timezone.localtime(due), "DATETIME_FORMAT"),
        icon("clock", 12),
        f"{goal} · " if long else "",
        text,
    )


@register.simple_tag
def sla_event(event) -> str:
    """A timeline line for an SLA event, in the reader's language."""
    field, _bar, parts = event.field.partition("|")
    goal = str(GOALS(field).label) if field in GOALS.values else field
    state = event.new_value
    if parts:
        return _changed_by_admin(event, goal, parts.split(","))
    if state == "met":
        return _("%(goal)s goal met") % {"goal": goal}
    if state == "missed":
        return _("%(goal)s goal missed") % {"goal": goal}
    if state == "due_soon":
        return _("%(goal)s is due soon") % {"goal": goal}
    if state == "overdue":
        return _("%(goal)s is overdue") % {"goal": goal}
    moved = {"goal": goal, "old": _when(event.old_value), "new": _when(state)}
    if event.old_value and not state:
        return _("%(goal)s no longer has a goal (it was due %(old)s)") % moved
    if event.old_value and state:
        return _("%(goal)s deadline moved from %(old)s to %(new)s") % moved
    return _("%(goal)s deadline set to %(new)s") % moved


# What an applied SLA change changed, as the timeline names it (issue 14).
CHANGED_PARTS = {
    "settings": lambda: pgettext("changed by", "SLA settings"),
    "goals": lambda: pgettext("changed by", "SLA goals"),
    "calendars": lambda: pgettext("changed by", "working hours"),
    "holidays": lambda: pgettext("changed by", "holidays"),
}


def _changed_by_admin(event, goal: str, parts: list[str]) -> str:
    """A deadline an admin's SLA change moved, applied to open tickets."""
    values = {
        "goal": goal,
        "old": _when(event.old_value),
        "new": _when(event.new_value),
        "what": ", ".join(CHANGED_PARTS[part]() for part in parts if part in CHANGED_PARTS),
        "name": event.actor.display_name if event.actor else _("a super admin"),
    }
    if not event.new_value:
        return (
            _("%(goal)s no longer has a goal (it was due %(old)s): %(what)s changed by %(name)s")
            % values
        )
    return (
        _("%(goal)s deadline moved from %(old)s to %(new)s: %(what)s changed by %(name)s") % values
    )


def _when(value: str) -> str:
    moment = parse_datetime(value) if value else None
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else "—"


@register.inclusion_tag("sla/clocks.html")
def sla_clocks(ticket):
    """Every SLA goal the ticket has a deadline for, with its state (the
    sidebar): running ones with the time left or past, stopped ones met or
    missed."""
    now = timezone.now()
    soon = datetime.timedelta(minutes=ticket.sla_due_soon_minutes)
    rows = []
    for clock, field in clocks.CLOCKS.items():
        due = getattr(ticket, field)
        if due is None:
            continue
        done = None
        if clock == "first_response":
            done = ticket.sla_first_response_at
        elif clock == "close" and not ticket.is_open:
            done = ticket.closed_at
        if done is not None:
            state = "met" if done <= due else "missed"
        elif ticket.sla_paused_at is not None:
            state = "paused"
        else:
            state = clocks.running_state(due, soon, now)
        rows.append({"goal": GOALS(clock).label, "state": state, "due": due})
    return {"rows": rows}
