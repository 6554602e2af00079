// In-place number edits of text-format configs (TextProtoEdit.h): only the number and the
// edited line's comment change, every other byte stays; positions are those of TextLocations
// (+1) and Diagnostic. Uses the network spec proto; expected texts are written out in full.
#include "common/TextProtoEdit.h"
#include "common/TextProto.h"
#include "workloads/spec/network.pb.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <google/protobuf/descriptor.h>

#include <stdexcept>
#include <string>

namespace edgesim {
namespace {

using test::expectInputError;
using ::testing::HasSubstr;
using workloads::spec::NetworkSpec;

const std::string kNetwork = "# A tiny network with comments everywhere.\n"
                             "name: \"tiny\"  # the name\n"
                             "inputs { name: \"x\" shape: [8, 8, 3] }\n"
                             "layers {\n"
                             "  name: \"c\"  # first layer\n"
                             "  conv2d { out_channels: 4 }\n"
                             "}\n"
                             "layers {\n"
                             "  name: \"r\"\n"
                             "  clip_range {\n"
                             "    min: 0\n"
                             "    max: 6.0  # ReLU6\n"
                             "  }\n"
                             "}\n";

NetworkSpec parse(const std::string& text) {
    NetworkSpec net;
    parseTextProto(text, "edited.textproto", net);
    return net;
}

// ---------------------------------------------------------------- replaceFieldValue

TEST(ReplaceFieldValueTest, EditsNestedRepeatedMessageFieldAndItsCommentOnly) {
    const std::string out = replaceFieldValue(kNetwork, "tiny.textproto", NetworkSpec(),
                                              {{"layers", 1}, {"clip_range", -1}, {"max", -1}},
                                              5.123456789, "fitted by calibrate");
    const std::string expected = "# A tiny network with comments everywhere.\n"
                                 "name: \"tiny\"  # the name\n"
                                 "inputs { name: \"x\" shape: [8, 8, 3] }\n"
                                 "layers {\n"
                                 "  name: \"c\"  # first layer\n"
                                 "  conv2d { out_channels: 4 }\n"
                                 "}\n"
                                 "layers {\n"
                                 "  name: \"r\"\n"
                                 "  clip_range {\n"
                                 "    min: 0\n"
                                 "    max: 5.12346  # fitted by calibrate\n"
                                 "  }\n"
                                 "}\n";
    EXPECT_EQ(out, expected);
    EXPECT_FLOAT_EQ(parse(out).layers(1).clip_range().max(), 5.12346F);
}

TEST(ReplaceFieldValueTest, AppendsACommentWhenTheLineHasNone) {
    const std::string out =
        replaceFieldValue(kNetwork, "tiny.textproto", NetworkSpec(),
                          {{"layers", 1}, {"clip_range", -1}, {"min", -1}}, 0.25, "c0");
    EXPECT_THAT(out, HasSubstr("\n    min: 0.25  # c0\n    max: 6.0  # ReLU6\n"));
    EXPECT_FLOAT_EQ(parse(out).layers(1).clip_range().min(), 0.25F);
}

TEST(ReplaceFieldValueTest, EmptyCommentLeavesTheCommentAlone) {
    const std::string out =
        replaceFieldValue(kNetwork, "tiny.textproto", NetworkSpec(),
                          {{"layers", 1}, {"clip_range", -1}, {"max", -1}}, 4.0, "");
    EXPECT_THAT(out, HasSubstr("\n    max: 4  # ReLU6\n"));
}

TEST(ReplaceFieldValueTest, IntegerFieldsGetTheRoundedInteger) {
    const std::string out =
        replaceFieldValue(kNetwork, "tiny.textproto", NetworkSpec(),
                          {{"layers", 0}, {"conv2d", -1}, {"out_channels", -1}}, 15.6, "rounded");
    EXPECT_THAT(out, HasSubstr("\n  conv2d { out_channels: 16 }  # rounded\n"));
    EXPECT_EQ(parse(out).layers(0).conv2d().out_channels(), 16);
}

TEST(ReplaceFieldValueTest, ElementsOfListsAndOfRepeatedLines) {
    // shape is written as a list followed by a single value: elements 0, 1 | 2.
    const std::string text = "name: \"n\"\n"
                             "inputs {\n"
                             "  name: \"x\"\n"
                             "  shape: [ 8, # rows\n"
                             "           9 ]\n"
                             "  shape: 3\n"
                             "}\n";
    const std::string second = replaceFieldValue(text, "list.textproto", NetworkSpec(),
                                                 {{"inputs", 0}, {"shape", 1}}, 10.0, "w");
    EXPECT_EQ(second, "name: \"n\"\n"
                      "inputs {\n"
                      "  name: \"x\"\n"
                      "  shape: [ 8, # rows\n"
                      "           10 ]  # w\n"
                      "  shape: 3\n"
                      "}\n");
    const std::string first = replaceFieldValue(text, "list.textproto", NetworkSpec(),
                                                {{"inputs", 0}, {"shape", 0}}, 7.0, "h");
    EXPECT_THAT(first, HasSubstr("  shape: [ 7, # h\n           9 ]\n"));
    const std::string third = replaceFieldValue(text, "list.textproto", NetworkSpec(),
                                                {{"inputs", 0}, {"shape", 2}}, 4.0, "c");
    EXPECT_THAT(third, HasSubstr("\n  shape: 4  # c\n"));
    EXPECT_THAT(parse(third).inputs(0).shape(), ::testing::ElementsAre(8, 9, 4));
}

TEST(ReplaceFieldValueTest, MessagesWrittenAsAListAndValueOnTheNextLine) {
    const std::string text = "name: \"n\"\n"
                             "layers: [ { name: \"a\" relu {} },\n"
                             "          { name: \"b\" clip_range { max:\n"
                             "              6 } } ]\n";
    const std::string out =
        replaceFieldValue(text, "l.textproto", NetworkSpec(),
                          {{"layers", 1}, {"clip_range", -1}, {"max", -1}}, 2.5, "next line");
    EXPECT_EQ(out, "name: \"n\"\n"
                   "layers: [ { name: \"a\" relu {} },\n"
                   "          { name: \"b\" clip_range { max:\n"
                   "              2.5 } } ]  # next line\n");
}

TEST(ReplaceFieldValueTest, HashInsideAStringIsNotAComment) {
    const std::string text = "name: \"a#b\" layers { name: \"#\" clip_range { min: 1 } }\n";
    const std::string out =
        replaceFieldValue(text, "s.textproto", NetworkSpec(),
                          {{"layers", 0}, {"clip_range", -1}, {"min", -1}}, -0.5, "neg");
    EXPECT_EQ(out, "name: \"a#b\" layers { name: \"#\" clip_range { min: -0.5 } }  # neg\n");
}

TEST(ReplaceFieldValueTest, KeepsWindowsLineEndings) {
    const std::string text = "name: \"n\"\r\nlayers { clip_range { min: -1 } }  # old\r\n";
    const std::string out =
        replaceFieldValue(text, "crlf.textproto", NetworkSpec(),
                          {{"layers", 0}, {"clip_range", -1}, {"min", -1}}, -2e-7, "new");
    EXPECT_EQ(out, "name: \"n\"\r\nlayers { clip_range { min: -2e-07 } }  # new\r\n");
}

TEST(ReplaceFieldValueTest, PathErrorsNameTheField) {
    auto editPath = [&](const std::vector<std::pair<std::string, int>>& path) {
        return expectInputError(
            [&] { replaceFieldValue(kNetwork, "tiny.textproto", NetworkSpec(), path, 1.0, "x"); });
    };
    InputError e = editPath({{"layers", 1}, {"name", -1}});
    EXPECT_EQ(e.diagnostics()[0].field, "layers[1].name");
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("not a number"));

    e = editPath({{"layers", 2}, {"clip_range", -1}, {"max", -1}});
    EXPECT_EQ(e.diagnostics()[0].field, "layers");
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("out of range"));

    e = editPath({{"layers", 0}, {"clip_range", -1}, {"max", -1}});
    EXPECT_EQ(e.diagnostics()[0].field, "layers[0].clip_range");
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("not written"));

    e = editPath({{"layers", 0}, {"conv2d", -1}, {"groups", -1}});
    EXPECT_EQ(e.diagnostics()[0].field, "layers[0].conv2d.groups");
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("not written"));

    e = editPath({{"layers", 0}, {"kernel", -1}});
    EXPECT_EQ(e.diagnostics()[0].field, "layers[0].kernel");
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("no such field"));

    e = editPath({{"layers", -1}, {"name", -1}});
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("out of range"));

    EXPECT_NO_THROW(replaceFieldValue(kNetwork, "tiny.textproto", NetworkSpec(),
                                      {{"layers", 0}, {"conv2d", -1}, {"out_channels", -1}}, 1.0,
                                      "x"));
}

TEST(ReplaceFieldValueTest, ParseErrorsAreInputErrors) {
    const InputError e = expectInputError([] {
        replaceFieldValue("name: \"n\"\nbogus: 1\n", "bad.textproto", NetworkSpec(), {{"name", -1}},
                          1.0, "");
    });
    EXPECT_EQ(e.diagnostics()[0].file, "bad.textproto");
    EXPECT_EQ(e.diagnostics()[0].line, 2);
}

TEST(ReplaceFieldValueTest, IntegerOutOfRange) {
    const InputError e = expectInputError([] {
        replaceFieldValue(kNetwork, "tiny.textproto", NetworkSpec(),
                          {{"layers", 0}, {"conv2d", -1}, {"out_channels", -1}}, 1e30, "");
    });
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("does not fit"));
}

// ---------------------------------------------------------------- replaceNumberAt

TEST(ReplaceNumberAtTest, AcceptsTheRecordedFieldPositionAndTheNumberPosition) {
    NetworkSpec net;
    const auto locations = parseTextProto(kNetwork, "tiny.textproto", net);
    const auto* layers = NetworkSpec::descriptor()->FindFieldByName("layers");
    const auto* clip = layers->message_type()->FindFieldByName("clip_range");
    const auto* max = clip->message_type()->FindFieldByName("max");
    const auto loc =
        locations->GetTreeForNested(layers, 1)->GetTreeForNested(clip, -1)->GetLocation(max, -1);
    // TextLocations: 0-based, at the field name "max" (line 12, column 5 counted from 1).
    ASSERT_EQ(loc.line, 11);
    ASSERT_EQ(loc.column, 4);

    const std::string byName = replaceNumberAt(kNetwork, loc.line + 1, loc.column + 1, 1500000000.0,
                                               "big", "tiny.textproto");
    EXPECT_THAT(byName, HasSubstr("\n    max: 1.5e+09  # big\n"));
    const std::string byNumber = replaceNumberAt(kNetwork, 12, 10, 1500000000.0, "big", "t");
    EXPECT_EQ(byNumber, byName);
}

TEST(ReplaceNumberAtTest, ColumnsCountTabsLikeTheProtobufTokenizer) {
    // "\tmin: 3": the tokenizer puts "min" at column 8 (0-based), the number at 13.
    const std::string text = "clip {\n\tmin: 3\n}\n";
    EXPECT_EQ(replaceNumberAt(text, 2, 9, 0.1, "t", "tab"), "clip {\n\tmin: 0.1  # t\n}\n");
    EXPECT_EQ(replaceNumberAt(text, 2, 14, 0.1, "t", "tab"), "clip {\n\tmin: 0.1  # t\n}\n");
    // Column 2..8 is inside the tab.
    EXPECT_THROW(replaceNumberAt(text, 2, 4, 0.1, "t", "tab"), InputError);
}

TEST(ReplaceNumberAtTest, NumberSyntaxes) {
    auto at1 = [](const std::string& line) { return replaceNumberAt(line, 1, 1, 42.0, "", "n"); };
    EXPECT_EQ(at1("x: -1.5e-3f other: 1"), "x: 42 other: 1");
    EXPECT_EQ(at1("x: 0x1F"), "x: 42");
    EXPECT_EQ(at1("x: .5"), "x: 42");
    EXPECT_EQ(at1("x: -inf"), "x: 42");
    EXPECT_EQ(at1("x: nan # why"), "x: 42 # why");
    EXPECT_EQ(at1("x : # separated\n  1E+3"), "x : # separated\n  42");
    EXPECT_EQ(replaceNumberAt("x: 1", 1, 4, 1.0 / 3.0, "", "n"), "x: 0.333333");
    EXPECT_EQ(replaceNumberAt("x: 1", 1, 4, 123456789.0, "", "n"), "x: 1.23457e+08");
}

TEST(ReplaceNumberAtTest, RejectsPositionsWithoutANumber) {
    InputError e = expectInputError([] {
        replaceNumberAt(kNetwork, 2, 7, 1.0, "", "tiny.textproto"); // "tiny"
    });
    EXPECT_EQ(e.diagnostics()[0].file, "tiny.textproto");
    EXPECT_EQ(e.diagnostics()[0].line, 2);
    EXPECT_EQ(e.diagnostics()[0].column, 7);

    expectInputError([] { replaceNumberAt(kNetwork, 2, 1, 1.0, "", "f"); });  // name: "tiny"
    expectInputError([] { replaceNumberAt(kNetwork, 3, 20, 1.0, "", "f"); }); // shape: [list]
    expectInputError([] { replaceNumberAt(kNetwork, 4, 1, 1.0, "", "f"); });  // layers {
    expectInputError([] { replaceNumberAt(kNetwork, 99, 1, 1.0, "", "f"); });
    expectInputError([] { replaceNumberAt(kNetwork, 2, 200, 1.0, "", "f"); });
    expectInputError([] { replaceNumberAt("x: 12abc", 1, 4, 1.0, "", "f"); });
    EXPECT_THROW(replaceNumberAt("x: 1", 1, 4, std::nan(""), "", "f"), std::invalid_argument);
}

} // namespace
} // namespace edgesim
