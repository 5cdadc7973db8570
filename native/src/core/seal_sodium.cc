// core/seal through libsodium: the fallback when the build has no static
// OpenSSL libcrypto (seal_openssl.cc, about twice as fast). Same wire format.
#ifdef BLOCKCAST_SEAL_SODIUM

#include <sodium.h>

#include <cstring>
#include <string>

#include "core/seal_backend.h"

namespace blockcast {

namespace {

// sodium_init() picks the CPU's fastest implementations; once per process.
bool sodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

// AES-256-GCM keeps the expanded key and GHASH powers (beforenm), so a packet
// costs no key schedule; ChaCha20-Poly1305 has none to keep.
class SodiumEngine final : public SealEngine {
 public:
  SodiumEngine(uint8_t cipher, const uint8_t* key) : aesGcm_(cipher == kCipherAes256Gcm) {
    std::memcpy(key_, key, kSealKeySize);
    if (aesGcm_) crypto_aead_aes256gcm_beforenm(&aes_, key_);
  }
  ~SodiumEngine() override {
    sodium_memzero(&aes_, sizeof aes_);
    sodium_memzero(key_, sizeof key_);
  }

  bool seal(const SealedParts& p, const uint8_t* aad, size_t aadLength, const uint8_t* plain) override {
    return (aesGcm_ ? crypto_aead_aes256gcm_encrypt_detached_afternm(p.body, p.tag, nullptr, plain, p.bodyLength, aad,
                                                                     aadLength, nullptr, p.nonce, &aes_)
                    : crypto_aead_chacha20poly1305_ietf_encrypt_detached(p.body, p.tag, nullptr, plain, p.bodyLength,
                                                                         aad, aadLength, nullptr, p.nonce, key_)) == 0;
  }

  bool open(const SealedParts& p, const uint8_t* aad, size_t aadLength) override {
    return (aesGcm_ ? crypto_aead_aes256gcm_decrypt_detached_afternm(p.body, nullptr, p.body, p.bodyLength, p.tag, aad,
                                                                     aadLength, p.nonce, &aes_)
                    : crypto_aead_chacha20poly1305_ietf_decrypt_detached(p.body, nullptr, p.body, p.bodyLength, p.tag,
                                                                         aad, aadLength, p.nonce, key_)) == 0;
  }

 private:
  const bool aesGcm_;
  crypto_aead_aes256gcm_state aes_{};
  unsigned char key_[kSealKeySize];
};

}  // namespace

const char* libraryVersion() {
  static const std::string text = std::string("libsodium ") + sodium_version_string();
  return text.c_str();
}

bool libraryCipherSupported(uint8_t cipher, const char** why) {
  const char* reason = nullptr;
  if (!sodiumReady()) reason = "libsodium failed to initialise";
  else if (cipher == kCipherAes256Gcm) reason = crypto_aead_aes256gcm_is_available() ? nullptr : kSealNoAesNi;
  else if (cipher != kCipherChaCha20Poly1305) reason = kSealUnknownCipher;
  if (why) *why = reason;
  return reason == nullptr;
}

std::unique_ptr<SealEngine> libraryEngine(uint8_t cipher, const uint8_t* key) {
  return std::make_unique<SodiumEngine>(cipher, key);
}

}  // namespace blockcast

#endif  // BLOCKCAST_SEAL_SODIUM
