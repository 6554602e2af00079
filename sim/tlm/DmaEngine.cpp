#include "sim/tlm/DmaEngine.h"

#include "sim/tlm/Burst.h"

#define SC_INCLUDE_DYNAMIC_PROCESSES // NOLINT: sc_spawn
#include <systemc>

#include <algorithm>

namespace edgesim::sim {

DmaEngine::DmaEngine(const sc_core::sc_module_name& name, int channels, int64_t burstBytes)
    : sc_core::sc_module(name), socket("socket"), burstBytes_(burstBytes) {
    for (int c = 0; c < channels; ++c) {
        channels_.push_back(std::make_unique<Channel>());
        sc_core::sc_spawn_options opts;
        sc_core::sc_spawn([this, c] { runChannel(c); }, sc_core::sc_gen_unique_name("channel"),
                          &opts);
    }
}

void DmaEngine::enqueue(int channel, const DmaTransfer& transfer) {
    Channel& ch = *channels_.at(static_cast<std::size_t>(channel));
    ch.queue.push_back(transfer);
    ch.wake.notify(sc_core::SC_ZERO_TIME);
}

const DmaChannelStats& DmaEngine::stats(int channel) const {
    return channels_.at(static_cast<std::size_t>(channel))->stats;
}

void DmaEngine::resetStats() {
    for (auto& ch : channels_) {
        ch->stats = DmaChannelStats{};
        ch->started = false;
    }
}

uint64_t DmaEngine::burst(int memory, int64_t bytes, bool write, uint64_t at) {
    return issueBurst(*socket.operator->(), payload_, memory, bytes, write, at, name());
}

void DmaEngine::runChannel(int index) {
    Channel& ch = *channels_[static_cast<std::size_t>(index)];
    const std::string track = std::string(basename()) + ".ch" + std::to_string(index);
    for (;;) {
        while (ch.queue.empty()) {
            wait(ch.wake);
        }
        const DmaTransfer t = std::move(ch.queue.front());
        ch.queue.pop_front();
        const uint64_t begin = timeToCycles(sc_core::sc_time_stamp());
        if (setupCycles_ > 0) {
            wait(cyclesToTime(static_cast<uint64_t>(setupCycles_)));
        }
        if (!ch.started) {
            ch.stats.firstCycle = begin;
            ch.started = true;
        }
        // Two-stage pipeline: the next burst is read while the last one is written; each
        // burst's write starts when its read is done and the previous write has finished.
        // Temporally decoupled: one wait per burstsPerSync_ bursts (until the next read may
        // start); between waits the bursts are issued at their offsets from now.
        // A simulator limit, not a hardware constant: a transfer is simulated as at most
        // kMaxBurstsPerTransfer bursts (bursts of a multiple of burst_bytes beyond that), so
        // an absurd transfer cannot take unbounded host time. Real transfers (up to tens of
        // MB at the shipped burst sizes) are simulated burst by burst.
        constexpr int64_t kMaxBurstsPerTransfer = int64_t{1} << 16;
        int64_t step = burstBytes_;
        if (t.bytes / burstBytes_ > kMaxBurstsPerTransfer) {
            const int64_t per = t.bytes / kMaxBurstsPerTransfer + 1;
            step = (per / burstBytes_ + 1) * burstBytes_;
        }
        uint64_t readDone = 0;  // cycles from now at which the last read completes
        uint64_t writeDone = 0; // cycles from now at which the last write completes
        int pending = 0;
        for (int64_t done = 0; t.writeAfterRead && done < t.bytes; done += step) {
            const int64_t n = std::min(step, t.bytes - done);
            const uint64_t read = burst(t.source, n, false, 0);
            wait(cyclesToTime(read));
            writeDone = burst(t.destination, n, true, writeDone > read ? writeDone - read : 0);
        }
        for (int64_t done = 0; !t.writeAfterRead && done < t.bytes; done += step) {
            const int64_t n = std::min(step, t.bytes - done);
            readDone = burst(t.source, n, false, readDone);
            writeDone = burst(t.destination, n, true, std::max(readDone, writeDone));
            if (++pending == burstsPerSync_) {
                wait(cyclesToTime(readDone));
                writeDone -= readDone;
                readDone = 0;
                pending = 0;
            }
        }
        wait(cyclesToTime(writeDone));
        const uint64_t end = timeToCycles(sc_core::sc_time_stamp());
        ch.stats.lastCycle = end;
        ch.stats.bytes += t.bytes;
        ++ch.stats.transfers;
        if (observer_ != nullptr) {
            observer_->onSpan(track, t.label, begin, end, t.bytes);
        }
        if (t.onDone) {
            t.onDone(begin, end);
        }
    }
}

} // namespace edgesim::sim
