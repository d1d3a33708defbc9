"""``fasttag.store``: atomic array writes, a manifest that survives a crash, reading a store."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

import fasttag

from fasttag.extraction import ExtractParams, extract, features
from fasttag.store import MANIFEST, META, FeatureStore, StoreError, read_manifest, save_array

PARAMS = dict(feature="chroma", sr=12000, n_fft=512, hop_length=256, duration=1.0)


@pytest.fixture
def small_store(rng, tmp_path):
    """Three 1.5 s tracks and one corrupt file, extracted as 1 s chroma crops."""
    music = tmp_path / "music"
    music.mkdir()
    paths = {}
    for i in range(3):
        t = np.arange(18000) / 12000
        y = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 1000) * t) + 0.01 * rng.standard_normal(t.size)
        paths[f"t{i}.wav"] = music / f"t{i}.wav"
        soundfile.write(paths[f"t{i}.wav"], y.astype(np.float32), 12000)
    (music / "broken.flac").write_bytes(b"fLaC" + rng.bytes(200))
    store = tmp_path / "store"
    extract(music, store, workers=1, **PARAMS)
    return store, paths


def test_save_array_is_atomic(tmp_path, monkeypatch, rng):
    target = tmp_path / "a" / "x.npy"
    first = rng.standard_normal((4, 5)).astype(np.float32)
    save_array(target, first, tmp_dir=tmp_path / "tmp")
    np.testing.assert_array_equal(np.load(target), first)

    def crash(f, array, allow_pickle=False):
        f.write(b"\x93NUMPY half an array")
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        save_array(target, rng.standard_normal((4, 5)), tmp_dir=tmp_path / "tmp")
    np.testing.assert_array_equal(np.load(target), first)  # the old array is intact
    assert list((tmp_path / "tmp").iterdir()) == []  # and no part is left behind
    with pytest.raises(OSError):
        save_array(tmp_path / "b.npy", first)
    assert not (tmp_path / "b.npy").exists()


def test_read_manifest_takes_the_last_record_and_skips_cut_lines(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text('{"id": "a", "status": "failed"}\n{"id": "b", "status": "done"}\n{"id": "a", "st'
                    '\n{"id": "a", "status": "done"}\n[1, 2]\n{"id": "c", "sta')  # fmt: skip
    assert read_manifest(path) == {"a": {"id": "a", "status": "done"}, "b": {"id": "b", "status": "done"}}
    assert read_manifest(tmp_path / "missing.jsonl") == {}


def test_store_reads_back_per_file_features(small_store):
    store_dir, paths = small_store
    store = FeatureStore(store_dir)
    assert len(store) == 3 and store.ids == sorted(paths) and list(store.failed) == ["broken.flac"]
    assert "cannot decode" in store.failed["broken.flac"]
    for (track_id, X), path in zip(store.items(), [paths[i] for i in store.ids]):
        np.testing.assert_array_equal(X, features(path, ExtractParams(**PARAMS)))
        assert X.shape == (12, 47) and np.allclose(X.max(axis=0), 1.0)  # max-normalised chroma frames
    assert store.params == ExtractParams(**PARAMS).as_dict()
    assert "3 tracks, 1 failed, chroma" in repr(store)
    mapped = FeatureStore(store_dir, mmap=True)[0]
    assert isinstance(mapped, np.memmap) and not mapped.flags.writeable


def test_torch_dataset_batches_and_callable_labels(small_store):
    torch = pytest.importorskip("torch")
    store = FeatureStore(small_store[0])
    dataset = store.torch_dataset(lambda track_id: int(track_id[1]))
    batch, labels = next(iter(torch.utils.data.DataLoader(dataset, batch_size=3)))
    assert batch.shape == (3, 12, 47) and batch.dtype == torch.float32 and labels.tolist() == [0, 1, 2]
    plain = store.torch_dataset()
    assert len(plain) == 3 and torch.equal(plain[1], batch[1])
    with pytest.raises(TypeError, match="mapping or a callable"):
        store.torch_dataset(labels=[1, 2, 3])


@pytest.mark.parametrize(
    ("meta", "match"),
    [
        (None, "store.json is missing"),
        ("{not json", "not valid JSON"),
        ('{"format": "other", "params": {}}', "does not describe a fasttag-feature-store"),
        ('{"format": "fasttag-feature-store", "version": 99, "params": {}}', "version 99"),
    ],
)
def test_a_broken_store_is_named(small_store, meta, match):
    store_dir = small_store[0]
    if meta is None:
        (store_dir / META).unlink()
    else:
        (store_dir / META).write_text(meta)
    with pytest.raises(StoreError, match=match):
        FeatureStore(store_dir)


def test_missing_folder_is_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="no such folder"):
        FeatureStore(tmp_path / "nowhere")
    (tmp_path / "a.wav").write_bytes(b"RIFF")
    with pytest.raises(StoreError, match="'.*a.wav' is not a feature store: it is a file, not a feature store folder"):
        FeatureStore(tmp_path / "a.wav")


def test_an_array_deleted_by_hand_is_redone(small_store):
    store_dir, paths = small_store
    (store_dir / "arrays" / "t1.wav.npy").unlink()
    with pytest.raises(StoreError, match="the array of track 't1.wav' is missing .* run the extraction again"):
        FeatureStore(store_dir)["t1.wav"]
    summary = extract(paths["t0.wav"].parent, store_dir, workers=1, **PARAMS)
    assert summary.done == 1 and summary.skipped == 3
    assert (store_dir / "arrays" / "t1.wav.npy").is_file()
    lines = [json.loads(line) for line in (store_dir / MANIFEST).read_text().splitlines()]
    assert [r["id"] for r in lines] == ["broken.flac", "t0.wav", "t1.wav", "t2.wav"]


def test_one_run_writes_a_store_at_a_time(small_store):
    store, _ = small_store
    params = ExtractParams(**PARAMS)
    first = FeatureStore.open_for_writing(store, params)
    try:
        with pytest.raises(StoreError, match="being written by another run"):
            FeatureStore.open_for_writing(store, params)
        with pytest.raises(StoreError, match="being written by another run"):
            extract(store.parent / "music", store, workers=1, **PARAMS)
    finally:
        first.close()
    again = FeatureStore.open_for_writing(store, params)  # released on close
    try:
        with pytest.raises(StoreError, match="being written by another run .*: wait for it to end before reading it"):
            FeatureStore(store)
    finally:
        again.close()
    assert len(FeatureStore(store)) == 3


def test_a_refused_run_releases_the_lock(small_store):
    store, _ = small_store
    with pytest.raises(fasttag.ParameterError, match="other parameters"):
        FeatureStore.open_for_writing(store, ExtractParams(**{**PARAMS, "n_fft": 1024}))
    FeatureStore.open_for_writing(store, ExtractParams(**PARAMS)).close()


def test_index_count_and_in_take_a_track_id_or_an_array(small_store):
    """Sequence's index and count compared arrays with ==: numpy's "truth value of an array is ambiguous"."""
    store = FeatureStore(small_store[0])
    second = store[1]
    assert store.index(second) == 1 and store.count(second) == 1 and second in store
    assert store.index(store.ids[2]) == 2 and store.count(store.ids[2]) == 1 and store.ids[2] in store
    assert store.count("broken.flac") == 0 and "broken.flac" not in store  # failed: no array
    other = second.copy()
    other[0, 0] += 1.0
    assert store.count(other) == 0 and other not in store and second[:, :5] not in store
    with pytest.raises(ValueError, match=r"an array of shape \(12, 47\) is not in the store"):
        store.index(other)
    with pytest.raises(ValueError, match="'t1.wav' is not in the store"):
        store.index("t1.wav", 2)  # after its position
    assert store.index(second, -2) == 1
    with pytest.raises(TypeError, match=r"by id \(str\) and their arrays \(np.ndarray\), not list"):
        store.index(second.tolist())
