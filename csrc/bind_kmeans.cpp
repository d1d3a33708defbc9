// Bindings for the k-means kernels: nearest-centroid assignment, all squared distances,
// and per-cluster sums for the centroid update.
#include "bind_common.hpp"
#include "kernels.hpp"

namespace fasttag {
namespace {

// x (n, d) and centroids (k, d) of the same dtype and d, both non-empty.
template <class T>
struct Operands {
    py::array_t<T, py::array::c_style> x, centroids;
    std::int64_t n, d, k;
};

template <class T>
Operands<T> checked_operands(const py::array& x_any, const py::array& centroids_any) {
    auto x = checked_array<T>(x_any, "x", 2);
    auto centroids = checked_array<T>(centroids_any, "centroids", 2);
    require(x.shape(0) > 0 && x.shape(1) > 0, "x must not be empty, got shape (" + std::to_string(x.shape(0)) +
                                                  ", " + std::to_string(x.shape(1)) + ")");
    require(centroids.shape(0) > 0, "centroids must not be empty");
    require(centroids.shape(1) == x.shape(1), "centroids have " + std::to_string(centroids.shape(1)) +
                                                  " features but x has " + std::to_string(x.shape(1)));
    return {x, centroids, x.shape(0), x.shape(1), centroids.shape(0)};
}

template <class T>
py::tuple assign(const py::array& x_any, const py::array& centroids_any, int workers) {
    const Operands<T> in = checked_operands<T>(x_any, centroids_any);
    py::array_t<std::int64_t> labels(in.n);
    py::array_t<T> distances(in.n);
    const T* x = in.x.data();
    const T* centroids = in.centroids.data();
    std::int64_t* label = labels.mutable_data();
    T* distance = distances.mutable_data();
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().assign(x, in.n, in.d, centroids, in.k, label, distance, checked_workers(workers));
    });
    return py::make_tuple(labels, distances);
}

template <class T>
py::array distances(const py::array& x_any, const py::array& centroids_any, int workers) {
    const Operands<T> in = checked_operands<T>(x_any, centroids_any);
    py::array_t<T> out({in.n, in.k});
    const T* x = in.x.data();
    const T* centroids = in.centroids.data();
    T* result = out.mutable_data();
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().distances(x, in.n, in.d, centroids, in.k, result, checked_workers(workers));
    });
    return out;
}

template <class T>
py::tuple centroid_sums(const py::array& x_any, const py::array& labels_any, std::int64_t n_clusters, int workers) {
    const auto x = checked_array<T>(x_any, "x", 2);
    const auto labels = checked_array<std::int64_t>(labels_any, "labels", 1);
    require(labels.shape(0) == x.shape(0), "labels has " + std::to_string(labels.shape(0)) + " entries but x has " +
                                               std::to_string(x.shape(0)) + " rows");
    require_positive(n_clusters, "n_clusters");
    const std::int64_t n = x.shape(0), d = x.shape(1);
    py::array_t<double> sums({n_clusters, d});
    py::array_t<std::int64_t> counts(n_clusters);
    const T* rows = x.data();
    const std::int64_t* label = labels.data();
    double* sum = sums.mutable_data();
    std::int64_t* count = counts.mutable_data();
    // Safe without the GIL: all arrays are held by this frame; no Python object is used.
    without_gil([&] {
        kernels<T>().centroid_sums(rows, n, d, label, n_clusters, sum, count, checked_workers(workers));
    });
    return py::make_tuple(sums, counts);
}

constexpr const char* assign_doc = R"doc(
Nearest centroid of each row: x (n, d), centroids (k, d) -> (labels int64 (n,), squared
distances (n,)). Ties go to the lowest index. The nearest is found by ||x - m||^2 - 2 (x - m).(c - m)
+ ||c - m||^2, m the centroids' mean; its distance is summed from the differences x - c in double.
Raises ValueError on NaN or infinite values.
)doc";

constexpr const char* distances_doc = R"doc(
Squared distances of every row to every centroid: x (n, d), centroids (k, d) -> (n, k),
computed as ||x - m||^2 - 2 (x - m).(c - m) + ||c - m||^2, m the centroids' mean, and clamped at 0.
)doc";

constexpr const char* centroid_sums_doc = R"doc(
Per-cluster sums and sizes: x (n, d), labels int64 (n,) in [0, n_clusters) ->
(sums float64 (n_clusters, d), counts int64 (n_clusters,)). Each sum is accumulated in
row order, whatever the number of workers.
)doc";

}  // namespace

void register_kmeans(py::module_& m) {
    m.def("kmeans_assign",
          [](const py::array& x, const py::array& centroids, int workers) {
              return dispatch_float(x, "x", [&](auto t) { return assign<decltype(t)>(x, centroids, workers); });
          },
          assign_doc, py::arg("x"), py::arg("centroids"), py::arg("workers") = 1);
    m.def("kmeans_distances",
          [](const py::array& x, const py::array& centroids, int workers) {
              return dispatch_float(x, "x", [&](auto t) { return distances<decltype(t)>(x, centroids, workers); });
          },
          distances_doc, py::arg("x"), py::arg("centroids"), py::arg("workers") = 1);
    m.def("kmeans_centroid_sums",
          [](const py::array& x, const py::array& labels, std::int64_t n_clusters, int workers) {
              return dispatch_float(x, "x", [&](auto t) {
                  return centroid_sums<decltype(t)>(x, labels, n_clusters, workers);
              });
          },
          centroid_sums_doc, py::arg("x"), py::arg("labels"), py::arg("n_clusters"), py::arg("workers") = 1);
}

}  // namespace fasttag
