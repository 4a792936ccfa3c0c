"""A MkDocs hook: run the Python code of every tutorial page while the site is built.

Each ```python block of a page under tutorials/ runs in order, in one namespace per page
(as a notebook's cells do), inside a fresh temporary directory; what it prints is shown
below the block as a text block. A block that raises stops the build with the page, the
block's first line and the error, so no example in the tutorials can rot. A block written
```python norun is shown and not run.
"""

import contextlib
import io
import os
import re
import sys
import tempfile
import time
import traceback

from mkdocs.exceptions import PluginError

BLOCK = re.compile(r"^```python( norun)?\n(.*?)^```\n", re.DOTALL | re.MULTILINE)
TIMES = {}


def on_config(config):
    """The examples import the zennet of this checkout (the one beside mkdocs.yml)."""
    root = os.path.dirname(os.path.abspath(config.config_file_path))
    if root not in sys.path:
        sys.path.insert(0, root)
    return config


def on_page_markdown(markdown, page, config, files):
    if not page.file.src_uri.startswith("tutorials/"):
        return markdown
    namespace = {"__name__": "__tutorial__"}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, _cwd(tmp):
        markdown = BLOCK.sub(lambda match: _run(match, namespace, page), markdown)
    TIMES[page.file.src_uri] = time.perf_counter() - start
    return markdown


def on_post_build(config):
    total = sum(TIMES.values())
    lines = ", ".join(f"{k.removeprefix('tutorials/')} {v:.1f} s" for k, v in TIMES.items())
    print(f"run_examples: the tutorials' code ran in {total:.1f} s ({lines})")


def _run(match, namespace, page):
    block = match.group(0).replace("```python norun", "```python", 1)
    if match.group(1):
        return block
    code, out = match.group(2), io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"<{page.file.src_uri}>", "exec"), namespace)
    except Exception:
        first = code.strip().splitlines()[0] if code.strip() else ""
        raise PluginError(
            f"run_examples: a code block of {page.file.src_uri} (starting {first!r}) "
            f"failed:\n{traceback.format_exc(limit=-3)}"
        ) from None
    printed = out.getvalue().rstrip()
    return block + (f"\n```text\n{printed}\n```\n" if printed else "")


@contextlib.contextmanager
def _cwd(path):
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)
