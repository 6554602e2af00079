#include "explorer/Progress.h"

#include <fmt/format.h>

#include <unistd.h>

namespace edgesim::explorer {

namespace {

/// Redraws per second at most: enough to look alive, cheap next to a simulation.
constexpr double kRedrawSeconds = 0.2;

} // namespace

Progress::Progress(std::string what, std::string unit, int64_t total, std::FILE* out)
    : Progress(std::move(what), std::move(unit), total, out, isatty(fileno(out)) != 0) {}

Progress::Progress(std::string what, std::string unit, int64_t total, std::FILE* out,
                   bool interactive)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total), out_(out),
      interactive_(interactive), start_(std::chrono::steady_clock::now()), lastDraw_(start_) {}

std::string Progress::duration(double s) {
    if (!(s >= 0) || s > 1e7) {
        return "?";
    }
    if (s < 60) {
        return fmt::format("{:.1f} s", s);
    }
    const auto t = static_cast<int64_t>(s + 0.5);
    if (t < 3600) {
        return fmt::format("{} m {:02} s", t / 60, t % 60);
    }
    return fmt::format("{} h {:02} m", t / 3600, (t % 3600) / 60);
}

std::string Progress::line(bool final) const {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
    const int64_t left = total_ - skipped_ - done_;
    std::string s = fmt::format("{}: {}/{} {}", what_, done_ + skipped_, total_, unit_);
    if (skipped_ > 0) {
        s += fmt::format(" ({} already done)", skipped_);
    }
    s += fmt::format(", {:.1f} {}/s", rate, unit_);
    if (final) {
        s += ", " + duration(elapsed);
    } else {
        s += ", ETA " + (rate > 0 ? duration(static_cast<double>(left) / rate) : std::string("?"));
    }
    s += fmt::format(", {} not ok", failed_);
    if (!status_.empty() && !final) {
        s += ", " + status_;
    }
    return s;
}

void Progress::update(int64_t done, int64_t failed, int64_t skipped) {
    done_ = done;
    failed_ = failed;
    skipped_ = skipped;
    if (!interactive_) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - lastDraw_).count() < kRedrawSeconds) {
        return;
    }
    lastDraw_ = now;
    std::fprintf(out_, "\r\033[K%s", line(false).c_str());
    std::fflush(out_);
}

void Progress::clear() {
    if (interactive_) {
        std::fputs("\r\033[K", out_);
        std::fflush(out_);
        lastDraw_ = start_; // redraw at the next update
    }
}

void Progress::finish(const std::string& note) {
    const std::string l = line(true) + (note.empty() ? "" : ", " + note);
    std::fprintf(out_, "%s%s\n", interactive_ ? "\r\033[K" : "", l.c_str());
    std::fflush(out_);
}

} // namespace edgesim::explorer
