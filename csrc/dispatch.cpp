// Chooses the kernel build for this CPU once, at first use.
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

template <class T>
KernelTable<T> select_table() {
    return cpu_has_avx2_fma() ? avx2::make_kernel_table<T>() : baseline::make_kernel_table<T>();
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
