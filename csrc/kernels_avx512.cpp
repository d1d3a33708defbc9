// The kernels compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma and 64-byte
// lane vectors (see CMakeLists.txt); used only on CPUs (and OSes) that support all of them.
#define FASTTAG_ARCH avx512
#define FASTTAG_ARCH_NAME "avx512"
#include "kernels_impl.hpp"
