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

// Asks for the cache line `ahead` elements past p. An address, not a pointer: it may lie past the
// array (after the last block of the last signal), which a prefetch, never faulting, may read.
template <class T>
inline void prefetch_ahead(const T* p, std::int64_t ahead) {
    __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(p) + ahead * sizeof(T)));
}

// tile[i] lane j = rows[j][t + i] for i, j < L: L loads transposed in registers. checks[j % 4] accumulate
// 0 * sample (zero unless a sample is NaN or infinite). With ahead > 0 each load also prefetches the line
// `ahead` elements further on, where the caller's next block reads: a block's L streams are too short for
// the hardware prefetchers to learn, and without this a log-mel of 64 clips waited on memory for a quarter
// of its time. (The row transforms pass 0: their rows are mostly in cache, where prefetching cost 5-15 %.)
template <class T>
inline void load_tile(const T* const* rows, std::int64_t t, std::int64_t ahead, typename Simd<T>::V* tile,
                      typename Simd<T>::V* checks) {
    constexpr int L = Simd<T>::lanes;
    for (int j = 0; j < L; ++j) tile[j] = load_unaligned(rows[j] + t);
    if (ahead > 0) {
        for (int j = 0; j < L; ++j) prefetch_ahead(rows[j] + t, ahead);
    }
    for (int j = 0; j < L; ++j) checks[j % 4] += tile[j] * T(0);
    transpose_lanes(tile);
}

// x[t] lane j = scale[t] * src[j][t] for t < n, j < valid (src[j][t] if scale is null);
// lanes from valid on are zero. Loads L x L tiles (load_tile). `poison` accumulates 0 * sample:
// it stays zero unless a sample is NaN or infinite.
template <class T>
void load_transposed(const T* const* src, std::int64_t valid, std::int64_t n, const T* scale, std::int64_t ahead,
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
        load_tile(rows, t, ahead, tile, checks);
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

// Lanes 1.. of v, then lane 0 of next (valignd on AVX-512).
template <class V, int... k>
inline V shift_in(V v, V next, std::integer_sequence<int, k...>) {
    return __builtin_shufflevector(v, next, (k + 1)...);
}

// x for frames that overlap by whole segments: hop a multiple of L, n_fft = r hop with r <= L. seg[g] points
// to the first hop samples of frame f0 + g (g < L + r - 1); sample t + k hop of frame f0 + j is sample t of
// frame f0 + j + k, so x[t + k hop] lane j = window[t + k hop] * seg[j + k][t]. Only seg[0..L) are loaded
// and transposed, each sample once rather than r times: the vector for k is the one for k - 1 shifted down
// a lane, seg[L - 1 + k][t] coming in at the top. Taken for r >= 3 (librosa's n_fft 2048, hop 512: chroma
// 0.93x the time); at r = 2 the shifted vectors cost what the transposes they save did (Choi log-mel 1.03x).
template <class T>
void load_segments(const T* const* seg, std::int64_t hop, std::int64_t r, const T* window, std::int64_t ahead,
                   typename Simd<T>::V* x, typename Simd<T>::V& poison) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    constexpr auto lanes = std::make_integer_sequence<int, L>();
    V checks[4] = {poison, V{}, V{}, V{}};
    for (std::int64_t t = 0; t < hop; t += L) {
        V tile[L];
        load_tile(seg, t, ahead, tile, checks);
        for (int i = 0; i < L; ++i) x[t + i] = tile[i] * window[t + i];
        for (std::int64_t k = 1; k < r; ++k) {
            const T* incoming = seg[L - 1 + k] + t;
            // The incoming samples checked as one vector: a check per broadcast cost a scalar multiply, a
            // broadcast and an add each, and spilled the tile (chroma 1.03x the time).
            checks[0] += load_unaligned(incoming) * T(0);
#pragma GCC unroll 16  // the tile then stays in registers across k
            for (int i = 0; i < L; ++i) {
                tile[i] = shift_in(tile[i], broadcast<T>(incoming[i]), lanes);
                x[t + i + k * hop] = tile[i] * window[t + i + k * hop];
            }
        }
    }
    poison = (checks[0] + checks[1]) + (checks[2] + checks[3]);
}

// Pointer to the `length` samples of `row` from `start`, or, where they reach past an end of the signal,
// to a copy in `copy`, padded by the pad mode.
template <class T>
const T* padded_run(const T* row, const Framing& f, std::int64_t start, std::int64_t length, T* copy) {
    if (start >= 0 && start + length <= f.n_samples) return row + start;
    for (std::int64_t t = 0; t < length; ++t) copy[t] = padded_sample(row, f.n_samples, start + t, f.pad_mode);
    return copy;
}

// Elements from a block's frames to the next block's, L hops on, where the loads prefetch. A hop longer than the
// padded signal (one frame, one block) is capped at its length, so that L hops do not overflow.
template <class T>
inline std::int64_t next_block_distance(const Framing& f) {
    return Simd<T>::lanes * std::min(f.hop, f.n_samples + 2 * f.pad);
}

// x[t] lane j = window[t] * sample (f0 + j) * hop - pad + t of `row`; lanes past the last frame are zero.
// Samples past an end of the signal are first copied, padded, to `padded` (lanes x n_fft), so that every
// block takes the transposing loads (an element-by-element path made a block at either end of a clip cost
// about five others). Frames that overlap by whole segments go through load_segments.
template <class T>
void gather_frames(const T* row, const Framing& f, const T* window, std::int64_t f0, T* padded,
                   typename Simd<T>::V* x, typename Simd<T>::V& poison) {
    constexpr int L = Simd<T>::lanes;
    const std::int64_t valid = std::min<std::int64_t>(L, f.n_frames - f0);
    const std::int64_t r = f.n_fft / f.hop;
    if (f.n_fft % f.hop == 0 && f.hop % L == 0 && r >= 3 && r <= L) {
        const T* seg[2 * L];
        const std::int64_t n_segs = valid + r - 1;  // those of frames f0 .. f0 + valid - 1; the rest are unused
        for (std::int64_t g = 0; g < L + r - 1; ++g) {
            seg[g] = g < n_segs ? padded_run(row, f, (f0 + g) * f.hop - f.pad, f.hop, padded + g * f.hop) : seg[0];
        }
        load_segments(seg, f.hop, r, window, next_block_distance<T>(f), x, poison);
        if (valid < L) zero_lanes_from(valid, x, f.n_fft);
        return;
    }
    const T* starts[L];
    for (std::int64_t j = 0; j < valid; ++j) {
        starts[j] = padded_run(row, f, (f0 + j) * f.hop - f.pad, f.n_fft, padded + j * f.n_fft);
    }
    load_transposed(starts, valid, f.n_fft, window, next_block_distance<T>(f), x, poison);
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
        WorkBuffers<V> work(plan.buffer_size());
        Array<V> bins(plan.n_bins());
        Array<T> padded(L * f.n_fft);
        V poison{};
        for (std::int64_t block = begin; block < end; ++block) {
            const std::int64_t row = block / blocks_per_row;
            const std::int64_t f0 = (block % blocks_per_row) * L;
            gather_frames(y + row * f.n_samples, f, window, f0, padded.data(), reinterpret_cast<V*>(work.a()), poison);
            consume(row, f0, std::min<std::int64_t>(L, f.n_frames - f0), work.a(), work.b(), bins.data());
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

// out[r] = basis[r, span] . in[span], lane by lane, for the R rows of w (n_in apart) that share `span`.
// Four running sums per row, over k mod 4: a long (dense) row is not one chain of dependent additions.
template <int R, class T>
inline void project_rows(const T* w, std::int64_t n_in, Span span, const typename Simd<T>::V* in,
                         typename Simd<T>::V* out) {
    typename Simd<T>::V acc[R][4] = {};
    std::int64_t k = span.begin;
    for (; k + 4 <= span.end; k += 4) {
        for (int i = 0; i < 4; ++i) {
            for (int r = 0; r < R; ++r) acc[r][i] += w[r * n_in + k + i] * in[k + i];
        }
    }
    for (; k < span.end; ++k) {
        for (int r = 0; r < R; ++r) acc[r][0] += w[r * n_in + k] * in[k];
    }
    for (int r = 0; r < R; ++r) out[r] = (acc[r][0] + acc[r][1]) + (acc[r][2] + acc[r][3]);
}

// Where every row of a basis has the same span (a dense basis, as chroma's 12 x 1025), rows are projected
// in groups of kRowGroup, each in[k] loaded once per group rather than once per row (chroma 0.85x the time):
// 6 rows keep their 24 running sums and the in[k] in the 32 AVX-512 registers, 3 rows theirs in the 16 of
// AVX2 and SSE2. Other bases (mel triangles) go row by row.
constexpr int kRowGroup = FASTTAG_VECTOR_BYTES == 64 ? 6 : 3;

// How many leading rows of the basis with these spans project_block takes kRowGroup at a time.
inline std::int64_t grouped_rows(const Array<Span>& spans) {
    for (std::int64_t m = 1; m < spans.size(); ++m) {
        if (spans[m].begin != spans[0].begin || spans[m].end != spans[0].end) return 0;
    }
    return spans.size() / kRowGroup * kRowGroup;
}

// Calls store(m, basis[m, spans[m]] . in[spans[m]]) for every row m of a (n_out, n_in) basis, the first
// `grouped` (from grouped_rows) in groups; a sum is the same, term by term, in a group as alone.
template <class T, class Store>
void project_block(const T* basis, const Array<Span>& spans, std::int64_t grouped, std::int64_t n_in,
                   const typename Simd<T>::V* in, const Store& store) {
    typename Simd<T>::V sums[kRowGroup];
    std::int64_t m = 0;
    for (; m < grouped; m += kRowGroup) {
        project_rows<kRowGroup>(basis + m * n_in, n_in, spans[m], in, sums);
        for (int r = 0; r < kRowGroup; ++r) store(m + r, sums[r]);
    }
    for (; m < spans.size(); ++m) {
        project_rows<1>(basis + m * n_in, n_in, spans[m], in, sums);
        store(m, sums[0]);
    }
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

// In place: values[i] = max(values[i], max(values) - top_db).
template <class T>
void clip_row_to_top_db(T* values, std::int64_t row_size, double top_db) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    const std::int64_t body = row_size / L * L;
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

// The same over each row of data (rows, row_size).
template <class T>
void clip_rows_to_top_db(T* data, std::int64_t rows, std::int64_t row_size, double top_db, int threads) {
    for_each_chunk(rows, threads, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t row = begin; row < end; ++row) clip_row_to_top_db(data + row * row_size, row_size, top_db);
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
    const std::int64_t grouped = grouped_rows(spans);
    // With top_db, the thread that finishes a row's last block floors that row while it is still in
    // cache; a pass over the whole output after the transform read it back from memory (about 5 % of a
    // log-mel of 64 clips).
    const std::int64_t row_size = n_mels * f.n_frames;
    const std::int64_t blocks_per_row = (f.n_frames + Simd<T>::lanes - 1) / Simd<T>::lanes;
    Array<std::atomic<std::int64_t>> blocks_left(rows);
    for (std::int64_t row = 0; row < rows; ++row) blocks_left[row] = blocks_per_row;
    for_each_power_block(y, rows, f, window, power, threads,
        [&](std::int64_t row, std::int64_t f0, std::int64_t valid, const V* power_spectrum) {
            T* dest = out + row * row_size + f0;
            project_block(basis, spans, grouped, n_bins, power_spectrum, [&](std::int64_t m, V acc) {
                if (db) acc = to_db_lanes<T>(acc, *db);
                store_lanes(dest + m * f.n_frames, acc, valid);
            });
            if (db && db->clip && --blocks_left[row] == 0) {
                clip_row_to_top_db(out + row * row_size, row_size, db->top_db);
            }
        });
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
    const std::int64_t grouped = grouped_rows(spans);
    const std::int64_t blocks_per_row = (n_cols + L - 1) / L;
    for_each_chunk(rows * blocks_per_row, threads, [&](std::int64_t begin, std::int64_t end) {
        Array<V> column(n_in);
        for (std::int64_t block = begin; block < end; ++block) {
            const std::int64_t row = block / blocks_per_row;
            const std::int64_t t0 = (block % blocks_per_row) * L;
            const std::int64_t valid = std::min<std::int64_t>(L, n_cols - t0);
            load_columns(x + row * n_in * n_cols + t0, n_in, n_cols, valid, column.data());
            T* dest = out + row * n_out * n_cols + t0;
            project_block(basis, spans, grouped, n_in, column.data(),
                          [&](std::int64_t m, V sum) { store_lanes(dest + m * n_cols, sum, valid); });
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
        WorkBuffers<V> work(plan.buffer_size());
        V poison{};
        for (std::int64_t block = begin; block < end; ++block) {
            const std::int64_t r0 = block * L;
            const std::int64_t valid = std::min<std::int64_t>(L, rows - r0);
            const T* starts[L];
            for (std::int64_t j = 0; j < valid; ++j) starts[j] = x + (r0 + j) * n;
            load_transposed<T>(starts, valid, n, nullptr, 0, reinterpret_cast<V*>(work.a()), poison);
            store_rows_interleaved(plan.run(work.a(), work.b()), n_bins, valid, out + 2 * r0 * n_bins);
        }
        if (!lanes_finite(poison)) finite = false;
    });
    require(finite, "x contains NaN or infinite values");
}
