// Specialised kernels (a library's fast paths chosen by layer shape), the im2col work a
// convolution is lowered with, the per-window-position cost of the im2col copy and the
// weight reuse of a loop that keeps a few output channels' weights while it walks the
// pixels. Hand sums on tests/sim/data/m4-flash.textproto (64-bit flash with 3 wait states at
// 80 MHz, no prefetch) with small convolution stacks built here.
#include "common/Diagnostics.h"
#include "common/TextProto.h"
#include "platforms/PlatformCatalog.h"
#include "sim/Simulator.h"
#include "sim/model/Program.h"
#include "tests/sim/SimTestData.h"
#include "workloads/schedule/Schedule.h"
#include "workloads/spec/NetworkSpecLoader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace {

namespace ps = edgesim::platforms::spec;
using edgesim::sim::Fidelity;
using edgesim::sim::RunOptions;
using edgesim::sim::SimResult;
using edgesim::sim::Simulator;
using edgesim::sim::Status;
using edgesim::test::configPaths;
using edgesim::test::testData;
using edgesim::workloads::Kernel;
using edgesim::workloads::Schedule;

Schedule scheduleOf(const std::string& layers) {
    return edgesim::workloads::lowerInference(edgesim::workloads::parseNetworkText(
        "name: \"test/conv\"\ninputs { name: \"x\" shape: [8, 8, 8] }\n" + layers,
        "<test network>"));
}

/// The schedule's one kernel (a copy: the schedules here are temporaries).
Kernel only(const Schedule& s) {
    EXPECT_EQ(s.kernels.size(), 1U);
    return s.kernels.empty() ? Kernel{} : s.kernels.front();
}

ps::StackSpec parseStack(const std::string& text) {
    ps::StackSpec s;
    edgesim::parseTextProto(text, "<test stack>", s);
    edgesim::Diagnostics diags("<test stack>");
    edgesim::platforms::validateStack(s, edgesim::FieldCursor(diags, nullptr));
    EXPECT_TRUE(diags.empty()) << (diags.empty() ? "" : diags.items().front().format());
    return s;
}

std::vector<std::string> stackErrors(const std::string& text) {
    ps::StackSpec s;
    edgesim::parseTextProto(text, "<test stack>", s);
    edgesim::Diagnostics diags("<test stack>");
    edgesim::platforms::validateStack(s, edgesim::FieldCursor(diags, nullptr));
    std::vector<std::string> out;
    for (const auto& d : diags.items()) {
        out.push_back(d.format());
    }
    return out;
}

// A general conv kernel (only im2col costs, so the sums below are easy) and a 1x1 fast path.
const std::string kStack = R"(
name: "test-conv"
per_inference_overhead_cycles: 0
tile_bytes: 0
placement { weights: IN_PLACE }
kernels {
  op: "conv2d"
  cycles_per_mac: 3
  overhead_cycles: 0
  cycles_per_output: 0
  weight_loads_per_mac: 0
  im2col_cycles_per_element: 2
  im2col_cycles_per_position: 50
}
kernels {
  op: "conv2d"
  when { window: 1 stride: 1 unpadded: true channel_multiple: 4 }
  cycles_per_mac: 1
  overhead_cycles: 0
  cycles_per_output: 0
  weight_loads_per_mac: 0
}
)";

SimResult runAnalytical(const ps::StackSpec& stack, const Schedule& schedule,
                        const ps::PlatformSpec* platform = nullptr) {
    Simulator sim(platform != nullptr ? *platform
                                      : edgesim::platforms::loadPlatform(
                                            testData("m4-flash.textproto"), configPaths()),
                  stack);
    RunOptions o;
    o.fidelity = Fidelity::Analytical;
    return sim.run(schedule, o);
}

TEST(Im2colWorkTest, OnlyAPlainMatrixProductSkipsTheCopy) {
    // 1x1, stride 1, unpadded: the input already is the matrix.
    const Kernel pw = only(scheduleOf("layers { name: \"c\" conv2d { out_channels: 4 window "
                                      "{ kernel: [1, 1] } } }\n"));
    EXPECT_FALSE(pw.padded);
    EXPECT_EQ(pw.im2colElements, 0);
    EXPECT_EQ(pw.im2colPositions, 0);
    // 1x1 at stride 2 gathers every other pixel: 4x4 pixels x 8 channels.
    const Kernel strided = only(scheduleOf("layers { name: \"c\" conv2d { out_channels: 4 "
                                           "window { kernel: [1, 1] stride: [2] } } }\n"));
    EXPECT_EQ(strided.im2colElements, 16 * 8);
    EXPECT_EQ(strided.im2colPositions, 16);
    EXPECT_EQ(strided.im2colPatchElements, 8);
    // 3x3 SAME pads; 8x8 pixels x 9 positions x 8 channels.
    const Kernel same = only(scheduleOf(
        "layers { name: \"c\" conv2d { out_channels: 4 window { kernel: [3, 3] } } }\n"));
    EXPECT_TRUE(same.padded);
    EXPECT_EQ(same.im2colElements, 64 * 72);
    EXPECT_EQ(same.im2colPositions, 64 * 9);
    // 3x3 VALID never reaches past the input: 6x6 pixels.
    const Kernel valid = only(scheduleOf("layers { name: \"c\" conv2d { out_channels: 4 window "
                                         "{ kernel: [3, 3] padding: VALID } } }\n"));
    EXPECT_FALSE(valid.padded);
    EXPECT_EQ(valid.im2colPositions, 36 * 9);
    // Depthwise layers have no im2col step.
    const Kernel& dw =
        only(scheduleOf("layers { name: \"c\" depthwise_conv2d { window { kernel: [3, 3] } } }\n"));
    EXPECT_EQ(dw.im2colElements, 0);
}

TEST(KernelSelectionTest, TheFastPathRunsTheLayersThatMeetItsConditions) {
    const ps::StackSpec stack = parseStack(kStack);
    const edgesim::sim::StackIndex index(stack);
    const auto pick = [&](const std::string& layer) {
        return index.find(only(scheduleOf(layer)), "int8");
    };
    const ps::KernelSpec* general = &stack.kernels(0);
    const ps::KernelSpec* fast = &stack.kernels(1);
    EXPECT_EQ(pick("layers { name: \"c\" conv2d { out_channels: 4 window { kernel: [1, 1] } } }"),
              fast);
    // Each condition on its own sends the layer to the general kernel.
    EXPECT_EQ(pick("layers { name: \"c\" conv2d { out_channels: 4 window { kernel: [1, 1] "
                   "stride: [2] } } }"),
              general);
    EXPECT_EQ(pick("layers { name: \"c\" conv2d { out_channels: 4 window { kernel: [3, 3] } } }"),
              general);
    EXPECT_EQ(pick("layers { name: \"c\" conv2d { out_channels: 4 window { kernel: [1, 1] "
                   "padding: EXPLICIT pad_begin: [1, 1] pad_end: [1, 1] } } }"),
              general);
    // 6 input channels: not a multiple of 4.
    const Schedule six =
        scheduleOf("layers { name: \"p\" conv2d { out_channels: 6 window { kernel: [1, 1] } } }\n"
                   "layers { name: \"c\" conv2d { out_channels: 4 window { kernel: [1, 1] } } }");
    ASSERT_EQ(six.kernels.size(), 2U);
    EXPECT_EQ(index.find(six.kernels[1], "int8"), general);
    // The op-level lookup (used for "does the stack have this op") sees the general kernel.
    EXPECT_EQ(index.find("conv2d", "int8"), general);
}

TEST(KernelSelectionTest, CostsFollowTheChosenKernelAndTheIm2colCopy) {
    const ps::StackSpec stack = parseStack(kStack);
    // 1x1 fast path: 64 pixels x 8 x 4 MACs at 1 cycle.
    const SimResult pw = runAnalytical(
        stack,
        scheduleOf("layers { name: \"c\" conv2d { out_channels: 4 window { kernel: [1, 1] } } }"));
    ASSERT_EQ(pw.status, Status::Ok) << pw.reason;
    EXPECT_EQ(pw.layers[1].computeCycles, 64U * 8 * 4);
    // 3x3 general: 64 x 72 x 4 MACs x 3 + 4608 copied elements x 2 + 576 positions x 50.
    const SimResult conv = runAnalytical(
        stack,
        scheduleOf("layers { name: \"c\" conv2d { out_channels: 4 window { kernel: [3, 3] } } }"));
    ASSERT_EQ(conv.status, Status::Ok) << conv.reason;
    EXPECT_EQ(conv.layers[1].computeCycles, 18432U * 3 + 4608U * 2 + 576U * 50);
}

TEST(KernelSelectionTest, ALoopThatKeepsAFewChannelsReadsTheirWeightsOnceWhenTheyFitTheCache) {
    // 1x1, 64 -> 32 channels on 4x4 pixels: 32 KiB MACs, weights 2048 bytes + 32 int32
    // biases = 2176 bytes. Without prefetch every weight load of the loop comes from flash
    // (0.5 per MAC: 16384 bytes) unless the weights it re-reads fit the 256-byte flash cache.
    auto text = kStack;
    text.replace(text.find("weight_loads_per_mac: 0\n}\n", text.find("when")), 24,
                 "weight_loads_per_mac: 0.5\n");
    auto platform = edgesim::platforms::loadPlatform(testData("m4-flash.textproto"), configPaths());
    platform.mutable_memories(0)->set_cache_bytes(256);
    const Schedule schedule =
        edgesim::workloads::lowerInference(edgesim::workloads::parseNetworkText(
            "name: \"test/pw\"\ninputs { name: \"x\" shape: [4, 4, 64] }\n"
            "layers { name: \"c\" conv2d { out_channels: 32 window { kernel: [1, 1] } } }\n",
            "<test network>"));
    ps::StackSpec stack = parseStack(text);
    const SimResult streamed = runAnalytical(stack, schedule, &platform);
    ASSERT_EQ(streamed.status, Status::Ok) << streamed.reason;
    EXPECT_EQ(streamed.bytesRead[edgesim::test::memoryIndex(streamed, "flash")], 16384);
    // Two channels' weights (2 x 68 = 136 bytes) fit: each weight byte is read once.
    stack.mutable_kernels(1)->set_weight_reuse_channels(2);
    const SimResult kept = runAnalytical(stack, schedule, &platform);
    ASSERT_EQ(kept.status, Status::Ok) << kept.reason;
    EXPECT_EQ(kept.bytesRead[edgesim::test::memoryIndex(kept, "flash")], 2176);
    EXPECT_LT(kept.latencyCycles, streamed.latencyCycles);
    // Eight channels (544 bytes) do not fit: streamed again.
    stack.mutable_kernels(1)->set_weight_reuse_channels(8);
    const SimResult spilled = runAnalytical(stack, schedule, &platform);
    EXPECT_EQ(spilled.bytesRead[edgesim::test::memoryIndex(spilled, "flash")], 16384);
}

TEST(KernelSelectionTest, BadConditionsAreReportedWithTheirField) {
    EXPECT_THAT(stackErrors("name: \"s\"\nkernels { op: \"conv2d\" when { } }"),
                testing::ElementsAre(testing::HasSubstr("sets no condition")));
    EXPECT_THAT(stackErrors("name: \"s\"\nkernels { op: \"conv2d\" when { window: -1 } }"),
                testing::ElementsAre(testing::HasSubstr("kernels[0].when.window")));
    EXPECT_THAT(stackErrors("name: \"s\"\nkernels { op: \"conv2d\" weight_reuse_channels: -2 }"),
                testing::ElementsAre(testing::HasSubstr("weight_reuse_channels")));
    // Two general kernels for one op stay an error; a specialised one beside them is not.
    EXPECT_THAT(stackErrors("name: \"s\"\nkernels { op: \"conv2d\" }\nkernels { op: \"conv2d\" }"),
                testing::ElementsAre(testing::HasSubstr("duplicate kernel")));
    EXPECT_THAT(stackErrors("name: \"s\"\nkernels { op: \"conv2d\" }\n"
                            "kernels { op: \"conv2d\" when { window: 1 } }"),
                testing::IsEmpty());
}

} // namespace

// Sub-byte activations (mixed-precision QNNs, e.g. the MPIC core's kernels): a layer is keyed
// by its weights and its first input's type; the output type is the requantised store.
const std::string kMixedStack = R"(
name: "test-mixed"
per_inference_overhead_cycles: 0
tile_bytes: 0
placement { weights: IN_PLACE }
kernels { op: "conv2d" cycles_per_mac: 4 overhead_cycles: 0 cycles_per_output: 0 weight_loads_per_mac: 0 }
kernels { op: "conv2d" activation_dtype: "int4" cycles_per_mac: 2 overhead_cycles: 0 cycles_per_output: 0 weight_loads_per_mac: 0 }
kernels { op: "conv2d" dtype: "int2" activation_dtype: "int4" cycles_per_mac: 1 overhead_cycles: 0 cycles_per_output: 0 weight_loads_per_mac: 0 }
kernels { op: "max_pool" activation_dtype: "int4" cycles_per_input: 3 overhead_cycles: 0 cycles_per_output: 0 }
)";

TEST(KernelSelectionTest, SubByteActivationsSelectTheKernelOfTheirInputAndWeightTypes) {
    const ps::StackSpec stack = parseStack(kMixedStack);
    // p: int8 in, int4 out (the int8 kernel); c: int4 in (int8 or int2 weights).
    const auto net = [](const std::string& weights) {
        return scheduleOf("layers { name: \"p\" conv2d { out_channels: 8 window { kernel: [1, 1] "
                          "} } output_dtype: INT4 }\n"
                          "layers { name: \"c\" conv2d { out_channels: 4 window { kernel: [1, 1] "
                          "} } output_dtype: INT4 weight_dtype: " +
                          weights + " }\n");
    };
    const Schedule s8 = net("INT8");
    ASSERT_EQ(s8.kernels.size(), 2U);
    EXPECT_EQ(s8.kernels[0].inputDtype, edgesim::workloads::DType::Int8);
    EXPECT_EQ(s8.kernels[1].inputDtype, edgesim::workloads::DType::Int4);
    // 64 pixels x 8 x 8 MACs at 4 cycles; then 64 x 8 x 4 MACs at 2 (int4 in, int8 weights).
    const SimResult r8 = runAnalytical(stack, s8);
    ASSERT_EQ(r8.status, Status::Ok) << r8.reason;
    EXPECT_EQ(r8.layers[1].computeCycles, 64U * 8 * 8 * 4);
    EXPECT_EQ(r8.layers[2].computeCycles, 64U * 8 * 4 * 2);
    // The int4 tensor between them is packed: 64 x 8 elements in 256 bytes.
    EXPECT_EQ(s8.kernels[1].inputBytes, 256);
    const SimResult r2 = runAnalytical(stack, net("INT2"));
    ASSERT_EQ(r2.status, Status::Ok) << r2.reason;
    EXPECT_EQ(r2.layers[2].computeCycles, 64U * 8 * 4 * 1);
    // int4 weights reading int4 activations: no such kernel, named in the status.
    const SimResult r4 = runAnalytical(stack, net("INT4"));
    EXPECT_EQ(r4.status, Status::Unsupported);
    EXPECT_THAT(r4.reason, testing::HasSubstr("'c' (conv2d on int4 weights, int4 activations)"));
    // An op without weights is keyed by its activations alone.
    const Schedule pool =
        scheduleOf("layers { name: \"p\" conv2d { out_channels: 8 window { kernel: [1, 1] } } "
                   "output_dtype: INT4 }\n"
                   "layers { name: \"m\" max_pool { window { kernel: [2, 2] stride: [2] } } "
                   "output_dtype: INT2 }\n");
    const SimResult rp = runAnalytical(stack, pool);
    ASSERT_EQ(rp.status, Status::Ok) << rp.reason;
    EXPECT_EQ(rp.layers[2].computeCycles, 64U * 8 * 3);
    const Schedule pool2 = scheduleOf(
        "layers { name: \"m\" max_pool { window { kernel: [2, 2] stride: [2] } } output_dtype: "
        "INT2 }\nlayers { name: \"n\" max_pool { window { kernel: [2, 2] stride: [2] } } }\n");
    const SimResult rn = runAnalytical(stack, pool2);
    EXPECT_EQ(rn.status, Status::Unsupported);
    EXPECT_THAT(rn.reason, testing::HasSubstr("'n' (max_pool on int2 activations)"));
    // A wider input than the output needs a kernel of the input's type (the stack has no
    // int16 one), whatever the types before it.
    const SimResult r16 = runAnalytical(
        stack, scheduleOf("layers { name: \"p\" conv2d { out_channels: 8 window { kernel: [1, 1] "
                          "} } output_dtype: INT4 }\n"
                          "layers { name: \"q\" conv2d { out_channels: 8 window { kernel: [1, 1] "
                          "} } output_dtype: INT16 }\n"
                          "layers { name: \"c\" conv2d { out_channels: 4 window { kernel: [1, 1] "
                          "} } }\n"));
    EXPECT_EQ(r16.status, Status::Unsupported);
    EXPECT_THAT(r16.reason, testing::HasSubstr("'c' (conv2d on int16)"));
}

TEST(KernelSelectionTest, AJoinOfSubByteTensorsRunsAtTheWidestAndReadsEachPacked) {
    const auto joined = [](const char* a, const char* b) {
        return scheduleOf(std::string("layers { name: \"a\" conv2d { out_channels: 8 window { "
                                      "kernel: [1, 1] } } output_dtype: ") +
                          a +
                          " }\n"
                          "layers { name: \"b\" inputs: \"x\" conv2d { out_channels: 8 window { "
                          "kernel: [1, 1] } } output_dtype: " +
                          b + " }\nlayers { name: \"s\" inputs: [\"a\", \"b\"] add {} }\n");
    };
    // int2 + int4: an int4 add; its inputs are 128 and 256 bytes.
    const Schedule mixed = joined("INT2", "INT4");
    ASSERT_EQ(mixed.kernels.size(), 3U);
    EXPECT_EQ(mixed.kernels[2].inputDtype, edgesim::workloads::DType::Int4);
    EXPECT_EQ(mixed.kernels[2].dtype, edgesim::workloads::DType::Int4);
    EXPECT_EQ(mixed.kernels[2].inputBytes, 128 + 256);
    // int2 + int8: the network's int8, an int8 kernel.
    const Schedule wide = joined("INT2", "INT8");
    EXPECT_EQ(wide.kernels[2].inputDtype, edgesim::workloads::DType::Int8);
    EXPECT_EQ(wide.kernels[2].dtype, edgesim::workloads::DType::Int8);
    auto stack = parseStack(kMixedStack + "kernels { op: \"add\" activation_dtype: \"int4\" "
                                          "cycles_per_input: 1 overhead_cycles: 0 "
                                          "cycles_per_output: 0 }\n");
    const SimResult r = runAnalytical(stack, mixed);
    ASSERT_EQ(r.status, Status::Ok) << r.reason;
    EXPECT_EQ(r.layers[3].computeCycles, 2U * 64 * 8);
}

TEST(KernelSelectionTest, ActivationTypesOfKernelsAreChecked) {
    EXPECT_THAT(stackErrors("name: \"s\"\nkernels { op: \"conv2d\" activation_dtype: \"int16\" }"),
                testing::ElementsAre(testing::HasSubstr("activation_dtype: unknown activation "
                                                        "type 'int16'")));
    EXPECT_THAT(
        stackErrors("name: \"s\"\nkernels { op: \"conv2d\" activation_dtype: \"int4\" }\n"
                    "kernels { op: \"conv2d\" dtype: \"int8\" activation_dtype: \"int4\" }"),
        testing::ElementsAre(testing::HasSubstr("duplicate kernel for op 'conv2d' "
                                                "(int8/int4)")));
    // int8 activations are the default: the same key as none.
    EXPECT_THAT(stackErrors("name: \"s\"\nkernels { op: \"conv2d\" activation_dtype: \"int8\" }\n"
                            "kernels { op: \"conv2d\" }"),
                testing::ElementsAre(testing::HasSubstr("duplicate kernel")));
}
