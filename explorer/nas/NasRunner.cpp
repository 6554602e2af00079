#include "explorer/nas/NasRunner.h"

#include "analysis/Pareto.h"
#include "common/Diagnostics.h"
#include "common/Strings.h"
#include "common/Version.h"
#include "explorer/Progress.h"
#include "explorer/Signals.h"
#include "explorer/nas/CandidateEvaluator.h"
#include "explorer/nas/Evolution.h"
#include "explorer/nas/Export.h"
#include "explorer/nas/NasTables.h"
#include "explorer/results/Provenance.h"
#include "explorer/results/WriterLock.h"
#include "explorer/sweep/WorkerPool.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include <unistd.h>

namespace edgesim::explorer::nas {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Tasks queued per worker, so it never waits for the next one.
constexpr int kInFlight = 2;
/// Candidates per task without an accuracy evaluator (simulations only: milliseconds each).
constexpr std::size_t kSimulationChunk = 8;
/// Evaluation time waiting in uncommitted rows, in commits' time, that makes a commit due.
constexpr double kWorthCommitting = 20;

/// Thrown out of the search when a signal stops it (what finished is committed first).
struct Stopped {};

double since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

Genome genomeOf(const Chromosome& c) {
    Genome g(c.size());
    for (std::size_t i = 0; i < c.size(); ++i) {
        g[i] = static_cast<int>(std::lround(c[i]));
    }
    return g;
}

Chromosome chromosomeOf(const Genome& g) {
    return Chromosome(g.begin(), g.end());
}

/// What the run knows of each individual: its genome, outcome and whether it was cached.
struct Record {
    Genome genome;
    wire::NasOutcome outcome;
    bool cached = false;
};

} // namespace

std::string frontDirectory(const std::string& out) {
    fs::path p(out);
    if (p.extension() == ".h5" || p.extension() == ".hdf5") {
        p.replace_extension();
    }
    return p.string() + ".front";
}

NasSummary runNas(const NasStudy& study, Session& session, const NasOptions& options) {
    checkRunOptions(options.resume, options.overwrite, options.flushSeconds);
    const auto start = Clock::now();
    NasSummary summary;
    summary.frontDir = frontDirectory(options.out);
    CandidateEvaluator evaluator(study, session, summary.frontDir + "/candidates");
    const WorkFunction work = [&evaluator](const wire::Task& t) { return evaluator.run(t); };
    RunWorkers workers = mpiWorkersOrServe(work);
    if (workers.workerRank) {
        summary.workerRank = true;
        return summary;
    }

    const SearchSpace& space = evaluator.space();
    const spec::Algorithm settings = effectiveAlgorithm(study.spec, space.genes().size());
    const NasTables tables(study.spec, space);

    checkOutputPaths({{options.out, "--out"}}, {{study.file, "--study"}});
    const WriterLock lock(options.out, "--out");
    const bool exists = existingOutput(options.out, options.resume, options.overwrite);
    std::error_code ec;

    // What needs the configs (targets' names, overrides, mappings, the first candidate's
    // lowering), checked before the file is read or written, after the checks of the file.
    const auto preflight = [&] {
        evaluator.preflight(study.seeds.empty() ? space.parse({}) : study.seeds.front());
    };

    // Outcomes by network hash: every network is evaluated once, in this run or before it.
    std::unordered_map<std::string, wire::NasOutcome> cache;
    std::vector<std::string> fileGenomes; // /nas/population's genomes, by id
    int64_t fileGenerations = 0;
    if (exists && options.resume) {
        const auto studySha = readStringAttribute(options.out, "/", "study_sha256");
        if (!studySha || *studySha != study.sha256) {
            throw InputError(options.out, "--resume",
                             "the file was not written by this study, or its settings changed "
                             "since (study_sha256 differs; comments and layout do not count): "
                             "resume with the study as it was, or --overwrite to start again");
        }
        const auto version = readStringAttribute(options.out, "/", "edgesim_version");
        if (!version || *version != versionString()) {
            throw InputError(options.out, "--resume",
                             "the file was written by edgesim " + version.value_or("?") +
                                 ", this is " + versionString() +
                                 ": its search would not replay; --overwrite to start again");
        }
        preflight();
        const Table t = readTable(options.out, kEvaluationsTable);
        if (!(t.columns == tables.evaluationColumns())) {
            throw InputError(options.out, "--resume", "/nas/evaluations has other columns");
        }
        for (std::size_t r = 0; r < t.rows.size(); ++r) {
            wire::NasOutcome o = tables.outcomeOf(t, r);
            cache.emplace(o.network_sha256(), std::move(o));
        }
        fileGenomes = readStringColumn(options.out, kPopulationTable, "genome");
        fileGenerations = countRows(options.out, kGenerationsTable);
        summary.fromFile = static_cast<int64_t>(cache.size());
    } else {
        preflight();
        Provenance p = makeProvenance(options.commandLine, study.sha256, study.spec.seed());
        std::vector<std::string> objectives;
        for (const auto& o : study.spec.objectives()) {
            objectives.push_back((maximised(o) ? "max " : "min ") +
                                 NasTables::key(o.metric(), o.target()));
        }
        std::vector<std::string> targets;
        for (const auto& t : study.spec.targets()) {
            std::string text = targetName(t) + "=" + t.platform() + "/" + t.stack();
            for (const auto& [key, value] :
                 {std::pair<std::string, std::string>{"strategy", t.strategy()},
                  {"mapping", t.mapping()},
                  {"quantize", t.quantize()},
                  {"operating_point", t.operating_point().ShortDebugString()},
                  {"set", join({t.set().begin(), t.set().end()}, " ")}}) {
                if (!value.empty()) {
                    text += " " + key + "=[" + value + "]";
                }
            }
            targets.push_back(text);
        }
        p.extra = {{"study_name", study.spec.name()},
                   {"study_file", study.file},
                   {"study_sha256", study.sha256},
                   {"algorithm", settings.kind()},
                   {"population", std::to_string(settings.population())},
                   {"generations", std::to_string(settings.generations())},
                   {"offspring", std::to_string(settings.offspring())},
                   {"objectives", join(objectives)},
                   {"targets", join(targets)},
                   {"accuracy_evaluator", study.spec.accuracy().evaluator().empty()
                                              ? "none"
                                              : study.spec.accuracy().evaluator()},
                   {"genes", std::to_string(space.genes().size())}};
        writeResultsFile(options.out, p, [&](ResultsFile& f) {
            f.append(kEvaluationsTable, tables.evaluationColumns(), {});
            f.append(kPopulationTable, tables.populationColumns(), {});
            f.append(kGenerationsTable, tables.generationColumns(), {});
        });
    }

    const int64_t total = static_cast<int64_t>(settings.population()) +
                          static_cast<int64_t>(settings.generations()) * settings.offspring();
    localWorkers(workers, options.jobs, settings.population(), work);
    const std::unique_ptr<WorkerPool>& pool = workers.pool;
    summary.backend = workers.backend;
    summary.workers = pool->size();
    const bool accuracy =
        !study.spec.accuracy().evaluator().empty() && study.spec.accuracy().evaluator() != "none";

    const SignalGuard signals;
    Progress progress("nas", "candidates", total, stderr,
                      !options.quiet && isatty(fileno(stderr)) != 0);

    std::vector<TableRow> pendingEvaluations, pendingPopulation, pendingGenerations;
    auto lastCommit = Clock::now();
    double lastCommitSeconds = 0.01; // measured by each commit
    double pendingWork = 0;          // seconds of evaluation in the rows not committed
    const auto commit = [&] {
        if (pendingEvaluations.empty() && pendingPopulation.empty() && pendingGenerations.empty()) {
            return;
        }
        lastCommit = Clock::now();
        updateResultsFile(options.out, [&](ResultsFile& f) {
            f.append(kEvaluationsTable, tables.evaluationColumns(), pendingEvaluations);
            f.append(kPopulationTable, tables.populationColumns(), pendingPopulation);
            f.append(kGenerationsTable, tables.generationColumns(), pendingGenerations);
        });
        pendingEvaluations.clear();
        pendingPopulation.clear();
        pendingGenerations.clear();
        lastCommitSeconds = since(lastCommit);
        pendingWork = 0;
        lastCommit = Clock::now();
    };

    std::map<int64_t, Record> records; // by individual id
    std::vector<Individual> archive;   // every evaluated individual
    int64_t nextId = 0;
    int64_t notOk = 0;
    double generationSim = 0, generationTrain = 0;
    int64_t generationSimulated = 0; // networks evaluated by this run
    int64_t generationNew = 0;       // networks new to the search (resumed or not)
    std::set<std::string> searched;  // networks of the search's individuals so far
    std::vector<double> reference;   // hypervolume reference (minimised form)

    // Evaluates the networks of `genomes` that no cache holds, on the workers.
    const auto evaluateMissing = [&](const std::vector<std::pair<int64_t, Genome>>& jobs) {
        std::deque<wire::NasTask> tasks;
        const std::size_t chunk = accuracy ? 1 : kSimulationChunk;
        for (std::size_t i = 0; i < jobs.size(); i += chunk) {
            wire::NasTask t;
            for (std::size_t k = i; k < std::min(jobs.size(), i + chunk); ++k) {
                auto& j = *t.add_jobs();
                j.set_id(jobs[k].first);
                j.mutable_genes()->Add(jobs[k].second.begin(), jobs[k].second.end());
            }
            tasks.push_back(std::move(t));
        }
        std::vector<int> busy(static_cast<std::size_t>(pool->size()), 0);
        std::size_t outstanding = 0;
        std::map<int64_t, wire::NasOutcome> ready; // finished, waiting for earlier jobs
        std::size_t written = 0;
        // Stopped: what finished is kept (out of job order: a resumed run reads it back
        // by network), then the caller commits.
        const auto stop = [&] {
            for (auto& [id, o] : ready) {
                pendingEvaluations.push_back(tables.evaluationRow(o));
                std::string sha = o.network_sha256();
                cache.emplace(std::move(sha), std::move(o));
            }
            ready.clear();
            return Stopped{};
        };
        while (!tasks.empty() || outstanding > 0) {
            for (int w = 0; w < pool->size() && !tasks.empty(); ++w) {
                while (busy[static_cast<std::size_t>(w)] < kInFlight && !tasks.empty()) {
                    wire::Task task;
                    tasks.front().SerializeToString(task.mutable_payload());
                    tasks.pop_front();
                    pool->send(w, task);
                    ++busy[static_cast<std::size_t>(w)];
                    ++outstanding;
                }
            }
            if (SignalGuard::received() != 0) {
                throw stop();
            }
            std::optional<std::pair<int, wire::Result>> got;
            try {
                got = pool->receive(250);
            } catch (const std::runtime_error&) {
                if (SignalGuard::received() != 0) {
                    throw stop();
                }
                throw;
            }
            if (!got) {
                continue;
            }
            auto& [w, result] = *got;
            if (failed(result)) {
                rethrow(result, w);
            }
            --busy[static_cast<std::size_t>(w)];
            --outstanding;
            wire::NasResult r;
            if (!r.ParseFromString(result.payload())) {
                throw std::runtime_error(
                    fmt::format("NAS worker {} sent a result it cannot read", w));
            }
            for (auto& o : *r.mutable_outcomes()) {
                generationSim += o.sim_s();
                generationTrain += o.train_s();
                summary.simSeconds += o.sim_s();
                summary.trainSeconds += o.train_s();
                ++generationSimulated;
                ++summary.evaluated;
                notOk += o.status() == "ok" ? 0 : 1;
                const int64_t id = o.id();
                ready.emplace(id, std::move(o));
            }
            // Into the file and the cache in job order, whichever worker finished first.
            for (auto it = written < jobs.size() ? ready.find(jobs[written].first) : ready.end();
                 it != ready.end();
                 it = written < jobs.size() ? ready.find(jobs[written].first) : ready.end()) {
                pendingEvaluations.push_back(tables.evaluationRow(it->second));
                pendingWork += it->second.sim_s() + it->second.train_s();
                std::string sha = it->second.network_sha256();
                cache.emplace(std::move(sha), std::move(it->second));
                ready.erase(it);
                ++written;
            }
            // Commit at least every --flush-seconds, and sooner when the evaluations waiting
            // cost far more than a commit (training: each one is worth keeping at once).
            if (since(lastCommit) >= options.flushSeconds ||
                pendingWork > kWorthCommitting * lastCommitSeconds) {
                commit();
            }
            progress.update(summary.individuals + generationSimulated, notOk);
        }
    };

    EvolutionHooks hooks;
    hooks.evaluate = [&](int, const std::vector<Offspring>& children) {
        std::vector<std::pair<int64_t, Genome>> missing;
        std::vector<std::string> shas;
        std::vector<bool> repeated;
        for (std::size_t i = 0; i < children.size(); ++i) {
            const Genome g = genomeOf(children[i].chromosome);
            shas.push_back(space.sha256(g));
            // A network an earlier individual of this search had (the same in a resumed run);
            // evaluated now only when no cache holds it (a resumed file may).
            repeated.push_back(!searched.insert(shas.back()).second);
            if (!repeated.back()) {
                ++generationNew;
                if (cache.count(shas.back()) == 0) {
                    missing.emplace_back(nextId + static_cast<int64_t>(i), g);
                }
            }
        }
        evaluateMissing(missing);
        std::vector<Evaluation> out;
        for (std::size_t i = 0; i < children.size(); ++i) {
            Record rec;
            rec.genome = genomeOf(children[i].chromosome);
            rec.outcome = cache.at(shas[i]);
            rec.cached = repeated[i];
            summary.cached += rec.cached ? 1 : 0;
            out.push_back(score(study.spec, rec.outcome));
            records.emplace(nextId + static_cast<int64_t>(i), std::move(rec));
        }
        nextId += static_cast<int64_t>(children.size());
        return out;
    };
    hooks.generationDone = [&](int g, const std::vector<Individual>& evaluated,
                               const std::vector<Individual>& population) {
        if (g == 0) {
            // The hypervolume's reference: the study's, else 1.1 x the worst feasible value
            // of the first population (accuracy: 0).
            for (int k = 0; k < study.spec.objectives_size(); ++k) {
                const auto& o = study.spec.objectives(k);
                if (o.has_reference()) {
                    reference.push_back(maximised(o) ? -o.reference() : o.reference());
                    continue;
                }
                if (o.metric() == kAccuracy) {
                    reference.push_back(0.0);
                    continue;
                }
                double worst = kNaN;
                for (const auto& i : population) {
                    const double v = i.objectives[static_cast<std::size_t>(k)];
                    if (i.violation == 0 && std::isfinite(v) && !(v <= worst)) {
                        worst = v;
                    }
                }
                reference.push_back(worst + 0.1 * std::abs(worst));
            }
        }
        for (const auto& ind : evaluated) {
            archive.push_back(ind);
            const Record& rec = records.at(ind.id);
            if (ind.id < static_cast<int64_t>(fileGenomes.size())) {
                if (fileGenomes[static_cast<std::size_t>(ind.id)] != space.encode(rec.genome)) {
                    throw InputError(options.out, "--resume",
                                     fmt::format("individual {} of the file has genome {}, the "
                                                 "replayed search {}: the file comes from "
                                                 "another run; --overwrite to start again",
                                                 ind.id,
                                                 fileGenomes[static_cast<std::size_t>(ind.id)],
                                                 space.encode(rec.genome)));
                }
            } else {
                pendingPopulation.push_back(
                    tables.populationRow(ind, rec.genome, rec.outcome, rec.cached));
            }
        }
        summary.individuals += static_cast<int64_t>(evaluated.size());
        std::vector<std::vector<double>> feasible;
        for (const auto& i : population) {
            if (i.violation == 0) {
                feasible.push_back(i.objectives);
            }
        }
        bool defined = true;
        for (double r : reference) {
            defined = defined && std::isfinite(r);
        }
        summary.hypervolume = defined ? hypervolume(feasible, reference) : kNaN;
        if (g >= fileGenerations) {
            NasTables::GenerationFigures f;
            f.generation = g;
            f.individuals = summary.individuals;
            f.simulated = generationNew;
            f.hypervolume = summary.hypervolume;
            f.wallS = since(start);
            f.simS = generationSim;
            f.trainS = generationTrain;
            pendingGenerations.push_back(tables.generationRow(f, population));
        }
        generationSim = generationTrain = 0;
        generationSimulated = generationNew = 0;
        commit();
        summary.generations = g;
        progress.setStatus(fmt::format("generation {}/{}, {} feasible, hypervolume {:.4g}", g,
                                       settings.generations(), feasible.size(),
                                       summary.hypervolume));
        progress.update(summary.individuals, notOk);
    };
    hooks.stop = [] { return SignalGuard::received() != 0; };

    std::vector<Chromosome> seeds;
    for (const auto& s : study.seeds) {
        seeds.push_back(chromosomeOf(s));
    }
    Bounds bounds;
    for (const auto& g : space.genes()) {
        bounds.lower.push_back(0);
        bounds.upper.push_back(static_cast<double>(g.labels.size() - 1));
    }
    bounds.integers = space.genes().size();
    const auto algorithm = makeSearchAlgorithm(settings.kind());
    try {
        evolve(*algorithm, settings, bounds, seeds, study.spec.seed(), hooks);
        summary.interrupted = SignalGuard::received() != 0;
    } catch (const Stopped&) {
        summary.interrupted = true;
    } catch (...) {
        try {
            commit(); // what finished stays
        } catch (...) {
        }
        pool->kill();
        throw;
    }
    commit();
    if (summary.interrupted) {
        pool->kill();
    } else {
        pool->shutdown();
    }

    // The front of everything evaluated: feasible, one individual per network (the first).
    std::vector<const Individual*> candidates;
    std::set<std::string> seen;
    for (const auto& ind : archive) {
        if (ind.violation == 0 && seen.insert(records.at(ind.id).outcome.network_sha256()).second) {
            candidates.push_back(&ind);
        }
    }
    std::vector<std::vector<double>> points;
    for (const auto* ind : candidates) {
        points.push_back(ind->objectives);
    }
    // The front's files replace those of an earlier front (another run into the same file).
    if (fs::is_directory(summary.frontDir, ec)) {
        for (const auto& entry : fs::directory_iterator(summary.frontDir, ec)) {
            const std::string stem = entry.path().stem().string();
            const std::string ext = entry.path().extension().string();
            if (!stem.empty() && stem.find_first_not_of("0123456789") == std::string::npos &&
                (ext == ".textproto" || ext == ".onnx" || ext == ".json")) {
                fs::remove(entry.path(), ec);
            }
        }
    }
    std::vector<TableRow> frontRows;
    if (!points.empty()) {
        const std::vector<analysis::Sense> senses(points.front().size(), analysis::Sense::Minimize);
        for (std::size_t k : analysis::paretoFront(points, senses)) {
            const Individual& ind = *candidates[k];
            const Record& rec = records.at(ind.id);
            frontRows.push_back(tables.populationRow(ind, rec.genome, rec.outcome, rec.cached));
            const Candidate c =
                space.decode(rec.genome, fmt::format("{}/{}", study.spec.name(), ind.id));
            writeCandidateFiles(c, summary.frontDir, fmt::format("{}", ind.id));
        }
    }
    summary.front = static_cast<int64_t>(frontRows.size());
    std::vector<std::string> refText;
    for (int k = 0; k < study.spec.objectives_size() && k < static_cast<int>(reference.size());
         ++k) {
        const auto& o = study.spec.objectives(k);
        refText.push_back(fmt::format("{}={:g}", NasTables::key(o.metric(), o.target()),
                                      maximised(o) ? -reference[static_cast<std::size_t>(k)]
                                                   : reference[static_cast<std::size_t>(k)]));
    }
    summary.seconds = since(start);
    updateResultsFile(options.out, [&](ResultsFile& f) {
        f.replace(kParetoTable, tables.populationColumns(), frontRows);
        // This run's wall time and the shares of simulation and accuracy evaluation in it.
        f.setAttribute("/", "run_wall_s", fmt::format("{:.3f}", summary.seconds));
        f.setAttribute("/", "run_sim_s", fmt::format("{:.3f}", summary.simSeconds));
        f.setAttribute("/", "run_train_s", fmt::format("{:.3f}", summary.trainSeconds));
        f.setAttribute("/", "hypervolume_reference", join(refText, " "));
        f.setAttribute("/", "front_directory", summary.frontDir);
    });

    summary.seconds = since(start);
    progress.update(summary.individuals, notOk);
    progress.finish(fmt::format(
        "{} generations, {} networks evaluated ({} individuals repeated a network, {} networks "
        "from the file), {} on the front; "
        "simulation {:.1f}% of the workers' time; {} on {}{}",
        summary.generations, summary.evaluated, summary.cached, summary.fromFile, summary.front,
        summary.seconds > 0 ? 100.0 * summary.simSeconds / (summary.seconds * summary.workers)
                            : 0.0,
        options.out, summary.backend, summary.interrupted ? " (interrupted)" : ""));
    return summary;
}

} // namespace edgesim::explorer::nas
