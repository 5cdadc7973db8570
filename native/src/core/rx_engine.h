// The receiver's engine: a dedicated thread reads datagrams with recvmmsg
// (and UDP GRO where the kernel offers it), validates every header field,
// places symbols straight into per-chunk assembly buffers (Reassembler) and
// hands completed chunks and control packets to a sink in batches. No JS
// here: napi/rx_binding.cc wraps it.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/reassembler.h"
#include "core/rx_stats.h"
#include "core/socket.h"
#include "core/status.h"

namespace blockcast {

struct RxOptions {
  McastOptions socket;
  uint64_t flushNs = 0;  // longest a completed chunk or control packet waits for its batch
  bool gro = true;
  uint32_t dropBurstStart = 0;  // fault injection: DATA datagrams to let through first
  uint32_t dropBurstCount = 0;  // then this many to drop (0: off)
};

struct ControlPacket {
  std::vector<uint8_t> data;
  sockaddr_in from;
};

struct RxBatch {
  std::vector<CompletedChunk> chunks;
  std::vector<ControlPacket> controls;
};

// Called on the receive thread with each batch; it owns the batch.
using RxBatchSink = std::function<void(std::unique_ptr<RxBatch>)>;

class RxEngine {
 public:
  // Opens the socket; null with *err filled in on failure.
  static std::unique_ptr<RxEngine> open(const RxOptions& o, SocketError* err);
  ~RxEngine();

  void start(RxBatchSink sink);
  // Joins the receive thread and closes the socket; idempotent.
  void stop();

  // Reassembler's calls, under the engine's lock.
  Status configure(const RxConfig& config);
  Status expect(uint32_t stream, const uint32_t* lengths, size_t count);
  Status expectRange(uint32_t stream, uint32_t first, const uint32_t* lengths, size_t count);
  std::vector<uint32_t> missing(uint32_t stream, int64_t below, uint32_t maxEntries);
  void reopen(uint32_t stream, uint32_t chunk);
  void hold(uint32_t stream, uint32_t chunk);
  Status provide(uint8_t* data, size_t length, uint32_t id);
  // The sender's DATA key, once JS has derived it (cipher 0: none).
  Status setSealKey(uint8_t cipher, const uint8_t* key, size_t keyLength);

  RxStats stats();
  // [highest image chunk seen, highest manifest chunk seen, datagrams
  // dropped (socket buffer full + no free chunk buffer), free chunk buffers]
  void sample(double out[4]);

 private:
  RxEngine(const RxOptions& o, int fd, bool gro);
  void run();
  void handleDatagram(uint8_t* p, size_t len, const sockaddr_in& from);
  bool repeatedAnnounce(const uint8_t* p, size_t len, const sockaddr_in& from);
  void flush(bool force);

  const RxOptions opts_;
  int fd_;
  const bool gro_;
  uint64_t dataSeen_ = 0;  // DATA datagrams so far, for fault injection
  RxBatchSink sink_;
  RxCounters counters_;

  // Guarded by mu_: everything the receive thread and callers both touch.
  std::mutex mu_;
  Reassembler chunks_;
  RxBatch pending_;
  uint64_t lastFlushNs_ = 0;
  std::vector<uint8_t> lastAnnounce_;  // the last ANNOUNCE handed on, its source and when
  sockaddr_in lastAnnounceFrom_{};
  uint64_t lastAnnounceNs_ = 0;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace blockcast
