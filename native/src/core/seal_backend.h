// What the seal backends (seal_openssl.cc, seal_sodium.cc) share; only
// core/seal*.cc include it. CMake compiles exactly one backend in, or none.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/status.h"
#include "core/wire.h"

namespace blockcast {

constexpr const char* kSealNoLibrary =
    "sealed sessions need OpenSSL's libcrypto or libsodium, which this build of the native addon lacks "
    "(install libssl-dev or libsodium-dev and rebuild)";
constexpr const char* kSealNoAesNi =
    "AES-256-GCM needs AES-NI and PCLMULQDQ, which this CPU lacks; use ChaCha20-Poly1305";
constexpr const char* kSealUnknownCipher = "unknown seal cipher (1 AES-256-GCM, 2 ChaCha20-Poly1305)";

// The 12-byte nonce `origin u32 LE ‖ seq u64 LE`.
void makeSealNonce(uint8_t nonce[kSealNonceSize], uint32_t origin, uint64_t seq);
// Whether Sealer::create may go on with `cipher` and a key of keyLength
// bytes; if not, *status says why.
bool sealArgumentsValid(uint8_t cipher, size_t keyLength, Status* status);
// Whether a packet of `length` bytes holds aadLength bytes and the trailer.
bool sealTrailerFits(size_t length, size_t aadLength);

// Where a sealed packet's parts lie, the same for every backend: the header
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

}  // namespace blockcast
