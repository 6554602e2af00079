// SweepPlan (a study expanded against the real configs) and SweepWorker: the points a grid
// enumerates and their order, the pairs skipped, operating points, parameter axes (values,
// labels, ranges, linked fields, continuous ranges under random and Latin hypercube
// sampling), every config-dependent error with the study's file, line and field, the /sweep
// columns and rows, and the rows a worker packs. Which pairs run follows from the configs:
// tflm-cmsis-nn targets Cortex-M cores (nucleo-l4r5zi is an M4, gap9-evk RISC-V) and gap-flow
// targets gap8 and gap9-evk only.
#include "explorer/sweep/SweepPlan.h"
#include "explorer/sweep/SweepWorker.h"

#include "explorer/session/Session.h"
#include "explorer/sweep/Study.h"
#include "platforms/PlatformCatalog.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <list>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace edgesim::explorer {
namespace {

using test::edit;
using test::expectInputError;
using test::only;
using test::onlyDiagnostic;
using test::TempDir;
using ::testing::HasSubstr;

ConfigPaths paths() {
    return ConfigPaths(EDGESIM_SOURCE_DIR "/configs");
}

/// Two platforms x two stacks, of which two pairs run; two networks, two batch sizes, one
/// parameter axis. Line numbers are those of the comments.
const std::vector<std::string> kGrid = {
    /*  1 */ "name: \"grid\"",
    /*  2 */ "platforms: [\"nucleo-l4r5zi\", \"gap9-evk\"]",
    /*  3 */ "stacks: [\"tflm-cmsis-nn\", \"gap-flow\"]",
    /*  4 */ "networks: [\"mlperf_tiny/ad\", \"mlperf_tiny/kws\"]",
    /*  5 */ "batch_sizes: [1, 2]",
    /*  6 */ "fidelity: ANALYTICAL",
    /*  7 */ "seed: 3",
    /*  8 */ "parameters { path: \"stack.runtime_ram_bytes\"",
    /*  9 */ "             values: [8192, 16384] }",
    /* 10 */ "",
    /* 11 */ "",
    /* 12 */ "",
};

/// One MCU pair and the smallest network: for axes.
const std::vector<std::string> kMcu = {
    /*  1 */ "name: \"mcu\"",
    /*  2 */ "platforms: \"nucleo-l4r5zi\"",
    /*  3 */ "stacks: \"tflm-cmsis-nn\"",
    /*  4 */ "networks: \"mlperf_tiny/ad\"",
    /*  5 */ "fidelity: ANALYTICAL",
    /*  6 */ "",
    /*  7 */ "",
    /*  8 */ "",
    /*  9 */ "",
    /* 10 */ "",
    /* 11 */ "",
    /* 12 */ "",
};

/// GAP9 alone, for its L1 and cluster.
const std::vector<std::string> kGap9 = {
    /*  1 */ "name: \"gap9\"",
    /*  2 */ "platforms: \"gap9-evk\"",
    /*  3 */ "stacks: \"gap-flow\"",
    /*  4 */ "networks: \"mlperf_tiny/ad\"",
    /*  5 */ "fidelity: ANALYTICAL",
    /*  6 */ "",
    /*  7 */ "",
    /*  8 */ "",
    /*  9 */ "",
    /* 10 */ "",
};

class SweepPlanTest : public ::testing::Test {
protected:
    /// Writes `text` as a new study file and loads it (kept alive for plans that point at it).
    const Study& load(const std::string& text) {
        const std::string file =
            dir_.write("studies/s" + std::to_string(studies_.size()) + ".textproto", text).string();
        studies_.push_back(loadStudy(file, paths()));
        return studies_.back();
    }
    /// The InputError expanding `text` must raise.
    InputError planError(const std::string& text) {
        const Study& study = load(text);
        return expectInputError([&] { SweepPlan plan(study, session_); }, "\n" + text);
    }
    const std::string& lastFile() const { return studies_.back().file; }

    TempDir dir_{"edgesim-sweepplan-test"};
    std::list<Study> studies_;
    Session session_{paths()};
};

/// The override of `q` on `fullPath` ("" and a test failure when there is none).
std::string overrideValue(const Query& q, const std::string& fullPath) {
    for (const auto& o : q.overrides) {
        if (o.fullPath() == fullPath) {
            return o.value;
        }
    }
    ADD_FAILURE() << "no override of " << fullPath;
    return "";
}

int columnIndex(const SweepPlan& plan, const std::string& name) {
    const auto& cols = plan.columns();
    for (std::size_t i = 0; i < cols.size(); ++i) {
        if (cols[i].name == name) {
            return static_cast<int>(i);
        }
    }
    ADD_FAILURE() << "no column " << name;
    return 0;
}

double number(const TableRow& row, const SweepPlan& plan, const std::string& column) {
    const Cell& c = row.at(static_cast<std::size_t>(columnIndex(plan, column)));
    if (const auto* d = std::get_if<double>(&c)) {
        return *d;
    }
    if (const auto* i = std::get_if<int64_t>(&c)) {
        return static_cast<double>(*i);
    }
    ADD_FAILURE() << column << " is text";
    return 0;
}

std::string text(const TableRow& row, const SweepPlan& plan, const std::string& column) {
    const Cell& c = row.at(static_cast<std::size_t>(columnIndex(plan, column)));
    if (const auto* s = std::get_if<std::string>(&c)) {
        return *s;
    }
    ADD_FAILURE() << column << " is a number";
    return "";
}

/// An outcome for a point whose values do not go together (nothing simulated).
PointOutcome invalid(const std::string& reason = "parameters[0]: too small") {
    PointOutcome o;
    o.status = "invalid";
    o.reason = reason;
    return o;
}

/// Cells equal, NaN equal to NaN.
void expectSameRow(const TableRow& a, const TableRow& b, const SweepPlan& plan,
                   const std::set<std::string>& skip = {}) {
    ASSERT_EQ(a.size(), b.size());
    ASSERT_EQ(a.size(), plan.columns().size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::string& name = plan.columns()[i].name;
        if (skip.count(name) != 0) {
            continue;
        }
        const auto* da = std::get_if<double>(&a[i]);
        const auto* db = std::get_if<double>(&b[i]);
        if (da != nullptr && db != nullptr && std::isnan(*da) && std::isnan(*db)) {
            continue;
        }
        EXPECT_TRUE(a[i] == b[i]) << "column " << name;
    }
}

// ---- points ------------------------------------------------------------------------------

TEST_F(SweepPlanTest, GridEnumeratesTargetsThenAxesThenNetworksThenBatches) {
    const Study& study = load(edit(kGrid));
    SweepPlan plan(study, session_);
    // Targets slowest (platform x stack x operating point), then the axis, the networks,
    // the strategies and the batch sizes fastest.
    struct Target {
        std::string platform, stack, op;
    };
    const std::vector<Target> targets = {{"nucleo-l4r5zi", "tflm-cmsis-nn", "120mhz"},
                                         {"gap9-evk", "gap-flow", "240mhz-0v65"}};
    int64_t i = 0;
    for (const auto& t : targets) {
        for (const std::string ram : {"8192", "16384"}) {
            for (const std::string network : {"mlperf_tiny/ad", "mlperf_tiny/kws"}) {
                for (const int batch : {1, 2}) {
                    SCOPED_TRACE(i);
                    ASSERT_LT(i, plan.size());
                    const Query q = plan.query(i);
                    EXPECT_EQ(q.platform, t.platform);
                    EXPECT_EQ(q.stack, t.stack);
                    EXPECT_EQ(q.network, network);
                    EXPECT_EQ(q.strategy, "inference");
                    EXPECT_EQ(q.batch, batch);
                    ASSERT_EQ(q.overrides.size(), 1U);
                    EXPECT_EQ(q.overrides[0].text(), "stack.runtime_ram_bytes=" + ram);
                    EXPECT_EQ(q.overrides[0].source, study.file);
                    EXPECT_EQ(q.overrides[0].field, "parameters[0]");
                    EXPECT_TRUE(q.operatingPoint.name.empty());
                    EXPECT_FALSE(q.operatingPoint.clockHz.has_value());
                    EXPECT_EQ(q.fidelity, sim::Fidelity::Analytical);
                    EXPECT_EQ(q.seed, 3U);
                    EXPECT_EQ(q.source, study.file);
                    EXPECT_EQ(q.platformField, "platforms");
                    EXPECT_EQ(q.networkField, "networks");
                    EXPECT_TRUE(q.mapping.mapping.empty());
                    const TableRow row = plan.row(i, invalid());
                    EXPECT_EQ(row.at(0), Cell(i));
                    EXPECT_EQ(text(row, plan, "operating_point"), t.op);
                    EXPECT_EQ(number(row, plan, "batch"), batch);
                    EXPECT_EQ(number(row, plan, "stack.runtime_ram_bytes"), std::stod(ram));
                    ++i;
                }
            }
        }
    }
    EXPECT_EQ(plan.size(), i);
    EXPECT_EQ(plan.size(), 16);
    EXPECT_EQ(plan.samplerName(), "grid");
    // Each query runs as the session runs it (the plan's queries are complete).
    EXPECT_FALSE(session_.problem(plan.query(plan.size() - 1)).has_value());
}

TEST_F(SweepPlanTest, PairsAStackDoesNotTargetAreSkipped) {
    SweepPlan plan(load(edit(kGrid)), session_);
    const auto& skipped = plan.skippedPairs();
    ASSERT_EQ(skipped.size(), 2U);
    EXPECT_EQ(skipped[0].first, "nucleo-l4r5zi / gap-flow");
    EXPECT_THAT(skipped[0].second, HasSubstr("does not target"));
    EXPECT_EQ(skipped[1].first, "gap9-evk / tflm-cmsis-nn");
    EXPECT_THAT(skipped[1].second, HasSubstr("does not target"));
    for (int64_t i = 0; i < plan.size(); ++i) {
        const Query q = plan.query(i);
        EXPECT_EQ(
            platforms::incompatibility(session_.platform(q.platform), session_.stack(q.stack)), "")
            << q.platform << " / " << q.stack;
    }
    // A stack without targets runs everywhere: nothing skipped.
    auto anywhere = session_.stack("tflm-2.3");
    anywhere.clear_target_isas();
    anywhere.clear_target_platforms();
    session_.replaceStack("tflm-2.3", anywhere);
    SweepPlan all(load(edit(kGrid, {{3, "stacks: \"tflm-2.3\""}})), session_);
    EXPECT_TRUE(all.skippedPairs().empty());
    EXPECT_EQ(all.size(), 16);
}

TEST_F(SweepPlanTest, StrategiesAndTheMappingReachEveryQuery) {
    SweepPlan plan(
        load(edit(kGrid, {{10, "strategies: \"inference\""}, {11, "mapping: \"host-only\""}})),
        session_);
    EXPECT_EQ(plan.size(), 16);
    for (int64_t i = 0; i < plan.size(); ++i) {
        const Query q = plan.query(i);
        EXPECT_EQ(q.mapping.mapping, "host-only");
        EXPECT_EQ(q.mapping.mappingField, "mapping");
    }
    EXPECT_EQ(session_.mapping(plan.query(plan.size() - 1)).name, "host-only");
}

TEST_F(SweepPlanTest, StrategyParametersReachTheQueryAndTheHash) {
    SweepPlan plan(load(edit(kMcu, {{6, "strategies: \"last-layer\""},
                                    {7, "strategies: \"last-layer dtype=int8\""}})),
                   session_);
    ASSERT_EQ(plan.size(), 2);
    const Query fp = plan.query(0);
    const Query q8 = plan.query(1);
    EXPECT_EQ(fp.strategy, "last-layer");
    EXPECT_TRUE(fp.strategyParams.empty());
    EXPECT_EQ(q8.strategy, "last-layer");
    EXPECT_EQ(q8.strategyParams, (std::vector<std::string>{"dtype=int8"}));
    EXPECT_EQ(q8.strategyParamsField, "strategies");
    EXPECT_NE(session_.hash(fp), session_.hash(q8));
    // int8 training keeps a quarter of the fp32 bytes.
    EXPECT_LT(session_.run(q8).result.peakRamBytes, session_.run(fp).result.peakRamBytes);
}

TEST_F(SweepPlanTest, MappingFileThatDoesNotFitEveryPlatformAndNetworkIsRejectedBeforeRunning) {
    const std::string ne16 = dir_.write("ne16.textproto", "name: \"ne16\"\n"
                                                          "default_engine: \"ne16\"\n")
                                 .string();
    // On gap9 alone it fits (nucleo-l4r5zi / gap-flow is not a pair).
    const SweepPlan fits(
        load(edit(kGrid, {{3, "stacks: \"gap-flow\""}, {11, "mapping: \"" + ne16 + "\""}})),
        session_);
    EXPECT_EQ(fits.size(), 8); // 2 networks x 2 batches x 2 stack values
    const InputError both = planError(edit(kGrid, {{11, "mapping: \"" + ne16 + "\""}}));
    const Diagnostic d = only(both, "mapping");
    EXPECT_EQ(d.file, lastFile());
    EXPECT_EQ(d.line, 11);
    EXPECT_THAT(d.reason, HasSubstr(ne16));
    EXPECT_THAT(d.reason, HasSubstr("unknown engine 'ne16' on platform 'nucleo-l4r5zi'"));

    // A layer the networks do not have.
    const std::string layer =
        dir_.write("layer.textproto", "layers { layer: \"no_such_layer\" engine: \"ne16\" }\n")
            .string();
    const InputError l = planError(
        edit(kGrid, {{2, "platforms: \"gap9-evk\""}, {11, "mapping: \"" + layer + "\""}}));
    EXPECT_THAT(only(l, "mapping").reason, HasSubstr("no_such_layer"));
}

// ---- operating points --------------------------------------------------------------------

TEST_F(SweepPlanTest, AllNamedAndExplicitOperatingPoints) {
    SweepPlan plan(
        load(edit(kGrid, {{4, "networks: \"mlperf_tiny/ad\""},
                          {5, ""},
                          {8, ""},
                          {9, ""},
                          {10, "operating_points { all_named: true"},
                          {11, "  points { platform: \"nucleo-l4r5zi\" clock_hz: 40e6 }"},
                          {12, "  points { clock_hz: 60e6 } }"}})),
        session_);
    struct Expected {
        std::string platform, name, label;
        double clockHz; // 0: the named point's
        std::string field;
    };
    const std::vector<Expected> expected = {
        {"nucleo-l4r5zi", "120mhz", "120mhz", 0, ""},
        {"nucleo-l4r5zi", "zephyr-80mhz", "zephyr-80mhz", 0, ""},
        {"nucleo-l4r5zi", "", "custom", 40e6, "operating_points.points[0].clock_hz"},
        {"nucleo-l4r5zi", "", "custom", 60e6, "operating_points.points[1].clock_hz"},
        {"gap9-evk", "240mhz-0v65", "240mhz-0v65", 0, ""},
        {"gap9-evk", "370mhz-0v8", "370mhz-0v8", 0, ""},
        {"gap9-evk", "", "custom", 60e6, "operating_points.points[1].clock_hz"},
    };
    ASSERT_EQ(plan.size(), static_cast<int64_t>(expected.size()));
    for (std::size_t i = 0; i < expected.size(); ++i) {
        SCOPED_TRACE(i);
        const Expected& e = expected[i];
        const Query q = plan.query(static_cast<int64_t>(i));
        EXPECT_EQ(q.platform, e.platform);
        EXPECT_EQ(q.operatingPoint.name, e.name);
        EXPECT_EQ(q.operatingPoint.clockHz.value_or(0), e.clockHz);
        EXPECT_FALSE(q.operatingPoint.voltageV.has_value());
        if (!e.field.empty()) {
            EXPECT_EQ(q.operatingPoint.clockField, e.field);
        }
        EXPECT_EQ(text(plan.row(static_cast<int64_t>(i), invalid()), plan, "operating_point"),
                  e.label);
        // The clock the session resolves: the named point's, or the one given.
        const double clock = session_.operatingPoint(q).clockHz;
        EXPECT_EQ(clock, e.clockHz != 0 ? e.clockHz
                                        : (e.name == "120mhz"         ? 120e6
                                           : e.name == "zephyr-80mhz" ? 80e6
                                           : e.name == "240mhz-0v65"  ? 240e6
                                                                      : 370e6));
    }
}

TEST_F(SweepPlanTest, ClockAbovePlatformMaximumNamesThePoint) {
    const InputError e = planError(edit(kGrid, {{10, "operating_points {"},
                                                {11, "  points { clock_hz: 60e6 }"},
                                                {12, "  points { clock_hz: 200e6 } }"}}));
    const Diagnostic d = only(e, "operating_points.points[1]");
    EXPECT_EQ(d.file, lastFile());
    EXPECT_EQ(d.line, 12);
    EXPECT_THAT(d.reason, HasSubstr("nucleo-l4r5zi"));
    EXPECT_THAT(d.reason, HasSubstr("maximum"));
    // 200 MHz is fine on GAP9 (400 MHz FC): one problem only.
    EXPECT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
}

TEST_F(SweepPlanTest, VoltageOutsideARangeNamesThePoint) {
    const InputError e = planError(edit(
        kGrid, {{10, "operating_points { points { platform: \"gap9-evk\" voltage_v: 1.2 } }"}}));
    const Diagnostic d = only(e, "operating_points.points[0]");
    EXPECT_EQ(d.line, 10);
    EXPECT_THAT(d.reason, HasSubstr("gap9-evk"));
    EXPECT_THAT(d.reason, HasSubstr("supply range"));
}

// ---- parameter axes ----------------------------------------------------------------------

TEST_F(SweepPlanTest, ValuesLabelsAndRangesGiveTheExpectedLevels) {
    SweepPlan plan(
        load(edit(kMcu, {{6, "parameters { path: \"platform.memories[name=sram1].size_bytes\" "
                             "values: [65536, 131072] }"},
                         {7, "parameters { path: \"platform.cores[name=cpu].cycle_scale\" "
                             "range { min: 1 max: 2 steps: 3 } }"},
                         {8, "parameters { path: \"stack.runtime_ram_bytes\" column: \"ram\" "
                             "range { min: 1000 max: 2000 steps: 4 } }"},
                         {9, "parameters { path: \"platform.memories[name=sram2].size_bytes\" "
                             "range { min: 16384 max: 65536 scale: LOG steps: 3 } }"},
                         {10, "parameters { path: \"platform.memories[name=flash].prefetch\" "
                              "labels: [\"true\", \"false\"] }"}})),
        session_);
    const std::vector<std::string> sram1 = {"65536", "131072"};
    const std::vector<std::string> scale = {"1", "1.5", "2"};
    const std::vector<std::string> ram = {"1000", "1333", "1667", "2000"}; // nearest integers
    const std::vector<std::string> sram2 = {"16384", "32768", "65536"};    // exact in log space
    const std::vector<std::string> prefetch = {"true", "false"};
    ASSERT_EQ(plan.size(), 2 * 3 * 4 * 3 * 2);
    int64_t i = 0;
    for (const auto& a : sram1) {
        for (const auto& b : scale) {
            for (const auto& c : ram) {
                for (const auto& d : sram2) {
                    for (const auto& e : prefetch) {
                        SCOPED_TRACE(i);
                        const Query q = plan.query(i);
                        ASSERT_EQ(q.overrides.size(), 5U);
                        EXPECT_EQ(q.overrides[0].text(),
                                  "platform.memories[name=sram1].size_bytes=" + a);
                        EXPECT_EQ(q.overrides[1].text(),
                                  "platform.cores[name=cpu].cycle_scale=" + b);
                        EXPECT_EQ(q.overrides[2].text(), "stack.runtime_ram_bytes=" + c);
                        EXPECT_EQ(q.overrides[3].text(),
                                  "platform.memories[name=sram2].size_bytes=" + d);
                        EXPECT_EQ(q.overrides[4].text(),
                                  "platform.memories[name=flash].prefetch=" + e);
                        for (int k = 0; k < 5; ++k) {
                            EXPECT_EQ(q.overrides[static_cast<std::size_t>(k)].field,
                                      "parameters[" + std::to_string(k) + "]");
                        }
                        const TableRow row = plan.row(i, invalid());
                        EXPECT_EQ(number(row, plan, "platform.memories[name=sram1].size_bytes"),
                                  std::stod(a));
                        EXPECT_EQ(number(row, plan, "platform.cores[name=cpu].cycle_scale"),
                                  std::stod(b));
                        EXPECT_EQ(number(row, plan, "ram"), std::stod(c));
                        EXPECT_EQ(number(row, plan, "platform.memories[name=sram2].size_bytes"),
                                  std::stod(d));
                        EXPECT_EQ(text(row, plan, "platform.memories[name=flash].prefetch"), e);
                        ++i;
                    }
                }
            }
        }
    }
    // The values reach the specs the session runs with.
    const auto& specs = session_.specs(plan.query(plan.size() - 1));
    EXPECT_EQ(specs.platform.memories(1).size_bytes(), 131072);
    EXPECT_EQ(specs.platform.cores(0).cycle_scale(), 2.0);
    EXPECT_EQ(specs.stack.runtime_ram_bytes(), 2000);
    EXPECT_EQ(specs.platform.memories(2).size_bytes(), 65536);
    EXPECT_FALSE(specs.platform.memories(0).prefetch());
}

TEST_F(SweepPlanTest, OperatingPointAxesSetTheClock) {
    SweepPlan plan(load(edit(kMcu, {{6, "parameters { path: \"operating_point.clock_hz\" "
                                        "values: [40e6, 80e6] }"}})),
                   session_);
    ASSERT_EQ(plan.size(), 2);
    for (int64_t i = 0; i < 2; ++i) {
        const Query q = plan.query(i);
        EXPECT_TRUE(q.overrides.empty());
        EXPECT_EQ(q.operatingPoint.clockHz.value_or(0), i == 0 ? 40e6 : 80e6);
        EXPECT_EQ(q.operatingPoint.clockField, "parameters[0]");
        EXPECT_EQ(session_.operatingPoint(q).clockHz, i == 0 ? 40e6 : 80e6);
        // The row names the point as the run does: not the platform's default point, whose
        // clock it no longer has, but "custom".
        const auto run = session_.run(q);
        const TableRow row = plan.row(i, PointOutcome{"ok", "", &run.result, run.configSha256});
        const auto op = static_cast<std::size_t>(columnIndex(plan, "operating_point"));
        EXPECT_EQ(std::get<std::string>(row.at(op)), run.result.operatingPoint.name);
        EXPECT_EQ(std::get<std::string>(row.at(op)), "custom");
        EXPECT_EQ(plan.runRow(i, PointOutcome{"invalid", "why", nullptr, ""}).operatingPoint,
                  "custom");
        EXPECT_GE(plan.columns().at(op).fixedLength, std::string("custom").size());
    }
    const auto& col =
        plan.columns().at(static_cast<std::size_t>(columnIndex(plan, "operating_point.clock_hz")));
    EXPECT_EQ(col.unit, "Hz");
    EXPECT_EQ(col.kind, ColumnKind::Double);
    // A clock axis value the board cannot run.
    const InputError e = planError(edit(
        kMcu, {{6, "parameters { path: \"operating_point.clock_hz\" values: [40e6, 150e6] }"}}));
    const Diagnostic d = only(e, "parameters[0]");
    EXPECT_EQ(d.line, 6);
    EXPECT_THAT(d.reason, HasSubstr("level 1"));
    EXPECT_THAT(d.reason, HasSubstr("maximum"));
}

TEST_F(SweepPlanTest, AListedValueOfAnIntegerFieldMustBeAnInteger) {
    // As --set refuses 1.5 for a size in bytes, so does a study (it was rounded to 2).
    const InputError e =
        planError(edit(kMcu, {{6, "parameters { path: \"platform.memories[name=sram1].size_bytes\" "
                                  "values: [65536, 1.5] }"}}));
    const Diagnostic d = only(e, "parameters[0].values");
    EXPECT_EQ(d.line, 6);
    EXPECT_THAT(d.reason, HasSubstr("1.5 is not an integer"));
    // Written as an exponent, an integer value is fine.
    SweepPlan plan(load(edit(kMcu, {{6, "parameters { path: "
                                        "\"platform.memories[name=sram1].size_bytes\" "
                                        "values: [6.5536e4] }"}})),
                   session_);
    EXPECT_EQ(plan.size(), 1);
}

TEST_F(SweepPlanTest, LinkedFieldsTakeTheirValuePerLevel) {
    SweepPlan plan(
        load(edit(kMcu, {{6, "parameters { column: \"sram\" labels: [\"small\", \"big\"]"},
                         {7, "  linked { path: \"platform.memories[name=sram1].size_bytes\" "
                             "column: \"sram1_bytes\" values: [65536, 196608] }"},
                         {8, "  linked { path: \"platform.memories[name=sram1].leakage_power_w\" "
                             "values: [0.001, 0.0025] } }"},
                         {9, "batch_sizes: [1, 2]"}})),
        session_);
    ASSERT_EQ(plan.size(), 4);
    const std::vector<std::string> labels = {"small", "small", "big", "big"};
    const std::vector<std::string> bytes = {"65536", "65536", "196608", "196608"};
    const std::vector<std::string> leakage = {"0.001", "0.001", "0.0025", "0.0025"};
    for (int64_t i = 0; i < 4; ++i) {
        SCOPED_TRACE(i);
        const auto k = static_cast<std::size_t>(i);
        const Query q = plan.query(i);
        ASSERT_EQ(q.overrides.size(), 2U); // the axis itself has no path
        EXPECT_EQ(overrideValue(q, "platform.memories[name=sram1].size_bytes"), bytes[k]);
        EXPECT_EQ(overrideValue(q, "platform.memories[name=sram1].leakage_power_w"), leakage[k]);
        EXPECT_EQ(q.batch, i % 2 == 0 ? 1 : 2);
        const TableRow row = plan.row(i, invalid());
        EXPECT_EQ(text(row, plan, "sram"), labels[k]);
        EXPECT_EQ(number(row, plan, "sram1_bytes"), std::stod(bytes[k]));
        EXPECT_EQ(number(row, plan, "platform.memories[name=sram1].leakage_power_w"),
                  std::stod(leakage[k]));
        const auto& sram1 = session_.specs(q).platform.memories(1);
        EXPECT_EQ(sram1.size_bytes(), std::stoll(bytes[k]));
        EXPECT_EQ(sram1.leakage_power_w(), std::stod(leakage[k]));
    }
}

/// A continuous range under a sampler that draws: every value within [min, max], integer
/// fields whole, the same seed the same points, another seed other points.
class ContinuousSamplingTest : public SweepPlanTest,
                               public ::testing::WithParamInterface<std::string> {
protected:
    std::string study(int seed) const {
        return edit(kMcu,
                    {{6, "parameters { path: \"platform.memories[name=sram1].leakage_power_w\" "
                         "range { min: 0.001 max: 0.002 } }"},
                     {7, "parameters { path: \"platform.memories[name=sram2].size_bytes\" "
                         "range { min: 16384 max: 65536 scale: LOG } }"},
                     {8, "parameters { path: \"stack.runtime_ram_bytes\" values: [4096, 8192] }"},
                     {9, "sampler { kind: \"" + GetParam() + "\" points: 20 }"},
                     {10, "seed: " + std::to_string(seed)}});
    }
    std::vector<std::string> texts(const SweepPlan& plan) const {
        std::vector<std::string> out;
        for (int64_t i = 0; i < plan.size(); ++i) {
            std::string t;
            for (const auto& o : plan.query(i).overrides) {
                t += o.text() + ";";
            }
            out.push_back(t);
        }
        return out;
    }
};

TEST_P(ContinuousSamplingTest, ValuesStayInRangeAndFollowTheSeed) {
    SweepPlan plan(load(study(11)), session_);
    ASSERT_EQ(plan.size(), 20);
    EXPECT_EQ(plan.samplerName(), GetParam());
    std::set<int> strata;
    for (int64_t i = 0; i < plan.size(); ++i) {
        SCOPED_TRACE(i);
        const Query q = plan.query(i);
        ASSERT_EQ(q.overrides.size(), 3U);
        const double leakage = std::stod(q.overrides[0].value);
        EXPECT_GE(leakage, 0.001);
        EXPECT_LE(leakage, 0.002);
        const double size = std::stod(q.overrides[1].value);
        EXPECT_GE(size, 16384);
        EXPECT_LE(size, 65536);
        EXPECT_EQ(q.overrides[1].value, std::to_string(std::llround(size)));
        EXPECT_THAT(q.overrides[2].value, ::testing::AnyOf("4096", "8192"));
        // The row holds the very values the query sets.
        const TableRow row = plan.row(i, invalid());
        EXPECT_EQ(number(row, plan, "platform.memories[name=sram1].leakage_power_w"), leakage);
        EXPECT_EQ(number(row, plan, "platform.memories[name=sram2].size_bytes"), size);
        strata.insert(static_cast<int>(std::floor((leakage - 0.001) / 0.001 * 20)));
    }
    if (GetParam() == "latin-hypercube") {
        // One point per stratum of the linear range.
        EXPECT_EQ(strata.size(), 20U);
    } else {
        EXPECT_GT(strata.size(), 5U); // not all the same value
    }
    SweepPlan again(load(study(11)), session_);
    EXPECT_EQ(texts(again), texts(plan));
    SweepPlan other(load(study(12)), session_);
    EXPECT_NE(texts(other), texts(plan));
}

INSTANTIATE_TEST_SUITE_P(Samplers, ContinuousSamplingTest,
                         ::testing::Values("random", "latin-hypercube"), [](const auto& p) {
                             return p.param == "random" ? std::string("random")
                                                        : std::string("latin_hypercube");
                         });

// ---- errors that need the configs --------------------------------------------------------

TEST_F(SweepPlanTest, UnknownNamesAreReportedWithTheirListIndex) {
    const std::vector<std::pair<int, std::string>> cases = {
        {2, "platforms: [\"nucleo-l4r5zi\", \"nucleo-nope\"]"},
        {3, "stacks: [\"tflm-cmsis-nn\", \"gap-flow\", \"tflm-nope\"]"},
        {4, "networks: [\"mlperf_tiny/ad\", \"mlperf_tiny/nope\"]"},
    };
    const std::vector<std::string> fields = {"platforms[1]", "stacks[2]", "networks[1]"};
    const std::vector<std::string> names = {"nucleo-nope", "tflm-nope", "mlperf_tiny/nope"};
    for (std::size_t k = 0; k < cases.size(); ++k) {
        SCOPED_TRACE(fields[k]);
        const InputError e = planError(edit(kGrid, {cases[k]}));
        ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
        const Diagnostic d = only(e, fields[k]);
        EXPECT_EQ(d.file, lastFile());
        EXPECT_EQ(d.line, cases[k].first);
        EXPECT_THAT(d.reason, HasSubstr(names[k]));
    }
}

TEST_F(SweepPlanTest, ParameterPathMustResolveOnEveryPlatform) {
    // gap9-evk has an l1, nucleo-l4r5zi has not: in either order of the platforms.
    for (const std::string platforms : {"platforms: [\"nucleo-l4r5zi\", \"gap9-evk\"]",
                                        "platforms: [\"gap9-evk\", \"nucleo-l4r5zi\"]"}) {
        SCOPED_TRACE(platforms);
        const InputError e = planError(
            edit(kGrid, {{2, platforms},
                         {8, "parameters { path: \"platform.memories[name=l1].size_bytes\""},
                         {9, "             values: [65536] }"}}));
        const Diagnostic d = onlyDiagnostic(
            e, [](const Diagnostic& x) { return x.field.rfind("parameters[0]", 0) == 0; },
            "parameters[0]");
        EXPECT_EQ(d.file, lastFile());
        EXPECT_EQ(d.line, 8);
        EXPECT_THAT(d.reason, HasSubstr("nucleo-l4r5zi"));
        EXPECT_THAT(d.reason, HasSubstr("l1"));
    }
}

TEST_F(SweepPlanTest, ValueThatAloneBreaksValidationIsReported) {
    const InputError e =
        planError(edit(kGap9, {{6, "parameters { path: \"platform.memories[name=l1].size_bytes\""},
                               {7, "             values: [131072, 0] }"}}));
    const Diagnostic d = only(e, "parameters[0]");
    EXPECT_EQ(d.file, lastFile());
    EXPECT_EQ(d.line, 6);
    EXPECT_THAT(d.reason, HasSubstr("level 1"));
    EXPECT_THAT(d.reason, HasSubstr("size_bytes"));
    // Below the cluster's reserved bytes alone: also invalid on its own.
    const InputError r =
        planError(edit(kGap9, {{6, "parameters { path: \"platform.memories[name=l1].size_bytes\""},
                               {7, "             values: [8192] }"}}));
    EXPECT_THAT(only(r, "parameters[0]").reason, HasSubstr("reserved_local_bytes"));
}

TEST_F(SweepPlanTest, RangeEndThatBreaksValidationIsReported) {
    // A continuous range (random sampling) whose lower end is 0 bytes.
    const InputError e =
        planError(edit(kGap9, {{6, "parameters { path: \"platform.memories[name=l2].size_bytes\""},
                               {7, "             range { min: 0 max: 1048576 } }"},
                               {8, "sampler { kind: \"random\" points: 4 }"}}));
    const Diagnostic d = only(e, "parameters[0]");
    EXPECT_EQ(d.line, 6);
    EXPECT_THAT(d.reason, HasSubstr("range.min"));
    // A range with steps whose first step is too small.
    const InputError s =
        planError(edit(kGap9, {{6, "parameters { path: \"platform.memories[name=l2].size_bytes\""},
                               {7, "             range { min: 512 max: 1048576 steps: 3 } }"}}));
    const Diagnostic ds = only(s, "parameters[0]");
    EXPECT_EQ(ds.line, 6);
    EXPECT_THAT(ds.reason, HasSubstr("size_bytes = 512"));
    EXPECT_THAT(ds.reason, HasSubstr("out of range"));
}

TEST_F(SweepPlanTest, SetOverrideThatDoesNotApplyIsReported) {
    // The second `set` selects a memory nucleo-l4r5zi does not have.
    const InputError e =
        planError(edit(kMcu, {{6, "set: \"stack.tile_bytes=2048\""},
                              {7, "set: \"platform.memories[name=l1].size_bytes=65536\""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.file, lastFile());
    EXPECT_EQ(d.field, "set[1]");
    EXPECT_EQ(d.line, 7);
    EXPECT_THAT(d.reason, HasSubstr("platform.memories[name=l1].size_bytes=65536"));
    EXPECT_THAT(d.reason, HasSubstr("nucleo-l4r5zi"));
}

TEST_F(SweepPlanTest, QuantizeIsAnAxisAndABadValueIsReported) {
    const std::string model = EDGESIM_TEST_DIR "/data/onnx/corpus/cnn1d.onnx";
    SweepPlan plan(load(edit(kMcu, {{4, "networks: \"" + model + "\""},
                                    {6, "quantize: [\"none\", \"int8\", \"default\"]"}})),
                   session_);
    // One point per precision, the fastest-varying dimension, labelled in /sweep.
    ASSERT_EQ(plan.size(), 3);
    const std::vector<std::string> runs = {"none", "int8", ""};
    const std::vector<std::string> labels = {"none", "int8", "default"};
    for (int64_t i = 0; i < plan.size(); ++i) {
        const Query q = plan.query(i);
        EXPECT_EQ(q.quantize, runs[static_cast<std::size_t>(i)]);
        EXPECT_EQ(q.quantizeField, "quantize");
        EXPECT_EQ(text(plan.row(i, invalid()), plan, "quantize"),
                  labels[static_cast<std::size_t>(i)]);
    }
    // The float model has no kernel on the MCU stack; quantised it runs.
    EXPECT_EQ(session_.run(plan.query(0)).result.status, sim::Status::Unsupported);
    EXPECT_EQ(session_.run(plan.query(1)).result.status, sim::Status::Ok);
    EXPECT_EQ(session_.run(plan.query(2)).result.status, sim::Status::Unsupported)
        << "tflm-cmsis-nn declares no default precision";
    // The second value is bad: the error names it by index and line.
    const InputError e =
        planError(edit(kMcu, {{6, "quantize: [\"int8\","}, {7, "\"int4-everything\"]"}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_EQ(e.diagnostics()[0].field, "quantize[1]");
    EXPECT_EQ(e.diagnostics()[0].line, 6);
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("'int4-everything'"));
}

TEST_F(SweepPlanTest, SetOverrideThatBreaksValidationIsReported) {
    const InputError e =
        planError(edit(kMcu, {{6, "set: \"stack.tile_bytes=2048\""},
                              {7, "set: \"platform.memories[name=sram1].size_bytes=0\""}}));
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.file, lastFile());
    EXPECT_EQ(d.field, "set[1]");
    EXPECT_EQ(d.line, 7);
    EXPECT_THAT(d.reason, HasSubstr("size_bytes"));
}

TEST_F(SweepPlanTest, SetOverridesApplyToEveryPointBeforeTheAxes) {
    SweepPlan plan(load(edit(kMcu, {{6, "set: \"stack.runtime_ram_bytes=1234\""},
                                    {7, "parameters { path: \"stack.runtime_ram_bytes\" "
                                        "values: [4096, 8192] }"}})),
                   session_);
    ASSERT_EQ(plan.size(), 2);
    for (int64_t i = 0; i < 2; ++i) {
        const Query q = plan.query(i);
        ASSERT_EQ(q.overrides.size(), 2U);
        EXPECT_EQ(q.overrides[0].text(), "stack.runtime_ram_bytes=1234");
        EXPECT_EQ(q.overrides[0].field, "set[0]");
        EXPECT_EQ(session_.specs(q).stack.runtime_ram_bytes(), i == 0 ? 4096 : 8192);
    }
}

/// A `set` that makes the study's pair unable to work at all (GAP9's FC cannot reach the MRAM
/// on its own bus) concerns every point: the plan must refuse it before anything runs, as it
/// refuses an axis value that does this (each level is checked with sim::checkDeployable).
TEST_F(SweepPlanTest, SetOverrideThatMakesThePairUndeployableIsReported) {
    const Study& study =
        load(edit(kGap9, {{6, "set: \"platform.placement.weights_memory=mram\""}}));
    try {
        SweepPlan plan(study, session_);
        ADD_FAILURE() << "the plan accepted a `set` that no point can run with";
        // What happens then: the worker throws for the first point instead of a row.
        SweepWorker worker(plan, session_, false);
        wire::Task task;
        task.set_begin(0);
        task.set_end(1);
        EXPECT_NO_THROW(worker.run(task));
    } catch (const InputError& e) {
        ASSERT_FALSE(e.diagnostics().empty());
        EXPECT_EQ(e.diagnostics()[0].file, lastFile());
        EXPECT_THAT(e.diagnostics()[0].field, HasSubstr("set"));
        EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("mram"));
    }
    // The same value as an axis is refused by the plan.
    const InputError axis =
        planError(edit(kGap9, {{6, "parameters { path: \"platform.placement.weights_memory\" "
                                   "labels: [\"l2\", \"mram\"] }"}}));
    EXPECT_THAT(only(axis, "parameters[0]").reason, HasSubstr("mram"));
}

/// Operating points are checked on the platform the points run on, i.e. after the study's
/// `set`: a `set` raising GAP9's FC maximum to 500 MHz admits a 450 MHz point, and one lowering
/// the L4R5's maximum to 100 MHz rules out its 120 MHz default point.
TEST_F(SweepPlanTest, OperatingPointsAreCheckedAfterTheStudysSet) {
    const Study& raised =
        load(edit(kGap9, {{6, "set: \"platform.cores[name=fc].max_clock_hz=500e6\""},
                          {7, "operating_points { points { clock_hz: 450e6 } }"}}));
    try {
        SweepPlan plan(raised, session_);
        ASSERT_EQ(plan.size(), 1);
        EXPECT_FALSE(session_.problem(plan.query(0)).has_value());
    } catch (const InputError& e) {
        ADD_FAILURE() << "a point the study's own `set` allows was refused: " << e.formatAll();
    }
    // Without the set, 450 MHz is refused (the check itself works).
    const InputError without =
        planError(edit(kGap9, {{7, "operating_points { points { clock_hz: 450e6 } }"}}));
    EXPECT_EQ(only(without, "operating_points.points[0]").line, 7);

    const Study& lowered =
        load(edit(kMcu, {{6, "set: \"platform.cores[name=cpu].max_clock_hz=100e6\""}}));
    try {
        SweepPlan plan(lowered, session_);
        ADD_FAILURE() << "accepted a study none of whose points can run: "
                      << session_.problem(plan.query(0)).value_or(Diagnostic{}).format();
    } catch (const InputError& e) {
        EXPECT_THAT(e.formatAll(), HasSubstr("120 MHz"));
    }
}

TEST_F(SweepPlanTest, StudyWhoseEveryPairIsSkippedIsRejected) {
    const InputError e = planError(edit(
        kGrid, {{2, "platforms: \"nucleo-l4r5zi\""}, {3, "stacks: [\"gap-flow\", \"vela\"]"}}));
    const Diagnostic d = only(e, "stacks");
    EXPECT_EQ(d.file, lastFile());
    EXPECT_EQ(d.line, 3);
    EXPECT_THAT(d.reason, HasSubstr("no stack of the study targets"));
    EXPECT_THAT(d.reason, HasSubstr("'gap-flow' does not target"));
    EXPECT_THAT(d.reason, HasSubstr("'vela' does not target"));
}

// ---- columns and rows --------------------------------------------------------------------

TEST_F(SweepPlanTest, ColumnsInOrderWithKindsAndUnits) {
    SweepPlan plan(
        load(edit(kGrid, {{8, "parameters { column: \"ram\" labels: [\"lo\", \"hi\"]"},
                          {9, "  linked { path: \"stack.runtime_ram_bytes\" values: [1, 2] } }"},
                          {10, "parameters { path: \"stack.per_inference_overhead_cycles\" "
                               "column: \"overhead\" values: [100, 200] }"}})),
        session_);
    using K = ColumnKind;
    std::vector<ColumnDef> expected = {
        {"point_index", K::Int, ""},
        // Strings the study knows are fixed-length: the longest value's bytes.
        {"platform", K::String, "", 13}, // nucleo-l4r5zi
        {"stack", K::String, "", 13},    // tflm-cmsis-nn
        {"network", K::String, "", 15},  // mlperf_tiny/kws
        {"strategy", K::String, "", 9},  // inference
        {"batch", K::Int, "1"},
        {"quantize", K::String, "", 7},        // default (the stacks' own)
        {"operating_point", K::String, "", 0}, // checked against the rows below
        {"ram", K::String, "", 2},
        {"stack.runtime_ram_bytes", K::Double, "B"}, // units from the fields' names
        {"overhead", K::Double, "cycles"},
        {"status", K::String, "", 12}, // does_not_fit
        {"reason", K::String, ""},
        {"latency_cycles", K::Double, "cycles"},
        {"latency_s", K::Double, "s"},
        {"energy_j", K::Double, "J"},
        {"peak_ram_bytes", K::Double, "B"},
        {"flash_bytes", K::Double, "B"},
        {"macs", K::Double, "MAC"},
    };
    // The union of both platforms' memories, in platform then memory order.
    for (const char* m : {"flash", "sram1", "sram2", "sram3", "l1", "l2", "mram", "hyperram"}) {
        expected.push_back({std::string("bytes_") + m, K::Double, "B"});
    }
    for (const ColumnDef& c : std::vector<ColumnDef>{{"clock_hz", K::Double, "Hz"},
                                                     {"voltage_v", K::Double, "V"},
                                                     {"mapping", K::String, ""},
                                                     {"config_sha256", K::String, "", 64},
                                                     {"sim_wall_s", K::Double, "s"}}) {
        expected.push_back(c);
    }
    // The platforms have no other memories than those listed.
    std::size_t memories = 0;
    for (const char* p : {"nucleo-l4r5zi", "gap9-evk"}) {
        memories += static_cast<std::size_t>(session_.platform(p).memories_size());
    }
    ASSERT_EQ(memories, 8U);
    ASSERT_EQ(plan.columns().size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(plan.columns()[i].name, expected[i].name) << i;
        EXPECT_EQ(plan.columns()[i].kind, expected[i].kind) << expected[i].name;
        EXPECT_EQ(plan.columns()[i].unit, expected[i].unit) << expected[i].name;
        if (expected[i].name != "operating_point") {
            EXPECT_EQ(plan.columns()[i].fixedLength, expected[i].fixedLength) << expected[i].name;
        }
    }
    // The default operating points' names: the column is as long as the longest.
    const std::size_t op = static_cast<std::size_t>(columnIndex(plan, "operating_point"));
    std::size_t longest = 0;
    for (int64_t i = 0; i < plan.size(); ++i) {
        longest = std::max(longest, std::get<std::string>(plan.row(i, invalid())[op]).size());
    }
    EXPECT_GT(longest, 0U);
    EXPECT_EQ(plan.columns()[op].fixedLength, longest);
    // Study validation refuses axis columns named like the plan's own (isReservedColumn):
    // every column that is not an axis's is reserved.
    for (const ColumnDef& c : plan.columns()) {
        const bool axis =
            c.name == "ram" || c.name == "stack.runtime_ram_bytes" || c.name == "overhead";
        EXPECT_NE(axis, isReservedColumn(c.name) || c.name.rfind("bytes_", 0) == 0) << c.name;
    }
    // Every row has one cell per column, of the column's kind.
    const TableRow row = plan.row(0, invalid());
    ASSERT_EQ(row.size(), expected.size());
    for (std::size_t i = 0; i < row.size(); ++i) {
        const std::size_t kind = expected[i].kind == K::Int      ? 0
                                 : expected[i].kind == K::Double ? 1
                                                                 : 2;
        EXPECT_EQ(row[i].index(), kind) << expected[i].name;
    }
}

TEST_F(SweepPlanTest, RowOfAnOkPointHoldsTheResult) {
    SweepPlan plan(load(edit(kGrid)), session_);
    for (const int64_t i : {int64_t{0}, int64_t{9}}) { // nucleo ad batch 1, gap9 ad batch 2
        SCOPED_TRACE(i);
        const Query q = plan.query(i);
        const QueryResult qr = session_.run(q);
        const sim::SimResult& r = qr.result;
        ASSERT_EQ(r.status, sim::Status::Ok) << r.reason;
        PointOutcome o{"ok", "", &r, qr.configSha256};
        const TableRow row = plan.row(i, o);
        EXPECT_EQ(row.at(0), Cell(i));
        EXPECT_EQ(text(row, plan, "platform"), q.platform);
        EXPECT_EQ(text(row, plan, "stack"), q.stack);
        EXPECT_EQ(text(row, plan, "network"), q.network);
        EXPECT_EQ(text(row, plan, "strategy"), "inference");
        EXPECT_EQ(text(row, plan, "status"), "ok");
        EXPECT_EQ(text(row, plan, "reason"), "");
        EXPECT_EQ(number(row, plan, "latency_cycles"), static_cast<double>(r.latencyCycles));
        EXPECT_EQ(number(row, plan, "latency_s"), r.latencyS);
        EXPECT_EQ(number(row, plan, "energy_j"), r.energyJ);
        EXPECT_EQ(number(row, plan, "peak_ram_bytes"), static_cast<double>(r.peakRamBytes));
        EXPECT_EQ(number(row, plan, "flash_bytes"), static_cast<double>(r.flashBytes));
        EXPECT_EQ(number(row, plan, "macs"), static_cast<double>(r.macs));
        EXPECT_GT(r.macs, 0);
        for (const char* m : {"flash", "sram1", "sram2", "sram3", "l1", "l2", "mram", "hyperram"}) {
            const double bytes = number(row, plan, std::string("bytes_") + m);
            const auto it = std::find(r.memories.begin(), r.memories.end(), m);
            if (it == r.memories.end()) {
                EXPECT_TRUE(std::isnan(bytes)) << m << " is not on " << q.platform;
            } else {
                const auto k = static_cast<std::size_t>(it - r.memories.begin());
                EXPECT_EQ(bytes, static_cast<double>(r.bytesRead[k] + r.bytesWritten[k])) << m;
            }
        }
        EXPECT_EQ(number(row, plan, "clock_hz"), r.operatingPoint.clockHz);
        EXPECT_EQ(number(row, plan, "voltage_v"), r.operatingPoint.voltageV);
        EXPECT_EQ(text(row, plan, "mapping"), r.mapping);
        EXPECT_EQ(text(row, plan, "config_sha256"), session_.hash(q));
        EXPECT_EQ(number(row, plan, "sim_wall_s"), r.hostSeconds);
    }
}

TEST_F(SweepPlanTest, RowOfAnInvalidPointHasNaNMetrics) {
    SweepPlan plan(load(edit(kGrid)), session_);
    const TableRow row = plan.row(9, invalid("parameters[0]: l1 too small"));
    EXPECT_EQ(text(row, plan, "status"), "invalid");
    EXPECT_EQ(text(row, plan, "reason"), "parameters[0]: l1 too small");
    EXPECT_EQ(text(row, plan, "platform"), "gap9-evk");
    for (const char* c :
         {"latency_cycles", "latency_s", "energy_j", "peak_ram_bytes", "flash_bytes", "macs",
          "bytes_flash", "bytes_l1", "bytes_hyperram", "clock_hz", "voltage_v", "sim_wall_s"}) {
        EXPECT_TRUE(std::isnan(number(row, plan, c))) << c;
    }
    EXPECT_EQ(text(row, plan, "mapping"), "");
    EXPECT_EQ(text(row, plan, "config_sha256"), "");
    // The axis values are still there.
    EXPECT_EQ(number(row, plan, "stack.runtime_ram_bytes"), 8192);
}

TEST_F(SweepPlanTest, RowOfAPointThatDoesNotFitHasFootprintButNoTiming) {
    // ResNet-8's weights and activations do not fit a 128 kB L2.
    SweepPlan plan(load(edit(kGap9, {{4, "networks: \"mlperf_tiny/ic\""},
                                     {6, "parameters { path: \"platform.memories[name=l2]."
                                         "size_bytes\" values: [131072] }"}})),
                   session_);
    const QueryResult qr = session_.run(plan.query(0));
    ASSERT_EQ(qr.result.status, sim::Status::DoesNotFit);
    PointOutcome o{"does_not_fit", qr.result.reason, &qr.result, qr.configSha256};
    const TableRow row = plan.row(0, o);
    EXPECT_EQ(text(row, plan, "status"), "does_not_fit");
    EXPECT_FALSE(text(row, plan, "reason").empty());
    for (const char* c : {"latency_cycles", "latency_s", "energy_j", "bytes_l2"}) {
        EXPECT_TRUE(std::isnan(number(row, plan, c))) << c;
    }
    EXPECT_EQ(number(row, plan, "peak_ram_bytes"), static_cast<double>(qr.result.peakRamBytes));
    EXPECT_EQ(number(row, plan, "macs"), static_cast<double>(qr.result.macs));
    EXPECT_GT(qr.result.macs, 0);
}

// ---- the worker --------------------------------------------------------------------------

TEST(SweepWireTest, CellsRoundTrip) {
    const TableRow row = {
        int64_t{-3}, 2.5,   std::string("ok"), kNotProduced, std::string(""), int64_t{1} << 40,
        -0.0,        1e-300};
    const std::vector<ColumnDef> columns = {
        {"a", ColumnKind::Int, ""},    {"b", ColumnKind::Double, ""}, {"c", ColumnKind::String, ""},
        {"d", ColumnKind::Double, ""}, {"e", ColumnKind::String, ""}, {"f", ColumnKind::Int, ""},
        {"g", ColumnKind::Double, ""}, {"h", ColumnKind::Double, ""}};
    wire::Row onWire;
    toWire(row, onWire);
    const TableRow back = fromWire(onWire, columns);
    // A row without a column's cell is refused, not read past.
    wire::Row shorter = onWire;
    shorter.mutable_texts()->RemoveLast();
    EXPECT_THROW(fromWire(shorter, columns), std::runtime_error);
    ASSERT_EQ(back.size(), row.size());
    for (std::size_t i = 0; i < row.size(); ++i) {
        EXPECT_EQ(back[i].index(), row[i].index()) << i;
    }
    EXPECT_EQ(back[0], row[0]);
    EXPECT_EQ(back[1], row[1]);
    EXPECT_EQ(back[2], row[2]);
    EXPECT_TRUE(std::isnan(std::get<double>(back[3])));
    EXPECT_EQ(back[4], row[4]);
    EXPECT_EQ(back[5], row[5]);
    EXPECT_TRUE(std::signbit(std::get<double>(back[6])));
    EXPECT_EQ(back[7], row[7]);
}

TEST_F(SweepPlanTest, WorkerRowsDecodeToThePlansRows) {
    SweepPlan plan(load(edit(kGrid)), session_);
    Session workerSession(paths());
    SweepWorker worker(plan, workerSession, false);
    wire::Task task;
    task.set_begin(2);
    task.set_end(12);
    const wire::Result result = worker.run(task);
    EXPECT_TRUE(result.error().empty());
    ASSERT_EQ(result.points_size(), 10);
    for (int k = 0; k < result.points_size(); ++k) {
        const wire::Point& p = result.points(k);
        const int64_t i = 2 + k;
        SCOPED_TRACE(i);
        EXPECT_EQ(p.index(), i);
        EXPECT_FALSE(p.failed());
        EXPECT_EQ(p.layers_size(), 0);
        const QueryResult qr = session_.run(plan.query(i));
        EXPECT_EQ(p.config_sha256(), qr.configSha256);
        const PointOutcome o{"ok", "", &qr.result, qr.configSha256};
        // sim_wall_s is the host time of each run, which differs from run to run.
        expectSameRow(fromWire(p.sweep(), plan.columns()), plan.row(i, o), plan, {"sim_wall_s"});
        EXPECT_GE(number(fromWire(p.sweep(), plan.columns()), plan, "sim_wall_s"), 0.0);
    }
}

TEST_F(SweepPlanTest, WorkerPacksRunAndLayerRowsWhenAsked) {
    SweepPlan plan(load(edit(kGrid)), session_);
    SweepWorker worker(plan, session_, true);
    wire::Task task;
    task.set_begin(0);
    task.set_end(1);
    const wire::Result result = worker.run(task);
    ASSERT_EQ(result.points_size(), 1);
    const QueryResult qr = session_.run(plan.query(0));
    EXPECT_EQ(result.points(0).layers_size(), static_cast<int>(qr.result.layers.size()));
    EXPECT_EQ(fromWire(result.points(0).run(), runColumns()).size(), runColumns().size());
}

/// Two axes each valid alone (a larger reserve for the cluster; a smaller L1) but not together
/// (the reserve would not leave any of the L1): the point is an `invalid` row, not an error.
TEST_F(SweepPlanTest, WorkerReportsAnInvalidCombinationAsARow) {
    SweepPlan plan(
        load(
            edit(kGap9,
                 {{6, "parameters { path: \"platform.engines[name=cluster].reserved_local_bytes\""},
                  {7, "             column: \"reserved\" values: [12288, 100000] }"},
                  {8, "parameters { path: \"platform.memories[name=l1].size_bytes\""},
                  {9, "             column: \"l1\" values: [131072, 65536] }"}})),
        session_);
    ASSERT_EQ(plan.size(), 4);
    SweepWorker worker(plan, session_, true);
    wire::Task task;
    task.set_begin(0);
    task.set_end(4);
    wire::Result result;
    ASSERT_NO_THROW(result = worker.run(task));
    ASSERT_EQ(result.points_size(), 4);
    for (int k = 0; k < 4; ++k) {
        SCOPED_TRACE(k);
        const wire::Point& p = result.points(k);
        const TableRow row = fromWire(p.sweep(), plan.columns());
        const bool bad = k == 3; // reserved 100000 with a 65536-byte L1
        EXPECT_EQ(number(row, plan, "reserved"), k < 2 ? 12288 : 100000);
        EXPECT_EQ(number(row, plan, "l1"), k % 2 == 0 ? 131072 : 65536);
        EXPECT_EQ(p.failed(), bad);
        EXPECT_EQ(text(row, plan, "status"), bad ? "invalid" : "ok");
        if (bad) {
            EXPECT_THAT(text(row, plan, "reason"), HasSubstr("reserved_local_bytes"));
            EXPECT_THAT(text(row, plan, "reason"), HasSubstr("parameters["));
            EXPECT_TRUE(std::isnan(number(row, plan, "latency_s")));
            EXPECT_TRUE(p.config_sha256().empty());
            EXPECT_EQ(p.layers_size(), 0);
            const TableRow run = fromWire(p.run(), runColumns());
            EXPECT_FALSE(run.empty());
        } else {
            EXPECT_GT(number(row, plan, "latency_s"), 0.0);
            EXPECT_EQ(p.config_sha256(), session_.hash(plan.query(k)));
        }
    }
}

TEST_F(SweepPlanTest, VerifyTaskReturnsOnlyTheHashes) {
    SweepPlan plan(load(edit(kGrid)), session_);
    Session workerSession(paths());
    SweepWorker worker(plan, workerSession, true);
    wire::Task task;
    task.set_begin(5);
    task.set_end(16);
    task.set_verify(true);
    const wire::Result result = worker.run(task);
    ASSERT_EQ(result.points_size(), 11);
    std::set<std::string> distinct;
    for (int k = 0; k < result.points_size(); ++k) {
        const wire::Point& p = result.points(k);
        EXPECT_EQ(p.index(), 5 + k);
        EXPECT_EQ(p.config_sha256(), session_.hash(plan.query(5 + k)));
        EXPECT_EQ(p.sweep().ByteSizeLong(), 0U); // no rows, only the hash
        EXPECT_EQ(p.run().ByteSizeLong(), 0U);
        EXPECT_EQ(p.layers_size(), 0);
        distinct.insert(p.config_sha256());
    }
    EXPECT_EQ(distinct.size(), 11U); // every point is another simulation
}

} // namespace
} // namespace edgesim::explorer

TEST(SweepPlanUnits, FieldNamesGiveTheirUnitsRatesIncluded) {
    using edgesim::explorer::unitOfField;
    EXPECT_EQ(unitOfField("platform.memories[name=l2].size_bytes"), "B");
    EXPECT_EQ(unitOfField("platform.operating_points[0].clock_hz"), "Hz");
    EXPECT_EQ(unitOfField("stack.per_inference_overhead_cycles"), "cycles");
    EXPECT_EQ(unitOfField("platform.memories[name=flash].read_bytes_per_s"), "B/s");
    EXPECT_EQ(unitOfField("platform.cores[name=cpu].run_current_ua_per_mhz"), "uA/MHz");
    EXPECT_EQ(unitOfField("platform.memories[name=flash].read_energy_pj_per_byte"), "pJ/B");
    EXPECT_EQ(unitOfField("platform.background_energy_pj_per_cycle"), "pJ/cycle");
    EXPECT_EQ(unitOfField("platform.cores[name=cpu].dynamic_power_w_per_hz"), "W/Hz");
    EXPECT_EQ(unitOfField("stack.kernels[op=conv2d].cycles_per_mac"), "cycles/MAC");
    EXPECT_EQ(unitOfField("stack.kernels[op=conv2d].weight_loads_per_mac"), "loads/MAC");
    EXPECT_EQ(unitOfField("platform.cores[name=cpu].cycle_scale"), "");
    EXPECT_EQ(unitOfField("platform.memories[name=flash].read_wait_states"), "");
}
