"""The playground page driven in Chromium with Playwright: used by the browser test and by
docs/make_playground_shots.py (the screenshots in the docs)."""

import shutil
import time

import numpy as np

from tests.jobs.playground_server import running_server

TARGET_ACCURACY = 90.0  # percent, as the page shows it


def browser_or_reason():
    """(Playwright's sync_playwright, the chromium path), or (None, why they are missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, "needs Playwright for Python: pip install playwright"
    chromium = shutil.which("chromium")
    if chromium is None:
        return None, "needs Debian's chromium: apt-get install -y chromium"
    return (sync_playwright, chromium), None


def shown_matrix(page, name):
    """The numbers of the page's table ``name`` (e.g. "dW"), as the page shows them."""
    cells = "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    rows = page.eval_on_selector_all(f'table[data-name="{name}"] tr', cells)
    return np.array(rows, dtype=np.float64)


def train_and_step(out_dir, dataset="spirals", timeout_s=60):
    """Open the page, choose ``dataset``, train until the shown validation accuracy passes
    90 %, press Step; save boundary.png and step.png in ``out_dir``. Returns a dict: the
    shown accuracy, the shown dW, zennet's dW of that step, the error shown for a bad
    learning rate, and the seconds training took."""
    (sync_playwright, chromium), reason = browser_or_reason()
    with running_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server.url + "/")
        page.wait_for_selector("body[data-dataset=circles]")
        page.select_option("#dataset", dataset)
        page.wait_for_selector(f"body[data-dataset={dataset}]")
        start = time.perf_counter()
        page.click("#train")
        # the accuracy the page shows when it first passes the target (training goes on
        # until the pause below, and on a busy machine a few noisy steps may lower it)
        shown = "parseFloat(document.getElementById('val-accuracy').textContent)"
        passed = page.wait_for_function(
            f"{shown} > {TARGET_ACCURACY} ? {shown} : false", timeout=timeout_s * 1000
        )
        accuracy = float(passed.json_value())
        seconds = time.perf_counter() - start
        page.click("#train")  # pause
        page.screenshot(path=str(out_dir / "boundary.png"), clip=_clip(page, "#views", 640))
        page.click("#step")
        page.wait_for_selector('table[data-name="dW"]')
        shown_dw = shown_matrix(page, "dW")
        session = server.sessions.get(page.evaluate("session"))
        zennet_dw = np.array(session.last_step["dW"])
        layer = int(page.input_value("#layer"))
        page.locator("#step-view").screenshot(path=str(out_dir / "step.png"))
        page.fill("#lr", "0")
        page.dispatch_event("#lr", "change")
        page.wait_for_selector("#error:not([hidden])")
        error = page.text_content("#error")
        browser.close()
    return {"accuracy": accuracy, "shown_dw": shown_dw, "zennet_dw": zennet_dw,
            "layer": layer, "step_layer": session.last_step["layer"], "error": error,
            "seconds": seconds}  # fmt: skip


def _clip(page, selector, height):
    box = page.locator(selector).bounding_box()
    return {"x": 0, "y": 0, "width": box["x"] + box["width"], "height": box["y"] + height}
