#include "explorer/sweep/SweepFile.h"

#include "common/Diagnostics.h"
#include "explorer/sweep/SweepWorker.h"

#include <fmt/format.h>

#include <chrono>

namespace edgesim::explorer {

SweepFile SweepFile::create(const std::string& path, const Provenance& provenance,
                            const Layout& layout) {
    writeResultsFile(path, provenance, [&layout](ResultsFile& file) {
        file.append("sweep", layout.columns, {});
        if (layout.layers) {
            file.appendRuns({});
            file.appendLayers({});
            file.appendLayerMemory({});
            file.appendEnergy({});
        }
    });
    return SweepFile(path, layout);
}

SweepFile SweepFile::resume(const std::string& path, const std::string& studySha256,
                            const std::string& version, const Layout& layout,
                            std::vector<std::string>& done, std::string& inputsSha256) {
    const auto attr = [&](const char* name) { return readStringAttribute(path, "/", name); };
    const auto study = attr("study_sha256");
    if (!study) {
        throw InputError(path, "--resume", "not a sweep results file (no study_sha256)");
    }
    if (*study != studySha256) {
        throw InputError(path, "--resume",
                         fmt::format("written by another study (study_sha256 {}, this study's "
                                     "is {}); give another --out, or --overwrite to replace it",
                                     study->substr(0, 12), studySha256.substr(0, 12)));
    }
    if (const auto v = attr("edgesim_version"); v != version) {
        throw InputError(path, "--resume",
                         fmt::format("written by edgesim {}, this is {}: its results would mix "
                                     "two models; --overwrite to start again",
                                     v.value_or("?"), version));
    }
    if (const auto l = attr("layers"); l != (layout.layers ? "1" : "0")) {
        throw InputError(path, "--resume",
                         std::string("written ") + (l == "1" ? "with" : "without") +
                             " --layers; resume it the same way");
    }
    inputsSha256 = attr("inputs_sha256").value_or("");
    const std::vector<ColumnDef> columns = readTableColumns(path, "sweep");
    if (columns.size() != layout.columns.size()) {
        throw InputError(path, "--resume", "its /sweep columns are not this study's");
    }
    for (std::size_t c = 0; c < columns.size(); ++c) {
        if (columns[c].name != layout.columns[c].name ||
            columns[c].kind != layout.columns[c].kind) {
            throw InputError(path, "--resume",
                             "its /sweep column " + columns[c].name + " is not this study's " +
                                 layout.columns[c].name);
        }
    }
    // The two columns resuming needs, not the whole table.
    Table sweep = readTable(path, "sweep", {"point_index", "config_sha256"});
    done.clear();
    done.reserve(sweep.rows.size());
    for (std::size_t r = 0; r < sweep.rows.size(); ++r) {
        if (std::get<int64_t>(sweep.rows[r][0]) != static_cast<int64_t>(r)) {
            throw InputError(path, "--resume", fmt::format("row {} is not point {}", r, r));
        }
        done.push_back(std::move(std::get<std::string>(sweep.rows[r][1])));
    }
    return SweepFile(path, layout);
}

void SweepFile::add(wire::Point&& point) {
    sweep_.push_back(fromWire(std::move(*point.mutable_sweep()), layout_.columns));
    if (layout_.layers) {
        runs_.push_back(fromWire(std::move(*point.mutable_run()), runColumns()));
        for (auto& l : *point.mutable_layers()) {
            layers_.push_back(fromWire(std::move(l), layerColumns()));
        }
        for (auto& m : *point.mutable_layer_memory()) {
            layerMemory_.push_back(fromWire(std::move(m), layerMemoryColumns()));
        }
        for (auto& e : *point.mutable_energy()) {
            energy_.push_back(fromWire(std::move(e), energyColumns()));
        }
    }
    ++pending_;
}

void SweepFile::commit() {
    if (pending_ == 0) {
        return;
    }
    const auto begin = std::chrono::steady_clock::now();
    updateResultsFile(path_, [this](ResultsFile& file) {
        file.append("sweep", layout_.columns, sweep_);
        if (layout_.layers) {
            file.append("runs", runColumns(), runs_);
            file.append("layers", layerColumns(), layers_);
            file.append("layer_memory", layerMemoryColumns(), layerMemory_);
            file.append("energy", energyColumns(), energy_);
        }
    });
    sweep_.clear();
    runs_.clear();
    layers_.clear();
    layerMemory_.clear();
    energy_.clear();
    pending_ = 0;
    lastCommitSeconds_ =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
}

} // namespace edgesim::explorer
