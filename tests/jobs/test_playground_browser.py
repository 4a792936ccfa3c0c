"""The playground in a real browser (Debian's chromium driven by Playwright): choose the
spirals, train until the page shows a validation accuracy above 90 %, press Step, and check
the dW the page shows against zennet's own. CI installs both (.ci/run); without them here
the test is skipped and says what to install."""

import numpy as np
import pytest

from tests.jobs.playground_browser import TARGET_ACCURACY, browser_or_reason, train_and_step

_, REASON = browser_or_reason()


@pytest.mark.skipif(REASON is not None, reason=f"the playground's browser test {REASON}")
def test_the_page_trains_the_spirals_and_shows_zennets_step(tmp_path):
    seen = train_and_step(tmp_path)
    assert seen["accuracy"] > TARGET_ACCURACY
    assert seen["layer"] == seen["step_layer"]
    assert seen["shown_dw"].shape == seen["zennet_dw"].shape
    # the page shows 4 significant digits of zennet's numbers
    np.testing.assert_allclose(seen["shown_dw"], seen["zennet_dw"], rtol=6e-4, atol=1e-12)
    assert "learning rate must be a number above 0" in seen["error"]
    for name in ("boundary.png", "step.png"):
        assert (tmp_path / name).stat().st_size > 10_000
