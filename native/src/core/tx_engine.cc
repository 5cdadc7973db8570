#include "core/tx_engine.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/clock.h"
#include "core/thread.h"
#include "core/data_header.h"
#include "core/wire.h"

namespace blockcast {

namespace {

constexpr size_t kMaxGsoBytes = 65000;  // stay under the 64 KiB IP datagram limit

uint32_t symbolCount(size_t length, uint32_t symbolSize) {
  return static_cast<uint32_t>((length + symbolSize - 1) / symbolSize);
}

// The options the engine keeps: the key lives on only inside the Sealer.
TxOptions withoutKey(TxOptions o) {
  o.seal.key.fill(0);
  return o;
}

}  // namespace

struct TxEngine::Outgoing {
  uint32_t id;
  const uint8_t* data;
  size_t length;
};

std::unique_ptr<TxEngine> TxEngine::open(const TxOptions& o, Status* status, SocketError* err) {
  std::unique_ptr<FecScheme> fec;
  *status = makeFecScheme(o.stripeSize, &fec);
  if (!status->ok()) return nullptr;
  std::unique_ptr<Sealer> sealer;
  if (o.seal.cipher != kCipherNone) {
    sealer = Sealer::create(o.seal.cipher, o.seal.key.data(), o.seal.key.size(), status);
    if (!sealer) return nullptr;
  }
  uint32_t trailer = sealer ? kSealTrailerSize : 0;
  if (o.symbolSize < kMinSymbolSize || o.symbolSize + trailer > kMaxSymbolSize) {
    *status = Status::Range("symbolSize out of range");
    return nullptr;
  }
  int fd = openSenderSocket(o.socket, err);
  if (fd < 0) return nullptr;
  return std::unique_ptr<TxEngine>(new TxEngine(o, std::move(fec), std::move(sealer), fd));
}

TxEngine::TxEngine(const TxOptions& o, std::unique_ptr<FecScheme> fec, std::unique_ptr<Sealer> sealer, int fd)
    : opts_(withoutKey(o)),
      fec_(std::move(fec)),
      sealer_(std::move(sealer)),
      trailerSize_(sealer_ ? kSealTrailerSize : 0),
      fd_(fd),
      pacer_(o.rateBytesPerSecond),
      out_(o.gso) {
  size_t perSegment = kDataHeaderSize + opts_.symbolSize + trailerSize_;
  maxSegments_ = static_cast<uint32_t>(std::min<size_t>(kMaxBatch, std::max<size_t>(1, kMaxGsoBytes / perSegment)));
  if (sealer_) scratch_.resize(maxSegments_ * perSegment);
}

TxEngine::~TxEngine() { stop(); }

void TxEngine::start(JobDoneSink sink) {
  sink_ = std::move(sink);
  thread_ = namedThread("blockcast-tx", [this] { run(); });
}

void TxEngine::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Status TxEngine::check(const SendJob& job) const {
  if (job.length == 0 || job.length > kMaxChunkSize) return Status::Range("job.data is empty or larger than a chunk may be");
  uint32_t count = symbolCount(job.length, opts_.symbolSize);
  for (uint32_t id : job.symbols)
    if (id >= count) return Status::Range("job.symbols has an id beyond the chunk");
  RepairRef ref;
  for (uint32_t id : job.parity)
    if (!fec_ || !fec_->parseRepairId(count, id, &ref)) return Status::Range("job.parity has an invalid repair symbol id");
  return Status::Ok();
}

void TxEngine::submit(SendJob job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (job.urgent) urgentWaiting_ = true;
    (job.urgent ? urgent_ : normal_).push_back(std::move(job));
  }
  cv_.notify_one();
}

// Called on the JS thread: never blocks on a full send buffer. A full local
// queue (EAGAIN, or ENOBUFS through IP_RECVERR) loses a control packet as it
// always did: ANNOUNCE repeats, REPAIR_ADV is advisory.
int TxEngine::sendControl(const uint8_t* data, size_t length) {
  ssize_t r = ::send(fd_, data, length, MSG_DONTWAIT);
  if (r >= 0) return 0;
  if (errno == ENOBUFS || errno == EAGAIN) {
    out_.localDrops++;
    return 0;
  }
  return errno;
}

TxStats TxEngine::stats() {
  TxStats s{};
  s.packets = out_.packets;
  s.bytes = out_.bytes;
  s.batches = out_.batches;
  s.gsoBatches = out_.gsoBatches;
  s.sleeps = pacer_.sleeps();
  s.softErrors = out_.softErrors;
  s.queueFullWaits = out_.queueFullWaits;
  s.localDrops = out_.localDrops;
  s.idleSeconds = double(idleNs_) / 1e9;
  s.forfeitSeconds = double(pacer_.forfeitNs()) / 1e9;
  s.gsoDisabledErrno = out_.gsoDisabledErrno;
  s.socketBuffer = fd_ >= 0 ? socketBufferSize(fd_, false) : 0;
  std::lock_guard<std::mutex> lock(mu_);
  s.queuedJobs = urgent_.size() + normal_.size();
  return s;
}

void TxEngine::run() {
  // Sleep precisely: the default 50 us timer slack would blur sub-ms pacing.
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  SendJob job;
  while (nextJob(false, &job))
    if (!sink_(JobDone{job.id, sendJob(job)})) return;
}

// Takes the next job, urgent ones first, into *job. With urgentOnly it returns
// false at once when no urgent job waits; otherwise it waits for one (and
// counts the idle time), returning false only when stopping.
bool TxEngine::nextJob(bool urgentOnly, SendJob* job) {
  std::unique_lock<std::mutex> lock(mu_);
  if (urgentOnly) {
    if (urgent_.empty() || stopping_) {
      urgentWaiting_ = false;
      return false;
    }
  } else if (urgent_.empty() && normal_.empty() && !stopping_) {
    uint64_t waitStart = monotonicNs();
    cv_.wait(lock, [this] { return stopping_ || !urgent_.empty() || !normal_.empty(); });
    idleNs_ += monotonicNs() - waitStart;
  }
  if (stopping_) return false;
  auto& q = urgent_.empty() ? normal_ : urgent_;
  *job = std::move(q.front());
  q.pop_front();
  if (!urgentOnly) urgentWaiting_ = !urgent_.empty();
  return true;
}

// Sends queued repairs now, in the middle of a first-pass chunk: at a low
// rate one chunk takes a long time, and a repair that waited for it would
// outlast the receivers' NACK holdoff and be asked for twice.
void TxEngine::serviceUrgent() {
  SendJob job;
  while (nextJob(true, &job))
    if (!sink_(JobDone{job.id, sendJob(job)})) return;
}

int TxEngine::sendJob(const SendJob& job) {
  uint32_t symbolSize = opts_.symbolSize;
  uint32_t count = symbolCount(job.length, symbolSize);
  std::vector<Outgoing> items;
  size_t total = job.allSymbols ? count : job.symbols.size();
  items.reserve(total);
  for (size_t i = 0; i < total; i++) {
    uint32_t id = job.allSymbols ? static_cast<uint32_t>(i) : job.symbols[i];
    size_t off = size_t(id) * symbolSize;
    items.push_back(Outgoing{id, job.data + off, std::min<size_t>(symbolSize, job.length - off)});
  }
  int err = sendItems(job, items);
  if (err || job.parity.empty()) return err;
  return sendParity(job);
}

// Encodes the job's repair symbols, block by block, and sends them in the
// order given (the sender interleaves stripes so that a burst of loss costs
// each stripe little). The chunk's short last source is zero-padded to a full
// symbol, as receivers pad it to decode.
int TxEngine::sendParity(const SendJob& job) {
  uint32_t symbolSize = opts_.symbolSize;
  uint32_t count = symbolCount(job.length, symbolSize);
  std::vector<uint8_t> padded(symbolSize, 0);
  size_t lastLen = job.length - size_t(count - 1) * symbolSize;
  std::memcpy(padded.data(), job.data + size_t(count - 1) * symbolSize, lastLen);
  // Each block's repair indices, and where in job.parity they go (check()
  // has vetted every id).
  std::vector<std::vector<size_t>> byBlock(fec_->blockCount(count));
  std::vector<int> indexOf(job.parity.size());
  RepairRef ref;
  for (size_t i = 0; i < job.parity.size(); i++) {
    fec_->parseRepairId(count, job.parity[i], &ref);
    byBlock[ref.block].push_back(i);
    indexOf[i] = ref.index;
  }
  std::vector<uint8_t> out(job.parity.size() * symbolSize);
  for (uint32_t block = 0; block < byBlock.size(); block++) {
    const auto& positions = byBlock[block];
    if (positions.empty()) continue;
    uint32_t first = fec_->blockFirst(block);
    uint32_t sources = fec_->blockSources(count, block);
    std::vector<const uint8_t*> src(sources);
    for (uint32_t s = 0; s < sources; s++)
      src[s] = first + s == count - 1 ? padded.data() : job.data + size_t(first + s) * symbolSize;
    std::vector<int> indices;
    std::vector<uint8_t*> outPtrs;
    for (size_t pos : positions) {
      indices.push_back(indexOf[pos]);
      outPtrs.push_back(out.data() + pos * symbolSize);
    }
    fec_->encode(int(sources), int(symbolSize), src.data(), int(indices.size()), indices.data(), outPtrs.data());
  }
  std::vector<Outgoing> items;
  items.reserve(job.parity.size());
  for (size_t i = 0; i < job.parity.size(); i++) items.push_back(Outgoing{job.parity[i], out.data() + i * symbolSize, symbolSize});
  return sendItems(job, items);
}

// Sends datagrams in batches of up to maxSegments_. A short payload (a
// chunk's last source) must end a GSO batch: only the final segment of a
// super-packet may be shorter than gso_size.
int TxEngine::sendItems(const SendJob& job, const std::vector<Outgoing>& items) {
  size_t perBurst =
      pacer_.burstDatagrams(kDataHeaderSize + opts_.symbolSize + trailerSize_ + kIpUdpOverhead, maxSegments_);
  // The local queue was full lately: small batches, which a qdisc takes or
  // refuses whole (tbf cuts a batch larger than its burst into frames and
  // drops the tail silently), so that ENOBUFS makes the thread wait.
  if (monotonicNs() < smallBatchesUntilNs_) perBurst = std::min(perBurst, kQueueFullBatch);
  size_t start = 0;
  for (size_t i = 0; i < items.size(); i++) {
    bool shortItem = items[i].length < opts_.symbolSize;
    if (i + 1 - start == perBurst || shortItem || i + 1 == items.size()) {
      if (int err = sendBatch(job, items.data() + start, i + 1 - start)) return err;
      start = i + 1;
      if (!job.urgent && urgentWaiting_) serviceUrgent();
    }
    if (stopping_) return ECANCELED;
  }
  return 0;
}

// Open sessions send each datagram as two iovecs, header and the chunk's
// own bytes (zero-copy); sealed ones as one, built whole in scratch_. Each
// GSO segment is a whole datagram, trailer included.
int TxEngine::sendBatch(const SendJob& job, const Outgoing* items, size_t n) {
  uint8_t headers[kMaxBatch][kDataHeaderSize];
  iovec iov[kMaxBatch * 2];
  size_t iovPer = sealer_ ? 1 : 2;
  size_t segment = kDataHeaderSize + opts_.symbolSize + trailerSize_;
  DataHeader h;
  h.session = opts_.session;
  h.stream = job.stream;
  h.coding = job.coding;
  h.chunk = job.chunk;
  h.length = static_cast<uint32_t>(job.length);
  if (sealer_) h.flags = uint16_t(kFlagSealed | (opts_.seal.encrypt ? kFlagEncrypted : 0));
  uint64_t wire = 0;
  for (size_t i = 0; i < n; i++) {
    h.symbol = items[i].id;
    h.seq = dataSeq_++;
    if (sealer_) {
      uint8_t* packet = scratch_.data() + i * segment;  // n <= maxSegments_ (burstDatagrams)
      writeDataHeader(packet, h);
      iov[i] = {packet, sealDatagram(packet, items[i])};
    } else {
      writeDataHeader(headers[i], h);
      iov[2 * i] = {headers[i], kDataHeaderSize};
      iov[2 * i + 1] = {const_cast<uint8_t*>(items[i].data), items[i].length};
    }
    wire += kDataHeaderSize + items[i].length + trailerSize_ + kIpUdpOverhead;
  }
  pacer_.pace(wire);
  uint64_t waits = out_.queueFullWaits;
  int err = out_.send(fd_, iov, n, iovPer, static_cast<uint16_t>(segment), wire);
  if (out_.queueFullWaits != waits) smallBatchesUntilNs_ = monotonicNs() + kQueueFullHoldNs;
  return err;
}

// packet holds the header; appends the payload (ciphertext, or clear and
// authenticated) and the trailer. Returns the datagram's length.
size_t TxEngine::sealDatagram(uint8_t* packet, const Outgoing& item) {
  uint64_t seq = seq_++;
  if (opts_.seal.encrypt)
    return sealer_->seal(packet, kDataHeaderSize, item.data, item.length, kSealOriginSenderData, seq);
  std::memcpy(packet + kDataHeaderSize, item.data, item.length);
  return sealer_->seal(packet, kDataHeaderSize + item.length, nullptr, 0, kSealOriginSenderData, seq);
}

}  // namespace blockcast
