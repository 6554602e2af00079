#include "sim/kernel/SimContext.h"

#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#include <sanitizer/asan_interface.h>
#include <sys/mman.h>

// AddressSanitizer builds only. SystemC runs its threads on coroutine stacks it maps itself
// (mmap, with guard pages) and ASan does not know about: a context destroyed while its threads
// are suspended leaves the redzones of their live frames poisoned in ASan's shadow, and the
// next context whose coroutine stack is mapped at the same address trips over that stale
// poison as soon as a frame there writes a local (a false "stack-buffer-overflow" in
// DmaEngine::runChannel). Unmapped memory holds no objects, so its shadow is cleared here
// before the unmapping goes on to ASan's and libc's munmap.
extern "C" int munmap(void* address, size_t length) noexcept {
    __asan_unpoison_memory_region(address, length);
    using Munmap = int (*)(void*, size_t);
    static const auto next = reinterpret_cast<Munmap>(dlsym(RTLD_NEXT, "munmap"));
    return next(address, length);
}
#endif

namespace edgesim::sim {

namespace {

/// SystemC's informational messages and warnings go to standard output, where they would
/// corrupt `--format json` or CSV (e.g. W506 when a user's bus name holds '.': SystemC
/// substitutes the characters in its own object name and says so). edgesim reports through
/// its results, never through SystemC's reports: those two severities do nothing; errors
/// and fatals keep SystemC's default (throw, abort).
void silenceSystemcReports() {
    static const bool done = [] {
        sc_core::sc_report_handler::set_actions(sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
        sc_core::sc_report_handler::set_actions(sc_core::SC_WARNING, sc_core::SC_DO_NOTHING);
        return true;
    }();
    static_cast<void>(done);
}

} // namespace

SimContext::SimContext()
    : context_((silenceSystemcReports(), new sc_core::sc_simcontext())),
      previous_(sc_core::sc_curr_simcontext) {
    sc_core::sc_curr_simcontext = context_;
    sc_core::sc_default_global_context = context_;
}

SimContext::~SimContext() {
    // Restore only if this context is still the current one: contexts may be destroyed in
    // any order, and a context made current elsewhere must not be replaced by one of ours.
    if (sc_core::sc_curr_simcontext == context_) {
        sc_core::sc_curr_simcontext = previous_;
        sc_core::sc_default_global_context = previous_;
    }
    delete context_;
}

SimContext::Detached::Detached() : SimContext() {
    // Leave the process's current context as it was; Scope switches to this one when used.
    sc_core::sc_curr_simcontext = previous_;
    sc_core::sc_default_global_context = previous_;
}

SimContext::Scope::Scope(SimContext& ctx) : saved_(sc_core::sc_curr_simcontext) {
    sc_core::sc_curr_simcontext = ctx.context_;
    sc_core::sc_default_global_context = ctx.context_;
}

SimContext::Scope::~Scope() {
    sc_core::sc_curr_simcontext = saved_;
    sc_core::sc_default_global_context = saved_;
}

} // namespace edgesim::sim
