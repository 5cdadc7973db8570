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

#include "core/seal.h"
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

}  // namespace

const char* sealBackendVersion() {
  static const std::string text = std::string("OpenSSL ") + OpenSSL_version(OPENSSL_VERSION_STRING);
  return text.c_str();
}

bool sealCipherSupported(uint8_t cipher, const char** why) {
  const char* reason = nullptr;
  if (cipher != kCipherAes256Gcm && cipher != kCipherChaCha20Poly1305) reason = kSealUnknownCipher;
  else if (!openSslReady() || !evpCipher(cipher)) reason = "OpenSSL's libcrypto failed to initialise";
  else if (cipher == kCipherAes256Gcm && !cpuHasAesGcm()) reason = kSealNoAesNi;
  if (why) *why = reason;
  return reason == nullptr;
}

// The contexts hold the key schedule (and GHASH powers); EVP_CIPHER_CTX_free
// wipes them. Mutable per packet, so a Sealer serves one thread at a time.
struct Sealer::State {
  EVP_CIPHER_CTX* seal = nullptr;
  EVP_CIPHER_CTX* open = nullptr;
  ~State() {
    EVP_CIPHER_CTX_free(seal);
    EVP_CIPHER_CTX_free(open);
  }
};

std::unique_ptr<Sealer> Sealer::create(uint8_t cipher, const uint8_t* key, size_t keyLength, Status* status) {
  if (!sealArgumentsValid(cipher, keyLength, status)) return nullptr;
  auto state = std::make_unique<State>();
  state->seal = keyedContext(cipher, key, 1);
  state->open = keyedContext(cipher, key, 0);
  if (!state->seal || !state->open) {
    *status = Status::State("OpenSSL could not set up the seal cipher");
    return nullptr;
  }
  *status = Status::Ok();
  return std::unique_ptr<Sealer>(new Sealer(cipher, std::move(state)));
}

size_t Sealer::seal(uint8_t* out, size_t aadLength, const uint8_t* plain, size_t plainLength, uint32_t origin,
                    uint64_t seq) const {
  SealedParts p = sealParts(out, aadLength, plainLength, origin, seq);
  uint8_t* cipherText = p.body;
  uint8_t* tag = p.tag;
  EVP_CIPHER_CTX* ctx = state_->seal;
  int n = 0, last = 0;
  bool ok = aadLength <= INT_MAX && plainLength <= INT_MAX &&
            EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, p.nonce) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &n, out, int(aadLength)) == 1 &&
            (plainLength == 0 || EVP_EncryptUpdate(ctx, cipherText, &n, plain, int(plainLength)) == 1) &&
            EVP_EncryptFinal_ex(ctx, cipherText + (plainLength ? n : 0), &last) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kSealTagSize, tag) == 1;
  if (!ok) {
    // Never seen in practice; send nothing of the plaintext and a tag no receiver accepts.
    std::memset(cipherText, 0, plainLength);
    std::memset(tag, 0, kSealTagSize);
  }
  return aadLength + plainLength + kSealTrailerSize;
}

bool Sealer::open(uint8_t* packet, size_t length, size_t aadLength, uint32_t origin, uint64_t* seq) const {
  SealedParts p;
  if (length > INT_MAX || !openParts(packet, length, aadLength, origin, &p)) return false;
  uint8_t* body = p.body;
  size_t bodyLength = p.bodyLength;
  EVP_CIPHER_CTX* ctx = state_->open;
  int n = 0, last = 0;
  // DecryptFinal compares the tag in constant time.
  bool ok = EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, p.nonce) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &n, packet, int(aadLength)) == 1 &&
            (bodyLength == 0 || EVP_DecryptUpdate(ctx, body, &n, body, int(bodyLength)) == 1) &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kSealTagSize, p.tag) == 1 &&
            EVP_DecryptFinal_ex(ctx, body + (bodyLength ? n : 0), &last) == 1;
  if (!ok) return false;
  *seq = p.seq;
  return true;
}

Sealer::Sealer(uint8_t cipher, std::unique_ptr<State> state) : cipher_(cipher), state_(std::move(state)) {}
Sealer::~Sealer() = default;

}  // namespace blockcast

#endif  // BLOCKCAST_SEAL_OPENSSL
