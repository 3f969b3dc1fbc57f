"""A real Chromium for the browser tests: one per session, a fresh context per person.

Every page a person opens is watched: console errors, uncaught exceptions and Content Security
Policy violations are collected on the person, and the test asserts there are none.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

# How long a step may wait for the page (a load, a swap, an element's state) before the test fails.
# Only a hang should reach it: on a loaded machine a page's first load took over 10 s.
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)  # Playwright's own default is 5 s
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Reports every CSP violation through a binding that survives page loads.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${location.pathname}`
  );
});
"""


@dataclass
class Person:
    """Someone at their own browser (a separate context: own cookies, own storage)."""

    name: str
    context: BrowserContext
    page: Page
    problems: list[str] = field(default_factory=list)

    def set_marker(self) -> None:
        """Mark the loaded document; a full page load would wipe the mark."""
        self.page.evaluate("window.__marker = 'still here'")

    def marker_survived(self) -> bool:
        return self.page.evaluate("window.__marker === 'still here'")

    def forgive(self, text: str) -> None:
        """Drop the one problem an expected refusal causes (and fail if it did not happen)."""
        matching = [problem for problem in self.problems if text in problem]
        assert len(matching) == 1, self.problems
        self.problems.remove(matching[0])


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with pytest.MonkeyPatch.context() as patch:
        # From here on Playwright's sync API keeps an event loop running in this thread, so
        # Django would refuse the ORM calls the test database makes here (the flush after each
        # test). Nothing here is really asynchronous. Set only now, so that the tests that run
        # before the first browser test keep Django's check.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        playwright.stop()


@pytest.fixture
def person(browser: Browser) -> Iterator[Callable[..., Person]]:
    """Open a browser context for someone; `javascript=False` gives a browser without scripts."""
    contexts: list[BrowserContext] = []

    def open_browser(name: str, *, javascript: bool = True) -> Person:
        context = browser.new_context(java_script_enabled=javascript, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        someone = Person(name=name, context=context, page=page)
        if javascript:
            context.expose_function(
                "__reportCspViolation", lambda text: someone.problems.append(f"CSP: {text}")
            )
            context.add_init_script(REPORT_CSP_VIOLATIONS)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                someone.problems.append(f"console: {message.text} ({message.location})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: someone.problems.append(f"page error: {error}"))
        return someone

    yield open_browser
    for context in contexts:
        context.close()


# Accessibility: axe-core scans -----------------------------------------------------------------
#
# axe-core comes from npm (package.json pins it; `bin/dev test` runs `npm ci` when it is missing)
# and is injected into Debian's Chromium. Our Content Security Policy forbids that script, so the
# scan contexts, and only they, bypass the CSP; the other browser tests keep it and report
# violations.

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """(tags) => axe.run(document, {runOnly: {type: "tag", values: tags}}).then((result) =>
  result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
  })))"""
# The viewports the scans use, by width: a desktop, a tablet, a phone.
WIDTHS = {"1280": (1280, 800), "768": (768, 1024), "360": (360, 740)}


def scan_context(browser: Browser, scheme: str, width: str, **options: Any) -> BrowserContext:
    """A context to scan pages in: light or dark `scheme`, one of `WIDTHS`, in English unless
    `options` say otherwise, allowed to inject axe-core (it bypasses the CSP)."""
    assert AXE.exists(), "axe-core is missing: run `npm ci --ignore-scripts` (bin/dev test does)"
    w, h = WIDTHS[width]
    settings = {"color_scheme": scheme, "viewport": {"width": w, "height": h}, "locale": "en-GB"}
    context = browser.new_context(bypass_csp=True, **(settings | options))
    context.set_default_timeout(TIMEOUT_MS)
    return context


def scan(page: Page, state: str, found: dict[str, list[dict]]) -> None:
    """Run axe on the page as it is now; remember the violations under `state`."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE, AXE_TAGS)
    if violations:
        found[state] = violations


def assert_no_violations(found: dict[str, list[dict]], where: str = "") -> None:
    """Fail with every state's violations, three elements of each, if `scan` found any."""
    report = "\n".join(
        f"{state}: {v['id']} ({v['impact']}) {v['help']}\n    " + "\n    ".join(v["nodes"][:3])
        for state, violations in found.items()
        for v in violations
    )
    assert not found, f"axe found violations{f' ({where})' if where else ''}:\n{report}"


# The keyboard ----------------------------------------------------------------------------------


def tab_to(page: Page, selector: str, *, most: int = 200) -> None:
    """Press Tab until the element matching the CSS `selector` has the focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def tab_to_text(page: Page, name: str, *, most: int = 200) -> None:
    """Press Tab until the focused element's text (or value, or aria-label) is `name`."""
    for _ in range(most):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => [(document.activeElement.innerText || document.activeElement.value || '')"
            ".trim(), document.activeElement.getAttribute('aria-label') || '']"
        )
        if name in focused:
            return
    raise AssertionError(f"Tab never reached {name!r}")


# German ----------------------------------------------------------------------------------------


def german_context(browser: Browser, **options: Any) -> BrowserContext:
    """A browser that asks for German (its locale and its Accept-Language)."""
    settings = {"locale": "de-DE", "extra_http_headers": {"Accept-Language": "de"}}
    context = browser.new_context(**(settings | options))
    context.set_default_timeout(TIMEOUT_MS)
    return context
