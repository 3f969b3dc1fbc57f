"""A real Chromium for the browser tests: one per session, a fresh context per person.

Every page a person opens is watched: console errors, uncaught exceptions and Content Security
Policy violations are collected on the person, and the test asserts there are none.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

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
