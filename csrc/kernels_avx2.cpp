// The kernels compiled with -mavx2 -mfma (see CMakeLists.txt); used only on CPUs that
// report both.
#define FASTTAG_ARCH avx2
#define FASTTAG_ARCH_NAME "avx2+fma"
#include "kernels_impl.hpp"
