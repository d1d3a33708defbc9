// Bindings for the frame kernels (STFT, mel spectrogram, log-mel, autocorrelation), the matrix
// projection (mel from a spectrogram, DCT) and decibel conversion.
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
    {
        // Safe without the GIL: all arrays are held by this frame; no Python object is used.
        py::gil_scoped_release release;
        kernels<T>().stft(signal, rows, framing, win, result, checked_workers(workers));
    }
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
    {
        // Safe without the GIL: all arrays are held by this frame; no Python object is used.
        py::gil_scoped_release release;
        kernels<T>().melspectrogram(signal, rows, framing, win, weights, n_mels, power, db ? &*db : nullptr, result,
                                    checked_workers(workers));
    }
    return out;
}

template <class T>
py::array autocorrelation(const py::array& y_any, const py::array& window_any, std::int64_t hop_length,
                          std::int64_t pad, std::int64_t n_frames, std::int64_t n_lags, int pad_mode, int workers) {
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
    {
        // Safe without the GIL: all arrays are held by this frame; no Python object is used.
        py::gil_scoped_release release;
        kernels<T>().autocorrelation(signal, rows, framing, win, n_lags, result, checked_workers(workers));
    }
    return out;
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
    {
        // Safe without the GIL: all arrays are held by this frame; no Python object is used.
        py::gil_scoped_release release;
        kernels<T>().project(weights, n_out, n_in, in, rows, n_cols, result, checked_workers(workers));
    }
    return out;
}

template <class T>
py::array power_to_db(const py::array& x_any, const Decibels& db, int workers) {
    const auto x = checked_array<T>(x_any, "S", 2);
    const std::int64_t rows = x.shape(0), row_size = x.shape(1);
    py::array_t<T> out({rows, row_size});
    const T* in = x.data();
    T* result = out.mutable_data();
    {
        // Safe without the GIL: all arrays are held by this frame; no Python object is used.
        py::gil_scoped_release release;
        kernels<T>().decibels(in, rows, row_size, db, result, checked_workers(workers));
    }
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
most n_fft - n_lags + 1 samples long.
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
             std::int64_t n_frames, std::int64_t n_lags, int pad_mode, int workers) {
              return dispatch_float(y, "y", [&](auto t) {
                  return autocorrelation<decltype(t)>(y, window, hop_length, pad, n_frames, n_lags, pad_mode, workers);
              });
          },
          autocorrelation_doc, py::arg("y"), py::arg("window"), py::arg("hop_length"), py::arg("pad"),
          py::arg("n_frames"), py::arg("n_lags"), py::arg("pad_mode") = 0, py::arg("workers") = 1);
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
