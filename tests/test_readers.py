"""Dataset readers: plain manifests, MagnaTagATune annotations, GTZAN genre folders, read_dataset."""

import csv
import string

import numpy as np
import pytest
import soundfile as sf

import fasttag
from fasttag.datasets import (
    Dataset,
    ManifestError,
    Track,
    multi_hot,
    random_splits,
    read_dataset,
    read_gtzan,
    read_manifest,
    read_mtat,
)

HEX = "0123456789abcdef"


def _mtat_split(folder: str) -> str:
    """The usual MagnaTagATune split, written out independently of the reader's table."""
    index = int(folder, 16)
    return "train" if index <= 11 else "valid" if index == 12 else "test"


def _write_mtat(root, rng, *, n_tags, n_clips, audio_sub="", quote=True):
    """A tiny annotations_final.csv (tab-separated) and empty clip files; returns its content."""
    tags = [f"tag {j}" for j in range(n_tags)]  # spaces in names, as in the real file ("no voice")
    labels = (rng.random((n_clips, n_tags)) < rng.uniform(0.05, 0.7, n_tags)).astype(int)
    folders = [HEX[i % 16] for i in range(n_clips)]  # every folder at least once when n_clips >= 16
    folders = [folders[i] for i in rng.permutation(n_clips)]
    paths = [f"{folder}/artist_{i}-album-{i:02d}-title-30-59.mp3" for i, folder in enumerate(folders)]
    header = ["clip_id", *tags, "mp3_path"]
    rows = [[str(2 + 3 * i), *map(str, labels[i]), paths[i]] for i in range(n_clips)]
    root.mkdir(parents=True, exist_ok=True)
    with open(root / "annotations_final.csv", "w", newline="") as f:
        writer = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_ALL if quote else csv.QUOTE_MINIMAL)
        writer.writerows([header, *rows])
    for path in paths:
        clip = root / audio_sub / path
        clip.parent.mkdir(parents=True, exist_ok=True)
        clip.write_bytes(b"")
    return tags, labels, paths


def _write_genres(root, rng, counts: dict, *, sr=8000):
    """Genre folders of short noise clips in .wav or .au, plus files and folders to ignore."""
    for genre, n in counts.items():
        (root / genre).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            ext = "au" if rng.random() < 0.5 else "wav"
            y = (0.1 * rng.standard_normal(int(sr * 0.05))).astype(np.float32)
            sf.write(root / genre / f"{genre}.{i:05d}.{ext}", y, sr, format=ext.upper(), subtype="PCM_16")
        (root / genre / f"{genre}.mf").write_text("not audio")
        (root / genre / f"._{genre}.00000.wav").write_bytes(b"\0" * 8)  # macOS resource fork
    (root / "notes").mkdir(exist_ok=True)  # a folder without audio is not a genre
    (root / "README.txt").write_text("GTZAN-like")


# ----------------------------------------------------------------------------- records


def test_manifest_gives_a_dataset_whose_labels_are_multi_hot(tmp_path, rng):
    n = int(rng.integers(4, 12))
    vocabulary = sorted({f"t{k}" for k in rng.integers(0, 20, 30)})
    rows = []
    for i in range(n):
        (tmp_path / f"{i}.wav").write_bytes(b"")
        tags = [t for t in vocabulary if rng.random() < 0.4]
        rows.append([f"{i}.wav", " ; ".join(tags) + ";", ""])  # spaces and a trailing separator
    with open(tmp_path / "m.csv", "w", newline="") as f:
        csv.writer(f).writerows([["tags", "path"], *[[r[1], r[0]] for r in rows]])  # columns in any order
    dataset = read_manifest(tmp_path / "m.csv")
    tracks, vocab = dataset  # still a pair
    assert isinstance(dataset, Dataset) and dataset.tracks is tracks
    expected = [[t.strip() for t in r[1].split(";") if t.strip()] for r in rows]
    assert [t.tags for t in tracks] == expected
    assert vocab == sorted({t for tags in expected for t in tags})
    assert all(t.split is None and t.path == (tmp_path / t.track_id).resolve() for t in tracks)
    labels = dataset.labels()
    assert labels.shape == (n, len(vocab)) and labels.dtype == np.float32
    for i, tags in enumerate(expected):
        assert {vocab[j] for j in np.flatnonzero(labels[i])} == set(tags)
    np.testing.assert_array_equal(labels, multi_hot(tracks, vocab))


def test_most_frequent_keeps_the_top_tags_by_count(rng):
    vocabulary = [f"tag{j}" for j in range(12)]
    p = rng.uniform(0, 1, 12)
    tracks = [Track(str(i), None, [t for t, q in zip(vocabulary, p) if rng.random() < q], "train") for i in range(40)]
    top = int(rng.integers(1, 12))
    kept = Dataset(tracks, vocabulary).most_frequent(top)
    counts = {t: sum(t in tr.tags for tr in tracks) for t in vocabulary}
    by_count = sorted(vocabulary, key=lambda t: (-counts[t], vocabulary.index(t)))
    assert kept.vocabulary == by_count[:top]
    assert [tr.tags for tr in kept.tracks] == [[t for t in tr.tags if t in by_count[:top]] for tr in tracks]
    assert Dataset(tracks, vocabulary).most_frequent(99).vocabulary == by_count


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 10, 101])
def test_random_splits_proportions(n, rng):
    splits = random_splits(n, rng)
    held = max(1, round(0.1 * n)) if n >= 3 else 0
    assert len(splits) == n
    assert splits.count("valid") == splits.count("test") == held
    assert splits.count("train") == n - 2 * held


def test_with_splits_fills_only_missing_splits_and_is_seeded(rng):
    given = [rng.choice(["train", "valid", "test", None]) for _ in range(30)]
    tracks = [Track(str(i), None, [], s) for i, s in enumerate(given)]
    a, b = (Dataset(tracks, []).with_splits(seed=5) for _ in range(2))
    assert [t.split for t in a.tracks] == [t.split for t in b.tracks]
    assert all(t.split == s for t, s in zip(a.tracks, given) if s is not None)
    assert all(t.split in ("train", "valid", "test") for t in a.tracks)
    others = [[t.split for t in Dataset(tracks, []).with_splits(seed=s).tracks] for s in range(6, 12)]
    assert any(o != [t.split for t in a.tracks] for o in others)


# ----------------------------------------------------------------------------- MagnaTagATune


@pytest.mark.parametrize("quote", [True, False])
def test_mtat_tags_splits_and_top_n(tmp_path, rng, quote):
    n_tags, n_clips = int(rng.integers(6, 12)), int(rng.integers(20, 40))
    tags, labels, paths = _write_mtat(tmp_path, rng, n_tags=n_tags, n_clips=n_clips, quote=quote)
    full = read_mtat(tmp_path, top=None)
    assert full.vocabulary == tags
    assert [t.track_id for t in full.tracks] == paths
    assert [t.split for t in full.tracks] == [_mtat_split(p[0]) for p in paths]
    assert all(t.path == (tmp_path / p).resolve() for t, p in zip(full.tracks, paths))
    np.testing.assert_array_equal(full.labels(), labels)

    top = int(rng.integers(1, n_tags))
    counts = labels.sum(axis=0)
    order = sorted(range(n_tags), key=lambda j: (-counts[j], j))[:top]
    cut = read_mtat(tmp_path / "annotations_final.csv", top=top)  # the file itself works too
    assert cut.vocabulary == [tags[j] for j in order]
    np.testing.assert_array_equal(cut.labels(), labels[:, order])
    assert read_mtat(tmp_path).vocabulary == [tags[j] for j in sorted(range(n_tags), key=lambda j: (-counts[j], j))]


def test_mtat_audio_in_an_mp3_folder(tmp_path, rng):
    _, _, paths = _write_mtat(tmp_path, rng, n_tags=3, n_clips=17, audio_sub="mp3")
    dataset = read_mtat(tmp_path)
    assert [t.path for t in dataset.tracks] == [(tmp_path / "mp3" / p).resolve() for p in paths]
    other = tmp_path / "elsewhere"
    for p in paths:
        (other / p).parent.mkdir(parents=True, exist_ok=True)
        (other / p).write_bytes(b"")
    assert read_mtat(tmp_path, audio_dir=other).tracks[0].path == (other / paths[0]).resolve()


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda rows: rows[2].__setitem__(1, "2"), "line 3: tag value '2' must be 0 or 1"),
        (lambda rows: rows[1].__setitem__(-1, "g/x.mp3"), "line 2: mp3_path 'g/x.mp3' must start with a folder"),
        (lambda rows: rows[1].__setitem__(-1, "x.mp3"), "line 2: mp3_path 'x.mp3' must start with a folder"),
        (lambda rows: rows[3].__setitem__(-1, "0/missing.mp3"), "line 4: audio file .*missing.mp3.* does not exist"),
        (lambda rows: rows[2].__setitem__(-1, rows[1][-1]), "line 3: mp3_path .* is listed twice"),
        (lambda rows: rows[0].__setitem__(-1, "path"), "line 1: .*'mp3_path'"),
        (lambda rows: rows[2].pop(1), "line 3: .* fields, expected"),
    ],
)
def test_mtat_errors(tmp_path, rng, edit, match):
    _write_mtat(tmp_path, rng, n_tags=4, n_clips=6)
    with open(tmp_path / "annotations_final.csv", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    edit(rows)
    with open(tmp_path / "annotations_final.csv", "w", newline="") as f:
        csv.writer(f, delimiter="\t").writerows(rows)
    with pytest.raises(ManifestError, match=match):
        read_mtat(tmp_path)


def test_mtat_bad_top(tmp_path, rng):
    _write_mtat(tmp_path, rng, n_tags=3, n_clips=4)
    with pytest.raises(fasttag.ParameterError, match="top=0"):
        read_mtat(tmp_path, top=0)


# ----------------------------------------------------------------------------- GTZAN


def test_gtzan_genres_tags_and_split(tmp_path, rng):
    genres = sorted(rng.choice(list(string.ascii_lowercase), size=int(rng.integers(2, 5)), replace=False))
    counts = {f"genre_{g}": int(rng.integers(1, 25)) for g in genres}
    _write_genres(tmp_path, rng, counts)
    tracks, vocabulary = read_gtzan(tmp_path, seed=int(rng.integers(1000)))
    assert vocabulary == sorted(counts)
    assert len(tracks) == sum(counts.values())
    for genre, n in counts.items():
        mine = [t for t in tracks if t.tags == [genre]]
        assert len(mine) == n
        assert [t.track_id for t in mine] == sorted(f"{genre}/{p.name}" for p in (tmp_path / genre).iterdir()
                                                    if not p.name.startswith(".") and p.suffix in (".au", ".wav"))
        assert all(t.path == tmp_path / t.track_id and t.path.is_file() for t in mine)
        held = max(1, round(0.1 * n)) if n >= 3 else 0
        splits = [t.split for t in mine]
        assert (splits.count("valid"), splits.count("test")) == (held, held), (genre, n, splits)
    y, sr = fasttag.load(tracks[0].path)  # .au and .wav both decode
    assert sr == 8000 and y.size == 400


def test_gtzan_split_is_seeded_and_stable_when_genres_are_added(tmp_path, rng):
    counts = {g: int(rng.integers(10, 30)) for g in ("blues", "jazz", "metal")}
    _write_genres(tmp_path, rng, counts)
    seed = int(rng.integers(1000))
    first = read_gtzan(tmp_path, seed=seed)
    assert first == read_gtzan(tmp_path, seed=seed)
    assert [t.split for t in read_gtzan(tmp_path, seed=seed + 1).tracks] != [t.split for t in first.tracks]
    _write_genres(tmp_path, rng, {"country": 5})
    grown = read_gtzan(tmp_path, seed=seed)
    assert grown.vocabulary == ["blues", "country", "jazz", "metal"]
    assert [t for t in grown.tracks if t.tags != ["country"]] == first.tracks


def test_gtzan_needs_two_genres(tmp_path, rng):
    _write_genres(tmp_path, rng, {"rock": 3})
    with pytest.raises(ManifestError, match="at least two genre folders .* found 1"):
        read_gtzan(tmp_path)


# ----------------------------------------------------------------------------- read_dataset


def test_read_dataset_picks_the_reader(tmp_path, rng):
    manifest = fasttag.datasets.make_tagged_music(6, seconds=0.5, seed=int(rng.integers(1000)), out=tmp_path / "syn")
    by_file, by_folder = read_dataset(manifest), read_dataset(tmp_path / "syn")
    assert by_file == by_folder == read_manifest(manifest)  # its own split column

    _, labels, _ = _write_mtat(tmp_path / "mtat", rng, n_tags=int(rng.integers(3, 8)), n_clips=20)
    mtat = read_dataset(tmp_path / "mtat")
    assert mtat == read_mtat(tmp_path / "mtat") == read_dataset(tmp_path / "mtat" / "annotations_final.csv")
    assert read_dataset(tmp_path / "mtat", top=2).vocabulary == read_mtat(tmp_path / "mtat", top=2).vocabulary

    _write_genres(tmp_path / "genres", rng, {"pop": 4, "rock": 5})
    seed = int(rng.integers(1000))
    assert read_dataset(tmp_path / "genres", seed=seed) == read_gtzan(tmp_path / "genres", seed=seed)


def test_read_dataset_splits_a_manifest_without_split(tmp_path, rng):
    n = int(rng.integers(10, 30))
    for i in range(n):
        (tmp_path / f"{i}.wav").write_bytes(b"")
    with open(tmp_path / "plain.csv", "w", newline="") as f:
        csv.writer(f).writerows([["path", "tags"], *[[f"{i}.wav", "a;b" if i % 2 else "c"] for i in range(n)]])
    seed = int(rng.integers(1000))
    tracks, vocabulary = read_dataset(tmp_path / "plain.csv", seed=seed)
    held = max(1, round(0.1 * n))
    splits = [t.split for t in tracks]
    assert (splits.count("valid"), splits.count("test"), splits.count("train")) == (held, held, n - 2 * held)
    assert read_dataset(tmp_path / "plain.csv", seed=seed).tracks == tracks
    assert vocabulary == ["a", "b", "c"]
    n_a, n_c = n // 2, n - n // 2  # a and b tie: a, the earlier, goes first
    assert read_dataset(tmp_path / "plain.csv", top=1).vocabulary == (["a"] if n_a >= n_c else ["c"])


def test_read_dataset_errors(tmp_path):
    with pytest.raises(ManifestError, match="nowhere does not exist"):
        read_dataset(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ManifestError, match="empty is not a dataset: expected a .csv manifest"):
        read_dataset(tmp_path / "empty")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ManifestError, match="notes.txt is not a dataset"):
        read_dataset(tmp_path / "notes.txt")
