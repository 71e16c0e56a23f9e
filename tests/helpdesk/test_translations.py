import polib
from django.conf import settings
from django.utils.translation import to_locale

from helpdesk.management.commands.translations import locales, problems_in


def po_with(*entries):
    po = polib.POFile()
    for entry in entries:
        po.append(entry)
    return po


def test_every_non_english_language_has_a_locale():
    assert sorted(locales()) == sorted(
        to_locale(code) for code, _name in settings.LANGUAGES if code != "en"
    )


def test_the_check_finds_untranslated_fuzzy_and_broken_entries():
    po = po_with(
        polib.POEntry(msgid="Save", msgstr="Tallenna"),
        polib.POEntry(msgid="Cancel", msgstr=""),
        polib.POEntry(msgid="Spam", msgstr="Roskaposti", flags=["fuzzy"]),
        polib.POEntry(msgid="Move to “%(stage)s”", msgstr="Siirrä tilaan"),
    )
    problems = problems_in(po)
    assert problems == [
        "untranslated: Cancel",
        "fuzzy: Spam",
        "placeholders differ: Move to “%(stage)s”",
    ]


def test_the_shipped_translations_are_complete():
    for locale in locales():
        po = polib.pofile(str(settings.BASE_DIR / "locale" / locale / "LC_MESSAGES" / "django.po"))
        assert problems_in(po) == [], locale
        assert len(po) > 150
