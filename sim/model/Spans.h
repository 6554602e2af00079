// Interval arithmetic for overlap figures: how much of the time some transfer was in flight
// was hidden under compute. Shared by the TLM engines and the analytical evaluator.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace edgesim::sim {

using Span = std::pair<uint64_t, uint64_t>; ///< [begin, end) in cycles

/// Length of the union of `spans`, and of its intersection with `cover` (sorted, disjoint).
inline std::pair<uint64_t, uint64_t> coverage(std::vector<Span> spans,
                                              const std::vector<Span>& cover) {
    std::sort(spans.begin(), spans.end());
    std::vector<Span> merged;
    for (const auto& s : spans) {
        if (!merged.empty() && s.first <= merged.back().second) {
            merged.back().second = std::max(merged.back().second, s.second);
        } else if (s.second > s.first) {
            merged.push_back(s);
        }
    }
    uint64_t total = 0;
    uint64_t hidden = 0;
    std::size_t j = 0;
    for (const auto& m : merged) {
        total += m.second - m.first;
        while (j < cover.size() && cover[j].second <= m.first) {
            ++j;
        }
        for (std::size_t k = j; k < cover.size() && cover[k].first < m.second; ++k) {
            const uint64_t lo = std::max(m.first, cover[k].first);
            const uint64_t hi = std::min(m.second, cover[k].second);
            hidden += hi > lo ? hi - lo : 0;
        }
    }
    return {total, hidden};
}

} // namespace edgesim::sim
