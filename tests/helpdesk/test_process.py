"""What a web or Celery worker does once loaded (helpdesk.process)."""

from unittest import mock

from django.urls import clear_url_caches, get_resolver

from helpdesk import process


def test_a_loaded_worker_freezes_its_url_patterns_and_views_with_the_rest():
    """The URL patterns (and the views they import) are loaded before the
    freeze, not by the first request, so full collections never scan them;
    the youngest generation waits for more new objects than Python's 700."""
    populated_when_frozen = []
    clear_url_caches()  # a worker that has served nothing yet
    with (
        mock.patch(
            "gc.freeze", side_effect=lambda: populated_when_frozen.append(get_resolver()._populated)
        ),
        mock.patch("gc.collect"),
        mock.patch("gc.set_threshold") as set_threshold,
    ):
        process.loaded()
    assert populated_when_frozen == [True]
    threshold, *_older = set_threshold.call_args.args
    assert threshold == process.YOUNGEST_THRESHOLD > 700
