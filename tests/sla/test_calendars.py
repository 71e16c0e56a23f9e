"""Working-hours calendars refuse overlapping periods (issue 14): the same
minutes would count twice in every deadline."""

import datetime

import pytest
from django.urls import reverse

from sla.models import Calendar, WorkingPeriod, overlapping_periods

MON, TUE, SUN = 0, 1, 6


def t(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


@pytest.mark.parametrize(
    ("periods", "overlap"),
    [
        ([(MON, t("09:00"), t("12:00")), (MON, t("13:00"), t("17:00"))], False),
        ([(MON, t("09:00"), t("12:00")), (MON, t("12:00"), t("17:00"))], False),
        ([(MON, t("09:00"), t("12:00")), (MON, t("11:00"), t("17:00"))], True),
        ([(MON, t("08:00"), t("18:00")), (MON, t("10:00"), t("11:00"))], True),
        ([(MON, t("22:00"), t("06:00")), (TUE, t("05:00"), t("09:00"))], True),
        ([(MON, t("22:00"), t("06:00")), (TUE, t("06:00"), t("09:00"))], False),
        ([(SUN, t("20:00"), t("02:00")), (MON, t("01:00"), t("09:00"))], True),
        ([(SUN, t("20:00"), t("02:00")), (MON, t("02:00"), t("09:00"))], False),
        ([(MON, t("09:00"), t("09:00")), (TUE, t("08:00"), t("10:00"))], True),
    ],
)
def test_overlapping_periods_are_found_also_past_midnight_and_the_weeks_end(periods, overlap):
    assert (overlapping_periods(periods) is not None) is overlap


def calendar_data(periods):
    data = {
        "name": "Helsinki",
        "time_zone": "Europe/Helsinki",
        "periods-TOTAL_FORMS": len(periods),
        "periods-INITIAL_FORMS": 0,
        "periods-MIN_NUM_FORMS": 0,
        "periods-MAX_NUM_FORMS": 1000,
        "holidays-TOTAL_FORMS": 0,
        "holidays-INITIAL_FORMS": 0,
        "holidays-MIN_NUM_FORMS": 0,
        "holidays-MAX_NUM_FORMS": 1000,
    }
    for i, (weekday, start, end) in enumerate(periods):
        data |= {
            f"periods-{i}-weekday": weekday,
            f"periods-{i}-start": start,
            f"periods-{i}-end": end,
        }
    return data


def test_the_calendar_admin_refuses_overlapping_periods(client, super_admin):
    client.force_login(super_admin)
    url = reverse("admin:sla_calendar_add")
    overlapping = [(MON, "09:00", "12:00"), (MON, "11:00", "17:00")]
    response = client.post(url, calendar_data(overlapping))
    assert response.status_code == 200
    assert "Monday 09:00-12:00 overlaps Monday 11:00-17:00" in response.content.decode()
    assert not Calendar.objects.exists()
    response = client.post(url, calendar_data([(MON, "09:00", "12:00"), (MON, "13:00", "17:00")]))
    assert response.status_code == 302 and WorkingPeriod.objects.count() == 2
