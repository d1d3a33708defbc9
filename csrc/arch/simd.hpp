// Lane vectors for the kernels: GNU vector extensions of FASTTAG_VECTOR_BYTES bytes:
// 64 (16 float32 or 8 float64 lanes, one AVX-512 register) in the AVX-512 build, 32 (one
// AVX2 register) in the AVX2 build, 16 (one SSE2 register) in the baseline build. One
// lane = one frame (or one row): the FFT runs across frames, never shuffling inside a register.
//
// Included inside an architecture namespace by kernels_impl.hpp (no std headers here).

#ifndef FASTTAG_VECTOR_BYTES
#define FASTTAG_VECTOR_BYTES 32
#endif

template <class T>
struct Simd;

template <>
struct Simd<float> {
    typedef float V __attribute__((vector_size(FASTTAG_VECTOR_BYTES)));
    typedef float U __attribute__((vector_size(FASTTAG_VECTOR_BYTES), aligned(4)));  // unaligned access
    typedef std::int32_t I __attribute__((vector_size(FASTTAG_VECTOR_BYTES)));
    static constexpr int lanes = FASTTAG_VECTOR_BYTES / 4;
};

template <>
struct Simd<double> {
    typedef double V __attribute__((vector_size(FASTTAG_VECTOR_BYTES)));
    typedef double U __attribute__((vector_size(FASTTAG_VECTOR_BYTES), aligned(8)));
    typedef std::int64_t I __attribute__((vector_size(FASTTAG_VECTOR_BYTES)));
    static constexpr int lanes = FASTTAG_VECTOR_BYTES / 8;
};

// A complex number per lane.
template <class V>
struct CV {
    V re, im;
};

template <class T>
inline typename Simd<T>::V load_unaligned(const T* p) {
    return *reinterpret_cast<const typename Simd<T>::U*>(p);
}

template <class T>
inline void store_unaligned(T* p, typename Simd<T>::V v) {
    *reinterpret_cast<typename Simd<T>::U*>(p) = v;
}

// Every lane = value. (Not V{} + value: adding +0.0 is not a no-op for -0.0, so the
// compiler would keep the add and could not broadcast straight from memory.)
template <class T, std::size_t... lane>
inline typename Simd<T>::V broadcast(T value, std::index_sequence<lane...>) {
    return typename Simd<T>::V{((void)lane, value)...};
}

template <class T>
inline typename Simd<T>::V broadcast(T value) {
    return broadcast(value, std::make_index_sequence<Simd<T>::lanes>());
}

// Largest lane value.
template <class T>
inline T horizontal_max(typename Simd<T>::V v) {
    T best = v[0];
    for (int j = 1; j < Simd<T>::lanes; ++j) best = v[j] > best ? v[j] : best;
    return best;
}

// 10 log10(x) of positive normal float32 lanes: x = 2^e (1 + f), f in [0, 1), and
// log2(1 + f) = f q(f) with q of degree 6 fitted by least squares at 2000 Chebyshev
// nodes of [0, 1] (max error 4e-7 in log2, 1.2e-6 dB).
inline Simd<float>::V decibels(Simd<float>::V x) {
    using V = Simd<float>::V;
    using I = Simd<float>::I;
    const I bits = (I)x;  // vector casts reinterpret the bits
    const V e = __builtin_convertvector((bits >> 23) - 127, V);
    const V f = (V)((bits & 0x007fffff) | 0x3f800000) - 1.0f;
    V q = 1.512791605e-02f * f - 7.815820827e-02f;
    q = q * f + 1.923850549e-01f;
    q = q * f - 3.246163836e-01f;
    q = q * f + 4.731133450e-01f;
    q = q * f - 7.205155141e-01f;
    q = q * f + 1.442664046e+00f;
    const float db_per_octave = 3.0102999566398120f;  // 10 log10(2)
    return (e + f * q) * db_per_octave;
}

inline Simd<double>::V decibels(Simd<double>::V x) {
    Simd<double>::V out;
    for (int j = 0; j < Simd<double>::lanes; ++j) out[j] = 10.0 * std::log10(x[j]);
    return out;
}

// Stage h of transpose_lanes: output value k of rows a = r[i] and b = r[i + h], as an index
// into (a, b). Below the E values of a 128-bit lane, per lane: units of h values from the
// lower (or upper) half of a and b in turn (unpcklps, unpcklpd); from E on: a's even (or odd)
// 128-bit lanes, then b's (vperm2f128, vshuff32x4).
template <int L, int E, int h, bool upper>
constexpr int transpose_index(int k) {
    if (h < E) {
        const int unit = k % E / h;
        return (unit % 2 ? L : 0) + k / E * E + (upper ? E / 2 : 0) + unit / 2 * h + k % h;
    }
    const int half = L / E / 2, lane = k / E;
    return (lane < half ? 0 : L) + (2 * (lane % half) + upper) * E + k % E;
}

template <int h, bool upper, class V, int... k>
inline V transpose_shuffle(V a, V b, std::integer_sequence<int, k...>) {
    constexpr int E = 16 / sizeof(a[0]);
    return __builtin_shufflevector(a, b, transpose_index<sizeof...(k), E, h, upper>(k)...);
}

// Stage h: rows i and i + h (bit h of i clear) combined in place; the pairs p are unrolled.
template <int h, class V, int... p>
inline void transpose_stage(V* r, std::integer_sequence<int, p...>) {
    constexpr auto all = std::make_integer_sequence<int, 2 * sizeof...(p)>();
    auto combine = [r, all](int i) {
        const V a = r[i], b = r[i + h];
        r[i] = transpose_shuffle<h, false>(a, b, all);
        r[i + h] = transpose_shuffle<h, true>(a, b, all);
    };
    (combine(p / h * 2 * h + p % h), ...);
}

template <class V, int... stage>
inline void transpose_stages(V* r, std::integer_sequence<int, stage...>) {
    constexpr int L = sizeof(V) / sizeof(r[0][0]);
    (transpose_stage<1 << stage>(r, std::make_integer_sequence<int, L / 2>()), ...);
}

// Transposes an L x L block: rows[i] holds L consecutive samples of frame i; on return
// rows[t] holds sample t of frames 0..L-1 (one frame per lane). log2(L) stages of one
// shuffle per row (64 for 16 x 16 float32); L = 16, 8, 4 or 2.
template <class V>
inline void transpose_lanes(V* r) {
    constexpr int L = sizeof(V) / sizeof(r[0][0]);
    static_assert(L == 16 || L == 8 || L == 4 || L == 2, "lane vectors hold 16, 8, 4 or 2 values");
    transpose_stages(r, std::make_integer_sequence<int, __builtin_ctz(L)>());
    if constexpr (sizeof(r[0][0]) == 4) {
        // Two in-lane stages on float32 leave rows 1 and 2 of each group of 4 swapped.
        for (int g = 0; g < L; g += 4) std::swap(r[g + 1], r[g + 2]);
    }
}

// Value k of the interleaving's lower (upper) half, as an index into (re, im).
template <int L, bool upper>
constexpr int interleave_index(int k) {
    return (k % 2 ? L : 0) + (upper ? L / 2 : 0) + k / 2;
}

template <bool upper, class V, int... k>
inline V interleave_half(V re, V im, std::integer_sequence<int, k...>) {
    return __builtin_shufflevector(re, im, interleave_index<sizeof...(k), upper>(k)...);
}

// (re0, im0, re1, im1, ...): the lanes of re and im interleaved, first half in lo.
template <class V>
inline void interleave(V re, V im, V& lo, V& hi) {
    constexpr auto lanes = std::make_integer_sequence<int, sizeof(V) / sizeof(re[0])>();
    lo = interleave_half<false>(re, im, lanes);
    hi = interleave_half<true>(re, im, lanes);
}
