"""Queries run for every inbound message or every ticket opened, compiled to
SQL once per process.

Django builds and compiles a queryset each time it runs. For the small
queries a worker runs on every message, or the ticket pane on every ticket,
that is more time than PostgreSQL takes to answer them: the inbound row,
0.9 ms against 0.4 ms; the duplicate check, 1.3 ms against 0.3 ms (issue
22). A `Prepared` query is built once per database connection, with stand-in
values, and afterwards runs that SQL with the values of each call.
Connected to PostgreSQL itself (settings.PREPARED_STATEMENTS; not behind
PgBouncer's transaction pooling), it also runs as a prepared statement of
the connection, so PostgreSQL plans it once per connection rather than on
every call: these are key lookups, which one plan serves whatever the key.
Nothing else is prepared. A search or a filter planned once for no value
in particular read a million tickets for a rare Korean word in 7 s,
against 14 ms planned for the word (issue 22). For the same reason the
index a prepared query needs must not be partial on a compared column: a
plan made for no value cannot tell that the value meets the index's
condition (tests/plans.py shows that plan).

A value may only be compared as it is (`=`, `!=`, `iexact`, `in` a
subquery): a lookup that rewrites it (`contains`, `startswith`) leaves no
stand-in to find, and the first call says so. Whatever else shapes the query
(which columns, which joins) must not depend on the values: a query of two
shapes is two `Prepared`.

A value of type `list` is a list of ids for `filter(<field>__in=...)`: the
query is built with a one-id list. On PostgreSQL the list goes as one array
(`= ANY(...)`); elsewhere each call writes as many placeholders as its list
holds. An empty list matches nothing, as `__in=[]` does.
"""

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, get_related_populators


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple  # the compiled parameters, a stand-in where a value goes
    slots: tuple[int | None, ...]  # per parameter: which value, None for a constant
    lists: frozenset[int]  # the values that are lists (of ids)
    pieces: tuple[str, ...]  # lists spread (not PostgreSQL): the SQL split at its placeholders
    converters: tuple  # (position, converters, expression), as Django applies them
    model: type[Model] | None  # rows become instances of it (else tuples)
    fields: tuple[str, ...]  # the model's attribute names, in column order
    start: int  # the column of the first
    annotations: tuple[tuple[str, int], ...]  # (name, column) set on each instance
    related: tuple  # Django's populators of the select_related rows


class Prepared:
    """`build(*values)` returns the queryset; `types` are the values' types
    (int or str), in order. `rows(*values)` returns tuples (the queryset's
    `values_list` columns); `objects(*values)` returns model instances with
    their annotations and select_related rows, as the queryset would (not
    prefetch_related: prefetch on the list)."""

    def __init__(self, build: Callable[..., QuerySet], *types: type):
        self.build = build
        self.types = types
        self._plans: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _Plan] = (
            weakref.WeakKeyDictionary()
        )

    def rows(self, *values: Any, using: str = "default") -> list[tuple]:
        return [tuple(row) for row in self._run(values, using)[1]]

    def objects(self, *values: Any, using: str = "default") -> list[Any]:
        plan, rows = self._run(values, using)
        if plan.model is None:
            raise ImproperlyConfigured("This prepared query selects columns, not rows.")
        start, end = plan.start, plan.start + len(plan.fields)
        instances = []
        for row in rows:
            instance = plan.model.from_db(using, plan.fields, row[start:end])
            for populator in plan.related:
                populator.populate(row, instance)
            for name, column in plan.annotations:
                setattr(instance, name, row[column])
            instances.append(instance)
        return instances

    def first(self, *values: Any, using: str = "default") -> Any:
        """The first instance `objects()` returns, or None."""
        found = self.objects(*values, using=using)
        return found[0] if found else None

    def _run(self, values: tuple, using: str) -> tuple[_Plan, list]:
        connection = connections[using]
        plan = self._plans.get(connection) or self._compile(connection, using)
        if plan.pieces:
            sql, params = _spread(plan, values)
        else:
            sql = plan.sql
            params = [
                p if slot is None else _array(values[slot]) if slot in plan.lists else values[slot]
                for p, slot in zip(plan.params, plan.slots, strict=True)
            ]
        if settings.PREPARED_STATEMENTS and connection.vendor == "postgresql":
            rows = _run_prepared(connection, sql, params)
        else:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        if plan.converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for position, converters, expression in plan.converters:
                    for converter in converters:
                        row[position] = converter(row[position], expression, connection)
        return plan, rows

    def _compile(self, connection: BaseDatabaseWrapper, using: str) -> _Plan:
        stand_ins = [_stand_in(kind, n) for n, kind in enumerate(self.types)]
        lists = frozenset(n for n, kind in enumerate(self.types) if kind is list)
        queryset = self.build(*([s] if n in lists else s for n, s in enumerate(stand_ins)))
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        slots = tuple(_slot(param, stand_ins) for param in params)
        pieces: tuple[str, ...] = ()
        if lists:
            pieces = tuple(sql.split("%s"))
            if "%%" in sql or len(pieces) != len(params) + 1:
                raise ImproperlyConfigured(
                    "A prepared query with a list cannot tell its placeholders apart."
                )
            if connection.vendor == "postgresql":
                sql, pieces = _as_arrays(pieces, slots, lists), ()
        if missing := set(range(len(stand_ins))) - set(slots):
            raise ImproperlyConfigured(
                f"Values {sorted(missing)} of a prepared query were rewritten by their "
                "lookup or left out: compare them as they are."
            )
        columns = [column for column, _sql, _alias in compiler.select]
        converters = tuple(
            (position, tuple(convs), expression)
            for position, (convs, expression) in compiler.get_converters(columns).items()
        )
        model, fields, start, annotations, related = None, (), 0, (), ()
        if queryset._iterable_class is ModelIterable:
            if queryset._prefetch_related_lookups or queryset._known_related_objects:
                raise ImproperlyConfigured(
                    "A prepared query cannot prefetch or come from a related manager."
                )
            info = compiler.klass_info
            selected = info["select_fields"]
            model, start = info["model"], selected[0]
            fields = tuple(columns[n].target.attname for n in selected)
            annotations = tuple(compiler.annotation_col_map.items())
            related = tuple(get_related_populators(info, compiler.select, using))
        plan = _Plan(
            sql,
            tuple(params),
            slots,
            lists,
            pieces,
            converters,
            model,
            fields,
            start,
            annotations,
            related,
        )
        self._plans[connection] = plan
        return plan


def _run_prepared(connection: BaseDatabaseWrapper, sql: str, params: list[Any]) -> list:
    """The rows of `sql` run as a prepared statement of the connection:
    psycopg prepares it on its first run and reuses it after. It needs the
    values bound by the server, so it runs on a cursor of its own, wrapped
    as `connection.cursor()` wraps Django's (query logging, execute
    wrappers). Django's own queries keep binding their values in the client
    and are never prepared: no 65,535-value limit for them, and no plan made
    for no value in particular."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    with connection.wrap_database_errors:
        server_bound = connection._prepare_cursor(ServerBindingCursor(raw))
    with server_bound as cursor:
        raw.prepare_threshold = 0
        try:
            cursor.execute(sql, params)
        finally:
            raw.prepare_threshold = None
        if connection.queries_logged and connection.queries_log[-1]["sql"] is None:
            # Django's log reads the SQL a client-bound cursor composed: this
            # one composed none, so the log shows it with its values as well.
            connection.queries_log[-1]["sql"] = connection.ops.compose_sql(sql, params)
        return cursor.fetchall()


def keep_prefetched(instance: Model, name: str, objects: list) -> None:
    """`objects` as what `instance.<name>.all()` returns from now on, as
    prefetch_related leaves them: for a prepared query's rows that stand in
    for a prefetch (a prepared query itself cannot prefetch)."""
    queryset = getattr(instance, name).all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def _as_arrays(pieces: tuple[str, ...], slots: tuple, lists: frozenset[int]) -> str:
    """The SQL with each `IN (%s)` of a list written `= ANY(%s::bigint[])`:
    the list goes as one array value, so the SQL is the same for any number
    of ids. One prepared statement serves them all, and psycopg, which
    converts a query of over 50 values again on every call (1.6 ms for the
    table's rows, issue 22), keeps this one converted."""
    sql = [pieces[0]]
    for slot, piece in zip(slots, pieces[1:], strict=True):
        if slot in lists:
            if not (sql[-1].endswith(" IN (") and piece.startswith(")")):
                raise ImproperlyConfigured("A list of a prepared query must be `<field>__in`.")
            sql[-1] = sql[-1].removesuffix(" IN (") + " = ANY("
            sql.append("%s::bigint[]")
        else:
            sql.append("%s")
        sql.append(piece)
    return "".join(sql)


def _array(ids) -> str:
    """A list of ids as PostgreSQL writes an array: a text value of one
    type whatever the ids, where psycopg would send small ids as another
    type than large ones, and prepare the statement once for each."""
    return "{" + ",".join(str(int(pk)) for pk in ids) + "}"


def _spread(plan: _Plan, values: tuple) -> tuple[str, list]:
    """The plan's SQL and parameters with each list written out: a
    placeholder per id, or NULL (which no row equals) for an empty list."""
    sql = [plan.pieces[0]]
    params: list = []
    for p, slot, piece in zip(plan.params, plan.slots, plan.pieces[1:], strict=True):
        if slot is None:
            sql.append("%s")
            params.append(p)
        elif slot in plan.lists:
            ids = values[slot]
            sql.append(", ".join(["%s"] * len(ids)) or "NULL")
            params += ids
        else:
            sql.append("%s")
            params.append(values[slot])
        sql.append(piece)
    return "".join(sql), params


def _stand_in(kind: type, n: int) -> int | str:
    if kind is int or kind is list:
        return -(2**60) - n  # no id, count or constant is this
    if kind is str:
        return f"\ue000Prepared Value {n}\ue000"  # lower() or upper() would show
    raise ImproperlyConfigured(
        f"A prepared query takes int, str and list (of ids) values, not {kind}."
    )


def _slot(param: Any, stand_ins: list) -> int | None:
    for n, stand_in in enumerate(stand_ins):
        if type(param) is type(stand_in) and param == stand_in:
            return n
    return None
