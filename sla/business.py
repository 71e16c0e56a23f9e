"""Business-time arithmetic for SLA deadlines (S32).

A `Schedule` is working time: periods per weekday in a time zone, minus
holidays, or every minute (24/7). Its two operations:

- `add(start, duration)`: the moment `duration` of working time after `start`;
- `subtract(end, duration)`: the moment `duration` of working time before `end`;
- `between(start, end)`: how much working time lies between two moments.

Definitions, tested against a minute-by-minute reference (tests/sla):

- A period (start, end) on a weekday is local wall-clock time in the
  schedule's zone. When end is not after start, the period runs past
  midnight: its part after midnight belongs to the next calendar day.
- A holiday removes all working time that falls on that local date,
  including the part of an overnight period that runs into it.
- Time is real elapsed time: on the night clocks go forward a period of
  00:00 to 08:00 holds 7 hours, on the night they go back 9.
- A period boundary that falls inside the hour a clock change skips starts
  (or ends) at the first moment at or after it; inside a repeated hour, at
  its first occurrence.
"""

import datetime
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

UTC = datetime.UTC
DAY = 24 * 60
# How far to look for working time before deciding there is none.
MAX_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    """The schedule has no working time within MAX_DAYS of the start."""


@dataclass
class Schedule:
    time_zone: zoneinfo.ZoneInfo = UTC
    # For each weekday (Monday = 0), (start, end) in minutes after midnight.
    periods: tuple = ((),) * 7
    is_holiday: Callable[[datetime.date], bool] = lambda day: False
    always: bool = False  # 24/7: every minute counts
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def around_the_clock(cls) -> "Schedule":
        return cls(always=True)

    @classmethod
    def weekly(
        cls,
        time_zone: str,
        periods: Iterable[tuple[int, datetime.time, datetime.time]],
        is_holiday: Callable[[datetime.date], bool] = lambda day: False,
    ) -> "Schedule":
        """From (weekday, start, end) triples."""
        days = [[] for _ in range(7)]
        for weekday, start, end in periods:
            days[weekday].append((start.hour * 60 + start.minute, end.hour * 60 + end.minute))
        return cls(
            time_zone=zoneinfo.ZoneInfo(time_zone),
            periods=tuple(tuple(sorted(d)) for d in days),
            is_holiday=is_holiday,
        )

    # Working intervals ------------------------------------------------------

    def intervals(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """The working time of local date `day`, as merged UTC intervals."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        minutes = []
        if not self.is_holiday(day):
            for start, end in self.periods[day.weekday()]:
                minutes.append((start, end if end > start else DAY))
            previous = (day.weekday() - 1) % 7
            for start, end in self.periods[previous]:
                if end <= start and end > 0:
                    minutes.append((0, end))
        spans = []
        for start, end in sorted(minutes):
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], end))
            else:
                spans.append((start, end))
        result = [(self._instant(day, s), self._instant(day, e)) for s, e in spans]
        result = [(a, b) for a, b in result if b > a]
        if len(self._cache) > 4096:
            self._cache.clear()
        self._cache[day] = result
        return result

    def _instant(self, day: datetime.date, minute: int) -> datetime.datetime:
        """The first moment whose local time on `day` is at or after `minute`."""
        if minute >= DAY:
            day, minute = day + datetime.timedelta(days=1), 0
        local = datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60))
        moment = local.replace(tzinfo=self.time_zone).astimezone(UTC)
        if moment.astimezone(self.time_zone).replace(tzinfo=None) == local:
            return moment  # exists (the first occurrence when repeated)
        # Skipped by a clock change: the change itself is the first moment after.
        before = local.replace(tzinfo=self.time_zone, fold=1).astimezone(UTC)
        while before < moment:
            step = before + datetime.timedelta(minutes=1)
            if step.astimezone(self.time_zone).replace(tzinfo=None) >= local:
                return step
            before = step
        return moment

    def _local_day(self, moment: datetime.datetime) -> datetime.date:
        return moment.astimezone(self.time_zone).date()

    def is_working(self, moment: datetime.datetime) -> bool:
        """Whether `moment` falls in working time."""
        if self.always:
            return True
        # The day's intervals include the part of the previous day's overnight
        # period that runs past midnight.
        return any(start <= moment < end for start, end in self.intervals(self._local_day(moment)))

    # Arithmetic -------------------------------------------------------------

    def add(self, start: datetime.datetime, duration: datetime.timedelta) -> datetime.datetime:
        """The moment `duration` of working time after `start`."""
        if self.always or duration <= datetime.timedelta(0):
            return start + max(duration, datetime.timedelta(0))
        left = duration
        # Start a day early: an overnight period from yesterday may cover `start`.
        day = self._local_day(start) - datetime.timedelta(days=1)
        for _ in range(MAX_DAYS):
            for begin, end in self.intervals(day):
                if end <= start:
                    continue
                begin = max(begin, start)
                if end - begin >= left:
                    return begin + left
                left -= end - begin
            day += datetime.timedelta(days=1)
        raise NoWorkingTime

    def subtract(self, end: datetime.datetime, duration: datetime.timedelta) -> datetime.datetime:
        """The moment `duration` of working time before `end` (the latest
        such moment: it may lie at the end of an earlier working period)."""
        if self.always or duration <= datetime.timedelta(0):
            return end - max(duration, datetime.timedelta(0))
        left = duration
        day = self._local_day(end) + datetime.timedelta(days=1)
        for _ in range(MAX_DAYS):
            for begin, finish in reversed(self.intervals(day)):
                if begin >= end:
                    continue
                finish = min(finish, end)
                if finish - begin >= left:
                    return finish - left
                left -= finish - begin
            day -= datetime.timedelta(days=1)
        raise NoWorkingTime

    def between(self, start: datetime.datetime, end: datetime.datetime) -> datetime.timedelta:
        """Working time from `start` to `end` (zero when end is not later)."""
        if end <= start:
            return datetime.timedelta(0)
        if self.always:
            return end - start
        total = datetime.timedelta(0)
        day = self._local_day(start) - datetime.timedelta(days=1)
        last = self._local_day(end)
        while day <= last:
            for begin, finish in self.intervals(day):
                overlap = min(finish, end) - max(begin, start)
                if overlap > datetime.timedelta(0):
                    total += overlap
            day += datetime.timedelta(days=1)
        return total
