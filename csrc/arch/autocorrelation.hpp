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
    const auto plan = shared_real_plan<T>(n);
    const T scale = T(1) / static_cast<T>(n);
    for_each_frame_block(y, rows, f, window, *plan, threads,
        [&](std::int64_t row, std::int64_t f0, std::int64_t valid, CV<V>* a, CV<V>* b, V* power) {
            plan->run(a, b, [power](std::int64_t k, CV<V> x) { power[k] = x.re * x.re + x.im * x.im; });
            V* even = reinterpret_cast<V*>(a);  // the plan's packed real input, as gather_frames writes it
            for (std::int64_t t = 0; t < n; ++t) even[t] = power[std::min(t, n - t)];
            V* lags = power;  // n / 2 + 1 >= n_lags vectors, free once `even` is written
            plan->run(a, b, [&](std::int64_t lag, CV<V> x) {
                if (lag < n_lags) lags[lag] = x.re * scale;
            });
            if (normalize_peak) divide_by_peak_magnitude<T>(lags, n_lags);
            T* dest = out + row * n_lags * f.n_frames + f0;
            for (std::int64_t lag = 0; lag < n_lags; ++lag) store_lanes(dest + lag * f.n_frames, lags[lag], valid);
        });
}

// Windowed autocorrelation at hop 1 without FFTs, for windows that are short cosine sums
// (Hann, Hamming, Blackman, boxcar): with w[i] = sum_{|k|<K} beta_k e^{j k theta i} and
// theta = 2 pi / N (N = n_lags, the frame length), w[i] w[i + l] = sum_m gamma_m(l) e^{j m theta i}
// over |m| <= 2K - 2, so for p_l(j) = x[j] x[j + l] and M = N - l
//   r_t(l) = sum_{i<M} w[i] w[i+l] p_l(t+i) = Re sum_{m>=0} g_m(l) e^{-j m theta t} (Q_m(t+M) - Q_m(t)),
//   Q_m(n) = sum_{j<n} e^{j m theta j} p_l(j),  g_0 = gamma_0, g_m = 2 gamma_m for m >= 1,
// which is r_t(l) = G_l(t + M) - F_l(t) with U_m(n) = e^{-j m theta n} Q_m(n),
//   F_l(n) = Re sum_m g_m U_m(n),   G_l(n) = Re sum_m g_m e^{-j m theta l} U_m(n).
// The running sums go across lags (one lag per lane) in float64, restarting at each block of
// frames; the cost per output is a few vector operations, against two FFTs per frame. The price:
// an absolute error of about eps x the block's sum of |p|, not the frame's (frames that hold only
// zeros are set to exact zeros). A block is 8 windows long (64 to 2,048 frames), so a column's
// error is about eps x the sum over its window and the 8 around it; a restart costs N frames.

// Coefficients of one vector of lags l0.. for Terms values of m: g_m(l) and g_m(l) e^{-j m theta l}.
template <int Terms>
struct LagCoefficients {
    using VD = typename Simd<double>::V;
    VD g_re[Terms], g_im[Terms], h_re[Terms], h_im[Terms];

    // gamma (n_lags, Terms, 2); roots e^{-j theta k} for k < n_lags; lanes past n_lags get zeros.
    LagCoefficients(const double* gamma, std::int64_t n_lags, std::int64_t l0, const double* root_re,
                    const double* root_im) {
        for (int m = 0; m < Terms; ++m) {
            for (std::int64_t q = 0; q < Simd<double>::lanes; ++q) {
                const std::int64_t l = l0 + q;
                const double re = l < n_lags ? gamma[2 * (l * Terms + m)] : 0.0;
                const double im = l < n_lags ? gamma[2 * (l * Terms + m) + 1] : 0.0;
                const std::int64_t k = (m * (l % n_lags)) % n_lags;
                g_re[m][q] = re;
                g_im[m][q] = im;
                h_re[m][q] = re * root_re[k] - im * root_im[k];
                h_im[m][q] = re * root_im[k] + im * root_re[k];
            }
        }
    }
};

// F_l(n) and G_l(n) for n in [0, n_end] of the lags l0.. (one per lane): x holds the block's samples
// from frame t0 on (zeros past the signal), phase0[m] = (m t0) mod n_lags.
template <int Terms>
void lag_running_sums(const double* x, std::int64_t n_end, std::int64_t l0, std::int64_t n_lags,
                      const LagCoefficients<Terms>& c, const std::int64_t* phase0, const double* root_re,
                      const double* root_im, typename Simd<double>::V* f_sums, typename Simd<double>::V* g_sums) {
    using VD = typename Simd<double>::V;
    VD q_re[Terms] = {}, q_im[Terms] = {};
    std::int64_t phase[Terms], step[Terms];  // (m (t0 + n)) mod n_lags and m mod n_lags
    for (int m = 0; m < Terms; ++m) {
        phase[m] = phase0[m];
        step[m] = m % n_lags;
    }
    for (std::int64_t n = 0;; ++n) {
        VD f = c.g_re[0] * q_re[0], g = f;
        for (int m = 1; m < Terms; ++m) {
            const double root_r = root_re[phase[m]], root_i = root_im[phase[m]];  // e^{-j m theta (t0 + n)}
            const VD u_re = root_r * q_re[m] - root_i * q_im[m];
            const VD u_im = root_r * q_im[m] + root_i * q_re[m];
            f += c.g_re[m] * u_re - c.g_im[m] * u_im;
            g += c.h_re[m] * u_re - c.h_im[m] * u_im;
        }
        f_sums[n] = f;
        g_sums[n] = g;
        if (n == n_end) return;
        const VD p = x[n] * load_unaligned(x + n + l0);
        q_re[0] += p;
        for (int m = 1; m < Terms; ++m) {  // += e^{+j m theta (t0 + n)} p
            q_re[m] += root_re[phase[m]] * p;
            q_im[m] -= root_im[phase[m]] * p;
            phase[m] += step[m];
            if (phase[m] >= n_lags) phase[m] -= n_lags;
        }
    }
}

// Zeros every lag of the frames [s, s + n_lags) of x that hold only zeros (tile: n_lags rows of
// `stride`, frames [0, frames)). Their running sums cancel to rounding residues instead of 0,
// and a residue divided by its peak would be garbage.
template <class T>
void zero_silent_frames(const double* x, std::int64_t frames, std::int64_t n_lags, T* tile, std::int64_t stride,
                        std::int64_t* nonzero_before) {
    nonzero_before[0] = 0;
    for (std::int64_t u = 0; u < frames + n_lags - 1; ++u) nonzero_before[u + 1] = nonzero_before[u] + (x[u] != 0.0);
    for (std::int64_t s = 0; s < frames; ++s) {
        if (nonzero_before[s + n_lags] != nonzero_before[s]) continue;
        for (std::int64_t l = 0; l < n_lags; ++l) tile[l * stride + s] = T(0);
    }
}

// Each frame's lags (n_lags rows of `stride` in `tile`, frames [0, frames)) divided by their
// largest magnitude; frames whose largest is below T's smallest normal number are left as they are.
template <class T>
void divide_frames_by_peak(T* tile, std::int64_t n_lags, std::int64_t stride, std::int64_t frames, T* peak) {
    for (std::int64_t s = 0; s < frames; ++s) peak[s] = T(0);
    for (std::int64_t l = 0; l < n_lags; ++l) {
        const T* lags = tile + l * stride;
        for (std::int64_t s = 0; s < frames; ++s) peak[s] = std::max(peak[s], std::abs(lags[s]));
    }
    for (std::int64_t s = 0; s < frames; ++s) {
        if (peak[s] < std::numeric_limits<T>::min()) peak[s] = T(1);
    }
    for (std::int64_t l = 0; l < n_lags; ++l) {
        T* lags = tile + l * stride;
        for (std::int64_t s = 0; s < frames; ++s) lags[s] = lags[s] / peak[s];
    }
}

// Columns whose running sums may have lost digits are summed directly (O(N^2) each): those where
// eps x the block's sum of x^2 up to the column's end, times a margin, exceeds `tolerance` x the
// column's lag 0 (its windowed energy). On an envelope of orders-of-magnitude range, the quiet
// columns after a loud part of the block; on ordinary envelopes (an onset strength is exactly 0
// where the log-mel is flat), none.
template <class T>
void resum_imprecise_frames(const double* x, std::int64_t frames, std::int64_t N, const double* window,
                            double* squares, double* windowed, T* tile, std::int64_t stride) {
    const double tolerance = sizeof(T) == 4 ? 1e-9 : 1e-12;
    const double margin = 16.0 * std::numeric_limits<double>::epsilon();
    squares[0] = 0.0;
    for (std::int64_t u = 0; u < frames + N - 1; ++u) squares[u + 1] = squares[u] + x[u] * x[u];
    for (std::int64_t s = 0; s < frames; ++s) {
        if (margin * squares[s + N] <= tolerance * std::abs(static_cast<double>(tile[s]))) continue;
        if (squares[s + N] == squares[s]) continue;  // a window of zeros: zero_silent_frames makes it exact
        for (std::int64_t i = 0; i < N; ++i) windowed[i] = window[i] * x[s + i];
        for (std::int64_t l = 0; l < N; ++l) {
            double sum = 0.0;
            for (std::int64_t i = 0; i < N - l; ++i) sum += windowed[i] * windowed[i + l];
            tile[l * stride + s] = static_cast<T>(sum);
        }
    }
}

// out[r, l, t] = sum_i w[i] w[i+l] y[r, t+i] y[r, t+i+l] for frames of n_lags samples at hop 1;
// `gamma` (n_lags, Terms, 2) holds g_m(l) as (re, im), `window` w itself (for the direct sums).
template <class T, int Terms>
void cosine_autocorrelation_terms(const T* y, std::int64_t rows, std::int64_t n_samples, std::int64_t n_frames,
                                  std::int64_t n_lags, const double* gamma, const double* window,
                                  bool normalize_peak, T* out, int threads) {
    using VD = typename Simd<double>::V;
    constexpr std::int64_t lanes = Simd<double>::lanes;
    const std::int64_t block = std::clamp<std::int64_t>(8 * n_lags, 64, 2048);  // frames per task: see above
    const std::int64_t N = n_lags;
    Array<double> root_re, root_im;  // e^{-j theta k}, k < N
    fill_unit_roots(N, N, root_re, root_im);
    const std::int64_t blocks_per_row = (n_frames + block - 1) / block;
    std::atomic<bool> finite{true};
    for_each_chunk(rows * blocks_per_row, threads, [&](std::int64_t begin, std::int64_t end) {
        Array<double> x(block + N + lanes);
        Array<VD> f_sums(block + N + 1), g_sums(block + N + 1);
        Array<T> peak(block);
        Array<std::int64_t> nonzero_before(block + N);
        Array<double> squares(block + N), windowed(N);
        for (std::int64_t task = begin; task < end; ++task) {
            const std::int64_t row = task / blocks_per_row;
            const std::int64_t t0 = (task % blocks_per_row) * block;
            const std::int64_t frames = std::min(block, n_frames - t0);
            const T* samples = y + row * n_samples + t0;
            const std::int64_t n_read = std::min(frames + N - 1, n_samples - t0);
            bool ok = true;
            for (std::int64_t u = 0; u < n_read; ++u) {
                x[u] = static_cast<double>(samples[u]);
                ok = ok && std::isfinite(x[u]);
            }
            for (std::int64_t u = n_read; u < x.size(); ++u) x[u] = 0.0;
            if (!ok) finite = false;
            std::int64_t phase0[Terms];
            for (int m = 0; m < Terms; ++m) phase0[m] = (m * (t0 % N)) % N;
            for (std::int64_t l0 = 0; l0 < N; l0 += lanes) {
                const LagCoefficients<Terms> c(gamma, N, l0, root_re.data(), root_im.data());
                lag_running_sums<Terms>(x.data(), frames + N - l0, l0, N, c, phase0, root_re.data(), root_im.data(),
                                        f_sums.data(), g_sums.data());
                for (std::int64_t q = 0; q < lanes && l0 + q < N; ++q) {
                    const std::int64_t l = l0 + q;
                    T* dest = out + (row * N + l) * n_frames + t0;
                    for (std::int64_t s = 0; s < frames; ++s) {
                        dest[s] = static_cast<T>(g_sums[s + N - l][q] - f_sums[s][q]);
                    }
                }
            }
            T* tile = out + row * N * n_frames + t0;
            resum_imprecise_frames(x.data(), frames, N, window, squares.data(), windowed.data(), tile, n_frames);
            zero_silent_frames(x.data(), frames, N, tile, n_frames, nonzero_before.data());
            if (normalize_peak) divide_frames_by_peak(tile, N, n_frames, frames, peak.data());
        }
    });
    require(finite, "y contains NaN or infinite values");
}

template <class T>
void cosine_autocorrelation_kernel(const T* y, std::int64_t rows, std::int64_t n_samples, std::int64_t n_frames,
                                   std::int64_t n_lags, const double* gamma, std::int64_t n_terms,
                                   const double* window, bool normalize_peak, T* out, int threads) {
    require_positive(n_lags, "n_lags");
    require_positive(n_frames, "n_frames");
    require(n_samples >= n_frames + n_lags - 1, "n_samples=" + std::to_string(n_samples) +
                                                    " must be at least n_frames + n_lags - 1 = " +
                                                    std::to_string(n_frames + n_lags - 1));
    switch (n_terms) {
        case 1:
            return cosine_autocorrelation_terms<T, 1>(y, rows, n_samples, n_frames, n_lags, gamma, window,
                                                      normalize_peak, out, threads);
        case 3:
            return cosine_autocorrelation_terms<T, 3>(y, rows, n_samples, n_frames, n_lags, gamma, window,
                                                      normalize_peak, out, threads);
        case 5:
            return cosine_autocorrelation_terms<T, 5>(y, rows, n_samples, n_frames, n_lags, gamma, window,
                                                      normalize_peak, out, threads);
        default: throw std::invalid_argument("n_terms=" + std::to_string(n_terms) + " must be 1, 3 or 5");
    }
}
