// The one lock of the FFT plan caches (declared in kernels.hpp), made fork-safe: the thread
// that calls fork() takes it first, so a child never inherits it held by a thread the child
// does not have (its first FFT would wait forever; torch's DataLoader workers fork).
#include <pthread.h>

#include <mutex>

#include "kernels.hpp"

namespace fasttag {
namespace {

std::mutex& the_lock() {
    static std::mutex lock;
    return lock;
}

void lock_before_fork() { the_lock().lock(); }
void unlock_after_fork() { the_lock().unlock(); }

}  // namespace

std::mutex& plan_cache_mutex() {
    static const int registered = pthread_atfork(lock_before_fork, unlock_after_fork, unlock_after_fork);
    (void)registered;
    return the_lock();
}

}  // namespace fasttag
