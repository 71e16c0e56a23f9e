"""Ticket tags (issue 17): the service, its timeline lines and signal, the
filters, search, the workspace, bulk actions and merging in settings."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower

from conversations.models import Notification
from sla import clocks
from sla.models import SlaSettings
from tests.factories import TicketFactory, UserFactory
from tickets import services
from tickets.models import Tag, TicketEvent, TicketTag
from tickets.signals import ticket_activity


@pytest.fixture
def ticket(pipeline, team_a):
    return TicketFactory(pipeline=pipeline, team=team_a, name="Refund for order 1042")


def tag_names(ticket) -> list[str]:
    return list(ticket.tags.order_by(Lower("name")).values_list("name", flat=True))


def tag_lines(ticket) -> list[tuple[str, str, str]]:
    events = ticket.events.filter(kind__in=["tagged", "untagged"]).order_by("id")
    return [(e.kind, e.old_value, e.new_value) for e in events]


# The service ---------------------------------------------------------------------


def test_adding_creates_unknown_tags_and_reuses_known_ones_whatever_their_case(ticket, agent):
    Tag.objects.create(name="Refund")
    services.ticket_tag(actor=agent, ticket=ticket, add=["  refund ", "VIP   customer"])
    assert tag_names(ticket) == ["Refund", "VIP customer"]
    assert Tag.objects.count() == 2


def test_one_timeline_line_per_tag_added_or_removed_by_the_actor(ticket, agent):
    services.ticket_tag(actor=agent, ticket=ticket, add=["refund", "vip"])
    services.ticket_tag(actor=agent, ticket=ticket, add=["refund"], remove=["VIP", "unknown"])
    assert tag_lines(ticket) == [
        ("tagged", "", "refund"),
        ("tagged", "", "vip"),
        ("untagged", "vip", ""),
    ]
    assert set(ticket.events.filter(kind="tagged").values_list("actor", flat=True)) == {agent.pk}
    assert tag_names(ticket) == ["refund"]


def test_a_tag_already_on_the_ticket_writes_nothing(ticket, agent):
    services.ticket_tag(actor=agent, ticket=ticket, add=["refund"])
    services.ticket_tag(actor=agent, ticket=ticket, add=["Refund"], remove=["never-there"])
    assert len(tag_lines(ticket)) == 1
    assert TicketTag.objects.filter(ticket=ticket).count() == 1


def test_tag_objects_are_accepted_too(ticket, agent):
    vip = Tag.objects.create(name="vip")
    services.ticket_tag(actor=agent, ticket=ticket, add=[vip])
    services.ticket_tag(actor=agent, ticket=ticket, remove=[vip])
    assert tag_names(ticket) == []
    assert [k for k, _o, _n in tag_lines(ticket)] == ["tagged", "untagged"]


def test_a_too_long_name_is_refused_and_nothing_changes(ticket, agent):
    with pytest.raises(ValidationError):
        services.ticket_tag(actor=agent, ticket=ticket, add=["ok", "x" * (Tag.NAME_MAX + 1)])
    assert Tag.objects.count() == 0
    assert tag_lines(ticket) == []


def test_blank_names_are_ignored(ticket, agent):
    services.ticket_tag(actor=agent, ticket=ticket, add=["", "   "])
    assert Tag.objects.count() == 0


def test_lines_written_by_a_rule_say_so(ticket, agent):
    with services.acting_as("rule", "Tag refunds"):
        services.ticket_tag(actor=None, ticket=ticket, add=["refund"])
    event = ticket.events.get(kind="tagged")
    assert (event.via, event.via_name) == ("rule", "Tag refunds")


def test_the_signal_names_what_was_added_and_removed(ticket, agent):
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs)

    ticket_activity.connect(receiver)
    try:
        services.ticket_tag(actor=agent, ticket=ticket, add=["refund", "vip"])
        services.ticket_tag(actor=agent, ticket=ticket, add=["refund"])  # no change: no signal
        services.ticket_tag(actor=agent, ticket=ticket, remove=["vip"])
    finally:
        ticket_activity.disconnect(receiver)
    assert [(s["kind"], s["added"], s["removed"], s["actor"]) for s in seen] == [
        ("tags", ["refund", "vip"], [], agent),
        ("tags", [], ["vip"], agent),
    ]


def test_sla_clocks_and_followers_ignore_tag_changes(ticket, agent, team_a, monkeypatch):
    SlaSettings.objects.update_or_create(pk=1, defaults={"enabled": True})
    follower = UserFactory(username="follower", main_team=team_a)
    services.ticket_follow(user=follower, ticket=ticket)
    saved = []
    monkeypatch.setattr(clocks.Clocks, "save", lambda self: saved.append(self))
    services.ticket_tag(actor=agent, ticket=ticket, add=["refund"])
    assert saved == []
    assert not Notification.objects.filter(ticket=ticket).exists()
    services.ticket_update(actor=agent, ticket=ticket, priority="high")
    assert len(saved) == 1  # the receiver is connected: a property change reaches it


def test_the_timeline_reads_the_tag_lines(client, agent, ticket):
    services.ticket_tag(actor=agent, ticket=ticket, add=["refund"])
    services.ticket_tag(actor=agent, ticket=ticket, remove=["refund"])
    client.force_login(agent)
    response = client.get(f"/tickets/{ticket.pk}/", follow=True)
    text = response.content.decode()
    assert "added the tag “refund”" in text
    assert "removed the tag “refund”" in text


# Merging tags (settings) -----------------------------------------------------------


def test_merge_moves_links_without_duplicates_and_deletes_the_others(pipeline, agent):
    refund, refunds, money = (Tag.objects.create(name=n) for n in ("refund", "refunds", "money"))
    both = TicketFactory(pipeline=pipeline)
    only_old = TicketFactory(pipeline=pipeline)
    services.ticket_tag(actor=agent, ticket=both, add=[refund, refunds, money])
    services.ticket_tag(actor=agent, ticket=only_old, add=[refunds])
    moved = services.tags_merge(into=refund, tags=[refund, refunds, money])
    assert moved == 1
    assert list(Tag.objects.values_list("name", flat=True)) == ["refund"]
    assert tag_names(both) == ["refund"]
    assert tag_names(only_old) == ["refund"]
    assert TicketTag.objects.count() == 2
    # The timeline keeps the lines as they were written.
    assert TicketEvent.objects.filter(kind="tagged", new_value="refunds").count() == 2
