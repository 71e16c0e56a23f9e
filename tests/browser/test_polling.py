"""Every element that polls asks no more often than its interval allows. The
pages' clocks are Playwright's, stopped, and moved a second at a time: 31
seconds of polling take a moment, and a slow machine adds no polls."""

import datetime
import re
from collections import Counter
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.factories import TicketFactory, inbound_message

pytestmark = pytest.mark.browser

SECONDS = 31  # past the slowest interval, so that every poller runs
# Path pattern, the most requests it may make in SECONDS: one on load, where it
# loads, then one per interval (presence 5 s, chat 2 s, the list's live check
# 5 s, the sidebar counts and the notification badge 30 s), plus one for timer
# slack. The sidebar also asks for its counts when the live check saw a change,
# at most once in 15 s (static/js/live.js), and the list asks for the rows it
# redraws only then.
LIMITS = {
    r"/tickets/\d+/presence/$": 1 + SECONDS // 5 + 1,
    r"/views/[-\w]+/changes/$": SECONDS // 5 + 1,  # the list's live check
    r"/views/counts/$": 1 + SECONDS // 30 + SECONDS // 15 + 1,
    r"/notifications/count/$": 1 + SECONDS // 30 + 1,
    r"/chat/\w+/messages/$": 1 + SECONDS // 2 + 1,
}


def run_clock(page_list, seconds):
    """Advance the pages' clocks a second at a time and let the answers land."""
    for _ in range(seconds):
        for p in page_list:
            p.clock.run_for(1000)
        page_list[0].wait_for_timeout(60)


def test_nothing_polls_faster_than_its_interval(
    page, sign_in, browser, live_server, agent, pipeline
):
    from channels_inbound.models import ChatWidget

    ticket = TicketFactory(pipeline=pipeline, owner=agent, name="Printer jam")
    inbound_message(ticket, text="The printer jams again.")
    widget = ChatWidget.objects.create(
        name="Acme help", pipeline=pipeline, stage=pipeline.stages.first()
    )
    calls = Counter()

    def count(request):
        path = urlparse(request.url).path
        for pattern in LIMITS:
            if re.search(pattern, path):
                calls[pattern] += 1

    sign_in(agent)
    # Stopped a minute ahead: pausing must jump forward, and nothing is loaded yet.
    start = datetime.datetime.now(datetime.UTC)
    stopped = start + datetime.timedelta(minutes=1)
    page.clock.install(time=start)
    page.clock.pause_at(stopped)
    page.on("request", count)
    page.goto(f"/views/mine/tickets/{ticket.pk}/")
    expect(page.locator("#composer-reply [data-editor]")).to_be_visible()

    visitor = browser.new_context(base_url=live_server.url)
    chat = visitor.new_page()
    chat.clock.install(time=start)
    chat.clock.pause_at(stopped)
    chat.on("request", count)
    chat.goto(f"/chat/{widget.key}/")
    chat.locator("textarea[name=text]").fill("Is the shop open on Sunday?")
    chat.keyboard.press("Enter")
    expect(chat.locator(".chat-mine")).to_have_text("Is the shop open on Sunday?")

    run_clock([page, chat], SECONDS)
    visitor.close()
    # Each poller did run, and none ran more often than it should.
    assert set(calls) == set(LIMITS), f"some poller never ran: {dict(calls)}"
    # They keep polling (a poll still waiting for its answer skips a turn).
    assert calls[r"/tickets/\d+/presence/$"] >= 3, calls
    assert calls[r"/chat/\w+/messages/$"] >= 5, calls
    over = {p: n for p, n in calls.items() if n > LIMITS[p]}
    assert not over, f"polled too often in {SECONDS} s: {over} (all: {dict(calls)})"
