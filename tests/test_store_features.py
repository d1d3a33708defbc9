"""Training features read from a feature store: equal to the featurizers', found by file or id, checked."""

import csv
import dataclasses
import json
import re
import shlex
import shutil

import numpy as np
import pytest
import soundfile as sf

from fasttag.datasets import Track, make_tagged_music, read_manifest
from fasttag.errors import ParameterError
from fasttag.extraction import ExtractParams, extract
from fasttag.featurizers import MFCC, LogMel, LogMelChroma, extract_readable
from fasttag.store import FeatureStore, StoreError
from fasttag.store_features import FeatureStack, store_features

SECONDS = 1.5
DESCRIPTIONS = {"logmel": LogMel(seconds=SECONDS, n_mels=32), "mfcc": MFCC(seconds=SECONDS, n_mels=32, n_mfcc=13)}
EDGE = 3  # last frames, where the store's clip-only resampling differs (see ExtractParams.from_featurizer)


@pytest.fixture(scope="module")
def data(request, tmp_path_factory, seed_for):
    """18 generated clips of 2 s (longer than SECONDS, so the crop matters) and their tracks."""
    out = tmp_path_factory.mktemp("data")
    manifest = make_tagged_music(18, seconds=2.0, seed=seed_for(request.node.nodeid), out=out)
    return manifest, read_manifest(manifest).tracks


@pytest.fixture(scope="module")
def stores(data, tmp_path_factory):
    """A store of each description, extracted from the manifest in one process."""
    made = {}
    for kind, description in DESCRIPTIONS.items():
        made[kind] = tmp_path_factory.mktemp("stores") / kind
        extract(data[0], made[kind], params=ExtractParams.from_featurizer(description), workers=1)
    return made


@pytest.mark.parametrize("kind", list(DESCRIPTIONS))
def test_store_features_equal_the_featurizers_in_the_tracks_order(data, stores, kind, rng):
    description = DESCRIPTIONS[kind]
    tracks = [data[1][i] for i in rng.permutation(len(data[1]))]
    X, skipped = store_features(stores[kind], tracks, description)
    expected, unreadable = extract_readable(description, [t.path for t in tracks])
    assert skipped == unreadable == []
    assert X.dtype == np.float32 and X.shape == expected.shape == (len(tracks), description.n_features, 71)
    assert np.ptp(X[:, :, :-EDGE], axis=0).max() > 1.0  # the clips differ from each other
    np.testing.assert_allclose(X[:, :, :-EDGE], expected[:, :, :-EDGE], rtol=0, atol=2e-3)


def test_tracks_are_found_by_file_then_by_id(data, stores, tmp_path):
    manifest, tracks = data
    X, _ = store_features(stores["logmel"], tracks, DESCRIPTIONS["logmel"])
    renamed = [t._replace(track_id=f"other/{i}") for i, t in enumerate(tracks)]  # ids of another reader
    np.testing.assert_array_equal(store_features(stores["logmel"], renamed, DESCRIPTIONS["logmel"])[0], X)
    shutil.copytree(manifest.parent, tmp_path / "copy")  # the collection on another machine: same ids
    moved = read_manifest(tmp_path / "copy" / manifest.name).tracks
    assert all(m.path != t.path and m.track_id == t.track_id for m, t in zip(moved, tracks))
    np.testing.assert_array_equal(store_features(stores["logmel"], moved, DESCRIPTIONS["logmel"])[0], X)


def test_tracks_whose_extraction_failed_are_skipped_and_named(data, tmp_path):
    manifest, tracks = data
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "noise.wav").write_bytes(np.random.default_rng(1).bytes(4000))
    bad = [Track(f"bad/{name}", tmp_path / name, [], "train") for name in ("empty.wav", "noise.wav")]
    chosen = [tracks[3], bad[0], tracks[5], tracks[0], bad[1]]
    store = tmp_path / "store"
    extract([t.path for t in chosen], store, ids=[t.track_id for t in chosen],
            params=ExtractParams.from_featurizer(DESCRIPTIONS["logmel"]), workers=1)  # fmt: skip
    X, skipped = store_features(store, chosen, DESCRIPTIONS["logmel"])
    assert [i for i, _ in skipped] == [1, 4]
    assert all(str(chosen[i].path) in error and error.endswith(FeatureStore(store).failed[chosen[i].track_id])
               for i, error in skipped)  # fmt: skip
    np.testing.assert_array_equal(X, store_features(store, [chosen[i] for i in (0, 2, 3)], DESCRIPTIONS["logmel"])[0])
    with pytest.raises(StoreError, match="the extraction of all 2 tracks failed; the first: .*empty.wav"):
        store_features(store, bad, DESCRIPTIONS["logmel"])


def test_a_store_of_other_parameters_names_the_options_that_fit(data, stores, tmp_path, run_cli):
    manifest, tracks = data
    wanted = MFCC(seconds=SECONDS, n_mels=40, n_mfcc=12, deltas=1, delta_width=5, top_db=None, fmin=30.0)
    with pytest.raises(ParameterError, match=r"holds feature='mfcc', .*n_mels=32.*not the mfcc features") as info:
        store_features(stores["mfcc"], tracks, wanted)
    options = shlex.split(re.search(r"--out STORE (.*)$", str(info.value)).group(1))
    assert options == ["--feature", "mfcc", "--duration", "1.5", "--crop", "start", "--n-mels", "40", "--fmin",
                       "30.0", "--top-db", "none", "--n-mfcc", "12", "--deltas", "1", "--delta-width", "5"]
    status, _, err = run_cli(["extract", manifest, "--out", tmp_path / "fits", *options, "--workers", 1, "--quiet"])
    assert status == 0, err
    X, _ = store_features(tmp_path / "fits", tracks[:4], wanted)
    expected, _ = extract_readable(wanted, [t.path for t in tracks[:4]])
    np.testing.assert_allclose(X[:, :, :-EDGE], expected[:, :, :-EDGE], rtol=0, atol=2e-3)


def test_missing_changed_and_malformed_tracks_are_errors(data, stores, tmp_path):
    manifest, tracks = data
    copy = tmp_path / "store"
    shutil.copytree(stores["logmel"], copy)
    stranger = Track("nowhere/x.wav", tmp_path / "x.wav", [], "train")
    with pytest.raises(StoreError, match=r"1 of the 3 tracks are not in .*'nowhere/x.wav'.*run fasttag extract"):
        store_features(copy, [tracks[0], stranger, tracks[1]], DESCRIPTIONS["logmel"])
    shutil.copytree(manifest.parent, tmp_path / "edited")
    edited = read_manifest(tmp_path / "edited" / manifest.name).tracks
    with open(edited[2].path, "ab") as f:  # the file changed after the extraction
        f.write(b"\0" * 64)
    with pytest.raises(StoreError, match=f"1 of the 3 tracks are changed since .*'{edited[2].track_id}'"):
        store_features(copy, edited[:3], DESCRIPTIONS["logmel"])
    np.save(FeatureStore(copy).path_of(tracks[1].track_id), np.zeros((32, 7), np.float32))
    with pytest.raises(StoreError, match=r"has shape \(32, 7\), not \(32, 71\)"):
        store_features(copy, tracks[:3], DESCRIPTIONS["logmel"])


@pytest.mark.parametrize(
    ("description", "match"),
    [
        (LogMelChroma(seconds=SECONDS, n_mels=32), "logmel or mfcc descriptions, not kind='logmel-chroma'"),
        (LogMel(seconds=1.0, n_mels=32), "duration=1.5, .*--duration 1.0 --crop start --n-mels 32"),
    ],
)
def test_kinds_and_lengths_a_store_does_not_hold_are_refused(data, stores, description, match):
    with pytest.raises(ParameterError, match=match):
        store_features(stores["logmel"], data[1][:2], description)
    with pytest.raises(ParameterError, match="tracks is empty"):
        store_features(stores["logmel"], [], DESCRIPTIONS["logmel"])


HEX = "0123456789abcdef"


def _as_mtat(tracks, root) -> list[str]:
    """MagnaTagATune's layout of ``tracks``: mp3 clips in hex folders (c: valid, d-f: test) and the
    tab-separated annotations; returns each clip's mp3_path."""
    tags = sorted({tag for t in tracks for tag in t.tags})
    folders = [HEX[i % 12] if i % 3 else "cdef"[(i // 3) % 4] for i in range(len(tracks))]
    paths = [f"{folder}/clip_{i:03d}-30-59.mp3" for i, folder in enumerate(folders)]
    for track, path in zip(tracks, paths):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        y, sr = sf.read(track.path, dtype="float32")
        sf.write(root / path, y, sr, format="MP3")
    with open(root / "annotations_final.csv", "w", newline="") as f:
        rows = [[str(i), *(int(tag in t.tags) for tag in tags), p] for i, (t, p) in enumerate(zip(tracks, paths))]
        csv.writer(f, delimiter="\t", quoting=csv.QUOTE_ALL).writerows([["clip_id", *tags, "mp3_path"], *rows])
    return paths


def test_magnatagatune_extracts_then_trains_and_evaluates_from_the_store(data, tmp_path, run_cli, monkeypatch):
    from fasttag.commands import _data

    paths = _as_mtat(data[1], tmp_path / "mtat")
    (tmp_path / "mtat" / paths[4]).write_bytes(b"")  # MagnaTagATune ships a few empty clips; this one trains
    store, run = tmp_path / "store", tmp_path / "run"
    argv = ["extract", tmp_path / "mtat" / "annotations_final.csv", "--out", store, "--feature", "mfcc",
            "--duration", SECONDS, "--crop", "start", "--workers", 1, "--quiet"]  # fmt: skip
    status, out, err = run_cli(argv)
    assert status == 0, err
    assert FeatureStore(store).ids == sorted(set(paths) - {paths[4]}) and list(FeatureStore(store).failed) == [paths[4]]
    train = ["train", "--data", tmp_path / "mtat", "--store", store, "--model", "lstm", "--features", "mfcc",
             "--out", run, "--seconds", SECONDS, "--epochs", 1, "--hidden", 4, "--top-tags", 8, "--quiet"]  # fmt: skip
    status, out, err = run_cli(train)
    assert status == 0, err
    assert re.search(f"skipped 1 of the 12 tracks of the 'train' split .*{paths[4]}", err), err
    config = json.loads((run / "config.json").read_text())
    assert config["info"]["data"]["store"] == str(store) and config["info"]["data"]["n_train"] == 11
    status, out, err = run_cli(["evaluate", run, "--data", tmp_path / "mtat", "--store", store, "--json", "--quiet"])
    assert status == 0, err
    assert json.loads(out)["n_tracks"] == sum(p[0] in "def" for p in paths)
    status, _, err = run_cli([*train, "--seconds", 1.0])
    assert status == 2 and err.count("\n") == 1 and "--duration 1.0 --crop start" in err, err
    assert err.endswith(f"--crop start, or read the clips it holds with --seconds {SECONDS!r}\n"), err
    bof = [*train[:train.index("--model")], "--model", "mlp-bof", "--codebook-size", 4, "--frames-per-track", 10,
           "--out", tmp_path / "bof", "--seconds", SECONDS, "--epochs", 1, "--top-tags", 8, "--quiet"]  # fmt: skip
    status, _, err = run_cli(bof)
    assert status == 0, err
    monkeypatch.setattr(_data, "extract_readable", lambda *a, **k: pytest.fail("evaluate decoded the audio"))
    status, out, err = run_cli(["evaluate", tmp_path / "bof", "--data", tmp_path / "mtat", "--store", store, "--json",
                                "--quiet"])  # fmt: skip
    assert status == 0 and json.loads(out)["n_tracks"] == sum(p[0] in "def" for p in paths), err
    status, _, err = run_cli(["evaluate", tmp_path / "bof", "--data", tmp_path / "mtat", "--store", tmp_path / "none"])
    assert status == 2 and "no such folder" in err, err  # the store was ignored: an mlp-bof run read the audio


def test_a_lazy_stack_reads_what_the_eager_array_holds(data, stores, rng):
    X, _ = store_features(stores["mfcc"], data[1], DESCRIPTIONS["mfcc"])
    stack, skipped = store_features(stores["mfcc"], data[1], DESCRIPTIONS["mfcc"], lazy=True)
    assert isinstance(stack, FeatureStack) and skipped == [] and stack.shape == X.shape and len(stack) == len(X)
    picks = rng.permutation(len(X))[:5]
    np.testing.assert_array_equal(stack[picks], X[picks])
    np.testing.assert_array_equal(stack[list(picks)], X[picks])
    np.testing.assert_array_equal(stack[2:11:3], X[2:11:3])
    np.testing.assert_array_equal(stack[-1], X[-1])
    np.testing.assert_array_equal(np.asarray(stack), X)
    np.testing.assert_array_equal(np.stack(list(stack)), X)


def test_training_on_a_lazy_stack_equals_training_on_the_array(data, stores):
    torch = pytest.importorskip("torch")
    from fasttag.bof_features import BagOfFramesFeatures
    from fasttag.models import LSTMTagger
    from fasttag.training import evaluate, train

    tracks, description = data[1], DESCRIPTIONS["mfcc"]
    Y = np.array([[tag in t.tags for tag in ("drums", "piano", "fast")] for t in tracks], dtype=np.float32)
    Y[:2] = [[1, 1, 1], [0, 0, 0]]  # every tag has positives and negatives among the validation tracks
    eager = store_features(stores["mfcc"], tracks, description)[0]
    lazy = store_features(stores["mfcc"], tracks, description, lazy=True)[0]
    models = []
    for X_train, X_valid in ((eager[4:], eager[:4]), (lazy_slice(lazy, 4, len(lazy)), lazy_slice(lazy, 0, 4))):
        torch.manual_seed(0)
        model = LSTMTagger(n_features=description.n_features, n_tags=3, hidden=4)
        train(model, X_train, Y[4:], X_valid, Y[:4], epochs=2, batch_size=5, progress=False)
        models.append(model)
    for a, b in zip(models[0].state_dict().values(), models[1].state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert evaluate(models[1], lazy, Y, ["drums", "piano", "fast"]).table() == evaluate(
        models[0], eager, Y, ["drums", "piano", "fast"]).table()  # fmt: skip
    bof = BagOfFramesFeatures.fit(description, eager, n_clusters=8, frames_per_track=20, seed=0)
    np.testing.assert_array_equal(bof.histograms(lazy), bof.histograms(eager))


def lazy_slice(stack, start, stop):
    """The tracks start..stop of a FeatureStack, still lazy."""
    return FeatureStack(stack.store, stack.ids[start:stop], stack.shape[1:])


def test_a_lazy_stack_checks_each_array_as_it_is_read(data, stores, tmp_path):
    from fasttag.models import LSTMTagger
    from fasttag.training import predict, train

    copy = tmp_path / "store"
    shutil.copytree(stores["mfcc"], copy)
    tracks, description = data[1][:6], DESCRIPTIONS["mfcc"]
    stack, _ = store_features(copy, tracks, description, lazy=True)
    good = stack[:]
    path = FeatureStore(copy).path_of(tracks[3].track_id)
    np.save(path, np.where(np.arange(good[3].size).reshape(good[3].shape) == 40, np.nan, good[3]).astype(np.float32))
    model, Y = LSTMTagger(n_features=description.n_features, n_tags=1, hidden=4), np.array([[0], [1]] * 3, np.float32)
    with pytest.raises(ParameterError, match="X_train contains NaN or infinite values"):
        train(model, stack, Y, good, Y, epochs=1, progress=False)
    with pytest.raises(ParameterError, match="X_valid contains NaN or infinite values"):
        train(model, good, Y, stack, Y, epochs=1, progress=False)
    with pytest.raises(ParameterError, match="X contains NaN or infinite values"):
        predict(model, stack)
    np.save(path, good[3][:, :9])
    with pytest.raises(StoreError, match=r"has shape \(39, 9\), not \(39, 71\)"):
        stack[2:5]


def test_a_file_rewritten_in_place_is_changed_even_at_the_same_size(tmp_path, rng):
    sr, paths = 12000, []
    for i in range(3):  # float WAVs of a fixed length: a new rendering keeps the size
        paths.append(tmp_path / f"{i}.wav")
        sf.write(paths[-1], 0.1 * rng.standard_normal(int(sr * SECONDS)).astype(np.float32), sr, subtype="FLOAT")
    tracks = [Track(p.name, p, [], "train") for p in paths]
    store = tmp_path / "store"
    extract([str(p) for p in paths], store, ids=[p.name for p in paths],
            params=ExtractParams.from_featurizer(DESCRIPTIONS["logmel"]), workers=1)  # fmt: skip
    store_features(store, tracks, DESCRIPTIONS["logmel"])  # unchanged: fine
    size = paths[1].stat().st_size
    sf.write(paths[1], 0.1 * rng.standard_normal(int(sr * SECONDS)).astype(np.float32), sr, subtype="FLOAT")
    assert paths[1].stat().st_size == size
    with pytest.raises(StoreError, match="1 of the 3 tracks are changed since .*'1.wav'"):
        store_features(store, tracks, DESCRIPTIONS["logmel"])


def test_manifest_ids_with_dot_parts_find_the_tracks_of_a_moved_collection(data, stores, tmp_path):
    manifest, tracks = data
    moved = tmp_path / "elsewhere"
    shutil.copytree(manifest.parent, moved)
    expected, _ = store_features(stores["logmel"], tracks[:4], DESCRIPTIONS["logmel"])
    for prefix in ("./", "../data/../", "../../"):  # as written in manifests beside or below the audio
        spelled = [Track(prefix + t.track_id, moved / t.track_id, t.tags, t.split) for t in tracks[:4]]
        X, _ = store_features(stores["logmel"], spelled, DESCRIPTIONS["logmel"])
        np.testing.assert_array_equal(X, expected)


def test_a_lazy_stack_is_indexed_as_numpy_indexes_its_first_axis(data, stores, rng):
    X, _ = store_features(stores["logmel"], data[1][:7], DESCRIPTIONS["logmel"])
    with store_features(stores["logmel"], data[1][:7], DESCRIPTIONS["logmel"], lazy=True)[0] as stack:
        mask = rng.random(7) < 0.5
        mask[:2] = [True, False]
        keys = (mask, np.array([-1, 0, 2]), [], (3, slice(0, 5), -1), (slice(1, 6, 2), 4), (mask, 0, 0), -2,
                ([0, 1], [2, 3]), (np.array([2, 0, 2]), slice(None), [1, 4, 5]), (mask, np.arange(mask.sum())),
                ([4, 4], [[0], [1]]))  # index arrays after the first broadcast with it, as in numpy
        for key in keys:
            np.testing.assert_array_equal(stack[key], X[key], err_msg=repr(key))
        for key in (1.0, [0.5], np.ones(3, bool), 7, [7], "0"):
            with pytest.raises(IndexError):
                stack[key]


def test_bag_of_frames_features_come_from_the_stored_frames_without_reading_them_whole(data, stores, monkeypatch,
                                                                                       tmp_path, run_cli):  # fmt: skip
    from fasttag.bof_features import BagOfFramesFeatures

    description, tracks = DESCRIPTIONS["mfcc"], data[1]
    monkeypatch.setattr(FeatureStack, "__array__", lambda *a, **k: pytest.fail("the stack was read whole"))
    lazy, _ = store_features(stores["mfcc"], tracks, description, lazy=True)
    bof = BagOfFramesFeatures.fit(description, lazy, n_clusters=6, frames_per_track=10, seed=0)
    H, skipped = store_features(stores["mfcc"], tracks, bof)
    assert skipped == [] and H.shape == (len(tracks), 6)
    np.testing.assert_array_equal(H, bof.histograms(store_features(stores["mfcc"], tracks, description)[0]))
    eager = BagOfFramesFeatures.fit(description, store_features(stores["mfcc"], tracks, description)[0],
                                    n_clusters=6, frames_per_track=10, seed=0)  # fmt: skip
    np.testing.assert_array_equal(eager.centers, bof.centers)


def test_a_read_stack_holds_off_a_rewrite_and_a_write_holds_off_reading(data, stores, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(stores["logmel"], copy)
    params = ExtractParams.from_featurizer(DESCRIPTIONS["logmel"])
    stack, _ = store_features(copy, data[1][:3], DESCRIPTIONS["logmel"], lazy=True)
    with pytest.raises(StoreError, match="read by one"):
        extract(data[0], copy, params=dataclasses.replace(params, top_db=20.0), overwrite=True, workers=1)
    before = stack[0]
    stack.close()
    writer = FeatureStore.open_for_writing(copy, params)
    try:
        with pytest.raises(StoreError, match="is being written by another run"):
            store_features(copy, data[1][:3], DESCRIPTIONS["logmel"])
    finally:
        writer.close()
    np.testing.assert_array_equal(store_features(copy, data[1][:3], DESCRIPTIONS["logmel"])[0][0], before)


def test_a_store_still_being_written_is_refused_not_found_short_of_tracks(data, tmp_path):
    """Its manifest lacks the tracks not extracted yet: the reader names the run writing it, not them."""
    store, params = tmp_path / "store", ExtractParams.from_featurizer(DESCRIPTIONS["logmel"])
    extract([t.path for t in data[1][:2]], store, ids=[t.track_id for t in data[1][:2]], params=params, workers=1)
    writer = FeatureStore.open_for_writing(store, params)  # an extract run going on with the others
    try:
        with pytest.raises(StoreError, match=r"store '.*store' is being written by another run \(fasttag extract\): "
                                             "wait for it to end"):  # fmt: skip
            store_features(store, data[1][:5], DESCRIPTIONS["logmel"])
    finally:
        writer.close()
    with pytest.raises(StoreError, match="3 of the 5 tracks are not in"):
        store_features(store, data[1][:5], DESCRIPTIONS["logmel"])


def test_kinds_a_store_does_not_hold_come_from_the_audio_when_a_store_is_given(data, stores):
    """As README says of train and evaluate --store; logmel-chroma was refused there instead."""
    from fasttag.commands._data import split_arrays
    from fasttag.datasets import read_dataset

    dataset = read_dataset(data[0])
    chroma = LogMelChroma(seconds=SECONDS)
    X, Y = split_arrays(dataset, "valid", chroma, list(dataset.vocabulary), data=data[0], progress=False,
                        store=FeatureStore(stores["logmel"]))  # fmt: skip
    expected, unreadable = extract_readable(chroma, [track.path for track in dataset.subset("valid").tracks])
    assert not unreadable and len(Y) == len(expected) > 0
    np.testing.assert_array_equal(X, expected)
