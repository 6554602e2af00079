// Text-format loading with positions (TextProto.h), field paths during validation
// (FieldCursor), SHA-256 (Hash.h) and config discovery (ConfigPaths.h).
// Expected lines and columns are counted by hand in the texts below (both 1-based).
#include "common/TextProto.h"
#include "common/ConfigPaths.h"
#include "common/Hash.h"
#include "workloads/spec/network.pb.h"

#include "tests/util/TestUtil.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace edgesim {
namespace {

namespace fs = std::filesystem;
using test::expectInputError;
using test::TempDir;
using ::testing::HasSubstr;
using workloads::spec::NetworkSpec;

/// Sets an environment variable for the lifetime of the object, then restores it.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        ::setenv(name, value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

// ---------------------------------------------------------------- parseTextProto

TEST(ParseTextProtoTest, ValidTextFillsTheMessage) {
    NetworkSpec net;
    auto locations = parseTextProto("name: \"tiny\"\n"
                                    "inputs { name: \"x\" shape: [8, 8, 3] }\n"
                                    "layers { name: \"c\" conv2d { out_channels: 4 } }\n",
                                    "tiny.textproto", net);
    ASSERT_NE(locations, nullptr);
    EXPECT_EQ(net.name(), "tiny");
    ASSERT_EQ(net.inputs_size(), 1);
    EXPECT_THAT(net.inputs(0).shape(), ::testing::ElementsAre(8, 8, 3));
    ASSERT_EQ(net.layers_size(), 1);
    EXPECT_EQ(net.layers(0).conv2d().out_channels(), 4);
}

TEST(ParseTextProtoTest, SyntaxErrorHasFileLineAndColumn) {
    NetworkSpec net;
    const std::string text = "name: \"n\"\n"
                             "description = \"bad\"\n"; // '=' at column 13 of line 2
    InputError e = expectInputError([&] { parseTextProto(text, "syntax.textproto", net); });
    ASSERT_GE(e.diagnostics().size(), 1U);
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.file, "syntax.textproto");
    EXPECT_EQ(d.line, 2);
    EXPECT_EQ(d.column, 13);
    EXPECT_THAT(d.reason, HasSubstr("="));
    EXPECT_THAT(std::string(e.what()), HasSubstr("syntax.textproto:2:13:"));
}

// The position of an unknown field or enum value is where the offending name starts. (The
// protobuf parser itself reports the token after the name: the ':' of an unknown field, or
// whatever follows an unknown enum value, possibly on the next line.)
TEST(ParseTextProtoTest, UnknownFieldHasLineColumnAndFieldName) {
    NetworkSpec net;
    const std::string text = "name: \"n\"\n"
                             "layers {\n"
                             "  name: \"a\"\n"
                             "  kernel_size: 3\n" // unknown field at column 3 of line 4
                             "}\n";
    InputError e = expectInputError([&] { parseTextProto(text, "unknown.textproto", net); });
    ASSERT_GE(e.diagnostics().size(), 1U);
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.file, "unknown.textproto");
    EXPECT_EQ(d.line, 4);
    EXPECT_EQ(d.column, 3);
    EXPECT_THAT(d.reason, HasSubstr("kernel_size"));
}

TEST(ParseTextProtoTest, TypeMismatchHasLineAndColumn) {
    NetworkSpec net;
    const std::string text = "name: \"n\"\n"
                             "layers { name: \"d\" dense { units: \"many\" } }\n";
    // "many" starts at column 35 of line 2.
    InputError e = expectInputError([&] { parseTextProto(text, "type.textproto", net); });
    ASSERT_GE(e.diagnostics().size(), 1U);
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.file, "type.textproto");
    EXPECT_EQ(d.line, 2);
    EXPECT_EQ(d.column, 35);
    EXPECT_THAT(d.reason, HasSubstr("integer"));
}

TEST(ParseTextProtoTest, UnknownEnumValueHasLineAndColumn) {
    NetworkSpec net;
    const std::string text = "name: \"n\"\n"
                             "\n"
                             "activation_dtype: INT7\n"; // INT7 at column 19 of line 3
    InputError e = expectInputError([&] { parseTextProto(text, "enum.textproto", net); });
    ASSERT_GE(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].line, 3);
    EXPECT_EQ(e.diagnostics()[0].column, 19);
    EXPECT_THAT(e.diagnostics()[0].reason, HasSubstr("INT7"));
}

TEST(ParseTextProtoTest, LoadTextProtoLabelsErrorsWithThePath) {
    TempDir dir;
    const fs::path p = dir.write("bad.textproto", "name: \"n\"\nbogus: 1\n");
    NetworkSpec net;
    InputError e = expectInputError([&] { loadTextProto(p.string(), net); });
    ASSERT_GE(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].file, p.string());
    EXPECT_EQ(e.diagnostics()[0].line, 2);
    EXPECT_GT(e.diagnostics()[0].column, 0);
    EXPECT_THAT(std::string(e.what()), HasSubstr(p.string() + ":2:"));
}

TEST(ReadFileTest, ReadsTheWholeFile) {
    TempDir dir;
    const char raw[] = "line one\nline two\0with nul\n";
    const std::string content(raw, sizeof(raw) - 1);
    const fs::path p = dir.write("f.txt", content);
    EXPECT_EQ(readFile(p.string()), content);
}

TEST(ReadFileTest, MissingFileThrowsInputErrorNamingThePath) {
    TempDir dir;
    const std::string missing = (dir.path() / "does-not-exist.textproto").string();
    InputError e = expectInputError([&] { readFile(missing); });
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].file, missing);
    EXPECT_THAT(std::string(e.what()), HasSubstr(missing));
}

// ---------------------------------------------------------------- FieldCursor

// Line numbers of the text below, used by the FieldCursor tests.
constexpr int kInputLine = 2;
constexpr int kShapeLine = 3;
constexpr int kLayer0Line = 4;
constexpr int kLayer1Line = 5;
constexpr int kConvLine = 7;
constexpr int kOutChannelsLine = 8;
constexpr int kLayer2Line = 11;
const char* const kNetworkText = "name: \"cursor\"\n"                                   // 1
                                 "inputs { name: \"x\"\n"                               // 2
                                 "         shape: [8, 8, 3] }\n"                        // 3
                                 "layers { name: \"c0\" conv2d { out_channels: 8 } }\n" // 4
                                 "layers {\n"                                           // 5
                                 "  name: \"c1\"\n"                                     // 6
                                 "  conv2d {\n"                                         // 7
                                 "    out_channels: -2\n"                               // 8
                                 "  }\n"                                                // 9
                                 "}\n"                                                  // 10
                                 "layers { dense { units: 10 } }\n";                    // 11

class FieldCursorTest : public ::testing::Test {
protected:
    void SetUp() override { locations_ = parseTextProto(kNetworkText, "net.textproto", net_); }

    NetworkSpec net_;
    std::unique_ptr<TextLocations> locations_;
    Diagnostics diags_{"net.textproto"};
};

TEST_F(FieldCursorTest, NestedRepeatedFieldPathAndLine) {
    FieldCursor root(diags_, locations_.get());
    FieldCursor layer = root.child(net_, "layers", 1);
    EXPECT_EQ(layer.path(), "layers[1]");
    EXPECT_EQ(layer.line(), kLayer1Line);
    FieldCursor conv = layer.child(net_.layers(1), "conv2d");
    EXPECT_EQ(conv.path(), "layers[1].conv2d");
    EXPECT_EQ(conv.line(), kConvLine);

    conv.error(net_.layers(1).conv2d(), "out_channels", "must be >= 1");
    ASSERT_EQ(diags_.items().size(), 1U);
    const Diagnostic& d = diags_.items()[0];
    EXPECT_EQ(d.file, "net.textproto");
    EXPECT_EQ(d.field, "layers[1].conv2d.out_channels");
    EXPECT_EQ(d.line, kOutChannelsLine);
    EXPECT_EQ(d.reason, "must be >= 1");
}

TEST_F(FieldCursorTest, EachRepeatedElementHasItsOwnLine) {
    FieldCursor root(diags_, locations_.get());
    EXPECT_EQ(root.child(net_, "layers", 0).line(), kLayer0Line);
    EXPECT_EQ(root.child(net_, "layers", 1).line(), kLayer1Line);
    EXPECT_EQ(root.child(net_, "layers", 2).line(), kLayer2Line);
    // The same field inside different elements resolves to each element's line.
    root.child(net_, "layers", 0)
        .child(net_.layers(0), "conv2d")
        .error(net_.layers(0).conv2d(), "out_channels", "first");
    root.child(net_, "layers", 1)
        .child(net_.layers(1), "conv2d")
        .error(net_.layers(1).conv2d(), "out_channels", "second");
    ASSERT_EQ(diags_.items().size(), 2U);
    EXPECT_EQ(diags_.items()[0].field, "layers[0].conv2d.out_channels");
    EXPECT_EQ(diags_.items()[0].line, kLayer0Line);
    EXPECT_EQ(diags_.items()[1].field, "layers[1].conv2d.out_channels");
    EXPECT_EQ(diags_.items()[1].line, kOutChannelsLine);
}

TEST_F(FieldCursorTest, MissingFieldIsReportedAtTheEnclosingMessage) {
    FieldCursor layer = FieldCursor(diags_, locations_.get()).child(net_, "layers", 2);
    ASSERT_TRUE(net_.layers(2).name().empty());
    layer.error(net_.layers(2), "name", "missing required field");
    ASSERT_EQ(diags_.items().size(), 1U);
    EXPECT_EQ(diags_.items()[0].field, "layers[2].name");
    EXPECT_EQ(diags_.items()[0].line, kLayer2Line);
}

TEST_F(FieldCursorTest, ErrorOnRepeatedScalarElement) {
    FieldCursor input = FieldCursor(diags_, locations_.get()).child(net_, "inputs", 0);
    EXPECT_EQ(input.line(), kInputLine);
    input.error(net_.inputs(0), "shape", "too small", 0);
    ASSERT_EQ(diags_.items().size(), 1U);
    EXPECT_EQ(diags_.items()[0].field, "inputs[0].shape[0]");
    EXPECT_EQ(diags_.items()[0].line, kShapeLine);
}

// Elements written in list syntax ("shape: [8, 8, 3]") are on the line of the list, not on the
// line where the enclosing message starts.
TEST_F(FieldCursorTest, ErrorOnLaterElementOfListSyntax) {
    FieldCursor input = FieldCursor(diags_, locations_.get()).child(net_, "inputs", 0);
    input.error(net_.inputs(0), "shape", "too small", 2);
    ASSERT_EQ(diags_.items().size(), 1U);
    EXPECT_EQ(diags_.items()[0].field, "inputs[0].shape[2]");
    EXPECT_EQ(diags_.items()[0].line, kShapeLine);
}

TEST_F(FieldCursorTest, ErrorOnTheCursorItself) {
    FieldCursor layer = FieldCursor(diags_, locations_.get()).child(net_, "layers", 1);
    layer.error("needs an input");
    ASSERT_EQ(diags_.items().size(), 1U);
    EXPECT_EQ(diags_.items()[0].field, "layers[1]");
    EXPECT_EQ(diags_.items()[0].line, kLayer1Line);
}

TEST_F(FieldCursorTest, TopLevelFieldOfRootCursor) {
    FieldCursor root(diags_, locations_.get());
    EXPECT_EQ(root.path(), "");
    root.error(net_, "name", "reserved");
    ASSERT_EQ(diags_.items().size(), 1U);
    EXPECT_EQ(diags_.items()[0].field, "name");
    EXPECT_EQ(diags_.items()[0].line, 1);
}

TEST(FieldCursorNoLocationsTest, PathsWithoutLines) {
    // A message built in code (e.g. by the ONNX importer) has no text positions.
    NetworkSpec net;
    net.add_layers()->set_name("a");
    net.add_layers()->mutable_dense()->set_units(0);
    Diagnostics diags("<onnx>");
    FieldCursor layer = FieldCursor(diags, nullptr).child(net, "layers", 1);
    EXPECT_EQ(layer.line(), 0);
    layer.child(net.layers(1), "dense").error(net.layers(1).dense(), "units", "must be >= 1");
    ASSERT_EQ(diags.items().size(), 1U);
    EXPECT_EQ(diags.items()[0].field, "layers[1].dense.units");
    EXPECT_EQ(diags.items()[0].line, 0);
}

// ---------------------------------------------------------------- sha256Hex

TEST(Sha256Test, KnownVectors) {
    // FIPS 180-2 test vectors.
    EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, HashesEmbeddedNulBytes) {
    const std::string withNul("a\0b", 3);
    EXPECT_NE(sha256Hex(withNul), sha256Hex("a"));
    EXPECT_EQ(sha256Hex(withNul).size(), 64U);
}

// ---------------------------------------------------------------- ConfigPaths

TEST(ConfigPathsTest, ExplicitDirWinsOverEnvironment) {
    TempDir explicitDir;
    TempDir envDir;
    ScopedEnv env("EDGESIM_CONFIG_DIR", envDir.path().string());
    EXPECT_EQ(ConfigPaths(explicitDir.path().string()).root(), explicitDir.path().string());
    EXPECT_EQ(ConfigPaths().root(), envDir.path().string());
}

TEST(ConfigPathsTest, EmptyEnvironmentFallsBackToBuiltInDefault) {
    ScopedEnv env("EDGESIM_CONFIG_DIR", "");
    // The build compiles in the source tree's configs/ unless configured otherwise.
    EXPECT_EQ(ConfigPaths().root(), EDGESIM_SOURCE_DIR "/configs");
}

TEST(ConfigPathsTest, DirJoinsRootAndKind) {
    TempDir dir;
    EXPECT_EQ(fs::path(ConfigPaths(dir.path().string()).dir("platforms")),
              dir.path() / "platforms");
}

TEST(ConfigPathsTest, ListFindsNestedTextprotosSortedWithoutExtension) {
    TempDir dir;
    dir.write("networks/zeta.textproto", "");
    dir.write("networks/mlperf_tiny/kws.textproto", "");
    dir.write("networks/mlperf_tiny/deep/ad.textproto", "");
    dir.write("networks/alpha.textproto", "");
    dir.write("networks/README.md", "not a config");
    dir.write("networks/model.onnx", "");
    dir.write("platforms/board.textproto", "");
    ConfigPaths paths(dir.path().string());
    EXPECT_THAT(paths.list("networks"),
                ::testing::ElementsAre("alpha", "mlperf_tiny/deep/ad", "mlperf_tiny/kws", "zeta"));
    EXPECT_THAT(paths.list("platforms"), ::testing::ElementsAre("board"));
}

TEST(ConfigPathsTest, ListOfAbsentKindIsEmpty) {
    TempDir dir;
    EXPECT_TRUE(ConfigPaths(dir.path().string()).list("studies").empty());
}

TEST(ConfigPathsTest, ResolveKnownName) {
    TempDir dir;
    const fs::path p = dir.write("stacks/vendor/tflm.textproto", "");
    EXPECT_EQ(
        fs::path(ConfigPaths(dir.path().string()).resolve("stacks", "vendor/tflm", "--stack")), p);
}

TEST(ConfigPathsTest, ResolveUnknownNameListsKnownNames) {
    TempDir dir;
    dir.write("platforms/b-board.textproto", "");
    dir.write("platforms/a-board.textproto", "");
    ConfigPaths paths(dir.path().string());
    InputError e = expectInputError([&] { paths.resolve("platforms", "c-board", "--platform"); });
    ASSERT_EQ(e.diagnostics().size(), 1U);
    EXPECT_EQ(e.diagnostics()[0].field, "--platform");
    const std::string msg = e.what();
    EXPECT_THAT(msg, HasSubstr("c-board"));
    EXPECT_THAT(msg, HasSubstr("a-board, b-board"));
}

TEST(ConfigPathsTest, ResolveWithNothingKnownSaysNone) {
    TempDir dir;
    InputError e = expectInputError(
        [&] { ConfigPaths(dir.path().string()).resolve("stacks", "tflm", "--stack"); });
    EXPECT_THAT(std::string(e.what()), HasSubstr("none"));
}

TEST(WriteFileAtomicallyTest, ReplacesTheFileOrLeavesNothing) {
    TempDir dir("edgesim-write-test");
    const std::string path = dir.file("out.txt");
    writeFileAtomically(path, "first\n", "--out");
    writeFileAtomically(path, "second\n", "--out");
    EXPECT_EQ(readFile(path), "second\n");
    EXPECT_FALSE(fs::exists(path + ".tmp"));

    const std::string nowhere = dir.file("no/such/dir/out.txt");
    const InputError e = expectInputError([&] { writeFileAtomically(nowhere, "x", "--trace"); });
    EXPECT_EQ(e.diagnostics().at(0).file, nowhere);
    EXPECT_EQ(e.diagnostics().at(0).field, "--trace");
    EXPECT_FALSE(fs::exists(nowhere + ".tmp"));

    // A directory in the way of the rename: the temporary file is removed.
    fs::create_directories(dir.file("taken/inside"));
    const std::string taken = dir.file("taken");
    expectInputError([&] { writeFileAtomically(taken, "x", "--out"); });
    EXPECT_FALSE(fs::exists(taken + ".tmp"));
    EXPECT_TRUE(fs::is_directory(taken));
}

TEST(WriteFileAtomicallyTest, WritesThroughSymlinksAndNeverReplacesOtherFileTypes) {
    TempDir dir("edgesim-write-test");
    // A symlink stays a symlink: the file it points to is replaced (or created).
    fs::create_directories(dir.file("real"));
    fs::create_symlink(dir.file("real/trace.json"), dir.file("link.json"));
    writeFileAtomically(dir.file("link.json"), "one\n", "--trace");
    EXPECT_TRUE(fs::is_symlink(dir.file("link.json")));
    EXPECT_EQ(readFile(dir.file("real/trace.json")), "one\n");
    writeFileAtomically(dir.file("link.json"), "two\n", "--trace");
    EXPECT_TRUE(fs::is_symlink(dir.file("link.json")));
    EXPECT_EQ(readFile(dir.file("real/trace.json")), "two\n");
    EXPECT_EQ(outputTarget(dir.file("link.json"), "--trace"),
              fs::weakly_canonical(dir.file("real/trace.json")).string());

    // A device node is refused before anything is written (it was replaced by a regular
    // file when run as root).
    const InputError e = expectInputError([&] { writeFileAtomically("/dev/null", "x", "--out"); });
    EXPECT_EQ(e.diagnostics().at(0).field, "--out");
    EXPECT_THAT(e.diagnostics().at(0).reason, HasSubstr("not a regular file"));
    EXPECT_TRUE(fs::is_character_file("/dev/null"));
    EXPECT_FALSE(fs::exists("/dev/null.tmp"));
}

} // namespace
} // namespace edgesim
