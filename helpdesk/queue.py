"""Queueing background work from a request without depending on the broker.

Every task the web side queues has its row in the database already (an outbox
row, an inbound log row), and a beat sweep queues rows that wait too long. So
when Redis is down the request still succeeds: the work is queued later
instead of failing the agent's reply or the ESP's webhook (RELIABILITY 13).
"""

import logging

log = logging.getLogger(__name__)


def enqueue(task, *args) -> bool:
    """task.delay(*args); on a broker failure, log it and return False.

    `task` may be the task's registered name ("conversations.tasks.x"): a module
    that its own tasks module imports queues its work by name, so the two do
    not import each other.
    """
    if isinstance(task, str):
        from celery import current_app

        task = current_app.tasks[task]
    try:
        task.delay(*args)
    except Exception as error:  # kombu and redis raise many kinds; all mean "not queued"
        log.warning("%s%r not queued (%s); its sweep will", task.name, args, type(error).__name__)
        return False
    return True
