// What core/seal's cryptography libraries share; only core/seal*.cc include
// it. A SealEngine is one keyed AEAD. The library engine (seal_openssl.cc
// or seal_sodium.cc; CMake compiles exactly one in, or none) runs
// AES-256-GCM and ChaCha20-Poly1305; seal_aegis.cc runs AEGIS-256 from the
// vendored libaegis, in every build.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/status.h"
#include "core/wire.h"

namespace blockcast {

constexpr const char* kSealNoLibrary =
    "sealed sessions with AES-256-GCM or ChaCha20-Poly1305 need OpenSSL's libcrypto or libsodium, which this build "
    "of the native addon lacks (install libssl-dev or libsodium-dev and rebuild)";
constexpr const char* kSealNoAesNi =
    "AES-256-GCM needs AES-NI and PCLMULQDQ, which this CPU lacks; use ChaCha20-Poly1305";
constexpr const char* kSealNoAesForAegis =
    "AEGIS needs the CPU's AES instructions (AES-NI with AVX, or ARMv8 AES), which this CPU lacks; use "
    "ChaCha20-Poly1305";
constexpr const char* kSealUnknownCipher =
    "unknown seal cipher (1 AES-256-GCM, 2 ChaCha20-Poly1305, 3 AEGIS-256)";

// The 12-byte nonce `origin u32 LE ‖ seq u64 LE`.
void makeSealNonce(uint8_t nonce[kSealNonceSize], uint32_t origin, uint64_t seq);
// Whether a packet of `length` bytes holds aadLength bytes and the trailer.
bool sealTrailerFits(size_t length, size_t aadLength);

// Where a sealed packet's parts lie, the same for every cipher: the header
// (aadLength bytes, authenticated in the clear), the body (encrypted in
// place), then the trailer `seq u64 LE ‖ tag`.
struct SealedParts {
  uint8_t nonce[kSealNonceSize];
  uint8_t* body;
  size_t bodyLength;
  uint8_t* tag;
  uint64_t seq;
};
// For seal(): the parts of `out` once the plain text is placed after the
// header; writes seq into the trailer.
SealedParts sealParts(uint8_t* out, size_t aadLength, size_t plainLength, uint32_t origin, uint64_t seq);
// For open(): the parts of a received packet, its seq read from the
// trailer; false if the packet cannot hold the header and a trailer.
bool openParts(uint8_t* packet, size_t length, size_t aadLength, uint32_t origin, SealedParts* parts);

// One cipher keyed once. Mutable per packet (OpenSSL's contexts): one
// thread at a time.
class SealEngine {
 public:
  virtual ~SealEngine() = default;
  // Encrypts `plain` (p.bodyLength bytes, may be p.body itself) to p.body
  // and writes p.tag; the additional data is aad[0, aadLength). False on a
  // library failure.
  virtual bool seal(const SealedParts& p, const uint8_t* aad, size_t aadLength, const uint8_t* plain) = 0;
  // Checks p.tag over aad and p.body, decrypting p.body in place. False
  // when the tag fails (p.body is then unspecified).
  virtual bool open(const SealedParts& p, const uint8_t* aad, size_t aadLength) = 0;
};

// The library engine: AES-256-GCM and ChaCha20-Poly1305.
bool libraryCipherSupported(uint8_t cipher, const char** why);
std::unique_ptr<SealEngine> libraryEngine(uint8_t cipher, const uint8_t* key);
const char* libraryVersion();  // null in a build without one

// libaegis: AEGIS-256, where the CPU has AES instructions.
bool aegisCipherSupported(uint8_t cipher, const char** why);
std::unique_ptr<SealEngine> aegisEngine(uint8_t cipher, const uint8_t* key);
const char* aegisVersion();

}  // namespace blockcast
