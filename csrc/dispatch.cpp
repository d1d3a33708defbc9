// Chooses the kernel build for this CPU once, at first use.
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "kernels.hpp"

namespace fasttag {
namespace {

bool cpu_has_avx2_fma() {
#if defined(FASTTAG_HAVE_AVX2_TU) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

// FASTTAG_KERNELS=baseline forces the portable build on any CPU (to test it, or to rule the AVX2
// path out); unset, empty or "auto" chooses by the CPU; anything else is an error naming it.
bool baseline_forced() {
    const char* value = std::getenv("FASTTAG_KERNELS");
    const std::string choice = value ? value : "";
    if (choice.empty() || choice == "auto") return false;
    if (choice == "baseline") return true;
    throw std::invalid_argument("FASTTAG_KERNELS='" + choice + "' must be 'auto' or 'baseline' (or unset)");
}

template <class T>
KernelTable<T> select_table() {
    const bool use_avx2 = !baseline_forced() && cpu_has_avx2_fma();
    return use_avx2 ? avx2::make_kernel_table<T>() : baseline::make_kernel_table<T>();
}

}  // namespace

template <>
const KernelTable<float>& kernels<float>() {
    static const KernelTable<float> table = select_table<float>();
    return table;
}

template <>
const KernelTable<double>& kernels<double>() {
    static const KernelTable<double> table = select_table<double>();
    return table;
}

}  // namespace fasttag
