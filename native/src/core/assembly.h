// One chunk being assembled: which source symbols are in its buffer, and,
// with FEC, how many each block holds and the repair symbols held until the
// block can be decoded. Scheme-neutral: blocks, needs and decoding come from
// the FecScheme.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/fec_scheme.h"

namespace blockcast {

// A chunk-sized buffer lent by JS (provide()). Native code writes into it
// only while it is free or assembling; once its chunk completes the slot id
// goes back to JS, which owns the memory, and native code forgets the pointer.
struct Slot {
  uint8_t* data = nullptr;
  uint32_t id = 0;
};

// A repair symbol held until its block can be decoded.
struct HeldRepair {
  int index;  // repair index: ESI = block sources + index
  std::vector<uint8_t> data;
};

class Assembly {
 public:
  // `fec` null: no FEC in this session. It must outlive the assembly.
  Assembly(Slot slot, uint32_t symbols, uint32_t length, uint8_t coding, uint32_t symbolSize, const FecScheme* fec);

  const Slot& slot() const { return slot_; }
  uint32_t length() const { return length_; }
  uint8_t coding() const { return coding_; }
  bool complete() const { return received_ == symbols_; }
  bool hasSource(uint32_t symbol) const { return (have_[symbol >> 6] >> (symbol & 63)) & 1; }

  // A symbol that names another length or coding than the chunk's first.
  // True once disagreement outweighs agreement: the first symbol was the odd
  // one (forged or stale), and the chunk should start over.
  bool conflict() { return ++conflicts_ > received_ + 8; }

  // Copies a source symbol (not yet held) into the buffer. Inline: it runs
  // for every source symbol received.
  void placeSource(uint32_t symbol, const uint8_t* payload, uint32_t len) {
    std::memcpy(slot_.data + size_t(symbol) * symbolSize_, payload, len);
    have_[symbol >> 6] |= uint64_t(1) << (symbol & 63);
    received_++;
    if (fec_) blockHave_[fec_->blockOf(symbol)]++;
  }
  // Keeps a repair symbol of a full symbol's size; false if its block is
  // already whole or holds this repair index (a duplicate).
  bool holdRepair(const RepairRef& ref, const uint8_t* payload, uint32_t len);
  // Rebuilds the block's missing sources once it holds enough symbols.
  // Returns the sources rebuilt (0: not yet decodable), or -1 if the decode
  // failed, in which case the block's repairs are dropped.
  // The readiness check is inline: with FEC it runs for every source symbol.
  int tryDecode(uint32_t block) {
    uint32_t sources = fec_->blockSources(symbols_, block);
    uint32_t present = blockHave_[block];
    if (present == sources || fec_->blockNeed(sources, present, uint32_t(repairs_[block].size())) > 0) return 0;
    return decode(block, sources);
  }

  // Appends this chunk's missing() entry (core/wire.h): its blocks'
  // needs with FEC, else runs of missing sources.
  void appendMissing(uint32_t chunk, std::vector<uint32_t>* out) const;

 private:
  uint32_t sourceLength(uint32_t symbol) const;
  int decode(uint32_t block, uint32_t sources);

  Slot slot_;
  std::vector<uint64_t> have_;  // one bit per source symbol
  uint32_t symbols_;            // source symbols in this chunk
  uint32_t received_ = 0;       // source symbols present (received or decoded)
  uint32_t length_;             // bytes of this chunk on the wire
  uint8_t coding_;              // a WireCoding, as its first symbol said
  uint32_t conflicts_ = 0;      // symbols that named another length or coding
  uint32_t symbolSize_;
  const FecScheme* fec_;
  std::vector<uint16_t> blockHave_;                  // sources present per block
  std::vector<std::vector<HeldRepair>> repairs_;  // repair symbols held per block
};

}  // namespace blockcast
