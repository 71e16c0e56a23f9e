"""Dates and times in the agent's locale formats (issue 19): Korean and
Traditional Chinese zero-padded and ordered as those locales write them."""

import datetime

import pytest
from django.conf import settings
from django.utils import formats, timezone, translation

from tickets.templatetags.workspace import short_datetime, when, when_reader

MOMENT = datetime.datetime(2026, 3, 5, 7, 4, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("ko", "2026. 03. 05. 07:04"),
        ("zh-hant", "2026/03/05 07:04"),
        ("fi", "5.3.2026 7.04"),
        ("de", "05.03.2026 07:04"),
    ],
)
def test_older_times_show_in_the_locales_own_short_format(language, shown):
    with translation.override(language), timezone.override("UTC"):
        assert f">{shown}</time>" in when(MOMENT)


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_the_short_date_and_time_is_djangos_for_every_language(language):
    """short_datetime() splits each format once; what it draws is date_format()'s."""
    moments = [
        datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.UTC),  # midnight
        datetime.datetime(2026, 3, 5, 7, 4, tzinfo=datetime.UTC),
        datetime.datetime(2026, 6, 30, 12, 0, tzinfo=datetime.UTC),  # noon
        datetime.datetime(2026, 12, 31, 23, 59, tzinfo=datetime.UTC),
    ]
    with translation.override(language), timezone.override("Asia/Seoul"):
        for moment in moments:
            local = timezone.localtime(moment)
            assert short_datetime(local) == formats.date_format(local, "SHORT_DATETIME_FORMAT")


def _drawn(moment: datetime.datetime) -> str:
    """What when() drew before it kept anything: naturaltime within a day."""
    from django.contrib.humanize.templatetags.humanize import naturaltime
    from django.utils.html import escape

    local = timezone.localtime(moment)
    if timezone.now() - moment < datetime.timedelta(hours=24):
        shown = naturaltime(moment)
    else:
        shown = formats.date_format(local, "SHORT_DATETIME_FORMAT")
    return f'<time datetime="{local.isoformat()}">{escape(str(shown))}</time>'


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_dates_kept_between_pages_read_as_drawn_afresh(language):
    """when() keeps an older date's HTML per time zone and language, and a
    recent one's "3 hours ago" per hour (minute, second): each reads as if
    drawn afresh, in every language and time zone, at the edges of each unit;
    so does a page's when_reader(), which reads the zone and language once."""
    now = timezone.now()
    agos = [0, 1, 59, 60, 61, 119, 3599, 3600, 3601, 7199, 86_399, 86_401, 3 * 86_400]
    for zone in ("UTC", "Asia/Seoul", "America/New_York"):
        with translation.override(language), timezone.override(zone):
            page = when_reader()  # what a list's rows draw with: read once a page
            for seconds in agos:
                moment = now - datetime.timedelta(seconds=seconds, milliseconds=300)
                assert when(moment) == page(moment) == _drawn(moment), (zone, seconds)
            ahead = now + datetime.timedelta(minutes=5)
            assert when(ahead) == page(ahead) == _drawn(ahead)
