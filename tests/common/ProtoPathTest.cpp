// Path expressions over parsed configs (ProtoPath.h): selectors by index, key, field=value and
// *, on the real gap9-evk / nucleo-l4r5zi platforms and the gap-flow stack; text set/get for
// every field type, with the exact range and type rules; and the reasons of every error.
#include "common/ProtoPath.h"
#include "common/TextProto.h"
#include "platforms/spec/platform.pb.h"
#include "platforms/spec/stack.pb.h"
#include "workloads/spec/network.pb.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/wrappers.pb.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace edgesim {
namespace {

using platforms::spec::PlatformSpec;
using platforms::spec::StackSpec;
using test::expectInputError;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kFile = "what-if";

PlatformSpec platform(const std::string& name) {
    PlatformSpec spec;
    loadTextProto(std::string(EDGESIM_SOURCE_DIR) + "/configs/platforms/" + name + ".textproto",
                  spec);
    return spec;
}

StackSpec stack(const std::string& name) {
    StackSpec spec;
    loadTextProto(std::string(EDGESIM_SOURCE_DIR) + "/configs/stacks/" + name + ".textproto", spec);
    return spec;
}

/// The concrete paths of `expr` as strings ("memories[1].size_bytes").
std::vector<std::string> scalarPaths(const google::protobuf::Message& msg,
                                     const std::string& expr) {
    std::vector<std::string> out;
    for (const auto& p : resolveScalarPaths(msg, expr, kFile)) {
        out.push_back(toString(p));
    }
    return out;
}

/// The one path `expr` selects.
ProtoPath onePath(const google::protobuf::Message& msg, const std::string& expr) {
    const auto paths = resolveScalarPaths(msg, expr, kFile);
    EXPECT_EQ(paths.size(), 1U) << expr;
    return paths.empty() ? ProtoPath{} : paths.front();
}

/// resolveScalarPaths + setFromText on every selected field, as a --set override does.
void set(google::protobuf::Message& msg, const std::string& expr, const std::string& text) {
    for (const auto& p : resolveScalarPaths(msg, expr, kFile)) {
        setFromText(msg, p, text, kFile, expr);
    }
}

std::string get(const google::protobuf::Message& msg, const std::string& expr) {
    return getAsText(msg, onePath(msg, expr));
}

/// The reason of the InputError that resolving `expr` throws; checks it names file and expr.
std::string resolveError(const google::protobuf::Message& msg, const std::string& expr) {
    const InputError e = expectInputError([&] { resolveScalarPaths(msg, expr, kFile); }, expr);
    if (e.diagnostics().size() != 1) {
        ADD_FAILURE() << "expected one diagnostic for " << expr;
        return {};
    }
    EXPECT_EQ(e.diagnostics()[0].file, kFile);
    EXPECT_EQ(e.diagnostics()[0].field, expr);
    return e.diagnostics()[0].reason;
}

/// The reason of the InputError that setting `text` into `expr` (one field) throws; checks
/// that the field keeps its value.
std::string setError(google::protobuf::Message& msg, const std::string& expr,
                     const std::string& text) {
    const ProtoPath path = onePath(msg, expr);
    const std::string before = getAsText(msg, path);
    const InputError e =
        expectInputError([&] { setFromText(msg, path, text, kFile, expr); }, " for " + text);
    EXPECT_EQ(getAsText(msg, path), before) << text;
    if (e.diagnostics().size() != 1) {
        return {};
    }
    EXPECT_EQ(e.diagnostics()[0].file, kFile);
    EXPECT_EQ(e.diagnostics()[0].field, expr);
    return e.diagnostics()[0].reason;
}

// ---------------------------------------------------------------- selectors

TEST(ProtoPathSelectorTest, NameEqualsSelectsLikeTheKeySelector) {
    const PlatformSpec gap9 = platform("gap9-evk");
    const auto byField = resolveNumericPaths(gap9, "memories[name=l2].size_bytes", kFile);
    const auto byKey = resolveNumericPaths(gap9, "memories[l2].size_bytes", kFile);
    ASSERT_EQ(byField.size(), 1U);
    EXPECT_EQ(byField, byKey);
    EXPECT_EQ(toString(byField[0]), "memories[1].size_bytes");
    EXPECT_EQ(getNumber(gap9, byField[0]), 1507328); // the config's L2_SHARED_SIZE
}

TEST(ProtoPathSelectorTest, EnumSelectorTakesValueNameOrNumber) {
    const PlatformSpec gap9 = platform("gap9-evk");
    // NE16 unrolls OX, OY, C in that order in the config.
    EXPECT_THAT(scalarPaths(gap9, "engines[name=ne16].npu.unroll[dim=C].size"),
                ElementsAre("engines[1].npu.unroll[2].size"));
    EXPECT_THAT(scalarPaths(gap9, "engines[name=ne16].npu.unroll[dim=2].size"),
                ElementsAre("engines[1].npu.unroll[2].size"));
    EXPECT_EQ(get(gap9, "engines[name=ne16].npu.unroll[dim=C].size"), "16");
    EXPECT_EQ(get(gap9, "engines[kind=CLUSTER].cluster.cores"), "8");
}

TEST(ProtoPathSelectorTest, IntegerSelectorMatchingSeveralSelectsAll) {
    const PlatformSpec gap9 = platform("gap9-evk");
    EXPECT_THAT(scalarPaths(gap9, "engines[ne16].npu.unroll[size=3].dim"),
                ElementsAre("engines[1].npu.unroll[0].dim", "engines[1].npu.unroll[1].dim"));
    // Exponent form reads as the integer it is.
    EXPECT_EQ(scalarPaths(gap9, "engines[ne16].npu.unroll[size=1.6e1].dim").size(), 1U);
    EXPECT_THAT(scalarPaths(gap9, "memories[latency_cycles=0].name"),
                ElementsAre("memories[0].name", "memories[1].name"));
}

TEST(ProtoPathSelectorTest, BoolAndDoubleSelectors) {
    const PlatformSpec u575 = platform("nucleo-u575zi-q");
    EXPECT_THAT(scalarPaths(u575, "memories[prefetch=true].name"), ElementsAre("memories[0].name"));
    EXPECT_EQ(scalarPaths(u575, "memories[prefetch=false].name").size(), 2U); // sram, sram4
    const PlatformSpec nucleo = platform("nucleo-l4r5zi");
    // 80 MHz written as 8e7 matches the config's 80000000.
    EXPECT_EQ(get(nucleo, "operating_points[clock_hz=8e7].name"), "zephyr-80mhz");
    EXPECT_EQ(get(platform("gap9-evk"), "operating_points[clock_hz=240000000].voltage_v"), "0.65");
}

TEST(ProtoPathSelectorTest, OpEqualsSelectsEveryEngineWhileTheKeyTakesTheHostKernels) {
    const StackSpec gapFlow = stack("gap-flow");
    std::vector<std::string> engines;
    for (const auto& p : resolveScalarPaths(gapFlow, "kernels[op=conv2d].engine", kFile)) {
        engines.push_back(getAsText(gapFlow, p));
    }
    // The host core has CMSIS-NN's general and 1x1 convolutions, NE16 an int8, an int4 and
    // an int2 one.
    EXPECT_THAT(engines, ElementsAre("", "", "cluster", "ne16", "ne16", "ne16"));
    EXPECT_EQ(resolveNumericPaths(gapFlow, "kernels[conv2d].cycles_per_mac", kFile).size(), 2U);
    EXPECT_EQ(resolveNumericPaths(gapFlow, "kernels[ne16/conv2d].cycles_per_mac", kFile).size(),
              3U);
}

TEST(ProtoPathSelectorTest, StarAndKeyListsSelectSeveral) {
    const PlatformSpec gap9 = platform("gap9-evk");
    EXPECT_EQ(resolveNumericPaths(gap9, "memories[*].size_bytes", kFile).size(), 4U);
    EXPECT_THAT(scalarPaths(gap9, "memories[l1,hyperram].kind"),
                ElementsAre("memories[0].kind", "memories[3].kind"));
    const StackSpec gapFlow = stack("gap-flow");
    EXPECT_EQ(resolveNumericPaths(gapFlow, "kernels[*].cycles_per_tile", kFile).size(),
              static_cast<std::size_t>(gapFlow.kernels_size()));
    EXPECT_EQ(scalarPaths(gap9, "engines[*].name").size(), 2U);
}

TEST(ProtoPathSelectorTest, NoMatchNamesListSelectorAndExistingValues) {
    const PlatformSpec gap9 = platform("gap9-evk");
    EXPECT_EQ(resolveError(gap9, "memories[name=l9].size_bytes"),
              "no element of 'memories' has name 'l9' (have: l1, l2, mram, hyperram)");
    EXPECT_EQ(resolveError(gap9, "memories[l9].size_bytes"),
              "no element of 'memories' matches 'l9' (have: l1, l2, mram, hyperram)");
    // gap9's NE16 has no K unrolling; the reason shows which dims it has.
    EXPECT_EQ(resolveError(gap9, "engines[name=ne16].npu.unroll[dim=K].size"),
              "no element of 'unroll' has dim 'K' (have: OX, OY, C)");
}

TEST(ProtoPathSelectorTest, BadFieldSelectorsSayWhy) {
    const PlatformSpec gap9 = platform("gap9-evk");
    EXPECT_EQ(resolveError(gap9, "memories[nme=l2].size_bytes"),
              "in [nme=l2]: 'MemorySpec' has no field 'nme'");
    EXPECT_THAT(resolveError(gap9, "engines[npu=x].name"),
                HasSubstr("'npu' of 'EngineSpec' is not a single value"));
    EXPECT_THAT(resolveError(gap9, "engines[ne16].npu.unroll[dim=Q].size"),
                HasSubstr("in [dim=Q]: 'Q' is not a value of enum 'LoopDim' (valid: "
                          "LOOP_DIM_UNSPECIFIED, K, C, OX, OY, FX, FY, G)"));
    EXPECT_THAT(resolveError(gap9, "memories[size_bytes=big].name"),
                HasSubstr("'big' is not an integer (the field is int64)"));
    // ops holds strings, not messages: only an index or * selects from it.
    EXPECT_THAT(resolveError(gap9, "engines[ne16].npu.ops[name=conv2d]"),
                HasSubstr("'ops' is a list of string values"));
    EXPECT_THAT(resolveError(gap9, "engines[ne16].npu.ops[conv2d]"),
                HasSubstr("'ops' is a list of string values"));
}

TEST(ProtoPathSelectorTest, IndexOutOfRangeSaysHowManyElements) {
    const PlatformSpec gap9 = platform("gap9-evk");
    EXPECT_EQ(resolveError(gap9, "memories[4].size_bytes"),
              "index 4 is out of range: 'memories' has 4 elements");
    // Far beyond any integer type: still a clean error.
    EXPECT_THAT(resolveError(gap9, "memories[123456789012345678901234567890].size_bytes"),
                HasSubstr("is out of range: 'memories' has 4 elements"));
    EXPECT_EQ(resolveError(gap9, "cores[1].name"),
              "index 1 is out of range: 'cores' has 1 element");
    EXPECT_THAT(scalarPaths(gap9, "memories[03].name"), ElementsAre("memories[3].name"));
}

// ---------------------------------------------------------------- path structure

TEST(ProtoPathResolveTest, UnknownFieldNamesTheMessageLackingIt) {
    const PlatformSpec gap9 = platform("gap9-evk");
    EXPECT_EQ(resolveError(gap9, "memories[l2].size"), "'MemorySpec' has no field 'size'");
    EXPECT_EQ(resolveError(gap9, "clock_hz"), "'PlatformSpec' has no field 'clock_hz'");
    const InputError e = expectInputError(
        [&] { resolveNumericPaths(gap9, "engines[ne16].npu.unrol[0].size", "gap9-evk"); });
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].file, "gap9-evk");
    EXPECT_EQ(e.diagnostics()[0].field, "engines[ne16].npu.unrol[0].size");
    EXPECT_EQ(e.diagnostics()[0].reason, "'NpuSpec' has no field 'unrol'");
}

TEST(ProtoPathResolveTest, ScalarPathsTakeEveryValueTypeButNoMessageOrWholeList) {
    const PlatformSpec gap9 = platform("gap9-evk");
    EXPECT_EQ(get(gap9, "name"), "gap9-evk");
    EXPECT_EQ(get(gap9, "cores[fc].isa"), "RISCV32");
    EXPECT_EQ(get(gap9, "cores[fc].has_dsp_simd"), "true");
    EXPECT_EQ(get(gap9, "engines[ne16].npu.dataflow"), "OUTPUT_STATIONARY");
    EXPECT_EQ(get(gap9, "engines[ne16].npu.ops[1]"), "depthwise_conv2d");
    EXPECT_EQ(scalarPaths(gap9, "engines[ne16].npu.ops[*]").size(), 3U);
    EXPECT_EQ(resolveError(gap9, "engines[ne16].npu"), "'npu' is a message, not a value");
    EXPECT_EQ(resolveError(gap9, "memories[l2]"), "'memories' is a message, not a value");
    EXPECT_EQ(resolveError(gap9, "engines[ne16].npu.ops"),
              "'ops' is a list of string values: select one with [index]");
}

TEST(ProtoPathResolveTest, NumericPathsRejectOtherTypes) {
    const PlatformSpec gap9 = platform("gap9-evk");
    const auto reason = [&gap9](const std::string& expr) {
        const InputError e = expectInputError([&] { resolveNumericPaths(gap9, expr, kFile); });
        return e.diagnostics().empty() ? std::string() : e.diagnostics()[0].reason;
    };
    EXPECT_EQ(reason("cores[fc].isa"), "'isa' is not a numeric field (its type is enum)");
    EXPECT_EQ(reason("name"), "'name' is not a numeric field (its type is string)");
    EXPECT_EQ(reason("engines[ne16].npu"), "'npu' is not a numeric field (its type is message)");
}

TEST(ProtoPathResolveTest, MalformedPathsSayWhatIsWrong) {
    const PlatformSpec gap9 = platform("gap9-evk");
    EXPECT_THAT(resolveError(gap9, "memories.size_bytes"),
                HasSubstr("'memories' is a list: select elements with [index], [name], "
                          "[field=value] or [*]"));
    EXPECT_THAT(resolveError(gap9, "name[0]"), HasSubstr("'name' is not a list"));
    EXPECT_EQ(resolveError(gap9, "name.first"), "'name' is a string value: it has no field "
                                                "'first'");
    EXPECT_THAT(resolveError(gap9, "memories[l2.size_bytes"), HasSubstr("unclosed '['"));
    EXPECT_THAT(resolveError(gap9, "memories[].size_bytes"), HasSubstr("empty '[]'"));
    EXPECT_THAT(resolveError(gap9, ""), HasSubstr("empty parameter path"));
    PlatformSpec empty;
    EXPECT_EQ(resolveError(empty, "memories[*].size_bytes"), "'memories' has no elements");
}

TEST(ProtoPathResolveTest, OtherMemberOfAOneofIsRefusedAndAnUnsetOneIsCreated) {
    PlatformSpec gap9 = platform("gap9-evk");
    // Writing aimc.rows would replace NE16's whole npu config.
    EXPECT_EQ(resolveError(gap9, "engines[ne16].aimc.rows"),
              "engines[1] has 'npu', not 'aimc' (one of oneof 'config')");
    EXPECT_EQ(resolveError(gap9, "engines[*].npu.fill_cycles"),
              "engines[0] has 'cluster', not 'npu' (one of oneof 'config')");
    set(gap9, "engines[kind=NPU].npu.fill_cycles", "7");
    EXPECT_EQ(gap9.engines(1).npu().fill_cycles(), 7);
    EXPECT_EQ(gap9.engines(0).cluster().cores(), 8); // untouched

    PlatformSpec handBuilt;
    handBuilt.add_engines()->set_name("new");
    set(handBuilt, "engines[new].aimc.rows", "256");
    EXPECT_TRUE(handBuilt.engines(0).has_aimc());
    EXPECT_EQ(handBuilt.engines(0).aimc().rows(), 256);
}

// ---------------------------------------------------------------- setFromText / getAsText

TEST(ProtoPathSetTest, WhatIfOverridesOnRealConfigs) {
    PlatformSpec gap9 = platform("gap9-evk");
    set(gap9, "memories[name=l2].size_bytes", "262144");
    EXPECT_EQ(gap9.memories(1).size_bytes(), 262144);
    set(gap9, "cores[name=fc].max_clock_hz", "3e8");
    EXPECT_EQ(gap9.cores(0).max_clock_hz(), 3e8);
    set(gap9, "engines[name=ne16].npu.dataflow", "WEIGHT_STATIONARY");
    EXPECT_EQ(gap9.engines(1).npu().dataflow(), platforms::spec::WEIGHT_STATIONARY);
    set(gap9, "engines[name=ne16].npu.unroll[dim=C].size", "32");
    EXPECT_EQ(gap9.engines(1).npu().unroll(2).size(), 32);
    EXPECT_EQ(gap9.engines(1).npu().unroll(0).size(), 3);

    StackSpec gapFlow = stack("gap-flow");
    set(gapFlow, "default_mapper", "exhaustive");
    EXPECT_EQ(gapFlow.default_mapper(), "exhaustive");
    set(gapFlow, "kernels[op=conv2d].cycles_per_mac", "1.5");
    set(gapFlow, "kernels[*].cycles_per_tile", "0");
    int conv2d = 0;
    for (const auto& k : gapFlow.kernels()) {
        conv2d += k.op() == "conv2d" ? 1 : 0;
        if (k.op() == "conv2d") {
            EXPECT_EQ(k.cycles_per_mac(), 1.5) << k.engine();
        }
        EXPECT_EQ(k.cycles_per_tile(), 0) << k.op();
    }
    EXPECT_EQ(conv2d, 6); // host (general, 1x1), cluster, NE16 (int8, int4, int2)
}

TEST(ProtoPathSetTest, SetsOneElementOfARepeatedScalar) {
    PlatformSpec gap9 = platform("gap9-evk");
    set(gap9, "engines[name=ne16].npu.ops[1]", "add");
    EXPECT_THAT(gap9.engines(1).npu().ops(), ElementsAre("conv2d", "add", "dense"));

    google::protobuf::FileDescriptorProto file; // repeated int32 public_dependency
    file.add_public_dependency(1);
    file.add_public_dependency(2);
    set(file, "public_dependency[1]", "2.5e1");
    EXPECT_THAT(file.public_dependency(), ElementsAre(1, 25));
    EXPECT_EQ(get(file, "public_dependency[1]"), "25");
    EXPECT_THAT(setError(file, "public_dependency[0]", "0.5"),
                HasSubstr("'0.5' is not an integer (the field is int32)"));
}

TEST(ProtoPathSetTest, RoundTripsEveryFieldType) {
    PlatformSpec p;
    p.add_memories()->set_name("m");
    p.add_cores()->set_name("c");
    p.add_engines()->set_name("e");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"memories[m].size_bytes", "1125899906842624"},  // 2^50, the largest size, exact
        {"memories[m].read_wait_states", "-2147483648"}, // int32 min
        {"memories[m].read_energy_pj_per_byte", "0.1"},
        {"memories[m].kind", "EXTERNAL_FLASH"},
        {"memories[m].prefetch", "true"},
        {"cores[c].max_clock_hz", "1e-07"},
        {"description", "with spaces, commas = and ]"},
        {"engines[e].npu.dataflow", "WEIGHT_STATIONARY"},
        {"placement.weights_memory", ""},
    };
    for (const auto& [expr, text] : cases) {
        set(p, expr, text);
        EXPECT_EQ(get(p, expr), text) << expr;
    }
    EXPECT_EQ(p.memories(0).size_bytes(), std::int64_t{1} << 50);
    EXPECT_EQ(p.memories(0).read_wait_states(), std::numeric_limits<std::int32_t>::min());

    google::protobuf::UInt64Value u64;
    set(u64, "value", "18446744073709551615");
    EXPECT_EQ(u64.value(), std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(get(u64, "value"), "18446744073709551615");
    google::protobuf::UInt32Value u32;
    set(u32, "value", "4294967295");
    EXPECT_EQ(get(u32, "value"), "4294967295");

    workloads::spec::NetworkSpec net; // clip_range min/max are floats
    net.add_layers()->set_name("r");
    set(net, "layers[r].clip_range.max", "0.1");
    EXPECT_EQ(net.layers(0).clip_range().max(), 0.1F);
    EXPECT_EQ(get(net, "layers[r].clip_range.max"), "0.1"); // shortest for the float
}

TEST(ProtoPathSetTest, AlternativeSpellingsReadBackCanonically) {
    PlatformSpec p;
    p.add_memories()->set_name("m");
    set(p, "memories[m].size_bytes", "2.5e5");
    EXPECT_EQ(get(p, "memories[m].size_bytes"), "250000");
    set(p, "memories[m].size_bytes", "+7");
    EXPECT_EQ(get(p, "memories[m].size_bytes"), "7");
    set(p, "memories[m].prefetch", "1");
    EXPECT_EQ(get(p, "memories[m].prefetch"), "true");
    set(p, "memories[m].prefetch", "0");
    EXPECT_EQ(get(p, "memories[m].prefetch"), "false");
    set(p, "memories[m].kind", "4"); // EXTERNAL_RAM by number
    EXPECT_EQ(get(p, "memories[m].kind"), "EXTERNAL_RAM");
    set(p, "memories[m].leakage_power_w", "370e6");
    EXPECT_EQ(get(p, "memories[m].leakage_power_w"), "370000000");
    set(p, "memories[m].leakage_power_w", "0.30000000000000004");
    EXPECT_EQ(get(p, "memories[m].leakage_power_w"), "0.30000000000000004");
    EXPECT_EQ(p.memories(0).leakage_power_w(), 0.1 + 0.2);
}

TEST(ProtoPathSetTest, IntegerTextMustBeAnIntegerInRange) {
    PlatformSpec p;
    p.add_memories()->set_name("m");
    const std::string i64 = "memories[m].size_bytes";
    const std::string i32 = "memories[m].read_wait_states";
    EXPECT_EQ(setError(p, i64, "12.5"), "'12.5' is not an integer (the field is int64)");
    EXPECT_EQ(setError(p, i32, "1.5e0"), "'1.5e0' is not an integer (the field is int32)");
    EXPECT_EQ(setError(p, i64, "1e30"),
              "'1e30' is outside the range of int64 (-9223372036854775808 to "
              "9223372036854775807)");
    EXPECT_THAT(setError(p, i64, "9223372036854775808"), HasSubstr("outside the range of int64"));
    EXPECT_THAT(setError(p, i64, "-9223372036854775809"), HasSubstr("outside the range of int64"));
    EXPECT_THAT(setError(p, i64, "99999999999999999999999999"), HasSubstr("outside the range"));
    EXPECT_EQ(setError(p, i32, "2147483648"),
              "'2147483648' is outside the range of int32 (-2147483648 to 2147483647)");
    EXPECT_THAT(setError(p, i64, "1e-400"), HasSubstr("is not an integer"));
    for (const std::string bad : {"", "abc", " 5", "5 ", "0x10", "1e", "--1", "262144B"}) {
        EXPECT_THAT(setError(p, i64, bad), HasSubstr("is not an integer (the field is int64)"))
            << bad;
    }
    google::protobuf::UInt32Value u32;
    EXPECT_EQ(setError(u32, "value", "-1"),
              "'-1' is outside the range of uint32 (0 to 4294967295)");
    EXPECT_THAT(setError(u32, "value", "4294967296"), HasSubstr("outside the range of uint32"));
    google::protobuf::UInt64Value u64;
    EXPECT_THAT(setError(u64, "value", "18446744073709551616"),
                HasSubstr("outside the range of uint64 (0 to 18446744073709551615)"));
    EXPECT_THAT(setError(u64, "value", "-1e3"), HasSubstr("outside the range of uint64"));
}

TEST(ProtoPathSetTest, FloatingTextMustBeAFiniteNumber) {
    PlatformSpec p;
    p.add_cores()->set_name("c");
    const std::string hz = "cores[c].max_clock_hz";
    for (const std::string bad : {"nan", "inf", "-inf", "", "1e-3x", "0x1p3", " 1", "1,5"}) {
        EXPECT_EQ(setError(p, hz, bad),
                  "'" + bad + "' is not a finite number (the field is double)")
            << bad;
    }
    EXPECT_EQ(setError(p, hz, "1e400"), "'1e400' is outside the range of double");
    workloads::spec::NetworkSpec net;
    net.add_layers()->set_name("r");
    EXPECT_EQ(setError(net, "layers[r].clip_range.min", "1e39"),
              "'1e39' is outside the range of float");
    // Within float but beyond any value a spec holds (SpecValues.h).
    EXPECT_THAT(setError(net, "layers[r].clip_range.min", "-3.4e38"), HasSubstr("out of range"));
    set(net, "layers[r].clip_range.min", "-1e15");
    EXPECT_EQ(net.layers(0).clip_range().min(), -1e15F);
}

TEST(ProtoPathSetTest, BoolAndEnumTextMustNameAValue) {
    PlatformSpec p;
    p.add_memories()->set_name("m");
    EXPECT_EQ(setError(p, "memories[m].prefetch", "yes"),
              "'yes' is not a bool (true, false, 1 or 0)");
    EXPECT_THAT(setError(p, "memories[m].prefetch", "True"), HasSubstr("is not a bool"));
    EXPECT_EQ(setError(p, "memories[m].kind", "DRAM"),
              "'DRAM' is not a value of enum 'MemoryKind' (valid: MEMORY_KIND_UNSPECIFIED, "
              "SRAM, TCM, FLASH, EXTERNAL_RAM, EXTERNAL_FLASH)");
    EXPECT_THAT(setError(p, "memories[m].kind", "9"),
                HasSubstr("'9' is not a value of enum 'MemoryKind'"));
    EXPECT_THAT(setError(p, "memories[m].kind", "sram"), HasSubstr("is not a value of enum"));
}

TEST(ProtoPathSetTest, SetFromTextErrorNamesTheGivenFileAndField) {
    PlatformSpec gap9 = platform("gap9-evk");
    const ProtoPath path = onePath(gap9, "memories[name=l2].size_bytes");
    const InputError e = expectInputError([&] {
        setFromText(gap9, path, "big", "<command line>", "platform.memories[name=l2].size_bytes");
    });
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].file, "<command line>");
    EXPECT_EQ(e.diagnostics()[0].field, "platform.memories[name=l2].size_bytes");
    EXPECT_EQ(gap9.memories(1).size_bytes(), 1507328);
}

// ---------------------------------------------------------------- numbers (calibration)

TEST(ProtoPathNumberTest, GetAndSetNumberRoundIntegersAndSaturate) {
    PlatformSpec p;
    p.add_memories()->set_name("m");
    const ProtoPath size = onePath(p, "memories[m].size_bytes");
    const ProtoPath waits = onePath(p, "memories[m].read_wait_states");
    setNumber(p, size, 2.6);
    EXPECT_EQ(p.memories(0).size_bytes(), 3);
    EXPECT_EQ(getNumber(p, size), 3.0);
    setNumber(p, waits, -2.4);
    EXPECT_EQ(p.memories(0).read_wait_states(), -2);
    // Beyond the type: the nearest representable value, never a wrapped one.
    setNumber(p, waits, 1e12);
    EXPECT_EQ(p.memories(0).read_wait_states(), std::numeric_limits<std::int32_t>::max());
    setNumber(p, size, -1e30);
    EXPECT_EQ(p.memories(0).size_bytes(), std::numeric_limits<std::int64_t>::min());
    google::protobuf::UInt32Value u32;
    setNumber(u32, onePath(u32, "value"), -5);
    EXPECT_EQ(u32.value(), 0U);
    const ProtoPath energy = onePath(p, "memories[m].read_energy_pj_per_byte");
    setNumber(p, energy, 0.25);
    EXPECT_EQ(getNumber(p, energy), 0.25);
    EXPECT_EQ(getNumber(p, onePath(p, "memories[m].prefetch")), 0.0); // not a number
}

} // namespace
} // namespace edgesim
