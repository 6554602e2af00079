// Sweep workers (explorer/sweep/WorkerPool.h): what a worker raises reaches the writer as the
// same kind of error, whether the worker runs in the writer's process or in a forked child.
#include "explorer/sweep/WorkerPool.h"

#include "common/Diagnostics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace edgesim::explorer {
namespace {

using ::testing::HasSubstr;

/// A worker that answers each task with its begin as a point index, fails on begin 7 with an
/// input error and on begin 9 with another error.
wire::Result work(const wire::Task& task) {
    if (task.begin() == 7) {
        throw InputError({{"study.textproto", 6, 3, "mapping", "unknown engine 'ne16'"},
                          {"m.textproto", 2, 0, "", "second"}});
    }
    if (task.begin() == 9) {
        throw std::runtime_error("out of memory");
    }
    wire::Result r;
    r.add_points()->set_index(task.begin());
    return r;
}

wire::Task task(int64_t begin) {
    wire::Task t;
    t.set_begin(begin);
    t.set_end(begin + 1);
    return t;
}

/// The result of `t` sent to `pool`'s worker 0.
wire::Result answer(WorkerPool& pool, int64_t begin) {
    pool.send(0, task(begin));
    std::optional<std::pair<int, wire::Result>> got;
    for (int i = 0; i < 100 && !got; ++i) {
        got = pool.receive(100);
    }
    EXPECT_TRUE(got.has_value());
    return got ? got->second : wire::Result{};
}

void expectErrorsCarried(WorkerPool& pool, bool lastTask) {
    const wire::Result ok = answer(pool, 3);
    EXPECT_FALSE(failed(ok));
    ASSERT_EQ(ok.points_size(), 1);
    EXPECT_EQ(ok.points(0).index(), 3);

    const wire::Result bad = answer(pool, lastTask ? 9 : 7);
    ASSERT_TRUE(failed(bad));
    if (lastTask) {
        try {
            rethrow(bad, 4);
            ADD_FAILURE() << "rethrow returned";
        } catch (const InputError&) {
            ADD_FAILURE() << "a runtime error came back as an input error";
        } catch (const std::runtime_error& e) {
            EXPECT_THAT(e.what(), HasSubstr("sweep worker 4"));
            EXPECT_THAT(e.what(), HasSubstr("out of memory"));
        }
        return;
    }
    try {
        rethrow(bad, 0);
        ADD_FAILURE() << "rethrow returned";
    } catch (const InputError& e) {
        ASSERT_EQ(e.diagnostics().size(), 2U);
        const Diagnostic& d = e.diagnostics()[0];
        EXPECT_EQ(d.file, "study.textproto");
        EXPECT_EQ(d.line, 6);
        EXPECT_EQ(d.column, 3);
        EXPECT_EQ(d.field, "mapping");
        EXPECT_EQ(d.reason, "unknown engine 'ne16'");
        EXPECT_EQ(e.diagnostics()[1].format(), "m.textproto:2: second");
    }
}

TEST(WorkerPoolTest, InputErrorsOfAnInlineWorkerComeBackAsInputErrors) {
    const auto pool = inlineWorkers(work);
    expectErrorsCarried(*pool, false);
    expectErrorsCarried(*pool, true); // the same worker goes on: it is this process
}

TEST(WorkerPoolTest, InputErrorsOfAForkedWorkerComeBackAsInputErrors) {
    {
        const auto pool = forkWorkers(1, work);
        expectErrorsCarried(*pool, false); // the child stops after a failed task
        pool->kill();
    }
    const auto pool = forkWorkers(1, work);
    expectErrorsCarried(*pool, true);
    pool->shutdown();
}

} // namespace
} // namespace edgesim::explorer
