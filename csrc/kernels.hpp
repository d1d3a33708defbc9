// The interface between the bindings and the numerical kernels. Kernels are built
// three times (portable baseline, AVX2+FMA, AVX-512); kernels<T>() returns the table for this CPU.
// Pointers are C-contiguous; sizes are element counts; complex data is interleaved
// (re, im). Every kernel checks its arguments and throws std::invalid_argument; those
// that read signals (rfft, dft, stft, melspectrogram) also throw, after the work, if a
// sample is NaN or infinite, so callers need no separate scan.
#pragma once

#include <cstdint>
#include <limits>
#include <mutex>
#include <string>

#include "checks.hpp"
#include "peaks.hpp"

namespace fasttag {

// The lock of the FFT plan caches of both kernel builds: one per process, taken around fork()
// (plan_cache_lock.cpp).
std::mutex& plan_cache_mutex();

enum class PadMode : int { constant = 0, edge = 1, reflect = 2 };

// Frames of a batch of signals: frame f covers samples [f*hop - pad, f*hop - pad + n_fft)
// of each signal, extended beyond its ends by pad_mode.
struct Framing {
    std::int64_t n_samples;
    std::int64_t n_fft;
    std::int64_t hop;
    std::int64_t pad;
    std::int64_t n_frames;
    PadMode pad_mode;
};

// Throws std::invalid_argument unless the frames fit in the padded signals. Internal
// linkage, like checks.hpp: each kernel build keeps its own copy.
static inline void check_framing(const Framing& f) {
    require_positive(f.n_fft, "n_fft");
    require_positive(f.hop, "hop_length");
    require_positive(f.n_frames, "n_frames");
    require_positive(f.n_samples, "n_samples");
    require(f.pad >= 0, "pad=" + std::to_string(f.pad) + " must be non-negative");
    require(f.pad <= (std::numeric_limits<std::int64_t>::max() - f.n_samples) / 2,
            "pad=" + std::to_string(f.pad) + " is too large: the padded signal's length overflows");
    require(f.n_frames <= (f.n_samples + 2 * f.pad - f.n_fft) / f.hop + 1 && f.n_samples + 2 * f.pad >= f.n_fft,
            "n_frames=" + std::to_string(f.n_frames) + " frames do not fit in the padded signal");
}

// 10 log10(max(amin, x)) - ref_db; if clip, floored at (row peak - top_db).
struct Decibels {
    double ref_db;
    double amin;
    double top_db;
    bool clip;
};

template <class T>
struct KernelTable {
    const char* isa;
    // x (rows, n) -> out (rows, n/2+1) complex.
    void (*rfft)(const T* x, std::int64_t rows, std::int64_t n, T* out, int threads);
    void (*dft)(const T* x, std::int64_t rows, std::int64_t n, T* out, int threads);
    // y (rows, n_samples), window (n_fft) -> out (rows, n_fft/2+1, n_frames) complex.
    void (*stft)(const T* y, std::int64_t rows, const Framing& framing, const T* window, T* out, int threads);
    // y (rows, n_samples), basis (n_mels, n_fft/2+1) -> out (rows, n_mels, n_frames);
    // db == nullptr gives power, otherwise decibels.
    void (*melspectrogram)(const T* y, std::int64_t rows, const Framing& framing, const T* window, const T* basis,
                           std::int64_t n_mels, double power, const Decibels* db, T* out, int threads);
    // basis (n_out, n_in), x (rows, n_in, n_cols) -> out (rows, n_out, n_cols).
    void (*project)(const T* basis, std::int64_t n_out, std::int64_t n_in, const T* x, std::int64_t rows,
                    std::int64_t n_cols, T* out, int threads);
    // y (rows, n_samples), window (n_fft) -> out (rows, n_lags, n_frames): per frame, the
    // autocorrelation of the windowed frame at lags 0..n_lags-1 (through |rfft|^2), with
    // normalize_peak divided by its largest magnitude.
    void (*autocorrelation)(const T* y, std::int64_t rows, const Framing& framing, const T* window,
                            std::int64_t n_lags, bool normalize_peak, T* out, int threads);
    // y (rows, n_samples) -> out (rows, n_lags, n_frames): the same at hop 1 for frames of n_lags
    // samples under a cosine-sum window, given by gamma (n_lags, n_terms, 2) and by its n_lags
    // values (see autocorrelation.hpp).
    void (*cosine_autocorrelation)(const T* y, std::int64_t rows, std::int64_t n_samples, std::int64_t n_frames,
                                   std::int64_t n_lags, const double* gamma, std::int64_t n_terms,
                                   const double* window, bool normalize_peak, T* out, int threads);
    // y (rows, n_samples), window (n_fft) -> the peaks of each frame of |STFT|^power, frame f0
    // of a block of frames of row r and those after it in slot r * n_frames + f0.
    void (*spectral_peaks)(const T* y, std::int64_t rows, const Framing& framing, const T* window, double power,
                           PeakCollector<T>& peaks, int threads);
    // S (rows, n_bins, n_cols) -> the peaks of each column, columns c0.. of a block of row r
    // in slot r * n_cols + c0.
    void (*spectrogram_peaks)(const T* S, std::int64_t rows, std::int64_t n_cols, PeakCollector<T>& peaks,
                              int threads);
    // x (rows, row_size) -> out (rows, row_size) in decibels.
    void (*decibels)(const T* x, std::int64_t rows, std::int64_t row_size, const Decibels& db, T* out, int threads);
    // x (n, d), centroids (k, d) -> labels (n) of the nearest centroids, distances (n) to them (squared).
    void (*assign)(const T* x, std::int64_t n, std::int64_t d, const T* centroids, std::int64_t k,
                   std::int64_t* labels, T* distances, int threads);
    // x (n, d), centroids (k, d) -> out (n, k) squared distances.
    void (*distances)(const T* x, std::int64_t n, std::int64_t d, const T* centroids, std::int64_t k, T* out,
                      int threads);
    // x (n, d), labels (n) in [0, k) -> sums (k, d) of each cluster's rows, counts (k).
    void (*centroid_sums)(const T* x, std::int64_t n, std::int64_t d, const std::int64_t* labels, std::int64_t k,
                          double* sums, std::int64_t* counts, int threads);
};

template <class T>
const KernelTable<T>& kernels();

namespace baseline {
template <class T>
KernelTable<T> make_kernel_table();
}
namespace avx2 {
template <class T>
KernelTable<T> make_kernel_table();
}
namespace avx512 {
template <class T>
KernelTable<T> make_kernel_table();
}

}  // namespace fasttag
