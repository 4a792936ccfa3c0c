"""Draw docs/playground_boundary.png and docs/playground_step.png: the playground after it
learned the spirals, and its view of one step.

Run from the repository root: ``python docs/make_playground_shots.py`` (needs Debian's
chromium and ``pip install playwright``). It drives the page exactly as the browser test
(tests/jobs/test_playground_browser.py) does.
"""

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.jobs.playground_browser import browser_or_reason, train_and_step  # noqa: E402


def main():
    _, reason = browser_or_reason()
    if reason:
        sys.exit(f"make_playground_shots: {reason}")
    with tempfile.TemporaryDirectory() as tmp:
        seen = train_and_step(Path(tmp))
        for name in ("boundary", "step"):
            target = ROOT / "docs" / f"playground_{name}.png"
            shutil.copyfile(Path(tmp) / f"{name}.png", target)
            print(f"wrote {target.relative_to(ROOT)}")
    print(f"validation accuracy shown: {seen['accuracy']} % after {seen['seconds']:.1f} s")


if __name__ == "__main__":
    main()
