"""The bench's database as a deployment's would be: this machine's
PostgreSQL runs without autovacuum (conf.d/90-ci.conf), so nothing
analyzes a table that a bench run changed, or clears its dead rows, until
the next seed. Plans then drift from one run to the next (issue 22)."""

from django.db import connection


def _due(counter: str, kind: str) -> str:
    """`counter` is over autovacuum's threshold for `kind` of work, as it
    reads it: a table's own storage parameter first (migration 0027 sets
    some), else the server's setting."""

    def setting(name: str) -> str:
        own = f"SELECT split_part(o, '=', 2) FROM unnest(c.reloptions) o WHERE o LIKE '{name}=%'"
        return f"coalesce(({own}), current_setting('{name}'))::float"

    threshold, scale = f"autovacuum_{kind}_threshold", f"autovacuum_{kind}_scale_factor"
    return f"s.{counter} > {setting(threshold)} + {setting(scale)} * s.n_live_tup"


_DUE = f"""
    SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE {_due("n_mod_since_analyze", "analyze")}
       OR {_due("n_dead_tup", "vacuum")}
       OR {_due("n_ins_since_vacuum", "vacuum_insert")}
    ORDER BY s.relname
"""


def settle() -> list[str]:
    """VACUUM ANALYZE each table autovacuum would have by now, by its own
    rules, when it is off; the tables' names. Nothing where it is on, on
    SQLite, or inside a transaction (the test smoke run)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SHOW autovacuum")
        if cursor.fetchone()[0] == "on":
            return []
        cursor.execute(_DUE)
        tables = [name for (name,) in cursor.fetchall()]
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")
    return tables
