#include "core/pacer.h"

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "core/clock.h"

namespace blockcast {

namespace {

// Pacing credit that may be banked when the thread runs late: up to 256 KiB
// at the current rate (a catch-up burst any switch port buffers), between
// 1 ms and 50 ms. On a busy machine the send thread wakes milliseconds late;
// with only 1 ms banked, a 50 Mbit/s sender sharing 2 cores with 16
// receivers lost 16% of its schedule.
constexpr uint64_t kCreditBytes = 256 * 1024;
constexpr uint64_t kMinCreditNs = 1000000;
constexpr uint64_t kMaxCreditNs = 50000000;
constexpr uint64_t kBurstTargetNs = 2000000;  // longest burst at the current rate: 2 ms

}  // namespace

// Token bucket on an absolute timeline: each batch is due when the previous
// one's bytes have drained at the target rate. Sleeping to an absolute
// deadline keeps the long-run rate exact even when single wake-ups are late,
// and at most creditNs of unused time is banked as burst credit.
void Pacer::pace(uint64_t wireBytes) {
  uint64_t rate = rate_;
  if (rate == 0) return;
  uint64_t now = monotonicNs();
  uint64_t creditNs = std::clamp<uint64_t>(kCreditBytes * 1000000000ull / rate, kMinCreditNs, kMaxCreditNs);
  if (nextSendNs_ + creditNs < now) {
    if (nextSendNs_ != 0) forfeitNs_ += now - creditNs - nextSendNs_;
    nextSendNs_ = now - creditNs;
  }
  if (nextSendNs_ > now) {
    timespec ts{static_cast<time_t>(nextSendNs_ / 1000000000ull), static_cast<long>(nextSendNs_ % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    sleeps_++;
  }
  nextSendNs_ += wireBytes * 1000000000ull / rate;
}

// At low rates a 64 KiB GSO burst lasts tens of milliseconds: keep each
// burst to about kBurstTargetNs of the current rate, so the stream stays
// smooth and a waiting repair goes out within a couple of milliseconds.
size_t Pacer::burstDatagrams(size_t datagramWireBytes, size_t max) const {
  uint64_t rate = rate_;
  if (rate == 0) return max;
  uint64_t bytes = rate * kBurstTargetNs / 1000000000ull;
  return std::clamp<size_t>(bytes / datagramWireBytes, 1, max);
}

}  // namespace blockcast
