#include "explorer/session/Predictor.h"

#include "common/Diagnostics.h"
#include "workloads/graph/Quantize.h"

#include <fmt/format.h>

namespace edgesim::explorer {

Query queryFor(const analysis::Measurement& m, sim::Fidelity fidelity,
               const std::vector<Override>& overrides, const std::string& file,
               const std::string& quantize) {
    Query q;
    q.quantize = quantize;
    q.network = m.network;
    q.strategy = m.strategy;
    q.platform = m.platform;
    q.stack = m.stack;
    q.overrides = overrides;
    q.fidelity = fidelity;
    if (m.clockMhz) {
        q.operatingPoint.clockHz = *m.clockMhz * 1e6;
    }
    q.operatingPoint.voltageV = m.voltageV;
    q.operatingPoint.clockField = "clock_mhz";
    q.operatingPoint.voltageField = "voltage_v";
    q.source = fmt::format("{}:{}", file, m.line);
    q.platformField = "platform";
    q.stackField = "stack";
    q.networkField = "network";
    q.strategyField = "strategy";
    return q;
}

std::optional<double> metricOf(const sim::SimResult& r, const analysis::Measurement& m,
                               std::string& why) {
    using analysis::Metric;
    if (!sim::ran(r.status)) {
        why = std::string(sim::toString(r.status)) + ": " + r.reason;
        return std::nullopt;
    }
    switch (m.metric) {
    case Metric::Latency:
        return m.siUnit == "cycles" ? static_cast<double>(r.latencyCycles) : r.latencyS;
    case Metric::Energy: return r.energyJ;
    case Metric::PeakMemory: return static_cast<double>(r.peakRamBytes);
    case Metric::Macs: return static_cast<double>(r.macs);
    case Metric::Traffic: {
        double bytes = 0;
        for (const int64_t b : r.bytesMoved()) {
            bytes += static_cast<double>(b);
        }
        return bytes;
    }
    }
    return std::nullopt;
}

MeasurementPredictor::MeasurementPredictor(Session& session, sim::Fidelity fidelity,
                                           std::string file, std::vector<Override> overrides,
                                           std::string quantize)
    : session_(session), fidelity_(fidelity), file_(std::move(file)),
      overrides_(std::move(overrides)), quantize_(std::move(quantize)) {
    workloads::loadQuantizePlan(quantize_, "<command line>", "--quantize");
}

std::string MeasurementPredictor::keyOf(const analysis::Measurement& m) const {
    return fmt::format("{}|{}|{}|{}|{}|{}", m.platform, m.stack, m.network, m.strategy,
                       m.clockMhz ? fmt::format("{:a}", *m.clockMhz) : "-",
                       m.voltageV ? fmt::format("{:a}", *m.voltageV) : "-");
}

void MeasurementPredictor::prepare(const std::vector<analysis::Measurement>& rows) {
    for (const auto& m : rows) {
        const std::string key = keyOf(m);
        if (invalid_.count(key) != 0) {
            continue;
        }
        const Query q = queryFor(m, fidelity_, overrides_, file_, quantize_);
        // Names, configs, network, overrides, pair, operating point: nothing simulated.
        std::optional<Diagnostic> d;
        try {
            d = session_.problem(q);
        } catch (const InputError& e) {
            d = e.diagnostics().front();
        }
        if (!d) {
            continue;
        }
        if (!overrides_.empty() && d->file == overrides_.front().source &&
            d->field == overrides_.front().field) {
            throw InputError({*d}); // a bad --set concerns every row: bad input of the command
        }
        // A problem in another file (an ONNX model, a config) names that file; one in the row
        // itself is already placed by the row's file:line.
        const bool inRow = d->file.empty() || d->file == q.source || d->file == file_;
        invalid_[key] = inRow ? d->fieldAndReason() : d->format();
    }
}

std::optional<std::string> MeasurementPredictor::problem(const analysis::Measurement& m) const {
    const auto bad = invalid_.find(keyOf(m));
    return bad == invalid_.end() ? std::nullopt : std::optional<std::string>(bad->second);
}

std::optional<double> MeasurementPredictor::predict(const analysis::Measurement& m,
                                                    std::string& why) {
    const std::string key = keyOf(m);
    if (const auto bad = invalid_.find(key); bad != invalid_.end()) {
        why = bad->second;
        return std::nullopt;
    }
    auto it = results_.find(key);
    if (it == results_.end()) {
        it = results_
                 .emplace(key,
                          session_.run(queryFor(m, fidelity_, overrides_, file_, quantize_)).result)
                 .first;
    }
    return metricOf(it->second, m, why);
}

} // namespace edgesim::explorer
