// The one query every front end asks (DESIGN.md §1): network x strategy x platform x stack x
// parameter overrides x operating point x mapping x fidelity x seed -> SimResult. `simulate`,
// `validate`, `calibrate`, `sweep` and the Python binding all build Queries and run them
// through a Session, which also gives each query its content hash.
#pragma once

#include "common/Diagnostics.h"
#include "platforms/spec/platform.pb.h"
#include "platforms/spec/stack.pb.h"
#include "sim/SimResult.h"
#include "sim/mapping/MappingRequest.h"
#include "sim/model/OperatingPoint.h"

#include <cstdint>
#include <string>
#include <vector>

namespace edgesim::explorer {

/// One parameter override: `platform.<path>=<value>` or `stack.<path>=<value>`, the path in
/// proto field names with common/ProtoPath.h selectors ("memories[name=l2].size_bytes").
struct Override {
    enum class Target { Platform, Stack };
    Target target = Target::Platform;
    std::string path;  ///< below the spec: "memories[name=l2].size_bytes"
    std::string value; ///< as written: "262144", "WEIGHT_STATIONARY", "exhaustive"
    /// Where it was written, for errors: the file ("<command line>" for --set), its line (0
    /// when unknown) and the field that holds it ("--set", "parameters[2]").
    std::string source = "<command line>";
    int line = 0;
    std::string field = "--set";

    /// "platform.memories[name=l2].size_bytes=262144".
    std::string text() const;
    /// "platform.memories[name=l2].size_bytes".
    std::string fullPath() const;
};

/// Parses "platform.PATH=VALUE" or "stack.PATH=VALUE" (the '=' that separates the value is
/// the first one outside brackets). Throws InputError(source, field, reason) when the text has
/// no such shape. The path itself is checked when the override is applied.
Override parseOverride(const std::string& text, const std::string& source = "<command line>",
                       const std::string& field = "--set", int line = 0);

/// Applies `overrides` in order (each to the platform or the stack spec), then validates the
/// changed specs as config files are validated (platforms/PlatformCatalog.h); specs without
/// overrides are not revalidated. A path that selects nothing or a value of the wrong type
/// throws InputError naming the override's source, line and field. A changed spec that fails
/// validation is returned as problems (not thrown: a sweep point whose values are each valid
/// but invalid together is a row, not an error), each naming the override(s) that changed the
/// spec, the spec's field and the reason.
/// `changes`, when given, receives per spec ([0] platform, [1] stack) one line per field the
/// overrides changed, "<concrete field path>=<value as read back>", in the order first
/// touched: what the overrides did, whatever selectors and number formats they were written
/// with (a field set to the value it had is no change).
std::vector<Diagnostic> applyOverrides(const std::vector<Override>& overrides,
                                       platforms::spec::PlatformSpec& platform,
                                       platforms::spec::StackSpec& stack,
                                       std::string (*changes)[2] = nullptr);

struct Query {
    std::string network; ///< built-in name ("mlperf_tiny/kws") or a .textproto/.onnx path
    std::string strategy = "inference";
    /// The strategy's parameters as "key=value" (Strategy.h: StrategyParameter); every
    /// parameter not given takes its default.
    std::vector<std::string> strategyParams;
    int batch = 1;
    std::string platform;            ///< config name or .textproto path
    std::string stack;               ///< config name or .textproto path
    std::vector<Override> overrides; ///< applied in order
    sim::OperatingPointOverride operatingPoint;
    sim::MappingRequest mapping;
    sim::Fidelity fidelity = sim::Fidelity::Tlm;
    uint64_t seed = 0; ///< recorded; no model draws random numbers yet
    /// Names the origin of the query's own fields in errors ("<command line>", a study file).
    std::string source = "<command line>";
    /// How errors name the query's fields (CLI options or study fields).
    std::string platformField = "--platform";
    std::string stackField = "--stack";
    std::string networkField = "--network";
    std::string strategyField = "--strategy";
    std::string strategyParamsField = "--strategy-param";
    std::string batchField = "--batch";
    /// Deployment precision (`--quantize`): "int8", "int8-weights-only", "none", or a
    /// precision .textproto; empty = the stack's default_precision, else as stored.
    std::string quantize;
    std::string quantizeField = "--quantize";
};

/// A query's outcome: the simulation result (status ok, does_not_fit or unsupported) and
/// the content hash of everything it depends on.
struct QueryResult {
    sim::SimResult result;
    std::string configSha256;
};

} // namespace edgesim::explorer
