#include "core/rx_engine.h"

#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "core/clock.h"
#include "core/thread.h"
#include "core/wire.h"

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace blockcast {

namespace {

constexpr size_t kRecvBatch = 32;             // messages per recvmmsg
constexpr size_t kRecvBufferSize = 65536;      // a whole GRO super-packet
constexpr size_t kMaxPendingControls = 4096;  // bound on control packets awaiting JS
constexpr size_t kFlushChunks = 8;            // hand chunks to JS at least this eagerly
// Completed chunks with no control packet to go with them are handed over at
// most this often (unless kFlushChunks wait, or free slots run low): each
// hand-over wakes the JS thread, and a chunk's writing is not urgent.
constexpr uint64_t kChunkFlushNs = 10000000;
constexpr int kPollMs = 5;
// An unchanged ANNOUNCE reaches JS at most this often (see repeatedAnnounce).
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

}  // namespace

std::unique_ptr<RxEngine> RxEngine::open(const RxOptions& o, SocketError* err) {
  int fd = openReceiverSocket(o.socket, err);
  if (fd < 0) return nullptr;
  int one = 1;
  bool gro = o.gro && setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof one) == 0;
  // The kernel then reports, with each datagram, how many it dropped on this
  // socket for want of buffer space: the receiver's own overload signal.
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  return std::unique_ptr<RxEngine>(new RxEngine(o, fd, gro));
}

RxEngine::RxEngine(const RxOptions& o, int fd, bool gro)
    : opts_(o), fd_(fd), gro_(gro), chunks_(counters_) {}

RxEngine::~RxEngine() { stop(); }

void RxEngine::start(RxBatchSink sink) {
  sink_ = std::move(sink);
  thread_ = namedThread("blockcast-rx", [this] { run(); });
}

void RxEngine::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Status RxEngine::configure(const RxConfig& config) {
  std::lock_guard<std::mutex> lock(mu_);
  return chunks_.configure(config);
}

Status RxEngine::expect(uint32_t stream, const uint32_t* lengths, size_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  return chunks_.expect(stream, lengths, count);
}

Status RxEngine::expectRange(uint32_t stream, uint32_t first, const uint32_t* lengths, size_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  return chunks_.expectRange(stream, first, lengths, count);
}

std::vector<uint32_t> RxEngine::missing(uint32_t stream, int64_t below, uint32_t maxEntries) {
  std::lock_guard<std::mutex> lock(mu_);
  return chunks_.missing(stream, below, maxEntries);
}

void RxEngine::reopen(uint32_t stream, uint32_t chunk) {
  std::lock_guard<std::mutex> lock(mu_);
  chunks_.reopen(stream, chunk);
}

void RxEngine::hold(uint32_t stream, uint32_t chunk) {
  std::lock_guard<std::mutex> lock(mu_);
  chunks_.hold(stream, chunk);
}

Status RxEngine::provide(uint8_t* data, size_t length, uint32_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  return chunks_.provide(data, length, id);
}

Status RxEngine::setSealKey(uint8_t cipher, const uint8_t* key, size_t keyLength) {
  std::lock_guard<std::mutex> lock(mu_);
  return chunks_.setSealKey(cipher, key, keyLength);
}

RxStats RxEngine::stats() {
  const RxCounters& c = counters_;
  RxStats s{};
  s.datagrams = c.datagrams;
  s.dataPackets = c.dataPackets;
  s.payloadBytes = c.payloadBytes;
  s.duplicates = c.duplicates;
  s.malformed = c.malformed;
  s.foreign = c.foreign;
  s.early = c.early;
  s.noBuffer = c.noBuffer;
  s.chunksCompleted = c.chunksCompleted;
  s.controls = c.controls;
  s.controlOverflow = c.controlOverflow;
  s.repeatedAnnounces = c.repeatedAnnounces;
  s.groBatches = c.groBatches;
  s.socketDrops = c.socketDrops;
  s.repairSymbols = c.repairSymbols;
  s.decodedSymbols = c.decodedSymbols;
  s.decodeFailures = c.decodeFailures;
  s.injectedDrops = c.injectedDrops;
  s.forged = c.forged;
  s.replayed = c.replayed;
  s.noKey = c.noKey;
  s.dataBytes = c.dataBytes;
  s.sequenced = c.sequenced;
  s.gro = gro_;
  s.socketBuffer = fd_ >= 0 ? socketBufferSize(fd_, true) : 0;
  std::lock_guard<std::mutex> lock(mu_);
  s.assembling = chunks_.assembling();
  s.freeSlots = chunks_.freeSlots();
  for (int i = 0; i < kStreamCount; i++) s.highestSeen[size_t(i)] = chunks_.highestSeen(i);
  return s;
}

void RxEngine::sample(double out[4]) {
  std::lock_guard<std::mutex> lock(mu_);
  out[0] = double(chunks_.highestSeen(0));
  out[1] = double(chunks_.highestSeen(1));
  out[2] = double(counters_.socketDrops + counters_.noBuffer);
  out[3] = double(chunks_.freeSlots());
}

void RxEngine::run() {
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
          uint8_t* base = storage.data() + size_t(i) * kRecvBufferSize;
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
              if (dropped > counters_.socketDrops) counters_.socketDrops = dropped;
            }
          }
          if (total == 0) {
            handleDatagram(base, 0, from[i]);  // counted as malformed
            continue;
          }
          if (segment < total) counters_.groBatches++;
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

// Called with mu_ held.
void RxEngine::handleDatagram(uint8_t* p, size_t len, const sockaddr_in& from) {
  counters_.datagrams++;
  if (len < kCommonHeaderSize || load32(p + kOffMagic) != kMagic || p[kOffVersion] != kVersion) {
    counters_.malformed++;
    return;
  }
  uint8_t type = p[kOffType];
  if (type == kTypeData) {
    // Fault injection for tests: lose a burst of consecutive DATA datagrams
    // as a congested switch would.
    uint64_t n = dataSeen_++;
    if (opts_.dropBurstCount && n >= opts_.dropBurstStart && n < uint64_t(opts_.dropBurstStart) + opts_.dropBurstCount) {
      counters_.injectedDrops++;
      return;
    }
    chunks_.handleData(p, len, &pending_.chunks);
    if (pending_.chunks.size() >= kFlushChunks) flush(true);
    return;
  }
  if (type != kTypeAnnounce && type != kTypeRepairAdv) {  // reports and acks travel unicast, never on the group
    counters_.malformed++;
    return;
  }
  if (chunks_.configured() && load32(p + kOffSession) != chunks_.session()) {
    counters_.foreign++;
    return;
  }
  if (type == kTypeAnnounce && repeatedAnnounce(p, len, from)) {
    counters_.repeatedAnnounces++;
    return;
  }
  if (pending_.controls.size() >= kMaxPendingControls) {
    counters_.controlOverflow++;
    return;
  }
  counters_.controls++;
  pending_.controls.push_back(ControlPacket{std::vector<uint8_t>(p, p + len), from});
}

// The sender repeats an unchanged ANNOUNCE ten times a second; JS needs each
// change at once but a repeat only now and then, as a sign of life.
bool RxEngine::repeatedAnnounce(const uint8_t* p, size_t len, const sockaddr_in& from) {
  uint64_t now = monotonicNs();
  if (len == lastAnnounce_.size() && std::memcmp(p, lastAnnounce_.data(), len) == 0 &&
      from.sin_addr.s_addr == lastAnnounceFrom_.sin_addr.s_addr && from.sin_port == lastAnnounceFrom_.sin_port &&
      now - lastAnnounceNs_ < kAnnounceRepeatNs)
    return true;
  lastAnnounce_.assign(p, p + len);
  lastAnnounceFrom_ = from;
  lastAnnounceNs_ = now;
  return false;
}

// Called with mu_ held. Hands pending chunks and control packets to the sink.
void RxEngine::flush(bool force) {
  if (pending_.chunks.empty() && pending_.controls.empty()) return;
  uint64_t now = monotonicNs();
  bool chunksOnly = pending_.controls.empty() && chunks_.freeSlots() > kFlushChunks;
  uint64_t interval = chunksOnly ? std::max(opts_.flushNs, kChunkFlushNs) : opts_.flushNs;
  if (!force && now - lastFlushNs_ < interval) return;
  lastFlushNs_ = now;
  auto batch = std::make_unique<RxBatch>(std::move(pending_));
  pending_ = RxBatch{};
  sink_(std::move(batch));
}

}  // namespace blockcast
