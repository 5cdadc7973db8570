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

}  // namespace blockcast
