// Bindings for the frame kernels (STFT, mel spectrogram, log-mel, autocorrelation, spectral
// peaks), the matrix projection (mel from a spectrogram, DCT), decibel conversion and the
// peaks of a stored spectrogram.
#include <pybind11/stl.h>

#include <optional>

#include "bind_common.hpp"
#include "kernels.hpp"

namespace fasttag {
namespace {

// Reads the framing arguments and checks them against the signal and window.
template <class T>
Framing make_framing(const py::array_t<T, py::array::c_style>& y, const py::array_t<T, py::array::c_style>& window,
                     std::int64_t hop_length, std::int64_t pad, std::int64_t n_frames, int pad_mode) {
    require(pad_mode >= 0 && pad_mode <= 2, "pad_mode=" + std::to_string(pad_mode) + " must be 0, 1 or 2");
    const Framing framing{y.shape(1), window.shape(0), hop_length, pad, n_frames, static_cast<PadMode>(pad_mode)};
    check_framing(framing);  // before the output is allocated
    return framing;
}

Decibels make_decibels(double ref_db, double amin, std::optional<double> top_db) {
    require(amin > 0, "amin=" + std::to_string(amin) + " must be positive");
    require(!top_db || *top_db >= 0, "top_db must be non-negative");
    return Decibels{ref_db, amin, top_db.value_or(0.0), top_db.has_value()};
}

template <class T>
py::array stft(const py::array& y_any, const py::array& window_any, std::int64_t hop_length, std::int64_t pad,
               std::int64_t n_frames, int pad_mode, int workers) {
    const auto y = checked_array<T>(y_any, "y", 2);
    const auto window = checked_array<T>(window_any, "window", 1);
    const Framing framing = make_framing<T>(y, window, hop_length, pad, n_frames, pad_mode);
    const std::int64_t rows = y.shape(0);
    auto out = new_complex<T>({rows, framing.n_fft / 2 + 1, n_frames});
    const T* signal = y.data();
    const T* win = window.data();
    T* result = reinterpret_cast<T*>(out.mutable_data());
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().stft(signal, rows, framing, win, result, checked_workers(workers));
    });
    return out;
}

template <class T>
py::array melspectrogram(const py::array& y_any, const py::array& window_any, const py::array& basis_any,
                         std::int64_t hop_length, std::int64_t pad, std::int64_t n_frames, int pad_mode, double power,
                         std::optional<Decibels> db, int workers) {
    const auto y = checked_array<T>(y_any, "y", 2);
    const auto window = checked_array<T>(window_any, "window", 1);
    const auto basis = checked_array<T>(basis_any, "basis", 2);
    const Framing framing = make_framing<T>(y, window, hop_length, pad, n_frames, pad_mode);
    require(basis.shape(1) == framing.n_fft / 2 + 1,
            "basis has " + std::to_string(basis.shape(1)) + " columns, expected n_fft//2+1 = " +
                std::to_string(framing.n_fft / 2 + 1));
    const std::int64_t rows = y.shape(0), n_mels = basis.shape(0);
    py::array_t<T> out({rows, n_mels, n_frames});
    const T* signal = y.data();
    const T* win = window.data();
    const T* weights = basis.data();
    T* result = out.mutable_data();
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().melspectrogram(signal, rows, framing, win, weights, n_mels, power, db ? &*db : nullptr, result,
                                    checked_workers(workers));
    });
    return out;
}

template <class T>
py::array autocorrelation(const py::array& y_any, const py::array& window_any, std::int64_t hop_length,
                          std::int64_t pad, std::int64_t n_frames, std::int64_t n_lags, int pad_mode,
                          bool normalize_peak, int workers) {
    const auto y = checked_array<T>(y_any, "y", 2);
    const auto window = checked_array<T>(window_any, "window", 1);
    const Framing framing = make_framing<T>(y, window, hop_length, pad, n_frames, pad_mode);
    require_positive(n_lags, "n_lags");
    require(n_lags <= framing.n_fft / 2 + 1, "n_lags=" + std::to_string(n_lags) + " must be at most n_fft//2 + 1");
    const std::int64_t rows = y.shape(0);
    py::array_t<T> out({rows, n_lags, n_frames});
    const T* signal = y.data();
    const T* win = window.data();
    T* result = out.mutable_data();
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().autocorrelation(signal, rows, framing, win, n_lags, normalize_peak, result,
                                     checked_workers(workers));
    });
    return out;
}

template <class T>
py::array cosine_autocorrelation(const py::array& y_any, const py::array& gamma_any, const py::array& window_any,
                                 std::int64_t n_frames, bool normalize_peak, int workers) {
    const auto y = checked_array<T>(y_any, "y", 2);
    const auto gamma = checked_array<double>(gamma_any, "gamma", 3);
    const auto window = checked_array<double>(window_any, "window", 1);
    require(gamma.shape(2) == 2, "gamma must have shape (n_lags, n_terms, 2)");
    const std::int64_t rows = y.shape(0), n_samples = y.shape(1), n_lags = gamma.shape(0), n_terms = gamma.shape(1);
    require(window.shape(0) == n_lags, "window has " + std::to_string(window.shape(0)) + " values, gamma " +
                                           std::to_string(n_lags) + " lags");
    require_positive(n_frames, "n_frames");  // before the output is allocated; the kernel checks the rest
    py::array_t<T> out({rows, n_lags, n_frames});
    const T* signal = y.data();
    const double* coefficients = gamma.data();
    const double* values = window.data();
    T* result = out.mutable_data();
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().cosine_autocorrelation(signal, rows, n_samples, n_frames, n_lags, coefficients, n_terms, values,
                                            normalize_peak, result, checked_workers(workers));
    });
    return out;
}

// (counts (rows,), pitches, magnitudes) of the peaks, row r owning slots [r * slots_per_row, ...).
template <class T>
py::tuple peaks_by_row(const PeakCollector<T>& peaks, std::int64_t rows, std::int64_t slots_per_row) {
    py::array_t<std::int64_t> counts(rows);
    std::int64_t total = 0;
    for (std::int64_t r = 0; r < rows; ++r) {
        counts.mutable_at(r) = peaks.count(r * slots_per_row, (r + 1) * slots_per_row);
        total += counts.at(r);
    }
    py::array_t<T> pitches(total), magnitudes(total);
    peaks.copy(0, rows * slots_per_row, pitches.mutable_data(), magnitudes.mutable_data());
    return py::make_tuple(counts, pitches, magnitudes);
}

// The band searched for peaks, as Python passes it.
struct PeakBand {
    std::int64_t k0, k1;
    double threshold, sr;
};

template <class T>
py::tuple spectral_peaks(const py::array& y_any, const py::array& window_any, std::int64_t hop_length,
                         std::int64_t pad, std::int64_t n_frames, int pad_mode, double power, const PeakBand& band,
                         double n_fft, int workers) {
    const auto y = checked_array<T>(y_any, "y", 2);
    const auto window = checked_array<T>(window_any, "window", 1);
    const Framing framing = make_framing<T>(y, window, hop_length, pad, n_frames, pad_mode);
    const std::int64_t rows = y.shape(0);
    const PeakSearch search{framing.n_fft / 2 + 1, band.k0, band.k1, band.threshold, band.sr, n_fft};
    PeakCollector<T> peaks(search, rows * n_frames);
    const T* signal = y.data();
    const T* win = window.data();
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().spectral_peaks(signal, rows, framing, win, power, peaks, checked_workers(workers));
    });
    return peaks_by_row(peaks, rows, n_frames);
}

template <class T>
py::tuple stored_spectrogram_peaks(const py::array& S_any, const PeakBand& band, double n_fft, int workers) {
    const auto S = checked_array<T>(S_any, "S", 3);
    const std::int64_t rows = S.shape(0), n_bins = S.shape(1), n_cols = S.shape(2);
    PeakCollector<T> peaks(PeakSearch{n_bins, band.k0, band.k1, band.threshold, band.sr, n_fft}, rows * n_cols);
    const T* values = S.data();
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().spectrogram_peaks(values, rows, n_cols, peaks, checked_workers(workers));
    });
    return peaks_by_row(peaks, rows, n_cols);
}

template <class T>
py::array project(const py::array& basis_any, const py::array& x_any, int workers) {
    const auto basis = checked_array<T>(basis_any, "basis", 2);
    const auto x = checked_array<T>(x_any, "x", 3);
    require(basis.shape(1) == x.shape(1), "basis has " + std::to_string(basis.shape(1)) +
                                              " columns but x has " + std::to_string(x.shape(1)) + " rows per item");
    const std::int64_t rows = x.shape(0), n_out = basis.shape(0), n_in = basis.shape(1), n_cols = x.shape(2);
    py::array_t<T> out({rows, n_out, n_cols});
    const T* weights = basis.data();
    const T* in = x.data();
    T* result = out.mutable_data();
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().project(weights, n_out, n_in, in, rows, n_cols, result, checked_workers(workers));
    });
    return out;
}

template <class T>
py::array power_to_db(const py::array& x_any, const Decibels& db, int workers) {
    const auto x = checked_array<T>(x_any, "S", 2);
    const std::int64_t rows = x.shape(0), row_size = x.shape(1);
    py::array_t<T> out({rows, row_size});
    const T* in = x.data();
    T* result = out.mutable_data();
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().decibels(in, rows, row_size, db, result, checked_workers(workers));
    });
    return out;
}

constexpr const char* stft_doc = R"doc(
Complex STFT of each row: y (rows, n_samples), window (n_fft,) -> (rows, n_fft//2+1, n_frames).

Frame f starts at sample f * hop_length - pad; samples outside the signal follow
pad_mode (0 constant zero, 1 edge, 2 reflect).
)doc";

constexpr const char* melspectrogram_doc = R"doc(
Fused mel spectrogram: frame -> window -> FFT -> |.|^power -> basis (n_mels, n_fft//2+1),
block by block, without storing the spectrogram. With ref_db/amin given, returns
10 log10(max(amin, mel)) - ref_db, floored at each row's peak - top_db unless top_db is None.
y (rows, n_samples) -> (rows, n_mels, n_frames).
)doc";

constexpr const char* autocorrelation_doc = R"doc(
Windowed autocorrelation of each frame: y (rows, n_samples), window (n_fft,) ->
(rows, n_lags, n_frames), out[r, l, t] = sum_i (w x_t)[i] (w x_t)[i + l], through |rfft(n_fft)|^2
and a real FFT of its even extension. No circular wrap while the window's nonzero part is at
most n_fft - n_lags + 1 samples long. normalize_peak divides each frame's lags by their largest
magnitude (librosa's util.normalize, norm=inf; frames below the smallest normal number unscaled).
)doc";

constexpr const char* cosine_autocorrelation_doc = R"doc(
Windowed autocorrelation at hop 1 under a cosine-sum window, without FFTs: y (rows, n_samples),
gamma (n_lags, n_terms, 2) -> (rows, n_lags, n_frames), out[r, l, t] = sum_i w[i] w[i + l]
y[r, t + i] y[r, t + i + l] over frames of n_lags samples, where w[i] w[i + l] =
Re sum_m (gamma[l, m, 0] + j gamma[l, m, 1]) e^(2 pi j m i / n_lags), and window (n_lags,) is w
itself: columns whose running sums may have lost digits are summed directly. Sums in float64.
normalize_peak as in autocorrelation.
)doc";

// The peaks are librosa piptrack's (estimate_tuning): in each frame, bins k0 <= k < k1 that
// exceed threshold x the frame's maximum and are local maxima over frequency, refined by a
// parabola. Both return (counts (rows,), pitches (Hz), magnitudes), row by row.
constexpr const char* spectral_peaks_doc = R"doc(
Peaks (librosa's piptrack) of every frame of |STFT(y)|^power, without storing the spectrogram:
y (rows, n_samples), window (frame length,), band k0 <= bin < k1, pitch (k + shift) sr / n_fft
-> (counts (rows,), pitches (Hz), magnitudes), the peaks of row r after those of the rows before it.
)doc";

constexpr const char* spectrogram_peaks_doc = R"doc(
Peaks (librosa's piptrack) of every column of S (rows, n_bins, n_cols), band k0 <= bin < k1,
pitch (k + shift) sr / n_fft -> (counts (rows,), pitches (Hz), magnitudes), row by row.
)doc";

constexpr const char* project_doc = R"doc(
basis (n_out, n_in) applied to every column: x (rows, n_in, n_cols) -> (rows, n_out, n_cols).
Leading and trailing zeros of each basis row are skipped (sparse mel triangles).
)doc";

constexpr const char* power_to_db_doc = R"doc(
10 log10(max(amin, S)) - ref_db, floored at each row's peak - top_db unless top_db is None.
S (rows, row_size) -> same shape.
)doc";

}  // namespace

void register_spectral(py::module_& m) {
    m.def("stft",
          [](const py::array& y, const py::array& window, std::int64_t hop_length, std::int64_t pad,
             std::int64_t n_frames, int pad_mode, int workers) {
              return dispatch_float(y, "y", [&](auto t) {
                  return stft<decltype(t)>(y, window, hop_length, pad, n_frames, pad_mode, workers);
              });
          },
          stft_doc, py::arg("y"), py::arg("window"), py::arg("hop_length"), py::arg("pad"), py::arg("n_frames"),
          py::arg("pad_mode") = 0, py::arg("workers") = 1);
    m.def("melspectrogram",
          [](const py::array& y, const py::array& window, const py::array& basis, std::int64_t hop_length,
             std::int64_t pad, std::int64_t n_frames, int pad_mode, double power, std::optional<double> ref_db,
             double amin, std::optional<double> top_db, int workers) {
              std::optional<Decibels> db;
              if (ref_db) db = make_decibels(*ref_db, amin, top_db);
              return dispatch_float(y, "y", [&](auto t) {
                  return melspectrogram<decltype(t)>(y, window, basis, hop_length, pad, n_frames, pad_mode, power, db,
                                                     workers);
              });
          },
          melspectrogram_doc, py::arg("y"), py::arg("window"), py::arg("basis"), py::arg("hop_length"),
          py::arg("pad"), py::arg("n_frames"), py::arg("pad_mode") = 0, py::arg("power") = 2.0,
          py::arg("ref_db") = py::none(), py::arg("amin") = 1e-10, py::arg("top_db") = 80.0, py::arg("workers") = 1);
    m.def("autocorrelation",
          [](const py::array& y, const py::array& window, std::int64_t hop_length, std::int64_t pad,
             std::int64_t n_frames, std::int64_t n_lags, int pad_mode, bool normalize_peak, int workers) {
              return dispatch_float(y, "y", [&](auto t) {
                  return autocorrelation<decltype(t)>(y, window, hop_length, pad, n_frames, n_lags, pad_mode,
                                                      normalize_peak, workers);
              });
          },
          autocorrelation_doc, py::arg("y"), py::arg("window"), py::arg("hop_length"), py::arg("pad"),
          py::arg("n_frames"), py::arg("n_lags"), py::arg("pad_mode") = 0, py::arg("normalize_peak") = false,
          py::arg("workers") = 1);
    m.def("cosine_autocorrelation",
          [](const py::array& y, const py::array& gamma, const py::array& window, std::int64_t n_frames,
             bool normalize_peak, int workers) {
              return dispatch_float(y, "y", [&](auto t) {
                  return cosine_autocorrelation<decltype(t)>(y, gamma, window, n_frames, normalize_peak, workers);
              });
          },
          cosine_autocorrelation_doc, py::arg("y"), py::arg("gamma"), py::arg("window"), py::arg("n_frames"),
          py::arg("normalize_peak") = false, py::arg("workers") = 1);
    m.def("spectral_peaks",
          [](const py::array& y, const py::array& window, std::int64_t hop_length, std::int64_t pad,
             std::int64_t n_frames, int pad_mode, double power, std::int64_t k0, std::int64_t k1, double threshold,
             double sr, double n_fft, int workers) {
              const PeakBand band{k0, k1, threshold, sr};
              return dispatch_float(y, "y", [&](auto t) {
                  return spectral_peaks<decltype(t)>(y, window, hop_length, pad, n_frames, pad_mode, power, band,
                                                     n_fft, workers);
              });
          },
          spectral_peaks_doc, py::arg("y"), py::arg("window"),
          py::arg("hop_length"), py::arg("pad"), py::arg("n_frames"), py::arg("pad_mode"), py::arg("power"),
          py::arg("k0"), py::arg("k1"), py::arg("threshold"), py::arg("sr"), py::arg("n_fft"),
          py::arg("workers") = 1);
    m.def("spectrogram_peaks",
          [](const py::array& S, std::int64_t k0, std::int64_t k1, double threshold, double sr, double n_fft,
             int workers) {
              const PeakBand band{k0, k1, threshold, sr};
              return dispatch_float(S, "S", [&](auto t) {
                  return stored_spectrogram_peaks<decltype(t)>(S, band, n_fft, workers);
              });
          },
          spectrogram_peaks_doc, py::arg("S"), py::arg("k0"), py::arg("k1"),
          py::arg("threshold"), py::arg("sr"), py::arg("n_fft"), py::arg("workers") = 1);
    m.def("project",
          [](const py::array& basis, const py::array& x, int workers) {
              return dispatch_float(x, "x", [&](auto t) { return project<decltype(t)>(basis, x, workers); });
          },
          project_doc, py::arg("basis"), py::arg("x"), py::arg("workers") = 1);
    m.def("power_to_db",
          [](const py::array& S, double ref_db, double amin, std::optional<double> top_db, int workers) {
              const Decibels db = make_decibels(ref_db, amin, top_db);
              return dispatch_float(S, "S", [&](auto t) { return power_to_db<decltype(t)>(S, db, workers); });
          },
          power_to_db_doc, py::arg("S"), py::arg("ref_db") = 0.0, py::arg("amin") = 1e-10,
          py::arg("top_db") = 80.0, py::arg("workers") = 1);
}

}  // namespace fasttag
