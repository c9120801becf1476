"""The built book, as a reader sees it in a real headless browser (Debian's Chromium, 1280 px wide).

On every page of the table of contents: the page was built and loads; no table, code block or output is wider
than its container (``scrollWidth > clientWidth``: the reader would have to scroll sideways) or reaches past the
article's right edge, folded ``<details>`` blocks opened so that what a reader can unfold is measured too; every
image loads; no output holds a Python traceback. A full-page screenshot of each page (as it first appears, folds
closed) goes to ``_build/screenshots/`` for a person to look at.

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
import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}


def toc_pages(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document of the table of contents (root first), as paths without suffix, e.g. 'book/intro'."""
    def walk(node) -> list[str]:
        if isinstance(node, list):
            return [f for item in node for f in walk(item)]
        if not isinstance(node, dict):
            return []
        own = [node["file"]] if "file" in node else []
        return own + [f for key in ("parts", "chapters", "sections") for f in walk(node.get(key, []))]

    data = yaml.safe_load(toc.read_text())
    return [data["root"], *walk(data)]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


def _require(condition: bool, reason: str) -> None:
    if not condition:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def site():
    _require((HTML / "book" / "intro.html").exists(), f"no built book under {HTML}; run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
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
    page = browser.new_page(viewport=VIEWPORT)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, f"{url}: HTTP {response and response.status}"
    return page


def _image_state(page) -> list[dict]:
    return page.eval_on_selector_all(
        "main img, article img",
        "imgs => imgs.map(i => ({src: i.currentSrc || i.src, ok: i.complete && i.naturalWidth > 0,"
        " w: i.naturalWidth}))",
    )


# Everything in the article that can end up wider than the column: tables (and the theme's wrappers around
# them), code blocks, cell outputs, images, math. Returns one description per offending element.
_OVERFLOW_JS = """
() => {
  const article = document.querySelector("main article") || document.querySelector("main");
  document.querySelectorAll("main details").forEach(d => { d.open = true; });
  const right = article.getBoundingClientRect().right;
  const bad = [];
  const name = el => el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
    ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const text = el => (el.innerText || el.getAttribute("src") || "").replace(/\\s+/g, " ").trim().slice(0, 90);
  const selector = "table, pre, div.highlight, div.cell_output, div.output, div.pst-scrollable-table-container,"
    + " div.table-wrapper, img, figure, mjx-container, .math";
  for (const el of [article, ...article.querySelectorAll(selector)]) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;  // not displayed
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      bad.push(`${name(el)}: content ${el.scrollWidth} px wide in a ${el.clientWidth} px box: "${text(el)}"`);
    } else if (el !== article && box.right > right + 1) {
      bad.push(`${name(el)}: reaches ${Math.round(box.right - right)} px past the article: "${text(el)}"`);
    }
  }
  return bad;
}
"""
_TRACEBACK_JS = """
() => [...document.querySelectorAll("main .traceback, main .output.error, main pre, main .cell_output")]
  .map(el => el.innerText || "")
  .filter(t => t.includes("Traceback (most recent call last)") || /^\\w+(Error|Exception): /m.test(t)
               && /File "|Cell In\\[/.test(t))
  .map(t => t.replace(/\\s+/g, " ").trim().slice(0, 200))
  .filter((t, i, all) => !all.slice(0, i).some(u => u.includes(t) || t.includes(u)))
"""


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


def test_data_page_shows_sample_grids(site, browser):
    page = _open(browser, f"{site}/book/executed/data.html")
    text = page.inner_text("main")
    assert "breastmnist" in text and "NIH1000" in text
    images = _image_state(page)
    assert len(images) >= 2, "expected sample grids on the data page"
    assert all(img["ok"] for img in images)


@pytest.mark.parametrize("doc", toc_pages())
def test_page_fits_loads_its_images_and_has_no_traceback(site, browser, doc):
    path = HTML / f"{doc}.html"
    assert path.exists(), f"{doc}: in _toc.yml but not built ({path} is missing; did its notebook fail?)"
    page = _open(browser, f"{site}/{doc}.html")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images, if any, start loading
    page.wait_for_function("[...document.images].every(i => i.complete)", timeout=15_000)
    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{doc.replace('/', '__')}.png"), full_page=True)

    broken = [img["src"][:100] for img in _image_state(page) if not img["ok"]]
    tracebacks = page.evaluate(_TRACEBACK_JS)
    too_wide = page.evaluate(_OVERFLOW_JS)
    problems = ([f"image did not load: {s}" for s in broken] + [f"traceback in an output: {t}" for t in tracebacks]
                + [f"wider than its container at {VIEWPORT['width']} px: {w}" for w in too_wide])
    assert not problems, f"{doc}.html:\n  " + "\n  ".join(problems)


def test_toc_pages_lists_every_document_once():
    pages = toc_pages()
    assert pages[0] == "book/intro" and len(pages) == len(set(pages))
    assert {"book/executed/data", "book/tsynd", "book/executed/tsynd", "book/executed/compute"} <= set(pages)
    assert len(pages) == 1 + (ROOT / "_toc.yml").read_text().count("file:")


def test_a_code_line_of_100_characters_fits_without_wrapping(site, browser):
    """Notebook code lines are at most 100 characters; at 1280 px the book's code font must fit that many."""
    page = _open(browser, f"{site}/book/executed/data.html")
    room = page.evaluate("""() => {
      const pre = document.querySelector("div.cell div.highlight pre");
      const style = getComputedStyle(pre);
      const line = document.createElement("span");
      line.style.whiteSpace = "pre";
      line.textContent = "x".repeat(100);
      pre.appendChild(line);
      const needed = line.getBoundingClientRect().width;
      line.remove();
      return {needed, available: pre.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)};
    }""")
    assert room["needed"] <= room["available"], f"a 100-character code line needs {room}"
