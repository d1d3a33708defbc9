// librosa piptrack's peak picking and parabolic refinement (see peaks.hpp). Built with
// -ffp-contract=off: a fused multiply-add would round differently from numpy.
#include "peaks.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "checks.hpp"
#include "parallel.hpp"

namespace fasttag {

void check_peak_search(const PeakSearch& s) {
    require(s.n_bins >= 2, "a spectrum needs at least 2 frequency bins, got " + std::to_string(s.n_bins));
    require(0 <= s.k0 && s.k0 <= s.k1 && s.k1 <= s.n_bins,
            "band [" + std::to_string(s.k0) + ", " + std::to_string(s.k1) + ") must lie within the " +
                std::to_string(s.n_bins) + " bins");
    require(std::isfinite(s.threshold), "threshold must be finite");
    require(s.sr > 0 && std::isfinite(s.sr), "sr must be positive");
    require(s.n_fft > 0 && std::isfinite(s.n_fft), "n_fft must be positive");
}

template <class T>
PeakCollector<T>::PeakCollector(const PeakSearch& search, std::int64_t n_slots)
    : search_(search), pitches_(static_cast<std::size_t>(n_slots)), magnitudes_(static_cast<std::size_t>(n_slots)) {
    check_peak_search(search);
}

template <class T>
PeakCollector<T>::~PeakCollector() = default;

template <class T>
void PeakCollector<T>::add_frame(std::int64_t slot, const T* p, std::int64_t stride, T frame_max) {
    const PeakSearch& s = search_;
    const std::int64_t last = s.n_bins - 1;
    const T ref = static_cast<T>(s.threshold) * frame_max;
    // z(k) = p(k) where it exceeds ref, else 0; beyond the ends, the edge value (numpy's
    // pad mode "edge" in librosa's localmax), so bin 0 is never a peak.
    auto z = [&](std::int64_t k) {
        const T v = p[std::clamp<std::int64_t>(k, 0, last) * stride];
        return v > ref ? v : T(0);
    };
    auto& pitches = pitches_[static_cast<std::size_t>(slot)];
    auto& magnitudes = magnitudes_[static_cast<std::size_t>(slot)];
    for (std::int64_t k = s.k0; k < s.k1; ++k) {
        const T centre = z(k);
        if (!(centre > z(k - 1) && centre >= z(k + 1))) continue;
        const T x0 = p[k * stride];
        const bool inner = k > 0 && k < last;
        const T below = inner ? p[(k - 1) * stride] : x0;
        const T above = inner ? p[(k + 1) * stride] : x0;
        // The parabola's vertex offset, in librosa's precisions: its sums in T, the ratio in double.
        const double a = static_cast<double>(above + below) - 2 * static_cast<double>(x0);
        const double b = static_cast<double>(above - below) / 2;
        const T shift = inner && !(std::abs(b) >= std::abs(a)) ? static_cast<T>(-b / a) : T(0);
        const T half_slope = (above - below) / T(2);
        const T scaled = T(0.5) * half_slope;
        magnitudes.push_back(x0 + scaled * shift);
        pitches.push_back(static_cast<T>((static_cast<double>(k) + static_cast<double>(shift)) * s.sr / s.n_fft));
    }
}

template <class T>
std::int64_t PeakCollector<T>::count(std::int64_t begin, std::int64_t end) const {
    std::int64_t n = 0;
    for (std::int64_t slot = begin; slot < end; ++slot) n += static_cast<std::int64_t>(pitches_[slot].size());
    return n;
}

template <class T>
void PeakCollector<T>::copy(std::int64_t begin, std::int64_t end, T* pitches, T* magnitudes) const {
    for (std::int64_t slot = begin; slot < end; ++slot) {
        pitches = std::copy(pitches_[slot].begin(), pitches_[slot].end(), pitches);
        magnitudes = std::copy(magnitudes_[slot].begin(), magnitudes_[slot].end(), magnitudes);
    }
}

template <class T>
void spectrogram_peaks(const T* S, std::int64_t rows, std::int64_t n_cols, PeakCollector<T>& peaks, int threads) {
    constexpr std::int64_t block = 64;  // columns whose maxima are taken in one sweep over the rows of S
    const std::int64_t n_bins = peaks.search().n_bins;
    const std::int64_t blocks_per_row = (n_cols + block - 1) / block;
    parallel_for(rows * blocks_per_row, threads, [&](std::int64_t task) {
        const std::int64_t row = task / blocks_per_row;
        const std::int64_t c0 = (task % blocks_per_row) * block;
        const std::int64_t width = std::min(block, n_cols - c0);
        const T* item = S + row * n_bins * n_cols + c0;
        T maxima[block];
        std::copy(item, item + width, maxima);
        for (std::int64_t k = 1; k < n_bins; ++k) {
            for (std::int64_t c = 0; c < width; ++c) maxima[c] = std::max(maxima[c], item[k * n_cols + c]);
        }
        for (std::int64_t c = 0; c < width; ++c) {
            peaks.add_frame(row * n_cols + c0, item + c, n_cols, maxima[c]);
        }
    });
}

template class PeakCollector<float>;
template class PeakCollector<double>;
template void spectrogram_peaks<float>(const float*, std::int64_t, std::int64_t, PeakCollector<float>&, int);
template void spectrogram_peaks<double>(const double*, std::int64_t, std::int64_t, PeakCollector<double>&, int);

}  // namespace fasttag
