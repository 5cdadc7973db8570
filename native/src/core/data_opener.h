// The receiver's security check of a DATA datagram, before any field of its
// body is read (docs/SECURITY.md, order of checks): flags legal for the
// session's mode, then the tag, then the replay window; an encrypted payload
// is decrypted in place. Without a key, sealed DATA cannot be read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/seal.h"
#include "core/status.h"
#include "core/wire.h"

namespace blockcast {

class DataOpener {
 public:
  enum Result { kOk, kMalformed, kForged, kReplayed, kNoKey };

  // The sender's DATA key (cipher 0: none, back to an open session). A new
  // key starts a new replay window.
  Status setKey(uint8_t cipher, const uint8_t* key, size_t keyLength);
  bool sealed() const { return sealer_ != nullptr; }

  // A DATA datagram of `length` (>= kDataHeaderSize) bytes whose magic,
  // version and type the caller checked. On kOk, *bodyLength is its length
  // without the trailer and the payload is plaintext.
  Result open(uint8_t* p, size_t length, size_t* bodyLength);

 private:
  std::unique_ptr<Sealer> sealer_;
  ReplayWindow window_{kReplayWindowData};
};

}  // namespace blockcast
