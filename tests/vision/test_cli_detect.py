import numpy as np
import pytest

import zennet as zn
from tests.reliability.cli import run_cli
from zennet.cli import main
from zennet.io import save_checkpoint
from zennet.models import build_model
from zennet.vision import face_cnn, save_face_model

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")


@pytest.fixture
def files(tmp_path, rng):
    model = face_cnn()
    save_face_model(model, tmp_path / "face.safetensors")
    pixels = (rng.random((60, 80)) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "image.png")
    return tmp_path


def box_lines(output):
    lines = output.strip().splitlines()
    return [dict(p.split("=") for p in line.split()) for line in lines if line.startswith("x0=")]


def test_detect_writes_the_boxes_picture_in_a_fresh_process(files):
    out = files / "boxes.png"
    result = run_cli(
        "detect", files / "face.safetensors", files / "image.png", "--out", out, "--threshold", 0
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result.stdout.strip().splitlines()[-1] == f"wrote {out}"
    boxes = box_lines(result.stdout)
    assert boxes, result.stdout  # threshold 0: every window is a box; NMS leaves some
    for box in boxes:
        x0, y0, x1, y1 = (float(box[k]) for k in ("x0", "y0", "x1", "y1"))
        assert 0 <= x0 < x1 <= 80 and 0 <= y0 < y1 <= 60 and x1 - x0 >= 22
        assert 0 <= float(box["score"]) <= 1
    scores = [float(b["score"]) for b in boxes]
    assert scores == sorted(scores, reverse=True)


def test_detect_threshold_one_finds_nothing_but_still_draws(files, capsys):
    out = files / "none.png"
    args = ["detect", str(files / "face.safetensors"), str(files / "image.png"), "--out", str(out)]
    assert main([*args, "--threshold", "1.01"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    assert out.exists()


def test_detect_refuses_a_padded_classifier_and_missing_files(files, capsys):
    cnn = build_model("cnn", (1, 8, 8), 10)
    save_checkpoint(files / "cnn.safetensors", cnn.state_dict(), extra={"recipe": cnn.recipe})
    assert main(["detect", str(files / "cnn.safetensors"), str(files / "image.png")]) == 2
    assert "Conv2d has padding=(1, 1)" in capsys.readouterr().err
    zn.save(face_cnn().state_dict(), files / "plain.safetensors")
    assert main(["detect", str(files / "plain.safetensors"), str(files / "image.png")]) == 2
    assert "saved with zn.save" in capsys.readouterr().err
    assert main(["detect", str(files / "face.safetensors"), str(files / "missing.png")]) == 2
    assert "missing.png" in capsys.readouterr().err
