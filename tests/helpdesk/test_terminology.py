"""The UI terms each language's product articles use (/work/shared/seeds), kept
consistent across the .po files: a term that drifts back shows up here."""

import re

import polib
import pytest
from django.conf import settings

# Han characters followed by ASCII punctuation that Traditional Chinese writes full-width.
HALF_WIDTH_COLON = re.compile(r"[\u3400-\u9fff]\s*:")
# "usunął(-ęła)", "scalił(a)": one verb written for two genders.
GENDER_SPLIT = re.compile(r"\w\(-?\w+\)")


def entries(locale):
    po = polib.pofile(str(settings.BASE_DIR / "locale" / locale / "LC_MESSAGES" / "django.po"))
    for entry in po:
        if entry.obsolete:
            continue
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in texts:
            yield entry.msgid, text


def offending(locale, msgid_pattern, msgstr_pattern):
    ids, strs = re.compile(msgid_pattern, re.I), re.compile(msgstr_pattern, re.I)
    return sorted(
        {msgid for msgid, text in entries(locale) if ids.search(msgid) and strs.search(text)}
    )


@pytest.mark.parametrize(
    ("locale", "msgid_pattern", "msgstr_pattern", "why"),
    [
        ("pl", r"help ?desk", r"dział\w* pomocy", "the seed keeps “help desk”"),
        ("pl", r"conversation", r"rozmow", "the seed says “konwersacja”"),
        ("pl", r"pipeline", r"^(?!.*potok)", "pipeline is “potok”"),
        ("pl", r"pipe\b", r"potok", "a mail server pipe is not a pipeline"),
        ("pl", r".", GENDER_SPLIT.pattern, "timeline lines are impersonal, not he(-she) did"),
        ("zh_Hant", r"channel", r"管道", "管道 is the pipeline; a channel is 頻道"),
        ("zh_Hant", r"pipeline", r"^(?!.*管道)", "the seed's pipeline is 管道"),
        ("zh_Hant", r"snippet", r"程式碼", "a snippet is 片段, not program code"),
        ("zh_Hant", r"#shortcut|^shortcut$", r"鍵", "#shortcut is a snippet's 捷徑, not a key"),
        ("zh_Hant", r"comment", r"評論", "the seed's comment tab is 註解"),
        ("zh_Hant", r".", HALF_WIDTH_COLON.pattern, "colons after Chinese text are full-width"),
        ("fi", r"\bpause", r"keskeyt", "“keskeytetty” reads as interrupted"),
        ("fi", r"pipeline", r"^(?!.*putk)", "pipeline is “putki”"),
        ("fi", r"pipe\b", r"putk", "a mail server pipe is not a pipeline"),
        ("fi", r"help ?desk", r"helpdesk", "the seed writes “help desk”"),
    ],
)
def test_translations_use_the_seed_terms(locale, msgid_pattern, msgstr_pattern, why):
    assert offending(locale, msgid_pattern, msgstr_pattern) == [], why


def test_the_term_check_finds_an_offending_entry():
    assert GENDER_SPLIT.search("usunął(-ęła) zgłoszenie")
    assert GENDER_SPLIT.search("scalił(a) zgłoszenia")
    assert not GENDER_SPLIT.search("Komentarz (opcjonalnie)")
    assert HALF_WIDTH_COLON.search("開啟對話:")
    assert not HALF_WIDTH_COLON.search("開啟對話：https://example.com")
