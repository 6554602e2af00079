// The `edgesim._edgesim` extension: a thin pybind11 shell over the library (DESIGN.md §1). It
// turns Python arguments into explorer::Query values, runs them through an explorer::Session
// with the GIL released, and hands results back as objects; studies run through the same
// runners as the CLI's. No model or orchestration logic lives here: what is not argument
// translation is a library call. The pure-Python half (networks from torch and the builder,
// results files as DataFrames, reports) is in python/edgesim/.
#include "analysis/Pareto.h"
#include "common/ConfigPaths.h"
#include "common/Diagnostics.h"
#include "common/TextProto.h"
#include "common/Version.h"
#include "explorer/dnas/CostModel.h"
#include "explorer/dnas/DnasRunner.h"
#include "explorer/dnas/DnasStudy.h"
#include "explorer/nas/NasRunner.h"
#include "explorer/nas/NasStudy.h"
#include "explorer/results/ResultJson.h"
#include "explorer/results/RunRecords.h"
#include "explorer/session/Query.h"
#include "explorer/session/Session.h"
#include "explorer/sweep/Study.h"
#include "explorer/sweep/SweepRunner.h"
#include "sim/trace/ChromeTrace.h"
#include "workloads/NetworkSource.h"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace py = pybind11;

namespace edgesim::python {

namespace {

/// What errors name as the origin of arguments given from Python.
constexpr const char* kSource = "<python>";

/// A network given as a value (ONNX bytes, network text, a torch module exported in memory),
/// loaded and validated once and shared by every simulator that runs it.
struct PyNetwork {
    std::shared_ptr<const workloads::LoadedNetwork> loaded;
    std::string key; ///< the name sessions know it by: "<name>@<first 16 hex of sha256>"
    /// The network text it was read from (textproto networks; what cost models resize).
    std::shared_ptr<const std::string> text;
};

/// `loaded` as a PyNetwork, renamed to `name` unless that is empty; `text` is its network
/// text when it is one.
PyNetwork shareNetwork(workloads::LoadedNetwork loaded, const std::string& name,
                       std::string text = {}) {
    if (!name.empty()) {
        loaded.network.setName(name);
    }
    if (loaded.network.name().empty()) {
        loaded.network.setName("network");
    }
    const std::string key = loaded.network.name() + "@" + loaded.sha256.substr(0, 16);
    return PyNetwork{std::make_shared<const workloads::LoadedNetwork>(std::move(loaded)), key,
                     std::make_shared<const std::string>(std::move(text))};
}

/// Python's text of a value written into an override or a parameter ("true" for True; a list
/// or tuple as its items joined by commas, as the CLI writes list parameters).
std::string valueText(py::handle value) {
    if (py::isinstance<py::bool_>(value)) {
        return value.cast<bool>() ? "true" : "false";
    }
    if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
        std::string out;
        for (const auto& item : value) {
            out += (out.empty() ? "" : ",") + valueText(item);
        }
        return out;
    }
    return py::str(value).cast<std::string>();
}

/// The name of `value`'s Python type ("float").
std::string typeName(py::handle value) {
    return py::str(py::type::handle_of(value).attr("__name__")).cast<std::string>();
}

/// Argument `name` of `function` as text: a str (TypeError naming it otherwise).
std::string textArg(py::handle value, const std::string& function, const std::string& name) {
    if (!py::isinstance<py::str>(value)) {
        throw py::type_error(function + "(): " + name + " must be a str, not " + typeName(value));
    }
    return value.cast<std::string>();
}

/// Argument `name` as an int in [min, max] (TypeError for another type, InputError out of
/// range).
int64_t intArg(py::handle value, const std::string& function, const std::string& name, int64_t min,
               int64_t max) {
    if (!py::isinstance<py::int_>(value) || py::isinstance<py::bool_>(value)) {
        throw py::type_error(function + "(): " + name + " must be an int, not " + typeName(value));
    }
    const auto big = value.cast<py::int_>();
    if (big < py::int_(min) || big > py::int_(max)) {
        throw InputError(kSource, name,
                         py::str(py::handle(big)).cast<std::string>() + " is out of range [" +
                             std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    return big.cast<int64_t>();
}

/// Argument `name` as a number (an int or a float; TypeError otherwise).
double numberArg(py::handle value, const std::string& function, const std::string& name) {
    if ((!py::isinstance<py::int_>(value) && !py::isinstance<py::float_>(value)) ||
        py::isinstance<py::bool_>(value)) {
        throw py::type_error(function + "(): " + name + " must be a number, not " +
                             typeName(value));
    }
    return value.cast<double>();
}

/// `overrides`: a dict {"platform.<path>": value} or a list of "platform.<path>=value".
std::vector<explorer::Override> overridesOf(py::handle overrides, const std::string& field) {
    std::vector<explorer::Override> out;
    if (overrides.is_none()) {
        return out;
    }
    if (py::isinstance<py::dict>(overrides)) {
        for (const auto& [key, value] : overrides.cast<py::dict>()) {
            const std::string path = py::str(key).cast<std::string>();
            out.push_back(explorer::parseOverride(path + "=" + valueText(value), kSource,
                                                  field + "['" + path + "']"));
        }
        return out;
    }
    if (py::isinstance<py::str>(overrides)) {
        throw py::type_error(field + " must be a dict or a list of 'platform.PATH=VALUE'");
    }
    int i = 0;
    for (const auto& item : overrides) {
        out.push_back(explorer::parseOverride(py::str(item).cast<std::string>(), kSource,
                                              field + "[" + std::to_string(i++) + "]"));
    }
    return out;
}

/// Held (with the GIL released) while a session works: SystemC has one simulation context per
/// process and sessions are not thread-safe, so Python threads simulate one at a time (worker
/// processes, as sweeps use, run in parallel).
std::mutex& simulationMutex() {
    static std::mutex m;
    return m;
}

/// What a query carries besides explorer::Query: a network given as a value (defined in the
/// session before the run) and where to write the run's timeline.
struct Pending {
    std::optional<PyNetwork> network;
    std::string trace; ///< a Perfetto / Chrome trace JSON file; empty: none
};

/// A simulation result (explorer::QueryResult) as a Python object.
struct PyResult {
    explorer::QueryResult r;
    /// A Result unpickled in another process: its to_dict() as it was pickled (r.result then
    /// holds the summary its properties read, not the layers).
    std::optional<nlohmann::json> saved;

    const sim::SimResult& sim() const { return r.result; }
    bool timed() const { return explorer::hasTiming(r.result.status); }
    bool sized() const { return explorer::hasFootprint(r.result.status); }
    template <typename T> py::object ifTimed(T v) const {
        return timed() ? py::cast(v) : py::none();
    }
    template <typename T> py::object ifSized(T v) const {
        return sized() ? py::cast(v) : py::none();
    }
};

/// The text of `j` as Python values (dicts, lists, numbers, None).
py::object toPython(const nlohmann::json& j) {
    return py::module_::import("json").attr("loads")(j.dump());
}

/// Result.to_dict(): everything `simulate --format json` prints, and the query's hash.
nlohmann::json resultDict(const PyResult& r) {
    if (r.saved) {
        return *r.saved;
    }
    nlohmann::json j = explorer::toJson(r.sim());
    j["config_sha256"] = r.r.configSha256;
    return j;
}

constexpr int kResultPickleVersion = 1;
constexpr int kSimulatorPickleVersion = 1;

/// The pickled state of a Result: its to_dict() (as JSON text) and its host time, which the
/// dict leaves out. Multiprocessing pools send Results between processes this way.
py::tuple resultState(const PyResult& r) {
    return py::make_tuple(kResultPickleVersion, resultDict(r).dump(), r.sim().hostSeconds);
}

PyResult resultFromDict(const nlohmann::json& j, double hostSeconds);

/// A Result from resultState(): the fields its properties read come back from the dict, and
/// to_dict() returns the dict unchanged. ValueError for a state resultState() did not write.
PyResult resultFromState(const py::tuple& state) {
    if (state.size() != 3 || !py::isinstance<py::int_>(state[0]) ||
        state[0].cast<int>() != kResultPickleVersion) {
        throw py::value_error("edgesim.Result: not a pickled Result of this version");
    }
    try {
        return resultFromDict(nlohmann::json::parse(state[1].cast<std::string>()),
                              state[2].cast<double>());
    } catch (const std::exception& e) { // a state not written by resultState()
        throw py::value_error(std::string("edgesim.Result: not a pickled Result (") + e.what() +
                              ")");
    }
}

/// The Result of a pickled to_dict() `j` and host time `hostSeconds` (resultFromState).
PyResult resultFromDict(const nlohmann::json& j, double hostSeconds) {
    PyResult p;
    const auto number = [&j](const char* key) {
        return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
    };
    sim::SimResult& r = p.r.result;
    const std::string status = j.at("status").get<std::string>();
    bool known = false;
    for (sim::Status s : {sim::Status::Ok, sim::Status::DoesNotFit, sim::Status::Unsupported,
                          sim::Status::OverBudget}) {
        if (status == sim::toString(s)) {
            r.status = s;
            known = true;
        }
    }
    if (!known) {
        throw std::invalid_argument("unknown status '" + status + "'");
    }
    r.reason = j.value("reason", "");
    r.platform = j.at("platform").get<std::string>();
    r.stack = j.at("stack").get<std::string>();
    r.network = j.at("network").get<std::string>();
    r.strategy = j.at("strategy").get<std::string>();
    r.strategyParams = j.value("strategy_params", "");
    r.batch = j.at("batch").get<int>();
    r.fidelity = j.at("fidelity").get<std::string>() == sim::toString(sim::Fidelity::Tlm)
                     ? sim::Fidelity::Tlm
                     : sim::Fidelity::Analytical;
    const auto& op = j.at("operating_point");
    r.operatingPoint.name = op.at("name").get<std::string>();
    r.operatingPoint.clockHz = op.at("clock_hz").get<double>();
    r.operatingPoint.voltageV = op.at("voltage_v").get<double>();
    r.latencyCycles = static_cast<uint64_t>(number("latency_cycles"));
    r.latencyS = number("latency_s");
    r.energyJ = number("energy_j");
    r.peakRamBytes = static_cast<int64_t>(number("peak_ram_bytes"));
    r.flashBytes = static_cast<int64_t>(number("flash_bytes"));
    r.weightBytes = static_cast<int64_t>(number("weight_bytes"));
    r.macs = static_cast<int64_t>(number("macs"));
    r.mapping = j.value("mapping", "");
    r.precision = j.value("precision", "");
    r.hostSeconds = hostSeconds;
    p.r.configSha256 = j.value("config_sha256", "");
    p.saved = j;
    return p;
}

/// Simulator: one platform + stack (and overrides) of one session; every query runs there.
class PySimulator {
public:
    PySimulator(const std::string& platform, const std::string& stack, py::handle configDir,
                py::handle overrides)
        : session_(ConfigPaths(configDir.is_none() ? std::string()
                                                   : py::str(configDir).cast<std::string>())) {
        base_.platform = platform;
        base_.stack = stack;
        base_.source = kSource;
        base_.platformField = "platform";
        base_.stackField = "stack";
        base_.networkField = "network";
        base_.strategyField = "strategy";
        base_.strategyParamsField = "strategy_params";
        base_.batchField = "batch";
        base_.quantizeField = "quantize";
        base_.operatingPoint.nameField = "operating_point";
        base_.operatingPoint.clockField = "operating_point['clock_mhz']";
        base_.operatingPoint.voltageField = "operating_point['voltage_v']";
        base_.mapping.mappingField = "mapping";
        base_.mapping.objectiveField = "objective";
        base_.mapping.budgetField = "latency_budget_ms";
        base_.overrides = overridesOf(overrides, "overrides");
        // What a pickled Simulator is made again from (copies: the caller may change theirs).
        const py::object copy = py::module_::import("copy").attr("deepcopy");
        arguments_ = py::make_tuple(platform, stack, copy(configDir), copy(overrides));
        // Bad names and overrides fail here, not at the first run.
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(simulationMutex());
        session_.specs(base_);
    }

    /// The query of `network` with `options` (run()'s keyword arguments; a "network" key, a
    /// run_many item's, is skipped) on this simulator. Holds the GIL; `pending` receives a
    /// network given as a value and a trace file.
    explorer::Query query(py::handle network, py::handle options, Pending& pending) const {
        explorer::Query q = base_;
        if (py::isinstance<py::str>(network)) {
            q.network = network.cast<std::string>();
        } else {
            pending.network = py::isinstance<PyNetwork>(network)
                                  ? network.cast<PyNetwork>()
                                  : py::module_::import("edgesim._networks")
                                        .attr("as_network")(network)
                                        .cast<PyNetwork>();
            q.network = pending.network->key;
        }
        if (options.is_none()) {
            return q;
        }
        for (const auto& [k, value] : options.cast<py::dict>()) {
            const std::string key = py::str(k).cast<std::string>();
            if (key == "network") {
                continue; // a run_many item's network, taken above
            }
            if (key == "strategy") {
                q.strategy = textArg(value, "run", key);
            } else if (key == "strategy_params") {
                if (!value.is_none()) {
                    if (!py::isinstance<py::dict>(value)) {
                        throw py::type_error("run(): strategy_params must be a dict, not " +
                                             typeName(value));
                    }
                    for (const auto& [pk, pv] : value.cast<py::dict>()) {
                        q.strategyParams.push_back(py::str(pk).cast<std::string>() + "=" +
                                                   valueText(pv));
                    }
                }
            } else if (key == "batch") {
                q.batch = static_cast<int>(
                    intArg(value, "run", key, 1, std::numeric_limits<int32_t>::max()));
            } else if (key == "seed") {
                q.seed = static_cast<uint64_t>(
                    intArg(value, "run", key, 0, std::numeric_limits<int64_t>::max()));
            } else if (key == "fidelity") {
                const std::string f = textArg(value, "run", key);
                if (f != "tlm" && f != "analytical") {
                    throw InputError(kSource, "fidelity",
                                     "unknown fidelity '" + f +
                                         "' (tlm or analytical; for both, run twice)");
                }
                q.fidelity = f == "tlm" ? sim::Fidelity::Tlm : sim::Fidelity::Analytical;
            } else if (key == "quantize") {
                q.quantize = value.is_none() ? "" : py::str(value).cast<std::string>();
            } else if (key == "mapping") {
                q.mapping.mapping = value.is_none() ? "" : py::str(value).cast<std::string>();
            } else if (key == "objective") {
                if (!value.is_none()) {
                    const std::string o = textArg(value, "run", key);
                    q.mapping.objective = sim::parseObjective(o);
                    if (!q.mapping.objective) {
                        throw InputError(kSource, "objective",
                                         "unknown objective '" + o + "' (latency, energy or edp)");
                    }
                }
            } else if (key == "latency_budget_ms") {
                if (!value.is_none()) {
                    q.mapping.latencyBudgetS = numberArg(value, "run", key) * 1e-3;
                }
            } else if (key == "operating_point") {
                operatingPoint(value, q.operatingPoint);
            } else if (key == "trace") {
                pending.trace = value.is_none() ? "" : py::str(value).cast<std::string>();
            } else if (key == "overrides") {
                for (auto& o : overridesOf(value, "overrides")) {
                    q.overrides.push_back(std::move(o));
                }
            } else {
                throw py::type_error("run() got an unexpected keyword argument '" + key + "'");
            }
        }
        return q;
    }

    PyResult run(py::handle network, const py::kwargs& options) {
        Pending value;
        const explorer::Query q = query(network, options, value);
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(simulationMutex());
        return PyResult{runLocked(q, value), std::nullopt};
    }

    std::vector<PyResult> runMany(const py::iterable& items) {
        if (py::isinstance<py::str>(items) || py::isinstance<py::dict>(items)) {
            throw py::type_error("run_many() takes a list of networks or of dicts of run() "
                                 "arguments, not a " +
                                 typeName(items));
        }
        std::vector<explorer::Query> queries;
        std::vector<Pending> values;
        for (const auto& item : items) {
            try {
                addQuery(item, queries, values);
            } catch (const InputError& e) {
                throw ofItem(e, queries.size());
            }
        }
        std::vector<PyResult> results;
        results.reserve(queries.size());
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(simulationMutex());
        for (std::size_t i = 0; i < queries.size(); ++i) {
            try {
                results.push_back(PyResult{runLocked(queries[i], values[i]), std::nullopt});
            } catch (const InputError& e) {
                throw ofItem(e, i);
            }
        }
        return results;
    }

    /// `e` raised by run_many's item `index`, its fields named "queries[3].network".
    static InputError ofItem(const InputError& e, std::size_t index) {
        std::vector<Diagnostic> named = e.diagnostics();
        for (auto& d : named) {
            d.field = "queries[" + std::to_string(index) + "]." + d.field;
        }
        return InputError(std::move(named));
    }

    /// Appends the query of one run_many item (a network, or a dict of run() arguments with
    /// "network").
    void addQuery(py::handle item, std::vector<explorer::Query>& queries,
                  std::vector<Pending>& values) const {
        Pending pending;
        if (py::isinstance<py::dict>(item)) {
            py::dict options = py::reinterpret_borrow<py::dict>(item);
            if (!options.contains("network")) {
                throw py::type_error("run_many(): item " + std::to_string(queries.size()) +
                                     " has no 'network'");
            }
            queries.push_back(query(options["network"], options, pending));
        } else {
            queries.push_back(query(item, py::none(), pending));
        }
        values.push_back(std::move(pending));
    }

    /// The mean wall time of `repeats` runs of `network` made from C++ (no Python in the loop):
    /// what the binding's overhead is measured against (bench/python_overhead.py).
    double cppSecondsPerRun(py::handle network, int repeats, const py::kwargs& options) {
        Pending value;
        const explorer::Query q = query(network, options, value);
        py::gil_scoped_release release;
        std::lock_guard<std::mutex> lock(simulationMutex());
        runLocked(q, value);
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < repeats; ++i) {
            runLocked(q, value);
        }
        const std::chrono::duration<double> d = std::chrono::steady_clock::now() - start;
        return repeats > 0 ? d.count() / repeats : 0.0;
    }

    std::string platform() const { return base_.platform; }
    std::string stack() const { return base_.stack; }
    /// The constructor's arguments: a pickled Simulator is constructed again from them (the
    /// networks a session defined are defined again by the runs that name them).
    py::tuple arguments() const { return arguments_; }

private:
    static void operatingPoint(py::handle value, sim::OperatingPointOverride& op) {
        if (value.is_none()) {
            return;
        }
        if (py::isinstance<py::str>(value)) {
            op.name = value.cast<std::string>();
            return;
        }
        if (!py::isinstance<py::dict>(value)) {
            throw py::type_error("run(): operating_point must be a str or a dict, not " +
                                 typeName(value));
        }
        for (const auto& [k, v] : value.cast<py::dict>()) {
            const std::string key = py::str(k).cast<std::string>();
            if (key == "name") {
                op.name = textArg(v, "run", "operating_point['name']");
            } else if (key == "clock_mhz") {
                op.clockHz = numberArg(v, "run", "operating_point['clock_mhz']") * 1e6;
            } else if (key == "voltage_v") {
                op.voltageV = numberArg(v, "run", "operating_point['voltage_v']");
            } else {
                throw InputError(kSource, "operating_point['" + key + "']",
                                 "unknown key (name, clock_mhz or voltage_v)");
            }
        }
    }

    /// Runs `q` (the mutex held, the GIL released), first defining a network given as a value.
    explorer::QueryResult runLocked(const explorer::Query& q, const Pending& pending) {
        const std::optional<PyNetwork>& value = pending.network;
        if (value && defined_.insert(value->key).second) {
            session_.defineNetwork(value->key, value->loaded->network, value->loaded->sha256);
            definedOrder_.push_back(value->key);
            // A NAS loop defines thousands: the least recently defined are dropped (and
            // defined again, lowered anew, if they come back).
            while (definedOrder_.size() > kMaxDefinedNetworks) {
                session_.forgetNetwork(definedOrder_.front());
                defined_.erase(definedOrder_.front());
                definedOrder_.pop_front();
            }
        }
        sim::ChromeTrace trace;
        explorer::QueryResult r = session_.run(q, pending.trace.empty() ? nullptr : &trace);
        if (value) {
            r.result.network = value->loaded->network.name(); // not the session's key
        }
        if (!pending.trace.empty()) {
            trace.write(pending.trace, r.result.operatingPoint.clockHz,
                        r.result.platform + " / " + r.result.stack + " / " + r.result.network);
        }
        return r;
    }

    static constexpr std::size_t kMaxDefinedNetworks = 64;
    explorer::Session session_;
    explorer::Query base_;
    std::unordered_set<std::string> defined_;
    std::list<std::string> definedOrder_;
    py::tuple arguments_;
};

py::dict sweepSummary(const explorer::SweepSummary& s) {
    py::dict d;
    d["points"] = s.points;
    d["already_done"] = s.alreadyDone;
    d["ran"] = s.ran;
    d["by_status"] = s.byStatus;
    d["skipped_pairs"] = s.skippedPairs;
    d["workers"] = s.workers;
    d["backend"] = s.backend;
    d["seconds"] = s.seconds;
    d["interrupted"] = s.interrupted;
    return d;
}

py::dict nasSummary(const explorer::nas::NasSummary& s) {
    py::dict d;
    d["individuals"] = s.individuals;
    d["evaluated"] = s.evaluated;
    d["from_file"] = s.fromFile;
    d["cached"] = s.cached;
    d["generations"] = s.generations;
    d["front"] = s.front;
    d["hypervolume"] = s.hypervolume;
    d["seconds"] = s.seconds;
    d["workers"] = s.workers;
    d["backend"] = s.backend;
    d["front_dir"] = s.frontDir;
    d["interrupted"] = s.interrupted;
    return d;
}

py::dict dnasSummary(const explorer::dnas::DnasSummary& s) {
    py::list searches;
    for (const auto& search : s.searches) {
        py::dict d;
        d["name"] = search.name;
        d["platform"] = search.platform;
        d["stack"] = search.stack;
        d["status"] = search.status;
        d["skipped"] = search.skipped;
        searches.append(d);
    }
    py::dict d;
    d["searches"] = searches;
    d["seconds"] = s.seconds;
    d["interrupted"] = s.interrupted;
    return d;
}

std::string configDirOf(py::handle configDir) {
    return configDir.is_none() ? std::string() : py::str(configDir).cast<std::string>();
}

/// `work(session)` on a fresh session of `configDir` (None: the default configs), with the GIL
/// released and the simulation mutex held; returns what `work` returns.
template <typename Work> auto inSession(py::handle configDir, Work&& work) {
    const std::string dir = configDirOf(configDir);
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(simulationMutex());
    explorer::Session session{ConfigPaths(dir)};
    return work(session);
}

} // namespace

} // namespace edgesim::python

PYBIND11_MODULE(_edgesim, m) {
    using namespace pybind11::literals;
    using namespace edgesim;
    using namespace edgesim::python;
    m.doc() = "edgesim's C++ library (use the `edgesim` package, not this module)";
    m.attr("__version__") = versionString();

    // Bad input raises edgesim.InputError (a ValueError) with the CLI's "file:line: field:
    // reason" lines as its text and as .diagnostics.
    // The type is held by a plain pointer, never released: a static py::object would be
    // destroyed after the interpreter has finalised.
    static PyObject* inputError =
        py::exception<InputError>(m, "InputError", PyExc_ValueError).release().ptr();
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) {
                std::rethrow_exception(p);
            }
        } catch (const InputError& e) {
            std::string text = e.formatAll();
            while (!text.empty() && text.back() == '\n') {
                text.pop_back();
            }
            py::object exc = py::reinterpret_borrow<py::object>(inputError)(text);
            py::list diagnostics;
            for (const auto& d : e.diagnostics()) {
                py::dict item;
                item["file"] = d.file;
                item["line"] = d.line;
                item["field"] = d.field;
                item["reason"] = d.reason;
                diagnostics.append(item);
            }
            exc.attr("diagnostics") = diagnostics;
            PyErr_SetObject(inputError, exc.ptr());
        }
    });

    py::class_<PyNetwork>(m, "Network", "A network loaded from bytes or text (see edgesim.network)")
        .def_static(
            "from_bytes",
            [](const py::bytes& bytes, const std::string& format, const std::string& label,
               const std::string& name) {
                std::string data = bytes;
                py::gil_scoped_release release;
                auto loaded = workloads::loadNetworkBytes(data, format, label);
                return shareNetwork(std::move(loaded), name,
                                    format == "textproto" ? std::move(data) : std::string());
            },
            py::arg("data"), py::arg("format"), py::arg("label"), py::arg("name") = "")
        .def_static(
            "from_file",
            [](const std::string& nameOrPath, py::handle configDir, const std::string& name) {
                const ConfigPaths paths(configDirOf(configDir));
                auto loaded = workloads::loadNetwork(nameOrPath, paths, "network", kSource);
                std::string text = loaded.format == "textproto" ? readFile(loaded.file) : "";
                return shareNetwork(std::move(loaded), name, std::move(text));
            },
            py::arg("name_or_path"), py::arg("config_dir") = py::none(), py::arg("name") = "")
        .def_property_readonly("name", [](const PyNetwork& n) { return n.loaded->network.name(); })
        .def_property_readonly("key", [](const PyNetwork& n) { return n.key; })
        .def_property_readonly("sha256", [](const PyNetwork& n) { return n.loaded->sha256; })
        .def_property_readonly("format", [](const PyNetwork& n) { return n.loaded->format; })
        .def_property_readonly("source", [](const PyNetwork& n) { return n.loaded->file; })
        .def_property_readonly("layers",
                               [](const PyNetwork& n) { return n.loaded->network.totals().layers; })
        .def_property_readonly("macs",
                               [](const PyNetwork& n) { return n.loaded->network.totals().macs; })
        .def_property_readonly("params",
                               [](const PyNetwork& n) { return n.loaded->network.totals().params; })
        .def_property_readonly(
            "weight_bytes",
            [](const PyNetwork& n) { return n.loaded->network.totals().weightBytes; })
        .def("__repr__", [](const PyNetwork& n) {
            const auto t = n.loaded->network.totals();
            return "<edgesim.Network '" + n.loaded->network.name() +
                   "': " + std::to_string(t.layers) + " layers, " + std::to_string(t.macs) +
                   " MACs, " + std::to_string(t.params) + " params>";
        });

    py::class_<PyResult>(m, "Result", "One simulation's result (edgesim.Simulator.run)")
        .def_property_readonly("status",
                               [](const PyResult& r) { return sim::toString(r.sim().status); })
        .def_property_readonly("ok",
                               [](const PyResult& r) { return r.sim().status == sim::Status::Ok; })
        .def_property_readonly("reason", [](const PyResult& r) { return r.sim().reason; })
        .def_property_readonly("platform", [](const PyResult& r) { return r.sim().platform; })
        .def_property_readonly("stack", [](const PyResult& r) { return r.sim().stack; })
        .def_property_readonly("network", [](const PyResult& r) { return r.sim().network; })
        .def_property_readonly("strategy", [](const PyResult& r) { return r.sim().strategy; })
        .def_property_readonly("batch", [](const PyResult& r) { return r.sim().batch; })
        .def_property_readonly("fidelity",
                               [](const PyResult& r) { return sim::toString(r.sim().fidelity); })
        .def_property_readonly("mapping", [](const PyResult& r) { return r.sim().mapping; })
        .def_property_readonly("precision", [](const PyResult& r) { return r.sim().precision; })
        .def_property_readonly("operating_point",
                               [](const PyResult& r) { return r.sim().operatingPoint.name; })
        .def_property_readonly("clock_hz",
                               [](const PyResult& r) { return r.sim().operatingPoint.clockHz; })
        .def_property_readonly("voltage_v",
                               [](const PyResult& r) { return r.sim().operatingPoint.voltageV; })
        .def_property_readonly("latency_cycles",
                               [](const PyResult& r) { return r.ifTimed(r.sim().latencyCycles); })
        .def_property_readonly("latency_s",
                               [](const PyResult& r) { return r.ifTimed(r.sim().latencyS); })
        .def_property_readonly("energy_j",
                               [](const PyResult& r) { return r.ifTimed(r.sim().energyJ); })
        .def_property_readonly("peak_ram_bytes",
                               [](const PyResult& r) { return r.ifSized(r.sim().peakRamBytes); })
        .def_property_readonly("flash_bytes",
                               [](const PyResult& r) { return r.ifSized(r.sim().flashBytes); })
        .def_property_readonly("weight_bytes",
                               [](const PyResult& r) { return r.ifSized(r.sim().weightBytes); })
        .def_property_readonly("macs", [](const PyResult& r) { return r.ifSized(r.sim().macs); })
        .def_property_readonly("config_sha256", [](const PyResult& r) { return r.r.configSha256; })
        .def_property_readonly("host_seconds",
                               [](const PyResult& r) { return r.sim().hostSeconds; })
        .def(
            "to_dict", [](const PyResult& r) { return toPython(resultDict(r)); },
            "Everything `edgesim simulate --format json` prints for the same query (without "
            "its provenance)")
        .def(py::pickle(&resultState, &resultFromState));

    py::class_<PySimulator>(m, "Simulator")
        .def(py::init<const std::string&, const std::string&, py::handle, py::handle>(),
             py::arg("platform"), py::arg("stack"), py::arg("config_dir") = py::none(),
             py::arg("overrides") = py::none())
        .def("run", &PySimulator::run, py::arg("network"))
        .def("run_many", &PySimulator::runMany, py::arg("queries"))
        .def("_cpp_seconds_per_run", &PySimulator::cppSecondsPerRun, py::arg("network"),
             py::arg("repeats"))
        .def_property_readonly("platform", &PySimulator::platform)
        .def_property_readonly("stack", &PySimulator::stack)
        .def(py::pickle(
            [](const PySimulator& s) {
                const py::tuple a = s.arguments();
                return py::make_tuple(kSimulatorPickleVersion, a[0], a[1], a[2], a[3]);
            },
            [](const py::tuple& a) {
                if (a.size() != 5 || !py::isinstance<py::int_>(a[0]) ||
                    a[0].cast<int>() != kSimulatorPickleVersion) {
                    throw py::value_error("edgesim.Simulator: not a pickled Simulator of this "
                                          "version");
                }
                return std::make_unique<PySimulator>(a[1].cast<std::string>(),
                                                     a[2].cast<std::string>(), a[3], a[4]);
            }));

    namespace dn = explorer::dnas;
    py::class_<explorer::dnas::SeedCostModel, std::shared_ptr<explorer::dnas::SeedCostModel>>(
        m, "CostModel", "Per-layer cost tables of a seed network on a target (edgesim.cost_model)")
        .def_property_readonly("metrics",
                               [](const explorer::dnas::SeedCostModel&) {
                                   return std::vector<std::string>(std::begin(dn::kCostMetrics),
                                                                   std::end(dn::kCostMetrics));
                               })
        .def_property_readonly("groups",
                               [](const explorer::dnas::SeedCostModel& c) {
                                   py::list out;
                                   for (const auto& g : c.model.groups) {
                                       py::dict d;
                                       d["name"] = g.name;
                                       d["channels"] = g.channels;
                                       d["searchable"] = g.searchable;
                                       d["tile"] = g.tile;
                                       out.append(d);
                                   }
                                   return out;
                               })
        .def_property_readonly(
            "seed_channels",
            [](const explorer::dnas::SeedCostModel& c) { return dn::seedChannels(c.grouping); })
        .def_property_readonly("fixed",
                               [](const explorer::dnas::SeedCostModel& c) {
                                   py::dict d;
                                   for (int k = 0; k < dn::kCostMetricCount; ++k) {
                                       d[dn::kCostMetrics[k]] = c.model.fixed[k];
                                   }
                                   return d;
                               })
        .def_property_readonly(
            "layers",
            [](const explorer::dnas::SeedCostModel& c) {
                py::list out;
                for (const auto& t : c.model.layers) {
                    py::dict d;
                    d["layer"] = t.layer;
                    d["in_group"] = t.inGroup;
                    d["out_group"] = t.outGroup;
                    d["in_grid"] = t.inGrid;
                    d["out_grid"] = t.outGrid;
                    d["in_tile"] = t.inTile;
                    d["out_tile"] = t.outTile;
                    // The seed's precision and variant: the first [in][out] plane.
                    const std::size_t n = t.inGrid.size() * t.outGrid.size();
                    py::dict values;
                    for (int k = 0; k < dn::kCostMetricCount; ++k) {
                        py::list rows;
                        for (std::size_t i = 0; i < t.inGrid.size(); ++i) {
                            py::list row;
                            for (std::size_t o = 0; o < t.outGrid.size(); ++o) {
                                const std::size_t at = i * t.outGrid.size() + o;
                                row.append(at < n && at < t.values[k].size() ? t.values[k][at]
                                                                             : 0.0);
                            }
                            rows.append(row);
                        }
                        values[dn::kCostMetrics[k]] = rows;
                    }
                    d["values"] = values;
                    out.append(d);
                }
                return out;
            },
            "Per step: its layer, the groups of its input and output channels (-1: fixed), "
            "the channel grids and tiles, and per metric the table values[in][out]")
        .def(
            "predict",
            [](const explorer::dnas::SeedCostModel& c, const std::vector<int64_t>& channels) {
                const auto costs = dn::predictSeedCosts(c, channels, kSource, "channels");
                py::dict d;
                for (int k = 0; k < dn::kCostMetricCount; ++k) {
                    d[dn::kCostMetrics[k]] = costs[k];
                }
                return d;
            },
            py::arg("channels"), "The model's costs of the seed with these channel counts")
        .def(
            "network",
            [](const explorer::dnas::SeedCostModel& c, const std::vector<int64_t>& channels,
               const std::string& name) {
                std::string text = dn::resizedSeedText(c, channels, name, kSource, "channels");
                auto loaded =
                    workloads::loadNetworkBytes(text, "textproto", "<" + c.label + " resized>");
                return shareNetwork(std::move(loaded), "", std::move(text));
            },
            py::arg("channels"), py::arg("name") = "",
            "The seed with each group's producers resized to `channels` (to simulate)");

    m.def(
        "cost_model",
        [](py::handle network, const std::string& platform, const std::string& stack,
           int64_t channelStep, py::handle cacheDir, py::handle configDir) {
            const auto seed = py::module_::import("edgesim._networks")
                                  .attr("network")(network, py::none(), "name"_a = py::none(),
                                                   "config_dir"_a = configDir)
                                  .cast<PyNetwork>();
            if (seed.text->empty()) {
                throw InputError(kSource, "network",
                                 "a cost model's seed must be a network text (a built-in name, "
                                 "a .textproto or a NetworkBuilder), not " +
                                     seed.loaded->format);
            }
            explorer::Query target;
            target.platform = platform;
            target.stack = stack;
            target.source = kSource;
            target.platformField = "platform";
            target.stackField = "stack";
            dn::CostTableOptions options;
            options.channelStep = channelStep;
            options.cacheDir = configDirOf(cacheDir);
            return inSession(configDir, [&](explorer::Session& session) {
                return std::make_shared<dn::SeedCostModel>(dn::buildSeedCostModel(
                    session, target, *seed.text, seed.loaded->file, options));
            });
        },
        py::arg("network"), py::arg("platform"), py::arg("stack"), py::arg("channel_step") = 4,
        py::arg("cache_dir") = py::none(), py::arg("config_dir") = py::none(),
        "Measures a DNAS cost model of `network` on platform + stack by simulation");

    m.def(
        "pareto_front",
        [](const std::vector<std::vector<double>>& points, const std::vector<bool>& maximize) {
            std::vector<analysis::Sense> senses;
            for (const bool max : maximize) {
                senses.push_back(max ? analysis::Sense::Maximize : analysis::Sense::Minimize);
            }
            return analysis::paretoFront(points, senses);
        },
        py::arg("points"), py::arg("maximize"),
        "Indices of the rows of `points` no other row beats in every column (analysis/Pareto.h)");

    m.def(
        "builtin_names",
        [](const std::string& kind, py::handle configDir) {
            return ConfigPaths(configDirOf(configDir)).list(kind);
        },
        py::arg("kind"), py::arg("config_dir") = py::none());

    m.def(
        "run_sweep",
        [](const std::string& studyFile, const std::string& out, bool resume, bool overwrite,
           int jobs, bool layers, bool quiet, py::handle configDir,
           const std::string& commandLine) {
            const auto s = inSession(configDir, [&](explorer::Session& session) {
                const explorer::Study study = explorer::loadStudy(studyFile, session.paths());
                explorer::SweepOptions o;
                o.out = out;
                o.resume = resume;
                o.overwrite = overwrite;
                o.jobs = jobs;
                o.layers = layers;
                o.quiet = quiet;
                o.commandLine = commandLine;
                return explorer::runSweep(study, session, o);
            });
            return sweepSummary(s);
        },
        py::arg("study"), py::arg("out"), py::arg("resume"), py::arg("overwrite"), py::arg("jobs"),
        py::arg("layers"), py::arg("quiet"), py::arg("config_dir"), py::arg("command_line"));

    m.def(
        "run_nas",
        [](const std::string& studyFile, const std::string& out, bool resume, bool overwrite,
           int jobs, bool quiet, py::handle configDir, const std::string& commandLine) {
            const auto s = inSession(configDir, [&](explorer::Session& session) {
                const auto study = explorer::nas::loadNasStudy(studyFile, session.paths());
                explorer::nas::NasOptions o;
                o.out = out;
                o.resume = resume;
                o.overwrite = overwrite;
                o.jobs = jobs;
                o.quiet = quiet;
                o.commandLine = commandLine;
                return explorer::nas::runNas(study, session, o);
            });
            return nasSummary(s);
        },
        py::arg("study"), py::arg("out"), py::arg("resume"), py::arg("overwrite"), py::arg("jobs"),
        py::arg("quiet"), py::arg("config_dir"), py::arg("command_line"));

    m.def(
        "run_dnas",
        [](const std::string& studyFile, const std::string& out, bool resume, bool overwrite,
           bool quiet, py::handle configDir, const std::string& commandLine) {
            const auto s = inSession(configDir, [&](explorer::Session& session) {
                const auto study = explorer::dnas::loadDnasStudy(studyFile, session.paths());
                explorer::dnas::DnasOptions o;
                o.out = out;
                o.resume = resume;
                o.overwrite = overwrite;
                o.quiet = quiet;
                o.commandLine = commandLine;
                return explorer::dnas::runDnas(study, session, o);
            });
            return dnasSummary(s);
        },
        py::arg("study"), py::arg("out"), py::arg("resume"), py::arg("overwrite"), py::arg("quiet"),
        py::arg("config_dir"), py::arg("command_line"));
}
