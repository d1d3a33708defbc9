// Bindings for the real FFT and the direct DFT over the last axis of (rows, n) arrays.
#include "bind_common.hpp"
#include "kernels.hpp"

namespace fasttag {
namespace {

template <class T>
py::array transform_rows(const py::array& x_any, int workers, bool direct) {
    const auto x = checked_array<T>(x_any, "x", 2);
    const std::int64_t rows = x.shape(0), n = x.shape(1);
    require_positive(n, "n");
    auto out = new_complex<T>({rows, n / 2 + 1});
    const KernelTable<T>& k = kernels<T>();
    auto kernel = direct ? k.dft : k.rfft;
    const T* in = x.data();
    T* result = reinterpret_cast<T*>(out.mutable_data());
    // Safe without the GIL: x and out are owned here and no Python object is touched.
    without_gil([&] {
        kernel(in, rows, n, result, checked_workers(workers));
    });
    return out;
}

constexpr const char* rfft_doc = R"doc(
Real-input FFT of each row: x (rows, n) float32/float64 -> (rows, n//2 + 1) complex.

Mixed-radix (4, 2, 3, 5) Stockham passes for n = 2^a 3^b 5^c; Bluestein otherwise.
Vectorised across rows. Called by fasttag.rfft, which validates and reshapes.
)doc";

constexpr const char* dft_doc = R"doc(
Direct O(n^2) real-input DFT of each row: the reference that the FFT replaces.
x (rows, n) float32/float64 -> (rows, n//2 + 1) complex.
)doc";

// Test support: holds the plan caches' lock for `seconds` (without the GIL), as another
// thread's FFT does briefly, so that tests can fork while it is held.
void hold_plan_cache_lock(double seconds) {
    without_gil([&] {
        std::lock_guard<std::mutex> lock(plan_cache_mutex());
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    });
}

}  // namespace

void register_fft(py::module_& m) {
    m.def("rfft",
          [](const py::array& x, int workers) {
              return dispatch_float(x, "x", [&](auto t) { return transform_rows<decltype(t)>(x, workers, false); });
          },
          rfft_doc, py::arg("x"), py::arg("workers") = 1);
    m.def("dft",
          [](const py::array& x, int workers) {
              return dispatch_float(x, "x", [&](auto t) { return transform_rows<decltype(t)>(x, workers, true); });
          },
          dft_doc, py::arg("x"), py::arg("workers") = 1);
    m.def("_hold_plan_cache_lock", &hold_plan_cache_lock, "Test support: hold the FFT plan caches' lock.",
          py::arg("seconds"));
}

}  // namespace fasttag
