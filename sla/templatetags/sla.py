from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from sla import clocks

register = template.Library()

GOALS = {
    "first_response": _("First response"),
    "next_response": _("Next response"),
    "close": _("Time to close"),
}


@register.inclusion_tag("sla/badge.html")
def sla_badge(ticket, long=False):
    """The most urgent running SLA clock of `ticket` with the time left or
    past, or nothing (no goal, paused, closed)."""
    now = timezone.now()
    state = clocks.status(ticket, now)
    if state is None:
        return {"state": None}
    due = state["due"]
    if state["state"] == "overdue":
        text = _("Overdue by %(time)s") % {"time": timesince(due, now, depth=1)}
    else:
        text = _("%(time)s left") % {"time": timeuntil(due, now, depth=1)}
    goal = str(GOALS[state["goal"]])
    return {"state": state["state"], "text": text, "goal": goal, "due": due, "long": long}
