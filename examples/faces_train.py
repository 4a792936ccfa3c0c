"""The detector's face classifier: trained on all 160 training crops, then on its own mistakes.

    python examples/faces_train.py --out runs/faces/face_cnn.safetensors
    zennet detect runs/faces/face_cnn.safetensors photo.png --out boxes.png

The 100 non-face crops of lfw_subset are smooth patches: a classifier that has only seen
them calls most textures a face. So the training set also gets ``--negatives`` random patches
of face-free scikit-image pictures (NEGATIVE_SOURCES; examples/faces_detect.py tests on
other pictures), and then, ``--rounds`` times, hard-negative mining (Sung & Poggio, 1998):
run the detector over those pictures, where every box is a mistake, add up to ``--hard``
of the boxes' crops as non-faces and train again from scratch. The faces are repeated so
that they stay a third of the training set. The result is tested on the 40 held-out crops
and saved for ``zennet detect``.
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
from faces import ARMS, center_crop, fit

from zennet.data.datasets.faces import lfw_faces
from zennet.vision import WINDOW, detect, resize, save_face_model

NEGATIVE_SOURCES = ("brick", "coffee", "coins", "moon", "page", "rocket", "clock", "horse")
CROP = 25  # the side of the lfw crops: a window of 22 is their middle


def pictures(sources=NEGATIVE_SOURCES):
    """The face-free scikit-image pictures as float32 grey in [0, 1]."""
    import skimage.color
    import skimage.data

    out = []
    for name in sources:
        picture = np.asarray(getattr(skimage.data, name)())
        if picture.ndim == 3:
            picture = skimage.color.rgb2gray(picture[..., :3])
        elif picture.dtype != bool:
            picture = picture / 255.0
        out.append(picture.astype(np.float32))
    return out


def crop(picture, x0, y0, side):
    """The ``side``-pixel square at (x0, y0) of ``picture``, resized to CROP×CROP."""
    x0, y0 = int(round(x0)), int(round(y0))
    return resize(picture[y0 : y0 + side, x0 : x0 + side], (CROP, CROP))


def random_patches(n, seed):
    """(n, 1, 25, 25) patches of the face-free pictures at random places, 25-150 pixels."""
    rng, sources = np.random.default_rng(seed), pictures()
    patches = []
    for k in range(n):
        picture = sources[k % len(sources)]
        side = int(rng.integers(CROP, min(150, *picture.shape) + 1))
        y0, x0 = (rng.integers(0, d - side + 1) for d in picture.shape)
        patches.append(crop(picture, x0, y0, side))
    return np.stack(patches)[:, None]


def hard_negatives(model, limit, seed, threshold=0.5):
    """(≤ limit, 1, 25, 25): the crops around the boxes the detector finds in face-free
    pictures (a window's box is the middle 22/25 of its crop), a random ``limit`` of them."""
    found = []
    for picture in pictures():
        boxes, _ = detect(model, picture, window=WINDOW, threshold=threshold, factor=1.2)
        for x0, y0, x1, _ in boxes:
            side = (x1 - x0) * CROP / WINDOW
            x, y = x0 - (side - (x1 - x0)) / 2, y0 - (side - (x1 - x0)) / 2
            if x >= 0 and y >= 0 and x + side <= picture.shape[1] and y + side <= picture.shape[0]:
                found.append(crop(picture, x, y, int(round(side))))
    rng = np.random.default_rng(seed)
    picks = rng.permutation(len(found))[:limit]
    return np.stack([found[i] for i in picks])[:, None] if len(picks) else np.zeros((0, 1, 25, 25))


def balanced(faces, negatives):
    """(x, y): the faces repeated to be about a third of the set, then the negatives."""
    repeats = max(1, round(len(negatives) / (2 * len(faces))))
    x = np.concatenate([np.repeat(faces, repeats, axis=0), negatives]).astype(np.float32)
    y = np.concatenate([np.ones(len(faces) * repeats), np.zeros(len(negatives))])
    return x, y.astype(np.int64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/faces/face_cnn.safetensors")
    parser.add_argument("--arm", default="augmented", choices=ARMS)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--negatives", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2, help="rounds of hard-negative mining")
    parser.add_argument("--hard", type=int, default=600, help="most mined crops per round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", default="runs/faces", help="the digits source, if --arm digits")
    args = parser.parse_args()
    start = time.perf_counter()
    (x, y), (xt, yt) = lfw_faces()
    negatives = np.concatenate([x[y == 0], random_patches(args.negatives, args.seed + 1)])
    for r in range(args.rounds + 1):
        trainer = fit(
            args.arm, *balanced(x[y == 1], negatives), args.epochs, args.seed, cache=args.cache
        )
        accuracy = trainer.evaluate(center_crop(xt), yt)["accuracy"]
        print(
            f"round {r}: {len(negatives)} non-faces, held-out accuracy {accuracy:.4f} "
            f"({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
        if r == args.rounds:
            break
        hard = hard_negatives(trainer.model, args.hard, args.seed + r)
        print(f"round {r}: {len(hard)} false detections mined as non-faces", flush=True)
        negatives = np.concatenate([negatives, hard])
    os.makedirs(Path(args.out).parent, exist_ok=True)
    save_face_model(trainer.model, args.out)
    print(f"wrote {args.out} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
