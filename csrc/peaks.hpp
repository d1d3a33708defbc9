// Spectral peaks as librosa's piptrack finds them (the input of estimate_tuning): in each
// frame of a (magnitude or power) spectrum, the bins of a band that exceed threshold x the
// frame's maximum and are local maxima over frequency, refined by a parabola through the
// bin and its neighbours. The kernels find the peaks (arch/peaks.hpp, across lanes); the
// refinement is compiled once, without FMA contraction (peaks.cpp), so that pitches and
// magnitudes round exactly as librosa's numpy arithmetic does.
#pragma once

#include <cstdint>
#include <vector>

namespace fasttag {

struct PeakSearch {
    std::int64_t n_bins;  // bins per frame: n_fft // 2 + 1
    std::int64_t k0, k1;  // the searched band of bins [k0, k1)
    double threshold;     // a peak exceeds threshold x its frame's maximum
    double sr;            // Hz; a bin k + shift is (k + shift) sr / n_fft Hz
    double n_fft;         // the transform's length (samples)
};

// Throws std::invalid_argument unless 0 <= k0 <= k1 <= n_bins, n_bins >= 2, threshold is
// finite and sr and n_fft positive.
void check_peak_search(const PeakSearch& search);

// Peaks collected into slots (a slot per block of frames); different slots may be filled
// from different threads. Members are defined in peaks.cpp only, so that no architecture
// build instantiates the containers.
template <class T>
class PeakCollector {
public:
    PeakCollector(const PeakSearch& search, std::int64_t n_slots);
    ~PeakCollector();
    PeakCollector(const PeakCollector&) = delete;
    PeakCollector& operator=(const PeakCollector&) = delete;

    const PeakSearch& search() const { return search_; }
    // Appends the peak at bin k of a frame (p[i * stride] is bin i) to `slot`: its pitch
    // and magnitude from the parabola through bins k - 1, k, k + 1.
    void add_peak(std::int64_t slot, const T* p, std::int64_t stride, std::int64_t k);
    // Number of peaks in slots [begin, end).
    std::int64_t count(std::int64_t begin, std::int64_t end) const;
    // Pitches (Hz) and magnitudes of slots [begin, end), in slot order.
    void copy(std::int64_t begin, std::int64_t end, T* pitches, T* magnitudes) const;

private:
    PeakSearch search_;
    std::vector<std::vector<T>> pitches_, magnitudes_;
};

}  // namespace fasttag
