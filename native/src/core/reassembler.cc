#include "core/reassembler.h"

#include <algorithm>

#include "core/data_header.h"
#include "core/wire.h"

namespace blockcast {

Status Reassembler::configure(const RxConfig& config) {
  std::unique_ptr<FecScheme> fec;
  Status s = makeFecScheme(config.stripeSize, &fec);
  if (!s.ok()) return s;
  uint32_t symbolSize = config.symbolSize;
  if (symbolSize < kMinSymbolSize || symbolSize > kMaxSymbolSize) return Status::Range("symbolSize out of range");
  uint32_t slotSize = 0;
  for (const StreamConfig& sc : config.streams) {
    if (sc.maxLength == 0 || sc.maxLength > kMaxChunkSize ||
        (sc.maxLength + symbolSize - 1) / symbolSize > kMaxSymbolsPerChunk)
      return Status::Range("maxLength out of range");
    slotSize = std::max(slotSize, sc.maxLength);
  }
  session_ = config.session;
  symbolSize_ = symbolSize;
  for (size_t i = 0; i < kStreamCount; i++) {
    Stream& st = streams_[i];
    st.config = config.streams[i];
    st.expect.assign(st.config.chunkCount, 0);
    st.completed.assign((st.config.chunkCount + 63) / 64, 0);
    highestSeen_[i] = -1;
  }
  // Slots lent for another geometry are forgotten; JS provides new ones.
  assembling_.clear();
  freeSlots_.clear();
  fec_ = std::move(fec);  // after the assemblies that pointed at the old one
  slotSize_ = slotSize;
  manifestReserve_ = config.manifestReserve;
  seqGaps_.reset();
  configured_ = true;
  return Status::Ok();
}

// A forged first symbol can no longer pin a wrong length once JS knows it.
Status Reassembler::expect(uint32_t stream, const uint32_t* lengths, size_t count) {
  if (!configured_ || stream >= kStreamCount) return Status::State("expect() before configure() or for an unknown stream");
  if (count != streams_[stream].config.chunkCount) return Status::Range("expect() needs one length per chunk");
  return expectRange(stream, 0, lengths, count);
}

Status Reassembler::expectRange(uint32_t stream, uint32_t first, const uint32_t* lengths, size_t count) {
  if (!configured_ || stream >= kStreamCount) return Status::State("expect() before configure() or for an unknown stream");
  Stream& st = streams_[stream];
  if (first > st.config.chunkCount || count > size_t(st.config.chunkCount - first)) return Status::Range("expect() range beyond the stream's chunks");
  for (size_t i = 0; i < count; i++) {
    uint32_t v = lengths[i];
    if (v != 0 && v != kNotSent && v > st.config.maxLength) return Status::Range("expected length beyond the stream's maximum");
  }
  for (size_t i = 0; i < count; i++) {
    const uint32_t c = first + uint32_t(i);
    st.expect[c] = lengths[i];
    if (lengths[i] == 0) continue;
    auto it = assembling_.find(key(uint8_t(stream), c));
    if (it != assembling_.end() && it->second.length() != lengths[i]) release(it);
  }
  return Status::Ok();
}

// A chunk nothing of which has arrived is one run covering all of it when
// its length is known, else WholeChunk: the sender sizes the repair. Chunks
// expected never to be sent are skipped.
std::vector<uint32_t> Reassembler::missing(uint32_t stream, int64_t below, uint32_t maxEntries) const {
  std::vector<uint32_t> out;
  if (!configured_ || stream >= kStreamCount) return out;
  const Stream& st = streams_[stream];
  uint32_t limit = static_cast<uint32_t>(std::max<int64_t>(0, std::min<int64_t>(below, st.config.chunkCount)));
  uint32_t entries = 0;
  for (uint32_t c = 0; c < limit && entries < maxEntries; c++) {
    if (isCompleted(uint8_t(stream), c) || st.expect[c] == kNotSent) continue;
    entries++;
    auto it = assembling_.find(key(uint8_t(stream), c));
    if (it != assembling_.end()) {
      it->second.appendMissing(c, &out);
    } else if (uint32_t len = st.expect[c]) {
      out.insert(out.end(), {c, uint32_t(kNackSourceRuns), 1, 0, (len + symbolSize_ - 1) / symbolSize_});
    } else {
      out.insert(out.end(), {c, uint32_t(kNackWholeChunk), 0});
    }
  }
  return out;
}

void Reassembler::reopen(uint32_t stream, uint32_t chunk) {
  if (configured_ && stream < kStreamCount && chunk < streams_[stream].config.chunkCount)
    streams_[stream].completed[chunk >> 6] &= ~(uint64_t(1) << (chunk & 63));
}

void Reassembler::hold(uint32_t stream, uint32_t chunk) {
  if (!configured_ || stream >= kStreamCount || chunk >= streams_[stream].config.chunkCount) return;
  auto it = assembling_.find(key(uint8_t(stream), chunk));
  if (it != assembling_.end()) release(it);
  streams_[stream].completed[chunk >> 6] |= uint64_t(1) << (chunk & 63);
}

Status Reassembler::provide(uint8_t* data, size_t length, uint32_t id) {
  if (!configured_) return Status::State("provide() before configure()");
  if (length < slotSize_) return Status::Range("provided buffer is smaller than a chunk");
  freeSlots_.push_back(Slot{data, id});
  return Status::Ok();
}

bool Reassembler::manifestComplete() const {
  const Stream& st = streams_[kStreamManifest];
  const uint32_t n = st.config.chunkCount;
  for (uint32_t w = 0; w < n / 64; w++)
    if (st.completed[w] != ~uint64_t(0)) return false;
  const uint64_t tail = (uint64_t(1) << (n % 64)) - 1;  // n % 64 == 0: nothing left to check
  return (n % 64) == 0 || (st.completed[n / 64] & tail) == tail;
}

void Reassembler::release(std::unordered_map<uint64_t, Assembly>::iterator it) {
  freeSlots_.push_back(it->second.slot());
  assembling_.erase(it);
}

// The security checks, in docs/SECURITY.md's order; false (and counted) if
// the datagram is to be dropped, else *len no longer counts the trailer.
bool Reassembler::unseal(uint8_t* p, size_t* len) {
  switch (opener_.open(p, *len, len)) {
    case DataOpener::kOk: return true;
    case DataOpener::kMalformed: counters_.malformed++; return false;
    case DataOpener::kForged: counters_.forged++; return false;
    case DataOpener::kReplayed: counters_.replayed++; return false;
    case DataOpener::kNoKey: counters_.noKey++; return false;
  }
  return false;
}

void Reassembler::handleData(uint8_t* p, size_t len, std::vector<CompletedChunk>* done) {
  if (!configured_) {
    counters_.early++;
    return;
  }
  if (len < kDataHeaderSize) {
    counters_.malformed++;
    return;
  }
  // The session is in the common header: another session's packets cost no
  // tag check.
  if (load32(p + kOffSession) != session_) {
    counters_.foreign++;
    return;
  }
  const size_t datagramLen = len;  // as it travelled, trailer included: the sender counts it so
  if (!unseal(p, &len)) return;
  DataHeader h;
  if (!readDataHeader(p, len, &h, opener_.sealed())) {
    counters_.malformed++;
    return;
  }
  if (h.stream >= kStreamCount || h.chunk >= streams_[h.stream].config.chunkCount) {
    counters_.malformed++;
    return;
  }
  const Stream& st = streams_[h.stream];
  uint32_t expected = st.expect[h.chunk];
  // The length must fit the stream and agree with what is known: a chunk
  // never sent, or one of another length, is not this chunk.
  if (h.length == 0 || h.length > st.config.maxLength || expected == kNotSent || (expected != 0 && expected != h.length)) {
    counters_.malformed++;
    return;
  }
  uint32_t symbols = (h.length + symbolSize_ - 1) / symbolSize_;
  bool repair = isRepairSymbol(h.symbol);
  RepairRef ref;
  uint32_t payloadLen;
  if (repair) {
    // A repair symbol's payload is always a full symbol (short sources are
    // zero-padded).
    if (!fec_ || !fec_->parseRepairId(symbols, h.symbol, &ref)) {
      counters_.malformed++;
      return;
    }
    payloadLen = symbolSize_;
  } else {
    if (h.symbol >= symbols) {
      counters_.malformed++;
      return;
    }
    payloadLen = std::min(symbolSize_, h.length - h.symbol * symbolSize_);
  }
  if (len - kDataHeaderSize != payloadLen) {  // truncated or padded: never place it
    counters_.malformed++;
    return;
  }
  counters_.dataPackets++;
  counters_.payloadBytes += payloadLen;
  counters_.dataBytes += datagramLen;
  counters_.sequenced += seqGaps_.take(h.seq);
  if (repair) counters_.repairSymbols++;
  if (int64_t(h.chunk) > highestSeen_[h.stream]) highestSeen_[h.stream] = h.chunk;
  if (isCompleted(h.stream, h.chunk)) {
    counters_.duplicates++;
    return;
  }
  uint64_t k = key(h.stream, h.chunk);
  auto it = assembling_.find(k);
  if (it == assembling_.end()) {
    // Memory is what JS lent: with no free slot the symbol is dropped, and
    // the chunk is reported missing later and repaired. The last few free
    // slots are the manifest's until it is complete (checked only then).
    if (freeSlots_.empty() ||
        (h.stream != kStreamManifest && freeSlots_.size() <= manifestReserve_ && !manifestComplete())) {
      counters_.noBuffer++;
      return;
    }
    Slot slot = freeSlots_.back();
    freeSlots_.pop_back();
    it = assembling_.emplace(k, Assembly(slot, symbols, h.length, h.coding, symbolSize_, fec_.get())).first;
  }
  Assembly& a = it->second;
  if (a.length() != h.length || a.coding() != h.coding) {
    counters_.malformed++;
    if (a.conflict()) release(it);
    return;
  }
  const uint8_t* payload = p + kDataHeaderSize;
  int decoded;
  if (!repair) {
    if (a.hasSource(h.symbol)) {
      counters_.duplicates++;
      return;
    }
    a.placeSource(h.symbol, payload, payloadLen);
    decoded = fec_ ? a.tryDecode(fec_->blockOf(h.symbol)) : 0;
  } else {
    if (!a.holdRepair(ref, payload, payloadLen)) {
      counters_.duplicates++;  // block already whole, or this repair already held
      return;
    }
    decoded = a.tryDecode(ref.block);
  }
  if (decoded < 0) counters_.decodeFailures++;
  else if (decoded > 0) counters_.decodedSymbols += uint64_t(decoded);
  if (!a.complete()) return;
  streams_[h.stream].completed[h.chunk >> 6] |= uint64_t(1) << (h.chunk & 63);
  counters_.chunksCompleted++;
  done->push_back(CompletedChunk{h.stream, h.chunk, a.slot().id, a.length(), a.coding()});
  assembling_.erase(it);
}

}  // namespace blockcast
