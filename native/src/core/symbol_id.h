// The one place that knows how symbol ids and missing() reports are laid
// out: the repair-id bits on the wire and the entry kinds JS turns into NACKs.
#pragma once

#include <cstdint>

#include "protocol.h"

namespace blockcast {

// Repair symbol id: kRepairBit | block (FEC stripe) << 16 | repair index
// (parity index). Ids without kRepairBit are source symbols.
constexpr uint32_t kRepairBlockShift = 16;
constexpr uint32_t kRepairIndexMask = 0xFFFFu;

inline bool isRepairId(uint32_t id) { return (id & kRepairBit) != 0; }
inline uint32_t repairBlock(uint32_t id) { return (id & ~kRepairBit) >> kRepairBlockShift; }
inline uint32_t repairIndex(uint32_t id) { return id & kRepairIndexMask; }
inline uint32_t makeRepairId(uint32_t block, uint32_t index) {
  return kRepairBit | (block << kRepairBlockShift) | (index & kRepairIndexMask);
}

// Entry kinds of missing(): [chunk, kind, count, a0, b0, a1, b1, ...].
enum class NackKind : uint32_t {
  SourceRuns = 1,   // `count` runs (start, length) of missing source symbols
  StripeNeeds = 2,  // `count` (block, need) pairs: symbols each FEC block still needs
  WholeChunk = 3,   // count 0: nothing arrived and the chunk's wire length is unknown
};

}  // namespace blockcast
