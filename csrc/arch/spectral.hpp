// Frame-based kernels over a batch of signals: framing with padding, windowing, the
// real FFT, and what consumes each block of spectra (complex STFT, power, sparse mel
// projection, decibels). Work is split into blocks of `lanes` consecutive frames of one
// signal; a block is always computed the same way, so results do not depend on the
// number of threads.
//
// Included inside an architecture namespace by kernels_impl.hpp.

// Calls chunk(begin, end) over [0, n_items) split into contiguous chunks, in parallel.
template <class Chunk>
void for_each_chunk(std::int64_t n_items, int threads, const Chunk& chunk) {
    if (n_items <= 0) return;
    const std::int64_t n_chunks = threads <= 1 ? 1 : std::min<std::int64_t>(n_items, 8 * static_cast<std::int64_t>(threads));
    parallel_for(n_chunks, threads, [&](std::int64_t c) {
        const std::int64_t begin = n_items * c / n_chunks;
        const std::int64_t end = n_items * (c + 1) / n_chunks;
        if (begin < end) chunk(begin, end);
    });
}

// Sample u of a signal of length n, extended beyond its ends by the pad mode.
template <class T>
inline T padded_sample(const T* row, std::int64_t n, std::int64_t u, PadMode mode) {
    if (u >= 0 && u < n) return row[u];
    switch (mode) {
        case PadMode::edge:
            return row[u < 0 ? 0 : n - 1];
        case PadMode::reflect: {
            if (n == 1) return row[0];
            const std::int64_t period = 2 * (n - 1);
            std::int64_t r = u % period;
            if (r < 0) r += period;
            return row[r < n ? r : period - r];
        }
        default:
            return T(0);
    }
}

// Sets lanes [first, L) of x[0..n) to zero.
template <class V>
void zero_lanes_from(std::int64_t first, V* x, std::int64_t n) {
    constexpr int L = sizeof(V) / sizeof(x[0][0]);
    V keep{};
    for (int j = 0; j < L; ++j) keep[j] = j < first ? 1 : 0;
    for (std::int64_t t = 0; t < n; ++t) x[t] = keep != 0 ? x[t] : V{};
}

// x[t] lane j = scale[t] * src[j][t] for t < n, j < valid (src[j][t] if scale is null);
// lanes from valid on are zero. Loads L x L tiles and transposes them in registers.
// `poison` accumulates 0 * sample: it stays zero unless a sample is NaN or infinite.
template <class T>
void load_transposed(const T* const* src, std::int64_t valid, std::int64_t n, const T* scale,
                     typename Simd<T>::V* x, typename Simd<T>::V& poison) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    const T* rows[L];  // lanes past valid read frame 0 and are zeroed at the end
    for (int j = 0; j < L; ++j) rows[j] = src[j < valid ? j : 0];
    // Kept in registers, not in `poison` (which x may alias), as four chains: one chain of
    // dependent additions would bound the loop by their latency.
    V checks[4] = {poison, V{}, V{}, V{}};
    std::int64_t t = 0;
    for (; t + L <= n; t += L) {
        V tile[L];
        for (int j = 0; j < L; ++j) tile[j] = load_unaligned(rows[j] + t);
        for (int j = 0; j < L; ++j) checks[j % 4] += tile[j] * T(0);
        transpose_lanes(tile);
        for (int i = 0; i < L; ++i) x[t + i] = scale ? tile[i] * scale[t + i] : tile[i];
    }
    for (; t < n; ++t) {
        V v{};
        for (std::int64_t j = 0; j < valid; ++j) v[j] = rows[j][t];
        checks[0] += v * T(0);
        x[t] = scale ? v * scale[t] : v;
    }
    poison = (checks[0] + checks[1]) + (checks[2] + checks[3]);
    if (valid < L) zero_lanes_from(valid, x, n);
}

// x[t] lane j = window[t] * sample (f0 + j) * hop - pad + t of `row`; lanes past the
// last frame are zero.
template <class T>
void gather_frames(const T* row, const Framing& f, const T* window, std::int64_t f0, typename Simd<T>::V* x,
                   typename Simd<T>::V& poison) {
    constexpr int L = Simd<T>::lanes;
    const std::int64_t valid = std::min<std::int64_t>(L, f.n_frames - f0);
    const std::int64_t first = f0 * f.hop - f.pad;
    const std::int64_t last_end = (f0 + valid - 1) * f.hop - f.pad + f.n_fft;
    if (first >= 0 && last_end <= f.n_samples) {
        const T* starts[L];
        for (std::int64_t j = 0; j < valid; ++j) starts[j] = row + first + j * f.hop;
        load_transposed(starts, valid, f.n_fft, window, x, poison);
        return;
    }
    for (std::int64_t t = 0; t < f.n_fft; ++t) x[t] = typename Simd<T>::V{};
    for (std::int64_t j = 0; j < valid; ++j) {
        const std::int64_t start = first + j * f.hop;
        for (std::int64_t t = 0; t < f.n_fft; ++t) {
            const T sample = padded_sample(row, f.n_samples, start + t, f.pad_mode);
            poison[j] += sample * T(0);
            x[t][j] = window[t] * sample;
        }
    }
}

// Whether every lane is finite (a NaN or infinite sample turns 0 * sample into NaN).
template <class V>
inline bool lanes_finite(V poison) {
    for (int j = 0; j < static_cast<int>(sizeof(V) / sizeof(poison[0])); ++j) {
        if (poison[j] != poison[j]) return false;
    }
    return true;
}

// Whether the samples that no frame reads (a tail shorter than a hop, or gaps when
// hop > n_fft) are finite too: garbage in y is an error wherever it sits.
template <class T>
bool unread_samples_finite(const T* y, std::int64_t rows, const Framing& f) {
    auto finite = [](const T* begin, const T* end) {
        for (const T* p = begin; p < end; ++p) {
            if (!std::isfinite(*p)) return false;
        }
        return true;
    };
    for (std::int64_t row = 0; row < rows; ++row) {
        const T* signal = y + row * f.n_samples;
        std::int64_t covered = 0;  // samples [0, covered) are read by some frame
        for (std::int64_t frame = 0; frame < f.n_frames && covered < f.n_samples; ++frame) {
            const std::int64_t start = frame * f.hop - f.pad;
            if (start > covered && !finite(signal + covered, signal + std::min(start, f.n_samples))) return false;
            covered = std::max(covered, start + f.n_fft);
        }
        if (covered < f.n_samples && !finite(signal + covered, signal + f.n_samples)) return false;
    }
    return true;
}

// Runs consume(row, f0, valid, a, b, bins) for every block of frames of every row, where
// a and b are the plan's work buffers, a holding the packed windowed frames (lane j =
// frame f0 + j), and bins is scratch for n_fft/2 + 1 lane vectors; consume runs the plan.
// Throws (after the work) if y holds a NaN or infinite sample.
template <class T, class Consume>
void for_each_frame_block(const T* y, std::int64_t rows, const Framing& f, const T* window,
                          const RealPlan<T>& plan, int threads, const Consume& consume) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    check_framing(f);
    const std::int64_t blocks_per_row = (f.n_frames + L - 1) / L;
    std::atomic<bool> finite{unread_samples_finite(y, rows, f)};
    for_each_chunk(rows * blocks_per_row, threads, [&](std::int64_t begin, std::int64_t end) {
        Array<CV<V>> a(plan.buffer_size()), b(plan.buffer_size());
        Array<V> bins(plan.n_bins());
        V poison{};
        for (std::int64_t block = begin; block < end; ++block) {
            const std::int64_t row = block / blocks_per_row;
            const std::int64_t f0 = (block % blocks_per_row) * L;
            gather_frames(y + row * f.n_samples, f, window, f0, reinterpret_cast<V*>(a.data()), poison);
            consume(row, f0, std::min<std::int64_t>(L, f.n_frames - f0), a.data(), b.data(), bins.data());
        }
        if (!lanes_finite(poison)) finite = false;
    });
    require(finite, "y contains NaN or infinite values");
}

// Stores lanes [0, valid) of v at out[0..valid).
template <class T>
inline void store_lanes(T* out, typename Simd<T>::V v, std::int64_t valid) {
    if (valid == Simd<T>::lanes) {
        store_unaligned(out, v);
    } else {
        for (std::int64_t j = 0; j < valid; ++j) out[j] = v[j];
    }
}

// The nonzero column range of each row of a (n_out, n_in) matrix: a mel triangle
// touches a few bins only.
struct Span {
    std::int64_t begin = 0, end = 0;
};

// Whether w[0..kZeroChunk) are all +0 or -0: their bits but the sign ORed together, a loop the
// compiler turns into vector ORs (an element-by-element scan of a 96 x 257 mel basis took about
// 10 us per call, a fifth of a one-second clip's log-mel).
constexpr std::int64_t kZeroChunk = 16;

template <class T>
bool zero_chunk(const T* w) {
    using Bits = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
    Bits any = 0;
    for (std::int64_t i = 0; i < kZeroChunk; ++i) {
        Bits bits;
        std::memcpy(&bits, w + i, sizeof(T));
        any |= bits;
    }
    return (any << 1) == 0;  // the sign bit shifted out
}

template <class T>
Array<Span> nonzero_spans(const T* basis, std::int64_t n_out, std::int64_t n_in) {
    Array<Span> spans(n_out);
    for (std::int64_t m = 0; m < n_out; ++m) {
        const T* w = basis + m * n_in;
        std::int64_t begin = 0, end = n_in;
        while (begin + kZeroChunk <= n_in && zero_chunk(w + begin)) begin += kZeroChunk;
        while (begin < n_in && w[begin] == T(0)) ++begin;
        while (end - kZeroChunk >= begin && zero_chunk(w + end - kZeroChunk)) end -= kZeroChunk;
        while (end > begin && w[end - 1] == T(0)) --end;
        spans[m] = Span{begin, end};
    }
    return spans;
}

// out = basis[m, span] . in[span], lane by lane.
template <class T>
inline typename Simd<T>::V project_row(const T* w, Span span, const typename Simd<T>::V* in) {
    // Four running sums: a long (dense) row is not one chain of dependent additions.
    typename Simd<T>::V acc[4] = {};
    std::int64_t k = span.begin;
    for (; k + 4 <= span.end; k += 4) {
        for (int i = 0; i < 4; ++i) acc[i] += w[k + i] * in[k + i];
    }
    for (; k < span.end; ++k) acc[0] += w[k] * in[k];
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

// p^(power/2) per lane, for p = |X|^2 (power 2 leaves p as it is). The square root of
// power 1 is a plain loop that the compiler vectorizes (-fno-math-errno).
template <class T>
inline void raise_power(typename Simd<T>::V* p, std::int64_t n, T power) {
    if (power == T(2)) return;
    T* values = reinterpret_cast<T*>(p);
    const std::int64_t count = n * Simd<T>::lanes;
    if (power == T(1)) {
        for (std::int64_t i = 0; i < count; ++i) values[i] = std::sqrt(values[i]);
    } else {
        for (std::int64_t i = 0; i < count; ++i) values[i] = std::pow(values[i], power / 2);
    }
}

// Throws unless amin is a normal number of T: the float32 logarithm below holds for normal numbers
// only, so a smaller amin is refused rather than clamped, and a larger one than T's largest is inf in T.
template <class T>
void check_amin(const Decibels& db) {
    const char* type = sizeof(T) == 4 ? "float32" : "float64";
    if (!(db.amin >= static_cast<double>(std::numeric_limits<T>::min()))) {
        std::ostringstream message;
        message << "amin=" << db.amin << " is below the smallest normal " << type << " number "
                << std::numeric_limits<T>::min() << ": give float64 input for such a floor";
        throw std::invalid_argument(message.str());
    }
    if (!(db.amin <= static_cast<double>(std::numeric_limits<T>::max()))) {
        std::ostringstream message;
        message << "amin=" << db.amin << " is above the largest " << type << " number "
                << std::numeric_limits<T>::max() << ": give float64 input for such a floor";
        throw std::invalid_argument(message.str());
    }
}

// 10 log10(max(amin, x)) - ref_db per lane, amin passed by check_amin. A power beyond T's largest
// finite number (an overflowed |X|^2, or inf * 0 = NaN in a projection) stays inf or NaN: the
// polynomial log would read its exponent bits as a finite number.
template <class T>
inline typename Simd<T>::V to_db_lanes(typename Simd<T>::V x, const Decibels& db) {
    using V = typename Simd<T>::V;
    const T amin = static_cast<T>(db.amin);
    x = x < amin ? broadcast<T>(amin) : x;
    const V finite_db = decibels(x) - static_cast<T>(db.ref_db);
    return x <= broadcast<T>(std::numeric_limits<T>::max()) ? finite_db : x;
}

// In place: data[i] = max(data[i], max(data) - top_db) over each row.
template <class T>
void clip_rows_to_top_db(T* data, std::int64_t rows, std::int64_t row_size, double top_db, int threads) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    const std::int64_t body = row_size / L * L;
    for_each_chunk(rows, threads, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end; ++row) {
            T* values = data + row * row_size;
            V peaks = broadcast<T>(-std::numeric_limits<T>::infinity());
            for (std::int64_t i = 0; i < body; i += L) {
                const V v = load_unaligned(values + i);
                peaks = v > peaks ? v : peaks;
            }
            T peak = horizontal_max<T>(peaks);
            for (std::int64_t i = body; i < row_size; ++i) peak = std::max(peak, values[i]);
            const T floor_value = peak - static_cast<T>(top_db);
            const V floor = broadcast<T>(floor_value);
            for (std::int64_t i = 0; i < body; i += L) {
                const V v = load_unaligned(values + i);
                store_unaligned(values + i, v < floor ? floor : v);
            }
            for (std::int64_t i = body; i < row_size; ++i) values[i] = std::max(values[i], floor_value);
        }
    });
}

template <class T>
void stft_kernel(const T* y, std::int64_t rows, const Framing& f, const T* window, T* out, int threads) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    const std::int64_t n_bins = f.n_fft / 2 + 1;
    const auto plan = shared_real_plan<T>(f.n_fft);
    for_each_frame_block(y, rows, f, window, *plan, threads,
        [&](std::int64_t row, std::int64_t f0, std::int64_t valid, CV<V>* a, CV<V>* b, V*) {
            const CV<V>* spectrum = plan->run(a, b);
            for (std::int64_t k = 0; k < n_bins; ++k) {
                T* dest = out + 2 * ((row * n_bins + k) * f.n_frames + f0);
                if (valid == L) {  // frames f0.. are contiguous: interleave re, im and store
                    V lo, hi;
                    interleave(spectrum[k].re, spectrum[k].im, lo, hi);
                    store_unaligned(dest, lo);
                    store_unaligned(dest + L, hi);
                } else {
                    for (std::int64_t j = 0; j < valid; ++j) {
                        dest[2 * j] = spectrum[k].re[j];
                        dest[2 * j + 1] = spectrum[k].im[j];
                    }
                }
            }
        });
}

// Runs consume(row, f0, valid, spectrum) for every block of frames of every row, where
// spectrum[k] lane j is |X_k|^power of frame f0 + j (n_fft/2 + 1 lane vectors).
template <class T, class Consume>
void for_each_power_block(const T* y, std::int64_t rows, const Framing& f, const T* window, double power,
                          int threads, const Consume& consume) {
    using V = typename Simd<T>::V;
    require(power > 0, "power must be positive");
    const std::int64_t n_bins = f.n_fft / 2 + 1;
    const auto plan = shared_real_plan<T>(f.n_fft);
    const T exponent = static_cast<T>(power);
    for_each_frame_block(y, rows, f, window, *plan, threads,
        [&](std::int64_t row, std::int64_t f0, std::int64_t valid, CV<V>* a, CV<V>* b, V* spectrum) {
            plan->run(a, b, [spectrum](std::int64_t k, CV<V> x) { spectrum[k] = x.re * x.re + x.im * x.im; });
            raise_power<T>(spectrum, n_bins, exponent);
            consume(row, f0, valid, spectrum);
        });
}

// Mel spectrogram (|STFT|^power projected on the basis), optionally in decibels.
template <class T>
void melspectrogram_kernel(const T* y, std::int64_t rows, const Framing& f, const T* window, const T* basis,
                           std::int64_t n_mels, double power, const Decibels* db, T* out, int threads) {
    using V = typename Simd<T>::V;
    const std::int64_t n_bins = f.n_fft / 2 + 1;
    require_positive(n_mels, "n_mels");
    if (db) check_amin<T>(*db);
    const Array<Span> spans = nonzero_spans(basis, n_mels, n_bins);
    for_each_power_block(y, rows, f, window, power, threads,
        [&](std::int64_t row, std::int64_t f0, std::int64_t valid, const V* power_spectrum) {
            T* dest = out + row * n_mels * f.n_frames + f0;
            for (std::int64_t m = 0; m < n_mels; ++m) {
                V acc = project_row(basis + m * n_bins, spans[m], power_spectrum);
                if (db) acc = to_db_lanes<T>(acc, *db);
                store_lanes(dest + m * f.n_frames, acc, valid);
            }
        });
    if (db && db->clip) clip_rows_to_top_db(out, rows, n_mels * f.n_frames, db->top_db, threads);
}

// out[k] lane j = src[k * n_cols + j] for k < n_rows, j < valid; lanes from valid on are zero.
template <class T>
void load_columns(const T* src, std::int64_t n_rows, std::int64_t n_cols, std::int64_t valid,
                  typename Simd<T>::V* out) {
    using V = typename Simd<T>::V;
    for (std::int64_t k = 0; k < n_rows; ++k) {
        if (valid == Simd<T>::lanes) {
            out[k] = load_unaligned(src + k * n_cols);
        } else {
            out[k] = V{};
            for (std::int64_t j = 0; j < valid; ++j) out[k][j] = src[k * n_cols + j];
        }
    }
}

// out[r, m, t] = sum_k basis[m, k] x[r, k, t]: a (n_out, n_in) matrix applied to each
// column of each (n_in, n_cols) item; zero runs at the ends of basis rows are skipped.
template <class T>
void project_kernel(const T* basis, std::int64_t n_out, std::int64_t n_in, const T* x, std::int64_t rows,
                    std::int64_t n_cols, T* out, int threads) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    require_positive(n_out, "n_out");
    require_positive(n_in, "n_in");
    require_positive(n_cols, "n_cols");
    const Array<Span> spans = nonzero_spans(basis, n_out, n_in);
    const std::int64_t blocks_per_row = (n_cols + L - 1) / L;
    for_each_chunk(rows * blocks_per_row, threads, [&](std::int64_t begin, std::int64_t end) {
        Array<V> column(n_in);
        for (std::int64_t block = begin; block < end; ++block) {
            const std::int64_t row = block / blocks_per_row;
            const std::int64_t t0 = (block % blocks_per_row) * L;
            const std::int64_t valid = std::min<std::int64_t>(L, n_cols - t0);
            load_columns(x + row * n_in * n_cols + t0, n_in, n_cols, valid, column.data());
            T* dest = out + row * n_out * n_cols + t0;
            for (std::int64_t m = 0; m < n_out; ++m) {
                store_lanes(dest + m * n_cols, project_row(basis + m * n_in, spans[m], column.data()), valid);
            }
        }
    });
}

// out = 10 log10(max(amin, x)) - ref_db, then (if db.clip) floored at each row's peak - top_db.
template <class T>
void decibels_kernel(const T* x, std::int64_t rows, std::int64_t row_size, const Decibels& db, T* out, int threads) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    check_amin<T>(db);
    const std::int64_t n = rows * row_size;
    const std::int64_t n_blocks = (n + L - 1) / L;
    for_each_chunk(n_blocks, threads, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t block = begin; block < end; ++block) {
            const std::int64_t i = block * L;
            const std::int64_t valid = std::min<std::int64_t>(L, n - i);
            V v = broadcast<T>(T(1));
            if (valid == L) {
                v = load_unaligned(x + i);
            } else {
                for (std::int64_t j = 0; j < valid; ++j) v[j] = x[i + j];
            }
            store_lanes(out + i, to_db_lanes<T>(v, db), valid);
        }
    });
    if (db.clip) clip_rows_to_top_db(out, rows, row_size, db.top_db, threads);
}

// Row j < valid of out (rows of n_bins interleaved complex values) = lane j of spectrum.
// Groups of L/2 bins (L re/im vectors) are transposed in registers: row j of the tile is
// then exactly its L interleaved output values.
template <class V, class T>
void store_rows_interleaved(const CV<V>* spectrum, std::int64_t n_bins, std::int64_t valid, T* out) {
    constexpr int L = Simd<T>::lanes;
    std::int64_t k = 0;
    for (; k + L / 2 <= n_bins; k += L / 2) {
        V tile[L];
        for (int i = 0; i < L / 2; ++i) {
            tile[2 * i] = spectrum[k + i].re;
            tile[2 * i + 1] = spectrum[k + i].im;
        }
        transpose_lanes(tile);
        if (valid == L) {  // a constant bound: stores without a test each
            for (int j = 0; j < L; ++j) store_unaligned(out + 2 * (j * n_bins + k), tile[j]);
        } else {
            for (std::int64_t j = 0; j < valid; ++j) store_unaligned(out + 2 * (j * n_bins + k), tile[j]);
        }
    }
    for (; k < n_bins; ++k) {
        for (std::int64_t j = 0; j < valid; ++j) {
            out[2 * (j * n_bins + k)] = spectrum[k].re[j];
            out[2 * (j * n_bins + k) + 1] = spectrum[k].im[j];
        }
    }
}

// Batched real FFT (or the O(n^2) DFT) of rows of length n: lane j = row r0 + j.
template <class T, class Plan>
void real_transform_rows(const Plan& plan, const T* x, std::int64_t rows, T* out, int threads) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    const std::int64_t n = plan.size();
    const std::int64_t n_bins = plan.n_bins();
    std::atomic<bool> finite{true};
    for_each_chunk((rows + L - 1) / L, threads, [&](std::int64_t begin, std::int64_t end) {
        Array<CV<V>> a(plan.buffer_size()), b(plan.buffer_size());
        V poison{};
        for (std::int64_t block = begin; block < end; ++block) {
            const std::int64_t r0 = block * L;
            const std::int64_t valid = std::min<std::int64_t>(L, rows - r0);
            const T* starts[L];
            for (std::int64_t j = 0; j < valid; ++j) starts[j] = x + (r0 + j) * n;
            load_transposed<T>(starts, valid, n, nullptr, reinterpret_cast<V*>(a.data()), poison);
            store_rows_interleaved(plan.run(a.data(), b.data()), n_bins, valid, out + 2 * r0 * n_bins);
        }
        if (!lanes_finite(poison)) finite = false;
    });
    require(finite, "x contains NaN or infinite values");
}
