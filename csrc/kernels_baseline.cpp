// The kernels for the portable x86-64 baseline (SSE2): always available.
#define FASTTAG_ARCH baseline
#define FASTTAG_ARCH_NAME "baseline"
#include "kernels_impl.hpp"
