// Loss as a receiver sees it: DATA carries the sender's datagram count mod
// 2^16, so the span of counts seen says how many datagrams the sender sent
// meanwhile, and that span minus the datagrams taken is what was lost on the
// way (a qdisc, a switch, a full socket buffer). Reordering (software GSO
// segmentation reorders by up to ~40) only delays a datagram's count: a late
// one lies below the highest seen and is taken, not added to the span.
#pragma once

#include <cstdint>

namespace blockcast {

class SeqGaps {
 public:
  // A count this far behind the highest is a late datagram, not a wrap: far
  // more than any reordering, far less than the 2^16 period.
  static constexpr uint32_t kLateWindow = 4096;

  // Takes the count of one datagram of the session; returns by how much it
  // extends the span of datagrams sent since the first one seen (0 for a
  // late or repeated one).
  uint32_t take(uint16_t seq) {
    if (!started_) {
      started_ = true;
      highest_ = seq;
      return 1;
    }
    uint32_t ahead = uint16_t(seq - highest_);
    if (ahead == 0 || ahead >= 65536u - kLateWindow) return 0;
    highest_ = seq;
    return ahead;
  }

  void reset() { started_ = false; }

 private:
  bool started_ = false;
  uint16_t highest_ = 0;
};

}  // namespace blockcast
