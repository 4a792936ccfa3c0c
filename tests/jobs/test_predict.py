"""predict on everyday input: NaN, empty arrays, a dark drawing on white paper."""

import numpy as np
import pytest

import zennet as zn
from zennet.cli import main
from zennet.jobs import predict, train

PIL = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    out = tmp_path_factory.mktemp("predict") / "run"
    train(epochs=15, out=out, verbose=0)
    return out / "model.safetensors"


def test_nan_and_empty_inputs_are_one_clear_line_and_exit_2(model, capsys):
    """Issue 14.6: NaN gave `class=0 probability=nan` and exit 0; (0, 64) a NumPy error."""
    x = np.zeros((3, 64), np.float32)
    x[1, 5] = np.nan
    np.save("nan.npy", x)
    np.save("empty.npy", np.zeros((0, 64), np.float32))
    for name, message in [
        ("nan.npy", "nan.npy: 1 of its 3 inputs hold NaN or Inf (the first is input 1); a "
                    "model's output for them means nothing."),
        ("empty.npy", "empty.npy: holds no inputs (an array of shape (0, 64))."),
    ]:  # fmt: skip
        assert main(["predict", str(model), name]) == 2
        assert capsys.readouterr().err.splitlines() == [f"zennet predict: error: {message}"]


def seven(model):
    """A test-set 7 that the model classifies right, as an 8x8 image in [0, 1]."""
    _, (x, y) = zn.datasets.load_digits()
    for image in x[y == 7]:
        np.save("one.npy", image[None])
        if predict(model, "one.npy")["classes"][0] == 7:
            return image.reshape(8, 8)
    raise AssertionError("the model gets no 7 right")


def test_a_black_on_white_drawing_is_inverted_and_recognised(model, capsys):
    """Issue 14.7: a black-on-white 7 was read as class=1 probability=0.978."""
    image = seven(model)
    drawing = np.kron(1 - image, np.ones((16, 16)))  # 128x128, black strokes on white
    PIL.fromarray((drawing * 255).astype(np.uint8)).save("seven.png")
    result = predict(model, "seven.png")
    assert result["classes"][0] == 7
    assert "light background: inverted it" in result["note"]
    assert main(["predict", str(model), "seven.png"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("class=7 ")
    assert err.startswith("zennet predict: note: seven.png has a light background")
    bright = np.kron(image, np.ones((16, 16)))  # white on black, as trained: left as it is
    PIL.fromarray((bright * 255).astype(np.uint8)).save("bright.png")
    result = predict(model, "bright.png")
    assert result["note"] is None and result["classes"][0] == 7


def test_a_models_class_names_are_printed_and_checked(model, capsys):
    """A model trained on a data set that names its classes (spoken-languages, fashion-mnist)
    keeps the names in its recipe; predict prints them; a damaged list is refused."""
    state = zn.io.load_checkpoint(model)
    names = [f"digit-{d}" for d in range(10)]
    recipe = {**state["extra"]["recipe"], "classes": names}
    zn.io.save_checkpoint("named.safetensors", state["model_state"], extra={"recipe": recipe})
    np.save("one.npy", seven(model).reshape(1, 64))
    result = predict("named.safetensors", "one.npy")
    assert result["names"] == ["digit-7"]
    assert main(["predict", "named.safetensors", "one.npy"]) == 0
    assert capsys.readouterr().out.startswith("class=7 name=digit-7 probability=")
    assert predict(model, "one.npy")["names"] is None  # digits: no names stored
    for damaged in (names[:9], "0123456789", [*names[:9], 9]):
        recipe["classes"] = damaged
        zn.io.save_checkpoint("bad.safetensors", state["model_state"], extra={"recipe": recipe})
        with pytest.raises(ValueError, match="damaged model recipe.*classes"):
            predict("bad.safetensors", "one.npy")
