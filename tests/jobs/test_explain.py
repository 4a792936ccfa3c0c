"""The explain job end to end on preset models saved as weights-only checkpoints."""

import re
from pathlib import Path

import numpy as np
import pytest

import zennet as zn

pytest.importorskip("matplotlib")

from zennet import models  # noqa: E402
from zennet.cli import main  # noqa: E402
from zennet.jobs import METHODS  # noqa: E402
from zennet.jobs import explain as explain_job  # noqa: E402
from zennet.training import Trainer  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def save_model(net, path):
    """The model file of ``zennet train``: a weights-only checkpoint with the preset's recipe."""
    Trainer(net, optimizer=None).save_checkpoint(path, weights_only=True)


@pytest.fixture
def saved_mlp(tmp_path):
    zn.manual_seed(0)
    net = models.build_model("mlp", (64,), 10)
    save_model(net, tmp_path / "mlp.safetensors")
    (_, _), (x, _) = zn.datasets.load_digits()
    np.save(tmp_path / "two.npy", x[:2])
    return tmp_path / "mlp.safetensors", tmp_path / "two.npy", net.eval(), x[:2]


@pytest.mark.parametrize("method", [m for m in METHODS if m != "gradcam"])
def test_each_method_writes_a_png(saved_mlp, tmp_path, method):
    model_path, input_path, net, x = saved_mlp
    out = tmp_path / f"{method}.png"
    result = explain_job(model_path, input_path, method=method, out=out)
    predicted = np.asarray(net(zn.tensor(x)).data).argmax(1).tolist()
    probability = result.pop("probability")
    assert result == {
        "method": method,
        "predicted": predicted,
        "target": predicted,
        "path": str(out),
        "note": None,
    }
    assert len(probability) == 2 and all(0.1 < p <= 1 for p in probability)
    assert out.read_bytes()[:8] == PNG_SIGNATURE


def test_target_and_trace(saved_mlp, tmp_path):
    model_path, input_path, _, _ = saved_mlp
    result = explain_job(model_path, input_path, "saliency", tmp_path / "t.png", target=7)
    assert result["target"] == [7, 7]
    text = explain_job(model_path, input_path, trace=True, target=3)
    assert "dW1 = dZ1ᵀ·A0" in text and "all checks passed" in text
    assert "primer (the textbook deep-learning course zennet follows" in text  # issue 14.9
    with pytest.raises(ValueError, match="target 12 is not a class of this model"):
        explain_job(model_path, input_path, target=12)


def test_gradcam_on_a_saved_cnn(tmp_path):
    zn.manual_seed(0)
    net = models.build_model("cnn", (1, 8, 8), 10)
    save_model(net, tmp_path / "cnn.safetensors")
    (_, _), (x, _) = zn.datasets.load_digits(flat=False)
    np.save(tmp_path / "one.npy", x[:1])
    result = explain_job(
        tmp_path / "cnn.safetensors", tmp_path / "one.npy", "gradcam", tmp_path / "cam.png"
    )
    assert result["path"] == str(tmp_path / "cam.png") and len(result["predicted"]) == 1
    assert (tmp_path / "cam.png").read_bytes()[:8] == PNG_SIGNATURE


def test_errors(saved_mlp, tmp_path):
    model_path, input_path, _, _ = saved_mlp
    with pytest.raises(ValueError, match="Unknown explanation method 'lime'; choose one"):
        explain_job(model_path, input_path, method="lime")
    with pytest.raises(ValueError, match="grad_cam needs a model with a Conv2d layer"):
        explain_job(model_path, input_path, method="gradcam", out=tmp_path / "x.png")


def test_command_line(saved_mlp, tmp_path, capsys):
    model_path, input_path, _, _ = saved_mlp
    out = tmp_path / "cli.png"
    argv = ["explain", str(model_path), str(input_path), "--method", "gxi", "--out", str(out)]
    assert main(argv + ["--target", "4"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"sample=0 class=\d target=4 probability=0\.\d{4}", printed[0])
    assert re.fullmatch(r"sample=1 class=\d target=4 probability=0\.\d{4}", printed[1])
    assert printed[2:] == [f"wrote {out}"]
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    assert main(["explain", str(model_path), str(input_path), "--trace"]) == 0
    assert "all checks passed" in capsys.readouterr().out
    assert main(["explain", str(model_path), str(input_path), "--target", "99"]) == 2
    assert "zennet explain: error: target 99 is not a class" in capsys.readouterr().err


def test_the_picture_has_a_title_a_colour_bar_and_the_input_beside_each_map(saved_mlp, figures):
    """Issue 14.8: jet on |h| blended into the image, no title, colour bar or legend."""
    model_path, input_path, _, _ = saved_mlp
    result = explain_job(model_path, input_path, "ig", "ig.png", target=3)
    (fig,) = figures
    assert fig._suptitle.get_text().startswith("integrated gradients from a black image — ")
    titles = [ax.get_title() for ax in fig.axes]
    p = result["probability"]
    predicted = "" if result["predicted"][0] == 3 else f"; predicted {result['predicted'][0]}"
    assert titles[:2] == ["sample 0: input", f"class 3 (p={p[0]:.3f}){predicted}"]
    assert "sample 1: input" in titles
    bars = [ax for ax in fig.axes if ax.get_ylabel().startswith("attribution")]
    assert len(bars) == 2  # one colour bar per map
    maps = [im for ax in fig.axes for im in ax.get_images() if im.get_cmap().name == "RdBu_r"]
    assert len(maps) == 2 and all(im.norm.vmin == -im.norm.vmax for im in maps)  # centred on 0


def test_gradcam_maps_are_drawn_on_a_sequential_scale_from_zero(tmp_path, figures):
    zn.manual_seed(0)
    net = models.build_model("cnn", (1, 8, 8), 10)
    save_model(net, tmp_path / "cnn.safetensors")
    (_, _), (x, _) = zn.datasets.load_digits(flat=False)
    np.save(tmp_path / "one.npy", x[:1])
    explain_job(tmp_path / "cnn.safetensors", tmp_path / "one.npy", "gradcam", "cam.png")
    cmaps = [im.get_cmap().name for ax in figures[0].axes for im in ax.get_images()]
    assert cmaps == ["gray", "magma"]  # the input, then its map (Grad-CAM is never negative)


def test_explain_never_overwrites_a_picture_unasked(saved_mlp, capsys):
    model_path, input_path, _, _ = saved_mlp
    Path("heatmap.png").write_bytes(b"an earlier picture")
    assert main(["explain", str(model_path), str(input_path), "--method", "gxi"]) == 0
    assert Path("heatmap.png").read_bytes() == b"an earlier picture"
    assert capsys.readouterr().out.splitlines()[-1] == "wrote heatmap-2.png"
    assert Path("heatmap-2.png").read_bytes()[:8] == PNG_SIGNATURE


def test_a_missing_output_folder_is_named_as_the_user_gave_it(saved_mlp, capsys):
    model_path, input_path, _, _ = saved_mlp
    argv = ["explain", str(model_path), str(input_path), "--out", "missing/dir/h.png"]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == (
        "zennet explain: error: --out missing/dir/h.png: the folder missing/dir does not "
        "exist; create it or choose another."
    )
