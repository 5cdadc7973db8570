#include "rx.h"

#include <arpa/inet.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/clock.h"
#include "napi/options.h"
#include "core/fec.h"
#include "core/socket.h"

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace blockcast {

namespace {

constexpr size_t kRecvBatch = 32;             // messages per recvmmsg
constexpr size_t kRecvBufferSize = 65536;      // a whole GRO super-packet
constexpr size_t kMaxPendingControls = 4096;  // bound on control packets awaiting JS
constexpr size_t kFlushChunks = 8;            // hand chunks to JS at least this eagerly
constexpr int kPollMs = 5;
// An unchanged ANNOUNCE reaches JS at most this often (see handleDatagram).
constexpr uint64_t kAnnounceRepeatNs = 1000000000ull;
// With nothing waiting to be flushed there is no deadline to wake for: an idle
// receiver then wakes only to notice close(), so that hundreds of receivers
// on one host do not spend their CPU polling.
constexpr int kIdlePollMs = 50;
// After a short batch, wait before reading again so datagrams accumulate in
// the (large) socket buffer and one wake-up drains many of them. The wait
// adapts to the rate: it doubles while batches come back nearly empty and
// halves when they come back full, so a slow stream costs a few wake-ups a
// millisecond, not one per datagram, and a fast one is never held back.
// At most kCoalesceMaxNs of added latency, below the NACK timers. At a few
// MB/s that is tens of datagrams a wake-up, not a handful.
constexpr long kCoalesceMinNs = 100000;
constexpr long kCoalesceMaxNs = 50000000;

bool testBit(const std::vector<uint64_t>& bits, uint32_t i) { return (bits[i >> 6] >> (i & 63)) & 1; }
void setBit(std::vector<uint64_t>& bits, uint32_t i) { bits[i >> 6] |= uint64_t(1) << (i & 63); }
void clearBit(std::vector<uint64_t>& bits, uint32_t i) { bits[i >> 6] &= ~(uint64_t(1) << (i & 63)); }

}  // namespace

Napi::Function Receiver::Init(Napi::Env env) {
  return DefineClass(env, "Receiver",
                     {InstanceMethod("configure", &Receiver::Configure), InstanceMethod("expect", &Receiver::Expect),
                      InstanceMethod("missing", &Receiver::Missing),
                      InstanceMethod("reopen", &Receiver::Reopen), InstanceMethod("provide", &Receiver::Provide),
                      InstanceMethod("stats", &Receiver::Stats), InstanceMethod("sample", &Receiver::Sample),
                      InstanceMethod("close", &Receiver::Close)});
}

// new Receiver(options, onBatch)
Receiver::Receiver(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Receiver>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "Receiver(options, onBatch)");
  Napi::Object o = info[0].As<Napi::Object>();
  McastOptions mo = readMcastOptions(o);
  flushNs_ = uint64_t(attrUint32(o, "flushMs")) * 1000000ull;
  dropBurstStart_ = attrUint32(o, "dropBurstStart");
  dropBurstCount_ = attrUint32(o, "dropBurstCount");
  bool wantGro = attrBool(o, "gro");

  SocketError err;
  fd_ = openReceiverSocket(mo, &err);
  if (fd_ < 0) throw socketError(env, err);
  int one = 1;
  gro_ = wantGro && setsockopt(fd_, IPPROTO_UDP, UDP_GRO, &one, sizeof one) == 0;
  // The kernel then reports, with each datagram, how many it dropped on this
  // socket for want of buffer space: the receiver's own overload signal.
  setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  tsfn_ = BatchTsfn::New(env, info[1].As<Napi::Function>(), "blockcast-receiver", 0, 1, this);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "blockcast-rx");  // so top -H and /proc name it
    run();
  });
}

Receiver::~Receiver() { stop(); }

void Receiver::stop() {
  if (closed_) return;
  closed_ = true;
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  // Abort: batches still queued reach CallBatch with no Env and are freed
  // there without touching this object, which may be gone by then.
  tsfn_.Abort();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

// configure({ session, symbolSize, stripeSize, streams: [{ chunkCount, maxLength }, ...] })
// Fixes the session this receiver accepts and the geometry of each stream;
// resets all assembly state.
Napi::Value Receiver::Configure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "configure(options)");
  Napi::Object o = info[0].As<Napi::Object>();
  uint32_t session = attrUint32(o, "session");
  uint32_t symbolSize = attrUint32(o, "symbolSize");
  uint32_t stripeSize = attrUint32(o, "stripeSize");
  if (stripeSize >= uint32_t(fec::kMaxRows)) throw Napi::RangeError::New(env, "stripeSize out of range");
  if (symbolSize < kMinSymbolSize || symbolSize > kMaxSymbolSize)
    throw Napi::RangeError::New(env, "symbolSize out of range");
  Napi::Value sv = o.Get("streams");
  if (!sv.IsArray()) throw Napi::TypeError::New(env, "streams must be an array");
  Napi::Array arr = sv.As<Napi::Array>();
  if (arr.Length() != kStreamCount) throw Napi::RangeError::New(env, "streams must list every stream");
  std::array<StreamGeometry, kStreamCount> geo{};
  uint32_t slotSize = 0;
  for (uint32_t i = 0; i < kStreamCount; i++) {
    Napi::Value e = arr.Get(i);
    if (!e.IsObject()) throw Napi::TypeError::New(env, "stream entry must be an object");
    Napi::Object so = e.As<Napi::Object>();
    uint32_t maxLength = attrUint32(so, "maxLength");
    if (maxLength == 0 || maxLength > kMaxChunkSize || (maxLength + symbolSize - 1) / symbolSize > kMaxSymbolsPerChunk)
      throw Napi::RangeError::New(env, "maxLength out of range");
    geo[i].chunkCount = attrUint32(so, "chunkCount");
    geo[i].maxLength = maxLength;
    geo[i].expect.assign(geo[i].chunkCount, 0);
    slotSize = std::max(slotSize, maxLength);
  }
  std::lock_guard<std::mutex> lock(mu_);
  session_ = session;
  symbolSize_ = symbolSize;
  stripeSize_ = stripeSize;
  for (int i = 0; i < kStreamCount; i++) {
    completed_[i].assign((geo[i].chunkCount + 63) / 64, 0);
    highestSeen_[i] = -1;
  }
  streams_ = std::move(geo);
  // Slots lent for another geometry are forgotten; JS provides new ones.
  assembling_.clear();
  freeSlots_.clear();
  slotSize_ = slotSize;
  configured_ = true;
  return env.Undefined();
}

// expect(stream, lengths: Uint32Array) tells what JS knows of every chunk's
// wire length (0 unknown, 0xFFFFFFFF never sent, else exact). Chunks being
// assembled with another length are started over: a forged first symbol can
// no longer pin a wrong length.
Napi::Value Receiver::Expect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray()) throw Napi::TypeError::New(env, "expect(stream, lengths)");
  uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
  auto arr = info[1].As<Napi::Uint32Array>();
  std::lock_guard<std::mutex> lock(mu_);
  if (!configured_ || stream >= kStreamCount) throw Napi::Error::New(env, "expect() before configure() or for an unknown stream");
  StreamGeometry& g = streams_[stream];
  if (arr.ElementLength() != g.chunkCount) throw Napi::RangeError::New(env, "expect() needs one length per chunk");
  for (size_t c = 0; c < arr.ElementLength(); c++) {
    uint32_t v = arr[c];
    if (v != 0 && v != kNotSent && v > g.maxLength) throw Napi::RangeError::New(env, "expected length beyond the stream's maximum");
  }
  for (uint32_t c = 0; c < g.chunkCount; c++) {
    g.expect[c] = arr[c];
    if (arr[c] == 0) continue;
    auto it = assembling_.find(key(uint8_t(stream), c));
    if (it != assembling_.end() && it->second.length != arr[c]) {
      freeSlots_.push_back(it->second.slot);
      assembling_.erase(it);
    }
  }
  return env.Undefined();
}

// missing(stream, below, maxEntries) -> Uint32Array of entries
//   [chunk, kind, count, a0, b0, a1, b1, ...] ...
// for every chunk < below that is not complete:
//   kind 1: `count` runs (start, length) of missing source symbols. A chunk
//           nothing of which has arrived is one run covering all of it.
//   kind 2: `count` (stripe, need) pairs: with FEC, how many more symbols of
//           each stripe (any source or fresh parity) rebuild it.
//   kind 3: count 0: nothing of the chunk has arrived and its wire length is
//           not known here (compressed chunks), so the sender sizes the repair.
// Chunks expected never to be sent are skipped.
Napi::Value Receiver::Missing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "missing(stream, below, maxEntries)");
  uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
  int64_t below = info[1].As<Napi::Number>().Int64Value();
  uint32_t maxEntries = info[2].As<Napi::Number>().Uint32Value();
  std::vector<uint32_t> out;
  std::lock_guard<std::mutex> lock(mu_);
  if (!configured_ || stream >= kStreamCount) return Napi::Uint32Array::New(env, 0);
  const StreamGeometry& g = streams_[stream];
  uint32_t limit = static_cast<uint32_t>(std::max<int64_t>(0, std::min<int64_t>(below, g.chunkCount)));
  uint32_t entries = 0;
  for (uint32_t c = 0; c < limit && entries < maxEntries; c++) {
    if (testBit(completed_[stream], c) || g.expect[c] == kNotSent) continue;
    entries++;
    auto it = assembling_.find(key(uint8_t(stream), c));
    if (it == assembling_.end()) {
      if (uint32_t len = g.expect[c]) out.insert(out.end(), {c, 1, 1, 0, (len + symbolSize_ - 1) / symbolSize_});
      else out.insert(out.end(), {c, 3, 0});
      continue;
    }
    const Assembly& a = it->second;
    size_t header = out.size();
    uint32_t count = 0;
    if (stripeSize_) {
      out.insert(out.end(), {c, 2, 0});
      for (uint32_t s = 0; s < a.stripeHave.size(); s++) {
        uint32_t lacking = stripeSources(a.symbols, s) - a.stripeHave[s];
        uint32_t held = uint32_t(a.parity[s].size());
        if (lacking > held) {
          out.insert(out.end(), {s, lacking - held});
          count++;
        }
      }
    } else {
      out.insert(out.end(), {c, 1, 0});
      for (uint32_t s = 0; s < a.symbols;) {
        if (testBit(a.have, s)) {
          s++;
          continue;
        }
        uint32_t start = s;
        while (s < a.symbols && !testBit(a.have, s)) s++;
        out.insert(out.end(), {start, s - start});
        count++;
      }
    }
    out[header + 2] = count;
  }
  Napi::Uint32Array result = Napi::Uint32Array::New(env, out.size());
  if (!out.empty()) std::memcpy(result.Data(), out.data(), out.size() * sizeof(uint32_t));
  return result;
}

// reopen(stream, chunk): forget that a chunk completed (JS found it corrupt
// or could not keep it), so it is received and reported missing again.
Napi::Value Receiver::Reopen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "reopen(stream, chunk)");
  uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
  uint32_t chunk = info[1].As<Napi::Number>().Uint32Value();
  std::lock_guard<std::mutex> lock(mu_);
  if (configured_ && stream < kStreamCount && chunk < streams_[stream].chunkCount) clearBit(completed_[stream], chunk);
  return env.Undefined();
}

// provide(buffer, id): lends a buffer of at least the largest chunk's size
// for assembling chunks. It comes back to JS, by id, inside a completed chunk.
// JS must keep the buffer alive and untouched until then.
Napi::Value Receiver::Provide(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsBuffer() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "provide(buffer, id)");
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  std::lock_guard<std::mutex> lock(mu_);
  if (!configured_) throw Napi::Error::New(env, "provide() before configure()");
  if (buf.Length() < slotSize_) throw Napi::RangeError::New(env, "provided buffer is smaller than a chunk");
  freeSlots_.push_back(Slot{buf.Data(), info[1].As<Napi::Number>().Uint32Value()});
  return env.Undefined();
}

Napi::Value Receiver::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object s = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { s.Set(k, Napi::Number::New(env, v)); };
  num("datagrams", double(datagrams_));
  num("dataPackets", double(dataPackets_));
  num("payloadBytes", double(payloadBytes_));
  num("duplicates", double(duplicates_));
  num("malformed", double(malformed_));
  num("foreign", double(foreign_));
  num("early", double(early_));
  num("noBuffer", double(noBuffer_));
  num("chunksCompleted", double(chunksCompleted_));
  num("controls", double(controls_));
  num("controlOverflow", double(controlOverflow_));
  num("repeatedAnnounces", double(repeatedAnnounces_));
  num("groBatches", double(groBatches_));
  num("socketDrops", double(socketDrops_));
  num("repairSymbols", double(repairSymbols_));
  num("decodedSymbols", double(decodedSymbols_));
  num("decodeFailures", double(decodeFailures_));
  num("injectedDrops", double(injectedDrops_));
  s.Set("gro", Napi::Boolean::New(env, gro_));
  num("socketBuffer", fd_ >= 0 ? socketBufferSize(fd_, true) : 0);
  std::lock_guard<std::mutex> lock(mu_);
  num("assembling", double(assembling_.size()));
  num("freeSlots", double(freeSlots_.size()));
  Napi::Array hs = Napi::Array::New(env, kStreamCount);
  for (uint32_t i = 0; i < kStreamCount; i++) hs.Set(i, Napi::Number::New(env, double(highestSeen_[i])));
  s.Set("highestSeen", hs);
  return s;
}

// sample(out: Float64Array(4)): what the receiver's timer needs every tick,
// [highest image chunk seen, highest manifest chunk seen, datagrams dropped
// (socket buffer full + no free chunk buffer), free chunk buffers], written
// into the caller's array. stats() builds a 25-key object and asks the
// kernel for the socket buffer size: too dear up to 50 times a second in each of
// hundreds of receivers on one host.
Napi::Value Receiver::Sample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[0].As<Napi::Float64Array>().ElementLength() < 4)
    throw Napi::TypeError::New(env, "sample(out: Float64Array of at least 4)");
  Napi::Float64Array out = info[0].As<Napi::Float64Array>();
  std::lock_guard<std::mutex> lock(mu_);
  out[0] = double(highestSeen_[0]);
  out[1] = double(highestSeen_[1]);
  out[2] = double(socketDrops_ + noBuffer_);
  out[3] = double(freeSlots_.size());
  return env.Undefined();
}

Napi::Value Receiver::Close(const Napi::CallbackInfo& info) {
  stop();
  return info.Env().Undefined();
}

void callReceiverBatch(Napi::Env env, Napi::Function cb, Receiver*, RxBatch* batch) {
  std::unique_ptr<RxBatch> owned(batch);
  if (env == nullptr || cb == nullptr) return;
  Napi::Array chunks = Napi::Array::New(env, owned->chunks.size());
  for (size_t i = 0; i < owned->chunks.size(); i++) {
    CompletedChunk& c = owned->chunks[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("stream", Napi::Number::New(env, c.stream));
    o.Set("chunk", Napi::Number::New(env, c.chunk));
    o.Set("slot", Napi::Number::New(env, c.slot));
    o.Set("length", Napi::Number::New(env, c.length));
    o.Set("coding", Napi::Number::New(env, c.coding));
    chunks.Set(uint32_t(i), o);
  }
  Napi::Array controls = Napi::Array::New(env, owned->controls.size());
  for (size_t i = 0; i < owned->controls.size(); i++) {
    ControlPacket& p = owned->controls[i];
    char addr[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &p.from.sin_addr, addr, sizeof addr);
    Napi::Object o = Napi::Object::New(env);
    o.Set("data", Napi::Buffer<uint8_t>::Copy(env, p.data.data(), p.data.size()));
    o.Set("address", Napi::String::New(env, addr));
    o.Set("port", Napi::Number::New(env, ntohs(p.from.sin_port)));
    controls.Set(uint32_t(i), o);
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("chunks", chunks);
  result.Set("controls", controls);
  cb.Call({result});
}

void Receiver::run() {
  std::vector<uint8_t> storage(kRecvBatch * kRecvBufferSize);
  mmsghdr msgs[kRecvBatch];
  iovec iov[kRecvBatch];
  sockaddr_in from[kRecvBatch];
  alignas(cmsghdr) char control[kRecvBatch][CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(uint32_t))];
  pollfd pfd{fd_, POLLIN, 0};
  size_t lastBatch = 0;
  long coalesceNs = kCoalesceMinNs;

  while (!stopping_) {
    int timeoutMs;
    {
      std::lock_guard<std::mutex> lock(mu_);
      timeoutMs = pending_.chunks.empty() && pending_.controls.empty() ? kIdlePollMs : kPollMs;
    }
    int pr = poll(&pfd, 1, timeoutMs);
    if (pr < 0 && errno != EINTR) break;
    if (pr > 0) {
      for (size_t i = 0; i < kRecvBatch; i++) {
        iov[i] = {storage.data() + i * kRecvBufferSize, kRecvBufferSize};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        msgs[i].msg_hdr.msg_control = control[i];
        msgs[i].msg_hdr.msg_controllen = sizeof control[i];
      }
      int n = recvmmsg(fd_, msgs, kRecvBatch, MSG_DONTWAIT, nullptr);
      lastBatch = n > 0 ? size_t(n) : 0;
      if (n > 0) {
        std::lock_guard<std::mutex> lock(mu_);
        for (int i = 0; i < n; i++) {
          const uint8_t* base = storage.data() + size_t(i) * kRecvBufferSize;
          size_t total = msgs[i].msg_len;
          // With UDP_GRO one message may hold many datagrams of gso_size bytes
          // each (the last may be shorter); no cmsg means a single datagram.
          size_t segment = total;
          for (cmsghdr* cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr); cm; cm = CMSG_NXTHDR(&msgs[i].msg_hdr, cm)) {
            if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO && cm->cmsg_len >= CMSG_LEN(sizeof(int))) {
              int gs;
              std::memcpy(&gs, CMSG_DATA(cm), sizeof gs);
              if (gs > 0) segment = size_t(gs);
            } else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL &&
                       cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
              uint32_t dropped;
              std::memcpy(&dropped, CMSG_DATA(cm), sizeof dropped);
              if (dropped > socketDrops_) socketDrops_ = dropped;
            }
          }
          if (total == 0) {
            handleDatagram(base, 0, from[i]);  // counted as malformed
            continue;
          }
          if (segment < total) groBatches_++;
          for (size_t off = 0; off < total; off += segment) handleDatagram(base + off, std::min(segment, total - off), from[i]);
        }
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      flush(false);
    }
    if (pr > 0) {
      if (lastBatch == kRecvBatch) coalesceNs = std::max(kCoalesceMinNs, coalesceNs / 2);
      else if (lastBatch < kRecvBatch / 4) coalesceNs = std::min(kCoalesceMaxNs, coalesceNs * 2);
      if (lastBatch < kRecvBatch) {
        timespec ts{0, coalesceNs};
        nanosleep(&ts, nullptr);
      }
    }
  }
}

void Receiver::handleDatagram(const uint8_t* p, size_t len, const sockaddr_in& from) {
  datagrams_++;
  if (len < kCommonHeaderSize || load32(p + kOffMagic) != kMagic || p[kOffVersion] != kVersion) {
    malformed_++;
    return;
  }
  uint8_t type = p[kOffType];
  if (type == kTypeData) {
    // Fault injection for tests: lose a burst of consecutive DATA datagrams
    // as a congested switch would.
    uint64_t n = dataSeen_++;
    if (dropBurstCount_ && n >= dropBurstStart_ && n < uint64_t(dropBurstStart_) + dropBurstCount_) {
      injectedDrops_++;
      return;
    }
    handleData(p, len);
    return;
  }
  if (type != kTypeAnnounce && type != kTypeRepairAdv) {  // reports and acks travel unicast, never on the group
    malformed_++;
    return;
  }
  if (configured_ && load32(p + kOffSession) != session_) {
    foreign_++;
    return;
  }
  if (type == kTypeAnnounce) {
    // The sender repeats an unchanged ANNOUNCE ten times a second; JS needs
    // each change at once but a repeat only now and then, as a sign of life.
    uint64_t now = monotonicNs();
    if (len == lastAnnounce_.size() && std::memcmp(p, lastAnnounce_.data(), len) == 0 &&
        from.sin_addr.s_addr == lastAnnounceFrom_.sin_addr.s_addr && from.sin_port == lastAnnounceFrom_.sin_port &&
        now - lastAnnounceNs_ < kAnnounceRepeatNs) {
      repeatedAnnounces_++;
      return;
    }
    lastAnnounce_.assign(p, p + len);
    lastAnnounceFrom_ = from;
    lastAnnounceNs_ = now;
  }
  if (pending_.controls.size() >= kMaxPendingControls) {
    controlOverflow_++;
    return;
  }
  controls_++;
  pending_.controls.push_back(ControlPacket{std::vector<uint8_t>(p, p + len), from});
}

void Receiver::handleData(const uint8_t* p, size_t len) {
  if (!configured_) {
    early_++;
    return;
  }
  if (len < kDataHeaderSize || load16(p + kOffFlags) != 0 || load16(p + kOffDataReserved) != 0 ||
      p[kOffCoding] >= kCodingCount) {
    malformed_++;
    return;
  }
  if (load32(p + kOffSession) != session_) {
    foreign_++;
    return;
  }
  uint8_t stream = p[kOffStream];
  uint32_t chunk = load32(p + kOffChunk);
  uint32_t symbol = load32(p + kOffSymbol);
  uint32_t chunkLen = load32(p + kOffLength);
  uint8_t coding = p[kOffCoding];
  if (stream >= kStreamCount || chunk >= streams_[stream].chunkCount) {
    malformed_++;
    return;
  }
  const StreamGeometry& g = streams_[stream];
  uint32_t expected = g.expect[chunk];
  // The length must fit the stream and agree with what is known: a chunk
  // never sent, or one of another length, is not this chunk.
  if (chunkLen == 0 || chunkLen > g.maxLength || expected == kNotSent || (expected != 0 && expected != chunkLen)) {
    malformed_++;
    return;
  }
  uint32_t symbols = (chunkLen + symbolSize_ - 1) / symbolSize_;
  bool repair = (symbol & kRepairBit) != 0;
  uint32_t stripe = 0;
  int parityIndex = 0;
  uint32_t payloadLen;
  if (repair) {
    // Repair symbol: stripe in bits 16..30, parity index in bits 0..15; its
    // payload is always a full symbol (short sources are zero-padded).
    stripe = (symbol & ~kRepairBit) >> 16;
    parityIndex = int(symbol & 0xFFFF);
    uint32_t stripes = stripeSize_ ? (symbols + stripeSize_ - 1) / stripeSize_ : 0;
    if (stripe >= stripes || parityIndex >= fec::kMaxRows - int(stripeSources(symbols, stripe))) {
      malformed_++;
      return;
    }
    payloadLen = symbolSize_;
  } else {
    if (symbol >= symbols) {
      malformed_++;
      return;
    }
    payloadLen = std::min(symbolSize_, chunkLen - symbol * symbolSize_);
  }
  if (len - kDataHeaderSize != payloadLen) {  // truncated or padded: never place it
    malformed_++;
    return;
  }
  dataPackets_++;
  payloadBytes_ += payloadLen;
  if (repair) repairSymbols_++;
  if (int64_t(chunk) > highestSeen_[stream]) highestSeen_[stream] = chunk;
  if (testBit(completed_[stream], chunk)) {
    duplicates_++;
    return;
  }
  uint64_t k = key(stream, chunk);
  auto it = assembling_.find(k);
  if (it == assembling_.end()) {
    // Memory is what JS lent: with no free slot the symbol is dropped, and
    // the chunk is reported missing later and repaired.
    if (freeSlots_.empty()) {
      noBuffer_++;
      return;
    }
    Assembly a;
    a.slot = freeSlots_.back();
    freeSlots_.pop_back();
    a.have.assign((symbols + 63) / 64, 0);
    a.symbols = symbols;
    a.length = chunkLen;
    a.coding = coding;
    if (stripeSize_) {
      uint32_t stripes = (symbols + stripeSize_ - 1) / stripeSize_;
      a.stripeHave.assign(stripes, 0);
      a.parity.resize(stripes);
    }
    it = assembling_.emplace(k, std::move(a)).first;
  }
  Assembly& a = it->second;
  if (a.length != chunkLen || a.coding != coding) {
    // Disagrees with the chunk's first symbol. If disagreement outweighs
    // agreement, the first symbol was the odd one (forged or stale): start
    // the chunk over rather than let one packet pin a wrong length.
    malformed_++;
    if (++a.conflicts > a.received + 8) {
      freeSlots_.push_back(a.slot);
      assembling_.erase(it);
    }
    return;
  }
  const uint8_t* payload = p + kDataHeaderSize;
  if (!repair) {
    if (testBit(a.have, symbol)) {
      duplicates_++;
      return;
    }
    placeSource(a, symbol, payload, payloadLen);
    if (stripeSize_) tryDecode(a, symbol / stripeSize_);
  } else {
    uint32_t sources = stripeSources(a.symbols, stripe);
    auto& held = a.parity[stripe];
    bool known = false;
    for (const auto& ps : held) known = known || ps.index == parityIndex;
    if (a.stripeHave[stripe] == sources || known) {
      duplicates_++;  // stripe already whole, or this parity already held
      return;
    }
    held.push_back(ParitySymbol{parityIndex, std::vector<uint8_t>(payload, payload + payloadLen)});
    tryDecode(a, stripe);
  }
  completeIfDone(stream, chunk, it);
}

uint32_t Receiver::stripeSources(uint32_t symbols, uint32_t stripe) const {
  return std::min(stripeSize_, symbols - stripe * stripeSize_);
}

void Receiver::placeSource(Assembly& a, uint32_t symbol, const uint8_t* payload, uint32_t len) {
  std::memcpy(a.slot.data + size_t(symbol) * symbolSize_, payload, len);
  setBit(a.have, symbol);
  a.received++;
  if (stripeSize_) a.stripeHave[symbol / stripeSize_]++;
}

// Rebuilds a stripe's missing sources once it holds as many symbols as it has
// sources. Short sources (the chunk's last) are zero-padded to a full symbol,
// as the sender padded them to encode.
bool Receiver::tryDecode(Assembly& a, uint32_t stripe) {
  uint32_t sources = stripeSources(a.symbols, stripe);
  auto& held = a.parity[stripe];
  uint32_t present = a.stripeHave[stripe];
  if (present == sources || present + held.size() < sources) return false;
  uint32_t first = stripe * stripeSize_;
  std::vector<const uint8_t*> have;
  std::vector<int> rows;
  std::vector<int> missing;
  std::vector<uint8_t> padded;  // the short last source, if present and needed
  for (uint32_t i = 0; i < sources; i++) {
    uint32_t sym = first + i;
    if (!testBit(a.have, sym)) {
      missing.push_back(int(i));
      continue;
    }
    if (have.size() + held.size() >= sources) continue;  // enough sources; parity fills the rest
    uint32_t len = std::min(symbolSize_, a.length - sym * symbolSize_);
    const uint8_t* ptr = a.slot.data + size_t(sym) * symbolSize_;
    if (len < symbolSize_) {
      padded.assign(symbolSize_, 0);
      std::memcpy(padded.data(), ptr, len);
      ptr = padded.data();
    }
    have.push_back(ptr);
    rows.push_back(int(i));
  }
  for (size_t j = 0; have.size() < sources && j < held.size(); j++) {
    have.push_back(held[j].data.data());
    rows.push_back(int(sources) + held[j].index);
  }
  std::vector<std::vector<uint8_t>> out(missing.size(), std::vector<uint8_t>(symbolSize_));
  std::vector<uint8_t*> outPtrs;
  for (auto& o : out) outPtrs.push_back(o.data());
  if (!fec::decode(fec::bestBackend(), int(sources), int(symbolSize_), have.data(), rows.data(), int(missing.size()),
                   missing.data(), outPtrs.data())) {
    decodeFailures_++;
    held.clear();  // cannot happen with distinct indices; start the stripe's parity over
    return false;
  }
  for (size_t m = 0; m < missing.size(); m++) {
    uint32_t sym = first + uint32_t(missing[m]);
    placeSource(a, sym, out[m].data(), std::min(symbolSize_, a.length - sym * symbolSize_));
    decodedSymbols_++;
  }
  held.clear();
  held.shrink_to_fit();
  return true;
}

void Receiver::completeIfDone(uint8_t stream, uint32_t chunk, std::unordered_map<uint64_t, Assembly>::iterator it) {
  Assembly& a = it->second;
  if (a.received != a.symbols) return;
  setBit(completed_[stream], chunk);
  chunksCompleted_++;
  pending_.chunks.push_back(CompletedChunk{stream, chunk, a.slot.id, a.length, a.coding});
  assembling_.erase(it);
  if (pending_.chunks.size() >= kFlushChunks) flush(true);
}

// Called with mu_ held. Hands pending chunks and control packets to JS.
void Receiver::flush(bool force) {
  if (pending_.chunks.empty() && pending_.controls.empty()) return;
  uint64_t now = monotonicNs();
  if (!force && now - lastFlushNs_ < flushNs_) return;
  lastFlushNs_ = now;
  auto* batch = new RxBatch(std::move(pending_));
  pending_ = RxBatch{};
  if (tsfn_.NonBlockingCall(batch) != napi_ok) delete batch;  // only while shutting down
}

}  // namespace blockcast
