#include "explorer/sweep/SweepWorker.h"

#include "explorer/results/RunRecords.h"

namespace edgesim::explorer {

wire::Row toWire(const TableRow& row) {
    wire::Row out;
    for (const Cell& c : row) {
        wire::Cell* w = out.add_cells();
        if (const auto* i = std::get_if<int64_t>(&c)) {
            w->set_i(*i);
        } else if (const auto* d = std::get_if<double>(&c)) {
            w->set_d(*d);
        } else {
            w->set_s(std::get<std::string>(c));
        }
    }
    return out;
}

TableRow fromWire(const wire::Row& row) {
    TableRow out;
    out.reserve(static_cast<std::size_t>(row.cells_size()));
    for (const auto& c : row.cells()) {
        switch (c.value_case()) {
        case wire::Cell::kI:
            out.emplace_back(c.i());
            break;
        case wire::Cell::kD:
            out.emplace_back(c.d());
            break;
        default:
            out.emplace_back(c.s());
        }
    }
    return out;
}

SweepWorker::SweepWorker(const SweepPlan& plan, Session& session, bool layers)
    : plan_(plan), session_(session), layers_(layers) {}

wire::Point SweepWorker::point(int64_t index, bool verify) {
    wire::Point out;
    out.set_index(index);
    const Query q = plan_.query(index);
    PointOutcome o;
    QueryResult res;
    if (auto d = session_.problem(q)) {
        o.status = "invalid";
        o.reason = (d->field.empty() ? "" : d->field + ": ") + d->reason;
    } else if (verify) {
        o.configSha256 = session_.hash(q);
    } else {
        res = session_.run(q);
        o.status = sim::toString(res.result.status);
        o.reason = res.result.reason;
        o.result = &res.result;
        o.configSha256 = res.configSha256;
    }
    out.set_config_sha256(o.configSha256);
    if (verify) {
        return out;
    }
    out.set_failed(o.status != "ok");
    *out.mutable_sweep() = toWire(plan_.row(index, o));
    if (layers_) {
        *out.mutable_run() = toWire(toCells(plan_.runRow(index, o)));
        if (o.result != nullptr) {
            for (const auto& l : layerRows(*o.result, index)) {
                *out.add_layers() = toWire(toCells(l));
            }
        }
    }
    return out;
}

wire::Result SweepWorker::run(const wire::Task& task) {
    wire::Result result;
    for (int64_t i = task.begin(); i < task.end(); ++i) {
        *result.add_points() = point(i, task.verify());
    }
    return result;
}

} // namespace edgesim::explorer
