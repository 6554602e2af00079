// Ownership of the SystemC simulation context. SystemC keeps one global context per process
// and cannot re-elaborate after sc_start; a SimContext installs a fresh context so that a
// different platform can be elaborated in the same process (tests, structural sweeps), and
// restores the previous one when it goes away (the approach of DRAMSys' test fixture).
// Modules elaborated in a context must be destroyed before it: declare the SimContext first.
#pragma once

#include <systemc>

namespace edgesim::sim {

class SimContext {
public:
    SimContext();
    ~SimContext();
    SimContext(const SimContext&) = delete;
    SimContext& operator=(const SimContext&) = delete;
    SimContext(SimContext&&) = delete;
    SimContext& operator=(SimContext&&) = delete;

    sc_core::sc_simcontext& context() { return *context_; }

    /// A context that is not made current on construction: objects that own their model
    /// (Simulator) enter it through Scope only, so the process's current context never
    /// points at one that may be destroyed first.
    class Detached;

    /// Makes this context current for the scope's lifetime (an object owning a SimContext
    /// runs its model inside one, so several can coexist in a process), then restores the
    /// one that was current.
    class Scope {
    public:
        explicit Scope(SimContext& ctx);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;
        Scope(Scope&&) = delete;
        Scope& operator=(Scope&&) = delete;

    private:
        sc_core::sc_simcontext* saved_;
    };

protected:
    sc_core::sc_simcontext* context_;
    sc_core::sc_simcontext* previous_;
};

class SimContext::Detached : public SimContext {
public:
    Detached();
};

} // namespace edgesim::sim
