// explorer::Session, the library's one query API: its results against Simulators built by
// hand from the same configs (an independent path through platforms/ and workloads/), the
// content hash (stable across sessions, query order and processes; following every input and
// nothing else), parameter overrides (numeric ones reconfigure, structural ones elaborate,
// nothing stale when switching), their errors, operating points, mappings, and the
// measurement predictor of `validate` / `calibrate`.
#include "explorer/session/Session.h"
#include "explorer/session/Predictor.h"
#include "explorer/session/Query.h"

#include "analysis/Measurements.h"
#include "common/TextProto.h"
#include "platforms/PlatformCatalog.h"
#include "sim/Simulator.h"
#include "sim/mapping/Mapping.h"
#include "sim/mapping/MappingRequest.h"
#include "workloads/NetworkSource.h"
#include "workloads/schedule/Schedule.h"

#include "tests/util/SimResultExpect.h"
#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace edgesim::explorer {
namespace {

using test::expectInputError;
using test::TempDir;
using ::testing::HasSubstr;

ConfigPaths paths() {
    return ConfigPaths(EDGESIM_SOURCE_DIR "/configs");
}

const std::string kMcu = "nucleo-l4r5zi";
const std::string kMcuStack = "tflm-cmsis-nn";
const std::string kSoc = "gap9-evk";
const std::string kSocStack = "gap-flow";
const std::string kAd = "mlperf_tiny/ad"; // the smallest network

Query mcuQuery(sim::Fidelity fidelity = sim::Fidelity::Tlm) {
    Query q;
    q.network = kAd;
    q.platform = kMcu;
    q.stack = kMcuStack;
    q.fidelity = fidelity;
    return q;
}

Query socQuery(sim::Fidelity fidelity = sim::Fidelity::Analytical) {
    Query q;
    q.network = kAd;
    q.platform = kSoc;
    q.stack = kSocStack;
    q.fidelity = fidelity;
    return q;
}

Query with(Query q, const std::string& override) {
    q.overrides.push_back(parseOverride(override));
    return q;
}

/// The schedule of a built-in network, loaded and lowered without the Session.
workloads::Schedule scheduleOf(const std::string& network, int batch = 1) {
    return workloads::lowerInference(workloads::loadNetwork(network, paths()).network, batch);
}

/// Index of memory `name` in `p` (a test failure and -1 if there is none).
int memoryOf(const platforms::spec::PlatformSpec& p, const std::string& name) {
    for (int i = 0; i < p.memories_size(); ++i) {
        if (p.memories(i).name() == name) {
            return i;
        }
    }
    ADD_FAILURE() << p.name() << " has no memory " << name;
    return -1;
}

int dmaOf(const platforms::spec::PlatformSpec& p, const std::string& name) {
    for (int i = 0; i < p.dmas_size(); ++i) {
        if (p.dmas(i).name() == name) {
            return i;
        }
    }
    ADD_FAILURE() << p.name() << " has no DMA " << name;
    return -1;
}

int kernelOf(const platforms::spec::StackSpec& s, const std::string& op) {
    for (int i = 0; i < s.kernels_size(); ++i) {
        if (s.kernels(i).op() == op) {
            return i;
        }
    }
    ADD_FAILURE() << s.name() << " has no kernel " << op;
    return -1;
}

/// The result of a Simulator built by hand from `platform` and `stack`, running `network`.
sim::SimResult direct(const platforms::spec::PlatformSpec& platform,
                      const platforms::spec::StackSpec& stack, sim::Fidelity fidelity,
                      const std::string& network = kAd, sim::OperatingPointOverride op = {}) {
    sim::Simulator simulator(platform, stack);
    sim::RunOptions ro;
    ro.fidelity = fidelity;
    ro.operatingPoint = std::move(op);
    return simulator.run(scheduleOf(network), ro);
}

// ---- results -----------------------------------------------------------------------------

class SessionRunTest : public ::testing::TestWithParam<sim::Fidelity> {};

TEST_P(SessionRunTest, McuQueryMatchesADirectlyBuiltSimulator) {
    Session session(paths());
    const QueryResult r = session.run(mcuQuery(GetParam()));
    const sim::SimResult expected = direct(platforms::loadPlatform(kMcu, paths()),
                                           platforms::loadStack(kMcuStack, paths()), GetParam());
    ASSERT_EQ(r.result.status, sim::Status::Ok) << r.result.reason;
    EXPECT_GT(r.result.latencyCycles, 0U);
    EXPECT_GT(r.result.energyJ, 0.0);
    test::expectSameSimResult(r.result, expected);
    EXPECT_EQ(r.result.fidelity, GetParam());
    EXPECT_EQ(r.configSha256.size(), 64U);
    EXPECT_EQ(r.configSha256, session.hash(mcuQuery(GetParam())));
    EXPECT_EQ(session.simulatorCount(), 1U);
}

TEST_P(SessionRunTest, NonDefaultOperatingPointAndNetworkMatchADirectlyBuiltSimulator) {
    Session session(paths());
    Query q = mcuQuery(GetParam());
    q.network = "mlperf_tiny/kws";
    q.operatingPoint.name = "zephyr-80mhz";
    const QueryResult r = session.run(q);
    sim::OperatingPointOverride op;
    op.name = "zephyr-80mhz";
    const sim::SimResult expected =
        direct(platforms::loadPlatform(kMcu, paths()), platforms::loadStack(kMcuStack, paths()),
               GetParam(), "mlperf_tiny/kws", op);
    test::expectSameSimResult(r.result, expected);
    EXPECT_EQ(r.result.operatingPoint.clockHz, 80e6);
}

INSTANTIATE_TEST_SUITE_P(Fidelities, SessionRunTest,
                         ::testing::Values(sim::Fidelity::Tlm, sim::Fidelity::Analytical),
                         [](const auto& p) { return std::string(sim::toString(p.param)); });

TEST(SessionTest, NetworksAndSpecsAreLoadedOnce) {
    Session session(paths());
    const auto& a = session.network(kAd, "inference", 1);
    const auto& b = session.network(kAd, "inference", 1);
    EXPECT_EQ(&a, &b);
    EXPECT_NE(&a, &session.network(kAd, "inference", 2));
    EXPECT_EQ(session.network(kAd, "inference", 2).schedule.batch, 2);
    EXPECT_EQ(&session.platform(kMcu), &session.platform(kMcu));
    EXPECT_EQ(&session.stack(kMcuStack), &session.stack(kMcuStack));
}

TEST(SessionTest, UnknownNamesAreInputErrorsNamingTheQueryFields) {
    Session session(paths());
    Query q = mcuQuery();
    q.platform = "nucleo-nope";
    EXPECT_EQ(expectInputError([&] { session.run(q); }).diagnostics().at(0).field, "--platform");
    q = mcuQuery();
    q.stack = "tflm-nope";
    q.stackField = "stacks";
    EXPECT_EQ(expectInputError([&] { session.run(q); }).diagnostics().at(0).field, "stacks");
    q = mcuQuery();
    q.network = "mlperf_tiny/nope";
    EXPECT_EQ(expectInputError([&] { session.problem(q); }).diagnostics().at(0).field, "--network");
    q = mcuQuery();
    q.strategy = "no-such-strategy";
    EXPECT_EQ(expectInputError([&] { session.hash(q); }).diagnostics().at(0).field, "--strategy");
    q = mcuQuery();
    q.batch = 0;
    EXPECT_EQ(expectInputError([&] { session.run(q); }).diagnostics().at(0).field, "--batch");
    q.batch = 1'000'000'000; // rejected before anything is lowered (it would take minutes)
    EXPECT_THAT(expectInputError([&] { session.run(q); }).diagnostics().at(0).reason,
                HasSubstr("above the limit"));
    EXPECT_EQ(session.simulatorCount(), 0U);
}

TEST(SessionTest, CostsBeyondAnyCountAreADoesNotFitRowNotAWrappedNumber) {
    Session session(paths());
    // Legal values (each below the spec limits) whose product is not a cycle count: 1e14
    // cycles per MAC on every kernel.
    const QueryResult r = session.run(with(mcuQuery(), "stack.kernels[*].cycles_per_mac=1e14"));
    EXPECT_EQ(r.result.status, sim::Status::DoesNotFit);
    EXPECT_THAT(r.result.reason, HasSubstr("out of range"));
    // The same query with sane costs still runs in the same session.
    EXPECT_EQ(session.run(mcuQuery()).result.status, sim::Status::Ok);
}

// ---- content hash ------------------------------------------------------------------------

TEST(SessionHashTest, StableAcrossSessionsAndQueryOrder) {
    const Query a = mcuQuery();
    const Query b = socQuery();
    Session one(paths());
    const std::string a1 = one.run(a).configSha256;
    const std::string b1 = one.run(b).configSha256;
    Session two(paths());
    const std::string b2 = two.run(b).configSha256;
    const std::string a2 = two.run(a).configSha256;
    EXPECT_EQ(a1, a2);
    EXPECT_EQ(b1, b2);
    EXPECT_NE(a1, b1);
    // hash() alone (nothing simulated) gives the same.
    Session three(paths());
    EXPECT_EQ(three.hash(b), b1);
    EXPECT_EQ(three.hash(a), a1);
}

TEST(SessionHashTest, StableAcrossProcesses) {
    const std::vector<Query> queries = {mcuQuery(), socQuery(),
                                        with(mcuQuery(), "stack.tile_bytes=2048")};
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // The child: a fresh session, the queries in reverse order.
        ::close(fds[0]);
        std::string out;
        try {
            Session session(paths());
            std::vector<std::string> hashes;
            for (auto it = queries.rbegin(); it != queries.rend(); ++it) {
                hashes.insert(hashes.begin(), session.hash(*it));
            }
            for (const auto& h : hashes) {
                out += h + "\n";
            }
        } catch (...) {
            out = "error\n";
        }
        const ssize_t n = ::write(fds[1], out.data(), out.size());
        ::close(fds[1]);
        ::_exit(n == static_cast<ssize_t>(out.size()) ? 0 : 1);
    }
    ::close(fds[1]);
    std::string child;
    char buffer[256];
    for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) {
        child.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << child;

    // The parent: other queries first, then these.
    Session session(paths());
    Query other = mcuQuery();
    other.network = "mlperf_tiny/kws";
    session.run(other);
    session.run(with(socQuery(), "platform.memories[name=l1].size_bytes=65536"));
    std::string parent;
    for (const auto& q : queries) {
        parent += session.hash(q) + "\n";
    }
    EXPECT_EQ(child, parent);
    EXPECT_EQ(parent.size(), 3U * 65);
}

TEST(SessionHashTest, SameInputsWrittenDifferentlyHashAlike) {
    Session session(paths());
    const std::string base = session.hash(mcuQuery());
    // Overrides that set a field to the value it has (specs are hashed after overrides).
    EXPECT_EQ(session.hash(with(mcuQuery(), "platform.memories[name=sram1].size_bytes=196608")),
              base);
    EXPECT_EQ(session.hash(with(mcuQuery(), "platform.memories[name=sram1].size_bytes=1.96608e5")),
              base);
    EXPECT_EQ(session.hash(with(mcuQuery(), "stack.tile_bytes=4096")), base);
    // Two overrides that cancel.
    EXPECT_EQ(
        session.hash(with(with(mcuQuery(), "stack.tile_bytes=2048"), "stack.tile_bytes=4096")),
        base);
    // Configs and the network by path rather than by name.
    Query byPath = mcuQuery();
    byPath.platform = EDGESIM_SOURCE_DIR "/configs/platforms/nucleo-l4r5zi.textproto";
    byPath.stack = EDGESIM_SOURCE_DIR "/configs/stacks/tflm-cmsis-nn.textproto";
    byPath.network = EDGESIM_SOURCE_DIR "/configs/networks/mlperf_tiny/ad.textproto";
    EXPECT_EQ(session.hash(byPath), base);
    // A copy of the platform file with other comments and layout.
    TempDir dir("edgesim-session-test");
    std::string text =
        "# a copy\n\n" + readFile(EDGESIM_SOURCE_DIR "/configs/platforms/nucleo-l4r5zi.textproto");
    Query copy = mcuQuery();
    copy.platform = dir.write("copy.textproto", text + "\n# trailing comment\n").string();
    EXPECT_EQ(session.hash(copy), base);
    // How errors would name things does not matter either.
    Query renamed = mcuQuery();
    renamed.source = "study.textproto";
    renamed.platformField = "platforms";
    renamed.networkField = "networks";
    EXPECT_EQ(session.hash(renamed), base);
}

/// Effective specs reached by different routes: overrides of independent fields in either
/// order, selectors by name or by index, a config file edited by hand instead of an override.
TEST(SessionHashTest, SameEffectiveSpecsHashAlikeWhateverTheRoute) {
    Session session(paths());
    const std::string forward = session.hash(
        with(with(mcuQuery(), "stack.tile_bytes=2048"), "stack.runtime_ram_bytes=100"));
    const std::string backward = session.hash(
        with(with(mcuQuery(), "stack.runtime_ram_bytes=100"), "stack.tile_bytes=2048"));
    EXPECT_EQ(forward, backward) << "independent overrides hash by their order";
    const int dense = kernelOf(session.stack(kMcuStack), "dense");
    EXPECT_EQ(session.hash(with(mcuQuery(), "stack.kernels[op=dense].cycles_per_mac=4.5")),
              session.hash(with(mcuQuery(), "stack.kernels[" + std::to_string(dense) +
                                                "].cycles_per_mac=4.5")));
    // A stack file edited by hand to the same values is the same stack, but its hash is the
    // file's content (not the config plus the fields changed): a cache miss, never a wrong hit.
    platforms::spec::StackSpec edited = platforms::loadStack(kMcuStack, paths());
    edited.set_tile_bytes(2048);
    TempDir dir("edgesim-session-test");
    std::string text;
    ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(edited, &text));
    Query byFile = mcuQuery();
    byFile.stack = dir.write("tflm-cmsis-nn.textproto", text).string();
    EXPECT_EQ(session.specs(byFile).stack.SerializeAsString(),
              session.specs(with(mcuQuery(), "stack.tile_bytes=2048")).stack.SerializeAsString());
    EXPECT_EQ(session.run(byFile).result.latencyCycles,
              session.run(with(mcuQuery(), "stack.tile_bytes=2048")).result.latencyCycles);
}

TEST(SessionHashTest, DiffersWhenAnyInputDiffers) {
    // Strategies: only inference is lowered so far, so the strategy cannot vary here.
    std::vector<std::pair<std::string, Query>> cases;
    const auto add = [&](const std::string& what, const std::function<void(Query&)>& change) {
        Query q = mcuQuery();
        change(q);
        cases.emplace_back(what, q);
    };
    add("base", [](Query&) {});
    add("network", [](Query& q) { q.network = "mlperf_tiny/kws"; });
    add("batch", [](Query& q) { q.batch = 2; });
    add("platform", [](Query& q) { q.platform = "nucleo-u575zi-q"; });
    add("stack", [](Query& q) { q.stack = "tflm-2.3"; });
    add("platform override", [](Query& q) {
        q.overrides.push_back(parseOverride("platform.memories[name=sram1].leakage_power_w=1e-3"));
    });
    add("stack override", [](Query& q) {
        q.overrides.push_back(parseOverride("stack.kernels[op=dense].cycles_per_mac=4.5"));
    });
    add("clock", [](Query& q) { q.operatingPoint.clockHz = 100e6; });
    add("voltage", [](Query& q) { q.operatingPoint.voltageV = 3.0; });
    add("named point", [](Query& q) { q.operatingPoint.name = "zephyr-80mhz"; });
    add("fidelity", [](Query& q) { q.fidelity = sim::Fidelity::Analytical; });
    add("seed", [](Query& q) { q.seed = 1; });
    Session session(paths());
    std::map<std::string, std::string> seen;
    for (const auto& [what, q] : cases) {
        const std::string h = session.hash(q);
        const auto [it, fresh] = seen.emplace(h, what);
        EXPECT_TRUE(fresh) << what << " hashes like " << it->second;
    }
}

TEST(SessionHashTest, FollowsTheMappingNotTheRequest) {
    Session session(paths());
    const Query mapper = socQuery();
    const sim::Mapping& m = session.mapping(mapper);
    EXPECT_EQ(m.name, "greedy-latency");
    const sim::Mapping chosen = m;
    // The mapper's result written to a file and read back hashes and runs like the mapper.
    TempDir dir("edgesim-session-test");
    const std::string file = dir.file("mapping.textproto");
    sim::writeMappingFile(file, "# greedy-latency on gap9-evk\n", chosen,
                          session.network(kAd, "inference", 1).schedule, "--mapping");
    Query fromFile = socQuery();
    fromFile.mapping.mapping = file;
    EXPECT_EQ(session.mapping(fromFile).kernels, chosen.kernels);
    EXPECT_EQ(session.hash(fromFile), session.hash(mapper));
    // So does the same mapping given as a value, and the mapper named explicitly.
    Query fixed = socQuery();
    fixed.mapping.fixed = std::make_shared<sim::Mapping>(chosen);
    EXPECT_EQ(session.hash(fixed), session.hash(mapper));
    Query named = socQuery();
    named.mapping.mapping = "greedy-latency";
    EXPECT_EQ(session.hash(named), session.hash(mapper));
    // Another mapping hashes differently.
    Query host = socQuery();
    host.mapping.mapping = "host-only";
    EXPECT_NE(session.hash(host), session.hash(mapper));
    // One layer moved to another engine: differs again.
    sim::Mapping moved = chosen;
    ASSERT_FALSE(moved.kernels.empty());
    const std::size_t k = moved.kernels.size() / 2;
    moved.kernels[k].engine = moved.kernels[k].engine == "fc" ? "cluster" : "fc";
    moved.kernels[k].splitEngine.clear();
    moved.kernels[k].fraction = 1.0;
    Query other = socQuery();
    other.mapping.fixed = std::make_shared<sim::Mapping>(moved);
    EXPECT_NE(session.hash(other), session.hash(mapper));
    EXPECT_NE(session.hash(other), session.hash(host));
}

/// A mapping file without a name: its mapping is named after the file, so the hash of a query
/// must not depend on which copy of the same file another query of the session used first.
TEST(SessionHashTest, NamelessMappingFileHashesAlikeInAnyOrder) {
    TempDir dir("edgesim-session-test");
    const std::string text = "default_engine: \"cluster\"\n";
    Query a = socQuery();
    a.mapping.mapping = dir.write("a/mapping.textproto", text).string();
    Query b = socQuery();
    b.mapping.mapping = dir.write("b/mapping.textproto", text).string();
    Session first(paths());
    const std::string alone = first.hash(a);
    Session second(paths());
    const std::string hb = second.hash(b);
    const std::string afterB = second.hash(a);
    EXPECT_EQ(afterB, alone) << "the hash of a query depends on the queries before it";
    EXPECT_EQ(hb, alone) << "the hash depends on the mapping file's path";
    EXPECT_NE(second.run(a).result.mapping, b.mapping.mapping)
        << "a's result names the mapping file of another query";
}

// ---- overrides ---------------------------------------------------------------------------

TEST(SessionOverrideTest, NumericOverrideReconfiguresAndMatchesAHandEditedSpec) {
    Session session(paths());
    const Query base = socQuery(sim::Fidelity::Tlm);
    const QueryResult before = session.run(base);
    ASSERT_EQ(before.result.status, sim::Status::Ok) << before.result.reason;
    const QueryResult after =
        session.run(with(base, "platform.memories[name=l1].size_bytes=65536"));
    EXPECT_EQ(session.simulatorCount(), 1U);
    EXPECT_NE(after.configSha256, before.configSha256);

    platforms::spec::PlatformSpec p = platforms::loadPlatform(kSoc, paths());
    p.mutable_memories(memoryOf(p, "l1"))->set_size_bytes(65536);
    const auto stack = platforms::loadStack(kSocStack, paths());
    sim::Simulator fresh(p, stack);
    sim::RunOptions ro;
    ro.fidelity = sim::Fidelity::Tlm;
    const sim::SimResult expected = fresh.run(scheduleOf(kAd), ro);
    test::expectSameSimResult(after.result, expected);
    // Half the L1 means smaller tiles: the override did reach the model.
    EXPECT_NE(after.result.latencyCycles, before.result.latencyCycles);
}

TEST(SessionOverrideTest, StackOverrideReconfiguresAndMatchesAHandEditedSpec) {
    Session session(paths());
    const QueryResult before = session.run(mcuQuery());
    const QueryResult after =
        session.run(with(mcuQuery(), "stack.kernels[op=dense].cycles_per_mac=6.5"));
    EXPECT_EQ(session.simulatorCount(), 1U);
    platforms::spec::StackSpec s = platforms::loadStack(kMcuStack, paths());
    s.mutable_kernels(kernelOf(s, "dense"))->set_cycles_per_mac(6.5);
    const sim::SimResult expected =
        direct(platforms::loadPlatform(kMcu, paths()), s, sim::Fidelity::Tlm);
    test::expectSameSimResult(after.result, expected);
    // ad is all dense layers: a dearer MAC makes it slower.
    EXPECT_GT(after.result.latencyCycles, before.result.latencyCycles);
}

TEST(SessionOverrideTest, StructuralOverrideElaboratesASecondSimulator) {
    Session session(paths());
    const Query base = socQuery(sim::Fidelity::Tlm);
    session.run(base);
    ASSERT_EQ(session.simulatorCount(), 1U);
    const auto stack = platforms::loadStack(kSocStack, paths());
    for (const auto& [override, count] : std::vector<std::pair<std::string, std::size_t>>{
             {"platform.dmas[name=cluster_dma].channels=2", 2},
             {"platform.dmas[name=cluster_dma].burst_bytes=256", 3}}) {
        SCOPED_TRACE(override);
        const QueryResult r = session.run(with(base, override));
        EXPECT_EQ(session.simulatorCount(), count);
        platforms::spec::PlatformSpec p = platforms::loadPlatform(kSoc, paths());
        auto* dma = p.mutable_dmas(dmaOf(p, "cluster_dma"));
        if (override.find("channels") != std::string::npos) {
            dma->set_channels(2);
        } else {
            dma->set_burst_bytes(256);
        }
        sim::Simulator fresh(p, stack);
        sim::RunOptions ro;
        ro.fidelity = sim::Fidelity::Tlm;
        test::expectSameSimResult(r.result, fresh.run(scheduleOf(kAd), ro));
    }
}

TEST(SessionOverrideTest, SwitchingBetweenOverrideSetsLeavesNoStaleState) {
    Session session(paths());
    const Query base = socQuery(sim::Fidelity::Tlm);
    const std::vector<Query> queries = {
        base,
        with(base, "platform.memories[name=l1].size_bytes=65536"),
        with(base, "platform.dmas[name=cluster_dma].channels=1"),
        with(with(base, "platform.dmas[name=cluster_dma].channels=1"),
             "platform.memories[name=l1].size_bytes=65536"),
        with(base, "stack.per_inference_overhead_cycles=50000"),
    };
    std::vector<sim::SimResult> first;
    for (const auto& q : queries) {
        first.push_back(session.run(q).result);
    }
    // Every pair differs somewhere (else the switch below proves nothing).
    for (std::size_t i = 0; i < first.size(); ++i) {
        for (std::size_t j = i + 1; j < first.size(); ++j) {
            EXPECT_TRUE(first[i].latencyCycles != first[j].latencyCycles ||
                        first[i].energyJ != first[j].energyJ)
                << i << " vs " << j;
        }
    }
    for (const std::size_t i : {4, 0, 3, 1, 2, 0, 4, 2, 1, 3}) {
        SCOPED_TRACE(i);
        test::expectSameSimResult(session.run(queries[i]).result, first[i]);
    }
    EXPECT_EQ(session.simulatorCount(), 2U);
}

TEST(SessionOverrideTest, EvictedSimulatorsAreRebuiltWithTheSameResults) {
    Session session(paths());
    const Query base = socQuery(sim::Fidelity::Tlm);
    std::vector<Query> queries;
    std::vector<sim::SimResult> first;
    // More structures (DMA burst sizes) than the session keeps simulators for.
    for (std::size_t k = 0; k <= Session::kMaxSimulators; ++k) {
        queries.push_back(with(base, "platform.dmas[name=cluster_dma].burst_bytes=" +
                                         std::to_string(64 * (k + 1))));
        first.push_back(session.run(queries.back()).result);
        EXPECT_EQ(session.simulatorCount(), std::min(k + 1, Session::kMaxSimulators));
    }
    EXPECT_NE(first.front().latencyCycles, first.back().latencyCycles);
    // The first one was evicted: it is elaborated again and gives the same result.
    test::expectSameSimResult(session.run(queries.front()).result, first.front());
    test::expectSameSimResult(session.run(queries.back()).result, first.back());
    EXPECT_EQ(session.simulatorCount(), Session::kMaxSimulators);
}

TEST(SessionOverrideTest, ReplacedSpecsChangeResultsAndHashes) {
    Session session(paths());
    const Query q = mcuQuery();
    const QueryResult before = session.run(q);
    const platforms::spec::StackSpec original = session.stack(kMcuStack);
    platforms::spec::StackSpec slower = original;
    slower.mutable_kernels(kernelOf(slower, "dense"))->set_cycles_per_mac(7.0);
    session.replaceStack(kMcuStack, slower);
    const QueryResult after = session.run(q);
    EXPECT_NE(after.configSha256, before.configSha256);
    test::expectSameSimResult(
        after.result, direct(platforms::loadPlatform(kMcu, paths()), slower, sim::Fidelity::Tlm));
    EXPECT_EQ(session.simulatorCount(), 1U);
    session.replaceStack(kMcuStack, original);
    const QueryResult back = session.run(q);
    EXPECT_EQ(back.configSha256, before.configSha256);
    test::expectSameSimResult(back.result, before.result);
}

TEST(SessionOverrideTest, OverridesApplyInOrderTheLastWins) {
    Session session(paths());
    const Query twice = with(with(mcuQuery(), "stack.tile_bytes=1024"), "stack.tile_bytes=2048");
    EXPECT_EQ(session.specs(twice).stack.tile_bytes(), 2048);
    EXPECT_EQ(session.hash(twice), session.hash(with(mcuQuery(), "stack.tile_bytes=2048")));
    const Query reversed = with(with(mcuQuery(), "stack.tile_bytes=2048"), "stack.tile_bytes=1024");
    EXPECT_EQ(session.specs(reversed).stack.tile_bytes(), 1024);
    EXPECT_NE(session.hash(twice), session.hash(reversed));
    // A selector over several elements sets them all; a later single one overrides one.
    const Query all = with(with(mcuQuery(), "stack.kernels[*].overhead_cycles=7"),
                           "stack.kernels[op=dense].overhead_cycles=9");
    const auto& s = session.specs(all).stack;
    for (const auto& k : s.kernels()) {
        EXPECT_EQ(k.overhead_cycles(), k.op() == "dense" ? 9 : 7) << k.op();
    }
}

TEST(SessionOverrideTest, SpecsAreTheBaseSpecsWithTheOverridesApplied) {
    Session session(paths());
    const auto& s = session.specs(with(socQuery(), "platform.memories[name=l2].size_bytes=262144"));
    platforms::spec::PlatformSpec expected = platforms::loadPlatform(kSoc, paths());
    expected.mutable_memories(memoryOf(expected, "l2"))->set_size_bytes(262144);
    EXPECT_EQ(s.platform.SerializeAsString(), expected.SerializeAsString());
    EXPECT_EQ(s.stack.SerializeAsString(),
              platforms::loadStack(kSocStack, paths()).SerializeAsString());
    EXPECT_TRUE(s.problems.empty());
    EXPECT_NE(s.platformSha256, session.specs(socQuery()).platformSha256);
    EXPECT_EQ(s.stackSha256, session.specs(socQuery()).stackSha256);
}

// ---- override errors ---------------------------------------------------------------------

TEST(ParseOverrideTest, SplitsTargetPathAndValue) {
    Override o = parseOverride("platform.engines[name=ne16].npu.unroll[dim=C].size=8");
    EXPECT_EQ(o.target, Override::Target::Platform);
    EXPECT_EQ(o.path, "engines[name=ne16].npu.unroll[dim=C].size");
    EXPECT_EQ(o.value, "8");
    EXPECT_EQ(o.text(), "platform.engines[name=ne16].npu.unroll[dim=C].size=8");
    EXPECT_EQ(o.fullPath(), "platform.engines[name=ne16].npu.unroll[dim=C].size");
    EXPECT_EQ(o.source, "<command line>");
    EXPECT_EQ(o.field, "--set");
    o = parseOverride("stack.description=a=b", "study.textproto", "set[2]", 7);
    EXPECT_EQ(o.target, Override::Target::Stack);
    EXPECT_EQ(o.path, "description");
    EXPECT_EQ(o.value, "a=b");
    EXPECT_EQ(o.source, "study.textproto");
    EXPECT_EQ(o.field, "set[2]");
    EXPECT_EQ(o.line, 7);
}

TEST(ParseOverrideTest, MalformedTextIsAnInputErrorNamingSourceAndField) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"platform.memories[name=l1].size_bytes", "expected platform.<field path>=<value>"},
        {"platform.memories[name=l1=2].size_bytes", "expected platform.<field path>=<value>"},
        {"memories[name=l1].size_bytes=1", "must start with 'platform.' or 'stack.'"},
        {"board.memories[0].size_bytes=1", "must start with 'platform.' or 'stack.'"},
        {"platform.=1", "no field path"},
        {"platform=1", "no field path"},
        {"stack.tile_bytes=", "no value"},
        {"", "expected platform.<field path>=<value>"},
    };
    for (const auto& [text, reason] : cases) {
        SCOPED_TRACE(text);
        const InputError e =
            expectInputError([&] { parseOverride(text, "my.textproto", "set[3]", 12); });
        ASSERT_EQ(e.diagnostics().size(), 1U);
        const Diagnostic& d = e.diagnostics()[0];
        EXPECT_EQ(d.file, "my.textproto");
        EXPECT_EQ(d.field, "set[3]");
        EXPECT_EQ(d.line, 12);
        EXPECT_THAT(d.reason, HasSubstr(reason));
        EXPECT_THAT(d.reason, HasSubstr("'" + text + "'"));
    }
}

TEST(SessionOverrideErrorTest, UnknownPathOrWrongTypeNamesTheOverride) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"platform.memories[name=l9].size_bytes=1024", "l9"},
        {"platform.no_such_field=1", "no_such_field"},
        {"platform.memories[name=sram1].size_bytes=big", "big"},
        {"platform.memories[name=sram1].prefetch=maybe", "maybe"},
        {"stack.placement.weights=SOMEWHERE", "SOMEWHERE"},
        {"stack.kernels[op=dense]=3", "message"},
    };
    for (const auto& [text, detail] : cases) {
        SCOPED_TRACE(text);
        Session session(paths());
        const Query q = with(mcuQuery(), text);
        for (const auto& call : std::vector<std::function<void()>>{
                 [&] { session.specs(q); }, [&] { session.problem(q); }, [&] { session.hash(q); },
                 [&] { session.run(q); }}) {
            const InputError e = expectInputError(call);
            ASSERT_FALSE(e.diagnostics().empty());
            const Diagnostic& d = e.diagnostics()[0];
            EXPECT_EQ(d.field, "--set");
            EXPECT_EQ(d.file, "<command line>");
            EXPECT_THAT(d.reason, HasSubstr("'" + text + "'"));
            EXPECT_THAT(d.reason, HasSubstr(detail));
        }
        EXPECT_EQ(session.simulatorCount(), 0U);
    }
}

TEST(SessionOverrideErrorTest, InvalidValueIsAProblemOfTheQuery) {
    Session session(paths());
    Query q = mcuQuery();
    q.overrides.push_back(parseOverride("platform.memories[name=sram1].size_bytes=0",
                                        "study.textproto", "parameters[0]", 9));
    const InputError e = expectInputError([&] { session.specs(q); });
    std::optional<Diagnostic> d;
    EXPECT_NO_THROW(d = session.problem(q));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->file, "study.textproto");
    EXPECT_EQ(d->line, 9);
    EXPECT_EQ(d->field, "parameters[0]");
    EXPECT_THAT(d->reason, HasSubstr("platform.memories[name=sram1].size_bytes=0"));
    EXPECT_THAT(d->reason, HasSubstr("memories[1].size_bytes"));
    EXPECT_EQ(e.diagnostics().at(0).reason, d->reason);
    expectInputError([&] { session.run(q); });
    expectInputError([&] { session.hash(q); });
    EXPECT_EQ(session.simulatorCount(), 0U);
    // Valid values each, invalid together: the L1 left smaller than the cluster reserves.
    Query both = socQuery();
    both.overrides = {parseOverride("platform.engines[name=cluster].reserved_local_bytes=100000"),
                      parseOverride("platform.memories[name=l1].size_bytes=65536")};
    EXPECT_FALSE(session.problem(with(socQuery(), both.overrides[0].text())));
    EXPECT_FALSE(session.problem(with(socQuery(), both.overrides[1].text())));
    d = session.problem(both);
    ASSERT_TRUE(d.has_value());
    EXPECT_THAT(d->reason, HasSubstr("reserved_local_bytes"));
    EXPECT_THAT(d->reason, HasSubstr(both.overrides[0].text()));
    EXPECT_THAT(d->reason, HasSubstr(both.overrides[1].text()));
}

/// The effective specs are cached by platform, stack and override texts; a problem found for
/// one query must still name the source of the next query with the same texts.
TEST(SessionOverrideErrorTest, ProblemsNameTheirOwnQuerysSource) {
    Session session(paths());
    const std::string text = "platform.memories[name=sram1].size_bytes=0";
    Query one = mcuQuery();
    one.overrides.push_back(parseOverride(text, "one.textproto", "parameters[0]", 3));
    Query two = mcuQuery();
    two.overrides.push_back(parseOverride(text, "two.textproto", "set[1]", 8));
    ASSERT_TRUE(session.problem(one).has_value());
    const auto d = session.problem(two);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->file, "two.textproto");
    EXPECT_EQ(d->field, "set[1]");
    EXPECT_EQ(d->line, 8);
    // The same with a pair the stack does not target, asked by two measurement rows.
    Query row3 = mcuQuery();
    row3.stack = "htvm";
    row3.source = "rows.csv:3";
    Query row9 = row3;
    row9.source = "rows.csv:9";
    ASSERT_TRUE(session.problem(row3).has_value());
    EXPECT_EQ(session.problem(row9).value_or(Diagnostic{}).file, "rows.csv:9");
    EXPECT_EQ(session.problem(row3).value_or(Diagnostic{}).file, "rows.csv:3") << "and back";
    // Specs without problems are shared by queries written in different places.
    const std::string good = "platform.memories[name=sram1].leakage_power_w=1e-3";
    Query a = mcuQuery();
    a.overrides.push_back(parseOverride(good, "a.textproto", "set[0]", 2));
    a.source = "rows.csv:3";
    Query b = mcuQuery();
    b.overrides.push_back(parseOverride(good, "<command line>", "--set", 0));
    b.source = "rows.csv:9";
    EXPECT_EQ(&session.specs(a), &session.specs(b));
    EXPECT_EQ(session.hash(a), session.hash(b));
}

/// Placing GAP9's weights in the MRAM passes validation but no Simulator can be built: the
/// fabric controller cannot reach the MRAM on its own bus. problem() must say so, since run()
/// throws for it.
TEST(SessionOverrideErrorTest, UndeployableOverrideIsAProblem) {
    Session session(paths());
    const Query q = with(socQuery(), "platform.placement.weights_memory=mram");
    const InputError e = expectInputError([&] { session.run(q); });
    EXPECT_THAT(e.formatAll(), HasSubstr("mram"));
    std::optional<Diagnostic> d;
    EXPECT_NO_THROW(d = session.problem(q));
    ASSERT_TRUE(d.has_value()) << "problem() says the query can run, run() throws";
    EXPECT_THAT(d->reason, HasSubstr("mram"));
}

TEST(SessionOverrideErrorTest, StackThatDoesNotTargetThePlatformIsAProblem) {
    Session session(paths());
    Query q = mcuQuery();
    q.stack = "htvm";
    const InputError e = expectInputError([&] { session.specs(q); });
    EXPECT_THAT(e.diagnostics().at(0).reason, HasSubstr("does not target"));
    std::optional<Diagnostic> d;
    EXPECT_NO_THROW(d = session.problem(q));
    ASSERT_TRUE(d.has_value());
    EXPECT_THAT(d->reason, HasSubstr("does not target"));
    EXPECT_THAT(d->reason, HasSubstr(kMcu));
    EXPECT_EQ(d->field, "--stack");
    expectInputError([&] { session.run(q); });
    EXPECT_EQ(session.simulatorCount(), 0U);
    // The same stack on its own board has no problem.
    Query ok = q;
    ok.platform = "diana";
    ok.fidelity = sim::Fidelity::Analytical;
    EXPECT_FALSE(session.problem(ok).has_value());
}

// ---- operating points --------------------------------------------------------------------

TEST(SessionOperatingPointTest, NamedPointsAndOverrides) {
    Session session(paths());
    Query q = mcuQuery();
    sim::ResolvedOperatingPoint op = session.operatingPoint(q);
    EXPECT_EQ(op.name, "120mhz");
    EXPECT_EQ(op.clockHz, 120e6);
    EXPECT_EQ(op.voltageV, 3.3);
    q.operatingPoint.name = "zephyr-80mhz";
    op = session.operatingPoint(q);
    EXPECT_EQ(op.name, "zephyr-80mhz");
    EXPECT_EQ(op.clockHz, 80e6);
    q.operatingPoint.clockHz = 60e6;
    op = session.operatingPoint(q);
    EXPECT_EQ(op.name, "custom");
    EXPECT_EQ(op.clockHz, 60e6);
    EXPECT_EQ(op.voltageV, 3.3);
    q.operatingPoint = {};
    q.operatingPoint.voltageV = 2.5;
    op = session.operatingPoint(q);
    EXPECT_EQ(op.name, "custom");
    EXPECT_EQ(op.clockHz, 120e6);
    EXPECT_EQ(op.voltageV, 2.5);
    // The run uses it: a slower clock takes longer in seconds.
    Query slow = mcuQuery(sim::Fidelity::Analytical);
    slow.operatingPoint.clockHz = 20e6;
    const auto rs = session.run(slow).result;
    const auto rf = session.run(mcuQuery(sim::Fidelity::Analytical)).result;
    EXPECT_EQ(rs.operatingPoint.clockHz, 20e6);
    EXPECT_GT(rs.latencyS, rf.latencyS);
    // The operating point of an overridden platform: a lower core maximum.
    const Query capped = with(mcuQuery(), "platform.cores[name=cpu].max_clock_hz=100e6");
    EXPECT_TRUE(session.problem(capped).has_value());
    Query cappedSlow = capped;
    cappedSlow.operatingPoint.name = "zephyr-80mhz";
    EXPECT_FALSE(session.problem(cappedSlow).has_value());
    // ... and runs, also as the first query of a session (whose simulator is built for it:
    // the platform's default point being impossible does not make the platform undeployable).
    Session fresh(paths());
    const auto capped80 = fresh.run(cappedSlow).result;
    EXPECT_EQ(capped80.status, sim::Status::Ok) << capped80.reason;
    EXPECT_EQ(capped80.operatingPoint.clockHz, 80e6);
}

TEST(SessionOperatingPointTest, ImpossiblePointsAreInputErrorsAndProblems) {
    struct Case {
        std::string what;
        sim::OperatingPointOverride op;
        std::string field;
        std::string reason;
    };
    std::vector<Case> cases(4);
    cases[0].what = "clock above the core maximum";
    cases[0].op.clockHz = 200e6;
    cases[0].op.clockField = "clock_mhz";
    cases[0].field = "clock_mhz";
    cases[0].reason = "maximum";
    cases[1].what = "voltage outside the supply range";
    cases[1].op.voltageV = 5.0;
    cases[1].field = "--voltage-v";
    cases[1].reason = "supply range";
    cases[2].what = "unknown named point";
    cases[2].op.name = "turbo";
    cases[2].field = "--operating-point";
    cases[2].reason = "no operating point 'turbo'";
    cases[3].what = "zero clock";
    cases[3].op.clockHz = 0.0;
    cases[3].field = "--clock-mhz";
    cases[3].reason = "> 0";
    for (const auto& c : cases) {
        SCOPED_TRACE(c.what);
        Session session(paths());
        Query q = mcuQuery();
        q.operatingPoint = c.op;
        q.source = "rows.csv:4";
        const InputError e = expectInputError([&] { session.operatingPoint(q); });
        ASSERT_FALSE(e.diagnostics().empty());
        EXPECT_EQ(e.diagnostics()[0].field, c.field);
        EXPECT_EQ(e.diagnostics()[0].file, "rows.csv:4");
        EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr(c.reason));
        std::optional<Diagnostic> d;
        EXPECT_NO_THROW(d = session.problem(q));
        ASSERT_TRUE(d.has_value());
        EXPECT_EQ(d->field, c.field);
        expectInputError([&] { session.run(q); });
        EXPECT_EQ(session.simulatorCount(), 0U);
    }
}

// ---- mappings ----------------------------------------------------------------------------

TEST(SessionMappingTest, RunWithItsMappingRunsTheOtherFidelityOnTheSameChoices) {
    Session session(paths());
    Query tlm = socQuery(sim::Fidelity::Tlm);
    tlm.mapping.mapping = "greedy-energy";
    const QueryResult a = session.run(tlm);
    const QueryResult b = session.runWithItsMapping(tlm, sim::Fidelity::Analytical);
    ASSERT_EQ(a.result.status, sim::Status::Ok) << a.result.reason;
    ASSERT_EQ(b.result.status, sim::Status::Ok) << b.result.reason;
    EXPECT_EQ(b.result.fidelity, sim::Fidelity::Analytical);
    EXPECT_EQ(b.result.mapping, a.result.mapping);
    ASSERT_EQ(b.result.layers.size(), a.result.layers.size());
    for (std::size_t i = 0; i < a.result.layers.size(); ++i) {
        EXPECT_EQ(b.result.layers[i].engine, a.result.layers[i].engine) << i;
    }
    EXPECT_NE(b.configSha256, a.configSha256) << "a query of its own";
    // The same as asking for that mapping as a value.
    Query fixed = tlm;
    fixed.fidelity = sim::Fidelity::Analytical;
    fixed.mapping = sim::MappingRequest{};
    fixed.mapping.fixed = std::make_shared<const sim::Mapping>(session.mapping(tlm));
    test::expectSameSimResult(session.run(fixed).result, b.result);
}

TEST(SessionMappingTest, MappingFileIsReadAgainWhenItChanges) {
    Session session(paths());
    TempDir dir("edgesim-session-test");
    Query q = socQuery();
    q.mapping.mapping =
        dir.write("m.textproto", "name: \"m\"\ndefault_engine: \"cluster\"\n").string();
    EXPECT_EQ(session.mapping(q).kernels.front().engine, "cluster");
    const std::string before = session.hash(q);
    // Numeric overrides keep the file's resolution (one per platform structure).
    EXPECT_EQ(session.mapping(with(q, "platform.memories[name=l2].read_energy_pj_per_byte=3"))
                  .kernels.front()
                  .engine,
              "cluster");
    // Rewritten (another size): read again.
    dir.write("m.textproto", "name: \"m\"\ndefault_engine: \"fc\"   # the host core\n");
    EXPECT_EQ(session.mapping(q).kernels.front().engine, "fc");
    EXPECT_NE(session.hash(q), before);
}

TEST(SessionMappingTest, StackDefaultExplicitMapperFileAndFixed) {
    Session session(paths());
    const auto& schedule = session.network(kAd, "inference", 1).schedule;
    // gap-flow's default_mapper.
    EXPECT_EQ(session.mapping(socQuery()).name, "greedy-latency");
    EXPECT_EQ(session.mapping(socQuery()).kernels.size(), schedule.kernels.size());
    // A platform without engines runs everything on its core whatever was asked.
    Query mcu = mcuQuery();
    mcu.mapping.mapping = "greedy-latency";
    EXPECT_EQ(session.mapping(mcu).name, "host-only");
    // An explicit mapper.
    Query host = socQuery();
    host.mapping.mapping = "host-only";
    const sim::Mapping& h = session.mapping(host);
    EXPECT_EQ(h.name, "host-only");
    for (const auto& c : h.kernels) {
        EXPECT_EQ(c.engine, "fc");
    }
    EXPECT_EQ(session.run(host).result.mapping, "host-only");
    // A file: every layer on the cluster.
    TempDir dir("edgesim-session-test");
    Query file = socQuery();
    file.mapping.mapping =
        dir.write("all-cluster.textproto", "name: \"all-cluster\"\ndefault_engine: \"cluster\"\n")
            .string();
    const sim::Mapping& f = session.mapping(file);
    EXPECT_EQ(f.name, "all-cluster");
    ASSERT_EQ(f.kernels.size(), schedule.kernels.size());
    for (const auto& c : f.kernels) {
        EXPECT_EQ(c.engine, "cluster");
    }
    // A fixed mapping is used as it is, whatever `mapping` says.
    auto mine =
        std::make_shared<sim::Mapping>(sim::hostOnlyMapping(schedule, session.platform(kSoc)));
    mine->name = "mine";
    mine->kernels.back().engine = "cluster";
    Query fixed = socQuery();
    fixed.mapping.mapping = "greedy-latency";
    fixed.mapping.fixed = mine;
    EXPECT_EQ(session.mapping(fixed).name, "mine");
    EXPECT_EQ(session.mapping(fixed).kernels, mine->kernels);
    const auto r = session.run(fixed).result;
    EXPECT_EQ(r.mapping, "mine");
    EXPECT_EQ(r.layers.back().engine, "cluster");
}

TEST(SessionMappingTest, BadRequestsNameTheirFields) {
    Session session(paths());
    const auto named = [](Query q) {
        q.source = "study.textproto";
        q.mapping.mappingField = "mapping";
        q.mapping.objectiveField = "objective";
        q.mapping.budgetField = "latency_budget_s";
        return q;
    };
    // An objective for a mapper other than exhaustive (here the stack's default).
    Query objective = named(socQuery());
    objective.mapping.objective = sim::Objective::Energy;
    // A budget without the energy objective.
    Query budget = named(socQuery());
    budget.mapping.mapping = "exhaustive";
    budget.mapping.latencyBudgetS = 1e-3;
    // A budget that is not positive.
    Query zero = named(socQuery());
    zero.mapping.mapping = "exhaustive";
    zero.mapping.objective = sim::Objective::Energy;
    zero.mapping.latencyBudgetS = 0.0;
    // An objective with a mapping file.
    TempDir dir("edgesim-session-test");
    Query fileObjective = named(socQuery());
    fileObjective.mapping.mapping = dir.write("m.textproto", "name: \"m\"\n").string();
    fileObjective.mapping.objective = sim::Objective::Latency;
    // An unknown mapper.
    Query unknown = named(socQuery());
    unknown.mapping.mapping = "fastest";
    const std::vector<std::tuple<std::string, Query, std::string, std::string>> cases = {
        {"objective", objective, "objective", "exhaustive mapper only"},
        {"budget", budget, "latency_budget_s", "needs objective energy"},
        {"zero budget", zero, "latency_budget_s", "must be > 0"},
        {"file objective", fileObjective, "objective", "not to a mapping file"},
        {"unknown", unknown, "mapping", "unknown mapper 'fastest'"},
    };
    for (const auto& [what, q, field, reason] : cases) {
        SCOPED_TRACE(what);
        for (const auto& call : std::vector<std::function<void()>>{
                 [&, &q = q] { session.mapping(q); }, [&, &q = q] { session.problem(q); },
                 [&, &q = q] { session.run(q); }}) {
            const InputError e = expectInputError(call);
            ASSERT_FALSE(e.diagnostics().empty());
            EXPECT_EQ(e.diagnostics()[0].file, "study.textproto");
            EXPECT_EQ(e.diagnostics()[0].field, field);
            EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr(reason));
        }
    }
    // The same objective with the exhaustive mapper is fine.
    Query good = objective;
    good.mapping.mapping = "exhaustive";
    EXPECT_FALSE(session.problem(good).has_value());
}

// ---- measurement predictor ---------------------------------------------------------------

const std::string kCsvHeader = "platform,stack,network,strategy,metric,value,unit,source,"
                               "clock_mhz,voltage_v\n";

std::vector<analysis::Measurement> measurements(const std::string& rows) {
    return analysis::parseMeasurements(kCsvHeader + rows, "rows.csv");
}

TEST(MeasurementPredictorTest, BadRowsAreNotPredictedGoodOnesMatchTheSession) {
    const auto rows = measurements(
        /* line 2 */
        "nucleo-l4r5zi,tflm-cmsis-nn,mlperf_tiny/ad,inference,latency,5,ms,a,,\n"
        /* line 3 */ "nucleo-nope,tflm-cmsis-nn,mlperf_tiny/ad,inference,latency,5,ms,a,,\n"
        /* line 4 */ "nucleo-l4r5zi,tflm-nope,mlperf_tiny/ad,inference,latency,5,ms,a,,\n"
        /* line 5 */ "nucleo-l4r5zi,tflm-cmsis-nn,mlperf_tiny/nope,inference,latency,5,ms,a,,\n"
        /* line 6 */ "nucleo-l4r5zi,tflm-cmsis-nn,mlperf_tiny/ad,inference,latency,5,ms,a,500,\n"
        /* line 7 */ "nucleo-l4r5zi,htvm,mlperf_tiny/ad,inference,latency,5,ms,a,,\n"
        /* line 8 */ "nucleo-l4r5zi,tflm-cmsis-nn,mlperf_tiny/ad,inference,energy,50,uJ,a,80,\n"
        /* line 9 */ "nucleo-l4r5zi,tflm-cmsis-nn,mlperf_tiny/ad,inference,latency,1,cycles,a,,\n"
        /* line 10 */ "nucleo-l4r5zi,tflm-cmsis-nn,mlperf_tiny/ad,inference,latency,5,ms,a,,9\n");
    ASSERT_EQ(rows.size(), 9U);
    Session session(paths());
    MeasurementPredictor predictor(session, sim::Fidelity::Analytical, "rows.csv");
    ASSERT_NO_THROW(predictor.prepare(rows));
    EXPECT_EQ(session.simulatorCount(), 0U); // nothing simulated by prepare()

    const std::map<int, std::string> bad = {{3, "nucleo-nope"},      {4, "tflm-nope"},
                                            {5, "mlperf_tiny/nope"}, {6, "500 MHz"},
                                            {7, "does not target"},  {10, "supply range"}};
    for (const auto& m : rows) {
        SCOPED_TRACE(m.line);
        std::string why;
        const std::optional<double> p = predictor.predict(m, why);
        if (const auto it = bad.find(m.line); it != bad.end()) {
            EXPECT_FALSE(p.has_value());
            EXPECT_THAT(why, HasSubstr(it->second));
            continue;
        }
        ASSERT_TRUE(p.has_value()) << why;
        // The same query through a fresh session.
        Session fresh(paths());
        const sim::SimResult r =
            fresh.run(queryFor(m, sim::Fidelity::Analytical, {}, "rows.csv")).result;
        std::string unused;
        EXPECT_EQ(*p, *metricOf(r, m, unused));
        if (m.line == 2) {
            EXPECT_EQ(*p, r.latencyS);
        } else if (m.line == 8) {
            EXPECT_EQ(*p, r.energyJ);
            EXPECT_EQ(r.operatingPoint.clockHz, 80e6);
        } else if (m.line == 9) {
            EXPECT_EQ(*p, static_cast<double>(r.latencyCycles));
        }
    }
}

TEST(MeasurementPredictorTest, OverridesApplyToEveryRow) {
    const auto rows =
        measurements("nucleo-l4r5zi,tflm-cmsis-nn,mlperf_tiny/ad,inference,latency,5,ms,a,,\n");
    const std::vector<Override> overrides = {
        parseOverride("stack.kernels[op=dense].cycles_per_mac=6.5")};
    Session session(paths());
    MeasurementPredictor predictor(session, sim::Fidelity::Analytical, "rows.csv", overrides);
    predictor.prepare(rows);
    std::string why;
    const auto p = predictor.predict(rows[0], why);
    ASSERT_TRUE(p.has_value()) << why;
    Query q = mcuQuery(sim::Fidelity::Analytical);
    q.overrides = overrides;
    EXPECT_EQ(*p, session.run(q).result.latencyS);
    EXPECT_NE(*p, session.run(mcuQuery(sim::Fidelity::Analytical)).result.latencyS);
}

TEST(MeasurementPredictorTest, BadOverrideThrowsFromPrepare) {
    const auto rows =
        measurements("nucleo-l4r5zi,tflm-cmsis-nn,mlperf_tiny/ad,inference,latency,5,ms,a,,\n"
                     "nucleo-l4r5zi,tflm-cmsis-nn,mlperf_tiny/kws,inference,latency,5,ms,a,,\n");
    for (const std::string text :
         {"platform.memories[name=l9].size_bytes=1024", "stack.tile_bytes=lots",
          "platform.memories[name=sram1].size_bytes=0"}) {
        SCOPED_TRACE(text);
        Session session(paths());
        MeasurementPredictor predictor(session, sim::Fidelity::Analytical, "rows.csv",
                                       {parseOverride(text)});
        const InputError e = expectInputError([&] { predictor.prepare(rows); });
        ASSERT_FALSE(e.diagnostics().empty());
        EXPECT_EQ(e.diagnostics()[0].field, "--set");
        EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr(text));
    }
}

/// Bad input is found by prepare(), never by predict() once something was simulated: with an
/// override no Simulator can be built with, prepare() throws or the rows are not predicted.
TEST(MeasurementPredictorTest, UndeployableOverrideNeverThrowsFromPredict) {
    const auto rows = measurements("gap9-evk,gap-flow,mlperf_tiny/ad,inference,latency,5,ms,a,,\n");
    Session session(paths());
    MeasurementPredictor predictor(session, sim::Fidelity::Analytical, "rows.csv",
                                   {parseOverride("platform.placement.weights_memory=mram")});
    try {
        predictor.prepare(rows);
    } catch (const InputError& e) {
        EXPECT_EQ(e.diagnostics().at(0).field, "--set");
        return;
    }
    std::string why;
    std::optional<double> p;
    EXPECT_NO_THROW(p = predictor.predict(rows[0], why));
    EXPECT_FALSE(p.has_value());
}

TEST(MeasurementPredictorTest, ClearForgetsResultsAfterTheSpecsChange) {
    const auto rows =
        measurements("nucleo-l4r5zi,tflm-cmsis-nn,mlperf_tiny/ad,inference,latency,5,ms,a,,\n");
    Session session(paths());
    MeasurementPredictor predictor(session, sim::Fidelity::Analytical, "rows.csv");
    predictor.prepare(rows);
    std::string why;
    const double before = *predictor.predict(rows[0], why);
    platforms::spec::StackSpec s = session.stack(kMcuStack);
    s.mutable_kernels(kernelOf(s, "dense"))->set_cycles_per_mac(9.0);
    session.replaceStack(kMcuStack, s);
    EXPECT_EQ(*predictor.predict(rows[0], why), before); // cached
    predictor.clear();
    const double after = *predictor.predict(rows[0], why);
    EXPECT_GT(after, before);
    EXPECT_EQ(
        after,
        direct(platforms::loadPlatform(kMcu, paths()), s, sim::Fidelity::Analytical).latencyS);
}

TEST(MetricOfTest, EachMetricFromTheResult) {
    sim::SimResult r;
    r.latencyCycles = 123456;
    r.latencyS = 1.5e-3;
    r.energyJ = 2.5e-5;
    r.peakRamBytes = 40960;
    r.macs = 270000;
    r.memories = {"flash", "sram"};
    r.bytesRead = {1000, 200};
    r.bytesWritten = {0, 30};
    const auto value = [&](analysis::Metric metric, const std::string& siUnit) {
        analysis::Measurement m;
        m.metric = metric;
        m.siUnit = siUnit;
        std::string why;
        const auto v = metricOf(r, m, why);
        EXPECT_TRUE(v.has_value()) << why;
        return v.value_or(-1);
    };
    EXPECT_EQ(value(analysis::Metric::Latency, "s"), 1.5e-3);
    EXPECT_EQ(value(analysis::Metric::Latency, "cycles"), 123456.0);
    EXPECT_EQ(value(analysis::Metric::Energy, "J"), 2.5e-5);
    EXPECT_EQ(value(analysis::Metric::PeakMemory, "B"), 40960.0);
    EXPECT_EQ(value(analysis::Metric::Macs, ""), 270000.0);
    EXPECT_EQ(value(analysis::Metric::Traffic, "B"), 1230.0);

    r.status = sim::Status::DoesNotFit;
    r.reason = "the arena needs 1 MB";
    analysis::Measurement m;
    m.metric = analysis::Metric::Latency;
    m.siUnit = "s";
    std::string why;
    EXPECT_FALSE(metricOf(r, m, why).has_value());
    EXPECT_THAT(why, HasSubstr("does_not_fit"));
    EXPECT_THAT(why, HasSubstr("the arena needs 1 MB"));
}

TEST(QueryForTest, RowFieldsBecomeTheQuery) {
    const auto rows =
        measurements("gap9-evk,gap-flow,mlperf_tiny/kws,inference,latency,5,ms,a,370,0.8\n");
    const std::vector<Override> overrides = {parseOverride("stack.tile_bytes=1024")};
    const Query q = queryFor(rows.at(0), sim::Fidelity::Analytical, overrides, "rows.csv");
    EXPECT_EQ(q.platform, "gap9-evk");
    EXPECT_EQ(q.stack, "gap-flow");
    EXPECT_EQ(q.network, "mlperf_tiny/kws");
    EXPECT_EQ(q.strategy, "inference");
    EXPECT_EQ(q.fidelity, sim::Fidelity::Analytical);
    ASSERT_EQ(q.overrides.size(), 1U);
    EXPECT_EQ(q.overrides[0].text(), "stack.tile_bytes=1024");
    EXPECT_EQ(q.operatingPoint.clockHz, std::optional<double>(370e6));
    EXPECT_EQ(q.operatingPoint.voltageV, std::optional<double>(0.8));
    EXPECT_EQ(q.source, "rows.csv:2");
    EXPECT_EQ(q.platformField, "platform");
    EXPECT_EQ(q.networkField, "network");
}

} // namespace
} // namespace edgesim::explorer
