"""Ticket tags (issue 17): the service, its timeline lines and signal, the
filters, search, the workspace, bulk actions and merging in settings."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.urls import reverse

from conversations.models import Notification
from sla import clocks
from sla.models import SlaSettings
from tests.factories import TicketFactory, UserFactory
from tickets import filters, search, services
from tickets.models import SavedView, Tag, Ticket, TicketEvent, TicketTag
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


def test_names_beyond_ascii_match_whatever_their_case(ticket, agent):
    Tag.objects.create(name="Rückerstattung")
    services.ticket_tag(actor=agent, ticket=ticket, add=["RÜCKERSTATTUNG", "환불"])
    services.ticket_tag(actor=agent, ticket=ticket, add=["환불"])
    assert tag_names(ticket) == ["Rückerstattung", "환불"]
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


# Filters, quick filter and search ----------------------------------------------------


@pytest.fixture
def tagged(pipeline, agent):
    """Four tickets: refund only, refund and vip, vip only, no tags."""
    made = {}
    for name, tags in (
        ("Refund only", ["refund"]),
        ("Refund vip", ["refund", "vip"]),
        ("Vip only", ["vip"]),
        ("Untagged", []),
    ):
        made[name] = TicketFactory(pipeline=pipeline, name=name)
        services.ticket_tag(actor=agent, ticket=made[name], add=tags)
    return made


def tag_id(name: str) -> str:
    return str(Tag.objects.get(name=name).pk)


def filtered(agent, *conditions) -> set[str]:
    state = filters.ListState([filters.Condition(*c) for c in conditions])
    return set(filters.apply(Ticket.objects.all(), state, agent).values_list("name", flat=True))


def test_tag_filter_operators(tagged, agent):
    refund, vip = tag_id("refund"), tag_id("vip")
    assert filtered(agent, ("tags", "has_any", f"{refund},{vip}")) == {
        "Refund only",
        "Refund vip",
        "Vip only",
    }
    assert filtered(agent, ("tags", "has_all", f"{refund},{vip}")) == {"Refund vip"}
    assert filtered(agent, ("tags", "has_none", refund)) == {"Vip only", "Untagged"}
    assert filtered(agent, ("tags", "has_none", f"{refund},{vip}")) == {"Untagged"}


def test_tag_filter_refuses_other_operators_and_values(tagged, agent):
    with pytest.raises(filters.FilterError):
        filtered(agent, ("tags", "any_of", tag_id("vip")))
    with pytest.raises(filters.FilterError):
        filtered(agent, ("tags", "has_any", "vip"))  # ids, not names


def table(client, slug="all", **params):
    return client.get(reverse("tickets:view_list", args=[slug]), params)


def names(response) -> set[str]:
    return {t.name for t in response.context["page"].tickets}


def test_quick_filter_by_tag(client, agent, tagged):
    client.force_login(agent)
    response = table(client, tags=tag_id("vip"))
    assert names(response) == {"Refund vip", "Vip only"}
    assert response.context["state"].quick("tags") == [tag_id("vip")]
    assert response.context["advanced"] == []  # shown as the quick filter, not a chip


def test_search_tag_narrows_to_tickets_with_that_tag(client, agent, tagged):
    client.force_login(agent)
    assert names(table(client, q="tag:REFUND")) == {"Refund only", "Refund vip"}
    assert names(table(client, q="tag:refund tag:vip")) == {"Refund vip"}
    assert names(table(client, q="tag:refund only")) == {"Refund only"}
    assert names(table(client, q="tag:nosuchtag")) == set()
    # Sorted, not ranked, the same.
    assert names(table(client, q="tag:vip", sort="name")) == {"Refund vip", "Vip only"}


def test_search_parses_quoted_tag_names():
    query = search.parse('tag:"vip customer" printer tag:refund')
    assert query.tags == ("vip customer", "refund")
    assert [t.alternatives for t in query.terms] == [(("printer", True),)]


def test_table_shows_tags_with_constant_queries(
    client, agent, pipeline, django_assert_max_num_queries
):
    for i in range(3):
        services.ticket_tag(
            actor=agent, ticket=TicketFactory(pipeline=pipeline, name=f"T{i}"), add=["a", "b"]
        )
    client.force_login(agent)
    table(client)
    with django_assert_max_num_queries(40) as few:
        response = table(client, tags=tag_id("a"))
    assert 'class="tag tag-grey">a</span>' in response.content.decode()
    allowed = len(few.captured_queries)
    for i in range(20):
        services.ticket_tag(
            actor=agent,
            ticket=TicketFactory(pipeline=pipeline, name=f"T{i + 3}"),
            add=["a", f"tag {i}"],
        )
    table(client)  # new tags change the settings' version: read again once (helpdesk.memo)
    with django_assert_max_num_queries(allowed):
        table(client, tags=tag_id("a"))


def test_list_rows_show_tags_with_constant_queries(
    client, agent, pipeline, django_assert_max_num_queries
):
    url = reverse("tickets:view_tickets", args=["all-open"])
    for i in range(3):
        services.ticket_tag(actor=agent, ticket=TicketFactory(pipeline=pipeline), add=[f"x{i}"])
    client.force_login(agent)
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        response = client.get(url)
    assert ">x2</span>" in response.content.decode()
    for i in range(20):
        services.ticket_tag(actor=agent, ticket=TicketFactory(pipeline=pipeline), add=[f"y{i}"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


# The open ticket --------------------------------------------------------------------


def test_add_and_remove_tags_inline(client, agent, ticket, htmx):
    client.force_login(agent)
    url = reverse("tickets:ticket_tags", args=[ticket.pk])
    response = client.post(url, {"add": "refund, vip", "view": "all-open"}, headers=htmx())
    html = response.content.decode()
    assert 'id="ticket-tags"' in html
    assert 'data-tag="refund"' in html and 'data-tag="vip"' in html
    assert f'id="row-{ticket.pk}"' in html  # the list row, out of band
    assert "added the tag “vip”" in html  # the timeline, out of band
    vip = Tag.objects.get(name="vip")
    client.post(url, {"remove": vip.pk, "view": "all-open"}, headers=htmx())
    assert tag_names(ticket) == ["refund"]


def test_a_too_long_tag_is_said_next_to_the_input(client, agent, ticket, htmx):
    client.force_login(agent)
    url = reverse("tickets:ticket_tags", args=[ticket.pk])
    response = client.post(url, {"add": "x" * 60, "view": "all-open"}, headers=htmx())
    assert "at most 50 characters" in response.content.decode()
    assert Tag.objects.count() == 0


def test_tagging_a_ticket_out_of_sight_is_a_404(client, outsider, ticket):
    client.force_login(outsider)
    url = reverse("tickets:ticket_tags", args=[ticket.pk])
    assert client.post(url, {"add": "refund"}).status_code == 404
    assert Tag.objects.count() == 0


def test_suggestions_start_with_the_typed_text(client, agent):
    for name in ("refund", "partial refund", "vip"):
        Tag.objects.create(name=name)
    client.force_login(agent)
    response = client.get(reverse("tickets:tag_suggestions"), {"add": "REF"})
    assert response.content.decode().split() == [
        "<option",
        'value="refund"></option><option',
        'value="partial',
        'refund"></option>',
    ]


# Bulk ----------------------------------------------------------------------------


def test_bulk_add_and_remove_a_tag(client, agent, tagged):
    client.force_login(agent)
    url = reverse("tickets:bulk_action", args=["all"])
    ids = [tagged["Untagged"].pk, tagged["Refund only"].pk]
    vip = tag_id("vip")
    response = client.post(url, {"ids": ids, "action": "tag_add", "tag_add_value": vip})
    assert response.status_code == 302
    assert tag_names(tagged["Untagged"]) == ["vip"]
    assert tag_names(tagged["Refund only"]) == ["refund", "vip"]
    client.post(url, {"ids": ids, "action": "tag_remove", "tag_remove_value": vip})
    assert tag_names(tagged["Untagged"]) == []
    assert tag_lines(tagged["Untagged"]) == [("tagged", "", "vip"), ("untagged", "vip", "")]


def test_bulk_tag_needs_a_tag(client, agent, tagged):
    client.force_login(agent)
    url = reverse("tickets:bulk_action", args=["all"])
    ids = [tagged["Untagged"].pk]
    client.post(url, {"ids": ids, "action": "tag_add", "tag_add_value": "999999"})
    client.post(url, {"ids": ids, "action": "tag_add", "tag_add_value": ""})
    assert tag_names(tagged["Untagged"]) == []


# Settings ----------------------------------------------------------------------


def test_settings_list_tags_with_their_ticket_counts(client, super_admin, tagged):
    client.force_login(super_admin)
    response = client.get(reverse("admin:tickets_tag_changelist"))
    assert response.status_code == 200
    counts = {t.name: t.ticket_count for t in response.context["cl"].result_list}
    assert counts == {"refund": 2, "vip": 2}


def test_settings_rename_refuses_a_name_another_tag_has_in_any_case(client, super_admin):
    refund, vip = Tag.objects.create(name="refund"), Tag.objects.create(name="vip")
    client.force_login(super_admin)
    url = reverse("admin:tickets_tag_change", args=[vip.pk])
    response = client.post(url, {"name": "  REFUND ", "colour": "red"})
    assert response.status_code == 200
    assert "A tag with this name already exists." in response.content.decode()
    client.post(url, {"name": "  very   important ", "colour": "red"})
    vip.refresh_from_db()
    assert (vip.name, vip.colour) == ("very important", "red")
    assert refund.name == "refund"


def test_settings_merge_asks_which_tag_stays_then_merges(client, super_admin, tagged):
    client.force_login(super_admin)
    url = reverse("admin:tickets_tag_changelist")
    ids = [tag_id("refund"), tag_id("vip")]
    response = client.post(url, {"action": "merge_tags", "_selected_action": ids})
    assert response.status_code == 200
    assert "Choose the tag to keep." in response.content.decode()
    assert Tag.objects.count() == 2
    response = client.post(
        url,
        {"action": "merge_tags", "_selected_action": ids, "into": ids[1], "apply": "1"},
    )
    assert response.status_code == 302
    assert list(Tag.objects.values_list("name", flat=True)) == ["vip"]
    assert tag_names(tagged["Refund only"]) == ["vip"]
    assert tag_names(tagged["Refund vip"]) == ["vip"]
    assert TicketTag.objects.count() == 3


def test_a_quick_tag_filter_saved_as_a_view_keeps_its_operator(client, agent, tagged):
    client.force_login(agent)
    vip = tag_id("vip")
    client.post(
        reverse("tickets:view_create"), {"name": "VIP", "sharing": "private", "state_tags": vip}
    )
    saved = SavedView.objects.get(name="VIP")
    assert saved.filters == [["tags", "has_any", vip]]
    assert names(table(client, saved.slug)) == {"Refund vip", "Vip only"}


def test_a_list_row_shows_two_tags_and_how_many_more(client, agent, pipeline):
    ticket = TicketFactory(pipeline=pipeline)
    services.ticket_tag(actor=agent, ticket=ticket, add=["a1", "a2", "a3", "a4"])
    client.force_login(agent)
    html = client.get(reverse("tickets:view_tickets", args=["all-open"])).content.decode()
    row = html[html.index(f'id="row-{ticket.pk}"') :]
    row = row[: row.index("</li>")]
    assert ">a1</span>" in row and ">a2</span>" in row and ">a3</span>" not in row
    assert ">+2</span>" in row
