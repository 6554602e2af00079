// Limits every config value respects whatever its field (SpecValues.h): checked when text is
// parsed (every problem, with its line) and when an override sets a field (ProtoPath).
#include "common/SpecValues.h"
#include "common/ProtoPath.h"
#include "platforms/spec/platform.pb.h"
#include "workloads/spec/network.pb.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace edgesim {
namespace {

using test::expectInputError;
using ::testing::HasSubstr;
using workloads::spec::NetworkSpec;

/// The diagnostics of parsing `text` as a network (none: parsed).
std::vector<Diagnostic> problemsOf(const std::string& text) {
    NetworkSpec net;
    try {
        parseTextProto(text, "n.textproto", net);
    } catch (const InputError& e) {
        return e.diagnostics();
    }
    return {};
}

TEST(SpecValuesTest, NonFiniteAndHugeFloatsAreRejectedWithFieldAndLine) {
    const auto d = problemsOf("name: \"n\"\n"
                              "layers { name: \"c\" clip_range { min: nan max: inf } }\n"
                              "layers { name: \"d\" clip_range { min: -1e30 } }\n");
    ASSERT_EQ(d.size(), 3U);
    EXPECT_EQ(d[0].field, "layers[0].clip_range.min");
    EXPECT_EQ(d[0].line, 2);
    EXPECT_THAT(d[0].reason, HasSubstr("not a finite number"));
    EXPECT_EQ(d[1].field, "layers[0].clip_range.max");
    EXPECT_EQ(d[2].field, "layers[1].clip_range.min");
    EXPECT_EQ(d[2].line, 3);
    EXPECT_THAT(d[2].reason, HasSubstr("out of range"));
}

TEST(SpecValuesTest, Int64SizesAboveTwoToTheFiftyAreRejected) {
    const auto d =
        problemsOf("layers { name: \"c\" conv2d { out_channels: 9223372036854775807 } }\n"
                   "inputs { name: \"x\" shape: [8, -1125899906842625, 3] }\n");
    ASSERT_EQ(d.size(), 2U); // in field-number order: inputs before layers
    EXPECT_EQ(d[0].field, "inputs[0].shape[1]");
    EXPECT_EQ(d[1].field, "layers[0].conv2d.out_channels");
    EXPECT_THAT(d[1].reason, HasSubstr("at most 2^50"));
    // The limit itself is accepted (field validators judge it further).
    EXPECT_TRUE(
        problemsOf("layers { name: \"c\" conv2d { out_channels: 1125899906842624 } }").empty());
}

TEST(SpecValuesTest, UndefinedEnumNumbersAreRejectedNamingTheValidValues) {
    platforms::spec::PlatformSpec p;
    const InputError e = expectInputError(
        [&] { parseTextProto("memories { name: \"m\" kind: -1 }\n", "p.textproto", p); });
    ASSERT_EQ(e.diagnostics().size(), 1U) << e.formatAll();
    EXPECT_EQ(e.diagnostics()[0].field, "memories[0].kind");
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("not a value of enum 'MemoryKind'"));
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("SRAM"));
}

TEST(SpecValuesTest, StringsMustBeShortValidUtf8WithoutControlCharacters) {
    EXPECT_EQ(stringValueProblem("conv_1/Relu:0 ünïcode ✓ 𝄞"), "");
    EXPECT_THAT(stringValueProblem("a\xff"), HasSubstr("not valid UTF-8 (byte 0xff at offset 1)"));
    EXPECT_THAT(stringValueProblem("\xc0\x80"), HasSubstr("not valid UTF-8"));     // overlong NUL
    EXPECT_THAT(stringValueProblem("\xed\xa0\x80"), HasSubstr("not valid UTF-8")); // surrogate
    EXPECT_THAT(stringValueProblem("\xe2\x9c"), HasSubstr("not valid UTF-8"));     // truncated
    EXPECT_THAT(stringValueProblem("a\x01"), HasSubstr("control character 0x01"));
    EXPECT_EQ(stringValueProblem(std::string(kMaxSpecString, 'a')), "");
    EXPECT_THAT(stringValueProblem(std::string(kMaxSpecString + 1, 'a')), HasSubstr("too long"));

    const auto d = problemsOf("name: \"\\xff\"\nlayers { name: \"ok\" inputs: \"a\\x02b\" }\n");
    ASSERT_EQ(d.size(), 2U);
    EXPECT_EQ(d[0].field, "name");
    EXPECT_EQ(d[1].field, "layers[0].inputs[0]");
    EXPECT_EQ(d[1].line, 2);
}

TEST(SpecValuesTest, OverridesObeyTheSameLimits) {
    platforms::spec::PlatformSpec p;
    p.add_memories()->set_name("m");
    const auto set = [&p](const std::string& expr, const std::string& value) {
        for (const auto& path : resolveScalarPaths(p, expr, "<command line>")) {
            setFromText(p, path, value, "<command line>", expr);
        }
    };
    set("memories[m].size_bytes", "1125899906842624");
    EXPECT_EQ(p.memories(0).size_bytes(), 1125899906842624);
    EXPECT_THAT(
        expectInputError([&] { set("memories[m].size_bytes", "1e18"); }).diagnostics()[0].reason,
        HasSubstr("at most 2^50"));
    EXPECT_THAT(expectInputError([&] { set("static_power_w", "1e300"); }).diagnostics()[0].reason,
                HasSubstr("out of range"));
    EXPECT_THAT(expectInputError([&] { set("memories[m].name", "x\xfe"); }).diagnostics()[0].reason,
                HasSubstr("not valid UTF-8"));
    EXPECT_EQ(p.memories(0).name(), "m");
}

} // namespace
} // namespace edgesim
