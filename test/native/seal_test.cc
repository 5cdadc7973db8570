// The AEAD of docs/SECURITY.md without sockets: seal and open round-trip for
// each cipher this build supports, encrypted and authenticated only, in
// place too; any changed byte, a wrong origin or key fails; and the replay
// window against a plain model: duplicates, reorder inside the window, the
// floor, far-old seqs and jumps ahead.
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "check.h"
#include "core/data_header.h"
#include "core/seal.h"
#include "core/wire.h"

using namespace blockcast;

namespace {

constexpr size_t kPayload = 1444;

void roundTrip(uint8_t cipher, bool encrypt) {
  std::mt19937 rng(cipher * 2 + encrypt);
  uint8_t key[kSealKeySize];
  for (auto& b : key) b = uint8_t(rng());
  Status status;
  auto sealer = Sealer::create(cipher, key, sizeof key, &status);
  CHECK(sealer != nullptr && status.ok());
  if (!sealer) return;
  std::vector<uint8_t> payload(kPayload);
  for (auto& b : payload) b = uint8_t(rng());

  std::vector<uint8_t> packet(kDataHeaderSize + kPayload + kSealTrailerSize);
  DataHeader h{1, kStreamImage, kCodingRaw, 2, 3, 4 * kPayload, uint16_t(kFlagSealed | (encrypt ? kFlagEncrypted : 0))};
  writeDataHeader(packet.data(), h);
  size_t aad = encrypt ? kDataHeaderSize : kDataHeaderSize + kPayload;
  if (!encrypt) std::memcpy(packet.data() + kDataHeaderSize, payload.data(), kPayload);
  size_t n = sealer->seal(packet.data(), aad, encrypt ? payload.data() : nullptr, encrypt ? kPayload : 0, 0, 77);
  CHECK(n == packet.size());
  CHECK(load64(packet.data() + kDataHeaderSize + kPayload) == 77);
  // Encrypted: the payload on the wire is not the plaintext.
  CHECK(encrypt == (std::memcmp(packet.data() + kDataHeaderSize, payload.data(), kPayload) != 0));

  std::vector<uint8_t> copy = packet;
  uint64_t seq = 0;
  CHECK(sealer->open(copy.data(), copy.size(), aad, 0, &seq) && seq == 77);
  CHECK(std::memcmp(copy.data() + kDataHeaderSize, payload.data(), kPayload) == 0);

  // In place: the payload already sits after the header.
  std::vector<uint8_t> inPlace(packet.size());
  writeDataHeader(inPlace.data(), h);
  std::memcpy(inPlace.data() + kDataHeaderSize, payload.data(), kPayload);
  sealer->seal(inPlace.data(), aad, encrypt ? inPlace.data() + kDataHeaderSize : nullptr, encrypt ? kPayload : 0, 0, 77);
  CHECK(inPlace == packet);

  int opened = 0;
  for (size_t i = 0; i < packet.size(); i++) {
    copy = packet;
    copy[i] ^= uint8_t(1 << (i % 8));
    opened += sealer->open(copy.data(), copy.size(), aad, 0, &seq);
  }
  CHECK(opened == 0);
  copy = packet;
  CHECK(!sealer->open(copy.data(), copy.size(), aad, 1, &seq));              // another origin
  CHECK(!sealer->open(copy.data(), copy.size() - 1, aad, 0, &seq));          // truncated
  CHECK(!sealer->open(copy.data(), kSealTrailerSize - 1, 0, 0, &seq));       // no room for the trailer
  CHECK(!sealer->open(copy.data(), copy.size(), copy.size(), 0, &seq));      // aad over the trailer
  key[0] ^= 1;
  auto other = Sealer::create(cipher, key, sizeof key, &status);
  copy = packet;
  CHECK(other && !other->open(copy.data(), copy.size(), aad, 0, &seq));
}

// AEGIS-256 through Sealer against Wycheproof's aegis256_test.json case 6
// (as libaegis's own tests use it): key and nonce all zero (origin 0, seq 0
// pads to that nonce), 16 zero bytes of additional data, 16 zero bytes
// encrypted. Proves the vendored library and our nonce and trailer layout.
void aegisKnownAnswer() {
  if (!sealCipherSupported(kCipherAegis256)) return;  // no AES instructions: ciphers() said why
  const uint8_t ct[16] = {0xb2, 0x86, 0x70, 0x5e, 0x6c, 0xcf, 0x36, 0x89, 0x74, 0xad, 0xe9, 0xff, 0x55, 0x50, 0xa4, 0xc5};
  const uint8_t tag[16] = {0xfd, 0xeb, 0x4a, 0x82, 0x2f, 0x3d, 0xdd, 0x1f, 0xd4, 0x15, 0x9e, 0x1d, 0xb1, 0x1a, 0x4c, 0x6b};
  uint8_t key[kSealKeySize] = {};
  Status status;
  auto sealer = Sealer::create(kCipherAegis256, key, sizeof key, &status);
  CHECK(sealer != nullptr);
  if (!sealer) return;
  uint8_t packet[16 + 16 + kSealTrailerSize] = {};
  CHECK(sealer->seal(packet, 16, packet + 16, 16, 0, 0) == sizeof packet);
  CHECK(std::memcmp(packet + 16, ct, 16) == 0);
  CHECK(std::memcmp(packet + 32 + kSealSeqSize, tag, 16) == 0);
  uint64_t seq = 1;
  CHECK(sealer->open(packet, sizeof packet, 16, 0, &seq) && seq == 0);
  for (int i = 16; i < 32; i++) CHECK(packet[i] == 0);
}

void ciphers() {
  const char* why = nullptr;
  Status status;
  uint8_t key[kSealKeySize] = {};
  if (!sealCipherSupported(kCipherChaCha20Poly1305, &why)) {  // a build without a crypto library says why
    CHECK(!Sealer::create(kCipherChaCha20Poly1305, key, sizeof key, &status) && std::strstr(status.message, "libsodium"));
  }
  for (uint8_t c : {uint8_t(kCipherAes256Gcm), uint8_t(kCipherAegis256)})
    if (!sealCipherSupported(c, &why)) std::printf("note: %s\n", why);
  CHECK(!sealCipherSupported(kCipherNone, &why) && why != nullptr);
  CHECK(!sealCipherSupported(kCipherCount, &why) && why != nullptr);
  for (uint8_t c : sealCiphers()) CHECK(!Sealer::create(c, key, 16, &status) && status.kind == Status::kRange);
  CHECK(!Sealer::create(kCipherCount, key, sizeof key, &status) && !status.ok());
  for (uint8_t c : sealCiphers())
    for (bool encrypt : {true, false}) roundTrip(c, encrypt);
  aegisKnownAnswer();
}

// The window holds the highest seq accepted and the kReplayWindowData - 1
// below it.
void replayEdges() {
  ReplayWindow w(kReplayWindowData);
  CHECK(w.accept(0) && !w.accept(0));              // duplicate
  CHECK(w.accept(5) && w.accept(3) && w.accept(4));  // reorder inside the window
  CHECK(!w.accept(3) && !w.accept(5));
  CHECK(w.accept(5000));                            // jump ahead
  CHECK(w.accept(5000 - 4095) && !w.accept(5000 - 4096) && !w.accept(0));  // the floor; far old
  CHECK(!w.accept(5000 - 4095));
  CHECK(w.accept(5001) && !w.accept(5000));
  CHECK(w.accept(uint64_t(1) << 40));  // far ahead: everything before it is old
  CHECK(!w.accept(5001) && w.accept((uint64_t(1) << 40) - 1) && w.accept((uint64_t(1) << 40) - 4095));
  CHECK(!w.accept((uint64_t(1) << 40) - 4096));
  CHECK(w.accept(~uint64_t(0)) && !w.accept(~uint64_t(0)) && w.accept(~uint64_t(0) - 1));
  w.reset();
  CHECK(w.accept(0));
  ReplayWindow small(64);
  CHECK(small.accept(200) && small.accept(137) && !small.accept(136));
}

// Random seqs around a moving front, against a set and the rule.
void replayModel() {
  ReplayWindow w(kReplayWindowData);
  std::set<uint64_t> seen;
  uint64_t highest = 0;
  std::mt19937_64 rng(11);
  int mismatches = 0;
  for (int i = 0; i < 200000; i++) {
    uint64_t front = uint64_t(i) * 3;
    uint64_t seq = front + rng() % 9000 - std::min<uint64_t>(front, 6000);
    if (rng() % 500 == 0) seq += rng() % 20000;  // an occasional jump
    bool fresh = seen.empty() || seq > highest || (highest - seq < kReplayWindowData && !seen.count(seq));
    if (fresh) {
      seen.insert(seq);
      if (seq > highest || seen.size() == 1) highest = seq;
    }
    mismatches += w.accept(seq) != fresh;
  }
  CHECK(mismatches == 0);
}

}  // namespace

void sealTests() {
  ciphers();
  replayEdges();
  replayModel();
}
