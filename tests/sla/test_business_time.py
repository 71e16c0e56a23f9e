"""Business-time arithmetic against a minute-by-minute reference (issue 7):
random weekly schedules with overnight periods, holidays and time zones with
clock changes; the reference walks the clock one minute at a time."""

import datetime
import zoneinfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sla.business import DAY, NoWorkingTime, Schedule

UTC = datetime.UTC
ZONES = ["UTC", "Europe/Helsinki", "Europe/Berlin", "Asia/Seoul", "America/New_York"]
MINUTE = datetime.timedelta(minutes=1)


def working(schedule: Schedule, moment: datetime.datetime) -> bool:
    """The reference: is this minute working time? Straight from the
    definitions, with no intervals."""
    local = moment.astimezone(schedule.time_zone)
    day, minute = local.date(), local.hour * 60 + local.minute
    if schedule.is_holiday(day):
        return False
    for start, end in schedule.periods[day.weekday()]:
        if start <= minute < (end if end > start else DAY):
            return True
    yesterday = (day.weekday() - 1) % 7
    return any(end <= start and minute < end for start, end in schedule.periods[yesterday])


def reference_between(schedule, start, end) -> datetime.timedelta:
    minutes, moment = 0, start
    while moment < end:
        minutes += working(schedule, moment)
        moment += MINUTE
    return minutes * MINUTE


def reference_add(schedule, start, duration) -> datetime.datetime:
    left, moment = duration // MINUTE, start
    while left:
        left -= working(schedule, moment)
        moment += MINUTE
    return moment


half_hours = st.integers(min_value=0, max_value=47).map(lambda n: n * 30)
period = st.tuples(st.integers(0, 6), half_hours, half_hours)


@st.composite
def schedules(draw):
    zone = draw(st.sampled_from(ZONES))
    raw = draw(st.lists(period, min_size=1, max_size=6))
    days = [[] for _ in range(7)]
    for weekday, start, end in raw:
        days[weekday].append((start, end))
    holidays = frozenset(
        draw(st.lists(st.dates(datetime.date(2026, 3, 20), datetime.date(2026, 4, 12)), max_size=4))
    )
    return Schedule(
        time_zone=zoneinfo.ZoneInfo(zone),
        periods=tuple(tuple(sorted(d)) for d in days),
        is_holiday=holidays.__contains__,
    )


# Around the March clock changes of Europe and North America.
moments = st.datetimes(
    min_value=datetime.datetime(2026, 3, 24), max_value=datetime.datetime(2026, 4, 2)
).map(lambda d: d.replace(second=0, microsecond=0, tzinfo=UTC))


def boundaries_exist(schedule: Schedule, start: datetime.datetime, days: int) -> bool:
    """Whether every period boundary exists exactly once as local time on
    the days involved: the reference reads wall clocks, so a boundary inside
    a skipped or repeated hour is the one case the two may round apart
    (documented in sla.business)."""
    zone = schedule.time_zone
    first = start.astimezone(zone).date() - datetime.timedelta(days=1)
    for offset in range(days + 2):
        day = first + datetime.timedelta(days=offset)
        for weekday_periods in schedule.periods:
            for start_minute, end_minute in weekday_periods:
                for minute in (start_minute, end_minute % DAY):
                    local = datetime.datetime.combine(day, datetime.time(minute // 60, minute % 60))
                    early = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
                    late = local.replace(tzinfo=zone, fold=1).astimezone(UTC)
                    if early != late:
                        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), moments, st.integers(min_value=0, max_value=4 * DAY))
def test_between_matches_the_minute_by_minute_reference(schedule, start, length):
    end = start + length * MINUTE
    assume(boundaries_exist(schedule, start, length // DAY + 2))
    assert schedule.between(start, end) == reference_between(schedule, start, end)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), moments, st.integers(min_value=0, max_value=600))
def test_add_matches_the_minute_by_minute_reference(schedule, start, minutes):
    duration = minutes * MINUTE
    expected = reference_add(schedule, start, duration)
    assume(expected - start < datetime.timedelta(days=9))
    assume(boundaries_exist(schedule, start, (expected - start).days + 2))
    assert schedule.add(start, duration) == expected
    # And the two operations agree with each other.
    assert schedule.between(start, schedule.add(start, duration)) == duration


def helsinki_office(**kwargs) -> Schedule:
    nine, five = datetime.time(9), datetime.time(17)
    return Schedule.weekly("Europe/Helsinki", [(d, nine, five) for d in range(5)], **kwargs)


def at(text: str, zone="Europe/Helsinki") -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(zone))


def test_nights_weekends_and_holidays_are_skipped():
    easter_monday = datetime.date(2026, 4, 6)
    office = helsinki_office(is_holiday=lambda day: day == easter_monday)
    # Friday 16:00 + 2 working hours: one on Friday, the next on Tuesday after Easter.
    assert office.add(at("2026-04-03 16:00"), datetime.timedelta(hours=2)) == at("2026-04-07 10:00")
    assert office.between(at("2026-04-03 16:00"), at("2026-04-07 10:00")) == datetime.timedelta(
        hours=2
    )


def test_a_night_shift_crossing_midnight_and_the_clock_change():
    # Saturday 22:00 to 06:00 in Helsinki; on 29 March 2026 clocks go from 03:00 to 04:00.
    night = Schedule.weekly("Europe/Helsinki", [(5, datetime.time(22), datetime.time(6))])
    shift = night.between(at("2026-03-28 12:00"), at("2026-03-29 12:00"))
    assert shift == datetime.timedelta(hours=7)  # 8 hours on the wall, 7 in real time
    assert night.add(at("2026-03-28 21:00"), datetime.timedelta(hours=7)) == at("2026-03-29 06:00")


def test_around_the_clock_is_plain_time_and_an_empty_calendar_says_so():
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    always = Schedule.around_the_clock()
    assert always.add(start, datetime.timedelta(hours=30)) == start + datetime.timedelta(hours=30)
    with pytest.raises(NoWorkingTime):
        Schedule(periods=((),) * 7).add(start, datetime.timedelta(minutes=1))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(), moments, st.integers(min_value=1, max_value=600))
def test_subtract_is_the_way_back(schedule, end, minutes):
    duration = minutes * MINUTE
    try:
        start = schedule.subtract(end, duration)
    except NoWorkingTime:
        assume(False)
    assume(end - start < datetime.timedelta(days=9))
    assume(boundaries_exist(schedule, start, (end - start).days + 2))
    assert schedule.between(start, end) == duration
    assert reference_between(schedule, start, end) == duration
