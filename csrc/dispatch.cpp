// Chooses the kernel build for this CPU once, at first use.
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "kernels.hpp"

namespace fasttag {
namespace {

enum class Build { baseline, avx2, avx512 };

// Whether this CPU, and its OS, run the build. GCC's and Clang's __builtin_cpu_supports report
// AVX and AVX-512 features only where XCR0 says the OS saves the YMM (and opmask, ZMM) state.
bool cpu_runs(Build build) {
#if defined(FASTTAG_HAVE_X86_KERNELS)
    __builtin_cpu_init();
    const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    switch (build) {
        case Build::avx2: return avx2;
        case Build::avx512:
            return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                   __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
        default: return true;
    }
#else
    return build == Build::baseline;
#endif
}

// FASTTAG_KERNELS=baseline, avx2 or avx512 forces that build (to test it, or to rule a wider one
// out), an error naming the variable where this CPU cannot run it; unset, empty or "auto" takes
// the widest the CPU runs; anything else is an error naming the value.
Build chosen_build() {
    const char* value = std::getenv("FASTTAG_KERNELS");
    const std::string choice = value ? value : "";
    if (choice.empty() || choice == "auto") {
        for (Build build : {Build::avx512, Build::avx2}) {
            if (cpu_runs(build)) return build;
        }
        return Build::baseline;
    }
    Build forced;
    if (choice == "baseline") {
        forced = Build::baseline;
    } else if (choice == "avx2") {
        forced = Build::avx2;
    } else if (choice == "avx512") {
        forced = Build::avx512;
    } else {
        throw std::invalid_argument("FASTTAG_KERNELS='" + choice +
                                    "' must be 'auto', 'baseline', 'avx2' or 'avx512' (or unset)");
    }
    if (!cpu_runs(forced)) {
        throw std::invalid_argument("FASTTAG_KERNELS='" + choice + "' forces the " + choice +
                                    " kernel build, which this CPU (or its OS) cannot run");
    }
    return forced;
}

#if defined(FASTTAG_HAVE_X86_KERNELS)
// The AVX-512 kernels but the row transforms (rfft, dft), which stay on AVX2: rows of 1024 float32
// (or a multiple) all fall in one L1 set, and 16 of them, against 12 ways, made rfft 1.2-1.5x slower
// than AVX2 at n = 1024..4096. Frame kernels read frames a hop apart: AVX-512 wins there.
template <class T>
KernelTable<T> avx512_table() {
    KernelTable<T> table = avx512::make_kernel_table<T>();
    const KernelTable<T> avx2_table = avx2::make_kernel_table<T>();
    table.rfft = avx2_table.rfft;
    table.dft = avx2_table.dft;
    return table;
}
#endif

template <class T>
KernelTable<T> select_table() {
    switch (chosen_build()) {
#if defined(FASTTAG_HAVE_X86_KERNELS)
        case Build::avx512: return avx512_table<T>();
        case Build::avx2: return avx2::make_kernel_table<T>();
#endif
        default: return baseline::make_kernel_table<T>();
    }
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
