// core/seal's AEGIS-256 and AEGIS-256X2 (the CFRG AEGIS draft), through the
// vendored libaegis (native/third_party/aegis), which picks AES-NI, VAES or
// ARM code at run time. Offered only where the CPU has AES instructions:
// libaegis's portable fallback uses table lookups, which leak timing.
#include <cstring>

#include "aegis.h"
#include "core/seal_backend.h"

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace blockcast {

namespace {

bool cpuHasAes() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("aes");
#elif defined(__aarch64__) && defined(__linux__)
  return (getauxval(AT_HWCAP) & HWCAP_AES) != 0;
#else
  return false;
#endif
}

bool aegisReady() {
  static const bool ready = aegis_init() == 0;
  return ready;
}

// Both variants take a 32-byte key and a 32-byte nonce: ours, zero-padded.
class AegisEngine final : public SealEngine {
 public:
  AegisEngine(uint8_t cipher, const uint8_t* key) : wide_(cipher == kCipherAegis256X2) {
    std::memcpy(key_, key, sizeof key_);
  }
  ~AegisEngine() override {
    // Not optimised away: the object's storage is freed right after.
    volatile uint8_t* k = key_;
    for (size_t i = 0; i < sizeof key_; i++) k[i] = 0;
  }

  bool seal(const SealedParts& p, const uint8_t* aad, size_t aadLength, const uint8_t* plain) override {
    uint8_t nonce[32] = {};
    std::memcpy(nonce, p.nonce, kSealNonceSize);
    return (wide_ ? aegis256x2_encrypt_detached(p.body, p.tag, kSealTagSize, plain, p.bodyLength, aad, aadLength,
                                                nonce, key_)
                  : aegis256_encrypt_detached(p.body, p.tag, kSealTagSize, plain, p.bodyLength, aad, aadLength,
                                              nonce, key_)) == 0;
  }

  bool open(const SealedParts& p, const uint8_t* aad, size_t aadLength) override {
    uint8_t nonce[32] = {};
    std::memcpy(nonce, p.nonce, kSealNonceSize);
    // In place is safe: each block is read before its plaintext is written.
    return (wide_ ? aegis256x2_decrypt_detached(p.body, p.body, p.bodyLength, p.tag, kSealTagSize, aad, aadLength,
                                                nonce, key_)
                  : aegis256_decrypt_detached(p.body, p.body, p.bodyLength, p.tag, kSealTagSize, aad, aadLength,
                                              nonce, key_)) == 0;
  }

 private:
  const bool wide_;
  uint8_t key_[kSealKeySize];
};

}  // namespace

bool aegisCipherSupported(uint8_t cipher, const char** why) {
  const char* reason = nullptr;
  if (cipher != kCipherAegis256 && cipher != kCipherAegis256X2) reason = kSealUnknownCipher;
  else if (!cpuHasAes()) reason = kSealNoAesForAegis;
  else if (!aegisReady()) reason = "libaegis failed to initialise";
  if (why) *why = reason;
  return reason == nullptr;
}

std::unique_ptr<SealEngine> aegisEngine(uint8_t cipher, const uint8_t* key) {
  return std::make_unique<AegisEngine>(cipher, key);
}

const char* aegisVersion() { return "libaegis 0.3.0 (ac5eaa3)"; }

}  // namespace blockcast
