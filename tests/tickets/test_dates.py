"""Dates and times in the agent's locale formats (issue 19): Korean and
Traditional Chinese zero-padded and ordered as those locales write them."""

import datetime

import pytest
from django.utils import timezone, translation

from tickets.templatetags.workspace import when

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
