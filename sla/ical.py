"""Holidays from an iCal file (.ics): each all-day event is a day off, a
multi-day event every day it covers. Timed events (meetings) are skipped."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_BYTES = 2 * 2**20
MAX_DAYS = 3660  # ten years of days at most, whatever the file says


def holidays_from_ical(data: bytes) -> list[tuple[datetime.date, str]]:
    import icalendar

    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 2 MB."))
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError):
        raise ValidationError(_("This is not an iCal (.ics) file.")) from None
    days = {}
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART", None)
        if not isinstance(start, datetime.date) or isinstance(start, datetime.datetime):
            continue  # a timed event, not a day off
        end = event.decoded("DTEND", None)
        if not isinstance(end, datetime.date) or isinstance(end, datetime.datetime) or end <= start:
            end = start + datetime.timedelta(days=1)
        name = str(event.get("SUMMARY", ""))[:100]
        day = start
        while day < end and len(days) < MAX_DAYS:
            days.setdefault(day, name)
            day += datetime.timedelta(days=1)
    return sorted(days.items())
