"""make_tagged_music: reproducibility, tags that agree with the audio; manifest reading."""

import csv

import librosa
import numpy as np
import pytest
import soundfile as sf
from sklearn.metrics import roc_auc_score

import fasttag
from fasttag.datasets import (
    LOUD_DBFS,
    QUIET_DBFS,
    TAGS,
    ManifestError,
    dataset_kind,
    make_tagged_music,
    multi_hot,
    read_dataset,
    read_manifest,
    read_mtat,
)

SR = 12000
EXCLUSIVE = [("drums", "no_drums"), ("major", "minor")]  # exactly one of each pair
AT_MOST_ONE = [("fast", "slow"), ("loud", "quiet"), ("solo", "ensemble"), ("dense", "sparse")]
INSTRUMENTS = ["piano", "strings", "organ", "guitar", "bass", "flute", "synth", "bells"]  # bells: rare


@pytest.fixture
def seed(rng):
    return int(rng.integers(2**31))


def _audio(manifest):
    tracks, _ = read_manifest(manifest)
    return [sf.read(t.path, dtype="float32")[0] for t in tracks], tracks


def test_same_seed_same_audio_other_seed_other_audio(tmp_path, seed):
    first = _audio(make_tagged_music(3, seconds=1.5, seed=seed, out=tmp_path / "a"))
    again = _audio(make_tagged_music(3, seconds=1.5, seed=seed, out=tmp_path / "b"))
    other = _audio(make_tagged_music(3, seconds=1.5, seed=seed + 1, out=tmp_path / "c"))
    assert (tmp_path / "a" / "manifest.csv").read_text() == (tmp_path / "b" / "manifest.csv").read_text()
    for x, y, z in zip(first[0], again[0], other[0]):
        assert x.shape == (int(1.5 * SR),) and np.array_equal(x, y)
        assert not np.array_equal(x, z)


def test_clip_does_not_depend_on_the_number_of_clips(tmp_path, seed):
    few, _ = _audio(make_tagged_music(2, seconds=1.0, seed=seed, out=tmp_path / "a"))
    more, _ = _audio(make_tagged_music(4, seconds=1.0, seed=seed, out=tmp_path / "b"))
    assert all(np.array_equal(x, y) for x, y in zip(few, more))


def test_worker_processes_write_the_same_collection(tmp_path, seed):
    serial, _ = _audio(make_tagged_music(5, seconds=1.0, seed=seed, out=tmp_path / "a"))
    parallel, _ = _audio(make_tagged_music(5, seconds=1.0, seed=seed, out=tmp_path / "b", workers=2))
    assert (tmp_path / "a" / "manifest.csv").read_text() == (tmp_path / "b" / "manifest.csv").read_text()
    assert all(np.array_equal(x, y) for x, y in zip(serial, parallel))


def test_generate_command_writes_the_collection(tmp_path, seed, run_cli):
    status, out, err = run_cli(["generate", "--out", tmp_path / "cli", "--n-tracks", 3, "--seconds", 1.0, "--sr", 8000,
                                "--seed", seed, "--format", "wav", "--workers", 1])  # fmt: skip
    assert status == 0 and "3 clips of 1 s" in out, err
    made, _ = _audio(make_tagged_music(3, seconds=1.0, sr=8000, seed=seed, out=tmp_path / "api", fmt="wav"))
    generated, tracks = _audio(tmp_path / "cli" / "manifest.csv")
    assert [t.path.suffix for t in tracks] == [".wav"] * 3
    assert all(np.array_equal(x, y) for x, y in zip(made, generated))
    assert run_cli(["generate", "--out", tmp_path / "x", "--n-tracks", 0])[0] == 2


def test_an_interrupted_generation_leaves_whole_clips_and_the_previous_manifest(tmp_path, seed, monkeypatch, capsys):
    """The manifest was written clip by clip and each clip in place: a Ctrl-C left a manifest
    of the clips so far (maybe a cut line) and a cut audio file."""
    from fasttag.datasets import synthetic

    before = make_tagged_music(3, seconds=1.0, seed=seed, out=tmp_path, progress=True)
    assert "generate: 100%" in capsys.readouterr().err
    listed = before.read_text()
    render = synthetic._clip

    def interrupted(rng, seconds, sr, calls=[]):  # noqa: B006 -- counts the clips rendered
        calls.append(1)
        if len(calls) > 4:
            raise KeyboardInterrupt
        return render(rng, seconds, sr)

    monkeypatch.setattr(synthetic, "_clip", interrupted)
    with pytest.raises(KeyboardInterrupt):
        make_tagged_music(8, seconds=1.0, seed=seed + 1, out=tmp_path)
    assert before.read_text() == listed  # not the 4 new clips' manifest
    clips = sorted((tmp_path / "audio").iterdir())
    assert [p.name for p in clips] == [f"track_{i:05d}.flac" for i in range(4)]  # no .part left
    for path in clips:
        assert sf.info(path).frames == SR


@pytest.mark.parametrize("fmt", ["flac", "ogg", "wav"])
def test_formats(tmp_path, seed, fmt):
    audio, tracks = _audio(make_tagged_music(2, seconds=1.0, sr=8000, seed=seed, out=tmp_path, fmt=fmt))
    assert all(t.path.suffix == f".{fmt}" for t in tracks)
    assert all(sf.info(t.path).samplerate == 8000 and len(y) == 8000 for t, y in zip(tracks, audio))


@pytest.fixture(scope="module")
def generated(request, tmp_path_factory, seed_for):
    """80 clips of 3 s, tags and a few spectral measurements of each."""
    seed = seed_for(request.node.nodeid)
    manifest = make_tagged_music(80, seconds=3.0, seed=seed, out=tmp_path_factory.mktemp("music"))
    audio, tracks = _audio(manifest)
    _, vocabulary = read_manifest(manifest)
    clips = np.stack(audio)
    power = np.abs(np.fft.rfft(clips, axis=-1)) ** 2
    freqs = np.fft.rfftfreq(clips.shape[-1], 1 / SR)
    harmonic, percussive = librosa.decompose.hpss(np.abs(librosa.stft(clips, n_fft=512, hop_length=256)) ** 2)
    return {
        "seed": seed,
        "tracks": tracks,
        "vocabulary": vocabulary,
        "labels": multi_hot(tracks, TAGS),
        "rms_db": np.array([20 * np.log10(np.sqrt(np.mean(y.astype(np.float64) ** 2))) for y in audio]),
        "low_share": power[:, freqs < 120].sum(-1) / power.sum(-1),
        "high_share": power[:, freqs > 3000].sum(-1) / power.sum(-1),
        "percussive_share": percussive.sum((1, 2)) / (harmonic + percussive).sum((1, 2)),
    }


def _auc(generated, tag, score):
    y = generated["labels"][:, TAGS.index(tag)]
    if y.min() == y.max():
        pytest.skip(f"seed {generated['seed']}: no variety in {tag!r}")
    return roc_auc_score(y, score)


def test_tag_structure(generated):
    labels = generated["labels"]
    assert set(generated["vocabulary"]) <= set(TAGS)
    for a, b in EXCLUSIVE:
        assert np.all(labels[:, TAGS.index(a)] + labels[:, TAGS.index(b)] == 1), (a, b)
    for a, b in AT_MOST_ONE:
        assert np.all(labels[:, TAGS.index(a)] + labels[:, TAGS.index(b)] <= 1), (a, b)
    n_sources = labels[:, [TAGS.index(t) for t in INSTRUMENTS + ["drums"]]].sum(1)
    assert np.all(n_sources >= 1)
    np.testing.assert_array_equal(labels[:, TAGS.index("solo")], n_sources == 1)
    np.testing.assert_array_equal(labels[:, TAGS.index("ensemble")], n_sources >= 3)
    assert labels.sum(1).min() >= 3 and labels.sum(1).mean() >= 6


def test_tag_frequencies(generated):
    frequency = dict(zip(TAGS, generated["labels"].mean(0)))
    for tag in ["drums", "major", "minor", "no_drums"]:
        assert 0.3 <= frequency[tag] <= 0.7, (tag, frequency[tag], generated["seed"])
    for tag in INSTRUMENTS[:-1] + ["fast", "slow", "loud", "quiet", "ensemble", "dense", "sparse", "reverb"]:
        assert 0.08 <= frequency[tag] <= 0.75, (tag, frequency[tag], generated["seed"])
    for tag in ["bells", "lofi"]:  # the rare ones
        assert frequency[tag] <= 0.2, (tag, frequency[tag], generated["seed"])


def test_loudness_tags_match_the_level(generated):
    rms_db, labels = generated["rms_db"], generated["labels"]
    loud, quiet = labels[:, TAGS.index("loud")] == 1, labels[:, TAGS.index("quiet")] == 1
    assert np.all(rms_db[loud] >= LOUD_DBFS - 0.05) and np.all(rms_db[~loud] < LOUD_DBFS + 0.05)
    assert np.all(rms_db[quiet] < QUIET_DBFS + 0.05) and np.all(rms_db[~quiet] >= QUIET_DBFS - 0.05)


def test_drum_clips_are_percussive(generated):
    """librosa's harmonic/percussive separation finds more percussive energy in drum clips."""
    assert _auc(generated, "drums", generated["percussive_share"]) >= 0.9, generated["seed"]


def test_bass_clips_have_low_end(generated):
    assert _auc(generated, "bass", generated["low_share"]) >= 0.7, generated["seed"]


def test_lofi_clips_lack_treble(generated):
    assert _auc(generated, "lofi", -generated["high_share"]) >= 0.8, generated["seed"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_tracks": 0}, "n_tracks=0"),
        ({"n_tracks": 2.5}, "n_tracks=2.5"),
        ({"seconds": 0.0}, "seconds=0.0"),
        ({"seconds": -1}, "seconds=-1"),
        ({"seconds": "1"}, "seconds='1' must be a number from 0.5 to 86400"),
        ({"seconds": float("nan")}, "seconds=nan"),
        ({"seconds": 1e9}, "seconds=1000000000.0"),
        ({"sr": 100}, "sr=100"),
        ({"seed": -3}, "seed=-3"),
        ({"seed": 2**63}, r"seed=9223372036854775808 must be an integer in \[0, 2\*\*63\)"),
        ({"seed": 1.0}, "seed=1.0"),
        ({"fmt": "mp3"}, "fmt='mp3'"),
        ({"workers": 0}, "workers=0"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, match):
    with pytest.raises(fasttag.ParameterError, match=match):
        make_tagged_music(**{"n_tracks": 2, "out": tmp_path, **kwargs})


def test_read_manifest_and_multi_hot(tmp_path, seed):
    rng = np.random.default_rng(seed)
    vocabulary = [f"tag{i}" for i in rng.permutation(12)]
    rows = []
    for i in range(20):
        (tmp_path / "clips").mkdir(exist_ok=True)
        (tmp_path / "clips" / f"{i}.wav").write_bytes(b"")
        tags = list(rng.choice(vocabulary, size=rng.integers(0, 5), replace=False))
        rows.append((f"clips/{i}.wav", tags, str(rng.choice(["train", "valid", "test"]))))
    with open(tmp_path / "m.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["split", "path", "tags"])  # any column order
        writer.writerows([split, path, " ; ".join(tags)] for path, tags, split in rows)
    tracks, found = read_manifest(tmp_path / "m.csv")
    assert found == sorted({t for _, tags, _ in rows for t in tags})
    for track, (path, tags, split) in zip(tracks, rows):
        assert track.track_id == path and track.path == (tmp_path / path).resolve()
        assert track.tags == tags and track.split == split
    labels = multi_hot(tracks, vocabulary)
    assert labels.dtype == np.float32 and labels.shape == (20, 12)
    expected = [[float(tag in tags) for tag in vocabulary] for _, tags, _ in rows]
    np.testing.assert_array_equal(labels, expected)
    used = next(tag for _, tags, _ in rows for tag in tags)
    with pytest.raises(fasttag.ParameterError, match=f"tag '{used}' of track .* is not in vocabulary"):
        multi_hot(tracks, [tag for tag in vocabulary if tag != used])


def test_manifest_without_split_column(tmp_path):
    (tmp_path / "a.flac").write_bytes(b"")
    (tmp_path / "m.csv").write_text("path,tags\na.flac,rock;\n")
    (track,), vocabulary = read_manifest(tmp_path / "m.csv")
    assert track.tags == ["rock"] and track.split is None and vocabulary == ["rock"]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "line 1: empty file"),
        ("file,tags,split\na.flac,x,train\n", "line 1: header"),
        ("path,tags,split\na.flac,x,train\nb.flac,y\n", "line 3: 2 fields, expected 3"),
        ("path,tags,split\na.flac,x,train\nb.flac,y,dev\n", "line 3: split 'dev'"),
        ("path,tags,split\na.flac,x,train\na.flac,y,test\n", "line 3: path 'a.flac' is listed twice"),
        ("path,tags,split\na.flac,x,train\n./a.flac,y,test\n", r"line 3: path '\./a.flac' is listed twice \(as"),
        ("path,tags,split\na.flac,x,train\n,y,test\n", "line 3: empty path"),
        ("path,tags,split\na.flac,x,train\nmissing.flac,y,test\n", "line 3: audio file .*missing.flac"),
    ],
)
def test_malformed_manifest(tmp_path, text, match):
    for name in ("a.flac", "b.flac"):
        (tmp_path / name).write_bytes(b"")
    (tmp_path / "bad.csv").write_text(text)
    with pytest.raises(ManifestError, match=f"bad.csv, {match}"):
        read_manifest(tmp_path / "bad.csv")


def test_csvs_with_a_byte_order_mark_are_read(tmp_path):
    """Excel's "CSV UTF-8" starts with a BOM: a manifest and MagnaTagATune's annotations are read as without."""
    bom = b"\xef\xbb\xbf"
    (tmp_path / "a.flac").write_bytes(b"")
    (tmp_path / "m.csv").write_bytes(bom + b"path,tags\na.flac,rock\n")
    (track,), vocabulary = read_manifest(tmp_path / "m.csv")
    assert track.path == (tmp_path / "a.flac").resolve() and vocabulary == ["rock"]
    assert dataset_kind(tmp_path / "m.csv") == "manifest" and len(read_dataset(tmp_path / "m.csv").tracks) == 1
    (tmp_path / "f").mkdir()
    (tmp_path / "f/b.mp3").write_bytes(b"")
    (tmp_path / "annotations_final.csv").write_bytes(bom + b"clip_id\tguitar\tmp3_path\n1\t1\tf/b.mp3\n")
    assert dataset_kind(tmp_path) == "mtat"
    (track,), vocabulary = read_mtat(tmp_path, top=None)
    assert vocabulary == ["guitar"] and track.tags == ["guitar"] and track.split == "test"


def test_csvs_in_other_encodings_or_with_huge_fields_are_manifest_errors(tmp_path):
    """A manifest saved as Latin-1 (Excel's "CSV" on Windows) ended `fasttag train/evaluate/tag` in a
    UnicodeDecodeError traceback, and a field over the csv module's limit in a _csv.Error."""
    (tmp_path / "a.flac").write_bytes(b"")
    (tmp_path / "latin1.csv").write_bytes("path,tags\na.flac,rock\na.flac,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ManifestError, match=r"latin1.csv, line 3: not UTF-8 text \(byte 0xe9\); save the file as"):
        read_dataset(tmp_path / "latin1.csv")
    (tmp_path / "huge.csv").write_text("path,tags\na.flac," + "x" * 200_000 + "\n")
    with pytest.raises(ManifestError, match="huge.csv, line 2: field larger than field limit"):
        read_manifest(tmp_path / "huge.csv")
    (tmp_path / "f").mkdir()
    (tmp_path / "annotations_final.csv").write_bytes("clip_id\tguitar\tmp3_path\n1\t1\tf/b\xe9.mp3\n".encode("cp1252"))
    with pytest.raises(ManifestError, match="annotations_final.csv, line 2: not UTF-8 text"):
        read_mtat(tmp_path, top=None)
