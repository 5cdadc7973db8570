// Native multicast sender: a dedicated thread that cuts queued chunks into
// DATA datagrams and sends them, paced, in GSO super-packets or sendmmsg
// batches. JS hands over whole chunks (plus an optional symbol list for
// repairs) and is told when each job is done so it can drop its buffer.
#pragma once

#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace blockcast {

struct SendJob {
  uint32_t id = 0;
  uint8_t stream = 0;
  uint8_t coding = 0;  // how data is coded (kCodingRaw, kCodingLz4)
  uint32_t chunk = 0;
  const uint8_t* data = nullptr;  // pinned by JS until the job is reported done
  size_t length = 0;
  bool allSymbols = true;
  bool urgent = false;
  std::vector<uint32_t> symbols;  // source symbol ids, used when !allSymbols
  std::vector<uint32_t> parity;   // repair symbol ids to encode and send
};

// One datagram to send: its symbol id and payload.
struct Outgoing {
  uint32_t id;
  const uint8_t* data;
  size_t length;
};

struct JobDone {
  uint32_t id;
  int err;  // errno of a fatal send error, 0 on success
};

// Runs on the JS thread with the jobs the send thread finished.
void callJobsDone(Napi::Env env, Napi::Function cb, void* context, std::vector<JobDone>* done);

class Sender : public Napi::ObjectWrap<Sender> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit Sender(const Napi::CallbackInfo& info);
  ~Sender() override;

 private:
  using DoneTsfn = Napi::TypedThreadSafeFunction<void, std::vector<JobDone>, callJobsDone>;

  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendControl(const Napi::CallbackInfo& info);
  Napi::Value SetRate(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void run();
  int sendJob(const SendJob& job);
  int sendItems(const SendJob& job, const std::vector<Outgoing>& items);
  int sendBatch(const SendJob& job, const Outgoing* items, size_t n);
  int sendParity(const SendJob& job);
  void pace(uint64_t wireBytes);
  void serviceUrgent();
  bool reportDone(uint32_t id, int err);
  void stop();

  int fd_ = -1;
  uint32_t session_ = 0;
  uint32_t symbolSize_ = 0;
  uint32_t stripeSize_ = 0;
  uint32_t maxSegments_ = 0;
  bool gso_ = true;
  std::atomic<uint64_t> rate_{0};  // wire bytes per second, 0 = unpaced
  uint64_t nextSendNs_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SendJob> urgent_;  // repairs jump ahead of first-pass data
  std::deque<SendJob> normal_;
  std::atomic<bool> urgentWaiting_{false};  // lets the send loop check without the lock
  bool stopping_ = false;
  std::thread thread_;
  DoneTsfn tsfn_;
  bool closed_ = false;

  std::atomic<uint64_t> packets_{0}, bytes_{0}, batches_{0}, gsoBatches_{0}, sleeps_{0}, softErrors_{0};
  // Time the send thread waited with both queues empty: a first pass that
  // starves here is limited by whoever feeds the queue, not by pacing.
  std::atomic<uint64_t> idleNs_{0};
  // Pacing time given up because the thread woke or was fed later than the
  // banked credit covers.
  std::atomic<uint64_t> forfeitNs_{0};
  std::atomic<int> gsoDisabledErrno_{0};
};

}  // namespace blockcast
