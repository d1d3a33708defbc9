// fasttag._core: registers each binding area; the work lives in the other files.
#include <pybind11/pybind11.h>

#include "kernels.hpp"

namespace py = pybind11;

namespace fasttag {
void register_fft(py::module_& m);
void register_spectral(py::module_& m);
void register_kmeans(py::module_& m);
void register_audio(py::module_& m);
}  // namespace fasttag

// The only mutable state shared between calls is the cache of FFT plans, behind one lock
// (plan_cache_lock.cpp); buffers live on each call's stack and the kernel table is a
// function-local static. So free-threaded Python may run calls concurrently.
PYBIND11_MODULE(_core, m, py::mod_gil_not_used()) {
    m.doc() = "fasttag's compiled core: FFT, STFT, mel, decibels, k-means, downmix (see fasttag for the public API)";
    fasttag::register_fft(m);
    fasttag::register_spectral(m);
    fasttag::register_kmeans(m);
    fasttag::register_audio(m);
    m.def("isa", [] { return std::string(fasttag::kernels<float>().isa); },
          "The instruction set the kernels were chosen for on this CPU (\"avx512\", \"avx2+fma\" or \"baseline\").");
}
