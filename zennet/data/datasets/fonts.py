"""Printed digits 0-9 rendered from every font installed, distorted, and reduced like the
UCI optical digits (or made 28×28 like MNIST): a large, closely related source task for
transfer to the shipped handwritten digits.

Every TrueType/OpenType file under the font folders (``/usr/share/fonts`` and the rest of
:data:`FONT_DIRS`) that can draw the ten digits is used: a font whose digits are blank,
equal to its missing-glyph box (symbol and emoji fonts) or equal to another font's digits
(the same glyphs shipped twice) is left out. Each image is one digit of one font with a
random stroke width, rotation, shear, aspect ratio, elastic distortion and position; then

- ``size=8``: the UCI recipe (Alpaydin & Kaynak, 1998): the ink's bounding box is scaled to
  fill a 32×32 bitmap (keeping its aspect ratio), and the on-pixels are counted in each of
  the 64 non-overlapping 4×4 blocks: 8×8 values 0..16 (:func:`uci_reduce`);
- ``size=28``: the MNIST recipe: grey levels, the bounding box scaled into a 20×20 box,
  placed with its centre of mass at the centre of a 28×28 image.

The arrays are made once per setting and cached under ``$ZENNET_DATA`` (default
``~/.cache/zennet/``) in ``rendered-digits/``; the same fonts and ``seed`` give the same
images. docs/transfer.md has the data card (font packages, licences, counts).

    (x, y), (xt, yt) = rendered_digits()      # split by font: test fonts are never trained on
"""

import functools
import hashlib
import io
import math
import os
from pathlib import Path

import numpy as np

from zennet.data.datasets.registry import DATASETS

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
FONT_SUFFIXES = (".ttf", ".otf")
# what .ci/run installs (small), and more for a richer data set (docs/transfer.md)
FONT_PACKAGES = "fonts-dejavu-core fonts-liberation"
MORE_FONT_PACKAGES = "fonts-urw-base35 fonts-noto-core fonts-dejavu-extra and handwriting fonts"
MIN_FONTS = 5
GLYPH_PX = 48  # the font size glyphs are drawn at; distortions are relative to it
CANVAS = 2 * GLYPH_PX
# the random distortions: rotation in degrees (±), shear as tan of its angle (±), aspect
# ratio x/y as log2 (±), extra stroke width and elastic displacement (its std) as a fraction
# of GLYPH_PX, elastic smoothness (Gaussian sigma, fraction of GLYPH_PX), shift in pixels of
# the 32×32 (or 28×28) image (±)
DISTORTIONS = {
    "rotation": 12.0,
    "shear": 0.3,
    "aspect": 0.4,
    "stroke": 0.1,
    "elastic": 0.04,
    "smoothness": 0.25,
    "shift": 2,
}
FORMAT_VERSION = 1  # part of the cache key: bump when the images change


def data_home():
    """The cache directory: ``$ZENNET_DATA`` if set, else ``~/.cache/zennet``."""
    return Path(os.environ.get("ZENNET_DATA") or Path.home() / ".cache" / "zennet")


def _pil():
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError(
            "rendered_digits draws fonts with Pillow, which is not installed: "
            "pip install 'zennet[image]' (or pip install pillow)."
        ) from None
    return Image, ImageDraw, ImageFont


def font_files():
    """Every .ttf/.otf file under :data:`FONT_DIRS`, sorted, each real path once."""
    found = set()
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if root.is_dir():
            found.update(p.resolve() for p in root.rglob("*") if p.suffix.lower() in FONT_SUFFIXES)
    return sorted(str(p) for p in found)


def _draw(font, text, stroke=0):
    """(CANVAS, CANVAS) float32 ink in [0, 1] of ``text`` centred on the canvas."""
    Image, ImageDraw, _ = _pil()
    canvas = Image.new("L", (CANVAS, CANVAS), 0)
    ImageDraw.Draw(canvas).text(
        (CANVAS / 2, CANVAS / 2), text, fill=255, font=font, anchor="mm",
        stroke_width=stroke, stroke_fill=255,
    )  # fmt: skip
    return np.asarray(canvas, dtype=np.float32) / 255


def _digit_shapes(path):
    """The ten digits of the font at ``path`` as a (10, 32, 32) bool array, or None when
    the font cannot draw them (unreadable, blank, its missing-glyph box, or alike)."""
    _, _, ImageFont = _pil()
    try:
        font = ImageFont.truetype(path, GLYPH_PX)
        drawn = [_draw(font, str(d)) for d in range(10)]
        missing = _draw(font, "\U0010fffd")  # a private-use code point no font draws
    except (OSError, ValueError):
        return None
    shapes = []
    for ink in drawn + [missing]:
        on = ink > 0.5
        if not on.any():
            shapes.append(None)
            continue
        patch = _fit(ink, 32, on)[0]
        h, w = patch.shape
        shapes.append(_place(patch, 32, ((32 - h) // 2, (32 - w) // 2)) > 0.5)
    digits, box = shapes[:10], shapes[10]
    if any(s is None for s in digits):
        return None
    if box is not None and any(np.array_equal(s, box) for s in digits):
        return None
    if len({s.tobytes() for s in digits}) < 10:
        return None
    return np.stack(digits)


def digit_fonts(files=None):
    """The font files that draw ten distinct digits, each set of digit shapes once (the
    first file in sorted order keeps it). ``files`` defaults to :func:`font_files`."""
    files = font_files() if files is None else files
    kept, seen = [], set()
    for path in files:
        shapes = _digit_shapes(path)
        if shapes is None:
            continue
        key = hashlib.sha1(np.packbits(shapes).tobytes()).hexdigest()
        if key not in seen:
            seen.add(key)
            kept.append(path)
    if len(kept) < MIN_FONTS:
        raise FileNotFoundError(
            f"rendered_digits: found {len(kept)} font files that can draw the digits (of "
            f"{len(files)} .ttf/.otf files under {', '.join(FONT_DIRS)}); it needs at least "
            f"{MIN_FONTS}. Install fonts: `apt-get install {FONT_PACKAGES}` (Debian/Ubuntu), "
            f"and for a richer data set {MORE_FONT_PACKAGES}."
        )
    return kept


def _fit(ink, box, on=None):
    """Crop ``ink`` to its bounding box and scale it (keeping the aspect ratio) so that its
    longer side is ``box`` pixels: (h, w) float32 with max(h, w) == box, and the scale."""
    Image, _, _ = _pil()
    on = ink > 0.5 if on is None else on
    rows, cols = np.flatnonzero(on.any(1)), np.flatnonzero(on.any(0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = crop.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL's (width, height)
    image = Image.fromarray(np.ascontiguousarray(crop)).resize(size, Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float32), scale


def uci_reduce(bitmaps):
    """The UCI optical digits' reduction: (N, 32, 32) bitmaps (on where > 0) → (N, 8, 8)
    uint8 counts of the on-pixels in each non-overlapping 4×4 block, 0..16."""
    bitmaps = np.asarray(bitmaps)
    if bitmaps.ndim != 3 or bitmaps.shape[1:] != (32, 32):
        raise ValueError(
            f"uci_reduce: expected (N, 32, 32) bitmaps, got shape {bitmaps.shape}; the UCI "
            f"digits were made from 32×32 bitmaps."
        )
    on = (bitmaps > 0).reshape(len(bitmaps), 8, 4, 8, 4)  # (N, block row, 4, block col, 4)
    return on.sum(axis=(2, 4), dtype=np.uint8)


NOISE_STEP = 4  # the elastic field's noise is drawn every 4 pixels, then smoothed


@functools.lru_cache(maxsize=4)
def _smoothing(sigma):
    """(CANVAS, CANVAS // NOISE_STEP) S: S @ noise @ S.T blurs coarse noise by a Gaussian of
    ``sigma`` canvas pixels and interpolates it to the canvas (separable, one matrix)."""
    coarse = np.arange(CANVAS // NOISE_STEP) * NOISE_STEP + (NOISE_STEP - 1) / 2
    fine = np.arange(CANVAS)
    return np.exp(-0.5 * ((fine[:, None] - coarse[None, :]) / sigma) ** 2)


@functools.lru_cache(maxsize=1)
def _grid():
    """(y, x) pixel coordinates of the canvas, relative to its centre."""
    c = (CANVAS - 1) / 2
    return tuple(np.mgrid[0:CANVAS, 0:CANVAS].astype(np.float64) - c)


def _smooth_noise(rng, sigma):
    """(CANVAS, CANVAS) uniform noise blurred by a Gaussian of ``sigma`` px, std 1."""
    smooth = _smoothing(sigma)
    field = smooth @ rng.uniform(-1, 1, (smooth.shape[1],) * 2) @ smooth.T
    return field / field.std()


def _warp(ink, rng, d):
    """``ink`` under a random rotation, shear, aspect ratio and elastic distortion about
    the canvas centre (bilinear sampling; outside the canvas is blank)."""
    angle = math.radians(rng.uniform(-d["rotation"], d["rotation"]))
    aspect = 2 ** rng.uniform(-d["aspect"], d["aspect"])
    rotate = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    shear = np.array([[1.0, rng.uniform(-d["shear"], d["shear"])], [0.0, 1.0]])
    forward = rotate @ shear @ np.diag([math.sqrt(aspect), 1 / math.sqrt(aspect)])  # (x, y)
    back = np.linalg.inv(forward)
    c = (CANVAS - 1) / 2
    y, x = _grid()
    sx = back[0, 0] * x + back[0, 1] * y + c
    sy = back[1, 0] * x + back[1, 1] * y + c
    if d["elastic"]:
        sigma, amount = d["smoothness"] * GLYPH_PX, d["elastic"] * GLYPH_PX
        sx += amount * _smooth_noise(rng, sigma)
        sy += amount * _smooth_noise(rng, sigma)
    return _bilinear(ink, sx, sy)


def _bilinear(image, sx, sy):
    """``image`` sampled at the real coordinates (sx, sy), zero outside."""
    padded = np.pad(image, 1)  # a blank border, so samples outside read zeros
    sx = np.clip(sx + 1, 0, padded.shape[1] - 1.001)
    sy = np.clip(sy + 1, 0, padded.shape[0] - 1.001)
    x0, y0 = sx.astype(np.intp), sy.astype(np.intp)
    fx, fy = sx - x0, sy - y0
    top = padded[y0, x0] * (1 - fx) + padded[y0, x0 + 1] * fx
    bottom = padded[y0 + 1, x0] * (1 - fx) + padded[y0 + 1, x0 + 1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def _place(patch, side, offset):
    """``patch`` pasted into a blank side×side image with its top-left corner at ``offset``
    (row, col), clipped at the borders."""
    out = np.zeros((side, side), np.float32)
    r, c = offset
    h, w = patch.shape
    r0, c0 = max(r, 0), max(c, 0)
    r1, c1 = min(r + h, side), min(c + w, side)
    out[r0:r1, c0:c1] = patch[r0 - r : r1 - r, c0 - c : c1 - c]
    return out


def _uci_image(ink, rng, shift):
    """UCI: scaled to fill 32×32, thresholded to a bitmap, shifted, 4×4 block counts."""
    patch = _fit(ink, 32)[0] > 0.5
    h, w = patch.shape
    r = (32 - h) // 2 + rng.integers(-shift, shift + 1)
    c = (32 - w) // 2 + rng.integers(-shift, shift + 1)
    return uci_reduce(_place(patch.astype(np.float32), 32, (r, c))[None])[0]


def _mnist_image(ink, rng, shift):
    """MNIST: grey levels in a 20×20 box, centre of mass at the centre of 28×28, shifted."""
    patch = np.clip(_fit(ink, 20)[0], 0, 1)
    total = patch.sum()
    ys, xs = np.indices(patch.shape)
    cy, cx = (ys * patch).sum() / total, (xs * patch).sum() / total
    r = round(14 - cy) + rng.integers(-shift, shift + 1)
    c = round(14 - cx) + rng.integers(-shift, shift + 1)
    return np.round(255 * _place(patch, 28, (r, c))).astype(np.uint8)


def render(font, digit, rng, size=8, distortions=None):
    """One image of ``digit`` drawn from ``font`` (a font file's path, or a Pillow font of
    GLYPH_PX pixels) with random distortions: (8, 8) uint8 counts 0..16 (``size=8``) or
    (28, 28) uint8 grey levels (``size=28``)."""
    _, _, ImageFont = _pil()
    if isinstance(font, (str, Path)):
        font = ImageFont.truetype(str(font), GLYPH_PX)
    d = {**DISTORTIONS, **(distortions or {})}
    stroke = int(rng.integers(0, round(d["stroke"] * GLYPH_PX) + 1))
    ink = _draw(font, str(digit), stroke)
    for _ in range(3):  # a distortion that pushes the ink off the canvas is redrawn
        warped = _warp(ink, rng, d)
        if (warped > 0.5).any():
            break
    else:
        warped = ink
    make = _uci_image if size == 8 else _mnist_image
    return make(warped, rng, int(d["shift"]))


def _generate(fonts, per_font, size, seed, distortions, log):
    """(images, labels, font index) for ``per_font`` images of each digit of each font."""
    _, _, ImageFont = _pil()
    images, labels, owners = [], [], []
    for index, path in enumerate(fonts):
        rng = np.random.default_rng([seed, index])
        font = ImageFont.truetype(path, GLYPH_PX)
        for _ in range(per_font):
            for digit in range(10):
                images.append(render(font, digit, rng, size, distortions))
                labels.append(digit)
                owners.append(index)
        if log and (index + 1) % 50 == 0:
            log(f"rendered_digits: {index + 1}/{len(fonts)} fonts drawn")
    return np.stack(images), np.array(labels, np.int64), np.array(owners, np.int64)


def _cache_file(fonts, per_font, size, seed, distortions):
    """The cache file of these settings and fonts (their paths and sizes: an upgraded font
    package usually changes a file's size, and then the images are drawn again)."""
    files = [(path, os.path.getsize(path)) for path in fonts]
    text = repr((FORMAT_VERSION, per_font, size, seed, sorted(distortions.items()), files))
    key = hashlib.sha1(text.encode()).hexdigest()[:16]
    return data_home() / "rendered-digits" / f"{size}px-{per_font}-seed{seed}-{key}.npz"


def rendered_arrays(per_font=20, size=8, seed=0, distortions=None, cache=True, log=print):
    """(images, labels, font_of_image, fonts) before any split: uint8 images (N, size,
    size), counts 0..16 at size 8 or grey levels 0..255 at size 28, ``per_font`` of each
    digit of each usable font. Read from the cache when made before with these settings
    and fonts; otherwise drawn (about a millisecond an image) and, with ``cache``, saved."""
    if size not in (8, 28):
        raise ValueError(f"rendered_digits: size must be 8 (UCI) or 28 (MNIST), got {size!r}.")
    if not isinstance(per_font, int) or per_font < 1:
        raise ValueError(f"rendered_digits: per_font must be a positive int, got {per_font!r}.")
    d = {**DISTORTIONS, **(distortions or {})}
    if set(d) != set(DISTORTIONS):
        raise ValueError(
            f"rendered_digits: unknown distortions {sorted(set(d) - set(DISTORTIONS))}; "
            f"the known ones are {sorted(DISTORTIONS)}."
        )
    fonts = digit_fonts()
    file = _cache_file(fonts, per_font, size, seed, d)
    if cache and file.exists():
        with np.load(file, allow_pickle=False) as saved:
            return saved["images"], saved["labels"], saved["fonts_of"], list(saved["fonts"])
    images, labels, owners = _generate(fonts, per_font, size, seed, d, log)
    if cache:
        from zennet.io import atomic_write

        file.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer, images=images, labels=labels, fonts_of=owners, fonts=np.array(fonts)
        )
        atomic_write(file, lambda f: f.write(buffer.getvalue()), who="rendered_digits")
    return images, labels, owners, fonts


def rendered_digits(
    per_font=20, size=8, seed=0, test_fraction=0.1, flat=True, distortions=None, cache=True
):
    """Printed digits from every usable font, split by font: ``(x_train, y_train),
    (x_test, y_test)``.

    Images are float32 in [0, 1] like :func:`load_digits`'s: UCI counts / 16 at ``size=8``,
    grey levels / 255 at ``size=28``; flat (N, size²), or (N, 1, size, size) with
    ``flat=False``. Labels are int64 0..9, ``per_font`` of each digit per font, so balanced.
    A ``test_fraction`` of the fonts (drawn with ``seed``) go to the test part only.
    ``distortions`` overrides entries of :data:`DISTORTIONS`. Raises FileNotFoundError
    naming the font packages to install when fewer than 5 fonts can draw digits.

    >>> (x, y), (xt, yt) = zn.datasets.rendered_digits(flat=False)   # (N, 1, 8, 8)
    """
    if not 0 <= test_fraction < 1:
        raise ValueError(
            f"rendered_digits: test_fraction must be in [0, 1), got {test_fraction!r}."
        )
    images, labels, owners, fonts = rendered_arrays(per_font, size, seed, distortions, cache)
    top = np.float32(16 if size == 8 else 255)
    x = np.divide(images, top, dtype=np.float32)
    x = x.reshape(len(x), -1) if flat else x[:, None]  # (N, size²) or (N, 1, size, size)
    order = np.random.default_rng(seed).permutation(len(fonts))
    test_fonts = order[: round(test_fraction * len(fonts))]
    is_test = np.isin(owners, test_fonts)
    return (x[~is_test], labels[~is_test]), (x[is_test], labels[is_test])


DATASETS.register(
    "rendered-digits",
    rendered_digits,
    "8x8 printed digits drawn from every installed font, UCI-style (needs Pillow and fonts)",
)
