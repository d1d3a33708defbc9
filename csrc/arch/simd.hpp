// Lane vectors for the kernels: GNU vector extensions of FASTTAG_VECTOR_BYTES bytes:
// 32 (8 float32 or 4 float64 lanes, one AVX2 register) in the AVX2 build, 16 (one SSE2
// register) in the baseline build. One lane = one frame (or one row): the FFT runs
// across frames, never shuffling inside a register.
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

// Transposes an L x L block: rows[i] holds L consecutive samples of frame i; on return
// rows[t] holds sample t of frames 0..L-1 (one frame per lane). L = 8, 4 or 2.
template <class V>
inline void transpose_lanes(V* r) {
    constexpr int L = sizeof(V) / sizeof(r[0][0]);
    if constexpr (L == 8) {
        V t[8], u[8];
        for (int i = 0; i < 4; ++i) {
            t[2 * i] = __builtin_shufflevector(r[2 * i], r[2 * i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
            t[2 * i + 1] = __builtin_shufflevector(r[2 * i], r[2 * i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
        }
        for (int i = 0; i < 2; ++i) {
            for (int j = 0; j < 2; ++j) {
                const V a = t[4 * i + j], b = t[4 * i + j + 2];
                u[4 * i + 2 * j] = __builtin_shufflevector(a, b, 0, 1, 8, 9, 4, 5, 12, 13);
                u[4 * i + 2 * j + 1] = __builtin_shufflevector(a, b, 2, 3, 10, 11, 6, 7, 14, 15);
            }
        }
        for (int i = 0; i < 4; ++i) {
            r[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
            r[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
        }
    } else if constexpr (L == 4) {
        const V t0 = __builtin_shufflevector(r[0], r[1], 0, 4, 2, 6);
        const V t1 = __builtin_shufflevector(r[0], r[1], 1, 5, 3, 7);
        const V t2 = __builtin_shufflevector(r[2], r[3], 0, 4, 2, 6);
        const V t3 = __builtin_shufflevector(r[2], r[3], 1, 5, 3, 7);
        r[0] = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
        r[1] = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
        r[2] = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
        r[3] = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
    } else {
        static_assert(L == 2, "lane vectors hold 8, 4 or 2 values");
        const V t0 = __builtin_shufflevector(r[0], r[1], 0, 2);
        r[1] = __builtin_shufflevector(r[0], r[1], 1, 3);
        r[0] = t0;
    }
}

// (re0, im0, re1, im1, ...): the lanes of re and im interleaved, first half in lo.
template <class V>
inline void interleave(V re, V im, V& lo, V& hi) {
    constexpr int L = sizeof(V) / sizeof(re[0]);
    if constexpr (L == 8) {
        lo = __builtin_shufflevector(re, im, 0, 8, 1, 9, 2, 10, 3, 11);
        hi = __builtin_shufflevector(re, im, 4, 12, 5, 13, 6, 14, 7, 15);
    } else if constexpr (L == 4) {
        lo = __builtin_shufflevector(re, im, 0, 4, 1, 5);
        hi = __builtin_shufflevector(re, im, 2, 6, 3, 7);
    } else {
        static_assert(L == 2, "lane vectors hold 8, 4 or 2 values");
        lo = __builtin_shufflevector(re, im, 0, 2);
        hi = __builtin_shufflevector(re, im, 1, 3);
    }
}
