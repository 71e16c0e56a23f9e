"""Composite foreign keys that hold a (pipeline, stage) pair to a stage of
that pipeline, on PostgreSQL only (SQLite relies on clean() and the services).
They refer to the unique (pipeline_id, id) of tickets_stage; a NULL stage is
not checked (MATCH SIMPLE)."""


def composite_keys(pairs):
    """RunPython functions adding and dropping one key per (table, name,
    pipeline column, stage column)."""

    def add(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        # The repair before may have left deferred checks pending, which
        # PostgreSQL refuses to ALTER a table under: run them now.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, pipeline, stage in pairs:
            schema_editor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({pipeline}, {stage}) "
                "REFERENCES tickets_stage (pipeline_id, id) DEFERRABLE INITIALLY IMMEDIATE"
            )

    def remove(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table, name, _pipeline, _stage in pairs:
            schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")

    return add, remove
