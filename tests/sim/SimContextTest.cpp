// SimContext: each instance installs a fresh SystemC context, so that a process can elaborate
// and run more than one model (one per test here). Each test elaborates a tiny module whose
// thread waits 10 ns a given number of times; the end time and the count are known by hand.
#include "sim/kernel/SimContext.h"

#include <gtest/gtest.h>

#include <systemc>

namespace {

using sc_core::SC_NS;
using sc_core::sc_time;

SC_MODULE(Ticker) {
    int count = 0;
    int steps;

    SC_HAS_PROCESS(Ticker);
    Ticker(const sc_core::sc_module_name& name, int n) : sc_core::sc_module(name), steps(n) {
        SC_THREAD(run);
    }

    void run() {
        for (int i = 0; i < steps; ++i) {
            wait(10, SC_NS);
            ++count;
        }
    }
};

TEST(SimContextTest, FirstElaborationRunsToCompletion) {
    edgesim::sim::SimContext ctx;
    Ticker ticker("ticker", 5);
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
    sc_core::sc_start();
    EXPECT_EQ(ticker.count, 5);
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_time(50, SC_NS));
}

// Same module name as above: would clash ("ticker" already exists) and sc_start would refuse to
// run after the first test's simulation ended, unless the context really is fresh.
TEST(SimContextTest, SecondElaborationInSameProcessRunsToCompletion) {
    edgesim::sim::SimContext ctx;
    Ticker ticker("ticker", 7);
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
    sc_core::sc_start();
    EXPECT_EQ(ticker.count, 7);
    EXPECT_EQ(sc_core::sc_time_stamp(), sc_time(70, SC_NS));
}

TEST(SimContextTest, ContextsInSequenceEachStartAtTimeZero) {
    for (int steps : {3, 4}) {
        SCOPED_TRACE(steps);
        edgesim::sim::SimContext ctx;
        EXPECT_EQ(&ctx.context(), sc_core::sc_get_curr_simcontext());
        EXPECT_EQ(sc_core::sc_time_stamp(), sc_core::SC_ZERO_TIME);
        Ticker ticker("ticker", steps);
        sc_core::sc_start(sc_time(25, SC_NS));
        EXPECT_EQ(sc_core::sc_time_stamp(), sc_time(25, SC_NS));
        EXPECT_EQ(ticker.count, 2);
        sc_core::sc_start();
        EXPECT_EQ(ticker.count, steps);
        EXPECT_EQ(sc_core::sc_time_stamp(), sc_time(10.0 * steps, SC_NS));
    }
}

TEST(SimContextTest, RestoresPreviousContextOnDestruction) {
    sc_core::sc_simcontext* before = sc_core::sc_get_curr_simcontext();
    {
        edgesim::sim::SimContext ctx;
        EXPECT_NE(&ctx.context(), before);
        EXPECT_EQ(sc_core::sc_get_curr_simcontext(), &ctx.context());
    }
    EXPECT_EQ(sc_core::sc_get_curr_simcontext(), before);
}

} // namespace
