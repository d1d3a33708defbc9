"""``fasttag.extraction.extract`` and ``fasttag extract`` on a generated collection with bad files.

The collection: short tracks in wav, flac, ogg and mp3 at several rates, mono and stereo,
in nested folders, plus a silent track (stored, flagged), and bad files that must be
recorded, not raised: a corrupt wav, an empty flac, a text file named .mp3 and a track
shorter than one STFT frame. The reference store is an in-process run (workers=1); the
process-pool, interrupted, killed-worker and Dask runs must give the same store.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile

import fasttag
from fasttag import cli as fasttag_cli
from fasttag import extraction
from fasttag.commands import extract as extract_command
from fasttag.commands._args import UsageError
from fasttag.datasets import ManifestError
from fasttag.errors import AudioLoadError, FasttagError, ParameterError
from fasttag.extraction import ExtractParams, extract, features
from fasttag.store import MANIFEST, FeatureStore, StoreError

FORMATS = ("wav", "flac", "ogg", "mp3")
RATES = (44100, 22050, 16000, 12000)
N_GOOD = 16
PARAMS = dict(feature="logmel", sr=12000, n_fft=512, hop_length=256, n_mels=32)
#: Bad files: name -> text the manifest's error must contain.
BAD = {
    "bad/corrupt.wav": "cannot decode",
    "bad/empty.flac": "empty (0 bytes)",
    "bad/notes.mp3": "cannot decode",
    "bad/one_frame.wav": "shorter than one frame",
}
SILENT = "quiet/silence.flac"


def tone_mix(rng, n_samples: int, sr: int, channels: int) -> np.ndarray:
    """A few random partials with a decay and a little noise, ``(n_samples, channels)`` float32."""
    t = np.arange(n_samples) / sr
    y = np.zeros((n_samples, channels))
    for _ in range(int(rng.integers(2, 5))):
        f = rng.uniform(80, min(4000, 0.4 * sr))
        y += rng.uniform(0.05, 0.25) * np.sin(2 * np.pi * f * t + rng.uniform(0, 6.3))[:, None] * np.exp(
            -t * rng.uniform(0.2, 2))[:, None]  # fmt: skip
    y += 0.01 * rng.standard_normal(y.shape)
    return (y / max(1.0, np.abs(y).max() / 0.9)).astype(np.float32)


def write_collection(root, rng) -> dict[str, str]:
    """Good tracks (id -> path) under ``root``; the bad files and the silent track beside them."""
    good = {}
    for i in range(N_GOOD):
        fmt = FORMATS[i % len(FORMATS)]
        sr = RATES[(i // len(FORMATS)) % len(RATES)]
        channels = 1 + i % 2
        track_id = f"genre{i % 3}/track{i:02d}.{fmt}"
        path = root / track_id
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(path, tone_mix(rng, int(rng.uniform(0.8, 2.0) * sr), sr, channels), sr)
        good[track_id] = str(path)
    (root / "bad").mkdir()
    wav = root / "genre0" / "track00.wav"
    (root / "bad/corrupt.wav").write_bytes(wav.read_bytes()[:12] + rng.bytes(3000))  # RIFF header, then noise
    (root / "bad/empty.flac").write_bytes(b"")
    (root / "bad/notes.mp3").write_text("these are my notes, not an mp3\n" * 20)
    soundfile.write(root / "bad/one_frame.wav", tone_mix(rng, 300, 12000, 1), 12000)  # < n_fft = 512 samples
    (root / "quiet").mkdir()
    soundfile.write(root / SILENT, np.zeros((12000, 1), np.float32), 12000)
    good[SILENT] = str(root / SILENT)
    (root / "README.txt").write_text("not audio: the folder scan skips it\n")
    return good


@pytest.fixture(scope="module")
def collection(request, tmp_path_factory, seed_for):
    root = tmp_path_factory.mktemp("collection")
    good = write_collection(root, np.random.default_rng(seed_for(request.node.nodeid)))
    return root, good


@pytest.fixture(scope="module")
def reference(collection, tmp_path_factory):
    """The in-process run (workers=1) and its summary."""
    store = tmp_path_factory.mktemp("stores") / "reference"
    summary = extract(collection[0], store, workers=1, **PARAMS)
    return store, summary


def same_store(a, b) -> None:
    """Two stores hold the same parameters, the same tracks with equal arrays, and the same records (but for
    what the decoders said, which pool workers add to the records)."""
    sa, sb = FeatureStore(a), FeatureStore(b)
    assert sa.params == sb.params
    assert sa.ids == sb.ids and sa.failed.keys() == sb.failed.keys()
    for track_id in sa.ids:
        np.testing.assert_array_equal(sa[track_id], sb[track_id], err_msg=track_id)
    for track_id, record in sa.records.items():
        assert unsaid(record) == unsaid(sb.records[track_id]), track_id


def unsaid(record: dict) -> dict:
    """A track's record without its time and without what the decoder said to stderr (a pool worker's)."""
    def cut(text):
        kept = None if text is None else re.sub(r"(; )?the decoder said: .*", "", text)
        return kept or None

    return dict(record, elapsed=None, error=cut(record["error"]), warning=cut(record["warning"]))


def cli(argv) -> None:
    extract_command.run(fasttag_cli.parse_args(["extract", *(str(a) for a in argv)]))


# ------------------------------------------------------------------------------------ the store


def test_store_holds_exactly_the_good_tracks_as_per_file_calls(collection, reference):
    root, good = collection
    store_dir, summary = reference
    store = FeatureStore(store_dir)
    assert store.ids == sorted(good)
    assert summary.total == len(good) + len(BAD) and summary.done == len(good) and summary.failed == len(BAD)
    for track_id, path in good.items():
        X = features(path, **PARAMS)
        assert X.dtype == np.float32 and X.shape[0] == 32
        np.testing.assert_array_equal(store[track_id], X, err_msg=track_id)
    arrays = list(store)
    assert not np.array_equal(arrays[0], arrays[1])


def test_arrays_equal_load_then_logmel(collection, reference, tol):
    root, good = collection
    store = FeatureStore(reference[0])
    for track_id in [t for t in good if t != SILENT][:6]:
        y, sr = fasttag.load(good[track_id], sr=12000)
        expected = fasttag.logmel(y, sr=sr, n_fft=512, hop_length=256, n_mels=32)
        tol.assert_db_close(store[track_id], expected, tol(np.float32).db, what=track_id)


def test_bad_files_are_recorded_with_their_error(reference):
    store = FeatureStore(reference[0])
    assert set(store.failed) == set(BAD)
    for track_id, text in BAD.items():
        record = store.records[track_id]
        assert record["status"] == "failed" and text in record["error"], record
        assert record["file"] is None and "AudioLoadError" in record["error"]
        assert not (reference[0] / "arrays" / f"{track_id}.npy").exists()
        with pytest.raises(KeyError, match="it failed"):
            store[track_id]


def test_silence_is_stored_and_flagged(reference):
    store = FeatureStore(reference[0])
    record = store.records[SILENT]
    assert record["status"] == "done" and record["warning"].startswith("silent")
    assert np.all(store[SILENT] == store[SILENT].flat[0])
    assert sum(r["warning"] is not None for r in store.records.values()) == 1 == reference[1].warned


def test_manifest_records_describe_the_sources(collection, reference):
    root, good = collection
    store = FeatureStore(reference[0])
    for track_id in good:
        record = store.records[track_id]
        info = soundfile.info(good[track_id])
        assert record["source_sr"] == info.samplerate and record["channels"] == info.channels
        assert record["duration"] == pytest.approx(info.duration, abs=0.06)  # mp3: encoder delay
        assert record["shape"] == list(store[track_id].shape) and record["path"] == good[track_id]
        assert record["params"] == ExtractParams(**PARAMS).digest()
    lines = (reference[0] / MANIFEST).read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == sorted(store.records)  # compacted, sorted


def test_store_indexing_and_torch_dataset(reference):
    torch = pytest.importorskip("torch")
    store = FeatureStore(reference[0], mmap=True)
    assert len(store) == len(store.ids) and store.ids[-1] in store and "bad/empty.flac" not in store
    np.testing.assert_array_equal(store[-1], store[store.ids[-1]])
    with pytest.raises(IndexError, match="out of range"):
        store[len(store)]
    with pytest.raises(TypeError, match="position"):
        store[1.5]
    labels = {track_id: np.float32(i) for i, track_id in enumerate(store.ids)}
    dataset = store.torch_dataset(labels, transform=lambda X: X[:, :10])
    X, y = dataset[3]
    assert isinstance(X, torch.Tensor) and X.shape == (32, 10) and float(y) == 3.0
    torch.testing.assert_close(X, torch.from_numpy(np.array(store[3][:, :10])))
    batch = next(iter(torch.utils.data.DataLoader(dataset, batch_size=4)))
    assert batch[0].shape == (4, 32, 10) and batch[1].tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(KeyError, match="no entry"):
        store.torch_dataset({})


def test_a_manifest_line_cut_short_is_skipped(collection, reference, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(reference[0], copy)
    with open(copy / MANIFEST, "a") as f:
        f.write('{"id": "genre0/track00.wav", "status": "fai')  # a crash in the middle of a line
    store = FeatureStore(copy)
    assert store.ids == FeatureStore(reference[0]).ids
    summary = extract(collection[0], copy, workers=1, **PARAMS)
    assert summary.skipped == summary.total and summary.done == 0
    assert all(json.loads(line) for line in (copy / MANIFEST).read_text().splitlines())


def test_not_a_store_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not empty and not a feature store"):
        extract([tmp_path / "a.wav"], tmp_path, workers=1)
    with pytest.raises(StoreError, match="store.json is missing"):
        FeatureStore(tmp_path)


# ------------------------------------------------------------------------------------ runs


def test_process_pool_cli_run_equals_the_reference(collection, reference, tmp_path, capsys):
    cli([collection[0], "--out", tmp_path / "pool", "--n-mels", 32, "--workers", 2, "--quiet"])
    printed = capsys.readouterr().out
    assert f"{len(collection[1]) + len(BAD)} tracks: {len(collection[1])} done, 0 skipped" in printed
    assert f"{len(BAD)} failed" in printed and "failed: bad/notes.mp3: AudioLoadError" in printed
    assert re.search(rf"^  warning: {SILENT}: .*silent", printed, flags=re.M), printed  # not only counted
    assert reference[1].warnings == [(SILENT, FeatureStore(reference[0]).records[SILENT]["warning"])]
    same_store(reference[0], tmp_path / "pool")


def test_a_store_made_through_a_symlinked_folder_resumes_from_the_folder_itself(collection, reference, tmp_path):
    (tmp_path / "link").symlink_to(collection[0], target_is_directory=True)
    store = tmp_path / "store"
    first = extract(tmp_path / "link", store, workers=1, **PARAMS)
    again = extract(collection[0], store, workers=1, **PARAMS)
    assert first.done == len(collection[1]) and again.skipped == again.total and again.done == 0


def test_rerun_resumes_and_redoes_changed_files(collection, reference, tmp_path):
    root, good = collection
    copy_root = tmp_path / "music"
    shutil.copytree(root, copy_root)
    store = tmp_path / "store"
    first = extract(copy_root, store, workers=1, **PARAMS)
    assert first.done == len(good)
    second = extract(copy_root, store, workers=1, **PARAMS)
    assert (second.done, second.failed, second.skipped, second.failed_before) == (0, 0, first.total, len(BAD))
    changed = copy_root / "genre1/track01.flac"
    soundfile.write(changed, tone_mix(np.random.default_rng(5), 20000, 22050, 1), 22050)
    third = extract(copy_root, store, workers=1, retry_failed=True, **PARAMS)
    assert third.done == 1 and third.failed == len(BAD) and third.skipped == first.total - 1 - len(BAD)
    np.testing.assert_array_equal(FeatureStore(store)["genre1/track01.flac"], features(changed, **PARAMS))


# The run SIGKILLs itself right after the store records its 7th track: a crash mid-run.
_INTERRUPTED = textwrap.dedent("""
    import os, signal, sys
    from fasttag import store
    from fasttag.extraction import extract

    append, written = store._Writer.append, []

    def append_then_crash(writer, record):
        append(writer, record)
        written.append(record["id"])
        if len(written) == 7:
            os.kill(os.getpid(), signal.SIGKILL)

    store._Writer.append = append_then_crash
    extract(sys.argv[1], sys.argv[2], workers=2, feature="logmel", n_mels=32)
""")


def test_a_run_killed_midway_resumes_to_the_same_store(collection, reference, tmp_path):
    store = tmp_path / "store"
    with open(tmp_path / "stderr.txt", "w") as err:  # a file, not a pipe: orphaned workers could hold a pipe
        # cwd=tmp_path: with ``python -c`` the working directory (the source tree) would shadow the package
        done = subprocess.run([sys.executable, "-c", _INTERRUPTED, str(collection[0]), str(store)],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err, timeout=120)  # fmt: skip
    assert done.returncode == -signal.SIGKILL, (tmp_path / "stderr.txt").read_text()
    partial = FeatureStore(store)
    assert 7 <= len(partial.records) < len(collection[1]) + len(BAD)
    summary = extract(collection[0], store, workers=2, **PARAMS)
    assert summary.skipped == len(partial.records) and summary.done + summary.failed == summary.total - summary.skipped
    same_store(reference[0], store)
    assert not (store / "tmp").exists()
    assert not [p for p in (store / "arrays").rglob("*") if p.is_file() and p.suffix != ".npy"]


def test_a_killed_worker_fails_only_its_track(collection, reference, tmp_path, monkeypatch):
    victim = "genre1/track04.wav"
    store = tmp_path / "store"
    monkeypatch.setenv(extraction._KILL_WORKER_ENV, "track04.wav")
    summary = extract(collection[0], store, workers=2, **PARAMS)
    assert summary.failed == len(BAD) + 1 and summary.done == len(collection[1]) - 1
    assert "WorkerDied" in FeatureStore(store).failed[victim]
    monkeypatch.delenv(extraction._KILL_WORKER_ENV)
    again = extract(collection[0], store, workers=2, retry_failed=True, **PARAMS)
    assert again.done == 1 and again.failed == len(BAD)
    same_store(reference[0], store)


def test_dask_run_equals_the_local_run(collection, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        summary = extract(collection[0], tmp_path / "dask", scheduler=c.scheduler_address, **PARAMS)
    assert summary.done == len(collection[1]) and summary.failed == len(BAD)
    same_store(reference[0], tmp_path / "dask")


def test_a_malformed_scheduler_address_is_named(collection, tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(fasttag.FasttagError, match="scheduler='localhost': missing port"):
        extract(collection[0], tmp_path / "dask", scheduler="localhost", **PARAMS)


# ------------------------------------------------------------------------------------ parameters


def test_a_parameter_change_is_refused_without_overwrite(collection, reference, tmp_path, capsys):
    store = tmp_path / "store"
    shutil.copytree(reference[0], store)
    with pytest.raises(ParameterError, match=r"n_mels=32 in the store, n_mels=64 asked.*--overwrite"):
        cli([collection[0], "--out", store, "--n-mels", 64, "--workers", 1, "--quiet"])
    assert FeatureStore(store).params == ExtractParams(**PARAMS).as_dict()  # untouched
    cli([collection[0], "--out", store, "--n-mels", 64, "--workers", 1, "--quiet", "--overwrite"])
    changed = FeatureStore(store)
    assert changed.params["n_mels"] == 64 and changed.ids == FeatureStore(reference[0]).ids
    assert all(X.shape[0] == 64 for X in changed)


def test_strict_turns_failures_into_an_error(collection, reference, tmp_path, capsys):
    store = tmp_path / "store"
    shutil.copytree(reference[0], store)
    cli([collection[0], "--out", store, "--n-mels", 32, "--workers", 1, "--quiet"])  # no error without --strict
    assert "0 done" in capsys.readouterr().out
    with pytest.raises(FasttagError, match=rf"{len(BAD)} of {len(collection[1]) + len(BAD)} tracks failed"):
        cli([collection[0], "--out", store, "--n-mels", 32, "--workers", 1, "--quiet", "--strict"])


def test_progress_bar_shows_rate_and_realtime(collection, tmp_path, capsys):
    files = sorted(collection[1].values())[:3]
    extract(files, tmp_path / "store", workers=1, progress=True, **PARAMS)
    err = capsys.readouterr().err
    assert "3/3" in err and "track/s" in err and "x realtime" in err


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_fft=0), "n_fft=0 must be a positive integer"),
        (dict(n_mels=2.0), "n_mels=2.0 must be a positive integer"),
        (dict(feature="cqt"), "feature='cqt' is not one of"),
        (dict(crop="end", duration=5.0), "crop='end' is not one of"),
        (dict(duration=0.01), "duration=0.01 s is shorter than one frame"),
        (dict(duration=-1.0), "duration=-1.0 must be a positive number"),
        (dict(fmax=9000.0), "fmax=9000.0 exceeds the Nyquist frequency sr/2 = 6000.0"),
        (dict(fmin=-1.0), "fmin=-1.0 must be a finite number >= 0"),
        (dict(fmin=500.0, fmax=400.0), "fmin=500.0 and fmax=400.0 must satisfy 0 <= fmin < fmax"),
        (dict(fmin=7000.0), "fmin=7000.0 and fmax=6000.0 must satisfy 0 <= fmin < fmax"),
        (dict(fmin="30"), "fmin='30' must be"),
        (dict(feature="mfcc", n_mfcc=40, n_mels=32), "n_mfcc=40 must be <= n_mels=32"),
        (dict(deltas=3), "deltas=3 must be 0, 1 or 2"),
        (dict(deltas=1.0), "deltas=1.0 must be 0, 1 or 2"),
        (dict(top_db=-1.0), "top_db=-1.0 must be a non-negative number"),
    ],
)
def test_bad_parameters_name_themselves(kwargs, match, tmp_path):
    with pytest.raises(ParameterError, match=match):
        extract([tmp_path / "a.wav"], tmp_path / "store", **kwargs)
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize(
    ("argv", "error", "match"),
    [
        (["--feature", "logmel", "--n-mfcc", "20"], UsageError, "--n-mfcc does not apply to --feature logmel"),
        (["--feature", "chroma", "--n-mels", "64"], UsageError, "--n-mels does not apply to --feature chroma"),
        (["--crop", "start"], UsageError, "--crop needs --duration"),
        (["--workers", "0"], UsageError, "--workers: 0"),
        (["--dask", "--scheduler", "tcp://h:1"], UsageError, "not allowed with argument"),
        (["--feature", "cqt"], UsageError, "--feature: invalid choice"),
        (["--hop", "0"], UsageError, "--hop"),
    ],
)
def test_bad_cli_arguments(collection, tmp_path, argv, error, match):
    with pytest.raises(error, match=match):
        cli([collection[0], "--out", tmp_path / "s", "--quiet", *argv])


def test_inputs_csv_and_lists(collection, tmp_path):
    root, good = collection
    chosen = ["genre0/track00.wav", "genre1/track01.flac", "genre2/track02.ogg"]
    (root / "list.csv").write_text("path,track_id\n" + "".join(f"{t},id{i}\n" for i, t in enumerate(chosen)))
    try:
        assert extraction.find_tracks(root / "list.csv") == [(f"id{i}", good[t]) for i, t in enumerate(chosen)]
    finally:
        (root / "list.csv").unlink()
    assert extraction.find_tracks([good[t] for t in chosen]) == [(t, good[t]) for t in chosen]  # common folder
    assert extraction.find_tracks([good[chosen[0]]]) == [("track00.wav", good[chosen[0]])]
    with pytest.raises(ParameterError, match="names two files"):
        extraction.find_tracks([good[chosen[0]], good[chosen[1]]], ids=["x", "x"])
    with pytest.raises(ParameterError, match=r"track id '\.\./x' must be a relative path"):
        extraction.find_tracks([good[chosen[0]]], ids=["../x"])
    with pytest.raises(ParameterError, match="does not exist"):
        extraction.find_tracks(tmp_path / "nowhere")
    with pytest.raises(ParameterError, match="holds no audio files"):
        extraction.find_tracks(tmp_path)
    with pytest.raises(ParameterError, match=r"paths\[1\]=None is not a file path"):  # was os.fspath's TypeError
        extraction.find_tracks([good[chosen[0]], None])
    with pytest.raises(ParameterError, match="input=None must be a folder, a CSV file or a sequence of audio file"):
        extraction.find_tracks(None)


def _tone(path, rng, **kwargs) -> str:
    """One second of `tone_mix` at 12 kHz written to ``path`` (its folders made); the path as a str."""
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, tone_mix(rng, 12000, 12000, 1), 12000, **kwargs)
    return str(path)


def test_a_folder_scan_takes_the_formats_the_dataset_readers_take(tmp_path, rng):
    from fasttag import datasets

    assert datasets.AUDIO_EXTENSIONS is extraction.AUDIO_EXTENSIONS  # one list, shared
    for name, fmt in (("blues/a.au", "AU"), ("blues/b.aif", "AIFF"), ("rock/c.aiff", "AIFF"), ("rock/d.wav", None)):
        _tone(tmp_path / "audio" / name, rng, format=fmt)
    summary = extract(tmp_path / "audio", tmp_path / "store", workers=1, **PARAMS)
    assert summary.done == 4 and FeatureStore(tmp_path / "store").ids == [
        "blues/a.au", "blues/b.aif", "rock/c.aiff", "rock/d.wav"]  # fmt: skip


def test_a_csv_with_a_byte_order_mark_is_read(tmp_path, rng):
    x = _tone(tmp_path / "x.wav", rng)
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfpath,tags\nx.wav,rock\n")  # Excel's "CSV UTF-8"
    assert extraction.find_tracks(tmp_path / "bom.csv") == [("x.wav", x)]


def test_a_csv_in_another_encoding_is_one_error_line(tmp_path, rng, run_cli):
    _tone(tmp_path / "x.wav", rng)
    (tmp_path / "latin1.csv").write_bytes("path,tags\nx.wav,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ManifestError, match="latin1.csv, line 2: not UTF-8 text"):
        extraction.find_tracks(tmp_path / "latin1.csv")
    status, out, err = run_cli(["extract", tmp_path / "latin1.csv", "--out", tmp_path / "store", "--workers", "1"])
    assert status == 2 and err.count("\n") == 1 and "line 2: not UTF-8 text" in err, err


def test_csv_paths_that_go_up_get_ids_below_the_common_folder(tmp_path, rng):
    x, y = _tone(tmp_path / "audio/x.wav", rng), _tone(tmp_path / "audio/sub/y.wav", rng)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists/all.csv").write_text(f"path,tags\n../audio/x.wav,rock\n{y},pop\n")  # relative, absolute
    assert extraction.find_tracks(tmp_path / "lists/all.csv") == [("audio/sub/y.wav", y), ("audio/x.wav", x)]
    (tmp_path / "here.csv").write_text("path\n./audio/x.wav\naudio/sub/../sub/y.wav\n")  # below the CSV: as before
    assert extraction.find_tracks(tmp_path / "here.csv") == [("audio/sub/y.wav", y), ("audio/x.wav", x)]
    (tmp_path / "empty.csv").write_text("path,tags\naudio/x.wav,rock\n,pop\n")
    with pytest.raises(ParameterError, match="line 3: empty path"):
        extraction.find_tracks(tmp_path / "empty.csv")


def test_a_folder_file_whose_name_cannot_be_an_id_is_skipped_with_a_warning(tmp_path, rng):
    good = _tone(tmp_path / "audio/good.wav", rng)
    _tone(tmp_path / "audio/a\\b.wav", rng)  # a backslash: legal in a POSIX name, not in a track id
    with pytest.warns(UserWarning, match=r"skipped 1 audio file.*a\\\\b\.wav"):
        assert extraction.find_tracks(tmp_path / "audio") == [("good.wav", good)]
    with pytest.warns(UserWarning, match="skipped 1"):
        assert extract(tmp_path / "audio", tmp_path / "store", workers=1, **PARAMS).done == 1
    with pytest.raises(ParameterError, match="must be a relative path"):  # an id given explicitly: an error
        extraction.find_tracks([good], ids=["a\\b.wav"])


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes on Linux only")
def test_a_file_name_that_is_not_utf8_is_extracted(tmp_path, rng):
    name = os.fsdecode(b"caf\xe9.wav")  # Latin-1, legal on Linux: a lone surrogate in the str
    os.rename(_tone(tmp_path / "audio/tone.wav", rng), tmp_path / "audio" / name)
    summary = extract(tmp_path / "audio", tmp_path / "store", workers=1, **PARAMS)
    assert summary.done == 1, summary.failures
    np.testing.assert_array_equal(FeatureStore(tmp_path / "store")[name], features(tmp_path / "audio" / name,
                                                                                 **PARAMS))  # fmt: skip


_ONE_TRACK = "import sys; from fasttag.extraction import extract; extract(sys.argv[1], sys.argv[2], workers=2)"


def test_a_single_track_with_workers_runs_in_a_worker_that_may_die(tmp_path, rng):
    _tone(tmp_path / "audio/crash.wav", rng)
    store = tmp_path / "store"
    env = dict(os.environ, **{extraction._KILL_WORKER_ENV: "crash"})
    with open(tmp_path / "stderr.txt", "w") as err:  # a subprocess: run inline, the hook would kill pytest
        done = subprocess.run([sys.executable, "-c", _ONE_TRACK, str(tmp_path / "audio"), str(store)], env=env,
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err, timeout=120)  # fmt: skip
    assert done.returncode == 0, (tmp_path / "stderr.txt").read_text()
    assert "WorkerDied" in FeatureStore(store).failed["crash.wav"]


# ------------------------------------------------------------------------------------ long files


@pytest.fixture(scope="module")
def long_file(request, tmp_path_factory, seed_for):
    """70 s of stereo 44.1 kHz flac."""
    path = tmp_path_factory.mktemp("long") / "long.flac"
    rng = np.random.default_rng(seed_for(request.node.nodeid))
    soundfile.write(path, tone_mix(rng, 70 * 44100, 44100, 2), 44100)
    return path


class ReadSpy:
    """Records the frame count of every block decoded for extraction."""

    def __init__(self, monkeypatch):
        self.calls: list[int] = []
        real = extraction.decode._read_into

        def read_into(f, out):
            self.calls.append(out.shape[0])
            return real(f, out)

        monkeypatch.setattr(extraction.decode, "_read_into", read_into)


@pytest.mark.parametrize("fast", [True, False], ids=["sf_readf_float", "soundfile-read"])
@pytest.mark.parametrize("suffix", [".mp3", ".flac"])
def test_block_reads_equal_soundfiles_read(suffix, fast, tmp_path, rng, monkeypatch):
    if suffix == ".mp3" and "MP3" not in soundfile.available_formats():
        pytest.skip("this libsndfile has no MP3")
    path = tmp_path / f"x{suffix}"
    soundfile.write(path, tone_mix(rng, 10 * 44100, 44100, 2), 44100)
    if not fast:
        monkeypatch.setattr(extraction.decode, "_SNDFILE", (None, None))
    start, sizes = int(rng.integers(0, 44100)), [int(k) for k in rng.integers(1000, 30000, 12)]
    with soundfile.SoundFile(path) as f:
        f.seek(start)
        expected = f.read(sum(sizes), dtype="float32")
    with soundfile.SoundFile(path) as f:
        f.seek(start)
        buffer = np.full((max(sizes), 2), np.nan, np.float32)
        blocks = [extraction.decode._read_into(f, buffer[:k]).copy() for k in sizes]
        assert f.tell() == start + sum(sizes)
        rest = extraction.decode._read_into(f, np.empty((f.frames, 2), np.float32))  # to the end, and no further
        assert rest.shape[0] == f.frames - start - sum(sizes)
    np.testing.assert_array_equal(np.concatenate(blocks), expected)


@pytest.mark.parametrize("feature", ["logmel", "mfcc", "chroma"])
def test_blocked_long_file_equals_the_whole_file(long_file, feature, monkeypatch):
    params = ExtractParams(feature=feature)
    spy = ReadSpy(monkeypatch)
    blocked, info = extraction._extract_file(long_file, params, block=30000, block_frames=97)
    assert len(spy.calls) > 100 and 0 < max(spy.calls) <= 30000  # never the whole file at once
    y, sr = fasttag.load(long_file, sr=12000)
    kw = dict(sr=sr, n_fft=params.n_fft, hop_length=256)
    if feature == "logmel":
        whole = fasttag.logmel(y, n_mels=96, **kw)
    elif feature == "mfcc":
        C = fasttag.mfcc(y, n_mfcc=30, n_mels=96, **kw)
        whole = np.concatenate([C, fasttag.delta(C), fasttag.delta(C, order=2)])
    else:
        whole = fasttag.chroma_stft(y, tuning=0.0, **kw)
    n_frames = fasttag.frame_count(y.size, n_fft=params.n_fft, hop_length=256)
    assert blocked.shape == whole.shape == (params.n_features, n_frames)
    np.testing.assert_allclose(blocked, whole, rtol=0, atol=1e-4)
    assert info["duration"] == 70.0 and info["audio_seconds"] == 70.0
    assert y.size in (840000, 840001)  # load pads to librosa's length, ceil(n * 12000 / sr) in floating point


@pytest.mark.parametrize("channels", [1, 2])
def test_blocks_at_the_target_rate_are_not_overwritten_by_the_next_read(channels, tmp_path, rng):
    """No resampler: each block's samples must outlive the shared decode buffer."""
    path = tmp_path / "native.flac"
    soundfile.write(path, tone_mix(rng, 20 * 12000, 12000, channels), 12000)
    blocked, _ = extraction._extract_file(path, ExtractParams(), block=3000, block_frames=31)
    y, sr = fasttag.load(path)
    np.testing.assert_allclose(blocked, fasttag.logmel(y, sr=sr, n_fft=512, hop_length=256, n_mels=96), rtol=0,
                               atol=1e-4)


@pytest.mark.parametrize("crop", ["center", "start"])
def test_a_crop_decodes_only_its_window(long_file, crop, monkeypatch):
    params = ExtractParams(duration=29.12, crop=crop)
    spy = ReadSpy(monkeypatch)
    X, info = extraction._extract_file(long_file, params)
    assert X.shape == (96, 1366) and sum(spy.calls) == round(29.12 * 44100)
    offset = (70 * 44100 - round(29.12 * 44100)) // 2 if crop == "center" else 0
    assert info["offset"] == offset / 44100
    y, sr = fasttag.load(long_file, sr=12000, offset=offset / 44100, duration=29.12)
    expected = fasttag.logmel(y[:params.n_samples], sr=sr, n_fft=512, hop_length=256, n_mels=96)
    np.testing.assert_array_equal(X, expected)


def test_a_short_track_is_padded_to_the_crop(collection):
    track = collection[1]["genre0/track00.wav"]
    X, info = extraction._extract_file(track, ExtractParams(duration=5.0, n_mels=32))
    assert X.shape == (32, fasttag.frame_count(60000, n_fft=512, hop_length=256))
    assert info["warning"].startswith("padded") and info["audio_seconds"] == pytest.approx(y_seconds(track), abs=1e-3)
    y, _ = fasttag.load(track, sr=12000)
    padded = np.zeros(60000, np.float32)
    padded[: y.size] = y
    np.testing.assert_array_equal(X, fasttag.logmel(padded, sr=12000, n_fft=512, hop_length=256, n_mels=32))


def y_seconds(path) -> float:
    return fasttag.load(path, sr=12000)[0].size / 12000


def test_unreadable_file_raises_for_one_file(collection):
    with pytest.raises(AudioLoadError, match="empty"):
        features(collection[0] / "bad/empty.flac")


def test_through_fasttag_main_strict_is_status_2_in_one_line(collection, reference, tmp_path, capsys):
    store = tmp_path / "store"
    shutil.copytree(reference[0], store)
    argv = ["extract", str(collection[0]), "--out", str(store), "--n-mels", "32", "--workers", "1", "--quiet"]
    assert fasttag_cli.main(argv) == 0
    capsys.readouterr()
    assert fasttag_cli.main([*argv, "--strict"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fasttag: error: 4 of") and "(--strict)" in err
    assert fasttag_cli.main([*argv[:-1], "--n-mels", "40"]) == 2
    assert "n_mels=32 in the store, n_mels=40 asked" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["logmel", "mfcc"])
def test_from_featurizer_matches_training_features(collection, kind):
    from fasttag import featurizers

    description = featurizers.FEATURES[kind](seconds=1.5, n_mels=32)
    params = ExtractParams.from_featurizer(description)
    assert (params.feature, params.duration, params.crop, params.n_mels) == (kind, 1.5, "start", 32)
    paths = [collection[1][t] for t in ("genre0/track00.wav", "genre1/track01.flac", "genre2/track02.ogg")]
    expected = description(featurizers.load_clips(paths, description.sr, description.n_samples))
    for path, X in zip(paths, expected):
        got = features(path, params)
        assert got.shape == X.shape == (description.n_features, description.n_frames)
        np.testing.assert_allclose(got[:, :-3], X[:, :-3], rtol=0, atol=1e-3)  # the tail: resampler edge
    with pytest.raises(ParameterError, match="not kind='chroma'"):
        ExtractParams.from_featurizer(type("Chroma", (), {"as_dict": lambda self: {"kind": "chroma"}})())


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--feature", "mfcc", "--n-mfcc", "13", "--deltas", "0", "--top-db", "none", "--duration", "10", "--crop",
          "start", "--hop-length", "128"],
         ExtractParams(feature="mfcc", n_mfcc=13, deltas=0, top_db=None, duration=10.0, crop="start", hop_length=128)),
        (["--feature", "chroma", "--n-chroma", "24", "--sr", "22050", "--n-fft", "2048", "--hop", "512"],
         ExtractParams(feature="chroma", n_chroma=24, sr=22050, n_fft=2048, hop_length=512)),
        (["--n-mels", "128", "--fmin", "30", "--fmax", "5000", "--top-db", "60", "--duration", "29.12"],
         ExtractParams(n_mels=128, fmin=30.0, fmax=5000.0, top_db=60.0, duration=29.12, crop="center")),
    ],
)
def test_cli_options_map_to_params(argv, expected):
    params = extract_command.params_of(fasttag_cli.parse_args(["extract", "in", "--out", "o", *argv]))
    assert params == expected and params.as_dict() == expected.as_dict()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels", [1, 2, 3, 6, 7, 8, 9])
def test_downmix_is_numpys_mean_bit_for_bit(channels, dtype, rng):
    data = (rng.standard_normal((50_001, channels)) * rng.uniform(1e-3, 1.0, channels)).astype(dtype)
    mono = fasttag.audio.mean_channels(data)
    assert mono.dtype == dtype
    np.testing.assert_array_equal(mono, data.mean(axis=1, dtype=dtype))


def test_compiled_downmix_checks_its_input():
    with pytest.raises(ValueError, match="channels, expected 1 to 7"):
        fasttag._core.mean_channels(np.zeros((4, 8), np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        fasttag._core.mean_channels(np.zeros((4, 6), np.float32)[:, ::2])
    with pytest.raises(ValueError, match="float32 or float64"):
        fasttag._core.mean_channels(np.zeros((4, 2), np.int16))


def test_extract_chroma_is_the_chroma_that_train_computes(tmp_path):
    """`fasttag extract --feature chroma` took n_fft 512 (23 Hz bins at 12 kHz), train's logmel-chroma 4096."""
    from fasttag.featurizers import LogMelChroma

    path = tmp_path / "music.wav"
    soundfile.write(path, fasttag.datasets.example_audio(seconds=4.0, sr=12000, seed=3), 12000)
    args = fasttag_cli.parse_args(["extract", "in", "--out", "o", "--feature", "chroma", "--duration", "3",
                                   "--crop", "start"])  # fmt: skip
    params = extract_command.params_of(args)
    assert params.n_fft == ExtractParams(feature="chroma").n_fft == LogMelChroma().chroma_n_fft == 4096
    assert extract_command.params_of(fasttag_cli.parse_args(["extract", "in", "--out", "o"])).n_fft == 512
    trained = LogMelChroma(seconds=3.0, n_mels=32)
    expected = trained(fasttag.load(path, sr=12000, duration=3.0)[0])[trained.n_mels:]
    np.testing.assert_allclose(features(path, params), expected, rtol=0, atol=1e-5)


def test_a_chroma_store_of_the_old_default_is_refused_naming_n_fft(tmp_path, capsys):
    """Resuming a store that an older fasttag made with n_fft 512 says what differs and what to pass."""
    path = tmp_path / "music" / "a.wav"
    path.parent.mkdir()
    soundfile.write(path, fasttag.datasets.example_audio(seconds=2.0, sr=12000, seed=4), 12000)
    extract(path.parent, tmp_path / "store", feature="chroma", n_fft=512, workers=1)
    assert fasttag_cli.main(["extract", str(path.parent), "--out", str(tmp_path / "store"), "--feature", "chroma"]) == 2
    assert "n_fft=512 in the store, n_fft=4096 asked): pass --overwrite" in capsys.readouterr().err


_TWO_WORKERS = "import sys; from fasttag.extraction import extract; extract(sys.argv[1], sys.argv[2], workers=2)"


def test_what_a_worker_decoder_says_goes_into_the_record_not_the_terminal(tmp_path):
    """libmpg123's "Note: Illegal Audio-MPEG-Header ..." lines were written to stderr, through the progress bar."""
    audio = tmp_path / "audio"
    audio.mkdir()
    soundfile.write(tmp_path / "whole.mp3", fasttag.datasets.example_audio(seconds=5.0, sr=22050), 22050,
                    format="MP3", subtype="MPEG_LAYER_III")  # fmt: skip
    data, garbage = (tmp_path / "whole.mp3").read_bytes(), np.random.default_rng(0).bytes(3000)
    for name, n_bytes in (("resynced.mp3", 300), ("lost.mp3", 3000)):  # mpg123 gives up past 1024 bytes
        (audio / name).write_bytes(data[: len(data) // 2] + garbage[:n_bytes] + data[len(data) // 2 :])
    done = subprocess.run([sys.executable, "-c", _TWO_WORKERS, str(audio), str(tmp_path / "store")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and "MPEG" not in done.stderr, done.stderr
    store = FeatureStore(tmp_path / "store")
    said = "the decoder said: .*Note: Illegal Audio-MPEG-Header 0x[0-9a-f]+ at offset"
    assert re.search(said, store.records["resynced.mp3"]["warning"]) and "resynced.mp3" in store
    assert re.search(f"cannot decode .*; {said}", store.failed["lost.mp3"])
