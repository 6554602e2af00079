#include "explorer/sweep/SweepPlan.h"

#include "common/Diagnostics.h"
#include "common/Hash.h"
#include "common/ProtoPath.h"
#include "common/TextProto.h"
#include "explorer/results/RunRecords.h"
#include "platforms/PlatformCatalog.h"
#include "sim/model/Program.h"
#include "workloads/graph/Quantize.h"
#include "workloads/strategy/Strategy.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

namespace edgesim::explorer {

namespace {

namespace pb = google::protobuf;

/// Most points a study may expand to (a grid over many axes grows fast).
constexpr int64_t kMaxPoints = 100'000'000;

/// The study's strategies (inference when it names none).
std::vector<std::string> strategiesOf(const spec::StudySpec& s) {
    std::vector<std::string> out(s.strategies().begin(), s.strategies().end());
    if (out.empty()) {
        out.push_back("inference");
    }
    return out;
}

/// The study's batch sizes (1 when it names none).
std::vector<int> batchesOf(const spec::StudySpec& s) {
    std::vector<int> out(s.batch_sizes().begin(), s.batch_sizes().end());
    if (out.empty()) {
        out.push_back(1);
    }
    return out;
}

/// The study's deployment precisions ("" = each stack's default when it names none).
std::vector<std::string> precisionsOf(const spec::StudySpec& s) {
    std::vector<std::string> out;
    for (const auto& q : s.quantize()) {
        out.push_back(q == kStackDefaultPrecision ? std::string() : q);
    }
    if (out.empty()) {
        out.emplace_back();
    }
    return out;
}

/// The reason of the first diagnostic of an InputError (with its field when set).
std::string reasonOf(const InputError& e) {
    if (e.diagnostics().empty()) {
        return e.what();
    }
    const Diagnostic& d = e.diagnostics().front();
    return d.fieldAndReason();
}

/// The unit a name without "_per_" ends in ("size_bytes" -> "B", "cycles" -> "cycles"), "".
std::string unitOfName(const std::string& name) {
    static const std::vector<std::pair<std::string, std::string>> kSuffixes = {
        {"_bytes", "B"},       {"_mhz", "MHz"},  {"_ua", "uA"}, {"_hz", "Hz"},
        {"_cycles", "cycles"}, {"_bits", "bit"}, {"_pj", "pJ"}, {"_pf", "pF"},
        {"_w", "W"},           {"_j", "J"},      {"_s", "s"},   {"_v", "V"}};
    for (const auto& [suffix, unit] : kSuffixes) {
        if (name == suffix.substr(1) ||
            (name.size() > suffix.size() &&
             name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)) {
            return unit;
        }
    }
    return "";
}

std::string numberText(double v, bool integer) {
    return integer ? fmt::format("{}", std::llround(v)) : fmt::format("{}", v);
}

} // namespace

/// The unit a platform or stack field's name declares: "size_bytes" -> "B", a rate
/// "<quantity>_per_<denominator>" -> "<unit>/<unit>" ("read_bytes_per_s" -> "B/s",
/// "run_current_ua_per_mhz" -> "uA/MHz", "cycles_per_mac" -> "cycles/MAC"); "" for none.
std::string unitOfField(const std::string& path) {
    const std::string name = path.substr(path.find_last_of('.') + 1);
    constexpr std::string_view kPer = "_per_";
    const std::size_t per = name.rfind(kPer);
    if (per == std::string::npos) {
        return unitOfName(name);
    }
    const std::string quantity = name.substr(0, per);
    const std::string denominator = name.substr(per + kPer.size());
    static const std::map<std::string, std::string> kDenominators = {
        {"byte", "B"}, {"s", "s"}, {"hz", "Hz"}, {"mhz", "MHz"}, {"mac", "MAC"}};
    std::string unit = unitOfName(quantity);
    if (unit.empty()) { // a count: "weight_loads" -> "loads", "max_tiles" -> "tiles"
        unit = quantity.substr(quantity.find_last_of('_') + 1);
    }
    const auto d = kDenominators.find(denominator);
    return unit + "/" + (d == kDenominators.end() ? denominator : d->second);
}

int64_t SweepPlan::Axis::levels() const {
    if (continuous) {
        return 0;
    }
    const Field& f = fields.front();
    return static_cast<int64_t>(f.kind == Field::Kind::Label ? f.labels.size() : f.numbers.size());
}

double SweepPlan::numberAt(const Axis& a, const Field& f, double x) const {
    double v = 0;
    if (!a.continuous) {
        v = f.numbers.at(static_cast<std::size_t>(x));
    } else if (a.log) {
        v = std::exp(std::log(a.min) + x * (std::log(a.max) - std::log(a.min)));
    } else {
        v = a.min + x * (a.max - a.min);
    }
    return f.kind == Field::Kind::Integer ? static_cast<double>(std::llround(v)) : v;
}

std::string SweepPlan::textOf(const Axis& a, const Field& f, double x) const {
    if (f.kind == Field::Kind::Label) {
        return f.labels.at(static_cast<std::size_t>(x));
    }
    return numberText(numberAt(a, f, x), f.kind == Field::Kind::Integer);
}

Cell SweepPlan::cellOf(const Axis& a, const Field& f, double x) const {
    if (f.kind == Field::Kind::Label) {
        return f.labels.at(static_cast<std::size_t>(x));
    }
    return numberAt(a, f, x);
}

bool SweepPlan::makeField(const std::string& path, const std::string& column,
                          const pb::RepeatedField<double>& values,
                          const pb::RepeatedPtrField<std::string>& labels,
                          const std::string& firstConfig, Session& session, const FieldCursor& at,
                          const pb::Message& spec, Field& f) {
    f.column = column.empty() ? path : column;
    f.numbers.assign(values.begin(), values.end());
    f.labels.assign(labels.begin(), labels.end());
    f.kind = f.labels.empty() ? Field::Kind::Number : Field::Kind::Label;
    if (path.empty()) {
        return true; // labels naming levels
    }
    f.operatingPoint = path.rfind(kOperatingPointPrefix, 0) == 0;
    if (f.operatingPoint) {
        f.clock = path == std::string(kOperatingPointPrefix) + "clock_hz";
        return true;
    }
    const bool onPlatform = path.rfind("platform.", 0) == 0;
    f.target = onPlatform ? Override::Target::Platform : Override::Target::Stack;
    f.path = path.substr(path.find('.') + 1);
    // The field's type, from the first config (the same proto field everywhere).
    try {
        const pb::Message& config =
            onPlatform ? static_cast<const pb::Message&>(session.platform(firstConfig))
                       : static_cast<const pb::Message&>(session.stack(firstConfig));
        const auto paths = resolveScalarPaths(config, f.path, study_->file);
        const pb::Message* m = &config;
        for (std::size_t k = 0; k + 1 < paths.front().size(); ++k) {
            const auto* fd = m->GetDescriptor()->FindFieldByName(paths.front()[k].first);
            m = paths.front()[k].second < 0
                    ? &m->GetReflection()->GetMessage(*m, fd)
                    : &m->GetReflection()->GetRepeatedMessage(*m, fd, paths.front()[k].second);
        }
        const auto* leaf = m->GetDescriptor()->FindFieldByName(paths.front().back().first);
        switch (leaf->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_INT32:
        case pb::FieldDescriptor::CPPTYPE_INT64:
        case pb::FieldDescriptor::CPPTYPE_UINT32:
        case pb::FieldDescriptor::CPPTYPE_UINT64:
            if (f.kind != Field::Kind::Label) {
                f.kind = Field::Kind::Integer;
            }
            break;
        case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        case pb::FieldDescriptor::CPPTYPE_FLOAT: break;
        case pb::FieldDescriptor::CPPTYPE_ENUM:
            if (f.kind != Field::Kind::Label) {
                f.kind = Field::Kind::Integer; // values: enum numbers, as --set takes them
            }
            break;
        default:
            if (f.kind != Field::Kind::Label) {
                const std::string type = leaf->cpp_type_name();
                at.error(spec, "path",
                         fmt::format("'{}' is {} {} field: give its values as labels", path,
                                     std::string("aeiou").find(type[0]) == std::string::npos ? "a"
                                                                                             : "an",
                                     type));
                return false;
            }
        }
    } catch (const InputError& e) {
        at.error(spec, "path", "on " + firstConfig + ": " + e.diagnostics().front().reason);
        return false;
    }
    if (f.kind == Field::Kind::Integer) {
        // Listed values are taken as written, as --set takes them: 1.5 for an integer field is
        // a mistake, not 2 (a range's steps and a sampler's draws are rounded).
        for (int i = 0; i < values.size(); ++i) {
            if (values[i] != std::round(values[i])) {
                at.error(spec, "values",
                         fmt::format("{} is not an integer, and '{}' is an integer field",
                                     values[i], path));
                return false;
            }
        }
    }
    return true;
}

SweepPlan::SweepPlan(const Study& study, Session& session) : study_(&study) {
    Diagnostics diags(study.file);
    check(session, diags);
    diags.throwIfAny();
}

void SweepPlan::check(Session& session, Diagnostics& diags) {
    const spec::StudySpec& s = study_->spec;
    const FieldCursor at(diags, study_->locations.get());
    strategies_ = strategiesOf(s);
    choices_.clear();
    for (const auto& text : strategies_) {
        choices_.push_back(workloads::parseStrategyChoice(text));
    }
    batches_ = batchesOf(s);
    precisions_ = precisionsOf(s);
    const auto fail = [&](const FieldCursor& c, const pb::Message& m, const char* field,
                          const std::string& reason,
                          int index = -1) { c.error(m, field, reason, index); };

    for (int i = 0; i < s.quantize_size(); ++i) {
        if (s.quantize(i) == kStackDefaultPrecision) {
            continue;
        }
        try {
            workloads::loadQuantizePlan(s.quantize(i), study_->file, "quantize");
        } catch (const InputError& e) {
            fail(at, s, "quantize", reasonOf(e), i);
        }
    }
    // Names: every platform, stack and network loads.
    for (const char* list : {"platforms", "stacks", "networks"}) {
        const auto* fd = s.GetDescriptor()->FindFieldByName(list);
        for (int i = 0; i < s.GetReflection()->FieldSize(s, fd); ++i) {
            const std::string name = s.GetReflection()->GetRepeatedString(s, fd, i);
            try {
                if (std::string(list) == "platforms") {
                    session.platform(name, list);
                } else if (std::string(list) == "stacks") {
                    session.stack(name, list);
                } else {
                    session.network(name, "inference", 1, list);
                }
            } catch (const InputError& e) {
                const Diagnostic& d = e.diagnostics().front();
                // A broken config or network file: its own file and line say more.
                if (d.file != "<command line>" && d.line > 0) {
                    for (const auto& item : e.diagnostics()) {
                        diags.add(item);
                    }
                } else {
                    // The file it names, when that is not the study's own text.
                    const bool other = d.file != "<command line>" && !d.file.empty();
                    fail(at, s, list, (other ? d.file + ": " : "") + d.reason, i);
                }
            }
        }
    }
    if (!diags.empty()) {
        return;
    }

    // The study's `set` overrides, applied to every point first.
    for (int i = 0; i < s.set_size(); ++i) {
        set_.push_back(parseOverride(s.set(i), study_->file, fmt::format("set[{}]", i),
                                     at.child(s, "set", i).line()));
    }

    // Pairs the stacks target, each with the study's overrides applied and checked.
    struct Pair {
        std::string platform, stack;
        platforms::spec::PlatformSpec platformSpec; ///< after the study's `set`
    };
    std::vector<Pair> pairs;
    for (const auto& p : s.platforms()) {
        for (const auto& st : s.stacks()) {
            const auto& platform = session.platform(p);
            const auto& stack = session.stack(st);
            std::string why = platforms::incompatibility(platform, stack);
            if (why.empty()) {
                try {
                    sim::checkDeployable(platform, stack);
                } catch (const InputError& e) {
                    why = reasonOf(e);
                }
            }
            if (!why.empty()) {
                skipped_.emplace_back(p + " / " + st, why);
                continue;
            }
            platforms::spec::PlatformSpec pspec = platform;
            platforms::spec::StackSpec sspec = stack;
            // A bad `set` entry is named with its own index and line.
            const auto report = [&](Diagnostic d) {
                d.reason = "on " + p + " / " + st + ": " + d.reason;
                diags.add(std::move(d));
            };
            // Each entry alone first (every bad path or value is reported), then all together.
            bool applies = true;
            for (const Override& o : set_) {
                platforms::spec::PlatformSpec p1 = platform;
                platforms::spec::StackSpec s1 = stack;
                try {
                    applyOverrides({o}, p1, s1);
                } catch (const InputError& e) {
                    report(e.diagnostics().front());
                    applies = false;
                }
            }
            if (applies) {
                const auto problems = applyOverrides(set_, pspec, sspec);
                for (const auto& d : problems) {
                    report(d);
                }
                if (problems.empty() && !set_.empty()) {
                    if (const std::string placement = sim::placementProblem(pspec, sspec);
                        !placement.empty()) {
                        report({study_->file, set_.front().line, 0, set_.front().field, placement});
                    }
                }
            }
            pairs.push_back({p, st, std::move(pspec)});
        }
    }
    if (pairs.empty()) {
        std::string why;
        for (const auto& [pair, reason] : skipped_) {
            why += "; " + reason;
        }
        fail(at, s, "stacks", "no stack of the study targets any of its platforms" + why);
        return;
    }

    // Operating points of each pair.
    const auto& ops = s.operating_points();
    const FieldCursor opsAt = at.child(s, "operating_points");
    for (const auto& pair : pairs) {
        const auto& platform = pair.platformSpec; // as the study's `set` leaves it
        std::vector<Target> mine;
        if (ops.all_named()) {
            for (const auto& op : platform.operating_points()) {
                Target t{pair.platform, pair.stack, {}, op.name()};
                t.op.name = op.name();
                mine.push_back(t);
            }
        }
        for (int j = 0; j < ops.points_size(); ++j) {
            const auto& v = ops.points(j);
            if (!v.platform().empty() && v.platform() != pair.platform) {
                continue;
            }
            Target t{pair.platform, pair.stack, {}, v.name().empty() ? kCustomPoint : v.name()};
            t.op.name = v.name();
            if (v.clock_hz() != 0) {
                t.op.clockHz = v.clock_hz();
            }
            if (v.voltage_v() != 0) {
                t.op.voltageV = v.voltage_v();
            }
            const std::string field = fmt::format("operating_points.points[{}]", j);
            t.op.nameField = field + ".name";
            t.op.clockField = field + ".clock_hz";
            t.op.voltageField = field + ".voltage_v";
            if (auto d = sim::checkOperatingPoint(platform, t.op, study_->file)) {
                opsAt.child(ops, "points", j).error("on " + pair.platform + ": " + d->reason);
                continue;
            }
            mine.push_back(t);
        }
        if (!ops.all_named() && ops.points_size() == 0) {
            sim::ResolvedOperatingPoint op;
            if (auto d = sim::checkOperatingPoint(platform, {}, study_->file, &op)) {
                // Only the study's `set` can make a platform's default point impossible.
                diags.add({study_->file, set_.empty() ? 0 : set_.front().line, 0,
                           set_.empty() ? "platforms" : set_.front().field,
                           "the default operating point of " + pair.platform + ": " + d->reason});
                continue;
            }
            mine.push_back({pair.platform, pair.stack, {}, op.name});
        }
        targets_.insert(targets_.end(), mine.begin(), mine.end());
    }

    // Parameter axes: each path on every platform or stack of the study, each level alone
    // (with its linked fields; a continuous range by its ends).
    for (int i = 0; i < s.parameters_size(); ++i) {
        const auto& p = s.parameters(i);
        const FieldCursor c = at.child(s, "parameters", i);
        Axis a;
        a.index = i;
        a.line = c.line();
        a.field = fmt::format("parameters[{}]", i);
        if (p.has_range()) {
            a.min = p.range().min();
            a.max = p.range().max();
            a.log = p.range().scale() == spec::LOG;
            a.continuous = p.range().steps() == 0;
        }
        const auto firstOf = [&](const std::string& path) {
            return path.rfind("platform.", 0) == 0 ? pairs.front().platform : pairs.front().stack;
        };
        Field own;
        bool ok = makeField(p.path(), p.column(), p.values(), p.labels(), firstOf(p.path()),
                            session, c, p, own);
        if (p.has_range()) {
            const int n = p.range().steps();
            for (int k = 0; k < n; ++k) {
                const double f = static_cast<double>(k) / (n - 1);
                own.numbers.push_back(
                    a.log ? std::exp(std::log(a.min) + f * (std::log(a.max) - std::log(a.min)))
                          : a.min + f * (a.max - a.min));
            }
        }
        a.fields.push_back(std::move(own));
        for (int l = 0; l < p.linked_size(); ++l) {
            const auto& lf = p.linked(l);
            Field f;
            ok = makeField(lf.path(), lf.column(), lf.values(), lf.labels(), firstOf(lf.path()),
                           session, c.child(p, "linked", l), lf, f) &&
                 ok;
            a.fields.push_back(std::move(f));
        }
        if (!ok) {
            continue;
        }
        // The values each point may take, checked a level at a time: every field of the level
        // together, on every config the axis touches (after the study's `set`).
        std::vector<std::pair<std::string, double>> levels; // (what, sampler coordinate)
        if (a.continuous) {
            levels = {{"range.min", 0.0}, {"range.max", 1.0}};
        } else if (p.has_range() && p.linked_size() == 0) {
            // A range's ends (its steps between are checked point by point as the sweep runs:
            // a grid of many steps would otherwise be checked twice).
            levels = {{"range.min", 0.0}, {"range.max", static_cast<double>(a.levels() - 1)}};
        } else {
            for (int64_t k = 0; k < a.levels(); ++k) {
                levels.emplace_back(fmt::format("level {}", k), static_cast<double>(k));
            }
        }
        const auto valueAt = [&](const Field& f, const std::pair<std::string, double>& level) {
            // A continuous range's ends exactly (the sampler's coordinates stay below 1).
            if (a.continuous) {
                return numberText(level.second == 0.0 ? a.min : a.max,
                                  f.kind == Field::Kind::Integer);
            }
            return textOf(a, f, level.second);
        };
        std::set<std::string> seen;
        bool bad = false;
        for (const auto& t : targets_) {
            if (bad || !seen.insert(t.platform + "\n" + t.stack).second) {
                continue;
            }
            for (const auto& level : levels) {
                platforms::spec::PlatformSpec pspec = session.platform(t.platform);
                platforms::spec::StackSpec sspec = session.stack(t.stack);
                std::vector<Override> all = set_;
                sim::OperatingPointOverride op = t.op;
                std::string what;
                for (const Field& f : a.fields) {
                    const std::string text = valueAt(f, level);
                    what += (what.empty() ? "" : ", ") + f.column + " = " + text;
                    if (f.operatingPoint) {
                        (f.clock ? op.clockHz : op.voltageV) = std::stod(text);
                        op.clockField = op.voltageField = a.field;
                    } else if (!f.path.empty()) {
                        all.push_back(overrideOf(a, f, text));
                    }
                }
                std::string why;
                try {
                    const auto problems = applyOverrides(all, pspec, sspec);
                    if (!problems.empty()) {
                        why = problems.front().reason;
                    } else if (auto d = sim::checkOperatingPoint(pspec, op, study_->file)) {
                        why = d->reason;
                    } else {
                        sim::checkDeployable(pspec, sspec);
                    }
                } catch (const InputError& e) {
                    why = e.diagnostics().front().reason;
                }
                if (!why.empty()) {
                    c.error(fmt::format("{} ({}) on {} / {}: {}", level.first, what, t.platform,
                                        t.stack, why));
                    bad = true;
                    break;
                }
            }
        }
        axes_.push_back(std::move(a));
    }

    // Every strategy variant lowers every network (exits past the last layer, a replay layer
    // inside a residual block, ... are bad input before anything runs or is written).
    if (diags.empty()) {
        for (std::size_t i = 0; i < strategies_.size() && s.strategies_size() > 0; ++i) {
            const workloads::StrategyChoice& c = choices_[i];
            try {
                for (const auto& n : s.networks()) {
                    for (const int batch : batches_) {
                        session.network(n, c.name, batch, "networks", "strategies", study_->file,
                                        "batch_sizes", "", "quantize", c.params, "strategies");
                    }
                }
            } catch (const InputError& e) {
                fail(at, s, "strategies", e.diagnostics().front().reason, static_cast<int>(i));
            }
        }
    }

    // The mapping every point asks for (validateStudy knows the mappers): a mapping file names
    // layers and engines, so it must load and fit every network on every platform (each as the
    // study's `set` leaves it), or a point would fail after others ran.
    if (diags.empty() && sim::isMappingFile(s.mapping())) {
        try {
            const platforms::spec::MappingSpec mapping = sim::loadMappingSpec(s.mapping());
            for (const auto& pair : pairs) {
                for (const auto& n : s.networks()) {
                    for (const auto& c : choices_) {
                        for (const int batch : batches_) {
                            for (const auto& precision : precisions_) {
                                const std::string& quantize =
                                    precision.empty()
                                        ? session.stack(pair.stack).default_precision()
                                        : precision;
                                const auto& schedule =
                                    session
                                        .network(n, c.name, batch, "networks", "strategies",
                                                 study_->file, "batch_sizes", quantize, "quantize",
                                                 c.params, "strategies")
                                        .schedule;
                                sim::resolveMapping(mapping, schedule, pair.platformSpec,
                                                    s.mapping());
                            }
                        }
                    }
                }
            }
        } catch (const InputError& e) {
            fail(at, s, "mapping", e.diagnostics().front().file + ": " + reasonOf(e));
        }
    }
    if (!diags.empty()) {
        return;
    }

    // Sample: dimensions [target, axes..., network, strategy, batch, precision], the last
    // fastest.
    std::vector<SampleDimension> dims;
    dims.push_back({static_cast<int64_t>(targets_.size())});
    for (const auto& a : axes_) {
        dims.push_back({a.levels()});
    }
    dims.push_back({s.networks_size()});
    dims.push_back({static_cast<int64_t>(strategies_.size())});
    dims.push_back({static_cast<int64_t>(batches_.size())});
    dims.push_back({static_cast<int64_t>(precisions_.size())});
    sampler_ = s.sampler().kind().empty() ? "grid" : s.sampler().kind();
    const auto sampler = makeSampler(sampler_);
    const FieldCursor samplerAt = at.child(s, "sampler");
    try {
        const int64_t n = sampler->pointCount(dims, s.sampler().points());
        if (n > kMaxPoints) {
            samplerAt.error(
                fmt::format("the study expands to {} points, more than {}", n, kMaxPoints));
            return;
        }
        points_ = sampler->sample(dims, s.sampler().points(), s.seed());
    } catch (const std::invalid_argument& e) {
        samplerAt.error(e.what());
        return;
    }
    if (points_.empty()) {
        at.error("the study expands to 0 points");
        return;
    }
    if (sampler->needsCount()) {
        // A drawn sample has no order of its own: run it grouped by target, then network,
        // strategy, batch and precision, as a grid runs, so consecutive points share a
        // simulator and a lowered network (the set of points, and so the file's rows, stays
        // what was drawn).
        const std::size_t tail = 1 + axes_.size();
        std::stable_sort(points_.begin(), points_.end(),
                         [tail](const SamplePoint& a, const SamplePoint& b) {
                             return std::tie(a[0], a[tail], a[tail + 1], a[tail + 2], a[tail + 3]) <
                                    std::tie(b[0], b[tail], b[tail + 1], b[tail + 2], b[tail + 3]);
                         });
    }

    // Columns: the axes, the outcome, the metrics.
    for (const auto& pair : pairs) {
        for (const auto& m : session.platform(pair.platform).memories()) {
            if (std::find(memories_.begin(), memories_.end(), m.name()) == memories_.end()) {
                memories_.push_back(m.name());
            }
        }
    }
    // Strings whose every value the study knows are fixed-length columns (the longest value's
    // bytes): cheaper to write and read than variable-length ones. Reasons and mappings vary.
    using K = ColumnKind;
    const auto fixed = [](const std::string& name, const auto& values) {
        std::size_t n = 1;
        for (const auto& v : values) {
            n = std::max(n, std::string_view(v).size());
        }
        return ColumnDef{name, K::String, "", n};
    };
    std::vector<std::string> opLabels;
    for (const auto& t : targets_) {
        opLabels.push_back(t.opLabel);
    }
    for (const auto& a : axes_) {
        for (const Field& f : a.fields) {
            operatingPointAxis_ = operatingPointAxis_ || f.operatingPoint;
        }
    }
    if (operatingPointAxis_) {
        opLabels.emplace_back(kCustomPoint);
    }
    const std::vector<std::string> statuses = {
        sim::toString(sim::Status::Ok), sim::toString(sim::Status::DoesNotFit),
        sim::toString(sim::Status::Unsupported), sim::toString(sim::Status::OverBudget),
        kInvalidStatus};
    columns_ = {{"point_index", K::Int, ""},          fixed("platform", s.platforms()),
                fixed("stack", s.stacks()),           fixed("network", s.networks()),
                fixed("strategy", strategies_),       {"batch", K::Int, "1"},
                fixed("quantize", precisionLabels()), fixed("operating_point", opLabels)};
    for (const auto& a : axes_) {
        for (const Field& f : a.fields) {
            if (f.kind == Field::Kind::Label) {
                columns_.push_back(fixed(f.column, f.labels));
                continue;
            }
            const std::string unit =
                f.operatingPoint ? (f.clock ? "Hz" : "V") : unitOfField(f.path);
            columns_.push_back({f.column, K::Double, unit});
        }
    }
    const std::vector<ColumnDef> outcome = {fixed("status", statuses),
                                            {"reason", K::String, ""},
                                            {"latency_cycles", K::Double, "cycles"},
                                            {"latency_s", K::Double, "s"},
                                            {"energy_j", K::Double, "J"},
                                            {"peak_ram_bytes", K::Double, "B"},
                                            {"flash_bytes", K::Double, "B"},
                                            {"macs", K::Double, "MAC"}};
    columns_.insert(columns_.end(), outcome.begin(), outcome.end());
    beyondInference_ = std::any_of(choices_.begin(), choices_.end(),
                                   [](const auto& c) { return c.name != "inference"; });
    if (beyondInference_) {
        // Training, continual and early-exit results (NaN where a point did not produce them).
        const std::vector<ColumnDef> extra = {
            {"latency_s_per_sample", K::Double, "s"}, {"energy_j_per_sample", K::Double, "J"},
            {"training_arena_bytes", K::Double, "B"}, {"accelerator_mac_share", K::Double, "1"},
            {"average_power_w", K::Double, "W"},      {"expected_latency_s", K::Double, "s"},
            {"expected_energy_j", K::Double, "J"}};
        columns_.insert(columns_.end(), extra.begin(), extra.end());
    }
    for (const auto& m : memories_) {
        columns_.push_back({"bytes_" + m, K::Double, "B"});
    }
    const std::vector<ColumnDef> tail = {{"clock_hz", K::Double, "Hz"},
                                         {"voltage_v", K::Double, "V"},
                                         {"mapping", K::String, ""},
                                         {"config_sha256", K::String, "", kSha256HexLength},
                                         {"sim_wall_s", K::Double, "s"}};
    columns_.insert(columns_.end(), tail.begin(), tail.end());
}

std::string SweepPlan::inputsSha256(Session& session) const {
    const spec::StudySpec& s = study_->spec;
    std::string all;
    for (const auto& p : s.platforms()) {
        all += "platform " + p + " " + session.platformSha256(p) + "\n";
    }
    for (const auto& st : s.stacks()) {
        all += "stack " + st + " " + session.stackSha256(st) + "\n";
    }
    for (const auto& n : s.networks()) {
        all += "network " + n + " " + session.network(n, "inference", 1).loaded.sha256 + "\n";
    }
    if (sim::isMappingFile(s.mapping())) {
        all += "mapping " + sha256Hex(readFile(s.mapping())) + "\n";
    }
    for (const auto& precision : precisions_) {
        if (!precision.empty()) {
            all += "quantize " +
                   workloads::loadQuantizePlan(precision, study_->file, "quantize").hashText() +
                   "\n";
        }
    }
    return sha256Hex(all);
}

std::string SweepPlan::precisionLabel(const std::string& precision) {
    return precision.empty() ? kStackDefaultPrecision : precision;
}

std::vector<std::string> SweepPlan::precisionLabels() const {
    std::vector<std::string> out;
    for (const auto& p : precisions_) {
        out.push_back(precisionLabel(p));
    }
    return out;
}

Override SweepPlan::overrideOf(const Axis& a, const Field& f, std::string value) const {
    Override o;
    o.target = f.target;
    o.path = f.path;
    o.value = std::move(value);
    o.source = study_->file;
    o.line = a.line;
    o.field = a.field;
    return o;
}

Query SweepPlan::query(int64_t index) const {
    const spec::StudySpec& s = study_->spec;
    const SamplePoint& p = points_.at(static_cast<std::size_t>(index));
    const Target& t = targets_.at(static_cast<std::size_t>(p[0]));
    const std::size_t tail = 1 + axes_.size();
    Query q;
    q.platform = t.platform;
    q.stack = t.stack;
    q.operatingPoint = t.op;
    q.network = s.networks(static_cast<int>(p[tail]));
    const workloads::StrategyChoice& choice = choices_.at(static_cast<std::size_t>(p[tail + 1]));
    q.strategy = choice.name;
    q.strategyParams = choice.params;
    q.strategyParamsField = "strategies";
    q.batch = batches_.at(static_cast<std::size_t>(p[tail + 2]));
    q.overrides = set_;
    for (std::size_t k = 0; k < axes_.size(); ++k) {
        const Axis& a = axes_[k];
        const double x = p[1 + k];
        for (const Field& f : a.fields) {
            if (f.operatingPoint) {
                (f.clock ? q.operatingPoint.clockHz : q.operatingPoint.voltageV) =
                    numberAt(a, f, x);
                q.operatingPoint.clockField = q.operatingPoint.voltageField = a.field;
            } else if (!f.path.empty()) {
                q.overrides.push_back(overrideOf(a, f, textOf(a, f, x)));
            }
        }
    }
    q.mapping.mapping = s.mapping();
    q.mapping.mappingField = "mapping";
    q.quantize = precisions_.at(static_cast<std::size_t>(p[tail + 3]));
    q.quantizeField = "quantize";
    q.fidelity = s.fidelity() == spec::ANALYTICAL ? sim::Fidelity::Analytical : sim::Fidelity::Tlm;
    q.seed = s.seed();
    q.source = study_->file;
    q.platformField = "platforms";
    q.stackField = "stacks";
    q.networkField = "networks";
    q.strategyField = "strategies";
    q.batchField = "batch_sizes";
    return q;
}

TableRow SweepPlan::row(int64_t index, const PointOutcome& o) const {
    const spec::StudySpec& s = study_->spec;
    const SamplePoint& p = points_.at(static_cast<std::size_t>(index));
    const Target& t = targets_.at(static_cast<std::size_t>(p[0]));
    const std::size_t tail = 1 + axes_.size();
    TableRow row = {index,
                    t.platform,
                    t.stack,
                    s.networks(static_cast<int>(p[tail])),
                    strategies_.at(static_cast<std::size_t>(p[tail + 1])),
                    static_cast<int64_t>(batches_.at(static_cast<std::size_t>(p[tail + 2]))),
                    precisionLabel(precisions_.at(static_cast<std::size_t>(p[tail + 3]))),
                    operatingPointAxis_ ? std::string(kCustomPoint) : t.opLabel};
    for (std::size_t k = 0; k < axes_.size(); ++k) {
        for (const Field& f : axes_[k].fields) {
            row.push_back(cellOf(axes_[k], f, p[1 + k]));
        }
    }
    const sim::SimResult* r = o.result;
    const RunMetrics m = metricsOf(r);
    row.insert(row.end(), {o.status, o.reason, m.latencyCycles, m.latencyS, m.energyJ,
                           m.peakRamBytes, m.flashBytes, m.macs});
    const bool timing = r != nullptr && hasTiming(r->status);
    if (beyondInference_) {
        const bool footprint = r != nullptr && hasFootprint(r->status);
        const auto* tr = r != nullptr && r->training ? &*r->training : nullptr;
        const auto* d = r != nullptr && r->dynamic ? &*r->dynamic : nullptr;
        const double macs = tr ? static_cast<double>(tr->hostMacs + tr->acceleratorMacs) : 0;
        row.push_back(tr && timing ? tr->latencySPerSample : kNotProduced);
        row.push_back(tr && timing ? tr->energyJPerSample : kNotProduced);
        row.push_back(tr && footprint ? static_cast<double>(tr->arenaBytes) : kNotProduced);
        row.push_back(tr && timing && macs > 0 ? static_cast<double>(tr->acceleratorMacs) / macs
                                               : kNotProduced);
        row.push_back(tr && timing && tr->periodS > 0 ? tr->averagePowerW : kNotProduced);
        row.push_back(d && timing ? d->expectedLatencyS : kNotProduced);
        row.push_back(d && timing ? d->expectedEnergyJ : kNotProduced);
    }
    const std::vector<int64_t> moved = timing ? r->bytesMoved() : std::vector<int64_t>{};
    for (const auto& name : memories_) {
        double bytes = kNotProduced;
        if (timing) {
            const auto it = std::find(r->memories.begin(), r->memories.end(), name);
            if (it != r->memories.end()) {
                bytes =
                    static_cast<double>(moved[static_cast<std::size_t>(it - r->memories.begin())]);
            }
        }
        row.push_back(bytes);
    }
    row.push_back(r != nullptr ? r->operatingPoint.clockHz : kNotProduced);
    row.push_back(r != nullptr ? r->operatingPoint.voltageV : kNotProduced);
    row.push_back(r != nullptr ? r->mapping : std::string());
    row.push_back(o.configSha256);
    row.push_back(r != nullptr ? r->hostSeconds : kNotProduced);
    return row;
}

RunRow SweepPlan::runRow(int64_t index, const PointOutcome& o) const {
    if (o.result != nullptr) {
        return explorer::runRow(RunRecord{o.result, o.configSha256, study_->spec.seed()}, index);
    }
    const Query q = query(index);
    const std::string op =
        operatingPointAxis_
            ? std::string(kCustomPoint)
            : targets_.at(static_cast<std::size_t>(points_.at(static_cast<std::size_t>(index))[0]))
                  .opLabel;
    return explorer::runRow(index, q.platform, q.stack, q.network, q.strategy, q.batch, q.fidelity,
                            op, o.status, o.reason, study_->spec.seed());
}

} // namespace edgesim::explorer
