// Reed-Solomon over GF(2^8) (core/fec.h, ISA-L or portable) as an FecScheme:
// blocks are stripes of up to 254 sources, and a stripe of k sources has
// 255 - k parity indices. Repair ids carry stripe and parity index
// (core/wire.h).
#pragma once

#include "core/fec.h"
#include "core/fec_scheme.h"

namespace blockcast {

class ReedSolomon final : public FecScheme {
 public:
  explicit ReedSolomon(uint32_t stripeSize, fec::Backend backend = fec::bestBackend());
  static bool validStripeSize(uint32_t stripeSize) { return stripeSize > 0 && stripeSize < uint32_t(fec::kMaxRows); }

  const char* name() const override { return "reed-solomon"; }
  bool parseRepairId(uint32_t symbols, uint32_t id, RepairRef* out) const override;
  void encode(int k, int len, const uint8_t* const* src, int n, const int* index, uint8_t* const* out) const override;
  bool decode(int k, int len, const uint8_t* const* have, const int* esi, int nmissing, const int* missing,
              uint8_t* const* out) const override;

 private:
  fec::Backend backend_;
};

}  // namespace blockcast
