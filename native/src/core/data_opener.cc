#include "core/data_opener.h"

#include "core/data_header.h"
#include "core/wire.h"

namespace blockcast {

Status DataOpener::setKey(uint8_t cipher, const uint8_t* key, size_t keyLength) {
  std::unique_ptr<Sealer> next;
  if (cipher != kCipherNone) {
    Status s;
    next = Sealer::create(cipher, key, keyLength, &s);
    if (!next) return s;
  }
  sealer_ = std::move(next);
  window_.reset();
  return Status::Ok();
}

DataOpener::Result DataOpener::open(uint8_t* p, size_t length, size_t* bodyLength) {
  uint16_t flags = load16(p + kOffFlags);
  if (!dataFlagsLegal(flags, true)) return kMalformed;  // bits no DATA packet may carry
  if (!sealer_) {
    if (flags & kFlagSealed) return kNoKey;
    *bodyLength = length;
    return kOk;
  }
  // In a sealed session an unsealed packet is a stranger's.
  if (!(flags & kFlagSealed)) return kForged;
  if (length < kDataHeaderSize + kSealTrailerSize) return kMalformed;
  size_t aad = flags & kFlagEncrypted ? kDataHeaderSize : length - kSealTrailerSize;
  uint64_t seq;
  if (!sealer_->open(p, length, aad, kSealOriginSenderData, &seq)) return kForged;
  if (!window_.accept(seq)) return kReplayed;
  *bodyLength = length - kSealTrailerSize;
  return kOk;
}

}  // namespace blockcast
