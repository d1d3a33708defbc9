// Fork-join over independent tasks on a few std::threads (no OpenMP runtime: torch
// brings its own into the same process). Each task writes its own outputs only, so
// results do not depend on the thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace fasttag {

// Calls task(i) for every i in [0, n_tasks), on at most n_threads threads (the caller's
// thread included). The first exception thrown by a task is rethrown here.
template <class Task>
void parallel_for(std::int64_t n_tasks, int n_threads, const Task& task) {
    const std::int64_t n_workers = std::max<std::int64_t>(1, std::min<std::int64_t>(n_threads, n_tasks));
    if (n_workers == 1) {
        for (std::int64_t i = 0; i < n_tasks; ++i) task(i);
        return;
    }
    std::atomic<std::int64_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto drain = [&]() {
        for (std::int64_t i = next++; i < n_tasks; i = next++) {
            try {
                task(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) error = std::current_exception();
                next = n_tasks;
            }
        }
    };
    std::vector<std::thread> helpers;
    helpers.reserve(static_cast<std::size_t>(n_workers - 1));
    for (std::int64_t t = 1; t < n_workers; ++t) helpers.emplace_back(drain);
    drain();
    for (auto& helper : helpers) helper.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace fasttag
