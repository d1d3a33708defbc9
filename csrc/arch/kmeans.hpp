// k-means kernels: nearest-centroid assignment, all squared distances, and centroid
// sums. A squared distance is ||x||^2 + (||c||^2 - 2 x.c); the x.c products form a
// matrix product computed in register tiles of kTileRows rows x kTileVectors lane vectors of
// centroids, and each tile is consumed at once (a running argmin, or a store), so the
// n x k distance matrix exists only when it is the output. Every row is computed the
// same way whatever the thread count, so results never depend on it.
//
// Points and centroids are first translated by one vector m, the centroids' mean: distances do
// not change, but the rounding error of the expansion in T, about eps (||x||^2 + ||c||^2), does.
// Far from the origin (MFCC c0 near -500, float32) it outweighs the distances themselves; after
// the translation it is on the scale of the codebook's spread. The centroids are translated once,
// each block of rows as it is read (O(d) per row, against O(d k) for its tiles). The nearest
// centroid's distance is then recomputed from the differences x - c, in double.
//
// Included inside an architecture namespace by kernels_impl.hpp.

// The register tile: kTileRows rows x kTileVectors lane vectors of centroids.
#if defined(__AVX512F__)
constexpr int kTileRows = 8;     // 32 registers: 8 x 3 accumulators + 3 centroid vectors + 1 broadcast
constexpr int kTileVectors = 3;
#elif defined(__FMA__)
constexpr int kTileRows = 4;     // 16 registers: 4 x 3 accumulators + 3 centroid vectors + 1 broadcast;
constexpr int kTileVectors = 3;  // fewer loads per FMA than 6 x 2 (7 for 12, not 8), measured a little faster
#else
constexpr int kTileRows = 6;     // without FMA each product needs a temporary register:
constexpr int kTileVectors = 2;  // 6 x 2 accumulators + 2 centroid vectors + 1 broadcast + 1
#endif

// Calls tile(std::integral_constant<int, rows>()) if 0 < rows < kTileRows: the rows left after
// the full tiles, as a height known at compile time (a register tile's).
template <int R = kTileRows - 1, class Tile>
inline void for_tail_rows(std::int64_t rows, const Tile& tile) {
    if constexpr (R > 0) {
        if (rows == R) return tile(std::integral_constant<int, R>());
        for_tail_rows<R - 1>(rows, tile);
    }
}

// Throws unless sum (a row's ||x||^2, in double) is finite, i.e. every value is, and at most
// max(T) / 4. The bound keeps every term of ||x||^2 - 2 x.c + ||c||^2 in T's range (|2 x.c| <= max / 2
// by Cauchy-Schwarz), translated too (see kMaxTranslatedNorm): beyond it float32 distances overflow to
// inf and every row would go to centroid 0.
template <class T>
void require_in_range(double sum, const char* name) {
    // (not require(): no message string built per row)
    if (!std::isfinite(sum)) {
        throw std::invalid_argument(std::string(name) + " contains NaN or infinite values (or too large)");
    }
    if (sum > double(std::numeric_limits<T>::max()) / 4) {
        const std::string type = sizeof(T) == 4 ? "float32" : "float64";
        throw std::invalid_argument(std::string(name) + " has values too large for " + type +
                                    " distances (a row's squared norm above the largest " + type +
                                    " / 4): scale the features" + (sizeof(T) == 4 ? " or use float64" : ""));
    }
}

// Sums over a row are split among kSumLanes accumulators (value t in lane t % kSumLanes, added as
// (0 + 1) + (2 + 3) at the end): one chain of d dependent adds per row would cost more than the
// row's share of the distance tiles at small k.
constexpr int kSumLanes = 4;

inline double lane_total(const double (&lane)[kSumLanes]) {
    return (lane[0] + lane[1]) + (lane[2] + lane[3]);
}

// ||x - y||^2 in double from the differences (exact for float32), after x's require_in_range, in
// the same pass over x (y = x: the check alone).
template <class T>
double checked_squared_distance(const T* x, const T* y, std::int64_t d, const char* name) {
    double sum[kSumLanes] = {}, distance[kSumLanes] = {};
    const auto add = [&](int lane, std::int64_t t) {
        const double value = x[t], difference = value - double(y[t]);
        sum[lane] += value * value;
        distance[lane] += difference * difference;
    };
    std::int64_t t = 0;
    for (; t + kSumLanes <= d; t += kSumLanes) {
        for (int j = 0; j < kSumLanes; ++j) add(j, t + j);
    }
    for (int j = 0; t < d; ++j, ++t) add(j, t);
    require_in_range<T>(lane_total(sum), name);
    return lane_total(distance);
}

// The largest squared norm of a translated centroid, ||c - m||^2: with rows of ||x||^2 <= max / 4
// (require_in_range), ||x - m|| <= sqrt(max), so |2 (x - m).(c - m)| <= max / 2 and every term of the
// translated distances stays in T's range, as untranslated. Only centroids some 1e18 apart in
// float32 pass it; they are not translated.
template <class T>
constexpr double kMaxTranslatedNorm = double(std::numeric_limits<T>::max()) / 16;

// The mean of the k rows (d values each) of x, summed in double in row order, rounded to T.
template <class T>
Array<T> mean_row(const T* x, std::int64_t k, std::int64_t d) {
    Array<double> sum(d);
    for (std::int64_t c = 0; c < k; ++c) {
        for (std::int64_t t = 0; t < d; ++t) sum[t] += double(x[c * d + t]);
    }
    Array<T> mean(d);
    for (std::int64_t t = 0; t < d; ++t) mean[t] = T(sum[t] / double(k));
    return mean;
}

// Centroids translated by shift (m: their mean, or 0, see kMaxTranslatedNorm), in panels of
// P = kTileVectors lane vectors (P L centroids): weights[(p d + t) P + h] lane j holds -2 (c - m)[t]
// of centroid c = p P L + h L + j, norms[P p + h] lane j holds ||c - m||^2 of it. Padding centroids
// beyond k have zero weights and an infinite norm: never nearest. rows: the centroids as given.
template <class T>
struct CentroidPanels {
    using V = typename Simd<T>::V;
    static constexpr int width = kTileVectors * Simd<T>::lanes;

    CentroidPanels(const T* centroids, std::int64_t k, std::int64_t d)
        : k(k), d(d), n_panels((k + width - 1) / width), rows(centroids), shift(mean_row(centroids, k, d)),
          weights(n_panels * d * kTileVectors), norms(n_panels * kTileVectors) {
        if (!pack()) {
            shift = Array<T>(d);
            pack();
        }
    }

    std::int64_t k, d, n_panels;
    const T* rows;
    Array<T> shift;
    Array<V> weights;
    Array<V> norms;

private:
    // Fills weights and norms with the centroids less shift; false if a norm passes kMaxTranslatedNorm.
    bool pack() {
        constexpr int L = Simd<T>::lanes;
        bool in_range = true;
        for (std::int64_t p = 0; p < n_panels; ++p) {
            for (int h = 0; h < kTileVectors; ++h) {
                V norm = broadcast(std::numeric_limits<T>::infinity());
                for (int j = 0; j < L; ++j) {
                    const std::int64_t c = p * width + h * L + j;
                    double sum = 0;
                    for (std::int64_t t = 0; t < d; ++t) {
                        const T value = c < k ? T(rows[c * d + t] - shift[t]) : T(0);
                        weights[(p * d + t) * kTileVectors + h][j] = T(-2) * value;
                        sum += double(value) * double(value);
                    }
                    if (c < k) norm[j] = T(sum);
                    in_range = in_range && sum <= kMaxTranslatedNorm<T>;
                }
                norms[kTileVectors * p + h] = norm;
            }
        }
        return in_range;
    }
};

// acc[r][h] = ||c - m||^2 - 2 x_r.(c - m) for R rows of x (row stride d, already less m) against panel p.
template <class T, int R>
inline void distance_tile(const T* x, const CentroidPanels<T>& c, std::int64_t p,
                          typename Simd<T>::V (&acc)[R][kTileVectors]) {
    using V = typename Simd<T>::V;
    constexpr int P = kTileVectors;
    const std::int64_t d = c.d;
    const V* w = c.weights.data() + p * d * P;
    for (int r = 0; r < R; ++r) {
        for (int h = 0; h < P; ++h) acc[r][h] = V{};
    }
    for (std::int64_t t = 0; t < d; ++t) {
        V wt[P];
        for (int h = 0; h < P; ++h) wt[h] = w[P * t + h];
        for (int r = 0; r < R; ++r) {
            const V xv = broadcast(x[r * d + t]);
            for (int h = 0; h < P; ++h) acc[r][h] += xv * wt[h];
        }
    }
    for (int r = 0; r < R; ++r) {
        for (int h = 0; h < P; ++h) acc[r][h] += c.norms[P * p + h];
    }
}

// Running nearest centroid of R rows (x with row stride d) after panel p: best[r] and
// index[r] hold, per lane, the smallest distance so far and its centroid.
template <class T, int R>
inline void argmin_tile(const T* x, const CentroidPanels<T>& c, std::int64_t p, typename Simd<T>::V* best,
                        typename Simd<T>::I* index) {
    using V = typename Simd<T>::V;
    using I = typename Simd<T>::I;
    using Lane = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;  // the lane type of I
    constexpr int L = Simd<T>::lanes;
    V acc[R][kTileVectors];
    distance_tile<T, R>(x, c, p, acc);
    I first_index;
    for (int j = 0; j < L; ++j) first_index[j] = static_cast<Lane>(p * kTileVectors * L + j);
    for (int r = 0; r < R; ++r) {
        // Strict comparisons keep the lower index on ties: earlier vectors of the panel
        // first, earlier panels before later ones.
        V nearer = acc[r][0];
        I nearer_index = first_index;
        for (int h = 1; h < kTileVectors; ++h) {
            const I closer = acc[r][h] < nearer;
            nearer = closer ? acc[r][h] : nearer;
            nearer_index = closer ? first_index + h * L : nearer_index;
        }
        const I better = nearer < best[r];
        best[r] = better ? nearer : best[r];
        index[r] = better ? nearer_index : index[r];
    }
}

// Rows per block of the assignment (a multiple of every tile height): the block's shifted rows (90
// float32 features: 17 KiB) and one centroid panel (8.4 KiB, 17 KiB with AVX-512) stay in L1
// while the panel meets every row of the block.
constexpr int kBlockRows = 48;

// Nearest centroid of `rows` <= kBlockRows rows starting at x (shifted: the same rows less c.shift):
// labels, and squared distances from the differences x - c.
template <class T>
void assign_block(const T* x, const T* shifted, std::int64_t rows, const CentroidPanels<T>& c,
                  std::int64_t* labels, T* distances) {
    using V = typename Simd<T>::V;
    using I = typename Simd<T>::I;
    constexpr int L = Simd<T>::lanes;
    const std::int64_t d = c.d;
    V best[kBlockRows];
    I index[kBlockRows];
    for (int r = 0; r < kBlockRows; ++r) {
        best[r] = broadcast(std::numeric_limits<T>::infinity());
        index[r] = I{};
    }
    for (std::int64_t p = 0; p < c.n_panels; ++p) {
        std::int64_t r = 0;
        for (; r + kTileRows <= rows; r += kTileRows) {
            argmin_tile<T, kTileRows>(shifted + r * d, c, p, best + r, index + r);
        }
        for_tail_rows(rows - r, [&](auto tail) {
            argmin_tile<T, decltype(tail)::value>(shifted + r * d, c, p, best + r, index + r);
        });
    }
    for (std::int64_t r = 0; r < rows; ++r) {
        T value = best[r][0];
        std::int64_t nearest = index[r][0];
        for (int j = 1; j < L; ++j) {
            if (best[r][j] < value || (best[r][j] == value && index[r][j] < nearest)) {
                value = best[r][j];
                nearest = index[r][j];
            }
        }
        labels[r] = nearest;
        // The tiles' value is off by about eps (||x - m||^2 + ||c - m||^2), which can exceed the distance to
        // a tight codeword; from the differences it is exact to T's rounding.
        distances[r] = T(checked_squared_distance(x + r * d, c.rows + nearest * d, d, "x"));
    }
}

// out[r][j] = squared distance of row r to centroid j, for R rows starting at x (shifted: less c.shift).
template <class T, int R>
void distance_tile_rows(const T* x, const T* shifted, const CentroidPanels<T>& c, T* out) {
    using V = typename Simd<T>::V;
    constexpr int L = Simd<T>::lanes;
    T norm[R];
    for (int r = 0; r < R; ++r) norm[r] = T(checked_squared_distance(x + r * c.d, c.shift.data(), c.d, "x"));
    for (std::int64_t p = 0; p < c.n_panels; ++p) {
        V acc[R][kTileVectors];
        distance_tile<T, R>(shifted, c, p, acc);
        for (int r = 0; r < R; ++r) {
            for (int h = 0; h < kTileVectors; ++h) {
                const std::int64_t first = (p * kTileVectors + h) * L;
                const V value = acc[r][h] + norm[r];
                const V clamped = value > T(0) ? value : V{};
                T* dst = out + r * c.k + first;
                if (first + L <= c.k) {
                    store_unaligned(dst, clamped);
                } else {
                    for (int j = 0; first + j < c.k; ++j) dst[j] = clamped[j];
                }
            }
        }
    }
}

// Squared distances of `rows` rows starting at x (shifted: less c.shift) to every centroid: out (rows, k).
template <class T>
void distance_block(const T* x, const T* shifted, std::int64_t rows, const CentroidPanels<T>& c, T* out) {
    const std::int64_t d = c.d, k = c.k;
    std::int64_t r = 0;
    for (; r + kTileRows <= rows; r += kTileRows) {
        distance_tile_rows<T, kTileRows>(x + r * d, shifted + r * d, c, out + r * k);
    }
    for_tail_rows(rows - r, [&](auto tail) {
        distance_tile_rows<T, decltype(tail)::value>(x + r * d, shifted + r * d, c, out + r * k);
    });
}

// out = `rows` rows of x less c.shift (d values each).
template <class T>
void shift_rows(const T* x, std::int64_t rows, const CentroidPanels<T>& c, T* out) {
    const std::int64_t d = c.d;
    const T* m = c.shift.data();
    for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t t = 0; t < d; ++t) out[r * d + t] = x[r * d + t] - m[t];
    }
}

// Calls block(i, rows, shifted) for consecutive blocks of at most kBlockRows of the n rows of x,
// blocks split among threads; shifted holds the block's rows less c.shift (a scratch buffer per
// chunk of blocks, which the tiles read instead of x).
template <class T, class Block>
void for_each_row_block(const T* x, std::int64_t n, const CentroidPanels<T>& c, int threads, const Block& block) {
    const std::int64_t n_blocks = (n + kBlockRows - 1) / kBlockRows;
    for_each_chunk(n_blocks, threads, [&](std::int64_t begin, std::int64_t end) {
        Array<T> shifted(kBlockRows * c.d);
        for (std::int64_t b = begin; b < end; ++b) {
            const std::int64_t i = b * kBlockRows, rows = std::min<std::int64_t>(kBlockRows, n - i);
            shift_rows(x + i * c.d, rows, c, shifted.data());
            block(i, rows, shifted.data());
        }
    });
}

template <class T>
void check_centroids(const T* centroids, std::int64_t k, std::int64_t d) {
    require_positive(k, "n_clusters");
    require_positive(d, "n_features");
    require(k < (std::int64_t(1) << 31), "n_clusters=" + std::to_string(k) + " must be below 2**31");
    for (std::int64_t c = 0; c < k; ++c) {
        checked_squared_distance(centroids + c * d, centroids + c * d, d, "centroids");
    }
}

template <class T>
void assign_kernel(const T* x, std::int64_t n, std::int64_t d, const T* centroids, std::int64_t k,
                   std::int64_t* labels, T* distances, int threads) {
    check_centroids(centroids, k, d);
    const CentroidPanels<T> panels(centroids, k, d);
    for_each_row_block(x, n, panels, threads, [&](std::int64_t i, std::int64_t rows, const T* shifted) {
        assign_block(x + i * d, shifted, rows, panels, labels + i, distances + i);
    });
}

template <class T>
void distances_kernel(const T* x, std::int64_t n, std::int64_t d, const T* centroids, std::int64_t k, T* out,
                      int threads) {
    check_centroids(centroids, k, d);
    const CentroidPanels<T> panels(centroids, k, d);
    for_each_row_block(x, n, panels, threads, [&](std::int64_t i, std::int64_t rows, const T* shifted) {
        distance_block(x + i * d, shifted, rows, panels, out + i * k);
    });
}

// sums[c] = sum of the rows labelled c (in double, in row order), counts[c] = their number.
// Threads own ranges of clusters, so each sum is accumulated in the same order always.
template <class T>
void centroid_sums_kernel(const T* x, std::int64_t n, std::int64_t d, const std::int64_t* labels, std::int64_t k,
                          double* sums, std::int64_t* counts, int threads) {
    require_positive(k, "n_clusters");
    for (std::int64_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || labels[i] >= k) {
            throw std::invalid_argument("labels[" + std::to_string(i) + "]=" + std::to_string(labels[i]) +
                                        " is not in [0, n_clusters=" + std::to_string(k) + ")");
        }
    }
    // One range of clusters per thread: every range scans all labels.
    const std::int64_t n_parts = std::min<std::int64_t>(k, threads);
    parallel_for(n_parts, threads, [&](std::int64_t part) {
        const std::int64_t first = k * part / n_parts, last = k * (part + 1) / n_parts;
        for (std::int64_t c = first; c < last; ++c) counts[c] = 0;
        for (std::int64_t c = first * d; c < last * d; ++c) sums[c] = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t c = labels[i];
            if (c < first || c >= last) continue;
            ++counts[c];
            double* sum = sums + c * d;
            const T* row = x + i * d;
            for (std::int64_t t = 0; t < d; ++t) sum[t] += double(row[t]);
        }
    });
}
