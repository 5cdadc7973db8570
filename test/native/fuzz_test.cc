// The native fuzz driver: random and mutated datagrams straight into the
// receiver's core, interleaved with one valid chunk's packets, round after
// round of random geometry (symbol size, FEC stripe) and mode (open, or
// sealed with each cipher this build has, payload encrypted or not). Each
// datagram goes the way RxEngine::handleDatagram sends it: DATA into the
// Reassembler, anything else to the control path (copied for JS) or
// counted malformed. Every round's valid chunk must complete with its exact
// bytes; a completion the fuzz forged (another length or coding) is reopened
// as JS does when it fails verification. Built with -DBLOCKCAST_SANITIZE=ON,
// ASan and UBSan watch every access.
//
//   blockcast_fuzz_test [--packets N] [--seed S]
//
// Prints the seed (pass it back to reproduce), the counts, and "fuzz passed"
// or "fuzz failed"; exit status 1 on failure.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/data_header.h"
#include "core/reassembler.h"
#include "core/seal.h"
#include "core/wire.h"
#include "fuzz_mutator.h"

using namespace blockcast;
using blockcast::fuzz::Mutator;
using blockcast::fuzz::Packet;

namespace {

struct Totals {
  uint64_t fuzzed = 0, retargeted = 0, sealedRounds = 0, controls = 0, rounds = 0, verified = 0, forged = 0, repairRounds = 0;
  RxCounters counters;
};

// A chunk's datagrams: all its sources, and with FEC two repairs per block.
struct ValidChunk {
  uint8_t stream;
  uint32_t chunk, length;
  uint8_t coding;
  std::vector<uint8_t> bytes;
  std::vector<Packet> sources, repairs;
};

class Round {
 public:
  Round(Mutator& m, Totals& t) : m_(m), t_(t) {
    static constexpr uint32_t kSymbols[] = {256, 512, 1448};
    static constexpr uint32_t kStripes[] = {0, 0, 4, 8, 32};
    symbolSize_ = kSymbols[m_.below(3)];
    config_.session = m_.u32();
    config_.symbolSize = symbolSize_;
    config_.stripeSize = kStripes[m_.below(5)];
    config_.streams[kStreamImage] = {2 + m_.below(14), symbolSize_ * (1 + m_.below(80))};
    config_.streams[kStreamManifest] = {1 + m_.below(3), symbolSize_ * (1 + m_.below(8))};
    r_ = std::make_unique<Reassembler>(t_.counters);
    ok_ = r_->configure(config_).ok() && makeFecScheme(config_.stripeSize, &fec_).ok();
    std::vector<uint8_t> ciphers = sealCiphers();
    if (!ciphers.empty() && m_.chance(0.3)) {
      // A sealed session: valid packets are sealed with the key, fuzz mostly mutates sealed packets.
      uint8_t key[kSealKeySize];
      m_.fill(key, sizeof key);
      uint8_t cipher = ciphers[m_.below(uint32_t(ciphers.size()))];
      Status st;
      sealer_ = Sealer::create(cipher, key, sizeof key, &st);
      encrypt_ = m_.chance(0.5);
      ok_ = ok_ && sealer_ && r_->setSealKey(cipher, key, sizeof key).ok();
      t_.sealedRounds++;
    }
    uint32_t slots = config_.streams[0].chunkCount + config_.streams[1].chunkCount + 2;
    uint32_t slotSize = std::max(config_.streams[0].maxLength, config_.streams[1].maxLength);
    storage_.resize(slots);
    for (uint32_t i = 0; i < slots; i++) {
      storage_[i].resize(slotSize);
      ok_ = ok_ && r_->provide(storage_[i].data(), slotSize, i).ok();
    }
  }

  // Feeds the valid chunk, `perPacket` fuzzed datagrams on average before
  // each of its packets, with repair rounds until it completes.
  bool run(uint32_t perPacket) {
    if (!ok_) return fail("configure or provide refused a valid geometry");
    valid_ = makeChunk(uint8_t(m_.below(kStreamCount)));
    for (int i = 0; i < 4; i++) {
      // Other chunks' packets to mutate (never another copy of this chunk's).
      ValidChunk other = makeChunk(uint8_t(m_.below(kStreamCount)));
      if (other.stream != valid_.stream || other.chunk != valid_.chunk) corpus_.push_back(wrap(other.sources[0]));
    }
    for (auto& p : valid_.sources) corpus_.push_back(wrap(p));
    for (auto& p : valid_.repairs) corpus_.push_back(wrap(p));
    // First pass: up to two sources of each block lost where FEC can cover them.
    std::vector<Packet> pass;
    uint32_t block = config_.stripeSize ? config_.stripeSize : uint32_t(valid_.sources.size());
    for (size_t s = 0; s < valid_.sources.size(); s++)
      if (!(config_.stripeSize && s % block < 2 && m_.chance(0.5))) pass.push_back(valid_.sources[s]);
    pass.insert(pass.end(), valid_.repairs.begin(), valid_.repairs.end());
    for (int round = 0; !done_ && round < 10; round++) {
      if (round > 0) t_.repairRounds++;
      // Forged symbols that agree on a wrong length can outvote a chunk of
      // one or two symbols for several rounds; by then JS has the manifest
      // and says the true length, as in a session.
      if (round >= 3) expectKnown();
      std::shuffle(pass.begin(), pass.end(), std::mt19937(m_.u32()));
      for (const Packet& p : pass) {
        for (uint32_t i = 0, n = m_.below(2 * perPacket + 1); i < n; i++) fuzzOne();
        if (m_.chance(0.01)) expectKnown();
        feed(wrap(p));
        if (!failure_.empty()) return false;
      }
      pass = valid_.sources;  // a repair round resends every source
    }
    if (!done_) {
      char why[200];
      std::snprintf(why, sizeof why, "the valid chunk never completed (%s%s, symbol %u, stripe %u, stream %u chunk %u, %u bytes)",
                    sealer_ ? "sealed" : "open", encrypt_ ? "+encrypted" : "", symbolSize_, config_.stripeSize, valid_.stream,
                    valid_.chunk, valid_.length);
      return fail(why);
    }
    t_.verified++;
    return true;
  }

  const std::string& failure() const { return failure_; }

 private:
  bool fail(std::string why) {
    failure_ = std::move(why);
    return false;
  }

  // An open datagram (header flags 0); wrap() seals it when the round is sealed.
  Packet datagram(const ValidChunk& c, uint32_t symbol, const uint8_t* payload, size_t n) {
    Packet d(kDataHeaderSize + n);
    writeDataHeader(d.data(), DataHeader{config_.session, c.stream, c.coding, c.chunk, symbol, c.length});
    if (n) std::memcpy(d.data() + kDataHeaderSize, payload, n);
    return d;
  }

  // As the sender sends it: in a sealed round, sealed with the next seq (a
  // resend is a new datagram, never a replay), the payload encrypted or not.
  Packet wrap(const Packet& open) {
    if (!sealer_) return open;
    Packet d(open.size() + kSealTrailerSize);
    std::memcpy(d.data(), open.data(), open.size());
    store16(d.data() + kOffFlags, uint16_t(kFlagSealed | (encrypt_ ? kFlagEncrypted : 0)));
    size_t n = open.size() - kDataHeaderSize;
    size_t len = encrypt_ ? sealer_->seal(d.data(), kDataHeaderSize, open.data() + kDataHeaderSize, n, kSealOriginSenderData, seq_++)
                          : sealer_->seal(d.data(), open.size(), nullptr, 0, kSealOriginSenderData, seq_++);
    d.resize(len);
    return d;
  }

  ValidChunk makeChunk(uint8_t stream) {
    const StreamConfig& sc = config_.streams[stream];
    ValidChunk c{stream, m_.below(sc.chunkCount), 1 + m_.below(sc.maxLength), uint8_t(m_.below(kCodingCount)), {}, {}, {}};
    c.bytes.resize(c.length);
    m_.fill(c.bytes.data(), c.length);
    uint32_t symbols = (c.length + symbolSize_ - 1) / symbolSize_;
    for (uint32_t s = 0; s < symbols; s++)
      c.sources.push_back(datagram(c, s, &c.bytes[size_t(s) * symbolSize_], std::min(symbolSize_, c.length - s * symbolSize_)));
    if (!fec_) return c;
    for (uint32_t b = 0; b < fec_->blockCount(symbols); b++) {
      uint32_t k = fec_->blockSources(symbols, b);
      std::vector<std::vector<uint8_t>> padded(k, std::vector<uint8_t>(symbolSize_, 0));
      std::vector<const uint8_t*> src(k);
      for (uint32_t i = 0; i < k; i++) {
        uint32_t s = fec_->blockFirst(b) + i;
        std::memcpy(padded[i].data(), &c.bytes[size_t(s) * symbolSize_], std::min(symbolSize_, c.length - s * symbolSize_));
        src[i] = padded[i].data();
      }
      int index[2] = {0, int(1 + m_.below(kFecMaxRows - k - 1))};
      std::vector<uint8_t> p0(symbolSize_), p1(symbolSize_);
      uint8_t* out[2] = {p0.data(), p1.data()};
      fec_->encode(int(k), int(symbolSize_), src.data(), 2, index, out);
      c.repairs.push_back(datagram(c, repairSymbolId(b, uint32_t(index[0])), p0.data(), symbolSize_));
      c.repairs.push_back(datagram(c, repairSymbolId(b, uint32_t(index[1])), p1.data(), symbolSize_));
    }
    return c;
  }

  // What JS tells the receiver once the manifest is in: the valid chunk's
  // length (forged lengths are then refused), the rest unknown.
  void expectKnown() {
    std::vector<uint32_t> lengths(config_.streams[valid_.stream].chunkCount, 0);
    lengths[valid_.chunk] = valid_.length;
    if (!r_->expect(valid_.stream, lengths.data(), lengths.size()).ok()) fail("expect() refused valid lengths");
  }

  void fuzzOne() {
    Packet p = m_.mutate(corpus_[m_.below(uint32_t(corpus_.size()))], corpus_[m_.below(uint32_t(corpus_.size()))]);
    // A datagram for the chunk under test with its true length and coding
    // but other bytes is a forgery only the chunk hash (in JS) can catch:
    // it would make the byte comparison fail without any bug here. It goes
    // to another chunk (or session) instead.
    DataHeader h;
    if (!sealer_ && p.size() >= kDataHeaderSize && load32(p.data() + kOffMagic) == kMagic && p[kOffVersion] == kVersion && p[kOffType] == kTypeData &&
        readDataHeader(p.data(), p.size(), &h) && h.session == config_.session && h.stream == valid_.stream &&
        h.chunk == valid_.chunk && h.length == valid_.length && h.coding == valid_.coding &&
        std::find(corpus_.begin(), corpus_.end(), p) == corpus_.end()) {
      t_.retargeted++;
      uint32_t count = config_.streams[h.stream].chunkCount;
      if (count > 1) store32(p.data() + kOffChunk, (h.chunk + 1 + m_.below(count - 1)) % count);
      else store32(p.data() + kOffSession, config_.session + 1);
    }
    t_.fuzzed++;
    feed(p);
    if (m_.chance(0.002)) {
      // The NACK path reads the same state: ask it anything.
      int64_t below = int64_t(m_.u32()) - (1ll << 31);
      r_->missing(m_.below(4), m_.chance(0.5) ? below : int64_t(m_.below(64)), m_.below(512));
    }
  }

  // As RxEngine::handleDatagram: the common header, then DATA or control.
  void feed(const Packet& p) {
    t_.counters.datagrams++;
    if (p.size() < kCommonHeaderSize || load32(p.data() + kOffMagic) != kMagic || p[kOffVersion] != kVersion) {
      t_.counters.malformed++;
      return;
    }
    if (p[kOffType] != kTypeData) {
      std::vector<uint8_t> copy(p.begin(), p.end());  // what goes to JS
      t_.controls += copy.size() >= kCommonHeaderSize;
      return;
    }
    std::vector<CompletedChunk> done;
    Packet copy = p;  // a sealed datagram is opened in place
    r_->handleData(copy.data(), copy.size(), &done);
    for (const CompletedChunk& c : done) completed(c);
  }

  void completed(const CompletedChunk& c) {
    if (c.slot >= storage_.size()) {
      fail("a completed chunk names a slot never lent");
      return;
    }
    bool isValid = c.stream == valid_.stream && c.chunk == valid_.chunk;
    if (isValid && c.length == valid_.length && c.coding == valid_.coding) {
      if (std::memcmp(storage_[c.slot].data(), valid_.bytes.data(), valid_.length) != 0) {
        fail("the valid chunk completed with wrong bytes");
        return;
      }
      done_ = true;
    } else {
      // Forged: JS fails its hash and asks for it again.
      t_.forged++;
      r_->reopen(c.stream, c.chunk);
    }
    // JS has written the chunk and lends the buffer again.
    if (!r_->provide(storage_[c.slot].data(), storage_[c.slot].size(), c.slot).ok()) fail("provide() refused a returned slot");
  }

  Mutator& m_;
  Totals& t_;
  uint32_t symbolSize_ = 0;
  std::unique_ptr<Sealer> sealer_;
  bool encrypt_ = false;
  uint64_t seq_ = 0;
  RxConfig config_;
  std::unique_ptr<Reassembler> r_;
  std::unique_ptr<FecScheme> fec_;
  std::vector<std::vector<uint8_t>> storage_;
  std::vector<Packet> corpus_;
  ValidChunk valid_;
  bool ok_ = false, done_ = false;
  std::string failure_;
};

uint64_t argValue(int argc, char** argv, const char* name, uint64_t fallback) {
  for (int i = 1; i + 1 < argc; i++)
    if (std::strcmp(argv[i], name) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t packets = argValue(argc, argv, "--packets", 200000);
  uint64_t seed = argValue(argc, argv, "--seed", std::random_device{}());
  std::printf("native fuzz: %llu packets, seed %llu\n", (unsigned long long)packets, (unsigned long long)seed);
  std::fflush(stdout);
  Mutator m(seed);
  Totals t;
  auto t0 = std::chrono::steady_clock::now();
  bool ok = true;
  while (ok && t.fuzzed < packets) {
    t.rounds++;
    Round round(m, t);
    ok = round.run(20);
    if (!ok) std::printf("FAIL round %llu (seed %llu): %s\n", (unsigned long long)t.rounds, (unsigned long long)seed, round.failure().c_str());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const RxCounters& c = t.counters;
  std::printf(
      "fuzzed %llu datagrams (%llu same-length forgeries of the chunk under test sent to another chunk) in %.1f s; %llu rounds (%llu sealed), %llu valid chunks "
      "verified, %llu repair rounds; malformed %llu, foreign %llu, data %llu, duplicates %llu, noBuffer %llu, decoded %llu, "
      "decode failures %llu, forged completions %llu, controls %llu; sealed: tag failures %llu, replays %llu\n",
      (unsigned long long)t.fuzzed, (unsigned long long)t.retargeted, seconds, (unsigned long long)t.rounds, (unsigned long long)t.sealedRounds, (unsigned long long)t.verified,
      (unsigned long long)t.repairRounds, (unsigned long long)c.malformed, (unsigned long long)c.foreign, (unsigned long long)c.dataPackets,
      (unsigned long long)c.duplicates, (unsigned long long)c.noBuffer, (unsigned long long)c.decodedSymbols,
      (unsigned long long)c.decodeFailures, (unsigned long long)t.forged, (unsigned long long)t.controls,
      (unsigned long long)c.forged, (unsigned long long)c.replayed);
  std::printf("%s\n", ok ? "fuzz passed" : "fuzz failed");
  return ok ? 0 : 1;
}
