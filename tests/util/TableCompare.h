// Compares tables read back from results files: equal cells, NaN equal to NaN (a metric not
// produced in both).
#pragma once

#include "explorer/results/ResultsFile.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

namespace edgesim::test {

inline bool sameRows(const explorer::Table& a, const explorer::Table& b) {
    if (a.rows.size() != b.rows.size()) {
        return false;
    }
    for (std::size_t r = 0; r < a.rows.size(); ++r) {
        if (a.rows[r].size() != b.rows[r].size()) {
            return false;
        }
        for (std::size_t c = 0; c < a.rows[r].size(); ++c) {
            const auto* x = std::get_if<double>(&a.rows[r][c]);
            const auto* y = std::get_if<double>(&b.rows[r][c]);
            const bool bothNaN = x != nullptr && y != nullptr && std::isnan(*x) && std::isnan(*y);
            if (!bothNaN && a.rows[r][c] != b.rows[r][c]) {
                return false;
            }
        }
    }
    return true;
}

/// Checks /layer_memory of the results file `path` against its /layers: every layer of /layers
/// has a row per memory, and the bytes moved (read + written) and DMA bytes of each layer's
/// memories, summed per memory kind, equal the layer's bytes_<level> and dma_bytes_<level>.
/// Returns the first disagreement, or "" when they agree.
inline std::string layerMemoryMismatch(const std::string& path) {
    const explorer::Table layers = explorer::readTable(path, "layers");
    const explorer::Table memory = explorer::readTable(path, "layer_memory");
    const auto col = [](const explorer::Table& t, const char* name) {
        return static_cast<std::size_t>(t.column(name));
    };
    const auto level = [](const std::string& kind) -> std::string {
        if (kind == "FLASH")
            return "flash";
        if (kind == "TCM")
            return "tcm";
        if (kind == "EXTERNAL_RAM" || kind == "EXTERNAL_FLASH")
            return "external";
        return "sram";
    };
    using Key = std::tuple<int64_t, int64_t, std::string>; // run, layer, level
    std::map<Key, int64_t> moved, dma;
    std::map<int64_t, std::map<int64_t, int>> memoriesOf; // run -> layer -> rows
    for (const auto& r : memory.rows) {
        const int64_t run = std::get<int64_t>(r[col(memory, "run_id")]);
        const int64_t layer = std::get<int64_t>(r[col(memory, "layer_index")]);
        const std::string lv = level(std::get<std::string>(r[col(memory, "kind")]));
        moved[{run, layer, lv}] += std::get<int64_t>(r[col(memory, "bytes_read")]) +
                                   std::get<int64_t>(r[col(memory, "bytes_written")]);
        dma[{run, layer, lv}] += std::get<int64_t>(r[col(memory, "dma_bytes")]);
        ++memoriesOf[run][layer];
    }
    std::size_t expectedRows = 0;
    for (const auto& r : layers.rows) {
        const int64_t run = std::get<int64_t>(r[col(layers, "run_id")]);
        const int64_t layer = std::get<int64_t>(r[col(layers, "layer_index")]);
        const int count = memoriesOf[run][layer];
        if (count == 0 || count != memoriesOf[run].begin()->second) {
            return fmt::format("run {} layer {}: {} /layer_memory rows", run, layer, count);
        }
        expectedRows += static_cast<std::size_t>(count);
        for (const char* lv : {"flash", "sram", "tcm", "external"}) {
            const auto bytes =
                std::get<int64_t>(r[col(layers, ("bytes_" + std::string(lv)).c_str())]);
            const auto viaDma =
                std::get<int64_t>(r[col(layers, ("dma_bytes_" + std::string(lv)).c_str())]);
            const Key k{run, layer, lv};
            if (moved[k] != bytes || dma[k] != viaDma) {
                return fmt::format("run {} layer {} {}: /layer_memory {} B ({} by DMA), /layers "
                                   "{} B ({} by DMA)",
                                   run, layer, lv, moved[k], dma[k], bytes, viaDma);
            }
        }
    }
    if (expectedRows != memory.rows.size()) {
        return fmt::format("/layer_memory has {} rows, /layers' layers need {}", memory.rows.size(),
                           expectedRows);
    }
    return "";
}

} // namespace edgesim::test
