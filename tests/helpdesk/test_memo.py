"""Settings kept in a worker's memory between inbound messages (issue 22):
kept only under the version read for the message, and a change made anywhere
(any process, any kind of write) changes the version."""

import pytest
from django.db import connection

from channels_inbound.ingest import inbound_process
from channels_inbound.models import BlockedSender, EmailChannel, InboundItem
from channels_inbound.store import inbound_store
from helpdesk import memo
from helpdesk.models import ConfigVersion
from tests.channels_inbound.mail import mail
from tests.factories import EmailAddressFactory, EmailChannelFactory


def version() -> int | None:
    return ConfigVersion.objects.filter(pk=1).values_list("value", flat=True).first()


def versions_around(statement: str) -> tuple[int | None, int | None]:
    """The version before and after `statement`, run as plain SQL (as
    another process might): the triggers are PostgreSQL's, elsewhere the
    signals change it."""
    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's; elsewhere the signals change it")
    memo.restore()
    before = version()
    with connection.cursor() as cursor:
        cursor.execute(statement)
    return before, version()


class Loads:
    def __init__(self, value="loaded"):
        self.count, self.value = 0, value

    def __call__(self):
        self.count += 1
        return self.value


def test_outside_a_checked_block_nothing_is_kept():
    load = Loads()
    assert memo.remembered("test.key", load) == "loaded"
    assert memo.remembered("test.key", load) == "loaded"
    assert load.count == 2


def test_a_value_is_kept_for_its_version_and_read_again_for_another():
    load = Loads()
    with memo.checked(-101):
        memo.remembered("test.key", load)
        memo.remembered("test.key", load)
    with memo.checked(-101):
        memo.remembered("test.key", load)
    assert load.count == 1
    with memo.checked(-102):
        memo.remembered("test.key", load)
    assert load.count == 2


def test_no_version_keeps_nothing():
    load = Loads()
    with memo.checked(None):
        memo.remembered("test.key", load)
        memo.remembered("test.key", load)
    assert load.count == 2


def test_a_value_loaded_while_this_work_changes_settings_is_not_kept(db):
    """What a transaction reads after its own change is not committed."""

    def load_and_change():
        BlockedSender.objects.create(pattern="spam.example")
        return "uncommitted"

    load = Loads()
    with memo.checked(-103):
        memo.remembered("test.changed", load_and_change)
        memo.remembered("test.key", load)
        memo.remembered("test.key", load)
    assert load.count == 2
    with memo.checked(-103):
        assert memo.remembered("test.changed", lambda: "read again") == "read again"


def test_work_inside_checked_work_keeps_its_version_and_a_change_inside_stops_it(db):
    """A macro or rule run by an inbound message (actions.apply) checks a
    version only when the message did not: the message's holds, and a
    setting changed by an action stops the message from keeping anything."""
    load = Loads()
    with memo.checking(-104):
        memo.remembered("test.key", load)
        memo.remembered("test.key", load)
    assert load.count == 1  # a version was checked: kept
    with memo.checked(-105):
        with memo.checking(-106):
            memo.remembered("test.key", load)
        with memo.checked(-105):
            memo.remembered("test.key", load)
        assert load.count == 2  # kept under the message's version, -105
        with memo.checking(-107):
            BlockedSender.objects.create(pattern="spam.example")
        memo.remembered("test.other", load)
        memo.remembered("test.other", load)
    assert load.count == 4  # nothing kept after the change


@pytest.mark.parametrize(
    "change",
    [
        lambda channel: EmailChannel.objects.filter(pk=channel.pk).update(is_active=False),
        lambda channel: channel.save(),
        lambda channel: BlockedSender.objects.bulk_create([BlockedSender(pattern="x.example")]),
        lambda channel: channel.address.delete(),
    ],
    ids=["queryset-update", "save", "bulk-create", "delete"],
)
def test_every_kind_of_write_to_a_watched_table_changes_the_version(db, pipeline, change):
    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's; elsewhere the signals change it")
    channel = EmailChannelFactory(address=EmailAddressFactory(), pipeline=pipeline)
    before = version()
    change(channel)
    assert version() not in (None, before)


def test_a_channel_switched_off_by_another_process_is_seen_by_the_next_message(db, pipeline):
    """The worker kept the channels; another process switches one off with a
    plain UPDATE: the next message reads the channels again."""
    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's")
    EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"), pipeline=pipeline
    )
    # The first makes the settings rows it reads; the second keeps them.
    for subject in ("One", "Two"):
        item, _created = inbound_store(
            source=InboundItem.Source.PIPE, payload=mail(subject=subject)
        )
        assert inbound_process(item.pk) == "done"
    with connection.cursor() as cursor:  # as psql or another process would
        cursor.execute("UPDATE channels_inbound_emailchannel SET is_active = false")
    third, _created = inbound_store(source=InboundItem.Source.PIPE, payload=mail(subject="Three"))
    assert inbound_process(third.pk) == "failed"


def test_a_lost_version_row_is_put_back_and_ingestion_goes_on(db, pipeline):
    EmailChannelFactory(
        address=EmailAddressFactory(email="support@helpdesk.example"), pipeline=pipeline
    )
    ConfigVersion.objects.all().delete()
    item, _created = inbound_store(source=InboundItem.Source.PIPE, payload=mail())
    assert inbound_process(item.pk) == "done"
    assert version() is not None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tickets_propertydefinition SET label = label || '!'",
        "UPDATE tickets_ticketsettings SET keep_deleted_days = keep_deleted_days",
        "UPDATE tickets_workspacelayout SET properties = properties",
        "DELETE FROM conversations_emailaddress_default_for_teams",
        "UPDATE accounts_team SET name = name || '!'",
        "UPDATE accounts_team SET labels = '{}'",
        "UPDATE accounts_user SET first_name = first_name || '!'",
        "UPDATE accounts_user SET is_active = NOT is_active",
        "UPDATE accounts_user SET role = role",
        "INSERT INTO tickets_tag (name, colour, created_at) VALUES ('vip', '', now())",
    ],
    ids=[
        "definitions",
        "ticket-settings",
        "layout",
        "default-addresses",
        "team-name",
        "labels",
        "user-name",
        "user-active",
        "user-role",
        "new-tag",
    ],
)
def test_a_write_to_a_setting_the_ticket_pane_keeps_changes_the_version(db, statement):
    before, after = versions_around(statement)
    assert after not in (None, before)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE accounts_user SET last_login = now()",
        "UPDATE accounts_user SET availability = availability",
        "UPDATE accounts_user SET language = 'fi'",
    ],
    ids=["sign-in", "availability", "language"],
)
def test_a_person_signing_in_or_going_away_does_not_change_the_version(db, agent, statement):
    before, after = versions_around(statement)
    assert after == before


def test_round_robin_turns_do_not_change_the_version(db, team_a, agent):
    if connection.vendor != "postgresql":
        pytest.skip("the triggers are PostgreSQL's")
    memo.restore()
    before = version()
    type(team_a).objects.filter(pk=team_a.pk).update(routing_last_agent=agent)
    assert version() == before


def test_the_ticket_pane_shows_a_team_renamed_by_another_process(client, agent, team_a):
    """The pane keeps the teams between requests; a rename made elsewhere
    (a plain UPDATE) shows on the next one."""
    from django.urls import reverse

    from tests.factories import TeamFactory, TicketFactory

    memo.restore()
    ticket = TicketFactory(team=team_a)
    other = TeamFactory(name="Billing")  # in the team picker only
    client.force_login(agent)
    url = reverse("tickets:ticket_detail", args=["all", ticket.pk])
    pane = {"HX-Request": "true", "HX-Target": "detail-pane"}
    assert "Billing" in client.get(url, headers=pane).content.decode()  # kept now
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_team SET name = 'Renamed elsewhere' WHERE id = %s", [other.pk]
        )
    if connection.vendor != "postgresql":
        memo.bump()  # elsewhere a save's signal does it
    assert "Renamed elsewhere" in client.get(url, headers=pane).content.decode()


def test_the_table_offers_an_agent_and_a_tag_renamed_by_another_process(client, agent):
    """The table's owner and tag filters are kept between requests; a person
    or a tag renamed elsewhere (plain SQL) shows so on the next one."""
    from django.urls import reverse

    from tests.factories import UserFactory
    from tickets.models import Tag

    memo.restore()
    UserFactory(first_name="Astrid", last_name="Lindqvist")
    Tag.objects.create(name="warranty")
    client.force_login(agent)
    url = reverse("tickets:view_list", args=["all"])
    page = client.get(url).content.decode()
    assert "Astrid Lindqvist" in page and "warranty" in page  # kept now
    for statement, shown, gone in [
        (
            "UPDATE accounts_user SET last_name = 'Berg' WHERE last_name = 'Lindqvist'",
            "Astrid Berg",
            "Astrid Lindqvist",
        ),
        ("UPDATE tickets_tag SET name = 'recall' WHERE name = 'warranty'", "recall", "warranty"),
    ]:
        with connection.cursor() as cursor:
            cursor.execute(statement)
        if connection.vendor != "postgresql":
            memo.bump()  # elsewhere a save's signal does it
        page = client.get(url).content.decode()
        assert shown in page and gone not in page
