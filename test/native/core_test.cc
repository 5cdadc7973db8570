// The receiver's core without Node or sockets: DATA headers round-trip, the
// Reed-Solomon scheme maps repair ids, and the Reassembler completes chunks
// from sources and repairs, reports what is missing in each NACK kind,
// refuses malformed symbols and, in a sealed session, forged and replayed
// ones; seal_test.cc checks the AEAD and the replay window; and a TxEngine
// sends a sealed chunk with repairs to an RxEngine over loopback multicast;
// zstd_test.cc checks the zstd codec's size bounds.
// Prints one line per failure; exit status 1 if any.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "core/data_header.h"
#include "core/seq_gaps.h"
#include "core/reassembler.h"
#include "core/reed_solomon.h"
#include "core/seal.h"
#include "core/wire.h"
#include "check.h"

using namespace blockcast;

int failures = 0;

namespace {

constexpr uint32_t kSession = 0x5EED;
constexpr uint32_t kSymbol = 256;

std::vector<uint8_t> datagram(uint32_t chunk, uint32_t symbol, uint32_t length, const uint8_t* payload, size_t n,
                              uint16_t flags = 0, uint8_t stream = kStreamImage) {
  std::vector<uint8_t> d(kDataHeaderSize + n, 0xEE);
  DataHeader h;
  h.flags = flags;
  h.session = kSession;
  h.stream = stream;
  h.coding = kCodingRaw;
  h.chunk = chunk;
  h.symbol = symbol;
  h.length = length;
  writeDataHeader(d.data(), h);
  std::memcpy(d.data() + kDataHeaderSize, payload, n);
  return d;
}

struct Rig {
  RxCounters counters;
  Reassembler r;
  std::vector<std::vector<uint8_t>> slots;
  std::vector<CompletedChunk> done;

  Rig(uint32_t stripe, uint32_t chunkCount, uint32_t maxLength, uint32_t manifestReserve = 0) : r(counters) {
    RxConfig c;
    c.session = kSession;
    c.symbolSize = kSymbol;
    c.stripeSize = stripe;
    c.streams[kStreamImage] = {chunkCount, maxLength};
    c.streams[kStreamManifest] = {1, maxLength};
    c.manifestReserve = manifestReserve;
    CHECK(r.configure(c).ok());
    for (uint32_t i = 0; i < 4; i++) {
      slots.emplace_back(maxLength);
      CHECK(r.provide(slots.back().data(), slots.back().size(), i).ok());
    }
  }
  void feed(std::vector<uint8_t> d) { r.handleData(d.data(), d.size(), &done); }
};

void headerRoundTrip() {
  uint8_t buf[kDataHeaderSize];
  DataHeader in{7, kStreamManifest, kCodingLz4, 42, repairSymbolId(3, 9), 12345}, out;
  writeDataHeader(buf, in);
  CHECK(load32(buf + kOffMagic) == kMagic && buf[kOffType] == kTypeData);
  CHECK(readDataHeader(buf, sizeof buf, &out));
  CHECK(out.session == 7 && out.stream == kStreamManifest && out.coding == kCodingLz4 && out.chunk == 42 &&
        out.symbol == in.symbol && out.length == 12345);
  CHECK(!readDataHeader(buf, sizeof buf - 1, &out));
  buf[kOffCoding] = kCodingCount;
  CHECK(!readDataHeader(buf, sizeof buf, &out));
  buf[kOffCoding] = kCodingRaw;
  // v5: the former reserved u16 is the sender's datagram count.
  buf[kOffSeq] = 0x34;
  buf[kOffSeq + 1] = 0x12;
  CHECK(readDataHeader(buf, sizeof buf, &out) && out.seq == 0x1234);
  {
    // Loss by seq gaps: late (reordered) datagrams never widen the span; the count wraps.
    SeqGaps g;
    uint64_t span = 0;
    for (uint16_t s : {uint16_t(65530), uint16_t(65533), uint16_t(65531), uint16_t(2), uint16_t(1), uint16_t(2)}) span += g.take(s);
    CHECK(span == 1 + 3 + 0 + 5 + 0 + 0);
  }
  // Flags: none in an open session; SEALED (and ENCRYPTED with it) in a sealed one.
  in.flags = kFlagSealed | kFlagEncrypted;
  writeDataHeader(buf, in);
  CHECK(!readDataHeader(buf, sizeof buf, &out));
  CHECK(readDataHeader(buf, sizeof buf, &out, true) && out.flags == (kFlagSealed | kFlagEncrypted));
  for (uint16_t bad : {uint16_t(kFlagEncrypted), uint16_t(kFlagSigned | kFlagSealed), uint16_t(0x100 | kFlagSealed)}) {
    in.flags = bad;
    writeDataHeader(buf, in);
    CHECK(!readDataHeader(buf, sizeof buf, &out, true));
  }
}

void repairIds() {
  ReedSolomon rs(4);
  RepairRef ref;
  // 10 sources in stripes of 4: blocks of 4, 4, 2.
  CHECK(rs.blockCount(10) == 3 && rs.blockSources(10, 2) == 2);
  CHECK(rs.parseRepairId(10, repairSymbolId(2, 252), &ref) && ref.block == 2 && ref.index == 252);
  CHECK(!rs.parseRepairId(10, repairSymbolId(2, 253), &ref));  // 2 + 253 rows > 255
  CHECK(!rs.parseRepairId(10, repairSymbolId(3, 0), &ref));    // no fourth stripe
  CHECK(!rs.parseRepairId(10, 5, &ref));                     // a source id
  CHECK(repairSymbolId(0x7FFF, 0xFFFF) == 0xFFFFFFFFu && repairStripe(0x80030002u) == 3 && repairIndex(0x80030002u) == 2);
  std::unique_ptr<FecScheme> none;
  CHECK(makeFecScheme(0, &none).ok() && !none);
  CHECK(!makeFecScheme(255, &none).ok());
}

// A 10-symbol chunk (last source short) rebuilt from 8 sources and 2 repairs
// of its first stripe, each missing() kind on the way.
void decodeWithRepairs() {
  const uint32_t length = 9 * kSymbol + 100;
  std::vector<uint8_t> chunk(length);
  std::mt19937 rng(1);
  for (auto& b : chunk) b = uint8_t(rng());
  Rig rig(4, 2, 10 * kSymbol);

  std::vector<uint32_t> m = rig.r.missing(kStreamImage, 2, 10);
  CHECK((m == std::vector<uint32_t>{0, uint32_t(kNackWholeChunk), 0, 1, uint32_t(kNackWholeChunk), 0}));
  uint32_t lengths[2] = {length, kNotSent};
  CHECK(rig.r.expect(kStreamImage, lengths, 2).ok());
  m = rig.r.missing(kStreamImage, 2, 10);
  CHECK((m == std::vector<uint32_t>{0, uint32_t(kNackSourceRuns), 1, 0, 10}));

  for (uint32_t s = 0; s < 10; s++) {
    if (s == 1 || s == 2) continue;  // lost: stripe 0 lacks two
    uint32_t n = std::min<uint32_t>(kSymbol, length - s * kSymbol);
    rig.feed(datagram(0, s, length, chunk.data() + s * kSymbol, n));
  }
  m = rig.r.missing(kStreamImage, 2, 10);
  CHECK((m == std::vector<uint32_t>{0, uint32_t(kNackStripeNeeds), 1, 0, 2}));

  ReedSolomon rs(4);
  const uint8_t* src[4] = {&chunk[0], &chunk[kSymbol], &chunk[2 * kSymbol], &chunk[3 * kSymbol]};
  int index[2] = {5, 11};
  std::vector<uint8_t> p0(kSymbol), p1(kSymbol);
  uint8_t* out[2] = {p0.data(), p1.data()};
  rs.encode(4, kSymbol, src, 2, index, out);
  rig.feed(datagram(0, repairSymbolId(0, 5), length, p0.data(), kSymbol));
  rig.feed(datagram(0, repairSymbolId(0, 5), length, p0.data(), kSymbol));  // duplicate
  CHECK(rig.done.empty());
  rig.feed(datagram(0, repairSymbolId(0, 11), length, p1.data(), kSymbol));
  CHECK(rig.done.size() == 1);
  if (rig.done.size() == 1) {
    const CompletedChunk& c = rig.done[0];
    CHECK(c.chunk == 0 && c.length == length && c.coding == kCodingRaw);
    CHECK(std::memcmp(rig.slots[c.slot].data(), chunk.data(), length) == 0);
  }
  CHECK(rig.counters.decodedSymbols == 2 && rig.counters.repairSymbols == 3 && rig.counters.duplicates == 1);
  CHECK(rig.r.missing(kStreamImage, 2, 10).empty());
}

// Without FEC: runs of missing sources; malformed symbols never placed.
void runsAndMalformed() {
  const uint32_t length = 6 * kSymbol;
  std::vector<uint8_t> chunk(length, 0xAB);
  Rig rig(0, 1, length);
  for (uint32_t s : {0u, 3u}) rig.feed(datagram(0, s, length, chunk.data() + s * kSymbol, kSymbol));
  std::vector<uint32_t> m = rig.r.missing(kStreamImage, 1, 10);
  CHECK((m == std::vector<uint32_t>{0, uint32_t(kNackSourceRuns), 2, 1, 2, 4, 2}));
  uint64_t before = rig.counters.malformed;
  rig.feed(datagram(0, 1, length, chunk.data(), kSymbol - 1));           // truncated
  rig.feed(datagram(0, 6, length, chunk.data(), kSymbol));               // beyond the chunk
  rig.feed(datagram(0, repairSymbolId(0, 0), length, chunk.data(), kSymbol));  // repair without FEC
  rig.feed(datagram(0, 1, length + 1, chunk.data(), kSymbol));           // beyond maxLength
  CHECK(rig.counters.malformed == before + 4);
  CHECK(rig.counters.dataPackets == 2);
}

// A sealed session: sealed symbols (encrypted or not) complete the chunk;
// unsealed, tampered and replayed ones are counted and never placed, and
// sealed DATA without a key cannot be read.
void sealedData() {
  if (sealCiphers().empty()) return;  // seal_test.cc checks the message
  const uint32_t length = 3 * kSymbol;
  std::vector<uint8_t> chunk(length);
  std::mt19937 rng(3);
  for (auto& b : chunk) b = uint8_t(rng());
  uint8_t key[kSealKeySize];
  for (auto& b : key) b = uint8_t(rng());
  Status status;
  const uint8_t cipher = sealCiphers()[0];
  auto sealer = Sealer::create(cipher, key, sizeof key, &status);
  CHECK(sealer != nullptr);
  if (!sealer) return;
  auto sealed = [&](uint32_t symbol, uint64_t seq, bool encrypt) {
    uint16_t flags = uint16_t(kFlagSealed | (encrypt ? kFlagEncrypted : 0));
    std::vector<uint8_t> d = datagram(0, symbol, length, chunk.data() + symbol * kSymbol, kSymbol, flags);
    d.resize(d.size() + kSealTrailerSize);
    size_t aad = encrypt ? kDataHeaderSize : kDataHeaderSize + kSymbol;
    sealer->seal(d.data(), aad, encrypt ? d.data() + aad : nullptr, encrypt ? kSymbol : 0, kSealOriginSenderData, seq);
    return d;
  };

  Rig open(0, 1, length);
  open.feed(sealed(0, 0, true));
  CHECK(open.counters.noKey == 1 && open.counters.dataPackets == 0);

  Rig rig(0, 1, length);
  CHECK(rig.r.setSealKey(cipher, key, sizeof key).ok());
  CHECK(!rig.r.setSealKey(cipher, key, 31).ok());  // refused: the key set stays
  CHECK(!rig.r.setSealKey(9, key, sizeof key).ok());
  rig.feed(datagram(0, 0, length, chunk.data(), kSymbol));  // unsealed: a stranger's
  std::vector<uint8_t> tampered = sealed(0, 1, true);
  tampered[kDataHeaderSize + 5] ^= 1;
  rig.feed(tampered);
  std::vector<uint8_t> wrongOrigin = datagram(0, 0, length, chunk.data(), kSymbol, kFlagSealed | kFlagEncrypted);
  wrongOrigin.resize(wrongOrigin.size() + kSealTrailerSize);
  sealer->seal(wrongOrigin.data(), kDataHeaderSize, wrongOrigin.data() + kDataHeaderSize, kSymbol, kSealOriginSenderControl, 2);
  rig.feed(wrongOrigin);
  CHECK(rig.counters.forged == 3 && rig.counters.dataPackets == 0);

  rig.feed(sealed(0, 10, true));
  rig.feed(sealed(0, 10, true));  // replayed
  rig.feed(sealed(1, 11, false));  // authenticated only
  std::vector<uint8_t> flagFlipped = sealed(2, 12, true);
  flagFlipped[kOffFlags] = kFlagSealed;  // ENCRYPTED is covered by the tag
  rig.feed(flagFlipped);
  CHECK(rig.counters.replayed == 1 && rig.counters.forged == 4 && rig.done.empty());
  rig.feed(sealed(2, 9, true));  // older, inside the window
  CHECK(rig.done.size() == 1 && rig.counters.dataPackets == 3);
  if (rig.done.size() == 1) CHECK(std::memcmp(rig.slots[rig.done[0].slot].data(), chunk.data(), length) == 0);
  rig.feed(sealed(2, 9, true));
  CHECK(rig.counters.replayed == 2 && rig.counters.duplicates == 0);
  CHECK(rig.counters.malformed == 0);
}

// Image chunks never take the slot kept for the manifest while it is
// incomplete: the manifest still assembles after a flood of image chunks.
void manifestReserve() {
  const uint32_t length = 2 * kSymbol;
  std::vector<uint8_t> bytes(length, 0x11);
  Rig rig(0, 8, length, 1);
  for (uint32_t c = 0; c < 8; c++) rig.feed(datagram(c, 0, length, bytes.data(), kSymbol));  // 8 partial image chunks
  CHECK(rig.r.assembling() == 3 && rig.r.freeSlots() == 1 && rig.counters.noBuffer == 5);
  for (uint32_t s = 0; s < 2; s++) rig.feed(datagram(0, s, length, bytes.data(), kSymbol, 0, kStreamManifest));
  CHECK(rig.done.size() == 1 && rig.done[0].stream == kStreamManifest);
  // The manifest is complete: the reserve is free for image chunks again.
  CHECK(rig.r.provide(rig.slots[rig.done[0].slot].data(), length, rig.done[0].slot).ok());
  rig.feed(datagram(5, 0, length, bytes.data(), kSymbol));
  CHECK(rig.r.assembling() == 4 && rig.r.freeSlots() == 0);
}

}  // namespace

int main() {
  headerRoundTrip();
  repairIds();
  decodeWithRepairs();
  runsAndMalformed();
  sealedData();
  sealTests();
  manifestReserve();
  // Set by scripts/prebuild-cross.mjs under qemu-user, whose setsockopt
  // cannot join a multicast group (ip_mreqn fails with ENODEV there).
  if (std::getenv("BLOCKCAST_TEST_NO_SOCKETS")) std::printf("note: engine round trips over sockets skipped\n");
  else engineRoundTrip();
  zstdTests();
  std::printf("%s\n", failures ? "core tests failed" : "core tests passed");
  return failures ? 1 : 0;
}
