// Turns validated DATA datagrams into complete chunks: the session's
// geometry, what is known of each chunk's length, the buffers JS lent, the
// chunks in progress and those done. No sockets and no locking: the rx
// engine owns one and serialises access to it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/assembly.h"
#include "core/data_opener.h"
#include "core/fec_scheme.h"
#include "core/rx_stats.h"
#include "core/seq_gaps.h"
#include "core/status.h"
#include "core/wire.h"

namespace blockcast {

// In expect(): a chunk that is never sent (a zero chunk).
constexpr uint32_t kNotSent = 0xFFFFFFFFu;

struct StreamConfig {
  uint32_t chunkCount = 0;
  uint32_t maxLength = 0;  // the most bytes a chunk may hold on the wire
};

struct RxConfig {
  uint32_t session = 0;
  uint32_t symbolSize = 0;
  uint32_t stripeSize = 0;  // sources per FEC stripe; 0 = no FEC in this session
  std::array<StreamConfig, kStreamCount> streams{};
  // Free slots only the manifest may start a chunk in while it is
  // incomplete, so image chunks (early or forged) can never starve it.
  uint32_t manifestReserve = 0;
};

struct CompletedChunk {
  uint8_t stream;
  uint32_t chunk;
  uint32_t slot;
  uint32_t length;
  uint8_t coding;
};

class Reassembler {
 public:
  explicit Reassembler(RxCounters& counters) : counters_(counters) {}

  // Fixes the session accepted and each stream's geometry; resets all
  // assembly state (slots lent for another geometry are forgotten).
  Status configure(const RxConfig& config);
  // What is known of every chunk's wire length: 0 unknown, kNotSent never
  // sent, else exact. Chunks in progress with another length start over.
  Status expect(uint32_t stream, const uint32_t* lengths, size_t count);
  // The same for chunks [first, first + count) only (a stream session learns
  // its chunks a manifest segment at a time).
  Status expectRange(uint32_t stream, uint32_t first, const uint32_t* lengths, size_t count);
  // Entries (core/wire.h) for incomplete chunks below `below`.
  std::vector<uint32_t> missing(uint32_t stream, int64_t below, uint32_t maxEntries) const;
  // Forgets that a chunk completed, so it is received and reported again.
  void reopen(uint32_t stream, uint32_t chunk);
  // Marks a chunk complete without receiving it (the target already holds
  // it: a resumed receiver); a half-assembled copy is dropped, its slot freed.
  void hold(uint32_t stream, uint32_t chunk);
  // Lends a buffer of at least the largest chunk's size.
  Status provide(uint8_t* data, size_t length, uint32_t id);

  // The sender's DATA key once the session's key is known (cipher 0: none):
  // from then on only sealed DATA with a valid tag is read.
  Status setSealKey(uint8_t cipher, const uint8_t* key, size_t keyLength) { return opener_.setKey(cipher, key, keyLength); }

  // A DATA datagram whose magic, version and type the caller checked; a
  // sealed one is opened in place. A chunk it completes is appended to *done.
  void handleData(uint8_t* p, size_t len, std::vector<CompletedChunk>* done);

  bool configured() const { return configured_; }
  uint32_t session() const { return session_; }
  size_t assembling() const { return assembling_.size(); }
  size_t freeSlots() const { return freeSlots_.size(); }
  int64_t highestSeen(int stream) const { return highestSeen_[size_t(stream)]; }

 private:
  struct Stream {
    StreamConfig config;
    std::vector<uint32_t> expect;     // per chunk, as expect() gave it
    std::vector<uint64_t> completed;  // one bit per chunk
  };
  static uint64_t key(uint8_t stream, uint32_t chunk) { return (uint64_t(stream) << 32) | chunk; }
  bool isCompleted(uint8_t stream, uint32_t chunk) const {
    return (streams_[stream].completed[chunk >> 6] >> (chunk & 63)) & 1;
  }
  void release(std::unordered_map<uint64_t, Assembly>::iterator it);
  bool manifestComplete() const;

  bool unseal(uint8_t* p, size_t* len);

  RxCounters& counters_;
  DataOpener opener_;
  bool configured_ = false;
  uint32_t session_ = 0;
  uint32_t symbolSize_ = 0;
  uint32_t slotSize_ = 0;  // bytes a slot must hold: the largest chunk
  uint32_t manifestReserve_ = 0;
  std::unique_ptr<FecScheme> fec_;  // null: no FEC
  std::array<Stream, kStreamCount> streams_{};
  std::array<int64_t, kStreamCount> highestSeen_{};
  std::unordered_map<uint64_t, Assembly> assembling_;
  std::vector<Slot> freeSlots_;
  SeqGaps seqGaps_;
};

}  // namespace blockcast
