#include "tx.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

#include "core/clock.h"
#include "napi/options.h"
#include "protocol.h"
#include "core/fec.h"
#include "core/socket.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace blockcast {

namespace {

constexpr size_t kMaxBatch = 64;          // datagrams per sendmmsg / GSO send
constexpr size_t kMaxGsoBytes = 65000;    // stay under the 64 KiB IP datagram limit
// Pacing credit that may be banked when the thread runs late: up to 256 KiB
// at the current rate (a catch-up burst any switch port buffers), between
// 1 ms and 50 ms. On a busy machine the send thread wakes milliseconds late;
// with only 1 ms banked, a 50 Mbit/s sender sharing 2 cores with 16
// receivers lost 16% of its schedule.
constexpr uint64_t kCreditBytes = 256 * 1024;
constexpr uint64_t kMinCreditNs = 1000000;
constexpr uint64_t kMaxCreditNs = 50000000;
constexpr uint64_t kBurstTargetNs = 2000000;  // longest burst at the current rate: 2 ms

uint32_t symbolCount(size_t length, uint32_t symbolSize) {
  return static_cast<uint32_t>((length + symbolSize - 1) / symbolSize);
}

}  // namespace

Napi::Function Sender::Init(Napi::Env env) {
  return DefineClass(env, "Sender",
                     {InstanceMethod("send", &Sender::Send), InstanceMethod("sendControl", &Sender::SendControl),
                      InstanceMethod("setRate", &Sender::SetRate), InstanceMethod("stats", &Sender::Stats),
                      InstanceMethod("close", &Sender::Close)});
}

// new Sender(options, onJobsDone)
Sender::Sender(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Sender>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "Sender(options, onJobsDone)");
  Napi::Object o = info[0].As<Napi::Object>();
  McastOptions mo = readMcastOptions(o);
  mo.ttl = static_cast<int>(attrUint32(o, "ttl"));
  mo.loopback = attrBool(o, "loopback");
  session_ = attrUint32(o, "session");
  symbolSize_ = attrUint32(o, "symbolSize");
  stripeSize_ = attrUint32(o, "stripeSize");
  if (stripeSize_ >= uint32_t(fec::kMaxRows)) throw Napi::RangeError::New(env, "stripeSize out of range");
  gso_ = attrBool(o, "gso");
  rate_ = static_cast<uint64_t>(attrNumber(o, "rateBytesPerSecond"));
  if (symbolSize_ < kMinSymbolSize || symbolSize_ > kMaxSymbolSize)
    throw Napi::RangeError::New(env, "symbolSize out of range");
  size_t perSegment = kDataHeaderSize + symbolSize_;
  maxSegments_ = static_cast<uint32_t>(std::min<size_t>(kMaxBatch, std::max<size_t>(1, kMaxGsoBytes / perSegment)));

  SocketError err;
  fd_ = openSenderSocket(mo, &err);
  if (fd_ < 0) throw socketError(env, err);
  tsfn_ = DoneTsfn::New(env, info[1].As<Napi::Function>(), "blockcast-sender", 0, 1);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "blockcast-tx");  // so top -H and /proc name it
    run();
  });
}

Sender::~Sender() { stop(); }

void Sender::stop() {
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  tsfn_.Abort();  // completions still queued are freed without a call into JS
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

// send({ id, stream, coding, chunk, data: Buffer, symbols?: Uint32Array, parity?: Uint32Array, urgent: bool })
Napi::Value Sender::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "sender is closed");
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "send(job)");
  Napi::Object o = info[0].As<Napi::Object>();
  SendJob job;
  job.id = attrUint32(o, "id");
  job.stream = static_cast<uint8_t>(attrUint32(o, "stream"));
  job.chunk = attrUint32(o, "chunk");
  uint32_t coding = attrUint32(o, "coding");
  if (coding >= kCodingCount) throw Napi::RangeError::New(env, "job.coding is unknown");
  job.coding = static_cast<uint8_t>(coding);
  Napi::Value data = o.Get("data");
  if (!data.IsBuffer()) throw Napi::TypeError::New(env, "job.data must be a Buffer");
  auto buf = data.As<Napi::Buffer<uint8_t>>();
  job.data = buf.Data();
  job.length = buf.Length();
  if (job.length == 0 || job.length > kMaxChunkSize) throw Napi::RangeError::New(env, "job.data is empty or larger than a chunk may be");
  uint32_t count = symbolCount(job.length, symbolSize_);
  Napi::Value syms = o.Get("symbols");
  if (syms.IsTypedArray()) {
    auto arr = syms.As<Napi::Uint32Array>();
    job.allSymbols = false;
    job.symbols.reserve(arr.ElementLength());
    for (size_t i = 0; i < arr.ElementLength(); i++) {
      if (arr[i] >= count) throw Napi::RangeError::New(env, "job.symbols has an id beyond the chunk");
      job.symbols.push_back(arr[i]);
    }
  }
  Napi::Value par = o.Get("parity");
  if (par.IsTypedArray()) {
    auto arr = par.As<Napi::Uint32Array>();
    uint32_t stripes = stripeSize_ ? (count + stripeSize_ - 1) / stripeSize_ : 0;
    for (size_t i = 0; i < arr.ElementLength(); i++) {
      uint32_t id = arr[i];
      uint32_t stripe = (id & ~kRepairBit) >> 16;
      uint32_t sources = stripe < stripes ? std::min(stripeSize_, count - stripe * stripeSize_) : 0;
      if (!(id & kRepairBit) || stripe >= stripes || (id & 0xFFFF) >= uint32_t(fec::kMaxRows) - sources)
        throw Napi::RangeError::New(env, "job.parity has an invalid repair symbol id");
      job.parity.push_back(id);
    }
    if (!syms.IsTypedArray()) job.allSymbols = false;  // parity only, unless sources were named too
  }
  job.urgent = attrBool(o, "urgent");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (job.urgent) urgentWaiting_ = true;
    (job.urgent ? urgent_ : normal_).push_back(std::move(job));
  }
  cv_.notify_one();
  return env.Undefined();
}

// sendControl(buffer): one datagram right away, outside the paced queue.
Napi::Value Sender::SendControl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) throw Napi::Error::New(env, "sender is closed");
  if (info.Length() < 1 || !info[0].IsBuffer()) throw Napi::TypeError::New(env, "sendControl(buffer)");
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  ssize_t r = ::send(fd_, buf.Data(), buf.Length(), 0);
  return Napi::Number::New(env, r < 0 ? errno : 0);
}

Napi::Value Sender::SetRate(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "setRate(bytesPerSecond)");
  double r = info[0].As<Napi::Number>().DoubleValue();
  rate_ = r > 0 ? static_cast<uint64_t>(r) : 0;
  return info.Env().Undefined();
}

Napi::Value Sender::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object s = Napi::Object::New(env);
  s.Set("packets", Napi::Number::New(env, double(packets_)));
  s.Set("bytes", Napi::Number::New(env, double(bytes_)));
  s.Set("batches", Napi::Number::New(env, double(batches_)));
  s.Set("gsoBatches", Napi::Number::New(env, double(gsoBatches_)));
  s.Set("sleeps", Napi::Number::New(env, double(sleeps_)));
  s.Set("softErrors", Napi::Number::New(env, double(softErrors_)));
  s.Set("idleSeconds", Napi::Number::New(env, double(idleNs_) / 1e9));
  s.Set("forfeitSeconds", Napi::Number::New(env, double(forfeitNs_) / 1e9));
  s.Set("gsoDisabledErrno", Napi::Number::New(env, gsoDisabledErrno_));
  s.Set("socketBuffer", Napi::Number::New(env, fd_ >= 0 ? socketBufferSize(fd_, false) : 0));
  std::lock_guard<std::mutex> lock(mu_);
  s.Set("queuedJobs", Napi::Number::New(env, double(urgent_.size() + normal_.size())));
  return s;
}

Napi::Value Sender::Close(const Napi::CallbackInfo& info) {
  stop();
  return info.Env().Undefined();
}

void callJobsDone(Napi::Env env, Napi::Function cb, void*, std::vector<JobDone>* done) {
  std::unique_ptr<std::vector<JobDone>> owned(done);
  if (env == nullptr || cb == nullptr) return;  // queue drained at shutdown
  Napi::Array arr = Napi::Array::New(env, owned->size());
  for (size_t i = 0; i < owned->size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", Napi::Number::New(env, (*owned)[i].id));
    o.Set("errno", Napi::Number::New(env, (*owned)[i].err));
    arr.Set(uint32_t(i), o);
  }
  cb.Call({arr});
}

void Sender::run() {
  // Sleep precisely: the default 50 us timer slack would blur sub-ms pacing.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  for (;;) {
    SendJob job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (urgent_.empty() && normal_.empty() && !stopping_) {
        uint64_t waitStart = monotonicNs();
        cv_.wait(lock, [this] { return stopping_ || !urgent_.empty() || !normal_.empty(); });
        idleNs_ += monotonicNs() - waitStart;
      }
      if (stopping_) return;
      auto& q = urgent_.empty() ? normal_ : urgent_;
      job = std::move(q.front());
      q.pop_front();
      urgentWaiting_ = !urgent_.empty();
    }
    if (!reportDone(job.id, sendJob(job))) return;
  }
}

bool Sender::reportDone(uint32_t id, int err) {
  auto* done = new std::vector<JobDone>{JobDone{id, err}};
  if (tsfn_.BlockingCall(done) == napi_ok) return true;
  delete done;
  return false;
}

// Sends queued repairs now, in the middle of a first-pass chunk: at a low
// rate one chunk takes a long time, and a repair that waited for it would
// outlast the receivers' NACK holdoff and be asked for twice.
void Sender::serviceUrgent() {
  for (;;) {
    SendJob job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (urgent_.empty() || stopping_) {
        urgentWaiting_ = false;
        return;
      }
      job = std::move(urgent_.front());
      urgent_.pop_front();
    }
    if (!reportDone(job.id, sendJob(job))) return;
  }
}

int Sender::sendJob(const SendJob& job) {
  uint32_t count = symbolCount(job.length, symbolSize_);
  std::vector<Outgoing> items;
  size_t total = job.allSymbols ? count : job.symbols.size();
  items.reserve(total);
  for (size_t i = 0; i < total; i++) {
    uint32_t id = job.allSymbols ? static_cast<uint32_t>(i) : job.symbols[i];
    size_t off = size_t(id) * symbolSize_;
    items.push_back(Outgoing{id, job.data + off, std::min<size_t>(symbolSize_, job.length - off)});
  }
  int err = sendItems(job, items);
  if (err || job.parity.empty()) return err;
  return sendParity(job);
}

// Encodes the job's repair symbols, stripe by stripe, and sends them in the
// order given (the sender interleaves stripes so that a burst of loss costs
// each stripe little). The chunk's short last source is zero-padded to a full
// symbol, as receivers pad it to decode.
int Sender::sendParity(const SendJob& job) {
  uint32_t count = symbolCount(job.length, symbolSize_);
  std::vector<uint8_t> padded(symbolSize_, 0);
  size_t lastLen = job.length - size_t(count - 1) * symbolSize_;
  std::memcpy(padded.data(), job.data + size_t(count - 1) * symbolSize_, lastLen);
  // Positions in job.parity of each stripe's symbols.
  std::vector<std::vector<size_t>> byStripe((count + stripeSize_ - 1) / stripeSize_);
  for (size_t i = 0; i < job.parity.size(); i++) byStripe[(job.parity[i] & ~kRepairBit) >> 16].push_back(i);
  std::vector<uint8_t> out(job.parity.size() * symbolSize_);
  for (uint32_t stripe = 0; stripe < byStripe.size(); stripe++) {
    const auto& positions = byStripe[stripe];
    if (positions.empty()) continue;
    uint32_t first = stripe * stripeSize_;
    uint32_t sources = std::min(stripeSize_, count - first);
    std::vector<const uint8_t*> src(sources);
    for (uint32_t s = 0; s < sources; s++)
      src[s] = first + s == count - 1 ? padded.data() : job.data + size_t(first + s) * symbolSize_;
    std::vector<int> indices;
    std::vector<uint8_t*> outPtrs;
    for (size_t pos : positions) {
      indices.push_back(int(job.parity[pos] & 0xFFFF));
      outPtrs.push_back(out.data() + pos * symbolSize_);
    }
    fec::encode(fec::bestBackend(), int(sources), int(symbolSize_), src.data(), int(indices.size()), indices.data(),
                outPtrs.data());
  }
  std::vector<Outgoing> items;
  items.reserve(job.parity.size());
  for (size_t i = 0; i < job.parity.size(); i++) items.push_back(Outgoing{job.parity[i], out.data() + i * symbolSize_, symbolSize_});
  return sendItems(job, items);
}

// Sends datagrams in batches of up to maxSegments_. A short payload (a
// chunk's last source) must end a GSO batch: only the final segment of a
// super-packet may be shorter than gso_size.
int Sender::sendItems(const SendJob& job, const std::vector<Outgoing>& items) {
  // At low rates a 64 KiB GSO burst lasts tens of milliseconds: keep each
  // burst to about kBurstTargetNs of the current rate, so the stream stays
  // smooth and a waiting repair goes out within a couple of milliseconds.
  size_t perBurst = maxSegments_;
  if (uint64_t rate = rate_) {
    uint64_t bytes = rate * kBurstTargetNs / 1000000000ull;
    perBurst = std::clamp<size_t>(bytes / (kDataHeaderSize + symbolSize_ + kIpUdpOverhead), 1, maxSegments_);
  }
  size_t start = 0;
  for (size_t i = 0; i < items.size(); i++) {
    bool shortItem = items[i].length < symbolSize_;
    if (i + 1 - start == perBurst || shortItem || i + 1 == items.size()) {
      if (int err = sendBatch(job, items.data() + start, i + 1 - start)) return err;
      start = i + 1;
      if (!job.urgent && urgentWaiting_) serviceUrgent();
    }
    if (stopping_) return ECANCELED;
  }
  return 0;
}

int Sender::sendBatch(const SendJob& job, const Outgoing* items, size_t n) {
  uint8_t headers[kMaxBatch][kDataHeaderSize];
  iovec iov[kMaxBatch * 2];
  uint64_t wire = 0;
  for (size_t i = 0; i < n; i++) {
    uint8_t* h = headers[i];
    store32(h + kOffMagic, kMagic);
    h[kOffVersion] = kVersion;
    h[kOffType] = kTypeData;
    store16(h + kOffFlags, 0);
    store32(h + kOffSession, session_);
    h[kOffStream] = job.stream;
    h[kOffCoding] = job.coding;
    store16(h + kOffDataReserved, 0);
    store32(h + kOffChunk, job.chunk);
    store32(h + kOffSymbol, items[i].id);
    store32(h + kOffLength, static_cast<uint32_t>(job.length));
    iov[2 * i] = {h, kDataHeaderSize};
    iov[2 * i + 1] = {const_cast<uint8_t*>(items[i].data), items[i].length};
    wire += kDataHeaderSize + items[i].length + kIpUdpOverhead;
  }
  pace(wire);

  if (gso_ && n > 1) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = n * 2;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint16_t))] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t segment = static_cast<uint16_t>(kDataHeaderSize + symbolSize_);
    std::memcpy(CMSG_DATA(cm), &segment, sizeof segment);
    for (;;) {
      ssize_t r = sendmsg(fd_, &msg, 0);
      if (r >= 0) {
        packets_ += n;
        bytes_ += wire - n * kIpUdpOverhead;
        batches_++;
        gsoBatches_++;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN) {  // queue full: the datagrams are lost, NACKs repair them
        softErrors_++;
        return 0;
      }
      if (errno == EINVAL || errno == EIO || errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
        gsoDisabledErrno_ = errno;  // kernel or device refuses GSO: fall back for good
        gso_ = false;
        break;
      }
      return errno;
    }
  }

  mmsghdr msgs[kMaxBatch] = {};
  for (size_t i = 0; i < n; i++) {
    msgs[i].msg_hdr.msg_iov = &iov[2 * i];
    msgs[i].msg_hdr.msg_iovlen = 2;
  }
  size_t sent = 0;
  while (sent < n) {
    int r = sendmmsg(fd_, msgs + sent, static_cast<unsigned>(n - sent), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS || errno == EAGAIN) {
        softErrors_++;
        sent++;  // skip the datagram the kernel refused
        continue;
      }
      return errno;
    }
    for (int i = 0; i < r; i++) bytes_ += msgs[sent + i].msg_len;
    packets_ += r;
    sent += r;
  }
  batches_++;
  return 0;
}

// Token bucket on an absolute timeline: each batch is due when the previous
// one's bytes have drained at the target rate. Sleeping to an absolute
// deadline keeps the long-run rate exact even when single wake-ups are late,
// and at most creditNs of unused time is banked as burst credit.
void Sender::pace(uint64_t wireBytes) {
  uint64_t rate = rate_;
  if (rate == 0) return;
  uint64_t now = monotonicNs();
  uint64_t creditNs = std::clamp<uint64_t>(kCreditBytes * 1000000000ull / rate, kMinCreditNs, kMaxCreditNs);
  if (nextSendNs_ + creditNs < now) {
    if (nextSendNs_ != 0) forfeitNs_ += now - creditNs - nextSendNs_;
    nextSendNs_ = now - creditNs;
  }
  if (nextSendNs_ > now) {
    timespec ts{static_cast<time_t>(nextSendNs_ / 1000000000ull), static_cast<long>(nextSendNs_ % 1000000000ull)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
    sleeps_++;
  }
  nextSendNs_ += wireBytes * 1000000000ull / rate;
}

}  // namespace blockcast
