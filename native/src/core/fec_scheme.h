// An FEC scheme behind one interface, after NORM's NormEncoder/NormDecoder
// (normEncoder.h): the engines cut chunks into blocks and ask the scheme to
// encode repair symbols, map repair ids to blocks and decode a block.
// Reed-Solomon (core/reed_solomon.h) is the one scheme today; another
// (RaptorQ) slots in as a subclass.
//
// Within a block, symbols are named by encoding symbol id (ESI): source i is
// ESI i, repair index p is ESI k + p for a block of k sources.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "core/status.h"

namespace blockcast {

// Where a repair symbol belongs.
struct RepairRef {
  uint32_t block = 0;
  int index = 0;  // repair index within the block: ESI = block sources + index
};

class FecScheme {
 public:
  virtual ~FecScheme() = default;
  virtual const char* name() const = 0;

  // Geometry, non-virtual because the receiver asks it for every source
  // symbol: a chunk's sources are cut into consecutive blocks of blockSize()
  // (the last may be shorter).
  uint32_t blockSize() const { return blockSize_; }
  uint32_t blockCount(uint32_t symbols) const { return (symbols + blockSize_ - 1) / blockSize_; }
  uint32_t blockOf(uint32_t symbol) const { return symbol / blockSize_; }
  uint32_t blockFirst(uint32_t block) const { return block * blockSize_; }
  uint32_t blockSources(uint32_t symbols, uint32_t block) const {
    return std::min(blockSize_, symbols - block * blockSize_);
  }
  // Symbols (any mix of sources and repairs) a decode of a k-source block
  // takes: k for an MDS code such as Reed-Solomon.
  uint32_t decodeSymbols(uint32_t sources) const { return sources + decodeOverhead_; }
  // How many more symbols a block holding `present` of its `sources` and
  // `repairs` repair symbols needs before it can be rebuilt: 0 when it is
  // whole or decodable. This is what missing() reports per block.
  uint32_t blockNeed(uint32_t sources, uint32_t present, uint32_t repairs) const {
    if (present == sources) return 0;
    uint32_t want = decodeSymbols(sources);
    return present + repairs >= want ? 0 : want - present - repairs;
  }

  // Where repair symbol `id` of a chunk of `symbols` sources belongs; false
  // if the id names no repair symbol of that chunk.
  virtual bool parseRepairId(uint32_t symbols, uint32_t id, RepairRef* out) const = 0;

  // Repair symbols with repair indices index[0..n) of a block of k sources,
  // each `len` bytes (a short last source zero-padded by the caller).
  virtual void encode(int k, int len, const uint8_t* const* src, int n, const int* index, uint8_t* const* out) const = 0;

  // Rebuilds sources `missing[0..nmissing)` of a k-source block from
  // decodeSymbols(k) symbols `have` with ESIs `esi`. False if they do not
  // determine the block (the caller then starts the block's repairs over).
  virtual bool decode(int k, int len, const uint8_t* const* have, const int* esi, int nmissing, const int* missing,
                      uint8_t* const* out) const = 0;

 protected:
  FecScheme(uint32_t blockSize, uint32_t decodeOverhead) : blockSize_(blockSize), decodeOverhead_(decodeOverhead) {}

 private:
  uint32_t blockSize_;
  uint32_t decodeOverhead_;
};

// The session's scheme from its stripe size: null for 0 (no FEC), a range
// error if the scheme cannot have blocks that large.
Status makeFecScheme(uint32_t stripeSize, std::unique_ptr<FecScheme>* out);

}  // namespace blockcast
