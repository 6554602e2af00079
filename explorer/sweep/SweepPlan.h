// A study expanded against the configs: the platform/stack pairs it runs (a stack that does
// not target a platform skips the pair), the operating points of each, the parameter axes, the
// sampled points, and the columns of /sweep. Everything that does not depend on a combination
// of values is checked here, before anything runs or any file is written: names, parameter
// paths on every platform or stack of the study, and every axis value alone. Deterministic:
// every worker process and MPI rank builds the same plan from the same study.
#pragma once

#include "explorer/results/ResultsFile.h"
#include "explorer/session/Query.h"
#include "explorer/session/Session.h"
#include "explorer/sweep/Sampler.h"
#include "explorer/sweep/Study.h"
#include "workloads/strategy/Strategy.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace edgesim::explorer {

/// The `quantize` value of a study that runs each stack's default_precision (also the
/// /sweep label of those points).
inline constexpr const char* kStackDefaultPrecision = "default";

/// The status of a point whose values are each valid but not together.
inline constexpr const char* kInvalidStatus = "invalid";

/// What became of one point.
struct PointOutcome {
    /// ok, does_not_fit, unsupported (the simulation's status), or invalid: values that are
    /// each valid but not together (e.g. an L1 smaller than an engine's reserved bytes), or an
    /// operating point the overridden platform cannot run.
    std::string status;
    std::string reason;
    const sim::SimResult* result = nullptr; ///< null for an invalid point
    std::string configSha256;               ///< empty for an invalid point
};

/// The unit a platform or stack field's name declares: "size_bytes" -> "B", a rate
/// "<quantity>_per_<denominator>" -> "<unit>/<unit>" ("read_bytes_per_s" -> "B/s"); "" for none.
std::string unitOfField(const std::string& path);

class SweepPlan {
public:
    /// Expands `study`, loading configs and networks through `session`. Throws InputError
    /// listing every problem with the study's file, line and field.
    SweepPlan(const Study& study, Session& session);

    const Study& study() const { return *study_; }
    /// Number of points.
    int64_t size() const { return static_cast<int64_t>(points_.size()); }
    /// Platform/stack pairs the study names that cannot work together (skipped), with why.
    const std::vector<std::pair<std::string, std::string>>& skippedPairs() const {
        return skipped_;
    }
    /// The query of point `index`.
    Query query(int64_t index) const;
    /// The columns of /sweep: point_index, the axes (platform, stack, network, strategy,
    /// batch, quantize, operating_point, then one per parameter), status and reason, the metrics,
    /// bytes_<memory> for every memory of the study's platforms, clock_hz, voltage_v,
    /// mapping, config_sha256, sim_wall_s.
    const std::vector<ColumnDef>& columns() const { return columns_; }
    /// The /sweep row of point `index`; metrics not produced are NaN.
    TableRow row(int64_t index, const PointOutcome& outcome) const;
    /// The /runs row of point `index` (run_id = index), for sweeps that record layers.
    RunRow runRow(int64_t index, const PointOutcome& outcome) const;
    /// What the sampler and the study's axes are, for the root attributes of the file.
    std::string samplerName() const { return sampler_; }
    /// The SHA-256 of every config, network and mapping file the study's points read (as the
    /// session has them): when a resumed file's is the same, its points need no re-check.
    std::string inputsSha256(Session& session) const;

private:
    struct Target {
        std::string platform;
        std::string stack;
        sim::OperatingPointOverride op;
        std::string opLabel; ///< the point's name, "custom" for a clock/supply
    };
    /// One field an axis sets: the axis's own (whose path may be empty when its labels only
    /// name levels) or a linked one.
    struct Field {
        enum class Kind { Number, Integer, Label };
        std::string column;
        Kind kind = Kind::Number;
        bool operatingPoint = false; ///< operating_point.clock_hz / voltage_v
        bool clock = false;          ///< which of the two
        Override::Target target = Override::Target::Platform;
        std::string path;            ///< below platform./stack.; empty: names levels only
        std::vector<double> numbers; ///< per level (values, or a range's steps)
        std::vector<std::string> labels;
    };
    struct Axis {
        int index = 0;             ///< in study.parameters
        int line = 0;              ///< where it is written
        std::string field;         ///< "parameters[<index>]", as errors name it
        std::vector<Field> fields; ///< the axis's own first, then the linked ones
        bool continuous = false;   ///< a range without steps (one field then)
        double min = 0, max = 0;
        bool log = false;
        int64_t levels() const;
    };
    /// The override setting field `f` of axis `a` to `value`, named as the axis.
    Override overrideOf(const Axis& a, const Field& f, std::string value) const;
    /// The value of `f` (a field of axis `a`) at sampler coordinate `x`.
    double numberAt(const Axis& a, const Field& f, double x) const;
    std::string textOf(const Axis& a, const Field& f, double x) const;
    Cell cellOf(const Axis& a, const Field& f, double x) const;
    /// Reads an axis (or linked field) spec and the kind of its config field; false (with
    /// the problem reported) when its path does not resolve.
    bool makeField(const std::string& path, const std::string& column,
                   const google::protobuf::RepeatedField<double>& values,
                   const google::protobuf::RepeatedPtrField<std::string>& labels,
                   const std::string& firstConfig, Session& session, const FieldCursor& at,
                   const google::protobuf::Message& spec, Field& field);
    void check(Session& session, Diagnostics& diags);
    /// The /sweep label of a precision ("default" for the stack's).
    static std::string precisionLabel(const std::string& precision);
    std::vector<std::string> precisionLabels() const;

    const Study* study_;
    std::string sampler_;
    std::vector<Override> set_;                      ///< the study's `set`, applied to every point
    std::vector<std::string> strategies_;            ///< the study's, or inference
    std::vector<workloads::StrategyChoice> choices_; ///< strategies_ parsed: name, parameters
    /// A strategy other than inference: /sweep gets the training and dynamic columns.
    bool beyondInference_ = false;
    /// An axis sets the clock or the supply: every point runs a "custom" operating point (as
    /// the simulator names one that is not a platform's named point).
    bool operatingPointAxis_ = false;
    static constexpr const char* kCustomPoint = sim::kCustomOperatingPoint;
    std::vector<int> batches_;            ///< the study's, or 1
    std::vector<std::string> precisions_; ///< the study's quantize, "" = the stack's default
    std::vector<Target> targets_;
    std::vector<Axis> axes_;
    std::vector<SamplePoint> points_; ///< [target, axes..., network, strategy, batch, precision]
    std::vector<std::string> memories_;
    std::vector<ColumnDef> columns_;
    std::vector<std::pair<std::string, std::string>> skipped_;
};

} // namespace edgesim::explorer
