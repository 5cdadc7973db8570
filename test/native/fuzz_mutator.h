// The native fuzz driver's packet mutator, after test/fuzz/mutator.ts: one
// to four stacked mutations of a packet — bit flips, bytes set to boundary
// values, u16/u32 boundaries at the DATA header's field offsets (core/wire.h),
// header flags, truncation, extension, insertion and deletion, splicing with
// another packet — or random bytes of any length up to 65507.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "core/wire.h"

namespace blockcast::fuzz {

using Packet = std::vector<uint8_t>;

class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  uint32_t below(uint32_t n) { return n ? uint32_t(rng_() % n) : 0; }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  uint32_t u32() { return uint32_t(rng_()); }
  void fill(uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = uint8_t(rng_());
  }

  // Random bytes, mostly short; half keep `like`'s common header so they
  // get past the first check.
  Packet random(const Packet& like) {
    Packet b(chance(0.9) ? below(2048) : below(kMaxUdpPayload + 1));
    fill(b.data(), b.size());
    if (chance(0.5))
      for (size_t i = 0; i < kCommonHeaderSize && i < b.size() && i < like.size(); i++) b[i] = like[i];
    return b;
  }

  Packet mutate(const Packet& packet, const Packet& other) {
    if (chance(0.03)) return random(packet);
    Packet b = packet;
    for (uint32_t i = 0, n = 1 + below(chance(0.8) ? 2 : 4); i < n; i++) once(&b, other);
    if (b.size() > kMaxUdpPayload) b.resize(kMaxUdpPayload);
    return b;
  }

 private:
  static constexpr uint8_t kBytes[] = {0, 1, 0x7f, 0x80, 0xfe, 0xff};
  static constexpr uint16_t kU16[] = {0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff};
  static constexpr uint32_t kU32[] = {0, 1, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000u, 0x80000001u, 0xfffffffeu, 0xffffffffu};
  struct Field {
    size_t offset;
    size_t size;
  };
  static constexpr Field kDataFields[] = {{kOffMagic, 4}, {kOffVersion, 1}, {kOffType, 1},   {kOffFlags, 2},
                                          {kOffSession, 4}, {kOffStream, 1}, {kOffCoding, 1}, {kOffSeq, 2},
                                          {kOffChunk, 4},  {kOffSymbol, 4},  {kOffLength, 4}};

  template <typename T, size_t N>
  T pick(const T (&xs)[N]) {
    return xs[below(N)];
  }

  void boundary(Packet* b, size_t at, size_t size) {
    if (at + size > b->size()) return;
    uint8_t* p = b->data() + at;
    if (size == 1) *p = pick(kBytes);
    else if (size == 2) store16(p, uint16_t(pick(kU16) + (chance(0.25) ? (chance(0.5) ? 1 : -1) : 0)));
    else store32(p, pick(kU32) + (chance(0.25) ? (chance(0.5) ? 1u : ~0u) : 0u));
  }

  void once(Packet* b, const Packet& other) {
    size_t at = below(uint32_t(std::max<size_t>(1, b->size())));
    switch (below(11)) {
      case 0:  // bit flips
        for (uint32_t i = 0, n = 1 + below(4); i < n && !b->empty(); i++) (*b)[below(uint32_t(b->size()))] ^= uint8_t(1u << below(8));
        break;
      case 1:  // a byte set to a boundary value
        if (!b->empty()) (*b)[at] = pick(kBytes);
        break;
      case 2:
      case 3: {  // a DATA field set to a boundary of its width
        Field f = pick(kDataFields);
        boundary(b, f.offset, f.size);
        break;
      }
      case 4:  // header flags: any combination, legal or not
        if (b->size() >= kOffFlags + 2) store16(b->data() + kOffFlags, uint16_t(chance(0.7) ? below(8) : below(0x10000)));
        break;
      case 5:  // truncation
        b->resize(chance(0.5) ? below(uint32_t(b->size()) + 1) : b->size() - std::min<size_t>(b->size(), 1 + below(32)));
        break;
      case 6: {  // extension
        size_t n = chance(0.8) ? 1 + below(64) : below(4096);
        size_t old = b->size();
        b->resize(old + n);
        fill(b->data() + old, n);
        break;
      }
      case 7: {  // insert or delete bytes in the middle
        size_t n = 1 + below(16);
        if (chance(0.5)) {
          Packet ins(n);
          fill(ins.data(), n);
          b->insert(b->begin() + long(std::min(at, b->size())), ins.begin(), ins.end());
        } else {
          b->erase(b->begin() + long(std::min(at, b->size())), b->begin() + long(std::min(at + n, b->size())));
        }
        break;
      }
      case 8: {  // splice: the head of one packet, the tail of another
        size_t from = below(uint32_t(other.size()) + 1);
        b->resize(std::min(at, b->size()));
        b->insert(b->end(), other.begin() + long(from), other.end());
        break;
      }
      case 9:  // a run of random bytes
        if (!b->empty()) fill(b->data() + at, std::min<size_t>(b->size() - at, 1 + below(16)));
        break;
      default:  // a u16 or u32 anywhere set to a boundary
        boundary(b, at, chance(0.5) ? 2 : 4);
        break;
    }
  }

  std::mt19937_64 rng_;
};

}  // namespace blockcast::fuzz
