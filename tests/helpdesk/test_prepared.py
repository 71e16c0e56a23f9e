"""Queries compiled once per process (helpdesk.prepared, issue 22): each call
runs with its own values and reads what the ORM would."""

from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Lower

from crm.models import Company, Contact
from helpdesk.prepared import Prepared, keep_prefetched
from tests.factories import CompanyFactory, ContactFactory


def contacts_at(domain: str, email: str):
    """A model query with an annotation whose value needs a converter on
    SQLite (a boolean), and a value used twice."""
    return (
        Contact.objects.filter(company__domain=domain)
        .annotate(
            has_twin=Exists(Contact.objects.filter(email=email).exclude(pk=OuterRef("pk"))),
            asked=Value(email),
        )
        .order_by("pk")
    )


def test_each_call_runs_the_sql_compiled_once_with_its_own_values(db):
    acme, other = CompanyFactory(domain="acme.example"), CompanyFactory(domain="other.example")
    ana = ContactFactory(company=acme, email="ana@acme.example")
    ContactFactory(company=acme, email="ana@acme.example")
    bo = ContactFactory(company=other, email="bo@other.example")
    build = mock.Mock(side_effect=contacts_at)
    query = Prepared(build, str, str)

    first = query.objects("acme.example", "ana@acme.example")
    second = query.objects("other.example", "nobody@acme.example")

    assert build.call_count == 1
    assert first == list(contacts_at("acme.example", "ana@acme.example"))
    assert [(c.has_twin, c.asked) for c in first] == [(True, "ana@acme.example")] * 2
    assert second == [bo] and (second[0].has_twin, second[0].asked) == (
        False,
        "nobody@acme.example",
    )
    # Rows as the ORM loads them: saved as an update of the row, not a new one.
    row = first[0]
    assert row.pk == ana.pk and not row._state.adding and row.company_id == acme.pk
    row.first_name = "Anna"
    row.save(update_fields=["first_name"])
    assert Contact.objects.get(pk=ana.pk).first_name == "Anna"


def test_columns_come_as_tuples(db):
    acme = CompanyFactory(domain="acme.example", name="Acme")
    query = Prepared(
        lambda pk: Company.objects.filter(pk=pk).values_list(
            "name", Exists(Contact.objects.filter(company=OuterRef("pk")))
        ),
        int,
    )
    assert query.rows(acme.pk) == [("Acme", False)]
    ContactFactory(company=acme)
    assert query.rows(acme.pk) == [("Acme", True)]
    assert query.rows(acme.pk + 1000) == []


@pytest.mark.parametrize(
    "build",
    [
        lambda email: Contact.objects.filter(email__icontains=email),  # wrapped in %…%
        lambda email: Contact.objects.filter(email=email.lower()),  # changed before the query
        lambda email: Contact.objects.annotate(e=Lower("email")),  # never used
    ],
    ids=["icontains", "lowered", "unused"],
)
def test_a_value_the_query_does_not_compare_as_it_is_is_refused(db, build):
    with pytest.raises(ImproperlyConfigured, match="compare them as they are"):
        Prepared(build, str).rows("ana@acme.example")


def test_related_rows_come_with_their_row_as_select_related_brings_them(db):
    acme = CompanyFactory(domain="acme.example", name="Acme")
    with_company, without = ContactFactory(company=acme), ContactFactory(company=None)
    query = Prepared(lambda pk: Contact.objects.select_related("company").filter(pk=pk), int)
    [found] = query.objects(with_company.pk)
    assert Contact.company.is_cached(found) and found.company == acme
    assert found.company.name == "Acme" and found.company.domain == "acme.example"
    [alone] = query.objects(without.pk)
    assert Contact.company.is_cached(alone) and alone.company is None


def test_prefetching_is_refused(db):
    query = Prepared(lambda pk: Company.objects.prefetch_related("contacts").filter(pk=pk), int)
    with pytest.raises(ImproperlyConfigured, match="prefetch"):
        query.objects(1)


def test_a_worker_loads_the_language_model_before_it_forks_its_pool():
    """Celery's worker_init runs in the parent, before the pool's processes
    are forked: they share the model instead of each loading its own."""
    from celery.signals import worker_init

    from helpdesk.celery import load_before_fork

    assert any(receiver() is load_before_fork for _key, receiver in worker_init.receivers)
    with mock.patch("conversations.languages._classify") as classify:
        load_before_fork()
    classify.assert_called_once()


def test_rows_kept_as_a_prefetch_are_what_the_relation_returns_without_a_query(
    db, django_assert_num_queries
):
    acme = CompanyFactory(domain="acme.example")
    ana, bo = ContactFactory(company=acme), ContactFactory(company=acme)
    company = Company.objects.get(pk=acme.pk)
    staff = Prepared(lambda pk: Contact.objects.filter(company=pk).order_by("pk"), int)

    keep_prefetched(company, "contacts", staff.objects(acme.pk))

    with django_assert_num_queries(0):
        assert list(company.contacts.all()) == [ana, bo]
        assert company.contacts.count() == 2
    # A filter is a new query, as after prefetch_related.
    with django_assert_num_queries(1):
        assert list(company.contacts.filter(pk=bo.pk)) == [bo]


def test_a_list_of_ids_finds_its_rows_and_an_empty_list_matches_nothing(db):
    acme = CompanyFactory(domain="acme.example")
    ana, bo, cy = (ContactFactory(company=acme) for _ in range(3))
    elsewhere = ContactFactory(company=CompanyFactory(domain="other.example"))
    build = mock.Mock(
        side_effect=lambda ids, domain: Contact.objects.filter(
            pk__in=ids, company__domain=domain
        ).order_by("pk")
    )
    query = Prepared(build, list, str)

    assert query.objects([ana.pk, cy.pk, elsewhere.pk], "acme.example") == [ana, cy]
    assert query.objects([bo.pk], "acme.example") == [bo]
    assert query.objects([], "acme.example") == []
    assert query.objects([elsewhere.pk], "other.example") == [elsewhere]
    assert build.call_count == 1


def test_a_list_in_sql_whose_placeholders_cannot_be_told_apart_is_refused(db):
    """A literal % in the SQL (written %%) could hide a placeholder: the first
    call says so rather than spreading the list in the wrong place."""
    query = Prepared(
        lambda ids: Contact.objects.filter(pk__in=ids).extra(where=["email NOT LIKE '%%@spam'"]),
        list,
    )
    with pytest.raises(ImproperlyConfigured, match="cannot tell its placeholders apart"):
        query.objects([1, 2])


def test_lists_of_any_length_share_one_prepared_statement(db, settings):
    """On PostgreSQL a list goes as one array value: 3 ids or 62 (past
    psycopg's 50 values, over which it converts a query again on every call),
    small ids or large (which psycopg would type int2 and int4), an empty
    list: one statement serves them all."""
    if connection.vendor != "postgresql":
        pytest.skip("arrays and prepared statements are PostgreSQL's")
    settings.PREPARED_STATEMENTS = True
    contacts = ContactFactory.create_batch(60)
    with connection.cursor() as cursor:  # the next ids past 32,767
        cursor.execute("SELECT setval(pg_get_serial_sequence('crm_contact', 'id'), 40000)")
    contacts += ContactFactory.create_batch(2)
    ids = [c.pk for c in contacts]
    query = Prepared(lambda ids: Contact.objects.filter(pk__in=ids).order_by("pk"), list)

    assert query.objects(ids[:3]) == contacts[:3]
    assert query.objects(tuple(ids)) == contacts
    assert query.objects(ids[-1:]) == contacts[-1:]
    assert query.objects([]) == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%"crm_contact"."id" = ANY($1::bigint[])%'],
        )
        assert cursor.fetchone() == (1,)
