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

struct StreamGeometry {
  uint64_t size = 0;
  uint32_t chunkSize = 0;
  uint32_t chunkCount = 0;
};

struct Assembly {
  std::vector<uint8_t> data;
  std::vector<uint64_t> have;  // one bit per symbol
  uint32_t symbols = 0;        // symbols in this chunk
  uint32_t received = 0;
  uint32_t length = 0;         // bytes in this chunk
};

struct CompletedChunk {
  uint8_t stream;
  uint32_t chunk;
  std::vector<uint8_t> data;
  uint32_t length;
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
  friend void callReceiverBatch(Napi::Env env, Napi::Function cb, Receiver* self, RxBatch* batch);
  using BatchTsfn = Napi::TypedThreadSafeFunction<Receiver, RxBatch, callReceiverBatch>;

  Napi::Value Configure(const Napi::CallbackInfo& info);
  Napi::Value Missing(const Napi::CallbackInfo& info);
  Napi::Value Reopen(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void run();
  void handleDatagram(const uint8_t* p, size_t len, const sockaddr_in& from);
  void handleData(const uint8_t* p, size_t len);
  void flush(bool force);
  std::vector<uint8_t> takeBuffer();
  void giveBuffer(std::vector<uint8_t>&& buf);
  void stop();
  static uint64_t key(uint8_t stream, uint32_t chunk) { return (uint64_t(stream) << 32) | chunk; }

  int fd_ = -1;
  bool gro_ = false;
  uint64_t maxBufferedBytes_ = 0;
  uint64_t flushNs_ = 0;

  // Guarded by mu_: everything the recv thread and JS both touch.
  std::mutex mu_;
  bool configured_ = false;
  uint32_t session_ = 0;
  uint32_t symbolSize_ = 0;
  uint32_t bufferSize_ = 0;  // size of one assembly buffer: the largest chunk
  std::array<StreamGeometry, kStreamCount> streams_{};
  std::array<std::vector<uint64_t>, kStreamCount> completed_{};  // one bit per chunk
  std::array<int64_t, kStreamCount> highestSeen_{};
  std::unordered_map<uint64_t, Assembly> assembling_;
  std::vector<std::vector<uint8_t>> pool_;
  uint64_t bufferedBytes_ = 0;  // assembly buffers allocated, pooled or in flight to JS
  RxBatch pending_;
  uint64_t lastFlushNs_ = 0;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
  BatchTsfn tsfn_;
  bool closed_ = false;

  std::atomic<uint64_t> datagrams_{0}, dataPackets_{0}, payloadBytes_{0}, duplicates_{0}, malformed_{0},
      foreign_{0}, early_{0}, noBuffer_{0}, chunksCompleted_{0}, controls_{0}, groBatches_{0},
      controlOverflow_{0};
};

}  // namespace blockcast
