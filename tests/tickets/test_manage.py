"""Managing an open ticket (S10, S11): following, concurrent edits, moving to
another pipeline, delete, restore and purge, the timeline's pages, and the
address of a merged ticket."""

import datetime
import re
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from channels_inbound.models import InboundItem
from conversations import services as conversation_services
from conversations.models import Attachment, Message
from tests.factories import (
    ContactFactory,
    PipelineFactory,
    PropertyDefinitionFactory,
    StageFactory,
    TicketFactory,
    UserFactory,
    inbound_message,
)
from tickets import queries, services
from tickets.access import deleted_tickets, visible_tickets
from tickets.models import Follower, Ticket, TicketEvent, TicketSettings


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Stored files land in a directory of this test's own."""
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ticket(pipeline, team_a):
    return TicketFactory(pipeline=pipeline, team=team_a, name="Printer on fire", priority="low")


@pytest.fixture
def aino(team_a):
    return UserFactory(username="aino", first_name="Aino", last_name="Virtanen", main_team=team_a)


@pytest.fixture
def bruno(team_a):
    return UserFactory(username="bruno", first_name="Bruno", last_name="Costa", main_team=team_a)


def stage(pipeline, name):
    return pipeline.stages.get(name=name)


def followers(ticket):
    return set(Follower.objects.filter(ticket=ticket).values_list("user_id", flat=True))


def receive(ticket, *, text="Here is the file.", files=()):
    """A customer's email stored as ingestion stores it, with its files."""
    contact = ContactFactory()
    return conversation_services.message_receive(
        ticket=ticket,
        thread=None,
        channel="email",
        contact=contact,
        from_name=contact.display_name,
        from_email=contact.email,
        to=["support@helpdesk.example"],
        cc=[],
        subject=ticket.name,
        html="",
        text=text,
        files=list(files),
    )


def a_file(name="report.pdf", data=b"%PDF-1.4 report"):
    return conversation_services.InboundFile(
        filename=name, content_type="application/pdf", data=data
    )


# Following --------------------------------------------------------------------


def test_following_and_unfollowing_are_idempotent(agent, ticket):
    assert services.ticket_follow(user=agent, ticket=ticket) is True
    assert services.ticket_follow(user=agent, ticket=ticket) is True
    assert list(ticket.followers.all()) == [agent]
    assert services.ticket_follow(user=agent, ticket=ticket, follow=False) is False
    assert services.ticket_follow(user=agent, ticket=ticket, follow=False) is False
    assert not Follower.objects.filter(ticket=ticket).exists()


def test_followers_add_leaves_existing_followers_alone(agent, team_agent, ticket):
    services.ticket_follow(user=agent, ticket=ticket)
    first = Follower.objects.get(ticket=ticket, user=agent)
    services.followers_add(ticket, [agent, team_agent, None])
    assert followers(ticket) == {agent.pk, team_agent.pk}
    assert Follower.objects.get(ticket=ticket, user=agent).pk == first.pk


def test_the_follow_button_follows_and_unfollows(client, agent, ticket, htmx):
    client.force_login(agent)
    url = reverse("tickets:ticket_follow", args=[ticket.pk])
    followed = client.post(url, {"follow": "1"}, headers=htmx())
    assert followed.status_code == 200
    assert 'aria-pressed="true"' in followed.content.decode()
    assert followers(ticket) == {agent.pk}
    unfollowed = client.post(url, {"follow": "0"}, headers=htmx())
    assert 'aria-pressed="false"' in unfollowed.content.decode()
    assert followers(ticket) == set()


def test_an_outsider_cannot_follow_a_ticket_they_cannot_see(client, outsider, ticket):
    client.force_login(outsider)
    response = client.post(reverse("tickets:ticket_follow", args=[ticket.pk]), {"follow": "1"})
    assert response.status_code == 404
    assert followers(ticket) == set()


def test_owners_follow_their_tickets_when_the_setting_is_on(agent, aino, pipeline):
    TicketSettings.objects.create(owners_follow=True)
    ticket = TicketFactory(pipeline=pipeline, owner=agent)
    assert followers(ticket) == {agent.pk}
    services.ticket_update(actor=agent, ticket=ticket, owner=aino)
    assert followers(ticket) == {agent.pk, aino.pk}


def test_owners_do_not_follow_when_the_setting_is_off(agent, aino, pipeline):
    TicketSettings.objects.create(owners_follow=False)
    ticket = TicketFactory(pipeline=pipeline, owner=agent)
    services.ticket_update(actor=agent, ticket=ticket, owner=aino)
    assert followers(ticket) == set()


# Concurrent edits ---------------------------------------------------------------


def test_a_stale_priority_edit_is_refused_naming_who_changed_it(aino, bruno, ticket):
    # Both agents load the ticket while its priority is "low".
    seen_by_aino = seen_by_bruno = ticket.priority
    assert seen_by_aino == "low"
    services.ticket_update(
        actor=aino, ticket=ticket, priority="high", expected={"priority": seen_by_aino}
    )
    with pytest.raises(services.EditConflict) as conflict:
        services.ticket_update(
            actor=bruno, ticket=ticket, priority="urgent", expected={"priority": seen_by_bruno}
        )
    assert (conflict.value.field, conflict.value.by) == ("priority", aino)
    assert "Changed by Aino Virtanen" in conflict.value.message
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert list(
        ticket.events.filter(field="priority").values_list("actor", "old_value", "new_value")
    ) == [(aino.pk, "low", "high")]


def test_a_stale_edit_changes_none_of_the_fields_sent_with_it(aino, bruno, ticket, team_b):
    services.ticket_update(actor=aino, ticket=ticket, priority="high", expected={"priority": "low"})
    with pytest.raises(services.EditConflict):
        services.ticket_update(
            actor=bruno,
            ticket=ticket,
            priority="urgent",
            category="billing_issue",
            team=team_b,
            expected={"priority": "low"},
        )
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.category, ticket.team.name) == ("high", "", "Support A")


def test_a_teammate_who_already_set_the_wanted_value_is_no_conflict(aino, bruno, ticket):
    services.ticket_update(actor=aino, ticket=ticket, priority="high", expected={"priority": "low"})
    updated = services.ticket_update(
        actor=bruno, ticket=ticket, priority="high", expected={"priority": "low"}
    )
    assert updated.priority == "high"
    assert ticket.events.filter(field="priority").count() == 1


def test_a_stale_status_change_is_refused_naming_who_changed_it(aino, bruno, pipeline, ticket):
    new, waiting, closed = (stage(pipeline, n) for n in ("New", "Waiting on contact", "Closed"))
    assert ticket.stage == new
    services.ticket_set_stage(actor=aino, ticket=ticket, stage=waiting, expected={"stage": new.pk})
    with pytest.raises(services.EditConflict) as conflict:
        services.ticket_set_stage(
            actor=bruno,
            ticket=ticket,
            stage=closed,
            category="billing_issue",
            expected={"stage": new.pk},
        )
    assert (conflict.value.field, conflict.value.by) == ("stage", aino)
    assert "Changed by Aino Virtanen" in conflict.value.message
    ticket.refresh_from_db()
    assert (ticket.stage, ticket.is_open, ticket.category) == (waiting, True, "")


def test_a_stale_custom_property_edit_is_refused_naming_who_changed_it(aino, bruno, pipeline):
    PropertyDefinitionFactory(key="plan", label="Plan")
    ticket = TicketFactory(pipeline=pipeline, properties={"plan": "basic"})
    services.ticket_update(
        actor=aino, ticket=ticket, properties={"plan": "pro"}, expected={"plan": "basic"}
    )
    with pytest.raises(services.EditConflict) as conflict:
        services.ticket_update(
            actor=bruno,
            ticket=ticket,
            properties={"plan": "enterprise"},
            expected={"plan": "basic"},
        )
    assert (conflict.value.field, conflict.value.by) == ("plan", aino)
    ticket.refresh_from_db()
    assert ticket.properties["plan"] == "pro"


def test_a_conflict_with_an_automatic_change_names_nobody(bruno, ticket):
    services.ticket_update(actor=None, ticket=ticket, priority="medium")
    with pytest.raises(services.EditConflict) as conflict:
        services.ticket_update(
            actor=bruno, ticket=ticket, priority="urgent", expected={"priority": "low"}
        )
    assert conflict.value.by is None
    assert "changed automatically" in conflict.value.message


def test_an_edit_without_expected_values_still_overwrites(aino, bruno, pipeline, ticket):
    services.ticket_update(actor=aino, ticket=ticket, priority="high", expected={"priority": "low"})
    services.ticket_update(actor=bruno, ticket=ticket, priority="urgent")
    services.ticket_set_stage(
        actor=bruno, ticket=ticket, stage=stage(pipeline, "Waiting on contact")
    )
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.stage.name) == ("urgent", "Waiting on contact")
    assert list(
        ticket.events.filter(field="priority")
        .order_by("id")
        .values_list("actor", "old_value", "new_value")
    ) == [(aino.pk, "low", "high"), (bruno.pk, "high", "urgent")]


def test_a_stale_header_edit_re_renders_with_who_changed_it(client, aino, bruno, ticket, htmx):
    services.ticket_update(actor=aino, ticket=ticket, priority="high", expected={"priority": "low"})
    client.force_login(bruno)
    url = reverse("tickets:ticket_edit_field", args=[ticket.pk, "priority"])
    stale = client.post(url, {"priority": "urgent", "was": "low", "view": "all"}, headers=htmx())
    assert stale.status_code == 200
    assert "Changed by Aino Virtanen" in stale.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    # Reloaded, the page shows "high": the same edit goes through.
    fresh = client.post(url, {"priority": "urgent", "was": "high", "view": "all"}, headers=htmx())
    assert fresh.status_code == 200
    assert "Changed by" not in fresh.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


def test_a_stale_status_change_in_the_header_says_who_changed_it(
    client, aino, bruno, pipeline, ticket, htmx
):
    new, waiting = stage(pipeline, "New"), stage(pipeline, "Waiting on contact")
    services.ticket_set_stage(actor=aino, ticket=ticket, stage=waiting)
    client.force_login(bruno)
    response = client.post(
        reverse("tickets:ticket_set_stage", args=[ticket.pk]),
        {"stage": new.pk, "was": new.pk},
        headers=htmx(),
    )
    assert response.status_code == 200
    assert "Changed by Aino Virtanen" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.stage == waiting


# Moving to another pipeline -------------------------------------------------------


@pytest.fixture
def sales(db):
    return PipelineFactory(name="Sales")


def test_moving_to_another_pipeline_maps_the_status_and_says_both(agent, ticket, sales):
    waiting = stage(sales, "Waiting on contact")
    moved = services.ticket_move_pipeline(actor=agent, ticket=ticket, stage=waiting)
    ticket.refresh_from_db()
    assert (ticket.pipeline, ticket.stage, ticket.is_open) == (sales, waiting, True)
    assert moved.pipeline == sales
    changes = {
        e.field: (e.actor, e.old_value, e.new_value)
        for e in ticket.events.filter(kind=TicketEvent.Kind.CHANGED)
    }
    assert changes == {
        "pipeline": (agent, "Support pipeline", "Sales"),
        "stage": (agent, "New", "Waiting on contact"),
    }


def test_moving_into_a_conditional_status_needs_what_it_requires(agent, pipeline, ticket, sales):
    closed = stage(sales, "Closed")
    with pytest.raises(ValidationError) as error:
        services.ticket_move_pipeline(actor=agent, ticket=ticket, stage=closed)
    assert list(error.value.message_dict) == ["category"]
    ticket.refresh_from_db()
    assert (ticket.pipeline, ticket.stage.name) == (pipeline, "New")
    assert not ticket.events.filter(kind=TicketEvent.Kind.CHANGED).exists()

    services.ticket_move_pipeline(
        actor=agent, ticket=ticket, stage=closed, category="billing_issue"
    )
    ticket.refresh_from_db()
    assert (ticket.pipeline, ticket.stage, ticket.category) == (sales, closed, "billing_issue")
    assert not ticket.is_open and ticket.closed_at is not None
    assert set(
        ticket.events.filter(kind=TicketEvent.Kind.CHANGED).values_list("field", flat=True)
    ) == {"category", "pipeline", "stage"}


def test_a_status_requiring_a_custom_property_takes_it_in_the_same_move(agent, ticket, sales):
    PropertyDefinitionFactory(key="plan", label="Plan")
    escalated = StageFactory(pipeline=sales, name="Escalated", required_properties=["plan"])
    with pytest.raises(ValidationError) as error:
        services.ticket_move_pipeline(actor=agent, ticket=ticket, stage=escalated)
    assert list(error.value.message_dict) == ["plan"]
    services.ticket_move_pipeline(
        actor=agent, ticket=ticket, stage=escalated, properties={"plan": "pro"}
    )
    ticket.refresh_from_db()
    assert (ticket.stage, ticket.properties["plan"]) == (escalated, "pro")


def test_a_stale_move_after_a_teammates_move_to_another_pipeline_is_refused(
    aino, bruno, pipeline, ticket, sales
):
    third = PipelineFactory(name="Billing")
    services.ticket_move_pipeline(actor=aino, ticket=ticket, stage=stage(third, "New"))
    with pytest.raises(services.EditConflict) as conflict:
        services.ticket_move_pipeline(
            actor=bruno,
            ticket=ticket,
            stage=stage(sales, "New"),
            expected={"pipeline": pipeline.pk},
        )
    assert conflict.value.by == aino
    ticket.refresh_from_db()
    assert ticket.pipeline == third


def test_a_stale_move_to_the_pipeline_a_teammate_chose_writes_no_second_pipeline_change(
    aino, bruno, pipeline, ticket, sales
):
    """Bruno's page still shows the old pipeline; Aino already moved the ticket
    to Sales. Bruno choosing a status of Sales is no conflict, and the timeline
    must not claim the pipeline changed from Sales to Sales."""
    services.ticket_move_pipeline(actor=aino, ticket=ticket, stage=stage(sales, "New"))
    services.ticket_move_pipeline(
        actor=bruno,
        ticket=ticket,  # the stale copy Bruno's page was drawn from
        stage=stage(sales, "Waiting on contact"),
        expected={"pipeline": pipeline.pk},
    )
    ticket.refresh_from_db()
    assert (ticket.pipeline, ticket.stage.name) == (sales, "Waiting on contact")
    pipeline_changes = list(
        ticket.events.filter(field="pipeline").values_list("actor", "old_value", "new_value")
    )
    assert pipeline_changes == [(aino.pk, "Support pipeline", "Sales")]


def test_the_move_dialog_moves_the_ticket(client, agent, ticket, sales, htmx):
    client.force_login(agent)
    url = reverse("tickets:ticket_move", args=[ticket.pk])
    assert client.get(url).status_code == 200
    waiting = stage(sales, "Waiting on contact")
    response = client.post(url, {"stage": waiting.pk, "view": "all"}, headers=htmx())
    assert response.status_code == 204
    assert response["HX-Location"] == reverse("tickets:ticket_detail", args=["all", ticket.pk])
    ticket.refresh_from_db()
    assert (ticket.pipeline, ticket.stage) == (sales, waiting)


def test_the_move_dialog_asks_for_a_conditional_status_requirements(
    client, agent, pipeline, ticket, sales, htmx
):
    client.force_login(agent)
    url = reverse("tickets:ticket_move", args=[ticket.pk])
    closed = stage(sales, "Closed")
    refused = client.post(url, {"stage": closed.pk}, headers=htmx())
    assert refused.status_code == 200
    assert "This field is required" in refused.content.decode()
    ticket.refresh_from_db()
    assert ticket.pipeline == pipeline
    done = client.post(url, {"stage": closed.pk, "category": "billing_issue"}, headers=htmx())
    assert done.status_code == 204
    ticket.refresh_from_db()
    assert (ticket.stage, ticket.category) == (closed, "billing_issue")


# Delete and restore -----------------------------------------------------------------


def test_a_deleted_ticket_leaves_every_view_and_waits_in_recently_deleted(
    agent, team_agent, outsider, collaborator, ticket
):
    services.ticket_delete(actor=agent, ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.deleted_at is not None and ticket.deleted_by == agent
    for user in (agent, team_agent, collaborator):
        assert not visible_tickets(user).filter(pk=ticket.pk).exists()
    # The same scope as before, for seat users only.
    rows, has_next = queries.recently_deleted(team_agent)
    assert [r.pk for r in rows] == [ticket.pk] and not has_next
    assert rows[0].deleted_by == agent
    assert queries.recently_deleted(outsider) == ([], False)
    assert queries.recently_deleted(collaborator) == ([], False)
    assert not deleted_tickets(collaborator).exists()
    event = ticket.events.get(kind=TicketEvent.Kind.DELETED)
    assert event.actor == agent


def test_deleting_twice_writes_one_event(agent, ticket):
    services.ticket_delete(actor=agent, ticket=ticket)
    services.ticket_delete(actor=agent, ticket=ticket)
    assert ticket.events.filter(kind=TicketEvent.Kind.DELETED).count() == 1


def test_a_collaborator_cannot_delete_or_list_deleted_tickets(client, collaborator, ticket):
    client.force_login(collaborator)
    response = client.post(reverse("tickets:ticket_delete", args=[ticket.pk]))
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.deleted_at is None
    assert client.get(reverse("tickets:recently_deleted")).status_code == 403


def test_the_delete_button_deletes_and_recently_deleted_lists_it(client, agent, ticket):
    client.force_login(agent)
    response = client.post(reverse("tickets:ticket_delete", args=[ticket.pk]), {"view": "all"})
    assert response.status_code == 303
    assert response["Location"] == reverse("tickets:view_tickets", args=["all"])
    ticket.refresh_from_db()
    assert ticket.deleted_at is not None
    listing = client.get(reverse("tickets:recently_deleted"))
    assert listing.status_code == 200 and "Printer on fire" in listing.content.decode()
    # Its address is gone like one that never existed.
    assert client.get(reverse("tickets:ticket_open", args=[ticket.pk])).status_code == 404


def test_restore_brings_the_ticket_back_with_its_messages(agent, team_agent, ticket):
    first = inbound_message(ticket, text="The printer is on fire.")
    comment = conversation_services.comment_add(actor=agent, ticket=ticket, html="<p>Calling</p>")
    services.ticket_delete(actor=agent, ticket=ticket)
    restored = services.ticket_restore(actor=team_agent, ticket=ticket)
    assert restored.deleted_at is None and restored.deleted_by is None
    ticket.refresh_from_db()
    assert ticket.deleted_at is None and ticket.deleted_by is None
    assert visible_tickets(team_agent).filter(pk=ticket.pk).exists()
    assert queries.recently_deleted(team_agent) == ([], False)
    assert set(ticket.messages.values_list("pk", flat=True)) == {first.pk, comment.pk}
    event = ticket.events.get(kind=TicketEvent.Kind.RESTORED)
    assert event.actor == team_agent


def test_the_restore_button_restores_for_seats_only(client, agent, collaborator, ticket):
    services.ticket_delete(actor=agent, ticket=ticket)
    url = reverse("tickets:ticket_restore", args=[ticket.pk])
    client.force_login(collaborator)
    assert client.post(url).status_code == 404
    ticket.refresh_from_db()
    assert ticket.deleted_at is not None
    client.force_login(agent)
    response = client.post(url)
    assert response.status_code == 303
    assert response["Location"] == reverse("tickets:ticket_open", args=[ticket.pk])
    ticket.refresh_from_db()
    assert ticket.deleted_at is None


# The purge -----------------------------------------------------------------------------


def deleted_ago(agent, ticket, now, days):
    services.ticket_delete(actor=agent, ticket=ticket)
    Ticket.objects.filter(pk=ticket.pk).update(deleted_at=now - datetime.timedelta(days=days))


def test_the_purge_removes_only_tickets_deleted_before_the_cutoff_with_their_files(agent, pipeline):
    TicketSettings.objects.create(keep_deleted_days=30)
    now = timezone.now()
    old = TicketFactory(pipeline=pipeline, name="Old")
    young = TicketFactory(pipeline=pipeline, name="Young")
    restored = TicketFactory(pipeline=pipeline, name="Restored")
    alive = TicketFactory(pipeline=pipeline, name="Alive")
    files = {}
    for ticket in (old, young, restored, alive):
        message = receive(ticket, files=[a_file(f"{ticket.name}.pdf")])
        files[ticket.pk] = Attachment.objects.get(message=message).file.name
        InboundItem.objects.create(
            source=InboundItem.Source.PIPE,
            payload=b"raw mail",
            dedupe_key=f"pipe:{ticket.pk}",
            status=InboundItem.Status.DONE,
            ticket=ticket,
            message=message,
        )
    assert all(default_storage.exists(name) for name in files.values())
    deleted_ago(agent, old, now, 31)
    deleted_ago(agent, young, now, 29)
    deleted_ago(agent, restored, now, 40)
    services.ticket_restore(actor=agent, ticket=restored)

    assert services.purge_cutoff(now) == now - datetime.timedelta(days=30)
    assert services.tickets_purge_deleted(now=now) == 1

    assert set(Ticket.objects.values_list("name", flat=True)) == {"Young", "Restored", "Alive"}
    assert not Message.objects.filter(ticket_id=old.pk).exists()
    assert not Attachment.objects.filter(ticket_id=old.pk).exists()
    assert not default_storage.exists(files[old.pk])
    assert not InboundItem.objects.filter(dedupe_key=f"pipe:{old.pk}").exists()
    for ticket in (young, restored, alive):
        assert default_storage.exists(files[ticket.pk])
        assert Attachment.objects.filter(ticket=ticket).count() == 1
        assert InboundItem.objects.filter(ticket=ticket).count() == 1
    # Nothing more to do until the young one's days are up.
    assert services.tickets_purge_deleted(now=now) == 0
    assert services.tickets_purge_deleted(now=now + datetime.timedelta(days=2)) == 1
    assert not Ticket.objects.filter(pk=young.pk).exists()
    assert not default_storage.exists(files[young.pk])


def test_the_purge_works_through_more_tickets_than_one_batch(agent, pipeline):
    now = timezone.now()
    tickets = [TicketFactory(pipeline=pipeline) for _ in range(5)]
    for ticket in tickets:
        deleted_ago(agent, ticket, now, 91)  # the default keeps 90 days
    assert services.tickets_purge_deleted(now=now, batch=2) == 5
    assert not Ticket.objects.exists()


# The timeline ------------------------------------------------------------------------------


def add_events(ticket, count, actors):
    """`count` timeline events of every kind, in groups sharing one timestamp
    (so the id must break ties), oldest first."""
    samples = [
        (TicketEvent.Kind.CHANGED, "priority", "low", "high"),
        (TicketEvent.Kind.CHANGED, "stage", "New", "Waiting on contact"),
        (TicketEvent.Kind.CHANGED, "owner", "", "Aino Virtanen"),
        (TicketEvent.Kind.ASSOCIATED, "contact", "", "Ana Virtanen"),
        (TicketEvent.Kind.LINKED, "ticket", "", "#1"),
        (TicketEvent.Kind.MERGED, "from", "Other", "#2"),
        (TicketEvent.Kind.SPLIT, "to", "2", "#3"),
        (TicketEvent.Kind.CONVERSATION_MOVED, "inbox", "Help desk", "Sales"),
        (TicketEvent.Kind.SLA, "first_response", "", "met"),
    ]
    TicketEvent.objects.bulk_create(
        TicketEvent(
            ticket=ticket,
            actor=actors[i % len(actors)],
            kind=samples[i % len(samples)][0],
            field=samples[i % len(samples)][1],
            old_value=samples[i % len(samples)][2],
            new_value=samples[i % len(samples)][3],
        )
        for i in range(count)
    )
    start = timezone.now() - datetime.timedelta(days=30)
    ids = list(ticket.events.order_by("id").values_list("pk", flat=True))
    for group, at in enumerate(range(0, len(ids), 7)):
        TicketEvent.objects.filter(pk__in=ids[at : at + 7]).update(
            created_at=start + datetime.timedelta(minutes=group)
        )


@pytest.fixture
def long_ticket(pipeline, team_a, aino, bruno):
    ticket = TicketFactory(pipeline=pipeline, team=team_a, name="Long history")
    add_events(ticket, 999, [aino, bruno, None])  # with "created": 1,000
    assert ticket.events.count() == 1_000
    return ticket


@pytest.fixture
def short_ticket(pipeline, team_a, aino, bruno):
    ticket = TicketFactory(pipeline=pipeline, team=team_a, name="Short history")
    add_events(ticket, 9, [aino, bruno, None])
    assert ticket.events.count() == 10
    return ticket


def test_the_timeline_pages_walk_every_event_once_newest_first(long_ticket):
    page = queries.events_for_timeline(long_ticket)
    assert len(page.events) == queries.TIMELINE_PAGE
    seen = [e.pk for e in page.events]
    pages = 1
    while page.next_cursor:
        page = queries.events_for_timeline(long_ticket, page.next_cursor)
        assert page.events
        seen += [e.pk for e in page.events]
        pages += 1
    assert len(seen) == len(set(seen)) == 1_000
    assert pages == -(-1_000 // queries.TIMELINE_PAGE)
    expected = list(
        TicketEvent.objects.filter(ticket=long_ticket)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert seen == expected


def test_a_short_timeline_has_no_next_page(short_ticket):
    page = queries.events_for_timeline(short_ticket)
    assert len(page.events) == 10 and page.next_cursor is None


def older_link(response) -> str | None:
    """The cursor of the page's "Show older activity" link."""
    found = re.search(r"\?before=([^\"&]+)\"", response.content.decode())
    return unquote(found.group(1)) if found else None


def test_the_older_activity_page_shows_the_next_events(client, agent, long_ticket):
    client.force_login(agent)
    url = reverse("tickets:ticket_activity", args=[long_ticket.pk])
    first = queries.events_for_timeline(long_ticket)
    second = queries.events_for_timeline(long_ticket, first.next_cursor)
    response = client.get(url, {"before": first.next_cursor})
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="timeline-item') == queries.TIMELINE_PAGE
    # The link it offers leads to the page after this one.
    assert older_link(response) == second.next_cursor
    # The last page offers no link.
    cursor = first.next_cursor
    while True:
        page = queries.events_for_timeline(long_ticket, cursor)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    last = client.get(url, {"before": cursor})
    assert last.content.decode().count('class="timeline-item') == 1_000 % queries.TIMELINE_PAGE
    assert older_link(last) is None and "Show older activity" not in last.content.decode()


def test_the_timeline_and_detail_run_as_many_queries_for_1000_events_as_for_10(
    client, agent, long_ticket, short_ticket, django_assert_max_num_queries, htmx
):
    client.force_login(agent)
    activity = lambda ticket, cursor: client.get(  # noqa: E731
        reverse("tickets:ticket_activity", args=[ticket.pk]), {"before": cursor}
    )
    detail = lambda ticket: client.get(  # noqa: E731
        reverse("tickets:ticket_detail", args=["all", ticket.pk])
    )
    detail(short_ticket)  # the first request creates the agent's preferences
    # Before a moment after the newest event: the whole short timeline.
    short_cursor = queries.encode_cursor(timezone.now() + datetime.timedelta(days=1), 0)
    with CaptureQueriesContext(connection) as short_activity:
        assert activity(short_ticket, short_cursor).status_code == 200
    with CaptureQueriesContext(connection) as short_detail:
        assert detail(short_ticket).status_code == 200

    long_cursor = queries.events_for_timeline(long_ticket).next_cursor
    with django_assert_max_num_queries(len(short_activity)):
        assert activity(long_ticket, long_cursor).status_code == 200
    with django_assert_max_num_queries(len(short_detail)):
        assert detail(long_ticket).status_code == 200


def test_a_malformed_cursor_shows_the_latest_events(client, agent, long_ticket):
    client.force_login(agent)
    response = client.get(
        reverse("tickets:ticket_activity", args=[long_ticket.pk]), {"before": "not-a-cursor"}
    )
    assert response.status_code == 200
    assert response.content.decode().count('class="timeline-item') == queries.TIMELINE_PAGE
    assert older_link(response) == queries.events_for_timeline(long_ticket).next_cursor


def test_an_outsider_cannot_read_the_timeline(client, outsider, long_ticket):
    client.force_login(outsider)
    response = client.get(reverse("tickets:ticket_activity", args=[long_ticket.pk]))
    assert response.status_code == 404


# A merged ticket's address ---------------------------------------------------------------


def test_a_merged_tickets_address_leads_to_the_primary(client, agent, pipeline, team_a):
    from conversations.moves import ticket_merge

    merged = TicketFactory(pipeline=pipeline, team=team_a, name="Duplicate")
    primary = TicketFactory(pipeline=pipeline, team=team_a, name="Primary")
    ticket_merge(actor=agent, ticket=merged, into=primary)
    client.force_login(agent)
    opened = client.get(reverse("tickets:ticket_open", args=[merged.pk]))
    assert opened.status_code == 302
    assert opened["Location"] == reverse("tickets:ticket_open", args=[primary.pk])
    detail = client.get(reverse("tickets:ticket_detail", args=["all", merged.pk]))
    assert detail.status_code == 302
    assert detail["Location"] == reverse("tickets:ticket_detail", args=["all", primary.pk])
    followed = client.get(reverse("tickets:ticket_open", args=[merged.pk]), follow=True)
    assert followed.status_code == 200
    assert f"#{merged.pk} was merged into this ticket." in followed.content.decode()


def test_a_collaborator_sees_a_merged_ticket_redirect_only_within_scope(
    client, agent, pipeline, team_a, team_b
):
    from conversations.moves import ticket_merge

    collaborator = UserFactory(
        role=User.Role.COLLABORATOR, main_team=team_b, visibility=User.Visibility.TEAMS
    )
    merged = TicketFactory(pipeline=pipeline, team=team_a)
    primary = TicketFactory(pipeline=pipeline, team=team_a)
    ticket_merge(actor=agent, ticket=merged, into=primary)
    client.force_login(collaborator)
    assert client.get(reverse("tickets:ticket_open", args=[merged.pk])).status_code == 404
