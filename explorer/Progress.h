// Progress of long work (sweeps, NAS) on stderr: on a terminal a line redrawn at most a few
// times a second with done/total, rate, ETA and failures; otherwise nothing until the end, then
// one summary line (so CI logs stay quiet).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace edgesim::explorer {

class Progress {
public:
    /// `what` names the work ("sweep"), `unit` its items ("points"). `interactive`: redraw a
    /// line as work goes (default: whether `out` is a terminal).
    Progress(std::string what, std::string unit, int64_t total, std::FILE* out = stderr);
    Progress(std::string what, std::string unit, int64_t total, std::FILE* out, bool interactive);

    /// `done` items finished so far this run (of which `failed` were not ok), `skipped`
    /// items that needed no work (already in a resumed file).
    void update(int64_t done, int64_t failed, int64_t skipped = 0);
    /// Text shown at the end of the live line ("generation 3/10, 12 feasible").
    void setStatus(std::string status) { status_ = std::move(status); }
    /// Erases the live line (on a terminal), so that other output can be printed; the next
    /// update() draws it again.
    void clear();
    /// Prints the final line (the summary line when not interactive); `note` is appended.
    void finish(const std::string& note = "");

    /// "12.3 s", "4 m 05 s", "2 h 03 m".
    static std::string duration(double seconds);

private:
    std::string line(bool final) const;
    std::string what_;
    std::string unit_;
    int64_t total_;
    std::FILE* out_;
    bool interactive_;
    int64_t done_ = 0;
    int64_t failed_ = 0;
    int64_t skipped_ = 0;
    std::string status_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point lastDraw_;
};

} // namespace edgesim::explorer
