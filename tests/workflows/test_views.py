import pytest
from django.urls import reverse

from tests.factories import ContactFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import Ticket, TicketEvent
from workflows.models import Macro
from workflows.queries import macros_for_user


def make_macro(owner, name="Escalate", actions=(), sharing=Macro.Sharing.EVERYONE, teams=()):
    macro = Macro(owner=owner, name=name, sharing=sharing, actions=list(actions))
    macro.full_clean()
    macro.save()
    macro.teams.set(teams)
    return macro


@pytest.fixture
def ticket(pipeline, team_a):
    contact = ContactFactory(first_name="Mina")
    return TicketFactory(pipeline=pipeline, team=team_a, contacts=[contact])


@pytest.fixture
def macro(super_admin):
    return make_macro(
        super_admin,
        actions=[
            {"type": "set_priority", "value": "urgent"},
            {"type": "reply_text", "html": "<p>Hi {contact_first_name}</p>"},
        ],
    )


def urls(ticket, macro):
    return (
        reverse("workflows:macro_picker", args=[ticket.pk]),
        reverse("workflows:macro_preview", args=[ticket.pk, macro.pk]),
        reverse("workflows:macro_apply", args=[ticket.pk, macro.pk]),
    )


# Sharing ------------------------------------------------------------------------


def test_an_agent_sees_their_own_and_the_macros_shared_with_them(
    agent, super_admin, team_a, team_b
):
    mine = make_macro(agent, "Mine", sharing=Macro.Sharing.PRIVATE)
    everyone = make_macro(super_admin, "Everyone")
    ours = make_macro(super_admin, "Team A", sharing=Macro.Sharing.TEAMS, teams=[team_a, team_b])
    make_macro(super_admin, "Team B only", sharing=Macro.Sharing.TEAMS, teams=[team_b])
    make_macro(super_admin, "Someone's private", sharing=Macro.Sharing.PRIVATE)
    assert set(macros_for_user(agent)) == {mine, everyone, ours}
    assert list(macros_for_user(agent, "team a")) == [ours]


def test_picker_lists_and_searches_the_shared_macros(
    client, agent, ticket, macro, super_admin, htmx
):
    make_macro(super_admin, "Private of the admin", sharing=Macro.Sharing.PRIVATE)
    client.force_login(agent)
    picker, _preview, _apply = urls(ticket, macro)
    page = client.get(picker).content.decode()
    assert "Escalate" in page and "Private of the admin" not in page
    found = client.get(
        picker, {"q": "nothing like it"}, headers=htmx("macro-list")
    ).content.decode()
    assert 'id="macro-list"' in found and "Escalate" not in found


def test_a_macro_not_shared_with_the_agent_is_a_404(client, agent, ticket, super_admin):
    private = make_macro(super_admin, "Admin's", sharing=Macro.Sharing.PRIVATE)
    client.force_login(agent)
    _picker, preview, apply = urls(ticket, private)
    assert client.get(preview).status_code == 404
    assert client.post(apply).status_code == 404
    ticket.refresh_from_db()
    assert ticket.priority == ""


def test_an_outsider_gets_404_for_a_ticket_they_cannot_see(client, outsider, ticket, macro):
    client.force_login(outsider)
    for url in urls(ticket, macro)[:2]:
        assert client.get(url).status_code == 404
    assert client.post(urls(ticket, macro)[2]).status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).priority == ""


def test_wrong_methods_are_405(client, agent, ticket, macro):
    client.force_login(agent)
    picker, _preview, apply = urls(ticket, macro)
    assert client.post(picker).status_code == 405
    assert client.get(apply).status_code == 405


# Preview and apply ------------------------------------------------------------------


def test_preview_says_what_changes_and_changes_nothing(client, agent, ticket, macro):
    client.force_login(agent)
    events = ticket.events.count()
    page = client.get(urls(ticket, macro)[1]).content.decode()
    assert "Priority: — → Urgent" in page
    assert "reply editor" in page
    ticket.refresh_from_db()
    assert ticket.priority == "" and ticket.events.count() == events


def test_apply_changes_the_ticket_and_sends_the_reply_text_to_the_composer(
    client, agent, ticket, macro, htmx
):
    client.force_login(agent)
    response = client.post(urls(ticket, macro)[2], headers=htmx("macro-panel"))
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    event = ticket.events.get(field="priority")
    assert (event.via, event.via_name, event.actor) == (TicketEvent.Via.MACRO, "Escalate", agent)
    body = response.content.decode()
    assert 'data-macro-reply="&lt;p&gt;Hi Mina&lt;/p&gt;"' in body
    assert 'id="macro-panel" hx-swap-oob="delete"' in body
    assert response["HX-Retarget"] == "#detail-pane"
    assert "applied: 1 change" in body
    assert not ticket.messages.exists()  # the reply is never sent by the macro


def test_conditional_status_is_asked_in_the_preview_then_applied(
    client, agent, ticket, super_admin, pipeline
):
    closed = pipeline.stages.get(name="Closed")  # requires a category
    macro = make_macro(super_admin, "Close", actions=[{"type": "set_status", "stage": closed.pk}])
    client.force_login(agent)
    _picker, preview, apply = urls(ticket, macro)
    page = client.get(preview).content.decode()
    assert 'name="category"' in page
    refused = client.post(apply, {"category": ""}).content.decode()
    assert 'name="category"' in refused and "field-error" in refused
    ticket.refresh_from_db()
    assert ticket.stage.name == "New"
    client.post(apply, {"category": "billing_issue"})
    ticket.refresh_from_db()
    assert (ticket.stage, ticket.category) == (closed, "billing_issue")
    assert set(ticket.events.filter(via="macro").values_list("field", flat=True)) == {
        "stage",
        "category",
    }


def test_preview_asks_nothing_the_macro_itself_sets(client, agent, ticket, super_admin, pipeline):
    closed = pipeline.stages.get(name="Closed")
    macro = make_macro(
        super_admin,
        "Close as billing",
        actions=[
            {"type": "set_category", "value": "billing_issue"},
            {"type": "set_status", "stage": closed.pk},
        ],
    )
    client.force_login(agent)
    page = client.get(urls(ticket, macro)[1]).content.decode()
    assert 'name="category"' not in page


def test_team_scoped_agent_applies_to_their_team_tickets_only(
    client, team_agent, ticket, macro, pipeline
):
    other = TicketFactory(pipeline=pipeline, team=TeamFactory())
    client.force_login(team_agent)
    assert client.post(urls(ticket, macro)[2]).status_code == 200
    assert client.post(urls(other, macro)[2]).status_code == 404


def test_workspace_header_and_composer_offer_macros(client, agent, ticket):
    client.force_login(agent)
    page = client.get(
        reverse("tickets:ticket_open", args=[ticket.pk]), follow=True
    ).content.decode()
    picker = reverse("workflows:macro_picker", args=[ticket.pk])
    assert page.count(picker) == 2
    assert 'data-shortcut="m"' in page


def test_another_agents_private_macro_is_not_listed(client, agent, ticket):
    other = UserFactory()
    make_macro(other, "Their secret", sharing=Macro.Sharing.PRIVATE)
    client.force_login(agent)
    assert "Their secret" not in client.get(urls(ticket, Macro(pk=1))[0]).content.decode()


# An agent's own macros ----------------------------------------------------------------


def test_an_agent_creates_a_private_macro_with_the_builder(client, agent):
    client.force_login(agent)
    data = {
        "name": "Ask for the order",
        "action_index": ["0"],
        "a0-type": "set_priority",
        "a0-value": "low",
    }
    response = client.post(reverse("workflows:macro_create"), data)
    assert response.status_code == 302
    macro = Macro.objects.get()
    assert (macro.owner, macro.sharing, macro.actions) == (
        agent,
        Macro.Sharing.PRIVATE,
        [{"type": "set_priority", "value": "low"}],
    )
    assert "Ask for the order" in client.get(reverse("workflows:macro_list")).content.decode()


def test_an_agent_cannot_edit_a_shared_or_someone_elses_macro(client, agent, macro):
    client.force_login(agent)
    assert client.get(reverse("workflows:macro_edit", args=[macro.pk])).status_code == 404
    assert client.post(reverse("workflows:macro_delete", args=[macro.pk])).status_code == 404
    assert Macro.objects.filter(pk=macro.pk).exists()


def test_a_name_is_unique_per_owner(client, agent):
    make_macro(
        agent,
        "Mine",
        sharing=Macro.Sharing.PRIVATE,
        actions=[{"type": "set_priority", "value": "low"}],
    )
    client.force_login(agent)
    data = {"name": "mine", "action_index": ["0"], "a0-type": "set_priority", "a0-value": "low"}
    page = client.post(reverse("workflows:macro_create"), data).content.decode()
    assert "There already is a macro with this name." in page
    assert Macro.objects.count() == 1


def test_collaborators_keep_no_macros_of_their_own(client, collaborator):
    client.force_login(collaborator)
    assert client.get(reverse("workflows:macro_list")).status_code == 403
    assert client.get(reverse("workflows:action_row")).status_code == 403


# Bulk apply --------------------------------------------------------------------------


def bulk(client, macro, tickets, **extra):
    data = {
        "macro_value": macro.pk,
        "ids": [t.pk for t in tickets],
        "back": "/evil.example/",
        **extra,
    }
    return client.post(reverse("workflows:macro_bulk", args=["all-open"]), data)


def test_bulk_preview_lists_changes_per_ticket_and_changes_nothing(
    client, agent, ticket, macro, pipeline
):
    other = TicketFactory(pipeline=pipeline, priority="urgent")
    client.force_login(agent)
    page = bulk(client, macro, [ticket, other]).content.decode()
    assert "Priority: — → Urgent" in page and "Nothing changes." in page
    assert "not applied in bulk" in page  # the macro's reply text
    ticket.refresh_from_db()
    assert ticket.priority == ""


def test_bulk_apply_changes_each_visible_ticket_without_reply_text(
    client, team_agent, ticket, macro, pipeline
):
    hidden = TicketFactory(pipeline=pipeline, team=TeamFactory())
    client.force_login(team_agent)
    response = bulk(client, macro, [ticket, hidden], confirm="1")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "tickets:view_list", args=["all-open"]
    )  # never elsewhere
    ticket.refresh_from_db()
    hidden.refresh_from_db()
    assert (ticket.priority, hidden.priority) == ("urgent", "")
    assert ticket.events.get(field="priority").via_name == "Escalate"
    assert not ticket.messages.exists()


def test_bulk_conditional_status_asks_once_for_all(client, agent, super_admin, pipeline):
    closed = pipeline.stages.get(name="Closed")
    macro = make_macro(super_admin, "Close", actions=[{"type": "set_status", "stage": closed.pk}])
    tickets = [TicketFactory(pipeline=pipeline) for _ in range(2)]
    client.force_login(agent)
    page = bulk(client, macro, tickets).content.decode()
    assert 'name="category"' in page
    refused = bulk(client, macro, tickets, confirm="1").content.decode()
    assert "field-error" in refused
    bulk(client, macro, tickets, confirm="1", category="billing_issue")
    for t in tickets:
        t.refresh_from_db()
        assert (t.stage, t.category) == (closed, "billing_issue")


def test_bulk_with_a_macro_not_shared_changes_nothing(client, agent, ticket, super_admin):
    private = make_macro(
        super_admin,
        "Admin's",
        sharing=Macro.Sharing.PRIVATE,
        actions=[{"type": "set_priority", "value": "low"}],
    )
    client.force_login(agent)
    bulk(client, private, [ticket], confirm="1")
    ticket.refresh_from_db()
    assert ticket.priority == ""


def test_the_table_offers_the_shared_macros(client, agent, macro, htmx):
    client.force_login(agent)
    page = client.get(reverse("tickets:view_list", args=["all-open"])).content.decode()
    assert reverse("workflows:macro_bulk", args=["all-open"]) in page
    options = client.get(reverse("workflows:macro_options"), headers=htmx()).content.decode()
    assert f'<option value="{macro.pk}">Escalate</option>' in options
