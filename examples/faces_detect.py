"""Face detection: zennet's sliding-window CNN against scikit-image's LBP cascade.

    python examples/faces.py --final runs/faces/face_cnn.safetensors    # the model, first
    python examples/faces_detect.py --model runs/faces/face_cnn.safetensors --docs docs

Composites: the 20 held-out faces of ``zn.datasets.lfw_faces()`` (never trained on) pasted,
4 per picture at sizes 30-72 pixels and known places that do not overlap, into 256×256 grey
crops of five face-free scikit-image pictures (grass, gravel, text, hubble_deep_field,
cell; the final model's extra negatives came from other pictures). A detection is right when
its box overlaps a pasted face's box with IoU >= 0.5 (each face counted once). The same
images go to ``skimage.feature.Cascade`` (OpenCV's LBP frontal-face cascade) with the same
scale step. Also: both detectors on the astronaut, whose face box was marked by hand.

With ``--docs DIR`` the pictures for docs/faces.md are written there: the astronaut and one
composite with both detectors' boxes, and Grad-CAM / integrated gradients on held-out faces.
"""

import argparse
import time
from pathlib import Path

import numpy as np

import zennet as zn
from zennet.data.datasets.faces import lfw_faces
from zennet.vision import WINDOW, box_iou, detect, draw_boxes, load_face_model, match, resize
from zennet.vision import precision_recall as pr

BACKGROUNDS = ("grass", "gravel", "text", "hubble_deep_field", "cell")
SIDE, FACES_PER_PICTURE, SIZES = 256, 4, (30, 72)
# the astronaut's face, marked by hand on the 512×512 picture: cheek to cheek, the middle of
# the forehead to the chin (x0, y0, x1, y1)
ASTRONAUT_FACE = (178, 85, 274, 181)


def grey(picture):
    """A scikit-image picture as float32 grey in [0, 1]."""
    import skimage.color

    picture = np.asarray(picture)
    if picture.ndim == 3:
        return skimage.color.rgb2gray(picture[..., :3]).astype(np.float32)
    return (picture / (255.0 if picture.dtype == np.uint8 else 1.0)).astype(np.float32)


def background(name):
    """The middle square of a scikit-image picture, resized to SIDE×SIDE."""
    import skimage.data

    picture = grey(getattr(skimage.data, name)())
    side = min(picture.shape)
    top, left = (picture.shape[0] - side) // 2, (picture.shape[1] - side) // 2
    return resize(picture[top : top + side, left : left + side], (SIDE, SIDE))


def place(rng, sizes, taken):
    """A box (x0, y0, x1, y1) of a random size in ``sizes`` overlapping none of ``taken``."""
    while True:
        size = int(rng.integers(sizes[0], sizes[1] + 1))
        x0, y0 = rng.integers(0, SIDE - size + 1, 2)
        box = np.array([x0, y0, x0 + size, y0 + size])
        if all(box[0] >= t[2] or box[2] <= t[0] or box[1] >= t[3] or box[3] <= t[1] for t in taken):
            return box


def composites(faces, seed=0):
    """[(image (SIDE, SIDE), true boxes (4, 4))]: the faces pasted into the backgrounds."""
    rng = np.random.default_rng(seed)
    pictures, k = [], 0
    for name in BACKGROUNDS:
        image, boxes = background(name), []
        for _ in range(FACES_PER_PICTURE):
            x0, y0, x1, y1 = box = place(rng, SIZES, boxes)
            image[y0:y1, x0:x1] = resize(faces[k % len(faces)], (y1 - y0, x1 - x0))
            boxes.append(box)
            k += 1
        pictures.append((image, np.array(boxes)))
    return pictures


def cascade_detector(factor):
    """detect(image) -> (boxes, None) with scikit-image's LBP frontal-face cascade."""
    import skimage.data
    import skimage.feature

    cascade = skimage.feature.Cascade(skimage.data.lbp_frontal_face_cascade_filename())

    def run(image):
        found = cascade.detect_multi_scale(
            img=image, scale_factor=factor, step_ratio=1, min_size=(24, 24), max_size=image.shape
        )
        boxes = [[d["c"], d["r"], d["c"] + d["width"], d["r"] + d["height"]] for d in found]
        return np.array(boxes, dtype=np.float64).reshape(-1, 4), None

    return run


def evaluate(name, run, pictures):
    """Precision and recall at IoU >= 0.5 over the composites, and seconds per picture."""
    totals, start = np.zeros(3, dtype=int), time.perf_counter()
    found = []
    for image, truth in pictures:
        boxes, scores = run(image)
        order = np.ones(len(boxes)) if scores is None else scores  # the cascade: no scores
        totals += match(boxes, order, truth, 0.5)
        found.append((boxes, scores))
    seconds = (time.perf_counter() - start) / len(pictures)
    precision, recall = pr(*totals)
    tp, fp, missed = totals
    print(
        f"| {name} | {100 * precision:.0f} % | {100 * recall:.0f} % | {tp} | {fp} | {missed} "
        f"| {seconds:.2f} s |",
        flush=True,
    )
    return found


def explain_faces(model, faces, path):
    """Grad-CAM (block 2's activations) and integrated gradients (black baseline) on faces."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = faces[:, :, 1 : 1 + WINDOW, 1 : 1 + WINDOW]  # the centre 22×22, as the classifier reads
    cam = zn.explain.grad_cam(model, x, 1, layer=model.features[6])[:, 0]
    ig = zn.explain.integrated_gradients(model, x, 1, steps=64)[:, 0]
    columns = min(6, len(x))
    figure, axes = plt.subplots(3, columns + 1, figsize=(1.6 * (columns + 1), 5.4))
    rows = [
        ("face", x[:, 0], "gray"),
        ("Grad-CAM", cam, "jet"),
        ("integrated gradients", ig, "bwr"),
    ]
    for r, (label, maps, cmap) in enumerate(rows):
        for c in range(columns + 1):
            shown = maps.mean(axis=0) if c == columns else maps[c]
            limit = np.abs(shown).max() or 1
            options = {"vmin": -limit, "vmax": limit} if cmap == "bwr" else {}
            image = axes[r, c].imshow(shown, cmap=cmap, **options)
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if c == columns:
                axes[r, c].set_title(f"mean of {len(x)}", fontsize=8)
                figure.colorbar(image, ax=axes[r, c], fraction=0.046)
        axes[r, 0].set_ylabel(label, fontsize=8)
    figure.suptitle("What makes a face for face_cnn: held-out faces, target class 'face'")
    figure.savefig(path, dpi=70, bbox_inches="tight")
    plt.close(figure)
    print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="runs/faces/face_cnn.safetensors")
    parser.add_argument("--threshold", type=float, nargs="+", default=[0.5, 0.9, 0.99])
    parser.add_argument("--scale-factor", type=float, default=1.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--docs", metavar="DIR", help="write the pictures for docs/faces.md")
    args = parser.parse_args()
    model, window = load_face_model(args.model)
    _, (xt, yt) = lfw_faces()
    faces = xt[yt == 1][:, 0]  # (20, 25, 25), held out
    pictures = composites(faces, args.seed)
    print(f"{len(pictures)} composites, {sum(len(t) for _, t in pictures)} faces")
    print("| detector | precision | recall | right | wrong | missed | time per picture |")
    print("|---|---|---|---|---|---|---|")
    cascade = cascade_detector(args.scale_factor)
    cascade_found = evaluate("LBP cascade (scikit-image)", cascade, pictures)
    found = {}
    for t in args.threshold:

        def ours(image, t=t):
            return detect(model, image, window=window, threshold=t, factor=args.scale_factor)

        found[t] = evaluate(f"zennet face_cnn, p ≥ {t}", ours, pictures)
    import skimage.data

    astronaut = grey(skimage.data.astronaut())
    results = {"LBP cascade": cascade(astronaut)}
    for t in args.threshold:
        results[f"zennet p≥{t}"] = detect(
            model, astronaut, window=window, threshold=t, factor=args.scale_factor
        )
    for name, (boxes, _) in results.items():
        tp, fp, _ = match(boxes, np.ones(len(boxes)), [ASTRONAUT_FACE], 0.5)
        best = box_iou(boxes, [ASTRONAUT_FACE]).max(initial=0)
        print(
            f"astronaut, {name}: {len(boxes)} boxes, face found: {tp == 1} (best IoU with the "
            f"marked face {best:.2f}), wrong boxes: {fp}"
        )
    if args.docs:
        docs, best = Path(args.docs), max(args.threshold)
        shown = {
            "LBP cascade": results["LBP cascade"],
            f"zennet p≥{best}": results[f"zennet p≥{best}"],
        }
        draw_boxes(
            docs / "faces_astronaut.png",
            astronaut,
            shown,
            [ASTRONAUT_FACE],
            "astronaut: dashed = face marked by hand",
        )
        image, truth = pictures[0]
        shown = {"LBP cascade": cascade_found[0], f"zennet p≥{best}": found[best][0]}
        draw_boxes(
            docs / "faces_composite.png",
            image,
            shown,
            truth,
            f"composite on {BACKGROUNDS[0]}: dashed = pasted held-out faces",
        )
        explain_faces(model, xt[yt == 1], docs / "faces_explain.png")


if __name__ == "__main__":
    main()
