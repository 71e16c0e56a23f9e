"""The rules engine (issue 17): events, conditions, order, once-only firing,
bounded chains, broken rules, and the worker running them after commit."""

import datetime

import pytest
from django.db import transaction

from conversations.models import Message, Notification, OutboundEmail
from conversations.services import comment_add
from tests.channels_inbound.mail import mail
from tests.factories import (
    ContactFactory,
    PropertyDefinitionFactory,
    StageFactory,
    TeamFactory,
    TicketFactory,
    UserFactory,
    inbound_message,
)
from tickets import services
from tickets.models import TicketEvent
from workflows import engine
from workflows.models import Event, Rule, RuleEvent, RuleFiring, WorkflowSettings


def rule(name="Rule", events=(Event.CUSTOMER_MESSAGE,), all_=(), any_=(), actions=(), **fields):
    return Rule.objects.create(
        name=name,
        events=list(events),
        conditions_all=[list(c) for c in all_],
        conditions_any=[list(c) for c in any_],
        actions=list(actions),
        **fields,
    )


@pytest.fixture
def ticket(pipeline, team_a):
    return TicketFactory(pipeline=pipeline, team=team_a, contacts=[ContactFactory()])


def customer_writes(ticket, text, contact=None):
    """A customer's message as ingestion stores it: the signal, then the worker."""
    message = inbound_message(ticket, text=text, contact=contact)
    services.ticket_activity.send(
        type(ticket), ticket=ticket, kind="customer_message", at=message.created_at,
        message=message,
    )  # fmt: skip
    engine.run_ticket_events(ticket.pk)
    return message


def by_rule(ticket):
    return list(ticket.events.filter(via=TicketEvent.Via.RULE).order_by("id"))


def test_a_rule_fires_on_its_event_when_its_conditions_hold(ticket):
    rule(
        "Refunds are urgent",
        all_=[("message_text", "matches_word", "refund")],
        actions=[{"type": "set_priority", "value": "urgent"}],
    )
    customer_writes(ticket, "They refunded me twice, thanks")
    ticket.refresh_from_db()
    assert ticket.priority == ""  # "refunded" is not the word
    customer_writes(ticket, "Please, a Refund!")
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    [line] = by_rule(ticket)
    assert (line.field, line.new_value, line.via_name) == (
        "priority",
        "urgent",
        "Refunds are urgent",
    )


def test_ticket_conditions_use_the_list_filters(ticket, team_a, team_b):
    rule(
        "Team A only",
        all_=[("team", "any_of", str(team_b.pk))],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    rule(
        "High for team A",
        all_=[("team", "any_of", str(team_a.pk))],
        any_=[("priority", "unknown", ""), ("priority", "any_of", "low")],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    customer_writes(ticket, "hello")
    assert [e.via_name for e in by_rule(ticket)] == ["High for team A"]


def test_an_event_fires_each_rule_once_even_when_evaluated_twice(ticket):
    rule("Tag it", actions=[{"type": "set_priority", "value": "high"}])
    customer_writes(ticket, "hi")
    RuleEvent.objects.update(processed_at=None)  # a retried task sees it again
    engine.run_ticket_events(ticket.pk)
    assert RuleFiring.objects.count() == 1
    assert len(by_rule(ticket)) == 1


def test_rules_run_in_order_see_earlier_changes_and_stop_when_told(ticket, pipeline):
    waiting = pipeline.stages.get(name="Waiting on contact")
    rule(
        "First",
        position=1,
        actions=[{"type": "set_priority", "value": "urgent"}],
    )
    rule(
        "Second sees the priority",
        position=2,
        all_=[("priority", "any_of", "urgent")],
        actions=[{"type": "set_status", "stage": waiting.pk, "properties": {}}],
        stop_processing=True,
    )
    rule("Never", position=3, actions=[{"type": "set_category", "value": "billing_issue"}])
    customer_writes(ticket, "hi")
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.stage, ticket.category) == ("urgent", waiting, "")


def test_two_rules_that_undo_each_other_stop_within_the_depth_limit(ticket):
    rule(
        "Down",
        events=[Event.PRIORITY],
        all_=[("priority", "any_of", "high")],
        actions=[{"type": "set_priority", "value": "low"}],
    )
    rule(
        "Up",
        events=[Event.PRIORITY],
        all_=[("priority", "any_of", "low")],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    with transaction.atomic():
        services.ticket_update(actor=None, ticket=ticket, priority="high")
    engine.run_ticket_events(ticket.pk)
    # Each rule fires once for the person's change and what rules did after it.
    assert [e.via_name for e in by_rule(ticket)] == ["Down", "Up"]
    assert not RuleEvent.objects.filter(processed_at__isnull=True).exists()


def test_chains_of_different_rules_end_at_the_depth_limit(ticket):
    # Five rules, each reacting to the change of the one before, ordered last
    # to first so that each runs on its own event: only MAX_DEPTH + 1 run.
    for level in range(5):
        PropertyDefinitionFactory(key=f"step{level}", type="text")
    for level in range(5):
        rule(
            f"Step {level}",
            position=10 - level,
            events=[Event.PRIORITY if level == 0 else Event.PROPERTY],
            all_=[("priority", "any_of", "high")]
            if level == 0
            else [(f"step{level - 1}", "is", "done")],
            actions=[{"type": "set_property", "key": f"step{level}", "value": "done"}],
        )
    with transaction.atomic():
        services.ticket_update(actor=None, ticket=ticket, priority="high")
    engine.run_ticket_events(ticket.pk)
    assert len(by_rule(ticket)) == engine.MAX_DEPTH + 1


def test_a_rule_fires_at_most_the_daily_cap_on_one_ticket(ticket):
    WorkflowSettings.objects.create(max_firings_per_day=2)
    rule("Every message", actions=[{"type": "add_followers", "users": [UserFactory().pk]}])
    for text in ("one", "two", "three"):
        customer_writes(ticket, text)
    assert RuleFiring.objects.count() == 2


def test_a_broken_rule_is_switched_off_with_its_reason_and_the_others_still_run(ticket, pipeline):
    gone = StageFactory(pipeline=pipeline, name="Soon deleted", position=5)
    broken = rule("Broken", position=1, actions=[{"type": "set_status", "stage": gone.pk}])
    rule("Fine", position=2, actions=[{"type": "set_priority", "value": "low"}])
    gone.delete()
    customer_writes(ticket, "hi")
    broken.refresh_from_db()
    assert not broken.is_active
    assert broken.disabled_reason
    ticket.refresh_from_db()
    assert ticket.priority == "low"


def test_a_condition_on_a_deleted_property_switches_the_rule_off(ticket):
    definition = PropertyDefinitionFactory(key="plan", type="text")
    broken = rule("Plan", all_=[("plan", "is", "gold")], actions=[{"type": "close"}])
    definition.delete()
    customer_writes(ticket, "hi")
    broken.refresh_from_db()
    assert not broken.is_active and "plan" in broken.disabled_reason


def test_no_rule_listening_records_no_event(ticket):
    rule("Only comments", events=[Event.COMMENT], actions=[{"type": "close"}])
    customer_writes(ticket, "hi")
    assert not RuleEvent.objects.exists()


def test_events_are_recorded_with_the_change_and_rolled_back_with_it(
    ticket, django_capture_on_commit_callbacks
):
    rule(
        "Any priority",
        events=[Event.PRIORITY],
        actions=[{"type": "set_category", "value": "general_inquiry"}],
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        services.ticket_update(actor=None, ticket=ticket, priority="high")
        raise RuntimeError
    assert not RuleEvent.objects.exists()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        services.ticket_update(actor=None, ticket=ticket, priority="high")
    assert len(queued) == 1  # the worker runs it after commit
    ticket.refresh_from_db()
    assert ticket.category == "general_inquiry"


def test_comment_and_status_events_reach_rules(ticket, agent, pipeline):
    waiting = pipeline.stages.get(name="Waiting on contact")
    rule("On comment", events=[Event.COMMENT], actions=[{"type": "set_priority", "value": "high"}])
    rule(
        "On status",
        events=[Event.STATUS],
        all_=[("stage", "any_of", str(waiting.pk))],
        actions=[{"type": "set_category", "value": "billing_issue"}],
    )
    comment_add(actor=agent, ticket=ticket, html="<p>looking</p>")
    services.ticket_set_stage(actor=agent, ticket=ticket, stage=waiting)
    engine.run_ticket_events(ticket.pk)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.category) == ("high", "billing_issue")


def test_a_rule_comment_is_written_in_the_rules_name(ticket):
    rule("Note it", actions=[{"type": "comment", "html": "<p>Checked by robot</p>"}])
    customer_writes(ticket, "hi")
    comment = Message.objects.get(ticket=ticket, kind=Message.Kind.COMMENT)
    assert (comment.author, comment.from_name, comment.is_automatic) == (None, "Note it", True)


def test_notify_tells_only_people_who_see_the_ticket(ticket, agent, outsider):
    rule(
        "Tell",
        actions=[{"type": "notify", "users": [agent.pk, outsider.pk], "text": "VIP wrote"}],
    )
    customer_writes(ticket, "hi")
    notes = Notification.objects.filter(kind=Notification.Kind.RULE)
    assert [(n.user, n.detail) for n in notes] == [(agent, "VIP wrote")]


# Automatic email (RFC 3834) ------------------------------------------------------


ACK = {
    "type": "send_email",
    "subject": "",
    "html": "<p>Hello {contact_first_name}, we got {ticket_number}.</p>",
}


def test_the_acknowledgement_is_marked_automatic_and_sent_once_an_hour(ticket, mailoutbox):
    rule("Acknowledge", actions=[ACK])
    customer = ticket.contacts.get()
    customer_writes(ticket, "first", contact=customer)
    customer_writes(ticket, "second, within the hour", contact=customer)
    sent = Message.objects.filter(direction="outbound", is_automatic=True)
    assert sent.count() == 1
    assert f"#{ticket.pk}" in sent.get().text
    assert OutboundEmail.objects.count() == 1


def test_no_automatic_email_answers_an_automatic_message(ticket):
    rule("Acknowledge", actions=[ACK])
    message = inbound_message(ticket, text="I am out of office")
    Message.objects.filter(pk=message.pk).update(is_automatic=True)
    services.ticket_activity.send(
        type(ticket), ticket=ticket, kind="comment", at=message.created_at, message=message
    )
    rule_comment = Rule.objects.get()
    rule_comment.events = [Event.COMMENT]
    rule_comment.save()
    services.ticket_activity.send(
        type(ticket), ticket=ticket, kind="comment", at=message.created_at, message=message
    )
    engine.run_ticket_events(ticket.pk)
    assert not Message.objects.filter(direction="outbound").exists()


def test_the_auto_reply_carries_rfc_3834_headers(ticket):
    from conversations.emails import build_reply

    rule("Acknowledge", actions=[ACK])
    customer_writes(ticket, "hello")
    email = build_reply(Message.objects.get(direction="outbound")).message()
    assert email["Auto-Submitted"] == "auto-replied"
    assert email["X-Auto-Response-Suppress"] == "All"


def test_rules_fire_on_tickets_created_by_email_with_the_first_message(pipeline, team_a):
    rule(
        "Korean to the Korean team",
        events=[Event.CREATED],
        all_=[("message_text", "contains", "안녕하세요")],
        actions=[{"type": "set_team", "team": TeamFactory(name="Korean").pk}],
    )
    ticket = TicketFactory(pipeline=pipeline, team=team_a)
    inbound_message(ticket, text="안녕하세요, 도와주세요")
    engine.run_ticket_events(ticket.pk)
    ticket.refresh_from_db()
    assert ticket.team.name == "Korean"


def test_timeline_of_a_rule_change_reads_by_rule(client, agent, ticket):
    rule("Escalate", actions=[{"type": "set_priority", "value": "urgent"}])
    customer_writes(ticket, "help")
    client.force_login(agent)
    from django.urls import reverse

    page = client.get(reverse("tickets:ticket_detail", args=["all-open", ticket.pk]))
    assert "by rule “Escalate”" in page.content.decode()


def test_an_event_older_than_a_minute_is_queued_again_by_the_beat(ticket, monkeypatch):
    rule("Any", actions=[{"type": "set_priority", "value": "low"}])
    inbound = inbound_message(ticket, text="x")
    services.ticket_activity.send(
        type(ticket), ticket=ticket, kind="customer_message", at=inbound.created_at,
        message=inbound,
    )  # fmt: skip
    RuleEvent.objects.update(created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    queued = []
    monkeypatch.setattr(engine, "enqueue", lambda task, *args: queued.append(args))
    assert engine.run_waiting() == 1
    assert queued == [(ticket.pk,)]


def test_korean_tickets_go_to_the_korean_team_and_its_routing(pipeline, team_a):
    from accounts.models import Team
    from tests.routing.conftest import customer_writes as mails

    korean = TeamFactory(name="Korean", routing=Team.Routing.ROUND_ROBIN)
    minjun = UserFactory(username="minjun", main_team=korean, languages=["ko"])
    rule(
        "Korean to the Korean team",
        events=[Event.CUSTOMER_MESSAGE],
        all_=[("language", "any_of", "ko")],
        actions=[{"type": "set_team", "team": korean.pk}, {"type": "assign_by_routing"}],
    )
    ticket = TicketFactory(pipeline=pipeline, team=team_a)
    # Stored as ingestion stores it: the first message gives the ticket its language.
    mails(ticket, "안녕하세요, 주문한 상품이 아직 도착하지 않았습니다. 확인 부탁드립니다.")
    engine.run_ticket_events(ticket.pk)
    ticket.refresh_from_db()
    assert ticket.language == "ko"
    assert (ticket.team, ticket.owner) == (korean, minjun)
    assert ticket.events.filter(field="owner", via=TicketEvent.Via.ROUTING).exists()


def test_rules_tag_tickets_and_fire_on_tags(ticket):
    rule(
        "Tag refunds",
        all_=[("message_text", "matches_word", "refund")],
        actions=[{"type": "add_tags", "tags": "refund, Billing"}],
    )
    rule(
        "Tagged tickets are high",
        events=[Event.TAGS],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    customer_writes(ticket, "A refund, please")
    ticket.refresh_from_db()
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["Billing", "refund"]
    assert ticket.priority == "high"  # the tags' own event set off the second rule


def test_contact_and_company_fields_are_conditions(ticket):
    from crm.models import Company

    contact = ticket.contacts.get()
    contact.first_name, contact.phone = "Hana", "+82 2 555 0100"
    contact.company = Company.objects.create(name="Acme Korea", domain="acme.kr")
    contact.save()
    rule(
        "VIP domain",
        all_=[
            ("company_domain", "is", "ACME.kr"),
            ("contact_name", "contains", "han"),
            ("contact_phone", "contains", "555"),
        ],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    customer_writes(ticket, "hello", contact=contact)
    ticket.refresh_from_db()
    assert ticket.priority == "high"


def test_the_inbound_worker_runs_rules_in_its_transaction_and_a_failure_never_loses_mail(
    pipeline, monkeypatch, django_capture_on_commit_callbacks
):
    from channels_inbound.ingest import inbound_process
    from channels_inbound.models import InboundItem
    from channels_inbound.store import inbound_store
    from tests.factories import EmailAddressFactory, EmailChannelFactory
    from tickets.models import Ticket

    EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"), pipeline=pipeline
    )
    rule("Urgent", events=[Event.CREATED], actions=[{"type": "set_priority", "value": "urgent"}])
    item, _created = inbound_store(
        source=InboundItem.Source.PIPE, payload=mail(subject="One", text="hi")
    )
    assert inbound_process(item.pk) == InboundItem.Status.DONE
    assert Ticket.objects.get(name="One").priority == "urgent"  # no task needed

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr(engine, "run_event", broken)
    item, _created = inbound_store(
        source=InboundItem.Source.PIPE, payload=mail(subject="Two", text="hi")
    )
    assert inbound_process(item.pk) == InboundItem.Status.DONE  # delivered all the same
    ticket = Ticket.objects.get(name="Two")
    assert ticket.priority == ""
    assert RuleEvent.objects.filter(ticket=ticket, processed_at__isnull=True).exists()
    monkeypatch.undo()
    engine.run_ticket_events(ticket.pk)  # the task queued after commit
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


def test_the_inbound_worker_asks_the_rules_in_python_before_it_makes_a_savepoint(
    pipeline, monkeypatch
):
    """Most deliveries hold no rule: they are asked in Python first and cost
    no savepoint. A condition only SQL can answer still runs where a failure
    is rolled back, and fires."""
    from channels_inbound.ingest import inbound_process
    from channels_inbound.models import InboundItem
    from channels_inbound.store import inbound_store
    from tests.factories import EmailAddressFactory, EmailChannelFactory
    from tickets.models import Tag, Ticket

    EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"), pipeline=pipeline
    )
    rule(
        "Urgent ones",
        events=[Event.CREATED, Event.CUSTOMER_MESSAGE],
        all_=[("priority", "any_of", "urgent")],
        actions=[{"type": "set_category", "value": "billing_issue"}],
    )
    runs = []
    run_pending = engine._run_pending
    monkeypatch.setattr(
        engine, "_run_pending", lambda *a, **k: runs.append(a) or run_pending(*a, **k)
    )

    def deliver(subject):
        item, _created = inbound_store(
            source=InboundItem.Source.PIPE, payload=mail(subject=subject, text="hi")
        )
        assert inbound_process(item.pk) == InboundItem.Status.DONE
        return Ticket.objects.get(name=subject)

    assert deliver("Nothing holds").category == ""
    assert runs == []
    tag = Tag.objects.create(name="vip")
    rule(
        "Untagged ones",
        events=[Event.CREATED],
        all_=[("tags", "has_none", str(tag.pk))],
        actions=[{"type": "set_priority", "value": "high"}],
    )
    assert deliver("Only SQL can tell").priority == "high"
    assert len(runs) == 1
