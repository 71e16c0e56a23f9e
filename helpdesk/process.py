"""What a long-lived process does once it has loaded: the web's workers
(wsgi.py), Celery's workers (celery.py) and the bench, which measures
requests as a web worker serves them."""

import gc


def loaded() -> None:
    """Everything loaded by now (Django, our modules, URL patterns, the
    translation catalogs) lives as long as the process. Frozen out of the
    garbage collector's sight, it is no longer scanned by every full
    collection: that cost a ticket pane about 2 ms of 32 (issue 22)."""
    gc.freeze()
