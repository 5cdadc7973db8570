#include "core/reed_solomon.h"

#include "core/wire.h"

namespace blockcast {

ReedSolomon::ReedSolomon(uint32_t stripeSize, fec::Backend backend) : FecScheme(stripeSize, 0), backend_(backend) {}

bool ReedSolomon::parseRepairId(uint32_t symbols, uint32_t id, RepairRef* out) const {
  if (!isRepairSymbol(id)) return false;
  uint32_t block = repairStripe(id);
  uint32_t index = repairIndex(id);
  if (block >= blockCount(symbols) || index >= uint32_t(fec::kMaxRows) - blockSources(symbols, block)) return false;
  *out = RepairRef{block, int(index)};
  return true;
}

void ReedSolomon::encode(int k, int len, const uint8_t* const* src, int n, const int* index, uint8_t* const* out) const {
  fec::encode(backend_, k, len, src, n, index, out);
}

// A Reed-Solomon ESI is the symbol's generator row.
bool ReedSolomon::decode(int k, int len, const uint8_t* const* have, const int* esi, int nmissing, const int* missing,
                         uint8_t* const* out) const {
  return fec::decode(backend_, k, len, have, esi, nmissing, missing, out);
}

Status makeFecScheme(uint32_t stripeSize, std::unique_ptr<FecScheme>* out) {
  out->reset();
  if (stripeSize == 0) return Status::Ok();
  if (!ReedSolomon::validStripeSize(stripeSize)) return Status::Range("stripeSize out of range");
  *out = std::make_unique<ReedSolomon>(stripeSize);
  return Status::Ok();
}

}  // namespace blockcast
