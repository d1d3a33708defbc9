// Spectral peaks as librosa's piptrack finds them (the input of estimate_tuning): in each
// frame of a (magnitude or power) spectrum, the bins of a band that exceed threshold x the
// frame's maximum and are local maxima over frequency, refined by a parabola through the
// bin and its neighbours. Compiled once, without FMA contraction (peaks.cpp), so that
// pitches and magnitudes round exactly as librosa's numpy arithmetic does.
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
    // Appends the peaks of one frame to `slot`: p[k * stride] is bin k, frame_max the
    // largest of the frame's n_bins values.
    void add_frame(std::int64_t slot, const T* p, std::int64_t stride, T frame_max);
    // Number of peaks in slots [begin, end).
    std::int64_t count(std::int64_t begin, std::int64_t end) const;
    // Pitches (Hz) and magnitudes of slots [begin, end), in slot order.
    void copy(std::int64_t begin, std::int64_t end, T* pitches, T* magnitudes) const;

private:
    PeakSearch search_;
    std::vector<std::vector<T>> pitches_, magnitudes_;
};

// Peaks of every column of S (rows, n_bins, n_cols), slot r * n_cols + c0 per block of
// columns c0.. of row r.
template <class T>
void spectrogram_peaks(const T* S, std::int64_t rows, std::int64_t n_cols, PeakCollector<T>& peaks, int threads);

}  // namespace fasttag
