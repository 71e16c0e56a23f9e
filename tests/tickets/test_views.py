import re
from urllib.parse import unquote

import pytest
from django.urls import reverse

from tests.factories import CompanyFactory, ContactFactory, TicketFactory, inbound_message
from tickets.models import Ticket


def detail_url(ticket, slug="all-open"):
    return reverse("tickets:ticket_detail", args=[slug, ticket.pk])


@pytest.fixture
def ticket(pipeline, team_a):
    return TicketFactory(pipeline=pipeline, team=team_a, name="Printer on fire")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


# Workspace pages ----------------------------------------------------------


def test_home_opens_the_first_view(signed_in):
    response = signed_in.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:view_tickets", args=["unassigned"])


def test_signed_out_users_are_sent_to_sign_in(client, ticket):
    for url in ("/", reverse("tickets:view_tickets", args=["all-open"]), detail_url(ticket)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_each_default_view_lists_its_tickets(signed_in, agent, pipeline, team_a):
    mine = TicketFactory(pipeline=pipeline, owner=agent, name="Mine")
    unassigned = TicketFactory(pipeline=pipeline, team=team_a, name="Nobody's")
    expected = {
        "unassigned": {unassigned},
        "mine": {mine},
        "my-teams": {mine, unassigned},
        "all-open": {mine, unassigned},
        "spam": set(),
    }
    for slug, tickets in expected.items():
        response = signed_in.get(reverse("tickets:view_tickets", args=[slug]))
        assert response.status_code == 200
        assert set(response.context["page"].tickets) == tickets, slug


def test_an_unknown_view_is_404(signed_in):
    assert signed_in.get(reverse("tickets:view_tickets", args=["nope"])).status_code == 404


def test_collaborators_have_no_default_views_but_their_own(client, collaborator, ticket):
    client.force_login(collaborator)
    assert client.get(reverse("tickets:view_tickets", args=["unassigned"])).status_code == 404
    response = client.get(reverse("tickets:view_tickets", args=["mine"]))
    assert [v.slug for v in response.context["views"]] == ["my-tickets", "mine", "drafts"]
    assert b"Settings" not in response.content
    # They can still open a ticket they can see (S2).
    assert client.get(detail_url(ticket, "mine")).status_code == 200


def test_outsider_gets_404_on_every_ticket_url(client, outsider, ticket):
    client.force_login(outsider)
    contact = ContactFactory()
    urls = [
        ("get", detail_url(ticket), {}),
        ("get", reverse("tickets:ticket_open", args=[ticket.pk]), {}),
        (
            "post",
            reverse("tickets:ticket_edit_field", args=[ticket.pk, "priority"]),
            {"priority": "high"},
        ),
        ("post", reverse("tickets:ticket_set_stage", args=[ticket.pk]), {"stage": "1"}),
        (
            "post",
            reverse("tickets:ticket_associate", args=[ticket.pk, "contact"]),
            {"record": contact.pk},
        ),
        (
            "post",
            reverse("tickets:ticket_dissociate", args=[ticket.pk, "contact"]),
            {"record": contact.pk},
        ),
        (
            "get",
            reverse("tickets:record_search", args=["contact"]) + f"?ticket={ticket.pk}&q=a",
            {},
        ),
    ]
    for method, url, data in urls:
        assert getattr(client, method)(url, data).status_code == 404, url
    ticket.refresh_from_db()
    assert ticket.priority == "" and not ticket.contacts.exists()


def test_wrong_method_is_405(signed_in, ticket):
    post_only = [
        reverse("tickets:ticket_edit_field", args=[ticket.pk, "owner"]),
        reverse("tickets:ticket_associate", args=[ticket.pk, "contact"]),
        reverse("tickets:ticket_dissociate", args=[ticket.pk, "contact"]),
        reverse("accounts:set_language"),
    ]
    for url in post_only:
        assert signed_in.get(url).status_code == 405, url
    get_only = [
        "/",
        reverse("tickets:view_tickets", args=["all-open"]),
        detail_url(ticket),
        reverse("tickets:ticket_open", args=[ticket.pk]),
        reverse("tickets:record_search", args=["contact"]),
    ]
    for url in get_only:
        assert signed_in.post(url).status_code == 405, url
    assert signed_in.put(reverse("tickets:ticket_create")).status_code == 405


def test_htmx_requests_get_only_the_pane_they_target(signed_in, ticket, htmx):
    url = detail_url(ticket)
    page = signed_in.get(url)
    assert b"<html" in page.content and b'id="nav-pane"' in page.content

    pane = signed_in.get(url, headers=htmx("detail-pane"))
    assert b"<html" not in pane.content and b'id="nav-pane"' not in pane.content
    assert b'id="detail-pane"' in pane.content
    assert "HX-Request" in pane["Vary"]

    panes = signed_in.get(url, headers=htmx("workspace"))
    assert b"<html" not in panes.content and b'id="nav-pane"' in panes.content

    restore = signed_in.get(
        url, headers={**htmx("workspace"), "HX-History-Restore-Request": "true"}
    )
    assert b"<html" in restore.content


def test_short_link_opens_the_ticket_in_the_first_view_that_lists_it(signed_in, agent, ticket):
    from tickets import services

    response = signed_in.get(reverse("tickets:ticket_open", args=[ticket.pk]))
    assert response["Location"] == reverse("tickets:ticket_detail", args=["unassigned", ticket.pk])
    services.ticket_update(actor=agent, ticket=ticket, owner=agent)
    response = signed_in.get(reverse("tickets:ticket_open", args=[ticket.pk]))
    assert response["Location"] == reverse("tickets:ticket_detail", args=["mine", ticket.pk])


def replied_on(ticket, agent):
    """The ticket, with the agent's email reply on it (the Sent view's)."""
    from conversations.models import Message

    customer = inbound_message(ticket)
    Message.objects.create(
        thread=customer.thread,
        ticket=ticket,
        direction=Message.Direction.OUTBOUND,
        author=agent,
        from_email="support0@helpdesk.example",
        to=[customer.from_email],
        subject=ticket.name,
        html="<p>On it.</p>",
        text="On it.",
    )
    return ticket


def test_sent_counts_each_ticket_replied_on_once_as_its_list_shows_them(
    agent, pipeline, team_a, team_b
):
    """The sidebar counts Sent from the agent's replies (DefaultView.count_rows):
    a ticket replied on twice counts once; a deleted ticket and one the agent
    no longer sees do not count, as the list does not show them."""
    from django.utils import timezone

    from accounts.models import User
    from tickets import queries

    agent.visibility = User.Visibility.TEAMS
    agent.save()
    twice = replied_on(replied_on(TicketFactory(pipeline=pipeline, team=team_a), agent), agent)
    replied_on(TicketFactory(pipeline=pipeline, team=team_a), agent)
    deleted = replied_on(TicketFactory(pipeline=pipeline, team=team_a), agent)
    Ticket.objects.filter(pk=deleted.pk).update(deleted_at=timezone.now())
    replied_on(TicketFactory(pipeline=pipeline, team=team_b), agent)  # not the agent's team
    sent = queries.get_view_for_user(agent, "sent")

    listed = {t.pk for t in queries.tickets_for_view(agent, sent).tickets}
    assert twice.pk in listed and len(listed) == 2
    assert queries.view_counts_for_sidebar(agent)["sent"] == 2


def test_sent_is_counted_by_looking_each_ticket_up_never_by_a_join(agent, pipeline):
    """Sent's count checks each replied-on ticket by its primary key. As a
    join, PostgreSQL hashed the whole ticket table when it held 100,000
    tickets: 20 ms, against 2.6 (issue 22)."""
    from django.db import connection

    from tickets import queries
    from tickets.access import visible_tickets

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL plan")
    replied_on(TicketFactory(pipeline=pipeline), agent)
    sent = queries.get_view_for_user(agent, "sent")
    plan = sent.counted(visible_tickets(agent), agent).explain()
    assert "SubPlan" in plan and "Join" not in plan, plan


# Sent finds its page in the index before reading rows (queries.DefaultView.sparse).
@pytest.mark.parametrize("slug", ["all-open", "sent"])
def test_keyset_pagination_walks_every_ticket_once(
    signed_in, agent, pipeline, settings, htmx, slug
):
    settings.HELPDESK_LIST_PAGE_SIZE = 3
    tickets = {replied_on(TicketFactory(pipeline=pipeline), agent).pk for _ in range(8)}
    TicketFactory(pipeline=pipeline)  # not replied on: open, but not sent
    if slug == "all-open":
        tickets = set(Ticket.objects.values_list("pk", flat=True))
    url = reverse("tickets:view_tickets", args=[slug])
    response = signed_in.get(url)
    seen = [t.pk for t in response.context["page"].tickets]
    cursor = response.context["page"].next_cursor
    while cursor:
        # "Load more" answers with rows only (a partial: read its HTML).
        body = signed_in.get(url, {"after": cursor}, headers=htmx()).content.decode()
        assert "<html" not in body
        seen += [int(pk) for pk in re.findall(r'data-row="(\d+)"', body)]
        more = re.search(r'\?after=([^"]+)"', body)
        cursor = unquote(more.group(1)) if more else None
    assert len(seen) == len(set(seen)) == len(tickets) and set(seen) == tickets
    newest_first = Ticket.objects.order_by("-last_activity_at", "-id").values_list("pk", flat=True)
    assert seen == [pk for pk in newest_first if pk in tickets]


def test_a_malformed_cursor_shows_the_first_page(signed_in, ticket):
    url = reverse("tickets:view_tickets", args=["all-open"])
    for cursor in ("garbage", "2026-13-45T00:00~1", "~", "x~y"):
        response = signed_in.get(url, {"after": cursor})
        assert response.status_code == 200
        assert list(response.context["page"].tickets) == [ticket]


@pytest.mark.parametrize("size", [3, 30])
def test_workspace_pages_run_a_constant_number_of_queries(
    signed_in, pipeline, agent, size, django_assert_max_num_queries, htmx
):
    from conversations.services import comment_add

    for i in range(size):
        ticket = TicketFactory(
            pipeline=pipeline,
            owner=agent if i % 2 else None,
            contacts=[ContactFactory()],
            companies=[CompanyFactory()],
        )
        for n in range(size // 3 + 1):  # a thread that grows with the data
            comment_add(actor=agent, ticket=ticket, html=f"<p>note {n}</p>")
    # The first request also creates the agent's workspace preferences (4 queries);
    # the rows' tags are one query for the page.
    with django_assert_max_num_queries(19):
        signed_in.get(reverse("tickets:view_tickets", args=["all-open"]))
    # With the followers, the ticket settings, the conversations' inboxes and
    # the reply editor's signatures; the tags of the list's rows and of the
    # ticket; the customer's satisfaction rating (surveys).
    with django_assert_max_num_queries(39):
        signed_in.get(detail_url(ticket))
    # The sidebar's layout and the agent's own order of its properties and cards;
    # the followers, the ticket settings, the conversations' inboxes, signatures;
    # the ticket's tags; the satisfaction rating.
    with django_assert_max_num_queries(27):
        signed_in.get(detail_url(ticket), headers=htmx("detail-pane"))


# Editing in place -----------------------------------------------------------


def test_edit_a_header_field_answers_with_header_row_and_counts(signed_in, agent, ticket, htmx):
    url = reverse("tickets:ticket_edit_field", args=[ticket.pk, "owner"])
    response = signed_in.post(url, {"owner": agent.pk, "view": "unassigned"}, headers=htmx())
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<form id="field-owner"')  # only the edited field
    assert 'id="ticket-header"' not in body
    assert 'id="record-sidebar" class="record-sidebar"' in body
    assert f'id="row-{ticket.pk}" class="ticket-row is-active" hx-swap-oob="true"' in body
    # The views' sidebar is told to count again, not drawn again.
    assert 'id="nav-pane"' not in body
    assert response["HX-Trigger"] == "counts-changed"
    ticket.refresh_from_db()
    assert ticket.owner == agent
    assert ticket.events.filter(field="owner").exists()


def test_an_edit_leaves_out_the_row_the_agent_cannot_see(signed_in, agent, ticket, htmx):
    """The workspace says whether the ticket's row is on screen (X-Row-Shown);
    a row htmx cannot find is an error in the agent's console."""
    url = reverse("tickets:ticket_edit_field", args=[ticket.pk, "priority"])
    headers = {**htmx(), "X-Row-Shown": "0"}
    body = signed_in.post(url, {"priority": "high", "view": "mine"}, headers=headers).content
    assert b'id="record-sidebar"' in body
    assert f'id="row-{ticket.pk}"'.encode() not in body
    headers["X-Row-Shown"] = "1"
    body = signed_in.post(url, {"priority": "low", "view": "mine"}, headers=headers).content
    assert f'id="row-{ticket.pk}"'.encode() in body


def test_edit_with_an_invalid_value_shows_the_error_and_changes_nothing(signed_in, ticket, htmx):
    url = reverse("tickets:ticket_edit_field", args=[ticket.pk, "priority"])
    response = signed_in.post(url, {"priority": "apocalyptic"}, headers=htmx())
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority == ""


def test_only_the_in_place_fields_are_editable_through_the_field_url(signed_in, ticket):
    for field in ("pipeline", "stage", "deleted_at", "merged_into"):
        url = reverse("tickets:ticket_edit_field", args=[ticket.pk, field])
        assert signed_in.post(url, {field: "1"}).status_code == 404
    url = reverse("tickets:ticket_edit_field", args=[ticket.pk, "name"])
    assert signed_in.post(url, {"name": "Renamed"}).status_code == 200
    ticket.refresh_from_db()
    assert ticket.name == "Renamed"


def test_conditional_status_asks_for_its_properties_first(signed_in, pipeline, ticket, htmx):
    closed = pipeline.stages.get(name="Closed")
    url = reverse("tickets:ticket_set_stage", args=[ticket.pk])
    asked = signed_in.post(url, {"stage": closed.pk}, headers=htmx())
    assert 'name="category"' in asked.content.decode()
    ticket.refresh_from_db()
    assert ticket.stage.name == "New"

    missing = signed_in.post(url, {"stage": closed.pk, "confirm": "1"}, headers=htmx())
    assert "This field is required" in missing.content.decode()

    done = signed_in.post(
        url, {"stage": closed.pk, "confirm": "1", "category": "billing_issue"}, headers=htmx()
    )
    assert done.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.stage, ticket.category, ticket.is_open) == (closed, "billing_issue", False)


def test_plain_status_change_needs_no_confirmation(signed_in, pipeline, ticket, htmx):
    waiting = pipeline.stages.get(name="Waiting on contact")
    url = reverse("tickets:ticket_set_stage", args=[ticket.pk])
    signed_in.post(url, {"stage": waiting.pk}, headers=htmx())
    ticket.refresh_from_db()
    assert ticket.stage == waiting


def test_a_stage_of_another_pipeline_is_ignored(signed_in, ticket, htmx):
    from tests.factories import PipelineFactory

    other = PipelineFactory().stages.first()
    url = reverse("tickets:ticket_set_stage", args=[ticket.pk])
    assert signed_in.post(url, {"stage": other.pk}, headers=htmx()).status_code == 200
    ticket.refresh_from_db()
    assert ticket.stage.name == "New"


def test_team_is_edited_from_the_sidebar_and_bad_values_show_an_error(
    signed_in, ticket, team_b, htmx
):
    url = reverse("tickets:ticket_edit_field", args=[ticket.pk, "team"])
    response = signed_in.post(url, {"team": team_b.pk}, headers=htmx())
    assert response.content.decode().lstrip().startswith('<aside id="record-sidebar"')
    ticket.refresh_from_db()
    assert ticket.team == team_b
    bad = signed_in.post(url, {"team": 999_999}, headers=htmx())
    assert "Select a valid choice" in bad.content.decode()
    ticket.refresh_from_db()
    assert ticket.team == team_b


def test_custom_property_edit_validates_its_type(signed_in, ticket, htmx):
    from tests.factories import PropertyDefinitionFactory

    PropertyDefinitionFactory(key="seats", label="Seats", type="number")
    url = reverse("tickets:ticket_edit_property", args=[ticket.pk, "seats"])
    bad = signed_in.post(url, {"prop_seats": "many"}, headers=htmx())
    assert "Enter a number" in bad.content.decode()
    signed_in.post(url, {"prop_seats": "12"}, headers=htmx())
    ticket.refresh_from_db()
    assert ticket.properties["seats"] == "12"
    assert (
        signed_in.post(
            reverse("tickets:ticket_edit_property", args=[ticket.pk, "nope"]), {}
        ).status_code
        == 404
    )


# Associations -----------------------------------------------------------------


def test_add_and_remove_an_association(signed_in, ticket, htmx):
    contact = ContactFactory(first_name="Emma", last_name="Wilson")
    add = reverse("tickets:ticket_associate", args=[ticket.pk, "contact"])
    response = signed_in.post(add, {"record": contact.pk}, headers=htmx())
    assert "Emma Wilson" in response.content.decode()
    assert list(ticket.contacts.all()) == [contact]
    remove = reverse("tickets:ticket_dissociate", args=[ticket.pk, "contact"])
    signed_in.post(remove, {"record": contact.pk}, headers=htmx())
    assert not ticket.contacts.exists()
    assert Ticket.objects.get(pk=ticket.pk).contact_name == ""


def test_associating_a_missing_record_or_kind_is_404(signed_in, ticket):
    add = reverse("tickets:ticket_associate", args=[ticket.pk, "contact"])
    assert signed_in.post(add, {"record": 424242}).status_code == 404
    assert signed_in.post(add, {"record": "x"}).status_code == 404
    bad_kind = reverse("tickets:ticket_associate", args=[ticket.pk, "user"])
    assert signed_in.post(bad_kind, {"record": 1}).status_code == 404


def test_record_search_finds_by_name_email_and_company(signed_in, ticket):
    company = CompanyFactory(name="Fabrikam GmbH")
    ContactFactory(first_name="Lukas", email="lukas@fabrikam.example", company=company)
    url = reverse("tickets:record_search", args=["contact"])
    for text in ("Luk", "lukas@fab", "Fabrikam"):
        assert "Lukas" in signed_in.get(url, {"q": text}).content.decode(), text
    assert "Lukas" not in signed_in.get(url, {"q": "zzz"}).content.decode()
    assert signed_in.get(reverse("tickets:record_search", args=["user"])).status_code == 404


# Create ticket -------------------------------------------------------------


def test_create_panel_offers_the_stages_of_the_chosen_pipeline(signed_in, pipeline):
    from tests.factories import PipelineFactory

    other = PipelineFactory(name="Escalations")
    url = reverse("tickets:ticket_create")
    first = signed_in.get(url)
    assert set(first.context["stages"]) == set(pipeline.stages.all())
    switched = signed_in.get(url, {"pipeline": other.pk, "stage": pipeline.stages.first().pk})
    assert set(switched.context["stages"]) == set(other.stages.all())


def test_create_with_missing_fields_rerenders_with_errors(signed_in, pipeline, htmx):
    response = signed_in.post(
        reverse("tickets:ticket_create"), {"pipeline": pipeline.pk}, headers=htmx()
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"name", "stage"}
    assert not Ticket.objects.exists()


def test_create_in_a_conditional_stage_asks_for_its_properties(signed_in, pipeline, htmx):
    closed = pipeline.stages.get(name="Closed")
    url = reverse("tickets:ticket_create")
    shown = signed_in.get(url, {"pipeline": pipeline.pk, "stage": closed.pk})
    assert shown.context["form"].fields["category"].required
    response = signed_in.post(
        url, {"name": "x", "pipeline": pipeline.pk, "stage": closed.pk}, headers=htmx()
    )
    assert "category" in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_create_opens_the_new_ticket(signed_in, agent, pipeline, htmx):
    company = CompanyFactory()
    contacts = [ContactFactory(), ContactFactory()]
    response = signed_in.post(
        reverse("tickets:ticket_create"),
        {
            "name": "Cannot log in",
            "pipeline": pipeline.pk,
            "stage": pipeline.stages.first().pk,
            "owner": agent.pk,
            "priority": "high",
            "company": company.pk,
            "contacts": [c.pk for c in contacts],
            "view": "mine",
        },
        headers=htmx(),
    )
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert response["HX-Push-Url"] == reverse("tickets:ticket_detail", args=["mine", ticket.pk])
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="workspace" hx-swap-oob="innerHTML">')
    assert f'id="row-{ticket.pk}" class="ticket-row is-active"' in body
    assert (ticket.owner, ticket.priority) == (agent, "high")
    assert set(ticket.contacts.all()) == set(contacts)
    assert list(ticket.companies.all()) == [company]


def test_create_without_htmx_redirects(signed_in, pipeline):
    response = signed_in.post(
        reverse("tickets:ticket_create"),
        {"name": "x", "pipeline": pipeline.pk, "stage": pipeline.stages.first().pk},
    )
    assert response.status_code == 302


def test_create_form_shows_custom_properties_chosen_by_admins(signed_in, pipeline):
    from tests.factories import PropertyDefinitionFactory

    PropertyDefinitionFactory(key="order_no", label="Order number", on_create_form=True)
    PropertyDefinitionFactory(key="hidden", label="Internal", on_create_form=False)
    response = signed_in.get(reverse("tickets:ticket_create"))
    assert "prop_order_no" in response.context["form"].fields
    assert "prop_hidden" not in response.context["form"].fields


def test_the_sidebar_lists_the_contacts_visible_past_tickets(
    client, team_agent, pipeline, team_a, team_b
):
    contact = ContactFactory(first_name="Emma")
    current = TicketFactory(pipeline=pipeline, team=team_a, contacts=[contact], name="Now")
    TicketFactory(pipeline=pipeline, team=team_a, contacts=[contact], name="Earlier refund")
    TicketFactory(pipeline=pipeline, team=team_b, contacts=[contact], name="Other team secret")
    TicketFactory(pipeline=pipeline, team=team_a, name="Someone else")
    client.force_login(team_agent)
    pane = client.get(detail_url(current, "my-teams")).content.decode()
    related = reverse("tickets:ticket_related", args=[current.pk])
    # Each card loads itself once the ticket shows, into its own place: no
    # out-of-band swap that could outlive the ticket it was for.
    for part in ("past", "linked"):
        loads = f'id="{part}-tickets-{current.pk}" hx-get="{related}?part={part}" hx-trigger="load"'
        assert loads in pane
    assert "Earlier refund" not in pane and "Other team secret" not in pane
    past = client.get(related, {"part": "past"}).content.decode()
    assert f'<div id="past-tickets-{current.pk}">' in past and "hx-swap-oob" not in past
    assert "Earlier refund" in past
    assert "Other team secret" not in past
    assert "Someone else" not in past and "Now" not in past
    linked = client.get(related, {"part": "linked"}).content.decode()
    assert f'<div id="linked-tickets-{current.pk}">' in linked
    assert "Linked tickets" not in linked  # none: the card stays empty
    assert client.get(related).status_code == 404  # which card, always said


def test_past_and_linked_tickets_are_only_read_for_a_ticket_the_agent_may_see(
    client, team_agent, pipeline, team_b
):
    secret = TicketFactory(pipeline=pipeline, team=team_b, name="Other team secret")
    client.force_login(team_agent)
    for part in ("past", "linked"):
        response = client.get(reverse("tickets:ticket_related", args=[secret.pk]), {"part": part})
        assert response.status_code == 404 and b"Other team secret" not in response.content


@pytest.fixture
def collaborator_desk(collaborator, agent, pipeline, team_a, team_b):
    """A collaborator (team visibility, team A) and the tickets around them."""
    from conversations import services as conversation_services
    from tickets import services

    owned = TicketFactory(pipeline=pipeline, team=team_a, owner=collaborator, name="Owned")
    followed = TicketFactory(pipeline=pipeline, team=team_a, owner=agent, name="Followed")
    services.ticket_follow(user=collaborator, ticket=followed)
    commented = TicketFactory(pipeline=pipeline, team=team_a, name="Commented")
    conversation_services.comment_add(actor=collaborator, ticket=commented, html="<p>Seen it</p>")
    spam = TicketFactory(pipeline=pipeline, team=team_a, owner=collaborator, name="Spam")
    services.ticket_mark_spam(actor=agent, ticket=spam)
    # Theirs once, in a team they are not in now: outside what they may see.
    moved = TicketFactory(pipeline=pipeline, team=team_b, name="Moved away")
    conversation_services.comment_add(actor=collaborator, ticket=moved, html="<p>Mine once</p>")
    return {
        "mine": {owned, followed, commented},
        "team": TicketFactory(pipeline=pipeline, team=team_a, name="Printer of the team"),
        "other": TicketFactory(
            pipeline=pipeline, team=team_b, owner=agent, name="Printer elsewhere"
        ),
        "moved": moved,
    }


def test_a_collaborator_starts_on_my_tickets_with_exactly_their_visible_work(
    client, collaborator, collaborator_desk, sidebar_counts
):
    """S2 and issue 19: collaborators have no default views, but My tickets:
    what they own, follow or wrote on, within what they may see."""
    client.force_login(collaborator)
    assert client.get("/")["Location"] == reverse("tickets:view_tickets", args=["my-tickets"])
    response = client.get(reverse("tickets:view_tickets", args=["my-tickets"]))
    assert response.status_code == 200
    assert set(response.context["page"].tickets) == collaborator_desk["mine"]
    assert sidebar_counts(client, response)["my-tickets"] == "3"
    page = response.content.decode()
    assert "Printer of the team" not in page and "Moved away" not in page
    for outside in (collaborator_desk["other"], collaborator_desk["moved"]):
        assert client.get(detail_url(outside, "my-tickets")).status_code == 404
    assert client.get(detail_url(collaborator_desk["team"], "my-tickets")).status_code == 200


def test_agents_with_a_seat_keep_their_default_views_without_my_tickets(signed_in):
    assert signed_in.get(reverse("tickets:view_tickets", args=["my-tickets"])).status_code == 404
    response = signed_in.get(reverse("tickets:view_tickets", args=["all-open"]))
    assert "my-tickets" not in [v.slug for v in response.context["views"]]


def test_a_collaborator_searches_only_the_tickets_they_may_see(
    client, collaborator, collaborator_desk
):
    client.force_login(collaborator)
    results = client.get(reverse("tickets:search"), {"q": "printer"})
    assert [t.name for t in results.context["results"].tickets] == ["Printer of the team"]
    suggest = client.get(reverse("tickets:search_suggest"), {"q": "printer"})
    assert [t.name for t in suggest.context["tickets"]] == ["Printer of the team"]
    assert client.get(reverse("tickets:search"), {"q": "moved"}).context["results"].tickets == []


def test_my_tickets_queries_stay_constant(
    client, collaborator, collaborator_desk, pipeline, team_a, django_assert_max_num_queries
):
    client.force_login(collaborator)
    url = reverse("tickets:view_tickets", args=["my-tickets"])
    client.get(url)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(5):
        TicketFactory(pipeline=pipeline, team=team_a, owner=collaborator, name=f"More {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].tickets) == 8


def test_an_empty_my_tickets_points_to_search_not_to_views_they_cannot_open(client, collaborator):
    client.force_login(collaborator)
    page = client.get(reverse("tickets:view_tickets", args=["my-tickets"])).content.decode()
    assert "The search above finds the other tickets you may see." in page
    assert "Unassigned" not in page


def test_a_collaborators_empty_list_points_to_search_not_to_views_they_cannot_open(
    client, collaborator
):
    """Issue 19: a collaborator has no Unassigned tickets view to pick from."""
    client.force_login(collaborator)
    page = client.get("/views/mine/").content.decode()
    assert "The search above finds the other tickets you may see." in page
    assert "Pick one from Unassigned tickets" not in page


def test_the_first_contact_added_by_hand_addresses_the_composer_without_a_reload(
    client, agent, pipeline, htmx
):
    """S6: a ticket created by hand has no conversation; adding its first
    contact answers with the whole ticket, the composer addressed to them."""
    ticket = TicketFactory(pipeline=pipeline, owner=agent)
    contact = ContactFactory(email="hanna@customer.example")
    client.force_login(agent)
    url = reverse("tickets:ticket_associate", args=[ticket.pk, "contact"])
    response = client.post(url, {"record": contact.pk, "view": "all"}, **htmx("record-sidebar"))
    assert response["HX-Retarget"] == "#detail-pane"
    page = response.content.decode()
    assert 'name="to" value="hanna@customer.example"' in page
    # A second contact changes only the sidebar.
    other = ContactFactory()
    response = client.post(url, {"record": other.pk, "view": "all"}, **htmx("record-sidebar"))
    assert "HX-Retarget" not in response


def test_before_a_contact_exists_no_reply_editor_shows(client, agent, pipeline):
    """S6: a ticket made by hand, with nobody to write to yet, offers no
    editor that would send to nobody; comments stay available."""
    ticket = TicketFactory(pipeline=pipeline, owner=agent)
    client.force_login(agent)
    page = client.get(f"/views/all/tickets/{ticket.pk}/").content.decode()
    assert "Add a contact in the sidebar to write to them." in page
    assert '<form id="composer-reply"' not in page
    assert 'id="composer-comment"' in page


def test_past_and_linked_tickets_cost_the_same_queries_however_many_there_are(
    client, agent, pipeline, django_assert_max_num_queries
):
    from tickets import services

    contact = ContactFactory()
    current = TicketFactory(pipeline=pipeline, contacts=[contact])
    related = reverse("tickets:ticket_related", args=[current.pk])
    client.force_login(agent)
    TicketFactory(pipeline=pipeline, contacts=[contact])
    with django_assert_max_num_queries(10) as past:
        client.get(related, {"part": "past"})
    with django_assert_max_num_queries(10) as linked:
        client.get(related, {"part": "linked"})
    for _ in range(6):
        other = TicketFactory(pipeline=pipeline, contacts=[contact])
        services.ticket_link(actor=agent, ticket=current, other=other)
    with django_assert_max_num_queries(len(past.captured_queries)):
        body = client.get(related, {"part": "past"}).content.decode()
    assert body.count("<li><a href=") == 5  # the five latest
    with django_assert_max_num_queries(len(linked.captured_queries)):
        body = client.get(related, {"part": "linked"}).content.decode()
    assert body.count("<li><a href=") == 6 and "Linked tickets" in body
