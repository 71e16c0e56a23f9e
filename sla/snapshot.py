"""The SLA configuration as data (issue 14): a snapshot of settings, goals
and calendars (`changes.config_snapshot`) read the way the clocks read the
live configuration. A deadline is computed with one configuration and keeps
it until a change is applied, so both the clocks and the apply read older
snapshots. A leaf of the app: the clocks and the changes both use it.
"""

import datetime
from dataclasses import dataclass, field

from tickets.models import Ticket

from .business import Schedule
from .models import SlaSettings

CUSTOM = "property:"  # goals_by prefix of a custom choice property


@dataclass
class Config:
    """A snapshot read the way the clocks read the live configuration
    (`clocks.goal_for`, `clocks.schedule_for`), without a query."""

    snapshot: dict
    _schedules: dict = field(default_factory=dict)

    def goal(self, ticket: Ticket, previous: dict | None = None) -> dict | None:
        """The ticket's goals; with `previous` (a change's values before, as
        the clocks get them), the goals it had before that change."""
        settings = self.snapshot["settings"]
        if not settings["enabled"]:
            return None
        selector = settings["goals_by"]
        key = selector.removeprefix(CUSTOM)
        if previous and selector and key in previous:
            value = previous[key]
        elif not selector:
            value = ""
        elif selector.startswith(CUSTOM):
            value = ticket.properties.get(key, "")
        else:
            value = getattr(
                ticket, f"{selector}_id" if selector in ("team", "pipeline") else selector
            )
        goal = self.snapshot["goals"].get(str(value or ""))
        return goal if goal and goal["on"] else None

    def calendar(self, team_id: int | None) -> dict | None:
        if self.snapshot["settings"]["mode"] == SlaSettings.Mode.ALWAYS:
            return None
        calendars = self.snapshot["calendars"]
        return next((c for c in calendars if team_id in c["teams"]), None) or next(
            (c for c in calendars if c["default"]), None
        )

    def schedule(self, calendar: dict | None) -> Schedule:
        key = calendar["id"] if calendar else None
        if key not in self._schedules:
            self._schedules[key] = _schedule(calendar)
        return self._schedules[key]


def _schedule(calendar: dict | None) -> Schedule:
    if calendar is None:
        return Schedule.around_the_clock()
    own = {datetime.date.fromisoformat(day) for day in calendar["holidays"]}
    public = None
    if calendar["country"]:
        import holidays

        public = holidays.country_holidays(
            calendar["country"], subdiv=calendar["subdivision"] or None
        )
    return Schedule.weekly(
        calendar["time_zone"],
        [
            (weekday, datetime.time.fromisoformat(start), datetime.time.fromisoformat(end))
            for weekday, start, end in calendar["periods"]
        ],
        is_holiday=lambda day: day in own or (public is not None and day in public),
    )
