"""``zennet playground``: its sessions, its step view and its JSON API (the page's own test,
in a real browser, is tests/jobs/test_playground_browser.py)."""

import time
import urllib.request

import numpy as np
import pytest

from tests.jobs.playground_server import call, running_server
from zennet.jobs.playground.config import parse_config
from zennet.jobs.playground.session import Session
from zennet.nn.linear import Linear


@pytest.fixture(scope="module")
def server():
    with running_server() as server:
        yield server


def test_a_session_learns_the_spirals():
    session = Session(parse_config({"dataset": "spirals"}))
    for _ in range(100):
        session.train(0.1)
        if session.curves["val_accuracy"][-1] > 0.9:
            break
    assert session.curves["val_accuracy"][-1] > 0.9
    assert session.curves["loss"][-1] < session.curves["loss"][0]


@pytest.mark.parametrize("layer", [1, 2, 3])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_the_step_view_holds_zennets_own_numbers(layer, optimizer):
    config = parse_config({"optimizer": optimizer, "lr": 0.5, "l2": 0.01, "batch_size": 10})
    session = Session(config)
    linear = [m for m in session.model if isinstance(m, Linear)][layer - 1]
    w_before = linear.weight.numpy().copy()
    steps = session.steps
    view = session.step(layer)
    assert session.steps == steps + 1 and view["m"] == 10
    last = session.last_step
    np.testing.assert_array_equal(last["dW"], linear.weight.grad.numpy())
    np.testing.assert_array_equal(last["db"][:, 0], linear.bias.grad.numpy())
    np.testing.assert_array_equal(view["arrays"]["dW"], last["dW"])
    np.testing.assert_array_equal(last["W_new"], linear.weight.numpy())
    np.testing.assert_array_equal(view["arrays"]["update"], linear.weight.numpy() - w_before)
    # the primer's formulas hold on zennet's numbers (computed here in float64)
    a_prev, dz, m = last["A_prev"].astype(float), last["dZ"].astype(float), 10
    np.testing.assert_allclose(dz @ a_prev.T / m, last["dW"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(last["W"] @ a_prev + last["b"], last["Z"], rtol=1e-4, atol=1e-5)
    assert all(diff < 1e-5 for diff in view["checks"].values()), view["checks"]
    if optimizer == "sgd":
        expected = w_before - 0.5 * (last["dW"] + 0.01 * w_before)
        np.testing.assert_allclose(linear.weight.numpy(), expected, rtol=1e-5, atol=1e-6)
        assert "W_new − W = −α·(dW + λ·W)" in view["checks"]


def test_the_output_layer_shows_the_losss_link():
    session = Session(parse_config({"hidden": [], "loss": "bce_with_logits"}))
    view = session.step(1)
    z, a = np.array(session.last_step["Z"]), np.array(session.last_step["A"])
    np.testing.assert_allclose(a, 1 / (1 + np.exp(-z)), rtol=1e-5)
    assert view["g"].startswith("σ(Z)")


@pytest.mark.parametrize(
    "settings, message",
    [({"dataset": "spiral"}, "dataset must be one of circles"),
     ({"lr": 0}, "learning rate must be a number above 0"),
     ({"lr": "fast"}, "learning rate must be a number"),
     ({"hidden": "8, x"}, "hidden layers must be widths separated by commas"),
     ({"hidden": [8, 99]}, "width must be a whole number from 1 to 32"),
     ({"batch_size": 2.5}, "batch size must be a whole number"),
     ({"size": 40, "batch_size": 35}, "batch size 35 is larger than the 30 training points"),
     ({"colour": "red"}, "unknown setting")],
)  # fmt: skip
def test_bad_settings_get_a_clear_message(server, settings, message):
    status, answer = call(server, "/api/session", {"settings": settings})
    assert status == 400 and message in answer["error"], answer


def test_the_api_serves_the_page_and_trains(server):
    with urllib.request.urlopen(server.url + "/") as page:
        html = page.read().decode()
    assert "<canvas" in html and "/playground.js" in html and "http" not in html.split("<body")[1]
    status, options = call(server, "/api/options")
    assert status == 200 and "spirals" in options["datasets"] and options["defaults"]["lr"] > 0
    status, created = call(server, "/api/session", {"settings": {"dataset": "moons"}})
    assert status == 200 and len(created["points"]["train"]) == 300
    state = created["state"]
    assert len(state["boundary"]) == state["boundary_side"] ** 2
    assert [len(layer) for layer in state["neurons"]] == [8, 8]
    status, trained = call(server, "/api/train", {"id": created["id"], "seconds": 0.05})
    assert status == 200 and trained["state"]["steps"] > 0
    status, stepped = call(server, "/api/step", {"id": created["id"], "layer": 2})
    assert stepped["state"]["steps"] == trained["state"]["steps"] + 1
    assert np.shape(stepped["view"]["arrays"]["dW"]) == (8, 8)
    status, answer = call(server, "/api/step", {"id": created["id"], "layer": 7})
    assert status == 400 and "layer must be a number from 1 to 3" in answer["error"]
    assert call(server, "/api/close", {"id": created["id"]}) == (200, {"closed": True})
    status, answer = call(server, "/api/train", {"id": created["id"]})
    assert status == 404 and "press Reset" in answer["error"]


def test_tabs_are_independent_sessions(server):
    first = call(server, "/api/session", {"settings": {"seed": 1}})[1]["id"]
    second = call(server, "/api/session", {"settings": {"seed": 1}})[1]["id"]
    call(server, "/api/train", {"id": first, "seconds": 0.05})
    a = server.sessions.get(first)
    b = server.sessions.get(second)
    assert a.steps > 0 and b.steps == 0 and a.model is not b.model


def test_a_session_without_a_page_is_dropped():
    with running_server(timeout=0.2) as server:
        session_id = call(server, "/api/session", {})[1]["id"]
        assert len(server.sessions) == 1
        time.sleep(0.3)
        status, answer = call(server, "/api/train", {"id": session_id})
        assert status == 404 and len(server.sessions) == 0


def test_the_command_refuses_a_taken_port(capsys):
    from zennet import cli

    with running_server() as server:
        assert cli.main(["playground", "--port", str(server.server_address[1])]) == 2
    assert "choose another port with --port N" in capsys.readouterr().err
