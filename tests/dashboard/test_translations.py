# Copyright 2026 The storage-backup authors
# SPDX-License-Identifier: Apache-2.0
"""Translations: the template in locale/ holds every string of the plugin, German is complete and compiled where
Django finds it (the app's locale/), and the panels speak German to a user who chose it."""
import os

from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from openstack_dashboard.test import helpers

from storage_backup_dashboard import api
from tests.dashboard import helpers as backup_helpers

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
GERMAN = os.path.join(REPO, "storage_backup_dashboard", "locale", "de", "LC_MESSAGES")


def _ids(catalog) -> set:
    def text(value):
        return value.decode() if isinstance(value, bytes) else value

    return {(text(message.context), tuple(message.id) if isinstance(message.id, list | tuple) else message.id)
            for message in catalog if message.id}


def test_the_template_holds_every_string(tmp_path, monkeypatch):
    fresh = tmp_path / "django.pot"
    monkeypatch.chdir(REPO)
    # What `make messages` runs, in this process (babel's own command line).
    CommandLineInterface().run(["pybabel", "-q", "extract", "-F", "locale/babel-django.cfg", "--no-location",
                                "-k", "gettext_lazy", "-k", "pgettext_lazy:1c,2", "-k", "ngettext_lazy:1,2",
                                "-k", "_", "-o", str(fresh), "storage_backup_dashboard", "enabled"])
    with open(fresh, "rb") as handle, open(os.path.join(REPO, "locale", "django.pot"), "rb") as shipped:
        assert _ids(read_po(handle)) == _ids(read_po(shipped)), "run `make messages` and `make translations`"


def test_german_is_complete_and_compiled():
    with open(os.path.join(REPO, "locale", "django.pot"), "rb") as handle:
        template = _ids(read_po(handle))
    with open(os.path.join(GERMAN, "django.po"), "rb") as handle:
        german = read_po(handle)
    assert template == _ids(german)
    assert all(message.string and not message.fuzzy for message in german if message.id)
    with open(os.path.join(GERMAN, "django.mo"), "rb") as handle:
        assert _ids(read_mo(handle)) == template
    # Placeholders and plural forms agree between each message and its translation (as `msgfmt --check`).
    problems = [(message.id, errors) for message, errors in german.check()]
    assert not problems, problems
    assert "de" in dict(settings.LANGUAGES)


class GermanPanelTests(backup_helpers.TestCase):

    @helpers.create_mocks({api.backup: ["job_list_paged_with_page_menu"]})
    def test_the_jobs_panel_speaks_german(self):
        self.mock_job_list_paged_with_page_menu.return_value = backup_helpers.page([backup_helpers.job()])
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
        response = self.client.get(reverse("horizon:project:backup_jobs:index"))
        for text in ("Aufträge", "Datensicherung", "Geschützte Instanzen", "Wiederherstellungspunkte", "Läuft",
                     "Fortschritt", "noch 1:10"):
            self.assertContains(response, text)
