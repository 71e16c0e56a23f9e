"""The rules read common conditions in Python (workflows.conditions) and the
rest in SQL (tickets.filters). Hypothesis draws tickets and conditions and
holds the two readings equal, so a rule and a view never disagree on what
"priority is any of High" means."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import PropertyDefinitionFactory, TeamFactory, TicketFactory, UserFactory
from tickets import filters
from tickets.models import Ticket
from workflows import conditions

NAMES = ["Printer on fire", "printer", "Refund for order 12", "Straße", "", "Ünïcode ok"]
words = st.sampled_from(["printer", "PRINTER", "refund", "order 1", "ß", "ü", "on", "x"])


@pytest.fixture
def world(db, pipeline):
    PropertyDefinitionFactory(key="plan", type="choice", choices=["basic", "gold"])
    PropertyDefinitionFactory(key="note", type="text")
    return {
        "ticket": TicketFactory(pipeline=pipeline),
        "teams": [TeamFactory().pk, TeamFactory().pk],
        "users": [UserFactory().pk, UserFactory().pk],
        "stages": [str(s.pk) for s in pipeline.stages.all()],
        "known": filters.properties(),
    }


def condition_strategy(world):
    ids = lambda values: st.lists(st.sampled_from(values), min_size=1, max_size=2).map(  # noqa: E731
        lambda v: ",".join(map(str, v))
    )
    return st.one_of(
        st.tuples(st.just("priority"), st.sampled_from(["any_of", "is_not"]), ids(["low", "high", "urgent"])),
        st.tuples(st.sampled_from(["priority", "category", "owner", "team", "language", "plan", "note"]), st.sampled_from(["known", "unknown"]), st.just("")),
        st.tuples(st.just("team"), st.sampled_from(["any_of", "is_not"]), ids(world["teams"])),
        st.tuples(st.just("owner"), st.sampled_from(["any_of", "is_not"]), ids([*world["users"], "me"])),
        st.tuples(st.just("stage"), st.just("any_of"), ids(world["stages"])),
        st.tuples(st.just("name"), st.sampled_from(["is", "is_not", "contains", "starts_with"]), words),
        st.tuples(st.just("plan"), st.sampled_from(["any_of", "is_not"]), ids(["basic", "gold"])),
        st.tuples(st.just("note"), st.sampled_from(["is", "is_not", "contains", "starts_with"]), words),
        st.tuples(st.just("created_at"), st.just("last_days"), st.sampled_from(["1", "3", "30"])),
        st.tuples(st.just("closed_at"), st.sampled_from(["after", "before"]), st.just(timezone.localdate().isoformat())),
    )  # fmt: skip


def ticket_strategy(world):
    return st.fixed_dictionaries(
        {
            "priority": st.sampled_from(["", "low", "high", "urgent"]),
            "category": st.sampled_from(["", "billing_issue"]),
            "owner_id": st.sampled_from([None, *world["users"]]),
            "team_id": st.sampled_from([None, *world["teams"]]),
            "language": st.sampled_from(["", "ko", "fi"]),
            "name": st.sampled_from(NAMES),
            "properties": st.fixed_dictionaries(
                {},
                optional={
                    "plan": st.sampled_from(["", "basic", "gold"]),
                    "note": st.sampled_from(["", "printer jam", "Straße 5", "REFUND"]),
                },
            ),
            "age_days": st.integers(min_value=0, max_value=10),
            "closed_days_ago": st.sampled_from([None, 0, 2]),
        }
    )


def test_python_and_sql_read_every_condition_alike(world):
    ticket, known = world["ticket"], world["known"]

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(state=ticket_strategy(world), triple=condition_strategy(world))
    def check(state, triple):
        now = timezone.now()
        fields = dict(state)
        age, closed = fields.pop("age_days"), fields.pop("closed_days_ago")
        fields["created_at"] = now - datetime.timedelta(days=age, hours=1)
        fields["closed_at"] = None if closed is None else now - datetime.timedelta(days=closed)
        Ticket.objects.filter(pk=ticket.pk).update(**fields)
        row = Ticket.objects.get(pk=ticket.pk)
        condition = filters.Condition(*triple)
        in_python = conditions.read_in_python(condition, known[condition.key], row)
        if in_python is conditions.UNREAD:
            return
        in_sql = (
            Ticket.objects.filter(pk=ticket.pk)
            .filter(filters.condition_q(condition, known, None))
            .exists()
        )
        assert in_python == in_sql, (triple, state)

    check()
