"""The accessibility statement: public bodies must publish one, and it must say what is true."""

import ast
import json
import re
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


def test_what_it_says_was_scanned_is_what_the_scan_does(client: Client) -> None:
    page = client.get("/accessibility/").content.decode()
    scan = (ROOT / "tests" / "browser" / "test_accessibility.py").read_text()
    views = ast.literal_eval(re.search(r"^VIEWS = (\[.*\])$", scan, re.MULTILINE).group(1))

    assert "1280 and 360 pixels wide, and in the light scheme 768 pixels wide" in page
    assert sorted(views) == sorted(
        [("light", "1280"), ("dark", "1280"), ("light", "360"), ("dark", "360"), ("light", "768")]
    )
    assert "the API reference) with the rules tagged" in page
    assert 'scan(stranger, "API docs, German", found)' in scan
    assert 'scan(page, "API docs", found)' in scan
    # "It finds no violations" holds only while the scan leaves out no rule on any page.
    assert "It finds no violations." in page
    assert "KNOWN_GAPS" not in scan and "disableRules" not in scan and "rules:" not in scan
    # The API docs are no longer a third-party tool with a gap of their own; what is left is said.
    assert "Swagger" not in page
    assert "explains the operations and fields of the API in English only" in page


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
