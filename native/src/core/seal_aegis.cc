// core/seal's AEGIS-256 (the CFRG AEGIS draft; Wycheproof's vectors), through
// the vendored libaegis (native/third_party/aegis), which picks AES-NI or ARM
// code at run time. Offered only where libaegis runs its hardware code
// (x86: AES-NI with AVX; arm64: the ARMv8 crypto extension), by libaegis's
// own CPU checks: its portable fallback uses table lookups, which leak timing.
#include <cstring>

#include "aegis.h"
#include "core/seal_backend.h"

// libaegis's run-time CPU checks (src/common/cpu.h there, not in its public
// header); they read what aegis_init() found.
extern "C" {
int aegis_runtime_has_aesni(void);
int aegis_runtime_has_avx(void);
int aegis_runtime_has_armcrypto(void);
}

namespace blockcast {

namespace {

bool aegisReady() {
  static const bool ready = aegis_init() == 0;
  return ready;
}

// The conditions of libaegis's aegis256_pick_best_implementation for a
// hardware implementation.
bool aegisHasHardwareAes() {
#if defined(__x86_64__) || defined(__i386__)
  return aegis_runtime_has_aesni() && aegis_runtime_has_avx();
#elif defined(__aarch64__)
  return aegis_runtime_has_armcrypto();
#else
  return false;
#endif
}

// A 32-byte key and a 32-byte nonce: ours, zero-padded.
class AegisEngine final : public SealEngine {
 public:
  explicit AegisEngine(const uint8_t* key) {
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
    return aegis256_encrypt_detached(p.body, p.tag, kSealTagSize, plain, p.bodyLength, aad, aadLength, nonce, key_) ==
           0;
  }

  bool open(const SealedParts& p, const uint8_t* aad, size_t aadLength) override {
    uint8_t nonce[32] = {};
    std::memcpy(nonce, p.nonce, kSealNonceSize);
    // In place is safe: each block is read before its plaintext is written.
    return aegis256_decrypt_detached(p.body, p.body, p.bodyLength, p.tag, kSealTagSize, aad, aadLength, nonce,
                                     key_) == 0;
  }

 private:
  uint8_t key_[kSealKeySize];
};

}  // namespace

bool aegisCipherSupported(uint8_t cipher, const char** why) {
  const char* reason = nullptr;
  if (cipher != kCipherAegis256) reason = kSealUnknownCipher;
  else if (!aegisReady()) reason = "libaegis failed to initialise";
  else if (!aegisHasHardwareAes()) reason = kSealNoAesForAegis;
  if (why) *why = reason;
  return reason == nullptr;
}

std::unique_ptr<SealEngine> aegisEngine(uint8_t, const uint8_t* key) {
  return std::make_unique<AegisEngine>(key);
}

const char* aegisVersion() { return "libaegis 0.3.0 (ac5eaa3)"; }

}  // namespace blockcast
