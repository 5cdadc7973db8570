// Paces the send thread to a wire rate: a token bucket on an absolute
// timeline, with a bounded bank of credit for late wake-ups.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace blockcast {

class Pacer {
 public:
  explicit Pacer(uint64_t bytesPerSecond) : rate_(bytesPerSecond) {}

  // Any thread. 0 = unpaced.
  void setRate(uint64_t bytesPerSecond) { rate_ = bytesPerSecond; }
  uint64_t rate() const { return rate_; }

  // Send thread only: sleeps until `wireBytes` more may go out.
  void pace(uint64_t wireBytes);

  // How many datagrams of `datagramWireBytes` one burst may hold, at most
  // `max`: about kBurstTargetNs of the current rate (see pacer.cc).
  size_t burstDatagrams(size_t datagramWireBytes, size_t max) const;

  uint64_t sleeps() const { return sleeps_; }
  uint64_t forfeitNs() const { return forfeitNs_; }

 private:
  std::atomic<uint64_t> rate_;  // wire bytes per second, 0 = unpaced
  uint64_t nextSendNs_ = 0;
  std::atomic<uint64_t> sleeps_{0};
  // Pacing time given up because the thread woke or was fed later than the
  // banked credit covers.
  std::atomic<uint64_t> forfeitNs_{0};
};

}  // namespace blockcast
