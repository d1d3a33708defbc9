// Instantiates every kernel for one instruction set. Include once per translation unit,
// with FASTTAG_ARCH naming the namespace (baseline, avx2, avx512): each build has its own
// symbols, so the linker never mixes code compiled for different CPUs.
#pragma once

#ifndef FASTTAG_ARCH
#error "define FASTTAG_ARCH before including kernels_impl.hpp"
#endif

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "checks.hpp"
#include "kernels.hpp"
#include "parallel.hpp"

namespace fasttag {
namespace FASTTAG_ARCH {

#include "arch/array.hpp"
#include "arch/simd.hpp"
#include "arch/fft.hpp"
#include "arch/spectral.hpp"
#include "arch/autocorrelation.hpp"
#include "arch/peaks.hpp"
#include "arch/kmeans.hpp"

template <class T>
void rfft_rows(const T* x, std::int64_t rows, std::int64_t n, T* out, int threads) {
    real_transform_rows(*shared_real_plan<T>(n), x, rows, out, threads);
}

template <class T>
void dft_rows(const T* x, std::int64_t rows, std::int64_t n, T* out, int threads) {
    real_transform_rows(DirectDft<T>(n), x, rows, out, threads);
}

template <class T>
KernelTable<T> make_kernel_table() {
    KernelTable<T> table;
    table.isa = FASTTAG_ARCH_NAME;
    table.rfft = &rfft_rows<T>;
    table.dft = &dft_rows<T>;
    table.stft = &stft_kernel<T>;
    table.melspectrogram = &melspectrogram_kernel<T>;
    table.project = &project_kernel<T>;
    table.decibels = &decibels_kernel<T>;
    table.autocorrelation = &autocorrelation_kernel<T>;
    table.cosine_autocorrelation = &cosine_autocorrelation_kernel<T>;
    table.spectral_peaks = &spectral_peaks_kernel<T>;
    table.spectrogram_peaks = &spectrogram_peaks_kernel<T>;
    table.assign = &assign_kernel<T>;
    table.distances = &distances_kernel<T>;
    table.centroid_sums = &centroid_sums_kernel<T>;
    return table;
}

template KernelTable<float> make_kernel_table<float>();
template KernelTable<double> make_kernel_table<double>();

}  // namespace FASTTAG_ARCH
}  // namespace fasttag
