"""The shared documents admins uploaded in Settings (conversations.Document)
move to the library, shared with everyone as before, with their files and
their old links (/d/<token>/) kept."""

from django.db import migrations


def copy_documents(apps, schema_editor):
    Old = apps.get_model("conversations", "Document")
    New = apps.get_model("library", "Document")
    New.objects.bulk_create(
        New(
            name=old.name,
            file=old.file.name,
            filename=old.filename,
            content_type=old.content_type,
            size=old.size,
            token=old.token,
            sharing="everyone",
        )
        for old in Old.objects.order_by("id")
    )


def copy_back(apps, schema_editor):
    Old = apps.get_model("conversations", "Document")
    New = apps.get_model("library", "Document")
    Old.objects.bulk_create(
        Old(
            name=new.name,
            file=new.file.name,
            filename=new.filename,
            content_type=new.content_type,
            size=new.size,
            token=new.token,
        )
        for new in New.objects.exclude(token=None).order_by("id")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0001_documents_and_quotes"),
        ("conversations", "0018_message_external_id_message_message_external_id"),
    ]

    operations = [migrations.RunPython(copy_documents, copy_back)]
