#include "core/seal.h"

#include <algorithm>
#include <cstring>

#include "core/wire.h"

#ifdef BLOCKCAST_HAVE_SODIUM
#include <sodium.h>
#endif

namespace blockcast {

namespace {

constexpr const char* kNoSodium =
    "sealed sessions need libsodium, which this build of the native addon lacks (install libsodium-dev and rebuild)";
constexpr const char* kNoAesNi =
    "AES-256-GCM needs AES-NI and PCLMULQDQ, which this CPU lacks; use ChaCha20-Poly1305";
constexpr const char* kUnknownCipher = "unknown seal cipher (1 AES-256-GCM, 2 ChaCha20-Poly1305)";

#ifdef BLOCKCAST_HAVE_SODIUM
void makeNonce(uint8_t nonce[kSealNonceSize], uint32_t origin, uint64_t seq) {
  store32(nonce, origin);
  store64(nonce + 4, seq);
}

// sodium_init() picks the CPU's fastest implementations; once per process.
bool sodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}
#endif


}  // namespace

bool sealCipherSupported(uint8_t cipher, const char** why) {
  const char* reason = nullptr;
#ifdef BLOCKCAST_HAVE_SODIUM
  if (!sodiumReady()) reason = "libsodium failed to initialise";
  else if (cipher == kCipherAes256Gcm) reason = crypto_aead_aes256gcm_is_available() ? nullptr : kNoAesNi;
  else if (cipher != kCipherChaCha20Poly1305) reason = kUnknownCipher;
#else
  reason = cipher == kCipherAes256Gcm || cipher == kCipherChaCha20Poly1305 ? kNoSodium : kUnknownCipher;
#endif
  if (why) *why = reason;
  return reason == nullptr;
}

std::vector<uint8_t> sealCiphers() {
  std::vector<uint8_t> out;
  for (uint8_t c : {uint8_t(kCipherAes256Gcm), uint8_t(kCipherChaCha20Poly1305)})
    if (sealCipherSupported(c)) out.push_back(c);
  return out;
}

#ifdef BLOCKCAST_HAVE_SODIUM

// AES-256-GCM keeps the expanded key and GHASH powers (beforenm), so a packet
// costs no key schedule; ChaCha20-Poly1305 has none to keep.
struct Sealer::State {
  crypto_aead_aes256gcm_state aes;
  unsigned char key[kSealKeySize];
  ~State() {
    sodium_memzero(&aes, sizeof aes);
    sodium_memzero(key, sizeof key);
  }
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
  std::memcpy(state->key, key, kSealKeySize);
  if (cipher == kCipherAes256Gcm) crypto_aead_aes256gcm_beforenm(&state->aes, state->key);
  *status = Status::Ok();
  return std::unique_ptr<Sealer>(new Sealer(cipher, std::move(state)));
}

size_t Sealer::seal(uint8_t* out, size_t aadLength, const uint8_t* plain, size_t plainLength, uint32_t origin,
                    uint64_t seq) const {
  uint8_t nonce[kSealNonceSize];
  makeNonce(nonce, origin, seq);
  uint8_t* cipherText = out + aadLength;
  uint8_t* trailer = cipherText + plainLength;
  store64(trailer, seq);
  uint8_t* tag = trailer + kSealSeqSize;
  if (cipher_ == kCipherAes256Gcm)
    crypto_aead_aes256gcm_encrypt_detached_afternm(cipherText, tag, nullptr, plain, plainLength, out, aadLength, nullptr,
                                                   nonce, &state_->aes);
  else
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(cipherText, tag, nullptr, plain, plainLength, out, aadLength,
                                                       nullptr, nonce, state_->key);
  return aadLength + plainLength + kSealTrailerSize;
}

bool Sealer::open(uint8_t* packet, size_t length, size_t aadLength, uint32_t origin, uint64_t* seq) const {
  if (length < kSealTrailerSize || aadLength > length - kSealTrailerSize) return false;
  const uint8_t* trailer = packet + length - kSealTrailerSize;
  uint64_t s = load64(trailer);
  uint8_t nonce[kSealNonceSize];
  makeNonce(nonce, origin, s);
  uint8_t* body = packet + aadLength;
  size_t bodyLength = length - kSealTrailerSize - aadLength;
  const uint8_t* tag = trailer + kSealSeqSize;
  int r = cipher_ == kCipherAes256Gcm
              ? crypto_aead_aes256gcm_decrypt_detached_afternm(body, nullptr, body, bodyLength, tag, packet, aadLength,
                                                               nonce, &state_->aes)
              : crypto_aead_chacha20poly1305_ietf_decrypt_detached(body, nullptr, body, bodyLength, tag, packet,
                                                                   aadLength, nonce, state_->key);
  if (r != 0) return false;
  *seq = s;
  return true;
}

#else  // no libsodium: create() says so, and nothing else is reachable

struct Sealer::State {};

std::unique_ptr<Sealer> Sealer::create(uint8_t cipher, const uint8_t*, size_t, Status* status) {
  const char* why = nullptr;
  sealCipherSupported(cipher, &why);
  *status = Status::State(why);
  return nullptr;
}

size_t Sealer::seal(uint8_t*, size_t, const uint8_t*, size_t, uint32_t, uint64_t) const { return 0; }
bool Sealer::open(uint8_t*, size_t, size_t, uint32_t, uint64_t*) const { return false; }

#endif

Sealer::Sealer(uint8_t cipher, std::unique_ptr<State> state) : cipher_(cipher), state_(std::move(state)) {}
Sealer::~Sealer() = default;

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
