// Argument checks for the C++ kernels: a failed check throws std::invalid_argument
// (pybind11 turns it into ValueError); nothing here asserts or aborts. Internal linkage:
// each kernel build (baseline, AVX2) keeps its own copy.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace fasttag {

static inline void require(bool condition, const std::string& message) {
    if (!condition) throw std::invalid_argument(message);
}

static inline void require_positive(std::int64_t value, const char* name) {
    require(value > 0, std::string(name) + "=" + std::to_string(value) + " must be a positive integer");
}

}  // namespace fasttag
