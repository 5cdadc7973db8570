// The receiver's counters: bumped by the receive thread, read by stats()
// from another without the lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "core/wire.h"

namespace blockcast {

struct RxCounters {
  std::atomic<uint64_t> datagrams{0}, dataPackets{0}, payloadBytes{0}, duplicates{0}, malformed{0}, foreign{0},
      early{0}, noBuffer{0}, chunksCompleted{0}, controls{0}, groBatches{0}, controlOverflow{0}, socketDrops{0},
      repairSymbols{0}, decodedSymbols{0}, decodeFailures{0}, injectedDrops{0}, repeatedAnnounces{0},
      forged{0}, replayed{0}, noKey{0};
  // Rate discovery: DATA bytes taken (UDP payload), and datagrams the sender
  // sent meanwhile by the DATA seq (seq_gaps.h).
  std::atomic<uint64_t> dataBytes{0}, sequenced{0};
};

// A snapshot for stats(): the counters plus the state they describe.
struct RxStats {
  uint64_t datagrams, dataPackets, payloadBytes, duplicates, malformed, foreign, early, noBuffer, chunksCompleted,
      controls, controlOverflow, repeatedAnnounces, groBatches, socketDrops, repairSymbols, decodedSymbols,
      decodeFailures, injectedDrops;
  // Sealed sessions: DATA dropped for a missing or failed tag, for a seq
  // already seen or below the replay window, and sealed DATA while no key
  // is set (docs/SECURITY.md).
  uint64_t forged, replayed, noKey;
  uint64_t dataBytes, sequenced;
  bool gro;
  int socketBuffer;
  size_t assembling, freeSlots;
  std::array<int64_t, kStreamCount> highestSeen;
};

}  // namespace blockcast
