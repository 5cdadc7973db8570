// The sender's engine: a dedicated thread that cuts queued chunks into DATA
// datagrams and sends them, paced, in GSO super-packets or sendmmsg batches.
// Callers hand over whole chunks (plus optional symbol lists for repairs)
// and are told through a callback when each job is done, so they can drop
// its buffer. No JS here: napi/tx_binding.cc wraps it.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/fec_scheme.h"
#include "core/pacer.h"
#include "core/seal.h"
#include "core/socket.h"
#include "core/status.h"
#include "core/udp_batch.h"

namespace blockcast {

// A sealed session's DATA (docs/SECURITY.md): every packet ends in the
// 24-byte trailer under the sender's DATA key (origin 0, one seq counter per
// engine, so one engine per key); the payload is also encrypted when
// `encrypt`.
struct TxSeal {
  uint8_t cipher = 0;  // kCipherNone, kCipherAes256Gcm, kCipherChaCha20Poly1305
  std::array<uint8_t, 32> key{};
  bool encrypt = true;
};

struct TxOptions {
  McastOptions socket;
  uint32_t session = 0;
  uint32_t symbolSize = 0;
  uint32_t stripeSize = 0;  // sources per FEC stripe; 0 = no FEC
  bool gso = true;
  uint64_t rateBytesPerSecond = 0;  // 0 = unpaced
  TxSeal seal;
};

struct SendJob {
  uint32_t id = 0;
  uint8_t stream = 0;
  uint8_t coding = 0;  // how data is coded (a WireCoding)
  uint32_t chunk = 0;
  const uint8_t* data = nullptr;  // pinned by the caller until the job is reported done
  size_t length = 0;
  bool allSymbols = true;
  bool urgent = false;
  std::vector<uint32_t> symbols;  // source symbol ids, used when !allSymbols
  std::vector<uint32_t> parity;   // repair symbol ids to encode and send
};

struct JobDone {
  uint32_t id;
  int err;  // errno of a fatal send error, 0 on success
};

struct TxStats {
  uint64_t packets, bytes, batches, gsoBatches, sleeps, softErrors;
  // The local queue (qdisc) refused a send (ENOBUFS, seen through
  // IP_RECVERR): times the engine waited and sent again, and datagrams it
  // gave up on (udp_batch.h).
  uint64_t queueFullWaits, localDrops;
  double idleSeconds, forfeitSeconds;
  int gsoDisabledErrno;
  int socketBuffer;
  size_t queuedJobs;
};

// Called on the send thread once per finished job; returns false when
// nobody listens any more, which stops the thread.
using JobDoneSink = std::function<bool(const JobDone&)>;

class TxEngine {
 public:
  // Checks the options, then opens the socket; on failure *status or *err
  // says why and null is returned.
  static std::unique_ptr<TxEngine> open(const TxOptions& o, Status* status, SocketError* err);
  ~TxEngine();

  void start(JobDoneSink sink);
  // Joins the send thread and closes the socket; jobs still queued are dropped.
  void stop();

  // Whether a job is within its chunk: data length, symbol and repair ids.
  Status check(const SendJob& job) const;
  void submit(SendJob job);
  // One datagram right away, outside the paced queue; returns errno or 0.
  int sendControl(const uint8_t* data, size_t length);
  void setRate(uint64_t bytesPerSecond) { pacer_.setRate(bytesPerSecond); }
  TxStats stats();

 private:
  TxEngine(const TxOptions& o, std::unique_ptr<FecScheme> fec, std::unique_ptr<Sealer> sealer, int fd);
  struct Outgoing;  // one datagram: its symbol id and payload

  void run();
  bool nextJob(bool urgentOnly, SendJob* job);
  void serviceUrgent();
  int sendJob(const SendJob& job);
  int sendParity(const SendJob& job);
  int sendItems(const SendJob& job, const std::vector<Outgoing>& items);
  int sendBatch(const SendJob& job, const Outgoing* items, size_t n);
  size_t sealDatagram(uint8_t* packet, const Outgoing& item);

  const TxOptions opts_;
  const std::unique_ptr<FecScheme> fec_;
  // Sealed sessions only: each datagram is built whole in scratch_ (the
  // chunk buffers are shared and stay untouched), numbered by seq_.
  const std::unique_ptr<Sealer> sealer_;
  const uint32_t trailerSize_;
  uint64_t seq_ = 0;
  uint16_t dataSeq_ = 0;  // every DATA datagram's count, mod 2^16: receivers measure loss by it
  // After a full local queue (ENOBUFS): batches of at most kQueueFullBatch
  // datagrams until this time (sendItems).
  static constexpr size_t kQueueFullBatch = 8;
  static constexpr uint64_t kQueueFullHoldNs = 500000000;
  uint64_t smallBatchesUntilNs_ = 0;
  std::vector<uint8_t> scratch_;
  int fd_;
  uint32_t maxSegments_ = 0;
  Pacer pacer_;
  UdpBatchSender out_;
  JobDoneSink sink_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SendJob> urgent_;  // repairs jump ahead of first-pass data
  std::deque<SendJob> normal_;
  std::atomic<bool> urgentWaiting_{false};  // lets the send loop check without the lock
  std::atomic<bool> stopping_{false};
  std::thread thread_;

  // Time the send thread waited with both queues empty: a first pass that
  // starves here is limited by whoever feeds the queue, not by pacing.
  std::atomic<uint64_t> idleNs_{0};
};

}  // namespace blockcast
