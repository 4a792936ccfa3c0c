import pytest

from zennet.data.datasets.text import (
    FORTUNES,
    fortune_files,
    fortunes,
    load_text,
    read_fortunes,
    split_of,
    text_file,
)


def write_fortunes(root, files):
    root.mkdir()
    for name, items in files.items():
        (root / name).write_text("\n%\n".join(items) + "\n%\n")
        (root / f"{name}.dat").write_bytes(b"index")  # fortune's index: marks a fortune file
    (root / "README").write_text("not a fortune file: it has no .dat")
    return root


def test_fortunes_are_split_by_fortune_without_duplicates(tmp_path):
    items = [f"Fortune number {i}.\n\t\t-- Someone" for i in range(200)]
    root = write_fortunes(tmp_path / "f", {"a": items[:120], "b": items[100:]})  # 20 in both
    read = read_fortunes(root)
    assert len(read) == 200 and read[0] == items[0] + "\n"
    splits = fortunes(root)
    pieces = [set(s.split("%\n")) - {""} for s in splits]
    assert sum(map(len, pieces)) == 200
    assert not (pieces[0] & pieces[1] or pieces[0] & pieces[2] or pieces[1] & pieces[2])
    assert all(split_of(f) == k for k, part in enumerate(pieces) for f in part)
    assert 150 < len(pieces[0]) < 195 and pieces[1] and pieces[2]  # about 90 / 5 / 5 %


def test_missing_fortunes_name_the_debian_package(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install fortunes"):
        fortunes(tmp_path)


def test_text_file_is_cut_in_contiguous_blocks(tmp_path):
    lines = [f"line {i:04d}\n" for i in range(500)]
    (tmp_path / "t.txt").write_text("".join(lines))
    train, val, test = text_file(tmp_path / "t.txt")
    assert train + val + test == "".join(lines)
    assert train.endswith("\n") and val.endswith("\n") and test.startswith("line")
    assert 0.88 < len(train) / len("".join(lines)) < 0.92
    assert load_text(f"text:{tmp_path / 't.txt'}") == (train, val, test)
    with pytest.raises(FileNotFoundError, match="no such file"):
        text_file(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="no text corpus"):
        load_text("digits")


@pytest.mark.skipif(not FORTUNES.is_dir(), reason="apt-get install fortunes")
def test_debian_fortunes_match_the_data_card():
    """docs/text.md's card: 43 files, 15,134 distinct fortunes, 2,314,492 / 127,491 /
    123,672 characters (Debian 12's fortunes 1:1.99.1-7.3)."""
    assert len(fortune_files()) == 43
    assert len(read_fortunes()) == 15134
    assert [len(s) for s in fortunes()] == [2314492, 127491, 123672]
