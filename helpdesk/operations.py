"""Migration operations of our own."""

from django.db import NotSupportedError
from django.db.migrations import AddIndex


class AddIndexConcurrently(AddIndex):
    """AddIndex that builds the index without blocking writes on PostgreSQL
    (CREATE INDEX CONCURRENTLY: a million-ticket table keeps taking mail while
    it is built), and as usual elsewhere. Its migration sets `atomic = False`.

    Django's own django.contrib.postgres operation of this name refuses the
    embedded SQLite database, which `make run` uses."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        if schema_editor.connection.in_atomic_block:
            raise NotSupportedError("AddIndexConcurrently needs a migration with atomic = False.")
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            schema_editor.remove_index(model, self.index, concurrently=True)


class AddPostgresIndexConcurrently(AddIndexConcurrently):
    """AddIndexConcurrently for an index only PostgreSQL can build (over
    arrays or ranges): the embedded SQLite database, which has no reports,
    goes without it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
