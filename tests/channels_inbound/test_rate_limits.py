"""Rate limits of the public pages hold across web processes (RELIABILITY 67):
without Redis each process had its own memory cache, so four workers let
four times the limit through."""

import os

import pytest
from django.core.cache import cache
from django.test import RequestFactory

from channels_inbound.public import rate_limited


def request(address="203.0.113.7"):
    return RequestFactory().post("/", REMOTE_ADDR=address)


def test_without_redis_the_count_survives_another_process(db, settings):
    settings.HELPDESK_FORM_RATE = 3
    assert [rate_limited(request()) for _ in range(2)] == [False, False]
    cache.clear()  # what a second web process sees of the first one's memory: nothing
    assert [rate_limited(request()) for _ in range(2)] == [False, True]


def test_each_address_and_bucket_counts_apart(db, settings):
    settings.HELPDESK_FORM_RATE = 1
    settings.HELPDESK_CHAT_RATE = 1
    assert not rate_limited(request())
    assert rate_limited(request())
    assert not rate_limited(request("198.51.100.9"))
    assert not rate_limited(request(), "chat")


def test_the_hourly_limit_is_ten_minutes_worth(db, settings, time_machine):
    settings.HELPDESK_FORM_RATE = 1
    hits = []
    for minute in range(12):
        time_machine.move_to(f"2026-12-04 10:{minute:02d}:30+00:00")
        hits.append(rate_limited(request()))
    assert hits == [False] * 10 + [True] * 2


def test_a_hit_now_and_then_purges_the_expired_counters(db, settings, monkeypatch, time_machine):
    from channels_inbound import public
    from channels_inbound.models import RateCounter

    settings.HELPDESK_FORM_RATE = 5
    time_machine.move_to("2026-12-04 10:00:30+00:00")
    rate_limited(request("198.51.100.9"))
    expired = set(RateCounter.objects.values_list("key", flat=True))
    time_machine.move_to("2026-12-04 12:00:30+00:00")  # past the hour's window too
    monkeypatch.setattr(public, "PURGE_CHANCE", 1)
    rate_limited(request())
    kept = set(RateCounter.objects.values_list("key", flat=True))
    assert expired and not expired & kept and kept


@pytest.mark.skipif(not os.environ.get("REDIS_TEST_URL"), reason="needs Redis")
def test_with_redis_the_count_is_kept_in_redis(db, settings):
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_TEST_URL"],
        }
    }
    caches["default"].clear()
    settings.HELPDESK_FORM_RATE = 1
    assert not rate_limited(request())
    assert rate_limited(request())
