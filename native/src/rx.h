// Native multicast receiver: a dedicated thread reads datagrams with
// recvmmsg (and UDP GRO where the kernel offers it), validates every header
// field, places symbols straight into per-chunk assembly buffers and hands
// completed chunks and control packets to JS in batches.
#pragma once

#include <napi.h>
#include <netinet/in.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "protocol.h"

namespace blockcast {

// A stream's chunks: how many, the most bytes one may hold on the wire, and
// what JS knows of each chunk's wire length (expect()): 0 = not yet known
// (the first accepted symbol fixes it), kNotSent = never sent (a zero chunk),
// anything else = exactly that many bytes.
struct StreamGeometry {
  uint32_t chunkCount = 0;
  uint32_t maxLength = 0;
  std::vector<uint32_t> expect;
};
constexpr uint32_t kNotSent = 0xFFFFFFFFu;

// A chunk-sized buffer lent by JS (provide()). Native code writes into it
// only while it is free or assembling; once its chunk completes the slot id
// goes back to JS, which owns the memory, and native code forgets the pointer.
struct Slot {
  uint8_t* data = nullptr;
  uint32_t id = 0;
};

// A repair symbol held until its stripe can be decoded.
struct ParitySymbol {
  int index;  // parity index: generator row = stripe size + index
  std::vector<uint8_t> data;
};

struct Assembly {
  Slot slot;
  std::vector<uint64_t> have;  // one bit per source symbol
  uint32_t symbols = 0;        // source symbols in this chunk
  uint32_t received = 0;       // source symbols present (received or decoded)
  uint32_t length = 0;         // bytes of this chunk on the wire
  uint8_t coding = 0;          // kCodingRaw or kCodingLz4, as its first symbol said
  uint32_t conflicts = 0;      // symbols that named another length or coding
  std::vector<uint16_t> stripeHave;               // sources present per stripe
  std::vector<std::vector<ParitySymbol>> parity;  // repair symbols held per stripe
};

struct CompletedChunk {
  uint8_t stream;
  uint32_t chunk;
  uint32_t slot;
  uint32_t length;
  uint8_t coding;
};

struct ControlPacket {
  std::vector<uint8_t> data;
  sockaddr_in from;
};

struct RxBatch {
  std::vector<CompletedChunk> chunks;
  std::vector<ControlPacket> controls;
};

class Receiver;
// Runs on the JS thread for every batch the receive thread queues.
void callReceiverBatch(Napi::Env env, Napi::Function cb, Receiver* self, RxBatch* batch);

class Receiver : public Napi::ObjectWrap<Receiver> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Receiver(const Napi::CallbackInfo& info);
  ~Receiver() override;

 private:
  using BatchTsfn = Napi::TypedThreadSafeFunction<Receiver, RxBatch, callReceiverBatch>;

  Napi::Value Configure(const Napi::CallbackInfo& info);
  Napi::Value Expect(const Napi::CallbackInfo& info);
  Napi::Value Missing(const Napi::CallbackInfo& info);
  Napi::Value Reopen(const Napi::CallbackInfo& info);
  Napi::Value Provide(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Sample(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void run();
  void handleDatagram(const uint8_t* p, size_t len, const sockaddr_in& from);
  void handleData(const uint8_t* p, size_t len);
  void placeSource(Assembly& a, uint32_t symbol, const uint8_t* payload, uint32_t len);
  bool tryDecode(Assembly& a, uint32_t stripe);
  uint32_t stripeSources(uint32_t symbols, uint32_t stripe) const;
  void completeIfDone(uint8_t stream, uint32_t chunk, std::unordered_map<uint64_t, Assembly>::iterator it);
  void flush(bool force);
  void stop();
  static uint64_t key(uint8_t stream, uint32_t chunk) { return (uint64_t(stream) << 32) | chunk; }

  int fd_ = -1;
  bool gro_ = false;
  uint64_t flushNs_ = 0;
  uint32_t dropBurstStart_ = 0;  // fault injection: DATA datagrams to let through first
  uint32_t dropBurstCount_ = 0;  // then this many to drop (0: off)
  uint64_t dataSeen_ = 0;

  // Guarded by mu_: everything the recv thread and JS both touch.
  std::mutex mu_;
  bool configured_ = false;
  uint32_t session_ = 0;
  uint32_t symbolSize_ = 0;
  uint32_t stripeSize_ = 0;  // sources per FEC stripe; 0 = no FEC in this session
  uint32_t slotSize_ = 0;  // bytes a slot must hold: the largest chunk
  std::array<StreamGeometry, kStreamCount> streams_{};
  std::array<std::vector<uint64_t>, kStreamCount> completed_{};  // one bit per chunk
  std::array<int64_t, kStreamCount> highestSeen_{};
  std::unordered_map<uint64_t, Assembly> assembling_;
  std::vector<Slot> freeSlots_;
  RxBatch pending_;
  uint64_t lastFlushNs_ = 0;
  std::vector<uint8_t> lastAnnounce_;  // the last ANNOUNCE handed to JS, its source and when
  sockaddr_in lastAnnounceFrom_{};
  uint64_t lastAnnounceNs_ = 0;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
  BatchTsfn tsfn_;
  bool closed_ = false;

  std::atomic<uint64_t> datagrams_{0}, dataPackets_{0}, payloadBytes_{0}, duplicates_{0}, malformed_{0},
      foreign_{0}, early_{0}, noBuffer_{0}, chunksCompleted_{0}, controls_{0}, groBatches_{0},
      controlOverflow_{0}, socketDrops_{0}, repairSymbols_{0}, decodedSymbols_{0}, decodeFailures_{0},
      injectedDrops_{0}, repeatedAnnounces_{0};
};

}  // namespace blockcast
