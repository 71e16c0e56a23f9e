"""The bench's database as a deployment's would be: this machine's
PostgreSQL runs without autovacuum (conf.d/90-ci.conf), so nothing
analyzes a table that a bench run changed, or clears its dead rows, until
the next seed. Plans then drift from one run to the next (issue 22)."""

from django.db import connection

# Each table's thresholds as autovacuum reads them: its own storage
# parameter (migration 0027 sets some), else the server's setting.
_OWN_OR_SERVERS = """
    coalesce(
        (SELECT split_part(o, '=', 2) FROM unnest(c.reloptions) o WHERE o LIKE '{name}=%'),
        current_setting('{name}')
    )::float
"""
_DUE = f"""
    SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.n_mod_since_analyze > {_OWN_OR_SERVERS.format(name="autovacuum_analyze_threshold")}
            + {_OWN_OR_SERVERS.format(name="autovacuum_analyze_scale_factor")} * s.n_live_tup
       OR s.n_dead_tup > {_OWN_OR_SERVERS.format(name="autovacuum_vacuum_threshold")}
            + {_OWN_OR_SERVERS.format(name="autovacuum_vacuum_scale_factor")} * s.n_live_tup
       OR s.n_ins_since_vacuum > {_OWN_OR_SERVERS.format(name="autovacuum_vacuum_insert_threshold")}
            + {_OWN_OR_SERVERS.format(name="autovacuum_vacuum_insert_scale_factor")} * s.n_live_tup
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
