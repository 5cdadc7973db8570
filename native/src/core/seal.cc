#include "core/seal.h"

#include <algorithm>
#include <cstring>

#include "core/seal_backend.h"
#include "core/wire.h"

namespace blockcast {

bool sealArgumentsValid(uint8_t cipher, size_t keyLength, Status* status) {
  const char* why = nullptr;
  if (!sealCipherSupported(cipher, &why)) {
    *status = Status::State(why);
    return false;
  }
  if (keyLength != kSealKeySize) {
    *status = Status::Range("a seal key must be 32 bytes");
    return false;
  }
  return true;
}

// The cryptography is in seal_openssl.cc or seal_sodium.cc, whichever this
// build links (CMake picks one); without either, create() says why.
#if !defined(BLOCKCAST_SEAL_OPENSSL) && !defined(BLOCKCAST_SEAL_SODIUM)

const char* sealBackendVersion() { return nullptr; }

bool sealCipherSupported(uint8_t cipher, const char** why) {
  if (why)
    *why = cipher == kCipherAes256Gcm || cipher == kCipherChaCha20Poly1305 ? kSealNoLibrary
                                                                           : kSealUnknownCipher;
  return false;
}

struct Sealer::State {};

std::unique_ptr<Sealer> Sealer::create(uint8_t cipher, const uint8_t*, size_t, Status* status) {
  const char* why = nullptr;
  sealCipherSupported(cipher, &why);
  *status = Status::State(why);
  return nullptr;
}

size_t Sealer::seal(uint8_t*, size_t, const uint8_t*, size_t, uint32_t, uint64_t) const { return 0; }
bool Sealer::open(uint8_t*, size_t, size_t, uint32_t, uint64_t*) const { return false; }
Sealer::Sealer(uint8_t cipher, std::unique_ptr<State> state) : cipher_(cipher), state_(std::move(state)) {}
Sealer::~Sealer() = default;

#endif

std::vector<uint8_t> sealCiphers() {
  std::vector<uint8_t> out;
  for (uint8_t c : {uint8_t(kCipherAes256Gcm), uint8_t(kCipherChaCha20Poly1305)})
    if (sealCipherSupported(c)) out.push_back(c);
  return out;
}

void makeSealNonce(uint8_t nonce[kSealNonceSize], uint32_t origin, uint64_t seq) {
  store32(nonce, origin);
  store64(nonce + 4, seq);
}

bool sealTrailerFits(size_t length, size_t aadLength) {
  return length >= kSealTrailerSize && aadLength <= length - kSealTrailerSize;
}

SealedParts sealParts(uint8_t* out, size_t aadLength, size_t plainLength, uint32_t origin, uint64_t seq) {
  SealedParts p{};
  makeSealNonce(p.nonce, origin, seq);
  p.body = out + aadLength;
  p.bodyLength = plainLength;
  uint8_t* trailer = p.body + plainLength;
  store64(trailer, seq);
  p.tag = trailer + kSealSeqSize;
  p.seq = seq;
  return p;
}

bool openParts(uint8_t* packet, size_t length, size_t aadLength, uint32_t origin, SealedParts* parts) {
  if (!sealTrailerFits(length, aadLength)) return false;
  uint8_t* trailer = packet + length - kSealTrailerSize;
  parts->seq = load64(trailer);
  makeSealNonce(parts->nonce, origin, parts->seq);
  parts->body = packet + aadLength;
  parts->bodyLength = length - kSealTrailerSize - aadLength;
  parts->tag = trailer + kSealSeqSize;
  return true;
}

ReplayWindow::ReplayWindow(uint32_t size) : size_(size), words_(size / 64 + 1, 0) {}

void ReplayWindow::reset() {
  std::fill(words_.begin(), words_.end(), 0);
  highest_ = 0;
  any_ = false;
}

bool ReplayWindow::accept(uint64_t seq) {
  const uint64_t n = words_.size();
  uint64_t word = seq >> 6;
  if (!any_ || seq > highest_) {
    // Moving ahead: clear the words between the old highest and the new one
    // (all of them on the first seq or after a jump beyond the window).
    uint64_t last = highest_ >> 6;
    if (!any_ || word - last >= n) std::fill(words_.begin(), words_.end(), 0);
    else
      for (uint64_t i = last + 1; i <= word; i++) words_[i % n] = 0;
    highest_ = seq;
    any_ = true;
  } else if (highest_ - seq >= size_) {
    return false;  // at or below the floor
  }
  uint64_t& w = words_[word % n];
  uint64_t bit = uint64_t(1) << (seq & 63);
  if (w & bit) return false;
  w |= bit;
  return true;
}

}  // namespace blockcast
