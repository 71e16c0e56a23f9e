import pytest


@pytest.mark.django_db(transaction=True)
def test_documents_from_settings_move_to_the_library_with_their_links(client, settings, tmp_path):
    """The admin-uploaded documents (conversations.Document) become library
    documents shared with everyone; their /d/<token>/ links keep working."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    settings.MEDIA_ROOT = tmp_path
    before = [
        ("conversations", "0018_message_external_id_message_message_external_id"),
        ("library", "0001_documents_and_quotes"),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    Old = executor.loader.project_state(before).apps.get_model("conversations", "Document")
    name = default_storage.save("documents/abc", ContentFile(b"%PDF-1.4 old"))
    Old.objects.create(
        name="Old price list",
        file=name,
        filename="prices.pdf",
        content_type="application/octet-stream",
        size=12,
        token="old-token-of-a-settings-document-0001",
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from library.models import Document

    document = Document.objects.get()
    assert (document.name, document.sharing, document.owner, document.file.name) == (
        "Old price list",
        "everyone",
        None,
        name,
    )
    response = client.get("/d/old-token-of-a-settings-document-0001/")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 old"
