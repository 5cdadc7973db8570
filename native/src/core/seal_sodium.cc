// core/seal through libsodium: the fallback when the build has no static
// OpenSSL libcrypto (seal_openssl.cc, about twice as fast). Same wire format.
#ifdef BLOCKCAST_SEAL_SODIUM

#include <sodium.h>

#include <cstring>
#include <string>

#include "core/seal.h"
#include "core/seal_backend.h"

namespace blockcast {

namespace {

// sodium_init() picks the CPU's fastest implementations; once per process.
bool sodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace

const char* sealBackendVersion() {
  static const std::string text = std::string("libsodium ") + sodium_version_string();
  return text.c_str();
}

bool sealCipherSupported(uint8_t cipher, const char** why) {
  const char* reason = nullptr;
  if (!sodiumReady()) reason = "libsodium failed to initialise";
  else if (cipher == kCipherAes256Gcm) reason = crypto_aead_aes256gcm_is_available() ? nullptr : kSealNoAesNi;
  else if (cipher != kCipherChaCha20Poly1305) reason = kSealUnknownCipher;
  if (why) *why = reason;
  return reason == nullptr;
}

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
  if (!sealArgumentsValid(cipher, keyLength, status)) return nullptr;
  auto state = std::make_unique<State>();
  std::memcpy(state->key, key, kSealKeySize);
  if (cipher == kCipherAes256Gcm) crypto_aead_aes256gcm_beforenm(&state->aes, state->key);
  *status = Status::Ok();
  return std::unique_ptr<Sealer>(new Sealer(cipher, std::move(state)));
}

size_t Sealer::seal(uint8_t* out, size_t aadLength, const uint8_t* plain, size_t plainLength, uint32_t origin,
                    uint64_t seq) const {
  SealedParts p = sealParts(out, aadLength, plainLength, origin, seq);
  if (cipher_ == kCipherAes256Gcm)
    crypto_aead_aes256gcm_encrypt_detached_afternm(p.body, p.tag, nullptr, plain, plainLength, out, aadLength, nullptr,
                                                   p.nonce, &state_->aes);
  else
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(p.body, p.tag, nullptr, plain, plainLength, out, aadLength,
                                                       nullptr, p.nonce, state_->key);
  return aadLength + plainLength + kSealTrailerSize;
}

bool Sealer::open(uint8_t* packet, size_t length, size_t aadLength, uint32_t origin, uint64_t* seq) const {
  SealedParts p;
  if (!openParts(packet, length, aadLength, origin, &p)) return false;
  int r = cipher_ == kCipherAes256Gcm
              ? crypto_aead_aes256gcm_decrypt_detached_afternm(p.body, nullptr, p.body, p.bodyLength, p.tag, packet,
                                                               aadLength, p.nonce, &state_->aes)
              : crypto_aead_chacha20poly1305_ietf_decrypt_detached(p.body, nullptr, p.body, p.bodyLength, p.tag, packet,
                                                                   aadLength, p.nonce, state_->key);
  if (r != 0) return false;
  *seq = p.seq;
  return true;
}

Sealer::Sealer(uint8_t cipher, std::unique_ptr<State> state) : cipher_(cipher), state_(std::move(state)) {}
Sealer::~Sealer() = default;

}  // namespace blockcast

#endif  // BLOCKCAST_SEAL_SODIUM
