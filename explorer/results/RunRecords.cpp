#include "explorer/results/RunRecords.h"

#include "explorer/results/WriterLock.h"

#include <algorithm>

namespace edgesim::explorer {

namespace {

int64_t at(const std::vector<int64_t>& v, std::size_t i) {
    return i < v.size() ? v[i] : 0;
}

} // namespace

LevelBytes levelBytes(const sim::SimResult& r, const std::vector<int64_t>& perMemory) {
    namespace ps = platforms::spec;
    LevelBytes b;
    for (std::size_t m = 0; m < r.memories.size(); ++m) {
        const int64_t v = at(perMemory, m);
        switch (r.memoryKinds[m]) {
        case ps::FLASH: b.flash += v; break;
        case ps::TCM: b.tcm += v; break;
        case ps::EXTERNAL_RAM:
        case ps::EXTERNAL_FLASH: b.external += v; break;
        default: b.sram += v;
        }
    }
    return b;
}

bool hasFootprint(sim::Status status) {
    return sim::ran(status) || status == sim::Status::DoesNotFit;
}

bool hasTiming(sim::Status status) {
    return sim::ran(status);
}

RunMetrics metricsOf(const sim::SimResult* r) {
    RunMetrics m;
    if (r != nullptr && hasFootprint(r->status)) {
        m.peakRamBytes = static_cast<double>(r->peakRamBytes);
        m.flashBytes = static_cast<double>(r->flashBytes);
        m.macs = static_cast<double>(r->macs);
    }
    if (r != nullptr && hasTiming(r->status)) {
        m.latencyCycles = static_cast<double>(r->latencyCycles);
        m.latencyS = r->latencyS;
        m.energyJ = r->energyJ;
    }
    return m;
}

RunRow runRow(int64_t runId, const std::string& platform, const std::string& stack,
              const std::string& network, const std::string& strategy, int batch,
              sim::Fidelity fidelity, const std::string& operatingPoint, const std::string& status,
              const std::string& reason, uint64_t seed) {
    RunRow row;
    row.runId = runId;
    row.platform = platform;
    row.stack = stack;
    row.network = network;
    row.strategy = strategy;
    row.batch = batch;
    row.fidelity = sim::toString(fidelity);
    row.operatingPoint = operatingPoint;
    row.status = status;
    row.reason = reason;
    row.seed = static_cast<int64_t>(seed);
    return row;
}

RunRow runRow(const RunRecord& run, int64_t runId) {
    const sim::SimResult& r = *run.result;
    RunRow row = runRow(runId, r.platform, r.stack, r.network, r.strategy, r.batch, r.fidelity,
                        r.operatingPoint.name, sim::toString(r.status), r.reason, run.seed);
    row.mapping = r.mapping;
    row.clockHz = r.operatingPoint.clockHz;
    row.voltageV = r.operatingPoint.voltageV;
    const RunMetrics m = metricsOf(&r);
    row.latencyCycles = m.latencyCycles;
    row.latencyS = m.latencyS;
    row.energyJ = m.energyJ;
    row.peakRamBytes = m.peakRamBytes;
    row.flashBytes = m.flashBytes;
    row.macs = m.macs;
    if (hasTiming(r.status)) {
        const LevelBytes total = levelBytes(r, r.bytesMoved());
        row.bytesFlash = static_cast<double>(total.flash);
        row.bytesSram = static_cast<double>(total.sram);
        row.bytesTcm = static_cast<double>(total.tcm);
        row.bytesExternal = static_cast<double>(total.external);
    }
    row.simWallS = r.hostSeconds;
    row.configSha256 = run.configSha256;
    return row;
}

std::vector<LayerRow> layerRows(const sim::SimResult& r, int64_t runId) {
    std::vector<LayerRow> rows;
    rows.reserve(r.layers.size());
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        const auto& l = r.layers[i];
        const LevelBytes lb = levelBytes(r, l.bytesMoved());
        const LevelBytes dma = levelBytes(r, l.dmaBytes);
        LayerRow row;
        row.runId = runId;
        row.layerIndex = static_cast<int64_t>(i);
        row.layerName = l.name;
        row.op = l.op;
        row.engine = l.engine;
        row.fallback = l.fallback ? 1 : 0;
        row.startCycle = static_cast<int64_t>(l.startCycle);
        row.endCycle = static_cast<int64_t>(l.endCycle);
        row.cycles = static_cast<int64_t>(l.cycles());
        row.energyJ = l.energyJ;
        row.macs = l.macs;
        row.tiles = l.tiles;
        row.bytesFlash = lb.flash;
        row.bytesSram = lb.sram;
        row.bytesTcm = lb.tcm;
        row.bytesExternal = lb.external;
        row.dmaBytesFlash = dma.flash;
        row.dmaBytesSram = dma.sram;
        row.dmaBytesTcm = dma.tcm;
        row.dmaBytesExternal = dma.external;
        row.dmaCycles = static_cast<int64_t>(l.dmaCycles);
        row.hiddenCycles = static_cast<int64_t>(l.hiddenCycles);
        row.overlap = l.overlap();
        row.weightStallCycles = static_cast<int64_t>(l.stallCycles);
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<LayerMemoryRow> layerMemoryRows(const sim::SimResult& r, int64_t runId) {
    std::vector<LayerMemoryRow> rows;
    rows.reserve(r.layers.size() * r.memories.size());
    for (std::size_t i = 0; i < r.layers.size(); ++i) {
        const auto& l = r.layers[i];
        for (std::size_t m = 0; m < r.memories.size(); ++m) {
            rows.push_back(LayerMemoryRow{runId, static_cast<int64_t>(i), r.memories[m],
                                          platforms::spec::MemoryKind_Name(r.memoryKinds[m]),
                                          at(l.bytesRead, m), at(l.bytesWritten, m),
                                          at(l.dmaBytes, m)});
        }
    }
    return rows;
}

std::vector<EnergyRow> energyRows(const sim::SimResult& r, int64_t runId) {
    std::vector<EnergyRow> rows;
    if (!hasTiming(r.status)) {
        return rows;
    }
    for (const auto& e : r.energy) {
        rows.push_back(EnergyRow{runId, e.component, e.dynamicJ, e.staticJ});
    }
    return rows;
}

void writeRunsFile(const std::string& path, const Provenance& provenance,
                   const std::vector<RunRecord>& runs) {
    checkOutputPath(path, "--out");
    const WriterLock lock(path, "--out");
    writeResultsFile(path, provenance, [&runs](ResultsFile& file) {
        std::vector<RunRow> rows;
        std::vector<LayerRow> layers;
        std::vector<LayerMemoryRow> layerMemory;
        std::vector<EnergyRow> energy;
        for (std::size_t i = 0; i < runs.size(); ++i) {
            rows.push_back(runRow(runs[i], static_cast<int64_t>(i)));
            auto l = layerRows(*runs[i].result, static_cast<int64_t>(i));
            layers.insert(layers.end(), l.begin(), l.end());
            auto lm = layerMemoryRows(*runs[i].result, static_cast<int64_t>(i));
            layerMemory.insert(layerMemory.end(), lm.begin(), lm.end());
            auto e = energyRows(*runs[i].result, static_cast<int64_t>(i));
            energy.insert(energy.end(), e.begin(), e.end());
        }
        file.appendRuns(rows);
        file.appendLayers(layers);
        file.appendLayerMemory(layerMemory);
        file.appendEnergy(energy);
    });
}

std::vector<ValidationRow> validationRows(const analysis::ValidationReport& report,
                                          const std::string& fold) {
    std::vector<ValidationRow> rows;
    const auto row = [&fold](const analysis::Measurement& m) {
        ValidationRow r;
        r.fold = fold;
        r.line = m.line;
        r.platform = m.platform;
        r.stack = m.stack;
        r.network = m.network;
        r.strategy = m.strategy;
        r.metric = analysis::toString(m.metric);
        r.unit = m.unit;
        r.source = m.source;
        r.measured = m.rawValue;
        return r;
    };
    for (const auto& v : report.rows) {
        ValidationRow r = row(*v.measurement);
        r.predicted = v.predictedRaw;
        r.errorPct = v.errorPct;
        rows.push_back(std::move(r));
    }
    for (const auto& [m, why] : report.skipped) {
        rows.push_back(row(*m));
    }
    std::stable_sort(rows.begin(), rows.end(), [](const ValidationRow& a, const ValidationRow& b) {
        return a.line < b.line;
    });
    return rows;
}

void writeValidationFile(const std::string& path, const Provenance& provenance,
                         const std::vector<ValidationRow>& rows,
                         const std::vector<ValidationFoldRow>& folds) {
    checkOutputPath(path, "--out");
    const WriterLock lock(path, "--out");
    writeResultsFile(path, provenance, [&](ResultsFile& file) {
        file.appendValidation(rows);
        if (!folds.empty()) {
            file.appendValidationFolds(folds);
        }
    });
}

} // namespace edgesim::explorer
