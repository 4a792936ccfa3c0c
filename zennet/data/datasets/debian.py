"""Labelled text from the machine itself: the one-line descriptions of Debian's packages
(``apt-cache dumpavail``), labelled by the package's Section.

    splits = debian_packages()             # TextClasses: train, val, test, classes
    text, label = splits.train[0]          # ("Real-time strategy game ...", 3)
    splits.classes[label]                  # "games"

``apt-cache dumpavail`` prints every package the machine's apt lists know (about 63,000 on
Debian 12, main; the lists hold the one-line synopsis only, not the long description). The
records (package, source package, section, description) are read once and cached as
``debian-packages/records.tsv`` under ``$ZENNET_DATA`` or ``~/.cache/zennet``.

**Classes**: ``SECTIONS``, the eight largest sections once ``libs``, ``libdevel`` and
``doc`` are left out; those three sort packages by their form (a shared library, its
development files, its documentation), not by their subject, so a Python library's
``-dev`` or ``-doc`` package sits there beside a Perl one's (``oldlibs`` is not in
bookworm's lists). A ``contrib/`` or ``non-free/`` prefix is dropped.

**Split**: identical descriptions are kept once (and dropped if two sections claim them);
each source package goes to train, validation or test by the MD5 of its name (80 / 10 /
10 %), so the binary packages of one source (``foo``, ``python3-foo``...) never straddle
two splits, and no description is in two splits.
"""

import csv
import hashlib
import io
import shutil
import subprocess
from collections import Counter, namedtuple
from pathlib import Path

from zennet.data.datasets.registry import DATASETS
from zennet.data.datasets.speech import data_home
from zennet.io import atomic_write
from zennet.text import classify  # noqa: F401 (register the text-classifier presets)

SECTIONS = ("python", "perl", "devel", "utils", "haskell", "net", "rust", "golang")
SPLIT_PERCENT = (80, 10, 10)
FIELDS = ("package", "source", "section", "description")

TextClasses = namedtuple("TextClasses", "train val test classes")
TextClasses.__doc__ = (
    "Train, validation and test lists of (text, label) pairs, and the class names by label."
)


def apt_cache_path():
    """The apt-cache executable, or a FileNotFoundError saying what is needed."""
    found = shutil.which("apt-cache")
    if found is None:
        raise FileNotFoundError(
            "debian_packages: apt-cache is not installed; this data set reads the package "
            "descriptions of a Debian or Ubuntu machine (`apt-cache dumpavail`, from the apt "
            "package, after `apt-get update`). Run it there, or copy its cache folder "
            f"({data_home() / 'debian-packages'}) from such a machine."
        )
    return found


def parse_dumpavail(text):
    """The records of ``apt-cache dumpavail``'s output: dicts of FIELDS, one per package
    name (the first version listed), with a Section and a Description."""
    records, seen = [], set()
    for block in text.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line[:1] not in (" ", "\t") and ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        name = fields.get("Package")
        if not name or name in seen or not fields.get("Section") or not fields.get("Description"):
            continue
        seen.add(name)
        source = fields.get("Source", name).split(" ")[0]  # "foo (1.2-3)" -> "foo"
        section = fields["Section"].rsplit("/", 1)[-1]  # "contrib/utils" -> "utils"
        records.append(dict(zip(FIELDS, (name, source, section, fields["Description"]))))
    return records


def read_records(root=None, refresh=False):
    """Every package's record, from the cache (made from ``apt-cache dumpavail`` if absent
    or ``refresh``)."""
    path = Path(root or data_home()) / "debian-packages" / "records.tsv"
    if refresh or not path.exists():
        output = subprocess.run(
            [apt_cache_path(), "dumpavail"], capture_output=True, text=True, check=True
        ).stdout
        records = parse_dumpavail(output)
        if not records:
            raise FileNotFoundError(
                "debian_packages: `apt-cache dumpavail` listed no packages; run "
                "`apt-get update` first so that apt knows the archive's packages."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, FIELDS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        data = buffer.getvalue().encode("utf-8")
        atomic_write(path, lambda f: f.write(data), "debian_packages")
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def split_of(source):
    """0, 1 or 2 (train, validation, test) for a source package, by the MD5 of its name."""
    bucket = int(hashlib.md5(source.encode("utf-8")).hexdigest(), 16) % 100
    return 0 if bucket < SPLIT_PERCENT[0] else 1 if bucket < sum(SPLIT_PERCENT[:2]) else 2


def debian_packages(root=None, sections=SECTIONS, refresh=False):
    """TextClasses of the package descriptions of ``sections`` (label = index there)."""
    records = [r for r in read_records(root, refresh) if r["section"] in sections]
    claims = Counter((r["description"], r["section"]) for r in records)
    by_text = Counter(text for text, _ in claims)  # sections claiming each description
    parts, kept = ([], [], []), set()
    for r in records:
        text = r["description"]
        if by_text[text] > 1 or text in kept:
            continue
        kept.add(text)
        parts[split_of(r["source"])].append((text, sections.index(r["section"])))
    return TextClasses(*parts, list(sections))


def load_debian_packages(flat=True):
    return debian_packages()


load_debian_packages.__doc__ = (
    "Debian package descriptions (apt-cache dumpavail) labelled by section, 8 classes"
)
load_debian_packages.text_classification = True  # trained by zennet.jobs.textcls
load_debian_packages.default_model = "text-bag"
DATASETS.register("debian-packages", load_debian_packages)
