// Predictions of silicon measurement rows (`validate`, `calibrate`) as Session queries: the
// query a row describes, the value of its metric in a result, and a predictor that looks
// every name up before anything is simulated and caches results per query hash.
#pragma once

#include "analysis/Measurements.h"
#include "explorer/session/Session.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgesim::explorer {

/// The query row `m` describes (its platform, stack, network, strategy and operating point)
/// at `fidelity`, with `overrides` and the deployment precision `quantize` (a --quantize
/// value; empty = each stack's default); `file` is the measurements file (for errors).
Query queryFor(const analysis::Measurement& m, sim::Fidelity fidelity,
               const std::vector<Override>& overrides, const std::string& file,
               const std::string& quantize = "");

/// The value of `m`'s metric in `result` in m's SI unit; nullopt with the reason in `why` when
/// the result has none (status not ok).
std::optional<double> metricOf(const sim::SimResult& result, const analysis::Measurement& m,
                               std::string& why);

/// Predicts measurement rows through a Session. A row that names something unknown, cannot
/// run at its operating point or does not fit is not predicted (nullopt and why). Bad input
/// is found without exceptions once anything has been simulated (an exception thrown after
/// SystemC switched coroutine stacks upsets AddressSanitizer, google/sanitizers#189): call
/// prepare() with every row first.
class MeasurementPredictor {
public:
    /// Throws InputError naming --quantize when `quantize` is not a scheme or a valid
    /// precision file (it applies to every row: bad input of the command).
    MeasurementPredictor(Session& session, sim::Fidelity fidelity, std::string file,
                         std::vector<Override> overrides = {}, std::string quantize = "");
    /// Loads every config and network the rows name and checks each row's query, remembering
    /// why a row cannot run. Throws InputError only for a bad override (it applies to all).
    void prepare(const std::vector<analysis::Measurement>& rows);
    std::optional<double> predict(const analysis::Measurement& m, std::string& why);
    /// Why prepare() found the row cannot run (an unknown name, a clock the board cannot run,
    /// a network that does not load), or nullopt; simulates nothing.
    std::optional<std::string> problem(const analysis::Measurement& m) const;
    /// Forgets cached results (the session's specs changed).
    void clear() { results_.clear(); }

private:
    std::string keyOf(const analysis::Measurement& m) const;
    Session& session_;
    sim::Fidelity fidelity_;
    std::string file_;
    std::vector<Override> overrides_;
    std::string quantize_;
    std::map<std::string, std::string> invalid_; ///< row key -> why it cannot run
    std::map<std::string, sim::SimResult> results_;
};

} // namespace edgesim::explorer
