#include "explorer/sweep/SweepWorker.h"

#include "explorer/results/RunRecords.h"

#include <stdexcept>
#include <type_traits>

namespace edgesim::explorer {

void toWire(const TableRow& row, wire::Row& out) {
    for (const Cell& c : row) {
        if (const auto* i = std::get_if<int64_t>(&c)) {
            out.add_ints(*i);
        } else if (const auto* d = std::get_if<double>(&c)) {
            out.add_reals(*d);
        } else {
            out.add_texts(std::get<std::string>(c));
        }
    }
}

namespace {

template <typename RowRef> TableRow cellsFrom(RowRef&& row, const std::vector<ColumnDef>& columns) {
    TableRow out;
    out.reserve(columns.size());
    int i = 0;
    int d = 0;
    int s = 0;
    for (const auto& c : columns) {
        if (c.kind == ColumnKind::Int && i < row.ints_size()) {
            out.emplace_back(static_cast<int64_t>(row.ints(i++)));
        } else if (c.kind == ColumnKind::Double && d < row.reals_size()) {
            out.emplace_back(row.reals(d++));
        } else if (c.kind == ColumnKind::String && s < row.texts_size()) {
            if constexpr (std::is_const_v<std::remove_reference_t<RowRef>>) {
                out.emplace_back(row.texts(s++));
            } else {
                out.emplace_back(std::move(*row.mutable_texts(s++)));
            }
        } else {
            throw std::runtime_error("a sweep worker sent a row without the cell of column " +
                                     c.name);
        }
    }
    return out;
}

} // namespace

TableRow fromWire(const wire::Row& row, const std::vector<ColumnDef>& columns) {
    return cellsFrom(row, columns);
}

TableRow fromWire(wire::Row&& row, const std::vector<ColumnDef>& columns) {
    return cellsFrom(row, columns);
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
        o.status = kInvalidStatus;
        o.reason = d->fieldAndReason();
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
    toWire(plan_.row(index, o), *out.mutable_sweep());
    if (layers_) {
        toWire(toCells(plan_.runRow(index, o)), *out.mutable_run());
        if (o.result != nullptr) {
            for (const auto& l : layerRows(*o.result, index)) {
                toWire(toCells(l), *out.add_layers());
            }
            for (const auto& m : layerMemoryRows(*o.result, index)) {
                toWire(toCells(m), *out.add_layer_memory());
            }
            for (const auto& e : energyRows(*o.result, index)) {
                toWire(toCells(e), *out.add_energy());
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
