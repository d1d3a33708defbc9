// Spectral peak picking across lanes (librosa's piptrack; the refinement of each peak is
// PeakCollector::add_peak, peaks.hpp): from audio, fused with the STFT, or from the columns
// of a stored spectrogram.
//
// Included inside an architecture namespace by kernels_impl.hpp, after spectral.hpp.

// Whether any of the first `valid` lanes of a comparison mask is set.
template <class M>
inline bool any_lane(M mask, std::int64_t valid) {
    for (std::int64_t j = 0; j < valid; ++j) {
        if (mask[j]) return true;
    }
    return false;
}

// Adds to `slot` the peaks of lanes [0, valid) of a block of spectra (spectrum[k] lane j is
// bin k of frame j): bins k0 <= k < k1 above threshold x the frame's maximum whose value
// z(k) (the bin where above that reference, else 0) satisfies z(k) > z(k - 1) and
// z(k) >= z(k + 1), the edge bins repeated beyond the ends (librosa's localmax). Bins are
// visited in order, lanes in order within a bin.
template <class T>
void collect_block_peaks(const typename Simd<T>::V* spectrum, std::int64_t valid, std::int64_t slot,
                         PeakCollector<T>& peaks) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    const PeakSearch& s = peaks.search();
    if (s.k0 >= s.k1) return;
    V frame_max = spectrum[0];
    for (std::int64_t k = 1; k < s.n_bins; ++k) frame_max = spectrum[k] > frame_max ? spectrum[k] : frame_max;
    const V ref = broadcast<T>(static_cast<T>(s.threshold)) * frame_max;
    auto z = [&](std::int64_t k) {
        const V v = spectrum[std::clamp<std::int64_t>(k, 0, s.n_bins - 1)];
        return v > ref ? v : V{};
    };
    const T* values = reinterpret_cast<const T*>(spectrum);  // bin k of lane j at k * L + j
    V below = z(s.k0 - 1), centre = z(s.k0);
    for (std::int64_t k = s.k0; k < s.k1; ++k) {
        const V above = z(k + 1);
        const auto is_peak = (centre > below) & (centre >= above);
        if (any_lane(is_peak, valid)) {
            for (std::int64_t j = 0; j < valid; ++j) {
                if (is_peak[j]) peaks.add_peak(slot, values + j, L, k);
            }
        }
        below = centre;
        centre = above;
    }
}

// The peaks of |STFT|^power, frame by frame, without storing the spectrogram: the frames
// of a block go to slot row * n_frames + f0.
template <class T>
void spectral_peaks_kernel(const T* y, std::int64_t rows, const Framing& f, const T* window, double power,
                           PeakCollector<T>& peaks, int threads) {
    using V = typename Simd<T>::V;
    require(peaks.search().n_bins == f.n_fft / 2 + 1, "the peak search expects " +
                                                          std::to_string(peaks.search().n_bins) +
                                                          " bins, the frames give " + std::to_string(f.n_fft / 2 + 1));
    for_each_power_block(y, rows, f, window, power, threads,
        [&](std::int64_t row, std::int64_t f0, std::int64_t valid, const V* spectrum) {
            collect_block_peaks<T>(spectrum, valid, row * f.n_frames + f0, peaks);
        });
}

// The peaks of every column of S (rows, n_bins, n_cols): the columns c0.. of a block of
// row r go to slot r * n_cols + c0.
template <class T>
void spectrogram_peaks_kernel(const T* S, std::int64_t rows, std::int64_t n_cols, PeakCollector<T>& peaks,
                              int threads) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    const std::int64_t n_bins = peaks.search().n_bins;
    const std::int64_t blocks_per_row = (n_cols + L - 1) / L;
    for_each_chunk(rows * blocks_per_row, threads, [&](std::int64_t begin, std::int64_t end) {
        Array<V> columns(n_bins);
        for (std::int64_t block = begin; block < end; ++block) {
            const std::int64_t row = block / blocks_per_row;
            const std::int64_t c0 = (block % blocks_per_row) * L;
            const std::int64_t valid = std::min<std::int64_t>(L, n_cols - c0);
            load_columns(S + row * n_bins * n_cols + c0, n_bins, n_cols, valid, columns.data());  // zero lanes: no peaks
            collect_block_peaks<T>(columns.data(), valid, row * n_cols + c0, peaks);
        }
    });
}
