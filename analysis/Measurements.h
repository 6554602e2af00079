// Silicon measurements (input of `validate` and `calibrate`), read from the CSV format of
// DESIGN.md §3: named columns in any order, values converted to SI units, extra columns kept.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace edgesim::analysis {

enum class Metric { Latency, Energy, PeakMemory, Macs, Traffic };

/// "latency", "energy", "peak_memory", "macs", "traffic".
std::string toString(Metric m);

struct Measurement {
    int line = 0;  ///< line in the CSV where the record starts
    std::string platform;
    std::string stack;
    std::string network;
    std::string strategy;
    Metric metric = Metric::Latency;
    double value = 0.0;      ///< in `siUnit`
    std::string siUnit;      ///< "s", "cycles", "J", "B" or "" (counts)
    std::string unit;        ///< as written
    double rawValue = 0.0;   ///< as written
    std::optional<double> clockMhz;
    std::optional<double> voltageV;
    std::string source;
    std::map<std::string, std::string> extra;  ///< columns the format does not define
};

/// Parses a measurements CSV. Every malformed row, unknown metric or unit, unit that does not
/// fit its metric and non-numeric value is reported with file, line and column name; throws
/// InputError listing all of them.
std::vector<Measurement> parseMeasurements(const std::string& text, const std::string& file);
std::vector<Measurement> loadMeasurements(const std::string& path);

} // namespace edgesim::analysis
