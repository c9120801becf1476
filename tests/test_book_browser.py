"""The built book opens in a real headless browser (Debian's Chromium) and its images render.

Run after the book is built (``make test`` builds it with the smoke profile first). Skipped when there is no built
book or no Chromium, except in CI (``CI=true``), where either is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def site():
    _require((HTML / "book" / "intro.html").exists(), f"no built book under {HTML}; run `make book` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    _require(CHROMIUM is not None, "Debian's chromium is not installed (scripts/setup_browser.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _open(browser, url: str):
    page = browser.new_page()
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{url}: HTTP {response and response.status}"
    return page


def _image_state(page) -> list[dict]:
    return page.eval_on_selector_all(
        "main img, article img",
        "imgs => imgs.map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,"
        " w: i.naturalWidth}))",
    )


def test_index_redirects_to_intro(site, browser):
    page = _open(browser, f"{site}/index.html")
    page.wait_for_url("**/book/intro.html")
    assert "synthmed" in page.inner_text("main")


def test_intro_page_loads_with_navigation(site, browser):
    page = _open(browser, f"{site}/book/intro.html")
    nav = page.inner_text("nav.bd-links")
    for part in ("Data", "TSynD", "GAN ensembles", "Class imbalance", "Compute"):
        assert part in nav, f"part {part!r} missing from the navigation"
    assert all(img["ok"] for img in _image_state(page))


def test_data_page_images_render(site, browser, tmp_path):
    page = _open(browser, f"{site}/book/executed/data.html")
    text = page.inner_text("main")
    assert "breastmnist" in text and "NIH1000" in text
    images = _image_state(page)
    assert len(images) >= 2, f"expected sample grids on the data page, found {len(images)} images"
    broken = [img["src"][:80] for img in images if not img["ok"]]
    assert not broken, f"images that did not render: {broken}"
    page.screenshot(path=str(tmp_path / "data.png"), full_page=False)
    assert (tmp_path / "data.png").stat().st_size > 10_000
