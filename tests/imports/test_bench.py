"""The import's bench line runs (a tiny smoke, never the full size) and
leaves the database as it found it; the batch path's shortcuts keep what
the import reads the same wherever it runs."""

import datetime
import zoneinfo

from django.utils import timezone

from helpdesk.management import bench_imports
from imports.fields import parse_moment
from imports.models import ImportJob
from tickets.models import Ticket


def test_the_bench_line_imports_and_rolls_back(upload, pipeline, agent):
    line = bench_imports.rate(30)
    assert line.startswith("30 tickets (40 CSV rows) in ") and "rows/s" in line
    assert "load average" in line
    assert not Ticket.objects.exists() and not ImportJob.objects.exists()


def test_a_moment_without_a_zone_is_read_in_the_help_desks_zone(settings):
    """The dry run runs in the admin's request (their zone active), the
    import in the worker: both read the help desk's zone."""
    settings.TIME_ZONE = "Europe/Helsinki"
    with timezone.override(zoneinfo.ZoneInfo("Asia/Seoul")):
        moment = parse_moment("2024-06-01 09:00")
    assert moment == datetime.datetime(2024, 6, 1, 6, 0, tzinfo=datetime.UTC)
