// FFT plans executed across lanes: every lane of a vector holds one independent
// transform (one frame, one row), so each butterfly is plain vector arithmetic.
//
//   ComplexPlan  length n: Stockham autosort passes of radix (8,) 4, 2, 3, 5 for
//                n = 2^a 3^b 5^c; Bluestein's chirp-z through a smooth length otherwise.
//   RealPlan     real input of length n: a half-length complex FFT whose last pass also
//                does the real post-processing when n is even; a full complex FFT when odd.
//   DirectDft    the O(n^2) real-input DFT that the FFT replaces (reference and benchmark).
//
// Included inside an architecture namespace by kernels_impl.hpp.

// exp(-2 pi i k / n) in double precision, with k reduced modulo n first.
inline void unit_root(std::int64_t k, std::int64_t n, double& re, double& im) {
    const double angle = -2.0 * 3.14159265358979323846 * static_cast<double>(k % n) / static_cast<double>(n);
    re = std::cos(angle);
    im = std::sin(angle);
}

// re[k] + i im[k] = exp(-2 pi i k / n) for k < count, rounded to T.
template <class T>
void fill_unit_roots(std::int64_t count, std::int64_t n, Array<T>& re, Array<T>& im) {
    re = Array<T>(count);
    im = Array<T>(count);
    for (std::int64_t k = 0; k < count; ++k) {
        double root_re, root_im;
        unit_root(k, n, root_re, root_im);
        re[k] = static_cast<T>(root_re);
        im[k] = static_cast<T>(root_im);
    }
}

template <class V>
inline CV<V> add(CV<V> a, CV<V> b) { return {a.re + b.re, a.im + b.im}; }
template <class V>
inline CV<V> sub(CV<V> a, CV<V> b) { return {a.re - b.re, a.im - b.im}; }
// a * (wr + i wi) with a scalar (broadcast) factor.
template <class V, class T>
inline CV<V> mul(CV<V> a, T wr, T wi) { return {a.re * wr - a.im * wi, a.re * wi + a.im * wr}; }
// -i * a
template <class V>
inline CV<V> mul_minus_i(CV<V> a) { return {a.im, -a.re}; }

// In-register DFT of radix P (forward sign), a -> b. Always inlined, as are the last pass's loads below: in
// registers their inputs and outputs are free, and GCC's inliner left the radix-8 one out of line once the
// kernels' translation unit grew by a small class (a log-mel 1.18x slower).
template <class T, class V, int P>
struct Butterfly;

template <class T, class V>
struct Butterfly<T, V, 2> {
    [[gnu::always_inline]] static void run(const CV<V>* a, CV<V>* b) {
        b[0] = add(a[0], a[1]);
        b[1] = sub(a[0], a[1]);
    }
};

template <class T, class V>
struct Butterfly<T, V, 3> {
    [[gnu::always_inline]] static void run(const CV<V>* a, CV<V>* b) {
        const T half_sqrt3 = static_cast<T>(0.86602540378443864676);
        const CV<V> t = add(a[1], a[2]);
        const CV<V> d = sub(a[1], a[2]);
        const CV<V> u = {a[0].re - static_cast<T>(0.5) * t.re, a[0].im - static_cast<T>(0.5) * t.im};
        const CV<V> v = mul_minus_i(CV<V>{d.re * half_sqrt3, d.im * half_sqrt3});
        b[0] = add(a[0], t);
        b[1] = add(u, v);
        b[2] = sub(u, v);
    }
};

template <class T, class V>
struct Butterfly<T, V, 4> {
    [[gnu::always_inline]] static void run(const CV<V>* a, CV<V>* b) {
        const CV<V> t0 = add(a[0], a[2]);
        const CV<V> t1 = sub(a[0], a[2]);
        const CV<V> t2 = add(a[1], a[3]);
        const CV<V> t3 = mul_minus_i(sub(a[1], a[3]));
        b[0] = add(t0, t2);
        b[1] = add(t1, t3);
        b[2] = sub(t0, t2);
        b[3] = sub(t1, t3);
    }
};

template <class T, class V>
struct Butterfly<T, V, 5> {
    [[gnu::always_inline]] static void run(const CV<V>* a, CV<V>* b) {
        const T c1 = static_cast<T>(0.30901699437494742410);   // cos(2 pi / 5)
        const T c2 = static_cast<T>(-0.80901699437494742410);  // cos(4 pi / 5)
        const T s1 = static_cast<T>(0.95105651629515357212);   // sin(2 pi / 5)
        const T s2 = static_cast<T>(0.58778525229247312917);   // sin(4 pi / 5)
        const CV<V> t1 = add(a[1], a[4]);
        const CV<V> t2 = add(a[2], a[3]);
        const CV<V> d1 = sub(a[1], a[4]);
        const CV<V> d2 = sub(a[2], a[3]);
        const CV<V> u1 = {a[0].re + c1 * t1.re + c2 * t2.re, a[0].im + c1 * t1.im + c2 * t2.im};
        const CV<V> u2 = {a[0].re + c2 * t1.re + c1 * t2.re, a[0].im + c2 * t1.im + c1 * t2.im};
        const CV<V> v1 = mul_minus_i(CV<V>{s1 * d1.re + s2 * d2.re, s1 * d1.im + s2 * d2.im});
        const CV<V> v2 = mul_minus_i(CV<V>{s2 * d1.re - s1 * d2.re, s2 * d1.im - s1 * d2.im});
        b[0] = add(a[0], add(t1, t2));
        b[1] = add(u1, v1);
        b[4] = sub(u1, v1);
        b[2] = add(u2, v2);
        b[3] = sub(u2, v2);
    }
};

// Radix 8 as two radix-4 DFTs (even and odd inputs) joined by w^j, w = e^(-2 pi i / 8).
template <class T, class V>
struct Butterfly<T, V, 8> {
    [[gnu::always_inline]] static void run(const CV<V>* a, CV<V>* b) {
        const T r = static_cast<T>(0.70710678118654752440);  // 1 / sqrt(2)
        const CV<V> even_in[4] = {a[0], a[2], a[4], a[6]};
        const CV<V> odd_in[4] = {a[1], a[3], a[5], a[7]};
        CV<V> e[4], o[4];
        Butterfly<T, V, 4>::run(even_in, e);
        Butterfly<T, V, 4>::run(odd_in, o);
        o[1] = {r * (o[1].re + o[1].im), r * (o[1].im - o[1].re)};     // w = (1 - i) / sqrt(2)
        o[2] = mul_minus_i(o[2]);                                        // w^2 = -i
        o[3] = {r * (o[3].im - o[3].re), -r * (o[3].re + o[3].im)};    // w^3 = -(1 + i) / sqrt(2)
        for (int j = 0; j < 4; ++j) {
            b[j] = add(e[j], o[j]);
            b[j + 4] = sub(e[j], o[j]);
        }
    }
};

// Radices tried in order when factoring a length: radix 8 where 32 registers hold its 16
// inputs and their twiddles (AVX-512): fewer passes over buffers that outgrow L1 (3, not 5, for 512).
#if defined(__AVX512F__)
constexpr int kRadices[] = {8, 4, 2, 3, 5};
#else
constexpr int kRadices[] = {4, 2, 3, 5};
#endif

// Calls pass(std::integral_constant<int, P>()) for P = radix, one of kRadices: a pass's radix at
// compile time (radix 8 compiled only where kRadices holds it).
template <class Pass>
inline void with_radix(int radix, const Pass& pass) {
    switch (radix) {
        case 4: return pass(std::integral_constant<int, 4>());
        case 2: return pass(std::integral_constant<int, 2>());
        case 3: return pass(std::integral_constant<int, 3>());
        case 5: return pass(std::integral_constant<int, 5>());
        default:
            if constexpr (kRadices[0] == 8) return pass(std::integral_constant<int, 8>());
    }
}

// The first pass (s = 1): each butterfly has its own twiddles, so there is no loop over q.
template <class T, class V, int P>
void stockham_first_pass(const CV<V>* x, CV<V>* y, std::int64_t m, const T* tw_re, const T* tw_im) {
    for (std::int64_t i = 0; i < m; ++i) {
        CV<V> a[P];
        CV<V> b[P];
        for (int k = 0; k < P; ++k) a[k] = x[i + k * m];
        Butterfly<T, V, P>::run(a, b);
        CV<V>* out = y + P * i;
        out[0] = b[0];
        for (int j = 1; j < P; ++j) out[j] = mul(b[j], tw_re[i * (P - 1) + j - 1], tw_im[i * (P - 1) + j - 1]);
    }
}

// One Stockham decimation-in-frequency pass: sub-transforms of length P*m at stride s.
//   y[q + s*(P*i + j)] = w^(i*j) * sum_k x[q + s*(i + k*m)] e^(-2 pi i j k / P)
// with w = e^(-2 pi i / (P*m)); twiddles[(i*(P-1) + j-1)] holds w^(i*j). The last pass
// (m == 1) has no twiddles.
template <class T, class V, int P>
void stockham_pass(const CV<V>* x, CV<V>* y, std::int64_t m, std::int64_t s, const T* tw_re, const T* tw_im) {
    if (s == 1) return stockham_first_pass<T, V, P>(x, y, m, tw_re, tw_im);
    for (std::int64_t i = 0; i < m; ++i) {
        V wr[P], wi[P];
        for (int j = 1; j < P; ++j) {
            wr[j] = broadcast<T>(tw_re[i * (P - 1) + j - 1]);
            wi[j] = broadcast<T>(tw_im[i * (P - 1) + j - 1]);
        }
        for (std::int64_t q = 0; q < s; ++q) {
            CV<V> a[P];
            CV<V> b[P];
            for (int k = 0; k < P; ++k) a[k] = x[q + s * (i + k * m)];
            Butterfly<T, V, P>::run(a, b);
            CV<V>* out = y + q + s * P * i;
            out[0] = b[0];
            for (int j = 1; j < P; ++j) out[s * j] = CV<V>{b[j].re * wr[j] - b[j].im * wi[j], b[j].re * wi[j] + b[j].im * wr[j]};
        }
    }
}

// Butterfly q of the last pass (m == 1): b[j] is the result's element q + s*j.
template <class T, class V, int P>
[[gnu::always_inline]] inline void last_pass_butterfly(const CV<V>* x, std::int64_t s, std::int64_t q, CV<V>* b) {
    CV<V> a[P];
    for (int k = 0; k < P; ++k) a[k] = x[q + s * k];
    Butterfly<T, V, P>::run(a, b);
}

// Butterflies q and s - q of the last pass, read together.
template <class T, class V, int P>
[[gnu::always_inline]] inline void last_pass_butterfly_pair(const CV<V>* x, std::int64_t s, std::int64_t q, CV<V>* b,
                                                             CV<V>* c) {
    CV<V> a[P], d[P];
    for (int k = 0; k < P; ++k) {
        a[k] = x[q + s * k];
        d[k] = x[s - q + s * k];
    }
    Butterfly<T, V, P>::run(a, b);
    Butterfly<T, V, P>::run(d, c);
}

template <class T, class V, int P>
void stockham_last_pass(const CV<V>* x, CV<V>* y, std::int64_t s) {
    for (std::int64_t q = 0; q < s; ++q) {
        CV<V> b[P];
        last_pass_butterfly<T, V, P>(x, s, q, b);
        for (int j = 0; j < P; ++j) y[q + s * j] = b[j];
    }
}

template <class T>
class ComplexPlan {
public:
    explicit ComplexPlan(std::int64_t n) : n_(n) {
        require_positive(n, "n");
        std::int64_t rest = n;
        for (int radix : kRadices) {
            while (rest % radix == 0) {
                radices_[n_stages_++] = radix;
                rest /= radix;
            }
        }
        if (rest == 1) {
            build_stockham();
        } else {
            build_bluestein();
        }
    }

    std::int64_t size() const { return n_; }
    // Length (in complex lane vectors) that each of the two work buffers must have.
    std::int64_t buffer_size() const { return inner_ ? inner_->buffer_size() : n_; }

    // Transforms a[0..n) (a and b both buffer_size() long); returns a or b, whichever
    // holds the result.
    template <class V>
    CV<V>* run(CV<V>* a, CV<V>* b) const {
        return inner_ ? run_bluestein(a, b) : run_stockham(a, b);
    }

    // Whether the transform ends with a Stockham pass without twiddles (m == 1) that a
    // caller may run itself, fused with what follows: run_leading_passes, then that pass
    // of radix last_radix() and stride last_stride() on their result.
    bool has_last_pass() const { return !inner_ && n_stages_ > 0; }
    int last_radix() const { return radices_[n_stages_ - 1]; }
    std::int64_t last_stride() const { return n_ / last_radix(); }

    // Every Stockham pass but the last; returns a or b, whichever holds the result.
    template <class V>
    CV<V>* run_leading_passes(CV<V>* a, CV<V>* b) const {
        std::int64_t s = 1;
        for (int st = 0; st + 1 < n_stages_; ++st) {
            const int p = radices_[st];
            const std::int64_t m = n_ / (s * p);
            const T* wr = tw_re_.data() + offsets_[st];
            const T* wi = tw_im_.data() + offsets_[st];
            with_radix(p, [&](auto radix) { stockham_pass<T, V, decltype(radix)::value>(a, b, m, s, wr, wi); });
            std::swap(a, b);
            s *= p;
        }
        return a;
    }

private:
    void build_stockham() {
        std::int64_t total = 0;
        for (int st = 0, s = 1; st < n_stages_; s *= radices_[st], ++st) {
            total += (n_ / (static_cast<std::int64_t>(s) * radices_[st])) * (radices_[st] - 1);
        }
        tw_re_ = Array<T>(total);
        tw_im_ = Array<T>(total);
        std::int64_t offset = 0;
        std::int64_t s = 1;
        for (int st = 0; st < n_stages_; ++st) {
            const int p = radices_[st];
            const std::int64_t length = n_ / s;
            const std::int64_t m = length / p;
            offsets_[st] = offset;
            for (std::int64_t i = 0; i < m; ++i) {
                for (int j = 1; j < p; ++j) {
                    double re, im;
                    unit_root(i * j, length, re, im);
                    tw_re_[offset] = static_cast<T>(re);
                    tw_im_[offset] = static_cast<T>(im);
                    ++offset;
                }
            }
            s *= p;
        }
    }

    template <class V>
    CV<V>* run_stockham(CV<V>* x, CV<V>* y) const {
        if (n_stages_ == 0) return x;
        CV<V>* z = run_leading_passes(x, y);
        CV<V>* out = z == x ? y : x;
        const std::int64_t s = last_stride();
        with_radix(last_radix(), [&](auto radix) { stockham_last_pass<T, V, decltype(radix)::value>(z, out, s); });
        return out;
    }

    // Bluestein: X[k] = c[k] * sum_j (x[j] c[j]) conj(c[k-j]), c[j] = e^(-i pi j^2 / n),
    // the convolution done by a smooth FFT of length >= 2n - 1.
    void build_bluestein() {
        n_stages_ = 0;
        std::int64_t length = 2 * n_ - 1;
        while (!is_smooth(length)) ++length;
        inner_ = std::make_unique<ComplexPlan<T>>(length);
        chirp_re_ = Array<T>(n_);
        chirp_im_ = Array<T>(n_);
        Array<double> kernel_re(length), kernel_im(length);
        for (std::int64_t j = 0; j < n_; ++j) {
            // e^(-i pi j^2 / n) = unit_root(j^2 mod 2n, 2n); j^2 fits in 64 bits for any n here.
            const std::uint64_t jj = static_cast<std::uint64_t>(j) * static_cast<std::uint64_t>(j);
            double re, im;
            unit_root(static_cast<std::int64_t>(jj % static_cast<std::uint64_t>(2 * n_)), 2 * n_, re, im);
            chirp_re_[j] = static_cast<T>(re);
            chirp_im_[j] = static_cast<T>(im);
            kernel_re[j] = re;
            kernel_im[j] = -im;
            if (j > 0) {
                kernel_re[length - j] = re;
                kernel_im[length - j] = -im;
            }
        }
        // Spectrum of the conj-chirp kernel, computed once in float64 by our own plan.
        ComplexPlan<double> kernel_plan(length);
        using VD = typename Simd<double>::V;
        Array<CV<VD>> a(kernel_plan.buffer_size()), b(kernel_plan.buffer_size());
        for (std::int64_t j = 0; j < length; ++j) {
            a[j].re = VD{} + kernel_re[j];
            a[j].im = VD{} + kernel_im[j];
        }
        const CV<VD>* spectrum = kernel_plan.run(a.data(), b.data());
        kernel_spectrum_re_ = Array<T>(length);
        kernel_spectrum_im_ = Array<T>(length);
        const double scale = 1.0 / static_cast<double>(length);  // folds in the inverse FFT's 1/L
        for (std::int64_t j = 0; j < length; ++j) {
            kernel_spectrum_re_[j] = static_cast<T>(spectrum[j].re[0] * scale);
            kernel_spectrum_im_[j] = static_cast<T>(spectrum[j].im[0] * scale);
        }
    }

    static bool is_smooth(std::int64_t n) {
        for (int radix : {2, 3, 5}) {
            while (n % radix == 0) n /= radix;
        }
        return n == 1;
    }

    template <class V>
    CV<V>* run_bluestein(CV<V>* a, CV<V>* b) const {
        const std::int64_t length = inner_->size();
        for (std::int64_t j = 0; j < n_; ++j) a[j] = mul(a[j], chirp_re_[j], chirp_im_[j]);
        for (std::int64_t j = n_; j < length; ++j) a[j] = CV<V>{V{}, V{}};
        CV<V>* spectrum = inner_->run(a, b);
        CV<V>* other = spectrum == a ? b : a;
        // Multiply by the kernel spectrum and conjugate: the inverse FFT as a forward one.
        for (std::int64_t j = 0; j < length; ++j) {
            const CV<V> product = mul(spectrum[j], kernel_spectrum_re_[j], kernel_spectrum_im_[j]);
            spectrum[j] = CV<V>{product.re, -product.im};
        }
        CV<V>* result = inner_->run(spectrum, other);
        for (std::int64_t j = 0; j < n_; ++j) {
            result[j] = mul(CV<V>{result[j].re, -result[j].im}, chirp_re_[j], chirp_im_[j]);
        }
        return result;
    }

    std::int64_t n_;
    int n_stages_ = 0;
    int radices_[64] = {};
    std::int64_t offsets_[64] = {};
    Array<T> tw_re_, tw_im_;
    std::unique_ptr<ComplexPlan<T>> inner_;
    Array<T> chirp_re_, chirp_im_, kernel_spectrum_re_, kernel_spectrum_im_;
};

// Bins k and half - k of a real FFT of length 2 half from zk = z[k] and zm = z[half - k],
// where z = FFT_half(x_even + i x_odd): with E = (zk + conj zm) / 2 and O = -i (zk - conj zm) / 2,
// X[k] = E + W^k O and, since W^(half-k) = -conj(W^k), X[half-k] = conj(E - W^k O).
// (hw_re, hw_im) = W^k / 2, which halves O; E's half is folded into the final sums.
template <class T, class V>
inline void real_bin_pair(CV<V> zk, CV<V> zm, T hw_re, T hw_im, CV<V>& low, CV<V>& high) {
    const T h = static_cast<T>(0.5);
    const CV<V> even = {zk.re + zm.re, zk.im - zm.im};  // 2 E
    const CV<V> odd = {zk.im + zm.im, zm.re - zk.re};   // 2 O
    const CV<V> rotated = mul(odd, hw_re, hw_im);       // W^k O
    low = {h * even.re + rotated.re, h * even.im + rotated.im};
    high = {h * even.re - rotated.re, rotated.im - h * even.im};
}

// The last pass of the half-length FFT z (radix P, stride s, m == 1) fused with the real
// post-pass: element j of butterfly q is z[q + s j], whose partner z[half - q - s j] is
// element P-1-j of butterfly s - q (element P - j of butterfly 0 when q = 0). Calls
// sink(k, X[k]) for every k in [0, half].
template <class T, class V, int P, class Sink>
void last_pass_real_bins(const CV<V>* x, std::int64_t s, const T* hw_re, const T* hw_im, const Sink& sink) {
    const std::int64_t half = P * s;
    auto pair = [&](std::int64_t k, CV<V> zk, CV<V> zm) {
        CV<V> low, high;
        real_bin_pair(zk, zm, hw_re[k], hw_im[k], low, high);
        sink(k, low);
        sink(half - k, high);
    };
    auto middle = [&](CV<V> z) { sink(half / 2, CV<V>{z.re, -z.im}); };  // W^(half/2) = -i
    CV<V> b[P], c[P];
    last_pass_butterfly<T, V, P>(x, s, 0, b);
    sink(0, CV<V>{b[0].re + b[0].im, V{}});
    sink(half, CV<V>{b[0].re - b[0].im, V{}});
    for (int j = 1; 2 * j < P; ++j) pair(s * j, b[j], b[P - j]);
    if (P % 2 == 0) middle(b[P / 2]);
    for (std::int64_t q = 1; 2 * q < s; ++q) {
        last_pass_butterfly_pair<T, V, P>(x, s, q, b, c);
        for (int j = 0; j < P; ++j) pair(q + s * j, b[j], c[P - 1 - j]);
    }
    if (s % 2 == 0) {  // butterfly s/2 is its own partner
        last_pass_butterfly<T, V, P>(x, s, s / 2, b);
        for (int j = 0; 2 * j < P - 1; ++j) pair(s / 2 + s * j, b[j], b[P - 1 - j]);
        if (P % 2 == 1) middle(b[P / 2]);
    }
}

template <class T>
class RealPlan {
public:
    explicit RealPlan(std::int64_t n) : n_(n), complex_(n % 2 == 0 ? n / 2 : n) {
        if (n % 2 == 0) fill_half_roots(n);
    }

    std::int64_t size() const { return n_; }
    std::int64_t n_bins() const { return n_ / 2 + 1; }
    // Length of each of the two work buffers, in complex lane vectors.
    std::int64_t buffer_size() const {
        return n_ % 2 == 1 ? complex_.buffer_size() : std::max(complex_.buffer_size(), n_ / 2 + 1);
    }

    // On entry `a` holds the n real input lane vectors packed: reinterpret_cast<V*>(a)[t]
    // is sample t (for even n that is already the half-length complex input). Calls
    // sink(k, X[k]) once for every bin k in [0, n/2], in no particular order; a and b
    // are overwritten.
    template <class V, class Sink>
    void run(CV<V>* a, CV<V>* b, const Sink& sink) const {
        if (fuses_last_pass()) {
            last_pass_to_bins(complex_.run_leading_passes(a, b), sink);
        } else {
            finish(transform(a, b), sink);
        }
    }

    // As above, storing the n/2 + 1 bins in a or b; returns where.
    template <class V>
    CV<V>* run(CV<V>* a, CV<V>* b) const {
        if (fuses_last_pass()) {
            const CV<V>* z = complex_.run_leading_passes(a, b);
            CV<V>* out = z == a ? b : a;
            last_pass_to_bins(z, [out](std::int64_t k, CV<V> value) { out[k] = value; });
            return out;
        }
        CV<V>* z = transform(a, b);
        finish(z, [z](std::int64_t k, CV<V> value) { z[k] = value; });  // in place: see finish
        return z;
    }

private:
    // half_re_ + i half_im_ = W^k / 2 for k <= n/2, W = exp(-2 pi i / n).
    void fill_half_roots(std::int64_t n) {
        fill_unit_roots(n / 2 + 1, n, half_re_, half_im_);
        for (std::int64_t k = 0; k <= n / 2; ++k) {
            half_re_[k] *= static_cast<T>(0.5);
            half_im_[k] *= static_cast<T>(0.5);
        }
    }

    // Whether the half-length FFT's last pass runs fused with the post-pass (even n, no Bluestein).
    bool fuses_last_pass() const { return n_ % 2 == 0 && complex_.has_last_pass(); }

    // The half-length FFT's last pass on z = complex_.run_leading_passes(..), with the post-pass.
    template <class V, class Sink>
    void last_pass_to_bins(const CV<V>* z, const Sink& sink) const {
        const T* wr = half_re_.data();
        const T* wi = half_im_.data();
        const std::int64_t s = complex_.last_stride();
        with_radix(complex_.last_radix(), [&](auto radix) {
            last_pass_real_bins<T, V, decltype(radix)::value>(z, s, wr, wi, sink);
        });
    }

    // The complex FFT of the packed input: half length for even n, full for odd.
    template <class V>
    CV<V>* transform(CV<V>* a, CV<V>* b) const {
        if (n_ % 2 == 1) {
            const V* x = reinterpret_cast<const V*>(a);
            for (std::int64_t j = n_ - 1; j >= 0; --j) a[j] = CV<V>{x[j], V{}};  // backwards: in place
        }
        return complex_.run(a, b);
    }

    // Calls sink on every bin of the real spectrum from z = transform(a, b). Each z value
    // is read before the sinks that may overwrite its slot, so sink may store into z.
    template <class V, class Sink>
    void finish(const CV<V>* z, const Sink& sink) const {
        if (n_ % 2 == 1) {
            for (std::int64_t k = 0; k < n_bins(); ++k) sink(k, z[k]);
            return;
        }
        const std::int64_t half = n_ / 2;
        const CV<V> first = {z[0].re + z[0].im, V{}};
        const CV<V> last = {z[0].re - z[0].im, V{}};
        sink(0, first);
        sink(half, last);
        for (std::int64_t k = 1; 2 * k <= half; ++k) {
            CV<V> low, high;
            real_bin_pair(z[k], z[half - k], half_re_[k], half_im_[k], low, high);
            sink(k, low);
            if (2 * k < half) sink(half - k, high);
        }
    }

    std::int64_t n_;
    ComplexPlan<T> complex_;
    Array<T> half_re_, half_im_;
};

// A plan's two work buffers (buffer_size() lane-vector pairs each) in one allocation, b starting half of
// 4 KiB past a modulo 4 KiB. A Stockham pass reads one at [q + ..] and writes the other at [q + ..]: two
// buffers on page boundaries (as two large allocations are) put a butterfly's loads and stores in the same
// L1 sets, where they also alias in the address bits that order loads after stores: chroma_stft (n_fft
// 2048, 128 KiB buffers) took 1.13x, the Choi log-mel (32 KiB ones, wherever malloc put them) 1.07x the time.
template <class V>
class WorkBuffers {
public:
    explicit WorkBuffers(std::int64_t size)
        : storage_(2 * size + skew(size)), b_(storage_.data() + size + skew(size)) {}
    CV<V>* a() { return storage_.data(); }
    CV<V>* b() { return b_; }

private:
    // Pairs from the end of a to b, so that b - a, (size + skew) pairs, is 2 KiB modulo 4 KiB.
    static std::int64_t skew(std::int64_t size) {
        constexpr std::int64_t page = 4096, pair = sizeof(CV<V>);
        return (page / 2 - size * pair % page + page) % page / pair;
    }

    Array<CV<V>> storage_;
    CV<V>* b_;
};

// The plan of length n, shared: building one costs a cos/sin per twiddle (and for
// Bluestein lengths a float64 FFT of the chirp), as much as transforming tens of frames,
// while a built plan is read-only. The kCachedPlans lengths used last are kept per
// precision and instruction set; plans longer than kLongestCachedPlan are built per call,
// where the transform outweighs building and a cache would pin their memory.
constexpr std::size_t kCachedPlans = 8;
constexpr std::int64_t kLongestCachedPlan = std::int64_t{1} << 16;

template <class T>
std::shared_ptr<const RealPlan<T>> shared_real_plan(std::int64_t n) {
    if (n > kLongestCachedPlan) return std::make_shared<const RealPlan<T>>(n);
    static std::list<std::shared_ptr<const RealPlan<T>>> recent;  // most recently used first
    std::mutex& mutex = ::fasttag::plan_cache_mutex();  // fork-safe, shared by every cache
    {
        std::lock_guard<std::mutex> lock(mutex);
        for (auto it = recent.begin(); it != recent.end(); ++it) {
            if ((*it)->size() == n) {
                recent.splice(recent.begin(), recent, it);
                return recent.front();
            }
        }
    }
    auto plan = std::make_shared<const RealPlan<T>>(n);  // built unlocked; a racing twin is harmless
    std::lock_guard<std::mutex> lock(mutex);
    recent.push_front(plan);
    if (recent.size() > kCachedPlans) recent.pop_back();
    return plan;
}

// X[k] = sum_j x[j] e^(-2 pi i j k / n) for k <= n/2, term by term: O(n^2).
template <class T>
class DirectDft {
public:
    explicit DirectDft(std::int64_t n) : n_(n) {
        require_positive(n, "n");
        fill_unit_roots(n, n, cos_, sin_);
    }

    std::int64_t size() const { return n_; }
    std::int64_t n_bins() const { return n_ / 2 + 1; }
    std::int64_t buffer_size() const { return n_ / 2 + 1; }

    // Same interface as RealPlan::run: packed real input in a, spectrum returned in b.
    template <class V>
    CV<V>* run(CV<V>* a, CV<V>* spectrum) const {
        const V* x = reinterpret_cast<const V*>(a);
        for (std::int64_t k = 0; k < n_bins(); ++k) {
            V re{}, im{};
            std::int64_t index = 0;  // j * k mod n, advanced without overflow
            for (std::int64_t j = 0; j < n_; ++j) {
                re += x[j] * cos_[index];
                im += x[j] * sin_[index];
                index += k;
                if (index >= n_) index -= n_;
            }
            spectrum[k] = CV<V>{re, im};
        }
        return spectrum;
    }

private:
    std::int64_t n_;
    Array<T> cos_, sin_;
};
