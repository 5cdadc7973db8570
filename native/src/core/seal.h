// Per-packet AEAD of docs/SECURITY.md, for one key and one cipher: the
// 24-byte trailer `seq u64 LE ‖ tag[16]`, the 12-byte nonce
// `origin u32 LE ‖ seq u64 LE`, additional data = every byte before the
// encrypted part. libaegis (seal_aegis.cc: AEGIS-256) and OpenSSL's EVP
// (seal_openssl.cc) or libsodium (seal_sodium.cc: AES-256-GCM,
// ChaCha20-Poly1305) do the cryptography; a build with neither of the last
// two still compiles, and says so when one of their ciphers is asked for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/status.h"

namespace blockcast {

// Whether this build and this CPU can seal with `cipher` (kCipherAegis256,
// kCipherAes256Gcm, kCipherChaCha20Poly1305). If not, *why (when given) says why.
bool sealCipherSupported(uint8_t cipher, const char** why = nullptr);
// The ciphers sealCipherSupported accepts, in id order (which one is the
// default is TypeScript's choice: src/security/options.ts).
std::vector<uint8_t> sealCiphers();
// The libraries that seal and their versions ("OpenSSL 3.0.17, libaegis
// 0.3.0 (ac5eaa3)"); for `blockcast --version`.
const char* sealBackendVersion();

class Sealer {
 public:
  // Null with *status saying why: no crypto library in this build for the
  // cipher, an unknown cipher, AES-256-GCM without AES-NI, AEGIS without
  // libaegis's hardware code, or a key not 32 bytes.
  static std::unique_ptr<Sealer> create(uint8_t cipher, const uint8_t* key, size_t keyLength, Status* status);
  ~Sealer();
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

  uint8_t cipher() const { return cipher_; }

  // seal and open keep per-packet state (OpenSSL's contexts): one thread at
  // a time per Sealer, as each engine's own thread does.

  // out[0, aadLength) already holds the additional data (a DATA header, or
  // a header and a payload sent in clear); `plain` (plainLength bytes, may
  // be null when 0) is encrypted to out + aadLength and the trailer follows.
  // plain may be out + aadLength (in place) but must not overlap otherwise.
  // Returns the packet's length: aadLength + plainLength + kSealTrailerSize.
  size_t seal(uint8_t* out, size_t aadLength, const uint8_t* plain, size_t plainLength, uint32_t origin,
              uint64_t seq) const;

  // A sealed packet of `length` bytes whose first aadLength bytes are
  // additional data: checks the tag and decrypts the bytes between the
  // additional data and the trailer in place. False when the packet cannot
  // hold the trailer after aadLength bytes or the tag fails (those bytes are
  // then unspecified). *seq is the trailer's seq, valid only on true.
  bool open(uint8_t* packet, size_t length, size_t aadLength, uint32_t origin, uint64_t* seq) const;

 private:
  struct State;  // the cipher's key schedule, inside seal.cc only
  Sealer(uint8_t cipher, std::unique_ptr<State> state);

  const uint8_t cipher_;
  const std::unique_ptr<State> state_;
};

// Which seqs of one key and origin were accepted: the highest so far and a
// bitmap of the `size` below and including it (WireGuard's sliding window,
// RFC 6479). A seq at or below highest - size, or already accepted, is a
// replay. Call only for packets whose tag verified.
class ReplayWindow {
 public:
  explicit ReplayWindow(uint32_t size);  // a multiple of 64
  // True, and marks seq, if it was not accepted before and is inside the window.
  bool accept(uint64_t seq);
  void reset();

 private:
  const uint32_t size_;
  std::vector<uint64_t> words_;  // one word more than size_ bits, so that advancing clears whole words
  uint64_t highest_ = 0;
  bool any_ = false;
};

}  // namespace blockcast
