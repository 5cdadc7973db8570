// Per-packet cost of sealing and opening DATA (docs/SECURITY.md) on one
// core, as the engines do it: the sender writes the header and seals into
// its scratch buffer (auth-only first copies the payload there); the
// receiver opens a datagram in place in its receive buffer (here: a copy of
// a sealed packet, as recvmmsg would leave it; the copy alone is measured
// too). AEGIS-256 (libaegis), AES-256-GCM and
// ChaCha20-Poly1305 through core/seal, the last two with the backend this build chose (OpenSSL EVP, or libsodium with
// -DBLOCKCAST_NO_OPENSSL=ON); with OpenSSL's headers found at build time, its
// EVP interface directly too, for comparison.
//
//   cmake --build build --target blockcast_seal_bench && build/blockcast_seal_bench [payload] [millis]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "core/data_header.h"
#include "core/seal.h"
#include "core/wire.h"

#ifdef BENCH_HAVE_OPENSSL
#include <openssl/evp.h>
#endif

using namespace blockcast;

namespace {

constexpr size_t kRing = 256;  // sealed packets cycled through by the open benchmarks

// Runs op for about `millis` ms in slices of 50 ms; returns ns per call in
// the fastest slice (other processes on a shared VM only slow slices down).
double timeIt(int millis, const std::function<void(size_t)>& op) {
  using Clock = std::chrono::steady_clock;
  for (size_t i = 0; i < 2000; i++) op(i);  // warm up
  double best = 1e300;
  size_t calls = 0;
  for (int slice = 0; slice < std::max(1, millis / 50); slice++) {
    size_t n = 0;
    auto start = Clock::now();
    auto end = start + std::chrono::milliseconds(50);
    while (Clock::now() < end) {
      for (size_t i = 0; i < 200; i++) op(calls + i);
      calls += 200;
      n += 200;
    }
    double ns = double(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()) / double(n);
    best = std::min(best, ns);
  }
  return best;
}

void row(const char* what, size_t payload, double ns) {
  std::printf("| %-50s | %8.0f | %8.0f | %8.2f |\n", what, ns, double(payload) / ns * 1e3, 1e9 / ns / 1e6);
}

struct Fixture {
  size_t payload;
  std::vector<uint8_t> chunk;
  DataHeader h;
  uint8_t key[kSealKeySize];
  explicit Fixture(size_t p) : payload(p), chunk(p) {
    std::mt19937 rng(1);
    for (auto& b : chunk) b = uint8_t(rng());
    for (auto& b : key) b = uint8_t(rng());
    h = DataHeader{1, kStreamImage, kCodingRaw, 0, 0, uint32_t(p * 700), 0};
  }
};

const char* cipherLabel(uint8_t cipher) {
  switch (cipher) {
    case kCipherAes256Gcm: return "AES-256-GCM";
    case kCipherChaCha20Poly1305: return "ChaCha20-Poly1305";
    case kCipherAegis256: return "AEGIS-256";
    default: return "?";
  }
}

void benchCore(const Fixture& f, uint8_t cipher, bool encrypt, int millis) {
  Status status;
  auto sealer = Sealer::create(cipher, f.key, sizeof f.key, &status);
  if (!sealer) {
    std::printf("| %s: %s |\n", cipherLabel(cipher), status.message);
    return;
  }
  const size_t size = kDataHeaderSize + f.payload + kSealTrailerSize;
  const size_t aad = encrypt ? kDataHeaderSize : kDataHeaderSize + f.payload;
  DataHeader h = f.h;
  h.flags = uint16_t(kFlagSealed | (encrypt ? kFlagEncrypted : 0));
  std::vector<uint8_t> out(size);
  uint64_t seq = 0;
  auto seal = [&](uint8_t* packet) {
    writeDataHeader(packet, h);
    if (encrypt) return sealer->seal(packet, kDataHeaderSize, f.chunk.data(), f.payload, 0, seq++);
    std::memcpy(packet + kDataHeaderSize, f.chunk.data(), f.payload);
    return sealer->seal(packet, aad, nullptr, 0, 0, seq++);
  };
  std::vector<std::vector<uint8_t>> ring(kRing, std::vector<uint8_t>(size));
  for (auto& p : ring) seal(p.data());
  std::vector<uint8_t> work(size);
  int failed = 0;
  uint64_t got;
  const char* name = cipherLabel(cipher);
  const char* backend = cipher == kCipherAegis256 ? "core/seal libaegis" : BENCH_SEAL_BACKEND;
  const char* mode = encrypt ? "encrypt" : "auth-only";
  char label[96];
  std::snprintf(label, sizeof label, "%s %s %s: seal", backend, name, mode);
  row(label, f.payload, timeIt(millis, [&](size_t) { seal(out.data()); }));
  std::snprintf(label, sizeof label, "%s %s %s: copy + open", backend, name, mode);
  row(label, f.payload, timeIt(millis, [&](size_t i) {
        std::memcpy(work.data(), ring[i % kRing].data(), size);
        failed += !sealer->open(work.data(), size, aad, 0, &got);
      }));
  if (failed) std::printf("| open failed %d times |\n", failed);
}

#ifdef BENCH_HAVE_OPENSSL
// The same AEAD through OpenSSL's EVP (the library inside Node): one context
// keyed once, a new nonce per packet.
void benchOpenSsl(const Fixture& f, bool chacha, int millis) {
  const EVP_CIPHER* c = chacha ? EVP_chacha20_poly1305() : EVP_aes_256_gcm();
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, c, nullptr, f.key, nullptr);
  std::vector<uint8_t> out(kDataHeaderSize + f.payload + kSealTrailerSize);
  uint64_t seq = 0;
  DataHeader h = f.h;
  h.flags = uint16_t(kFlagSealed | kFlagEncrypted);
  char label[96];
  std::snprintf(label, sizeof label, "OpenSSL EVP %s encrypt: seal", chacha ? "ChaCha20-Poly1305" : "AES-256-GCM");
  row(label, f.payload, timeIt(millis, [&](size_t) {
        uint8_t nonce[kSealNonceSize];
        store32(nonce, 0);
        store64(nonce + 4, seq);
        writeDataHeader(out.data(), h);
        int len = 0;
        EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce);
        EVP_EncryptUpdate(ctx, nullptr, &len, out.data(), int(kDataHeaderSize));
        EVP_EncryptUpdate(ctx, out.data() + kDataHeaderSize, &len, f.chunk.data(), int(f.payload));
        EVP_EncryptFinal_ex(ctx, out.data() + kDataHeaderSize + len, &len);
        uint8_t* trailer = out.data() + kDataHeaderSize + f.payload;
        store64(trailer, seq++);
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kSealTagSize, trailer + kSealSeqSize);
      }));
  EVP_CIPHER_CTX_free(ctx);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  size_t payload = argc > 1 ? size_t(std::atoi(argv[1])) : 1444;
  int millis = argc > 2 ? std::atoi(argv[2]) : 1000;
  Fixture f(payload);
  std::printf("payload %zu bytes, one thread, fastest 50 ms slice of %d ms; MB/s = payload bytes per second\n\n", payload, millis);
  std::printf("| %-50s | %8s | %8s | %8s |\n|---|---|---|---|\n", "operation", "ns/pkt", "MB/s", "Mpkt/s");
  std::vector<uint8_t> a(kDataHeaderSize + payload + kSealTrailerSize), b(a.size());
  row("copy of one datagram (memcpy, baseline)", payload, timeIt(millis, [&](size_t) {
        std::memcpy(b.data(), a.data(), a.size());
        a[0] = b[1];
      }));
  for (uint8_t cipher : {uint8_t(kCipherAegis256), uint8_t(kCipherAes256Gcm),
                         uint8_t(kCipherChaCha20Poly1305)})
    for (bool encrypt : {true, false}) benchCore(f, cipher, encrypt, millis);
#ifdef BENCH_HAVE_OPENSSL
  benchOpenSsl(f, false, millis);
  benchOpenSsl(f, true, millis);
#endif
  return 0;
}
