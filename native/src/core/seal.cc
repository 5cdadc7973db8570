#include "core/seal.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/seal_backend.h"
#include "core/wire.h"

namespace blockcast {

namespace {

bool isAegis(uint8_t cipher) { return cipher == kCipherAegis256; }

}  // namespace

// A build without OpenSSL or libsodium still has AEGIS; the library ciphers
// then say why they cannot run.
#if !defined(BLOCKCAST_SEAL_OPENSSL) && !defined(BLOCKCAST_SEAL_SODIUM)
const char* libraryVersion() { return nullptr; }
bool libraryCipherSupported(uint8_t cipher, const char** why) {
  if (why)
    *why = cipher == kCipherAes256Gcm || cipher == kCipherChaCha20Poly1305 ? kSealNoLibrary : kSealUnknownCipher;
  return false;
}
std::unique_ptr<SealEngine> libraryEngine(uint8_t, const uint8_t*) { return nullptr; }
#endif

bool sealCipherSupported(uint8_t cipher, const char** why) {
  return isAegis(cipher) ? aegisCipherSupported(cipher, why) : libraryCipherSupported(cipher, why);
}

const char* sealBackendVersion() {
  static const std::string text = libraryVersion() ? std::string(libraryVersion()) + ", " + aegisVersion()
                                                   : std::string(aegisVersion());
  return text.c_str();
}

std::vector<uint8_t> sealCiphers() {
  std::vector<uint8_t> out;
  for (uint8_t c = kCipherNone + 1; c < kCipherCount; c++)
    if (sealCipherSupported(c)) out.push_back(c);
  return out;
}

struct Sealer::State {
  std::unique_ptr<SealEngine> engine;
};

std::unique_ptr<Sealer> Sealer::create(uint8_t cipher, const uint8_t* key, size_t keyLength, Status* status) {
  const char* why = nullptr;
  if (!sealCipherSupported(cipher, &why)) {
    *status = Status::State(why);
    return nullptr;
  }
  if (keyLength != kSealKeySize) {
    *status = Status::Range("a seal key must be 32 bytes");
    return nullptr;
  }
  auto state = std::make_unique<State>();
  state->engine = isAegis(cipher) ? aegisEngine(cipher, key) : libraryEngine(cipher, key);
  if (!state->engine) {
    *status = Status::State("the seal cipher's library could not set it up");
    return nullptr;
  }
  *status = Status::Ok();
  return std::unique_ptr<Sealer>(new Sealer(cipher, std::move(state)));
}

size_t Sealer::seal(uint8_t* out, size_t aadLength, const uint8_t* plain, size_t plainLength, uint32_t origin,
                    uint64_t seq) const {
  SealedParts p = sealParts(out, aadLength, plainLength, origin, seq);
  if (!state_->engine->seal(p, out, aadLength, plain)) {
    // Never seen in practice; send nothing of the plaintext and a tag no receiver accepts.
    std::memset(p.body, 0, plainLength);
    std::memset(p.tag, 0, kSealTagSize);
  }
  return aadLength + plainLength + kSealTrailerSize;
}

bool Sealer::open(uint8_t* packet, size_t length, size_t aadLength, uint32_t origin, uint64_t* seq) const {
  SealedParts p;
  if (!openParts(packet, length, aadLength, origin, &p) || !state_->engine->open(p, packet, aadLength)) return false;
  *seq = p.seq;
  return true;
}

Sealer::Sealer(uint8_t cipher, std::unique_ptr<State> state) : cipher_(cipher), state_(std::move(state)) {}
Sealer::~Sealer() = default;

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
