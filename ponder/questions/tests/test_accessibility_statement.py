"""The accessibility statement: public bodies must publish one, and it must say what is true."""

import json
from pathlib import Path

from django.test import Client, override_settings

from ponder.questions import views

ROOT = Path(__file__).resolve().parents[3]


def test_it_says_what_was_tested_and_how_to_report_a_problem(client: Client) -> None:
    page = client.get("/accessibility/").content.decode()
    assert "<h1>Accessibility statement</h1>" in page
    assert "axe-core 4.14.1" in page
    assert "wcag2a, wcag2aa, wcag21a, wcag21aa, wcag22aa" in page
    assert "Known gaps" in page
    assert "set the PONDER_CONTACT_EMAIL environment variable" in page
    assert "26 November 2026" in page or "Nov. 26, 2026" in page


def test_it_names_the_contact_the_operator_set(client: Client) -> None:
    with override_settings(PONDER_CONTACT_EMAIL="access@example.org"):
        page = client.get("/accessibility/").content.decode()
    assert '<a href="mailto:access@example.org">access@example.org</a>' in page
    assert "PONDER_CONTACT_EMAIL" not in page


def test_it_is_in_german_too(client: Client) -> None:
    page = client.get("/accessibility/", headers={"accept-language": "de"}).content.decode()
    assert "<h1>Erklärung zur Barrierefreiheit</h1>" in page


def test_every_page_links_to_it(client: Client) -> None:
    assert 'href="/accessibility/"' in client.get("/").content.decode()


def test_the_axe_version_it_names_is_the_one_the_tests_run() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    assert package["devDependencies"]["axe-core"] == views.AXE_CORE_VERSION
