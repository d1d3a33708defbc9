// Argument handling shared by the binding files: dtype dispatch and the checks that
// every array crossing into C++ must pass (dtype, C-contiguity, number of dimensions).
// Nothing is converted silently: Python makes any copy explicitly.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <chrono>
#include <complex>
#include <string>
#include <thread>
#include <vector>

#include "checks.hpp"

namespace fasttag {

namespace py = pybind11;

inline std::string dtype_name(const py::array& array) {
    return py::str(array.dtype()).cast<std::string>();
}

// Whether `array` holds T in native byte order. Dtypes compare by value (numpy's
// PyArray_EquivTypes), not by identity: an array that went through pickle or joblib has an
// equal dtype object of its own.
template <class T>
bool has_dtype(const py::array& array) {
    return py::isinstance<py::array_t<T>>(array);
}

// Calls fn(T{}) where T is the float type of `array`: float32 or float64.
template <class Fn>
auto dispatch_float(const py::array& array, const char* name, Fn&& fn) {
    if (has_dtype<float>(array)) return fn(float{});
    if (has_dtype<double>(array)) return fn(double{});
    throw std::invalid_argument(std::string(name) + " must be float32 or float64, got dtype " + dtype_name(array));
}

// `array` as a C-contiguous, aligned array of T with `ndim` dimensions, or std::invalid_argument.
// Messages are built only on failure: this runs on every call. numpy arrays may be unaligned (a view of
// a byte buffer at an odd offset), and reading their values as T is undefined behaviour (UBSan).
template <class T>
py::array_t<T, py::array::c_style> checked_array(const py::array& array, const char* name, py::ssize_t ndim) {
    if (!has_dtype<T>(array)) {
        throw std::invalid_argument(std::string(name) + " must have dtype " + dtype_name(py::array_t<T>(0)) +
                                    ", got " + dtype_name(array));
    }
    if ((array.flags() & py::array::c_style) == 0) {
        throw std::invalid_argument(std::string(name) + " must be C-contiguous");
    }
    if ((array.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) == 0) {
        throw std::invalid_argument(std::string(name) + " must be aligned (np.require(..., requirements='CA'))");
    }
    if (array.ndim() != ndim) {
        throw std::invalid_argument(std::string(name) + " must have " + std::to_string(ndim) +
                                    " dimensions, got " + std::to_string(array.ndim()));
    }
    return py::reinterpret_borrow<py::array_t<T, py::array::c_style>>(array);
}

// Takes the GIL back after without_gil. Once the interpreter is finalizing, CPython before
// 3.14 ends a thread that asks for the GIL (a daemon thread) with pthread_exit; unwinding our
// frames then would std::terminate the process (in a noexcept destructor such as
// py::gil_scoped_release's) or release Python objects without the GIL. Such a thread waits,
// without the GIL, for the process to end instead, as CPython 3.14 makes it do.
inline void take_back_gil(PyThreadState* state) {
#if PY_VERSION_HEX >= 0x030D0000
    const bool finalizing = Py_IsFinalizing();
#else
    const bool finalizing = _Py_IsFinalizing();
#endif
    while (finalizing) std::this_thread::sleep_for(std::chrono::hours(1));
    PyEval_RestoreThread(state);
}

// work() with the GIL released, for C++ that touches no Python object. The GIL is taken back
// by plain calls (take_back_gil), not by a destructor.
template <class Work>
void without_gil(const Work& work) {
    PyThreadState* state = PyEval_SaveThread();
    try {
        work();
    } catch (...) {
        take_back_gil(state);
        throw;
    }
    take_back_gil(state);
}

inline int checked_workers(int workers) {
    require(workers >= 1, "workers=" + std::to_string(workers) + " must be >= 1 at the C++ boundary");
    return workers;
}

// A new C-contiguous complex array of this shape, viewed as interleaved T.
template <class T>
py::array_t<std::complex<T>> new_complex(std::vector<py::ssize_t> shape) {
    return py::array_t<std::complex<T>>(shape);
}

}  // namespace fasttag
