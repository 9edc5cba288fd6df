"""Helpers for the real-browser leaderboard test: headless Chromium, the app on loopback.

The browser is Debian's ``chromium`` (``make test`` installs it as root), driven by Playwright
through ``executable_path``: Playwright's own browser downloads are never used. Set
``FLIP_CHROMIUM`` to point at another Chromium binary. Where Playwright or Chromium is missing
the browser tests skip, and say why.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine

CHROMIUM_NAMES = ("chromium", "chromium-browser")
# Applies to every Playwright wait; a loaded machine (CI, a background evaluation) is slow.
DEFAULT_TIMEOUT_MS = 20_000

# Records what the planted markup would do if it ever ran as code: it assigns
# window.flipPwned (see harness_fakes.PLANTED_MARKUP). The setter keeps every assignment.
XSS_TRAP = """
window.__xss = [];
Object.defineProperty(window, "flipPwned", {
  configurable: false,
  get() { return undefined; },
  set(value) { window.__xss.push(String(value)); },
});
"""


def _find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def browser_unavailable() -> str | None:
    """Why the browser tests cannot run here (a skip reason), or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return (
            "browser tests skipped: playwright is not installed (pip install -e '.[dev]'; "
            "no `playwright install` is needed, the system Chromium is used)"
        )
    if not os.environ.get("FLIP_CHROMIUM") and _find_chromium() is None:
        return (
            "browser tests skipped: no Chromium found (Debian: apt-get install chromium, which "
            "`make test` does as root; or set FLIP_CHROMIUM to a Chromium binary)"
        )
    return None


def chromium_executable() -> str:
    """The Chromium binary to drive: ``FLIP_CHROMIUM`` when set (it must exist), else PATH's."""
    configured = os.environ.get("FLIP_CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if not found:
            pytest.fail(f"FLIP_CHROMIUM={configured!r} is not an executable Chromium")
        return found
    found = _find_chromium()
    if found is None:
        pytest.skip(browser_unavailable() or "no Chromium found")
    return found


@contextmanager
def headless_chromium() -> Iterator:
    """A Playwright Browser on the system Chromium, or a visible skip."""
    reason = browser_unavailable()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=executable,
                headless=True,
                args=["--disable-dev-shm-usage", "--disable-gpu"],
            )
        except PlaywrightError as error:
            pytest.fail(
                f"Chromium at {executable} is installed but Playwright could not start it "
                f"(set FLIP_CHROMIUM to a working Chromium): {str(error)[:600]}"
            )
        try:
            yield browser
        finally:
            browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_on_loopback(engine: Engine) -> Iterator[str]:
    """The leaderboard app over ``engine`` on 127.0.0.1 and a free port; yields its URL."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from leaderboard.app import build_app

    demo = build_app(engine)
    for attempt in range(3):  # another process may take the free port before Gradio does
        port = _free_port()
        try:
            demo.launch(
                server_name="127.0.0.1",
                server_port=port,
                prevent_thread_lock=True,
                quiet=True,
                show_error=True,
            )
            break
        except OSError:
            if attempt == 2:
                raise
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


class Screenshots:
    """Full-page screenshots under the test's output folder, copied to FLIP_SCREENSHOT_DIR."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        extra = os.environ.get("FLIP_SCREENSHOT_DIR")
        self.copy_to = Path(extra) if extra else None

    def take(self, page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        if self.copy_to is not None:
            self.copy_to.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, self.copy_to / path.name)
        return path


_DATAFRAME_JS = """
(label) => {
  // Each gr.Dataframe sits in its own .block; pick the visible one whose label matches.
  const blocks = new Set(
    [...document.querySelectorAll("th[role=columnheader]")].map((th) => th.closest(".block"))
  );
  for (const block of blocks) {
    if (!block || block.offsetParent === null || !block.innerText.includes(label)) continue;
    const headers = [...block.querySelectorAll("th[role=columnheader]")].map(
      (th) => th.getAttribute("title") || th.innerText.trim()
    );
    const rows = [...block.querySelectorAll("[role=row]")]
      .map((row) => [...row.querySelectorAll("[role=gridcell]")].map((c) => c.innerText.trim()))
      .filter((cells) => cells.length > 0);
    return { headers, rows };
  }
  return null;
}
"""


def dataframe_records(page, label: str) -> list[dict[str, str]]:
    """The rows a visible gr.Dataframe labelled ``label`` shows, as header -> cell text."""
    table = page.evaluate(_DATAFRAME_JS, label)
    if not table:
        return []
    return [dict(zip(table["headers"], row, strict=False)) for row in table["rows"]]


def wait_until(
    condition: Callable[[], object],
    timeout_s: float,
    message: str | Callable[[], str],
    interval_s: float = 0.2,
):
    """Poll ``condition`` until it returns something truthy (returned), else fail."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(message() if callable(message) else message)
        time.sleep(interval_s)


def holds_for(condition: Callable[[], bool], seconds: float, interval_s: float = 0.2) -> bool:
    """True when ``condition`` stays true for ``seconds`` (no late update undoes it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not condition():
            return False
        time.sleep(interval_s)
    return bool(condition())
