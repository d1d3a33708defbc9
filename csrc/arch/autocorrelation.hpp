// Windowed autocorrelation of frames (the tempogram's inner step), fused: frame -> window ->
// rfft(n_fft) -> |X|^2 -> a second real FFT of the even extension of |X|^2 (|X|^2 is real
// and even, so its inverse DFT is that forward transform / n_fft). Nothing between the two
// transforms leaves the frame block.
//
// Included inside an architecture namespace by kernels_impl.hpp, after spectral.hpp.

// Lanes of lags[0..n_lags) divided by their largest magnitude, lane by lane; a lane whose
// largest magnitude is below T's smallest normal number is left as it is (librosa's
// util.normalize with norm=inf, threshold=tiny, fill=None).
template <class T>
void divide_by_peak_magnitude(typename Simd<T>::V* lags, std::int64_t n_lags) {
    using V = typename Simd<T>::V;
    V peak{};
    for (std::int64_t l = 0; l < n_lags; ++l) {
        const V magnitude = lags[l] < T(0) ? -lags[l] : lags[l];
        peak = magnitude > peak ? magnitude : peak;
    }
    const V one = broadcast<T>(T(1));
    const V length = peak < std::numeric_limits<T>::min() ? one : peak;
    for (std::int64_t l = 0; l < n_lags; ++l) lags[l] = lags[l] / length;
}

// out[r, l, t] = sum_i (w x_t)[i] (w x_t)[i + l] for lags l < n_lags, where x_t is frame t of
// row r under `f` and w is `window` (n_fft long, zero past the autocorrelation window);
// with normalize_peak, each frame's lags divided by their largest magnitude.
// Exact (no circular wrap) when the nonzero window is at most n_fft - n_lags + 1 long.
template <class T>
void autocorrelation_kernel(const T* y, std::int64_t rows, const Framing& f, const T* window, std::int64_t n_lags,
                            bool normalize_peak, T* out, int threads) {
    using V = typename Simd<T>::V;
    const std::int64_t n = f.n_fft;
    require_positive(n_lags, "n_lags");
    require(n_lags <= n / 2 + 1, "n_lags=" + std::to_string(n_lags) + " must be at most n_fft//2 + 1 = " +
                                     std::to_string(n / 2 + 1));
    const RealPlan<T> plan(n);
    const T scale = T(1) / static_cast<T>(n);
    for_each_frame_block(y, rows, f, window, plan, threads,
        [&](std::int64_t row, std::int64_t f0, std::int64_t valid, CV<V>* a, CV<V>* b, V* power) {
            plan.run(a, b, [power](std::int64_t k, CV<V> x) { power[k] = x.re * x.re + x.im * x.im; });
            V* even = reinterpret_cast<V*>(a);  // the plan's packed real input, as gather_frames writes it
            for (std::int64_t t = 0; t < n; ++t) even[t] = power[std::min(t, n - t)];
            V* lags = power;  // n / 2 + 1 >= n_lags vectors, free once `even` is written
            plan.run(a, b, [&](std::int64_t lag, CV<V> x) {
                if (lag < n_lags) lags[lag] = x.re * scale;
            });
            if (normalize_peak) divide_by_peak_magnitude<T>(lags, n_lags);
            T* dest = out + row * n_lags * f.n_frames + f0;
            for (std::int64_t lag = 0; lag < n_lags; ++lag) store_lanes(dest + lag * f.n_frames, lags[lag], valid);
        });
}
