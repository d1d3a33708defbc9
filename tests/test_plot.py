"""fasttag.plot.specshow and the ``fasttag show`` command: labelled axes, a colour bar, and a
PNG file of the asked size that is not blank."""

from __future__ import annotations

import re
import struct

import numpy as np
import pytest
import soundfile

import fasttag
from fasttag import ParameterError, cli, filters

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

SR = 22050


def png_size(path) -> tuple[int, int]:
    """(width, height) from the PNG signature and IHDR chunk; fails on anything else."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def is_round(value: float, span: float) -> bool:
    """Whether ``value`` is 1, 2 or 5 x 10^k, or a multiple of such a step of at least ``span`` / 10."""
    if value > 0 and any(np.isclose(value / 10 ** np.floor(np.log10(value)), m) for m in (1, 2, 5)):
        return True
    least = 10 ** np.floor(np.log10(span / 10))
    return any(np.isclose(value / (m * least), np.round(value / (m * least)), rtol=0, atol=1e-6) for m in (1, 2, 5))


def assert_hz_ticks(ax, hz_of_row, span: float) -> None:
    """At least 3 distinct round Hz tick labels, rising up the axis, each at a row whose frequency it is (0.5%)."""
    rows = ax.get_yticks()
    values = [float(t.get_text()) for t in ax.get_yticklabels()]
    assert len(values) >= 3 and np.all(np.diff(values) > 0) and np.all(np.diff(rows) > 0), (rows, values)
    assert all(is_round(v, span) for v in values), values
    bottom, top = ax.get_ylim()
    assert np.all((rows >= bottom) & (rows <= top))
    np.testing.assert_allclose(hz_of_row(rows), values, rtol=5e-3, atol=1e-9)


def mel_hz_of_row(n_rows, *, fmin, fmax, htk=False):
    """Row -> Hz on a mel axis: band r is centred at mel_frequencies(n_rows + 2)[r + 1], fmin at row -1, fmax at
    row n_rows (between bands, interpolated in Hz)."""
    edges = filters.mel_frequencies(n_rows + 2, fmin=fmin, fmax=fmax, htk=htk)
    return lambda rows: np.interp(rows, np.arange(-1, n_rows + 1), edges)


@pytest.mark.parametrize("y_axis, feature", [("mel", "logmel"), ("linear", "power"), ("chroma", "chroma"),
                                             ("tempo", "tempogram"), (None, "mfcc")])
def test_specshow_labels_axes(music, y_axis, feature):
    y = music(4 * SR)
    S = {"logmel": lambda: fasttag.logmel(y, sr=SR, n_mels=64),
         "power": lambda: fasttag.power_to_db(np.abs(fasttag.stft(y, n_fft=1024, hop_length=512)) ** 2),
         "chroma": lambda: fasttag.chroma_stft(y, sr=SR),
         "tempogram": lambda: fasttag.tempogram(y, sr=SR),
         "mfcc": lambda: fasttag.mfcc(y, sr=SR)}[feature]()
    fig = Figure()
    ax = fig.add_subplot()
    mesh = fasttag.plot.specshow(S, sr=SR, hop_length=512, y_axis=y_axis, ax=ax)
    assert mesh.get_array().size == (S.size - S.shape[1] if y_axis == "tempo" else S.size)  # tempo: no lag 0
    assert ax.get_xlabel() == "Time (s)"
    assert ax.get_xlim() == pytest.approx((-0.5 * 512 / SR, (S.shape[-1] - 0.5) * 512 / SR))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    expected_ylabel = {"mel": "Frequency (Hz, mel scale)", "linear": "Frequency (Hz)", "chroma": "Pitch class",
                       "tempo": "Tempo (BPM)", None: "Row"}[y_axis]
    assert ax.get_ylabel() == expected_ylabel
    if y_axis == "chroma":
        assert labels == list(fasttag.plot.NOTE_NAMES)
    if y_axis == "tempo":
        assert {"30", "60", "120", "240"} <= set(labels)
        np.testing.assert_allclose(ax.get_yticks(), [float(b) for b in labels])  # a BPM axis: b BPM at b
    if y_axis == "mel":
        assert_hz_ticks(ax, mel_hz_of_row(S.shape[0], fmin=0, fmax=SR / 2), SR / 2)
    if y_axis == "linear":  # bin r at r sr / n_fft Hz
        assert_hz_ticks(ax, lambda rows: rows * SR / (2 * (S.shape[0] - 1)), SR / 2)
    colorbar_axes = [a for a in fig.axes if a is not ax]
    assert len(colorbar_axes) == 1
    if y_axis in ("mel", "linear"):
        assert colorbar_axes[0].get_ylabel() == "dB"


def test_specshow_bad_input():
    with pytest.raises(ParameterError, match="y_axis='cqt' is not one of"):
        fasttag.plot.specshow(np.ones((4, 4)), y_axis="cqt", ax=Figure().add_subplot())
    with pytest.raises(ParameterError, match="x_axis='s' is not one of"):
        fasttag.plot.specshow(np.ones((4, 4)), x_axis="s", ax=Figure().add_subplot())
    for S, message in [(np.ones((2, 4, 4)), "S must be 2-D"), (np.ma.masked_array(np.ones(8)), "at least 2 dim"),
                       (np.array([["a", "b"]]), "S must be a real numeric array"),
                       (np.ma.masked_array(np.ones((4, 6)) + 1j), "S must be real"), (np.empty((0, 8)), "S is empty")]:
        with pytest.raises(ParameterError, match=message):
            fasttag.plot.specshow(S, ax=Figure().add_subplot())


@pytest.mark.parametrize("n_rows", [2, 3, 5])
def test_specshow_labels_a_tempo_axis_of_few_lags(rng, n_rows):
    hop_length = int(rng.integers(64, 1024))
    ax = Figure().add_subplot()
    fasttag.plot.specshow(rng.random((n_rows, 30)), sr=SR, hop_length=hop_length, y_axis="tempo", ax=ax)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert ax.get_ylabel() == "Tempo (BPM)" and len(labels) >= 2
    # the tick labelled b BPM sits at b, inside the tempi of the lags drawn (1 .. n_rows - 1, half a lag either side)
    np.testing.assert_allclose(ax.get_yticks(), [float(b) for b in labels])
    bpm = 60 * SR / hop_length
    assert np.all((ax.get_yticks() >= bpm / (n_rows - 0.5)) & (ax.get_yticks() <= bpm / 0.5))


def test_specshow_draws_tempo_as_librosa_on_a_log_bpm_axis(rng):
    """Lags were rows on a linear axis: the musical tempi (60-240 BPM) crowded into a tenth of it, upside down."""
    hop_length, n_rows = 512, 384
    S = rng.random((n_rows, 20))
    ax = Figure().add_subplot()
    mesh = fasttag.plot.specshow(S, sr=SR, hop_length=hop_length, y_axis="tempo", ax=ax)
    assert ax.get_yscale() == "log" and ax.get_ylim() == pytest.approx((16, 480))  # librosa's tempo_min, tempo_max
    edges = mesh.get_coordinates()[:, 0, 1]
    lags = np.arange(n_rows - 1, 0, -1)  # drawn from the bottom up: tempo rises with the row
    np.testing.assert_allclose(edges[:-1], 60 * SR / (hop_length * (lags + 0.5)))
    np.testing.assert_allclose(edges[1:], 60 * SR / (hop_length * (lags - 0.5)))
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(n_rows - 1, 20), S[lags])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["30", "60", "90", "120", "180", "240", "480"]
    wide = Figure().add_subplot()
    fasttag.plot.specshow(S, sr=SR, hop_length=hop_length, y_axis="tempo", tempo_min=None, tempo_max=None, ax=wide)
    assert wide.get_ylim() == pytest.approx((edges[0], edges[-1]))
    for bad, says in [(dict(tempo_min=0), "tempo_min=0 must be"), (dict(tempo_min=300, tempo_max=200),
                                                                   "tempo_min=300 must be below tempo_max=200")]:
        with pytest.raises(ParameterError, match=says):
            fasttag.plot.specshow(S, y_axis="tempo", ax=Figure().add_subplot(), **bad)
    with pytest.raises(ParameterError, match="y_axis='tempo' needs at least 2 lags .*S has 1: lag 0 has no tempo"):
        fasttag.plot.specshow(S[:1], y_axis="tempo", ax=Figure().add_subplot())


@pytest.mark.parametrize("fmin, fmax", [(4000, 1000), (0, 0), (0, 20000), (-100, None), (np.nan, None), (0, np.inf)])
def test_specshow_checks_fmin_fmax_as_filters_mel_does(rng, fmin, fmax):
    with pytest.raises(ParameterError) as from_mel:
        filters.mel(sr=SR, n_fft=1024, n_mels=40, fmin=fmin, fmax=fmax)
    S = rng.random((40, 20))
    with pytest.raises(ParameterError, match=re.escape(str(from_mel.value))):
        fasttag.plot.specshow(S, sr=SR, y_axis="mel", fmin=fmin, fmax=fmax, ax=Figure().add_subplot())
    # the band edges of a mel axis are not used, nor checked, on the other axes
    fasttag.plot.specshow(S, sr=SR, y_axis="linear", fmin=fmin, fmax=fmax, ax=Figure().add_subplot())


@pytest.mark.parametrize("sr, fmin, fmax, htk", [(22050, 5000, 8000, False), (22050, 0, None, False),
                                                 (16000, 300, 6000, True), (44100, 20, 16000, False),
                                                 (8000, 1000, 1001, False), (12000, 0, 200, True)])
def test_specshow_mel_ticks_are_round_hz_at_their_bands(rng, sr, fmin, fmax, htk):
    n_rows = int(rng.integers(16, 160))
    ax = Figure().add_subplot()
    fasttag.plot.specshow(rng.standard_normal((n_rows, 50)), sr=sr, y_axis="mel", fmin=fmin, fmax=fmax, htk=htk,
                          ax=ax)
    top = sr / 2 if fmax is None else fmax
    assert_hz_ticks(ax, mel_hz_of_row(n_rows, fmin=fmin, fmax=top, htk=htk), top - fmin)


@pytest.mark.parametrize("bins_per_octave", [24.0, 24.5, 0, -12, True, "12"])
def test_specshow_checks_bins_per_octave(rng, bins_per_octave):
    with pytest.raises(ParameterError, match=re.escape(f"bins_per_octave={bins_per_octave!r} must be a positive")):
        fasttag.plot.specshow(rng.random((24, 10)), y_axis="chroma", bins_per_octave=bins_per_octave,
                              ax=Figure().add_subplot())


def colorbar_labels(mesh) -> tuple[str, list[str]]:
    """The colour bar's label and the texts of its ticks inside the bar."""
    mesh.figure.draw_without_rendering()
    bar = mesh.colorbar.ax
    low, high = bar.get_ylim()
    return bar.get_ylabel(), [t.get_text() for t in bar.get_yticklabels() if low <= t.get_position()[1] <= high]


def test_specshow_colorbar_claims_db_only_for_an_array_in_db(music):
    y = music(2 * SR)
    power = fasttag.melspectrogram(y, sr=SR, n_mels=64)
    chroma = fasttag.chroma_stft(y, sr=SR)
    db = fasttag.logmel(y, sr=SR, n_mels=64)
    narrow_db = db / (-db.min()) * 0.9  # in dB, within 0.9 dB of its top
    for S, y_axis, units, label in [(power, "mel", "auto", ""), (chroma, "mel", "auto", ""),
                                    (db, "mel", "auto", "dB"), (narrow_db, "linear", "auto", "dB"),
                                    (power, "mel", "power", "power"),
                                    (chroma, "chroma", "auto", "chroma energy (normalised)")]:
        mesh = fasttag.plot.specshow(S, sr=SR, y_axis=y_axis, units=units, ax=Figure().add_subplot())
        bar_label, ticks = colorbar_labels(mesh)
        assert bar_label == label
        assert len(ticks) >= 2 and len(set(ticks)) == len(ticks), ticks
        if label != "dB":
            assert not any("dB" in t for t in ticks), ticks


def test_specshow_draws_non_finite_and_masked_cells_blank(rng):
    data = rng.standard_normal((16, 40))
    mask = rng.random(data.shape) < 0.1
    for value in (np.nan, np.inf, -np.inf):
        data[rng.integers(0, 16, 5), rng.integers(0, 40, 5)] = value
    blank = mask | ~np.isfinite(data)
    mesh = fasttag.plot.specshow(np.ma.masked_array(data, mask=mask), y_axis=None, ax=Figure().add_subplot())
    drawn = mesh.get_array()
    np.testing.assert_array_equal(np.ma.getmaskarray(drawn).reshape(data.shape), blank)
    np.testing.assert_array_equal(np.ma.getdata(drawn).reshape(data.shape)[~blank], data[~blank])
    assert (mesh.norm.vmin, mesh.norm.vmax) == (data[~blank].min(), data[~blank].max())
    # a plain array with NaN and inf draws too
    mesh = fasttag.plot.specshow(data, y_axis=None, ax=Figure().add_subplot())
    np.testing.assert_array_equal(np.ma.getmaskarray(mesh.get_array()).reshape(data.shape), ~np.isfinite(data))


@pytest.mark.parametrize("S", [np.full((4, 6), np.nan), np.ma.masked_array(np.ones((4, 6)), mask=True)],
                         ids=["nan", "masked"])
def test_specshow_refuses_an_array_with_nothing_to_draw(S):
    with pytest.raises(ParameterError, match="S has nothing to draw: all of its 24 values are masked, NaN or infinite"):
        fasttag.plot.specshow(S, ax=Figure().add_subplot())


@pytest.mark.parametrize("x_axis", ["time", "frames"])
def test_specshow_centres_frames_as_librosa(rng, x_axis):
    librosa_display = pytest.importorskip("librosa.display")
    n_rows, n_frames = (int(n) for n in rng.integers(2, 40, 2))
    sr, hop_length = float(rng.choice([8000, 22050, 44100])), int(rng.integers(64, 1024))
    S = rng.standard_normal((n_rows, n_frames))
    ax = Figure().add_subplot()
    mesh = fasttag.plot.specshow(S, sr=sr, hop_length=hop_length, x_axis=x_axis, y_axis=None, ax=ax)
    reference = librosa_display.specshow(S, sr=sr, hop_length=hop_length, x_axis=x_axis, ax=Figure().add_subplot())
    np.testing.assert_allclose(mesh.get_coordinates(), reference.get_coordinates(), rtol=1e-12, atol=1e-15)
    # frame t (and row r) centred at t hop / sr seconds, or at t
    scale = hop_length / sr if x_axis == "time" else 1.0
    np.testing.assert_allclose(mesh.get_coordinates()[0, :, 0], (np.arange(n_frames + 1) - 0.5) * scale)
    np.testing.assert_allclose(mesh.get_coordinates()[:, 0, 1], np.arange(n_rows + 1) - 0.5)
    assert ax.get_xlim() == pytest.approx((-0.5 * scale, (n_frames - 0.5) * scale))


@pytest.mark.parametrize("ax", ["left", Figure(), object()], ids=["str", "figure", "object"])
def test_specshow_refuses_an_ax_that_is_not_axes(ax):
    with pytest.raises(ParameterError, match=re.escape(f"ax={ax!r} must be a matplotlib.axes.Axes")):
        fasttag.plot.specshow(np.ones((4, 4)), ax=ax)


@pytest.fixture
def audio_file(music, tmp_path):
    path = tmp_path / "clip.wav"
    soundfile.write(path, music(3 * SR), SR)
    return path


@pytest.mark.parametrize("feature, size", [("logmel", (800, 300)), ("mfcc", (640, 480)), ("chroma", (500, 250)),
                                           ("tempogram", (700, 400))])
def test_show_writes_a_png_of_the_asked_size(audio_file, tmp_path, capsys, feature, size):
    out = tmp_path / "pictures" / f"{feature}.png"
    assert cli.main(["show", str(audio_file), "--feature", feature, "--out", str(out),
                     "--size", f"{size[0]}x{size[1]}"]) == 0
    assert out.exists()
    assert png_size(out) == size
    pixels = matplotlib.image.imread(out)[..., :3]
    assert pixels.shape[:2] == (size[1], size[0])
    # Not blank: many distinct colours and the central area (the image) varies.
    centre = pixels[size[1] // 4 : 3 * size[1] // 4, size[0] // 4 : size[0] // 2]
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    assert centre.std() > 0.05
    assert feature in capsys.readouterr().out


def test_show_arguments(capsys):
    args = cli.parse_args(["show", "a.wav", "--out", "x.png"])
    assert (args.feature, args.size, args.sr, args.dpi) == ("logmel", (1000, 400), 22050, 100)
    for bad, fragment in ((["--feature", "cqt"], "cqt"), (["--size", "100"], "'100'"),
                          (["--size", "10x10"], "64..8192"), (["--dpi", "0"], "0 must be >= 1")):
        assert cli.main(["show", "a.wav", "--out", "x.png", *bad]) == 2
        assert fragment in capsys.readouterr().err
    assert cli.main(["show", "a.wav"]) == 2
    assert "--out" in capsys.readouterr().err


def test_show_missing_file_is_reported_in_one_line(tmp_path, capsys):
    assert cli.main(["show", str(tmp_path / "missing.wav"), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "missing.wav" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("feature, rows, y_label", [("logmel", 40, "Frequency (Hz, mel scale)"),
                                                     ("chroma", 12, "Pitch class"), ("mfcc", 90, "Row")])
def test_show_draws_an_array_of_a_store_with_the_stores_axes(audio_file, tmp_path, capsys, feature, rows, y_label):
    """It took the .npy file for audio ("cannot decode")."""
    from fasttag.commands.show import stored_feature

    options = {"logmel": dict(n_mels=40, fmin=50.0)}.get(feature, {})
    fasttag.extract([audio_file], tmp_path / "store", feature=feature, sr=16000, hop_length=128, **options)
    array = fasttag.FeatureStore(tmp_path / "store").path_of("clip.wav")
    out = tmp_path / f"{feature}.png"
    assert cli.main(["show", str(array), "--out", str(out), "--size", "400x200"]) == 0
    n_frames = np.load(array).shape[1]
    assert png_size(out) == (400, 200) and f"{feature} ({rows}, {n_frames}) -> " in capsys.readouterr().out
    S, drawn, kind = stored_feature(array)
    assert kind == feature and (drawn["sr"], drawn["hop_length"]) == (16000, 128)
    ax = Figure().add_subplot()
    fasttag.plot.specshow(S, ax=ax, **drawn)
    assert ax.get_ylabel() == y_label and ax.get_xlabel() == "Time (s)"
    assert ax.get_xlim() == pytest.approx((-0.5 * 128 / 16000, (n_frames - 0.5) * 128 / 16000))
    if feature == "logmel":  # bands of the store's fmin and sr
        assert_hz_ticks(ax, mel_hz_of_row(rows, fmin=50.0, fmax=8000.0), 8000.0)


def test_show_draws_an_array_of_no_store_by_frame_and_row(rng, tmp_path, capsys):
    path = tmp_path / "features.npy"
    np.save(path, rng.standard_normal((7, 50)).astype(np.float32))
    assert cli.main(["show", str(path), "--out", str(tmp_path / "a.png"), "--size", "300x200"]) == 0
    assert "array (7, 50) -> " in capsys.readouterr().out and png_size(tmp_path / "a.png") == (300, 200)


@pytest.mark.parametrize("content, says", [
    (np.zeros(10), r"holds a float64 array of shape \(10,\): fasttag show draws a 2-D real feature"),
    (np.zeros((2, 3, 4)), r"holds a float64 array of shape \(2, 3, 4\)"),
    (np.zeros((3, 4), dtype=complex), "holds a complex128 array"),
    (np.array([{"a": 1}], dtype=object), "not a feature array .*Object arrays cannot be loaded"),
    (b"not numpy", "not a feature array"),
])
def test_show_refuses_a_npy_file_that_is_not_a_2d_feature(tmp_path, capsys, content, says):
    path = tmp_path / "x.npy"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.save(path, content, allow_pickle=True)
    assert cli.main(["show", str(path), "--out", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.search(says, err), err
    assert not (tmp_path / "x.png").exists()


def test_show_refuses_an_array_that_does_not_fit_its_store(audio_file, tmp_path, capsys):
    fasttag.extract([audio_file], tmp_path / "store", feature="chroma")
    array = fasttag.FeatureStore(tmp_path / "store").path_of("clip.wav")
    np.save(array, np.zeros((5, 20), dtype=np.float32))  # written by hand over the stored one
    assert cli.main(["show", str(array), "--out", str(tmp_path / "x.png")]) == 2
    assert "holds 5 rows, not the 12 of the store's chroma parameters" in capsys.readouterr().err
