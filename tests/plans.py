"""The plan PostgreSQL keeps for a prepared query when it stops planning
each call: the generic plan, made for no value in particular (issue 22)."""

from django.db import connection, connections

from helpdesk.prepared import Prepared


def generic_plan(prepared: Prepared, *values) -> str:
    """EXPLAIN of `prepared`'s generic plan for `values`: the query is run
    once as the prepared statement of the connection, then explained by its
    name with the planner held to the generic plan. Not for a query with a
    list of ids."""
    prepared.rows(*values)
    plan = prepared._plans[connections["default"]]
    params = [
        p if slot is None else values[slot] for p, slot in zip(plan.params, plan.slots, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_prepared_statements WHERE statement = %s",
            [_numbered(plan.sql)],
        )
        [(name,)] = cursor.fetchall()
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        placeholders = ", ".join(["%s"] * len(params))
        cursor.execute(f"EXPLAIN (COSTS OFF) EXECUTE {name}({placeholders})", params)
        explained = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET plan_cache_mode")
    return explained


def _numbered(sql: str) -> str:
    """%s placeholders as PostgreSQL numbers them ($1, $2, ...)."""
    pieces = sql.split("%s")
    numbered = [pieces[0]]
    for n, piece in enumerate(pieces[1:], start=1):
        numbered += [f"${n}", piece]
    return "".join(numbered)
