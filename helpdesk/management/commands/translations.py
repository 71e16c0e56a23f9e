"""Compile and check the UI translations.

    manage.py translations compile   .po -> .mo with polib (no GNU gettext needed)
    manage.py translations check     every string in the code is translated in
                                     every locale, nothing fuzzy, placeholders kept
    manage.py translations add F     append the entries of the JSON file F to every
                                     locale's .po (those not there yet)

F is a list of {"msgid": ..., "ko": ..., "fi": ..., ...}; a plural entry has
"msgid_plural" and a list of forms per locale, a context "msgctxt". Entries are
appended as text, so the rest of each .po file keeps its wrapping (a whole-file
rewrite would make every concurrent change to it conflict).

`check` runs makemessages on a scratch copy of the tree, so it sees strings added
to the code since the .po files were last updated, without touching them.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import to_locale

PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}|%[sd]")
SKIP = {".venv", ".git", "node_modules", "staticfiles", "media", ".pytest_cache", ".ruff_cache"}


def locales() -> list[str]:
    return [to_locale(code) for code, _name in settings.LANGUAGES if code != "en"]


def problems_in(po: polib.POFile) -> list[str]:
    found = []
    for entry in po:
        if entry.obsolete:
            continue
        label = entry.msgid[:60]
        if "fuzzy" in entry.flags:
            found.append(f"fuzzy: {label}")
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        if not all(translations):
            found.append(f"untranslated: {label}")
            continue
        wanted = sorted(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in translations:
            if sorted(PLACEHOLDER.findall(text)) != wanted and wanted:
                found.append(f"placeholders differ: {label}")
    return found


class Command(BaseCommand):
    help = "Compile (.po -> .mo) or check the completeness of the translations."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["compile", "check", "add"])
        parser.add_argument("file", nargs="?", help="the JSON file of entries to add")

    def handle(self, *args, action, file=None, **options):
        # Not named check(): BaseCommand.check() runs the system checks.
        if action == "add":
            if not file:
                raise CommandError("Name the JSON file of entries to add.")
            return self.add_entries(Path(file))
        {"compile": self.compile_messages, "check": self.check_messages}[action]()

    def add_entries(self, file: Path):
        entries = json.loads(file.read_text(encoding="utf-8"))
        for locale in locales():
            path = Path(settings.BASE_DIR, "locale", locale, "LC_MESSAGES", "django.po")
            known = {(e.msgctxt, e.msgid) for e in polib.pofile(str(path))}
            added = []
            for item in entries:
                if (item.get("msgctxt"), item["msgid"]) in known:
                    continue
                text = item.get(locale) or item.get(locale.replace("_", "-"))
                if not text:
                    raise CommandError(f"No {locale} translation of {item['msgid']!r}")
                entry = polib.POEntry(msgid=item["msgid"], msgctxt=item.get("msgctxt"))
                if "msgid_plural" in item:
                    entry.msgid_plural = item["msgid_plural"]
                    entry.msgstr_plural = dict(enumerate(text))
                else:
                    entry.msgstr = text
                added.append(entry.__unicode__(wrapwidth=78))
            if added:
                with path.open("a", encoding="utf-8") as po:
                    po.write("\n" + "\n".join(added))
            self.stdout.write(f"{locale}: {len(added)} added")

    def compile_messages(self):
        for locale in locales():
            path = Path(settings.BASE_DIR, "locale", locale, "LC_MESSAGES", "django.po")
            polib.pofile(str(path)).save_as_mofile(str(path.with_suffix(".mo")))
        self.stdout.write(f"Compiled {len(locales())} locales.")

    def check_messages(self):
        if not shutil.which("xgettext"):
            raise CommandError("xgettext not found: install GNU gettext (apt-get install gettext).")
        base = Path(settings.BASE_DIR)
        failures = []
        with tempfile.TemporaryDirectory() as scratch:
            copy = Path(scratch, "tree")
            shutil.copytree(base, copy, ignore=lambda d, names: [n for n in names if n in SKIP])
            args = ["makemessages", "--no-location", "--no-obsolete"]
            args += [f"--locale={locale}" for locale in locales()]
            subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=copy,
                check=True,
                capture_output=True,
            )
            for locale in locales():
                po = polib.pofile(str(copy / "locale" / locale / "LC_MESSAGES" / "django.po"))
                failures += [f"{locale}: {problem}" for problem in problems_in(po)]
                # GNU msgfmt's checks too (plural forms as the header declares
                # them, format strings): polib compiles what msgfmt refuses.
                checked = subprocess.run(
                    [
                        "msgfmt",
                        "--check",
                        "-o",
                        os.devnull,
                        str(base / "locale" / locale / "LC_MESSAGES" / "django.po"),
                    ],
                    capture_output=True,
                    text=True,
                )
                if checked.returncode:
                    failures += [
                        f"{locale}: {line}"
                        for line in checked.stderr.splitlines()
                        if "initial default value" not in line
                    ]
        if failures:
            raise CommandError(
                "Translations incomplete (run `make messages`, then translate):\n"
                + "\n".join(failures[:60])
                + (f"\n… and {len(failures) - 60} more" if len(failures) > 60 else "")
            )
        self.stdout.write(f"Translations complete in {len(locales())} locales.")
