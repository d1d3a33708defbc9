// Lane vectors for the kernels: GNU vector extensions, 32 bytes wide (8 float32 or
// 4 float64 lanes). Compiled with -mavx2 -mfma they are single AVX2 registers; in the
// baseline build the compiler splits them into SSE2 halves. One lane = one frame (or
// one row): the FFT runs across frames, never shuffling inside a register.
//
// Included inside an architecture namespace by kernels_impl.hpp (no std headers here).

template <class T>
struct Simd;

template <>
struct Simd<float> {
    typedef float V __attribute__((vector_size(32)));
    typedef float U __attribute__((vector_size(32), aligned(4)));  // unaligned access
    typedef std::int32_t I __attribute__((vector_size(32)));
    static constexpr int lanes = 8;
};

template <>
struct Simd<double> {
    typedef double V __attribute__((vector_size(32)));
    typedef double U __attribute__((vector_size(32), aligned(8)));
    typedef std::int64_t I __attribute__((vector_size(32)));
    static constexpr int lanes = 4;
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

template <class T>
inline typename Simd<T>::V broadcast(T value) {
    return typename Simd<T>::V{} + value;
}

// Largest lane value.
template <class T>
inline T horizontal_max(typename Simd<T>::V v) {
    T best = v[0];
    for (int j = 1; j < Simd<T>::lanes; ++j) best = v[j] > best ? v[j] : best;
    return best;
}

// Natural logarithm of positive normal float32 lanes: Cephes' logf polynomial
// (about 1 ulp), computed on all 8 lanes at once.
inline Simd<float>::V log_lanes(Simd<float>::V x) {
    using V = Simd<float>::V;
    using I = Simd<float>::I;
    I bits = (I)x;  // vector casts reinterpret the bits
    I exponent = ((bits >> 23) & 0xff) - 126;
    I mantissa_bits = (bits & static_cast<std::int32_t>(0x807fffff)) | 0x3f000000;
    V m = (V)mantissa_bits;  // in [0.5, 1)
    const I small = m < 0.70710678118654752f;
    exponent += small;  // masks are -1 where true
    m = small ? m + m : m;
    const V e = __builtin_convertvector(exponent, V);
    const V f = m - 1.0f;
    const V z = f * f;
    V y = 7.0376836292e-2f * f - 1.1514610310e-1f;
    y = y * f + 1.1676998740e-1f;
    y = y * f - 1.2420140846e-1f;
    y = y * f + 1.4249322787e-1f;
    y = y * f - 1.6668057665e-1f;
    y = y * f + 2.0000714765e-1f;
    y = y * f - 2.4999993993e-1f;
    y = y * f + 3.3333331174e-1f;
    y = y * f * z;
    y += -2.12194440e-4f * e;
    y += -0.5f * z;
    return f + y + 0.693359375f * e;
}

inline Simd<double>::V log_lanes(Simd<double>::V x) {
    Simd<double>::V out;
    for (int j = 0; j < Simd<double>::lanes; ++j) out[j] = std::log(x[j]);
    return out;
}

// 10 * log10(x) per lane; x must be positive and normal.
template <class T>
inline typename Simd<T>::V decibels(typename Simd<T>::V x) {
    return log_lanes(x) * static_cast<T>(4.3429448190325182);
}
