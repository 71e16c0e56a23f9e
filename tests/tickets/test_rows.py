"""A view's list row (tickets.templatetags.workspace.ticket_row), built in
Python for speed: everything a customer or an agent typed is escaped, and
the row shows its owner, tags, priority and state as the template did."""

from django.template import engines
from django.utils import translation

from tests.factories import TicketFactory
from tickets.models import Priority, Tag, Ticket

ROW = engines["django"].from_string("{% load workspace %}{% ticket_row t %}")


def row(ticket, **context) -> str:
    ticket = (
        Ticket.objects.select_related("stage", "owner").prefetch_related("tags").get(pk=ticket.pk)
    )
    return ROW.render({"t": ticket, "row_url": "/views/all/tickets/", **context})


def test_what_people_typed_is_escaped(pipeline):
    ticket = TicketFactory(pipeline=pipeline, name='<script>alert("name")</script>')
    Ticket.objects.filter(pk=ticket.pk).update(
        contact_name='"><img src=x onerror=alert(1)>', preview="Tom & Jerry <b>bold</b>"
    )
    for name in ("<i>one</i>", "two", "three"):
        ticket.tags.add(Tag.objects.create(name=name, colour=""))
    html = row(ticket)
    assert "<script>" not in html and "&lt;script&gt;alert(&#34;name&#34;)" in html
    assert "<img" not in html and "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt;" in html
    # Two tags show, the third is counted; the count's tooltip names all three.
    assert '<span class="tag tag-grey">&lt;i&gt;one&lt;/i&gt;</span>' in html
    assert 'title="&lt;i&gt;one&lt;/i&gt;, three, two">+1</span>' in html


def test_the_row_shows_its_state_in_the_readers_language(pipeline, agent):
    ticket = TicketFactory(pipeline=pipeline, owner=agent, priority=Priority.URGENT)
    html = row(ticket, active_pk=ticket.pk, oob=True)
    assert f'id="row-{ticket.pk}" class="ticket-row is-active" hx-swap-oob="true"' in html
    assert f'href="/views/all/tickets/{ticket.pk}/"' in html
    assert f'<span class="avatar avatar-xs">{agent.initials}</span>' in html
    with translation.override("de"):
        html = row(TicketFactory(pipeline=pipeline))
    assert 'class="ticket-row" data-changed=' in html
    assert "Kein Kontakt" in html and "Nicht zugewiesen" in html
    assert "priority-" not in html
