// Pareto fronts by one lexicographic sort. With every objective turned into "smaller is better"
// and identical rows merged into one group, a point can only be dominated by a point sorted
// before it (a dominating point is no worse in the first objective and not identical), and any
// earlier point is no worse in the first objective. So a group is on the front exactly when
// no earlier group is at least as good in every objective but the first, a question each
// sweep below answers incrementally:
//   1 objective:   only the first group (the minimum)          O(n log n)
//   2 objectives:  the least second objective seen so far      O(n log n)
//   3 objectives:  a staircase of the (2nd, 3rd) pairs seen    O(n log n) (Kung et al.)
//   4 or more:     a scan of the front found so far            O(n log n + n f), f = front size
// The last is fast when fronts are small (random data: f grows like log(n)^(d-1); 100,000
// uniform points in 4 objectives take tens of milliseconds) and quadratic when almost every
// point is on the front (100,000 such points in 4 objectives: about 10 s).
#include "analysis/Pareto.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>

namespace edgesim::analysis {

namespace {

/// The rows without NaN, every objective negated where it is maximised so that smaller is
/// better throughout. Row r (width values from values[r * width]) is points[ids[r]].
struct Table {
    std::size_t width = 0;
    std::vector<double> values;
    std::vector<std::size_t> ids;

    std::size_t rows() const { return ids.size(); }
    const double* row(std::size_t r) const { return values.data() + r * width; }
};

Table normalise(const std::vector<std::vector<double>>& points, const std::vector<Sense>& senses) {
    Table t;
    t.width = senses.size();
    t.values.reserve(points.size() * t.width);
    t.ids.reserve(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        const std::vector<double>& p = points[i];
        if (std::any_of(p.begin(), p.end(), [](double v) { return std::isnan(v); })) {
            continue;
        }
        for (std::size_t k = 0; k < t.width; ++k) {
            t.values.push_back(senses[k] == Sense::Maximize ? -p[k] : p[k]);
        }
        t.ids.push_back(i);
    }
    return t;
}

/// Row numbers of `t` in lexicographic order of their values (no NaN left, so a strict weak
/// order); ties in row order, which keeps the result independent of the sort's stability.
std::vector<std::size_t> lexicographicOrder(const Table& t) {
    std::vector<std::size_t> order(t.rows());
    for (std::size_t r = 0; r < order.size(); ++r) {
        order[r] = r;
    }
    std::sort(order.begin(), order.end(), [&t](std::size_t a, std::size_t b) {
        const double* ra = t.row(a);
        const double* rb = t.row(b);
        for (std::size_t k = 0; k < t.width; ++k) {
            if (ra[k] != rb[k]) {
                return ra[k] < rb[k];
            }
        }
        return a < b;
    });
    return order;
}

// Each "seen" type below remembers the groups admitted so far. admit(q) answers whether no
// admitted group is at least as good as q in every objective but the first, and if so admits
// q. Rejected groups need not be remembered: whatever they beat, the group that beat them
// beats too.

/// 1 objective: the minimum group is the front.
class FirstOnly {
public:
    bool admit(const double* /*q*/) {
        const bool first = empty_;
        empty_ = false;
        return first;
    }

private:
    bool empty_ = true;
};

/// 2 objectives: beaten when some earlier group's second objective is no worse.
class LeastSecond {
public:
    bool admit(const double* q) {
        if (least_ <= q[1]) {
            return false;
        }
        least_ = q[1];
        return true;
    }

private:
    // NaN, not +inf, until a group is admitted (NaN <= x is false): +inf would reject a first
    // group whose second objective is +inf.
    double least_ = std::numeric_limits<double>::quiet_NaN();
};

/// 3 objectives: the admitted (second, third) pairs that no other admitted pair weakly beats,
/// keyed by the second objective; the third then strictly decreases along the map, so the
/// entry with the largest second objective <= q's has the least third objective among those.
class Staircase {
public:
    bool admit(const double* q) {
        const double second = q[1];
        const double third = q[2];
        auto it = steps_.upper_bound(second);
        if (it != steps_.begin() && std::prev(it)->second <= third) {
            return false;
        }
        // Steps from `second` on with a third objective >= q's are now weakly beaten by q.
        it = steps_.lower_bound(second);
        while (it != steps_.end() && it->second >= third) {
            it = steps_.erase(it);
        }
        steps_.emplace_hint(it, second, third);
        return true;
    }

private:
    std::map<double, double> steps_;
};

/// 4 or more objectives: compared with every front group found so far, whose objectives but
/// the first are copied side by side so that the scan reads memory in order.
class FrontScan {
public:
    explicit FrontScan(std::size_t width) : tail_(width - 1) {}

    bool admit(const double* q) {
        const double* qTail = q + 1;
        for (std::size_t offset = 0; offset < front_.size(); offset += tail_) {
            const double* f = front_.data() + offset;
            // No early exit: stopping at the first worse objective costs a mispredicted
            // branch per front point; the branch-free test is about 3x faster on 4 objectives.
            bool beaten = true;
            for (std::size_t k = 0; k < tail_; ++k) {
                beaten &= f[k] <= qTail[k];
            }
            if (beaten) {
                return false;
            }
        }
        front_.insert(front_.end(), qTail, qTail + tail_);
        return true;
    }

private:
    std::size_t tail_;
    std::vector<double> front_;
};

template <class Seen>
std::vector<std::size_t> sweep(const Table& t, const std::vector<std::size_t>& order, Seen seen) {
    std::vector<std::size_t> front;
    std::size_t begin = 0;
    while (begin < order.size()) {
        const double* q = t.row(order[begin]);
        std::size_t end = begin + 1;
        while (end < order.size() && std::equal(q, q + t.width, t.row(order[end]))) {
            ++end;
        }
        if (seen.admit(q)) {
            for (std::size_t i = begin; i < end; ++i) {
                front.push_back(t.ids[order[i]]);
            }
        }
        begin = end;
    }
    std::sort(front.begin(), front.end());
    return front;
}

} // namespace

std::vector<std::size_t> paretoFront(const std::vector<std::vector<double>>& points,
                                     const std::vector<Sense>& senses) {
    if (senses.empty()) {
        throw std::invalid_argument("paretoFront: no objectives given");
    }
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].size() != senses.size()) {
            throw std::invalid_argument("paretoFront: point " + std::to_string(i) + " has " +
                                        std::to_string(points[i].size()) + " values, expected " +
                                        std::to_string(senses.size()) + " (one per objective)");
        }
    }
    const Table table = normalise(points, senses);
    const std::vector<std::size_t> order = lexicographicOrder(table);
    switch (table.width) {
    case 1: return sweep(table, order, FirstOnly{});
    case 2: return sweep(table, order, LeastSecond{});
    case 3: return sweep(table, order, Staircase{});
    default: return sweep(table, order, FrontScan{table.width});
    }
}

} // namespace edgesim::analysis
