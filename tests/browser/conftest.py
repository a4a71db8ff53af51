"""Browser tests: Playwright drives a real headless Chromium (Debian's `chromium` package,
which `make test` installs) through the web client served by the local stack.

Each test opens browser contexts (one per person: separate storage, like separate
browsers) with `open_client`; when a test fails, a screenshot of every page it opened is
saved in tests/artifacts/. Without Chromium these tests fail with a message saying how to
get it; they never skip.

Every test that opens a client runs at two viewports, a phone (390x844, touch, mobile) and
a desktop (1280x800): the same journey, with ChatPage (pages.py) moving between the phone's
panes as a person would. `@pytest.mark.viewports("desktop")` limits a test to some of them.
One Chromium and one stack serve them all.
"""
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.browser.pages import ChatPage

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",  # root in a container: Chromium's sandbox needs user namespaces
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000  # live events cross the SQS fan-out queue: allow for a slow, shared machine
# The browser contexts of each viewport (Playwright's new_context options).
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


def pytest_generate_tests(metafunc):
    """A test that opens clients runs once per viewport (its `viewports` mark names fewer)."""
    if "open_client" not in metafunc.fixturenames:
        return
    mark = metafunc.definition.get_closest_marker("viewports")
    names = list(mark.args) if mark else list(VIEWPORTS)
    unknown = set(names) - set(VIEWPORTS)
    assert not unknown, f"unknown viewports {unknown}: pick from {sorted(VIEWPORTS)}"
    metafunc.parametrize("viewport", names)


def chromium_path():
    """CHROMIUM_PATH if set, else Debian's chromium on the PATH."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for the browser tests (package scope: Playwright's event loop
    is gone before any other test runs)."""
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"Chromium is needed for the browser tests and was not found at {path}. `make test` "
            "installs Debian's package (`make chromium`: apt-get install chromium); or set "
            "CHROMIUM_PATH to a Chromium or Chrome binary.",
            pytrace=False,
        )
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's outcome on the test item, for the screenshots on failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def open_client(request, browser, stack, viewport):
    """open_client(origin=None) -> a ChatPage in a fresh browser context at the client, at the
    test's viewport ("phone" or "desktop").

    The client is loaded from the stack's REST origin (as `make run` serves it) or from
    `origin`; its config.js is served with the stack's URLs, exactly as an operator would
    edit it for another deployment.
    """
    contexts, pages = [], []

    def open_(origin=None, api_base=None):
        context = browser.new_context(**VIEWPORTS[viewport])
        context.set_default_timeout(TIMEOUT_MS)
        config = f"export default {json.dumps({'apiBase': api_base or '', 'wsBase': stack['ws']})};"
        context.route("**/app/config.js", lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=config))
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # confirm() before kick, ban, leave
        errors = []
        page.on("pageerror", lambda error: errors.append(error))
        page.goto(f"{origin or stack['http']}/app/")
        pages.append((page, errors))
        return ChatPage(page, errors, viewport)

    yield open_
    failed = any(getattr(request.node, f"report_{when}", None) and getattr(request.node, f"report_{when}").failed
                 for when in ("setup", "call"))
    if failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        for number, (page, errors) in enumerate(pages, start=1):
            try:
                page.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
            except Exception as exc:  # noqa: BLE001 - a failed screenshot must not hide the failure
                print(f"screenshot of page {number} failed: {exc}")
            if errors:
                print(f"page {number} script errors: {errors}")
    for context in contexts:
        context.close()
    uncaught = [str(error) for _, errors in pages for error in errors]
    if uncaught and not failed:
        pytest.fail(f"the web client threw uncaught errors: {uncaught}", pytrace=False)
