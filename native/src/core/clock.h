// The engines' one clock: CLOCK_MONOTONIC, so pacing deadlines and flush
// timers never jump with wall-clock changes.
#pragma once

#include <cstdint>
#include <ctime>

namespace blockcast {

inline uint64_t monotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

}  // namespace blockcast
