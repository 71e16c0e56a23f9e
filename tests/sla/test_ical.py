"""Importing a company's days off from an iCal file into a calendar."""

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile

from sla.models import Calendar, Holiday

ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Acme//Days off//EN\r
BEGIN:VEVENT\r
UID:1@acme.example\r
DTSTART;VALUE=DATE:20261224\r
DTEND;VALUE=DATE:20261227\r
SUMMARY:Christmas break\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@acme.example\r
DTSTART:20261201T100000Z\r
DTEND:20261201T110000Z\r
SUMMARY:All-hands meeting\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_all_day_events_become_holidays_and_bad_files_are_refused(client, super_admin):
    calendar = Calendar.objects.create(name="Office", time_zone="Europe/Helsinki")
    Holiday.objects.create(calendar=calendar, date=datetime.date(2026, 12, 24), name="Kept")
    client.force_login(super_admin)
    url = f"/admin/sla/calendar/{calendar.pk}/import-holidays/"
    assert (
        "Import holidays from an iCal file"
        in client.get(f"/admin/sla/calendar/{calendar.pk}/change/").content.decode()
    )
    response = client.post(url, {"file": SimpleUploadedFile("days.ics", ICS)}, follow=True)
    assert "2 holidays added." in response.content.decode()
    assert list(calendar.holidays.values_list("date", "name")) == [
        (datetime.date(2026, 12, 24), "Kept"),
        (datetime.date(2026, 12, 25), "Christmas break"),
        (datetime.date(2026, 12, 26), "Christmas break"),
    ]
    bad = client.post(url, {"file": SimpleUploadedFile("x.ics", b"not a calendar")})
    assert bad.status_code == 200 and "This is not an iCal (.ics) file." in bad.content.decode()
    assert calendar.holidays.count() == 3
