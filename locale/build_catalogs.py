# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""``make translations``: the extracted template (``locale/django.pot``) plus each language's translations
(``locale/translations/<lang>.py``) -> ``storage_backup_dashboard/locale/<lang>/LC_MESSAGES/django.po`` and ``.mo``.

Fails, naming them, when a message of the template has no translation: a release ships complete catalogues only.
"""
from __future__ import annotations

import importlib.util
import os
import sys

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_LOCALE = os.path.join(os.path.dirname(HERE), "storage_backup_dashboard", "locale")
LANGUAGES = ("de",)


def _translations(language: str):
    spec = importlib.util.spec_from_file_location(f"translations_{language}",
                                                  os.path.join(HERE, "translations", f"{language}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(language: str) -> list[str]:
    with open(os.path.join(HERE, "django.pot"), "rb") as handle:
        template = read_po(handle)
    source = _translations(language)
    catalog = Catalog(locale=language, project="storage-backup-dashboard", domain="django",
                      language_team=source.LANGUAGE_TEAM, last_translator=source.LAST_TRANSLATOR,
                      revision_date=template.creation_date, fuzzy=False)
    missing = []
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            found = source.PLURALS.get(message.id[0])
        elif message.context:
            found = source.CONTEXTS.get((message.context, message.id))
        else:
            found = source.MESSAGES.get(message.id)
        if not found:
            missing.append(repr(message.id))
            continue
        catalog.add(message.id, found, context=message.context, flags=message.flags - {"fuzzy"})
    target = os.path.join(PACKAGE_LOCALE, language, "LC_MESSAGES")
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "django.po"), "wb") as handle:
        write_po(handle, catalog, width=120, sort_output=True, omit_header=False)
    with open(os.path.join(target, "django.mo"), "wb") as handle:
        write_mo(handle, catalog)
    return missing


def main() -> int:
    status = 0
    for language in LANGUAGES:
        missing = build(language)
        if missing:
            print(f"{language}: {len(missing)} message(s) without a translation:\n  " + "\n  ".join(missing))
            status = 1
        else:
            print(f"{language}: complete, written to {os.path.join(PACKAGE_LOCALE, language, 'LC_MESSAGES')}")
    return status


if __name__ == "__main__":
    sys.exit(main())
