#include "core/assembly.h"

#include <algorithm>
#include <cstring>

#include "core/wire.h"

namespace blockcast {

Assembly::Assembly(Slot slot, uint32_t symbols, uint32_t length, uint8_t coding, uint32_t symbolSize,
                   const FecScheme* fec)
    : slot_(slot), have_((symbols + 63) / 64, 0), symbols_(symbols), length_(length), coding_(coding),
      symbolSize_(symbolSize), fec_(fec) {
  if (fec_) {
    uint32_t blocks = fec_->blockCount(symbols);
    blockHave_.assign(blocks, 0);
    repairs_.resize(blocks);
  }
}

uint32_t Assembly::sourceLength(uint32_t symbol) const { return std::min(symbolSize_, length_ - symbol * symbolSize_); }

bool Assembly::holdRepair(const RepairRef& ref, const uint8_t* payload, uint32_t len) {
  auto& held = repairs_[ref.block];
  bool known = false;
  for (const auto& r : held) known = known || r.index == ref.index;
  if (blockHave_[ref.block] == fec_->blockSources(symbols_, ref.block) || known) return false;
  held.push_back(HeldRepair{ref.index, std::vector<uint8_t>(payload, payload + len)});
  return true;
}

// Short sources (the chunk's last) are zero-padded to a full symbol, as the
// sender padded them to encode.
int Assembly::decode(uint32_t block, uint32_t sources) {
  auto& held = repairs_[block];
  uint32_t want = fec_->decodeSymbols(sources);
  uint32_t first = fec_->blockFirst(block);
  std::vector<const uint8_t*> have;
  std::vector<int> esi;
  std::vector<int> missing;
  std::vector<uint8_t> padded;  // the short last source, if present and needed
  for (uint32_t i = 0; i < sources; i++) {
    uint32_t sym = first + i;
    if (!hasSource(sym)) {
      missing.push_back(int(i));
      continue;
    }
    if (have.size() + held.size() >= want) continue;  // enough sources; repairs fill the rest
    uint32_t len = sourceLength(sym);
    const uint8_t* ptr = slot_.data + size_t(sym) * symbolSize_;
    if (len < symbolSize_) {
      padded.assign(symbolSize_, 0);
      std::memcpy(padded.data(), ptr, len);
      ptr = padded.data();
    }
    have.push_back(ptr);
    esi.push_back(int(i));
  }
  for (size_t j = 0; have.size() < want && j < held.size(); j++) {
    have.push_back(held[j].data.data());
    esi.push_back(int(sources) + held[j].index);
  }
  std::vector<std::vector<uint8_t>> out(missing.size(), std::vector<uint8_t>(symbolSize_));
  std::vector<uint8_t*> outPtrs;
  for (auto& o : out) outPtrs.push_back(o.data());
  if (!fec_->decode(int(sources), int(symbolSize_), have.data(), esi.data(), int(missing.size()), missing.data(),
                    outPtrs.data())) {
    held.clear();  // cannot happen with distinct indices; start the block's repairs over
    return -1;
  }
  for (size_t m = 0; m < missing.size(); m++) {
    uint32_t sym = first + uint32_t(missing[m]);
    placeSource(sym, out[m].data(), sourceLength(sym));
  }
  held.clear();
  held.shrink_to_fit();
  return int(missing.size());
}

void Assembly::appendMissing(uint32_t chunk, std::vector<uint32_t>* out) const {
  size_t header = out->size();
  uint32_t count = 0;
  if (fec_) {
    out->insert(out->end(), {chunk, uint32_t(kNackStripeNeeds), 0});
    for (uint32_t b = 0; b < blockHave_.size(); b++) {
      uint32_t need = fec_->blockNeed(fec_->blockSources(symbols_, b), blockHave_[b], uint32_t(repairs_[b].size()));
      if (need > 0) {
        out->insert(out->end(), {b, need});
        count++;
      }
    }
  } else {
    out->insert(out->end(), {chunk, uint32_t(kNackSourceRuns), 0});
    for (uint32_t s = 0; s < symbols_;) {
      if (hasSource(s)) {
        s++;
        continue;
      }
      uint32_t start = s;
      while (s < symbols_ && !hasSource(s)) s++;
      out->insert(out->end(), {start, s - start});
      count++;
    }
  }
  (*out)[header + 2] = count;
}

}  // namespace blockcast
