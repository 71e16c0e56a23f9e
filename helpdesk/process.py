"""What a long-lived process does once it has loaded: the web's workers
(wsgi.py), Celery's workers (celery.py) and the bench, which measures
requests as a web worker serves them."""

import gc

from django.urls import get_resolver

# The youngest generation is collected after this many new objects, not
# Python's 700: a table page makes some 1,300 and was collected twice per
# request. Measured at 100k (issue 22): the collector's share of a table
# page 0.78 -> 0.41-0.54 ms.
YOUNGEST_THRESHOLD = 5000


def loaded() -> None:
    """Everything loaded by now (Django, our modules, the URL patterns and
    the views they import, the translation catalogs) lives as long as the
    process. Frozen out of the garbage collector's sight, it is no longer
    scanned by every full collection: that cost a ticket pane about 2 ms of
    32 (issue 22). The URL patterns are loaded first, not by the first
    request: left out, they and their views were 34,000 more objects for
    every full collection to scan (0.30 -> 0.10 ms a table page)."""
    get_resolver().reverse_dict  # noqa: B018  (loads every URL pattern and view)
    gc.collect()
    gc.freeze()
    _threshold, *older = gc.get_threshold()
    gc.set_threshold(YOUNGEST_THRESHOLD, *older)
