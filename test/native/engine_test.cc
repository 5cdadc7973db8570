// The two engines against each other on loopback multicast, sealed with
// each cipher this build has (encrypted, then authenticated only): a chunk
// sent without two of its sources but with two repair symbols of their
// stripe arrives whole, and the job is reported done.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <vector>

#include "check.h"
#include "core/rx_engine.h"
#include "core/seal.h"
#include "core/wire.h"
#include "core/tx_engine.h"

using namespace blockcast;

namespace {

constexpr uint32_t kSymbol = 512;

McastOptions channel() {
  McastOptions m;
  m.group = "239.255.77." + std::to_string(1 + getpid() % 250);
  m.port = uint16_t(30000 + getpid() % 30000);
  m.ifaddr = "127.0.0.1";
  m.ttl = 0;
  m.loopback = true;
  return m;
}

}  // namespace

namespace {

void roundTrip(uint8_t cipher, bool encrypt) {
  const uint32_t length = 7 * kSymbol + 33;  // 8 sources, the last short
  std::vector<uint8_t> chunk(length);
  std::mt19937 rng(7);
  for (auto& b : chunk) b = uint8_t(rng());

  std::mutex mu;
  std::condition_variable cv;
  std::vector<CompletedChunk> completed;
  std::vector<JobDone> done;

  RxOptions ro;
  ro.socket = channel();
  ro.flushNs = 1000000;
  ro.gro = false;
  SocketError err;
  std::unique_ptr<RxEngine> rx = RxEngine::open(ro, &err);
  CHECK(rx != nullptr);
  if (!rx) return;
  RxConfig rc;
  rc.session = 9;
  rc.symbolSize = kSymbol;
  rc.stripeSize = 4;
  rc.streams[kStreamImage] = {1, length};
  rc.streams[kStreamManifest] = {1, length};
  CHECK(rx->configure(rc).ok());
  uint8_t key[kSealKeySize];
  for (auto& b : key) b = uint8_t(rng());
  CHECK(rx->setSealKey(cipher, key, sizeof key).ok());
  std::vector<uint8_t> slot(length);
  CHECK(rx->provide(slot.data(), slot.size(), 3).ok());
  rx->start([&](std::unique_ptr<RxBatch> b) {
    std::lock_guard<std::mutex> lock(mu);
    completed.insert(completed.end(), b->chunks.begin(), b->chunks.end());
    cv.notify_all();
  });

  TxOptions to;
  to.socket = channel();
  to.session = 9;
  to.symbolSize = kSymbol;
  to.stripeSize = 4;
  to.seal.cipher = cipher;
  std::memcpy(to.seal.key.data(), key, sizeof key);
  to.seal.encrypt = encrypt;
  Status status;
  std::unique_ptr<TxEngine> tx = TxEngine::open(to, &status, &err);
  CHECK(tx != nullptr);
  if (!tx) return;
  tx->start([&](const JobDone& d) {
    std::lock_guard<std::mutex> lock(mu);
    done.push_back(d);
    cv.notify_all();
    return true;
  });
  SendJob job;
  job.id = 41;
  job.stream = kStreamImage;
  job.chunk = 0;
  job.data = chunk.data();
  job.length = length;
  job.allSymbols = false;
  job.symbols = {0, 2, 4, 5, 6, 7};                           // 1 and 3 lost
  job.parity = {repairSymbolId(0, 0), repairSymbolId(0, 200)};  // stripe 0 rebuilt
  CHECK(tx->check(job).ok());
  SendJob bad = job;
  bad.parity = {repairSymbolId(2, 0)};  // only two stripes
  CHECK(!tx->check(bad).ok());
  tx->submit(std::move(job));

  std::unique_lock<std::mutex> lock(mu);
  cv.wait_for(lock, std::chrono::seconds(5), [&] { return !completed.empty() && !done.empty(); });
  CHECK(done.size() == 1 && done[0].id == 41 && done[0].err == 0);
  CHECK(completed.size() == 1);
  if (completed.size() == 1) CHECK(completed[0].slot == 3 && std::memcmp(slot.data(), chunk.data(), length) == 0);
  lock.unlock();
  RxStats s = rx->stats();
  CHECK(s.malformed == 0 && s.decodedSymbols == 2 && s.repairSymbols == 2);
  CHECK(s.forged == 0 && s.replayed == 0 && s.noKey == 0);
  tx->stop();
  rx->stop();
}

}  // namespace

void engineRoundTrip() {
  for (uint8_t cipher : sealCiphers())
    for (bool encrypt : {true, false}) roundTrip(cipher, encrypt);
  roundTrip(kCipherNone, false);
}
