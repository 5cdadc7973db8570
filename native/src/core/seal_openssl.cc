// core/seal through OpenSSL's EVP interface, from a static libcrypto linked
// into the addon with its symbols hidden (Node exports its own OpenSSL; ours
// binds only to itself). Each Sealer keys one context per direction once;
// a packet sets only the nonce, so it costs no key schedule. About twice as
// fast as libsodium 1.0.18 on AVX-512 CPUs (bench/RESULTS.md).
#ifdef BLOCKCAST_SEAL_OPENSSL

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <cstring>
#include <string>

#include "core/seal_backend.h"

namespace blockcast {

namespace {

// No configuration file: the addon's cryptography must not change with
// whatever openssl.cnf says (providers, FIPS); no atexit cleanup from inside
// a dlopen'ed addon. Once per process.
bool openSslReady() {
  static const bool ready = OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
  return ready;
}

// OpenSSL has AES-256-GCM without AES-NI too, but slower than ChaCha20 and
// not what the cipher choice in src/security/options.ts promises; keep the
// rule libsodium had, so both backends offer the same ciphers.
bool cpuHasAesGcm() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
#else
  return true;
#endif
}

const EVP_CIPHER* evpCipher(uint8_t cipher) {
  static EVP_CIPHER* const aes = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static EVP_CIPHER* const chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  return cipher == kCipherAes256Gcm ? aes : cipher == kCipherChaCha20Poly1305 ? chacha : nullptr;
}

// A context for `cipher` keyed with `key`, for encrypting or decrypting; null on failure.
EVP_CIPHER_CTX* keyedContext(uint8_t cipher, const uint8_t* key, int encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx && EVP_CipherInit_ex(ctx, evpCipher(cipher), nullptr, nullptr, nullptr, encrypt) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, kSealNonceSize, nullptr) == 1 &&
      EVP_CipherInit_ex(ctx, nullptr, nullptr, key, nullptr, encrypt) == 1)
    return ctx;
  EVP_CIPHER_CTX_free(ctx);
  return nullptr;
}

// The contexts hold the key schedule (and GHASH powers); EVP_CIPHER_CTX_free
// wipes them.
class OpenSslEngine final : public SealEngine {
 public:
  OpenSslEngine(EVP_CIPHER_CTX* seal, EVP_CIPHER_CTX* open) : seal_(seal), open_(open) {}
  ~OpenSslEngine() override {
    EVP_CIPHER_CTX_free(seal_);
    EVP_CIPHER_CTX_free(open_);
  }

  bool seal(const SealedParts& p, const uint8_t* aad, size_t aadLength, const uint8_t* plain) override {
    int n = 0, last = 0;
    const size_t plainLength = p.bodyLength;
    return aadLength <= INT_MAX && plainLength <= INT_MAX &&
           EVP_EncryptInit_ex(seal_, nullptr, nullptr, nullptr, p.nonce) == 1 &&
           EVP_EncryptUpdate(seal_, nullptr, &n, aad, int(aadLength)) == 1 &&
           (plainLength == 0 || EVP_EncryptUpdate(seal_, p.body, &n, plain, int(plainLength)) == 1) &&
           EVP_EncryptFinal_ex(seal_, p.body + (plainLength ? n : 0), &last) == 1 &&
           EVP_CIPHER_CTX_ctrl(seal_, EVP_CTRL_AEAD_GET_TAG, kSealTagSize, p.tag) == 1;
  }

  bool open(const SealedParts& p, const uint8_t* aad, size_t aadLength) override {
    int n = 0, last = 0;
    const size_t bodyLength = p.bodyLength;
    // DecryptFinal compares the tag in constant time.
    return aadLength <= INT_MAX && bodyLength <= INT_MAX &&
           EVP_DecryptInit_ex(open_, nullptr, nullptr, nullptr, p.nonce) == 1 &&
           EVP_DecryptUpdate(open_, nullptr, &n, aad, int(aadLength)) == 1 &&
           (bodyLength == 0 || EVP_DecryptUpdate(open_, p.body, &n, p.body, int(bodyLength)) == 1) &&
           EVP_CIPHER_CTX_ctrl(open_, EVP_CTRL_AEAD_SET_TAG, kSealTagSize, p.tag) == 1 &&
           EVP_DecryptFinal_ex(open_, p.body + (bodyLength ? n : 0), &last) == 1;
  }

 private:
  EVP_CIPHER_CTX* const seal_;
  EVP_CIPHER_CTX* const open_;
};

}  // namespace

const char* libraryVersion() {
  static const std::string text = std::string("OpenSSL ") + OpenSSL_version(OPENSSL_VERSION_STRING);
  return text.c_str();
}

bool libraryCipherSupported(uint8_t cipher, const char** why) {
  const char* reason = nullptr;
  if (cipher != kCipherAes256Gcm && cipher != kCipherChaCha20Poly1305) reason = kSealUnknownCipher;
  else if (!openSslReady() || !evpCipher(cipher)) reason = "OpenSSL's libcrypto failed to initialise";
  else if (cipher == kCipherAes256Gcm && !cpuHasAesGcm()) reason = kSealNoAesNi;
  if (why) *why = reason;
  return reason == nullptr;
}

std::unique_ptr<SealEngine> libraryEngine(uint8_t cipher, const uint8_t* key) {
  EVP_CIPHER_CTX* seal = keyedContext(cipher, key, 1);
  EVP_CIPHER_CTX* open = keyedContext(cipher, key, 0);
  if (seal && open) return std::make_unique<OpenSslEngine>(seal, open);
  EVP_CIPHER_CTX_free(seal);
  EVP_CIPHER_CTX_free(open);
  return nullptr;
}

}  // namespace blockcast

#endif  // BLOCKCAST_SEAL_OPENSSL
