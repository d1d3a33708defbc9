// librosa piptrack's parabolic refinement of a peak (see peaks.hpp). Built with
// -ffp-contract=off: a fused multiply-add would round differently from numpy.
#include "peaks.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "checks.hpp"

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
void PeakCollector<T>::add_peak(std::int64_t slot, const T* p, std::int64_t stride, std::int64_t k) {
    const T x0 = p[k * stride];
    const bool inner = k > 0 && k < search_.n_bins - 1;
    const T below = inner ? p[(k - 1) * stride] : x0;
    const T above = inner ? p[(k + 1) * stride] : x0;
    // The parabola's vertex offset, in librosa's precisions: its sums in T, the ratio in double.
    const double a = static_cast<double>(above + below) - 2 * static_cast<double>(x0);
    const double b = static_cast<double>(above - below) / 2;
    const T shift = inner && !(std::abs(b) >= std::abs(a)) ? static_cast<T>(-b / a) : T(0);
    const T half_slope = (above - below) / T(2);
    const T scaled = T(0.5) * half_slope;
    magnitudes_[static_cast<std::size_t>(slot)].push_back(x0 + scaled * shift);
    const double bin = static_cast<double>(k) + static_cast<double>(shift);
    pitches_[static_cast<std::size_t>(slot)].push_back(static_cast<T>(bin * search_.sr / search_.n_fft));
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

template class PeakCollector<float>;
template class PeakCollector<double>;

}  // namespace fasttag
