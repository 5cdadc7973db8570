// Reed-Solomon erasure code over GF(2^8) (polynomial 0x11D) with a Cauchy
// generator, as Intel ISA-L builds it: for a stripe of k source symbols,
// parity index p is generator row r = k + p, with coefficient
// 1 / (r XOR j) for source j. Any k of the k + (255 - k) symbols rebuild the
// stripe, and every parity index is a fresh symbol: one repair packet fixes
// a different loss at each receiver.
//
// Two backends share this interface and produce identical bytes: ISA-L when
// CMake finds it, and a portable table-driven one that is always built (the
// tests compare them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace blockcast::fec {

constexpr int kMaxRows = 255;  // k + parity indices never exceed this

enum class Backend { Portable, Isal };

// The fastest backend compiled in.
Backend bestBackend();
const char* backendName(Backend b);
// bestBackend's name and, for ISA-L, the version built against ("isa-l 2.30.0").
const char* backendVersion();

// Generator row `row` (0..254) for a stripe of k sources: identity for
// row < k, Cauchy for row >= k. Writes k coefficients.
void generatorRow(int k, int row, uint8_t* out);

// out[i] = sum_j coeffs[i*k + j] * src[j], each symbol `len` bytes.
void multiply(Backend b, int k, int rows, const uint8_t* coeffs, int len, const uint8_t* const* src, uint8_t* const* out);

// Parity symbols for parity indices `parity[0..n)` of a stripe of k sources.
void encode(Backend b, int k, int len, const uint8_t* const* src, int n, const int* parity, uint8_t* const* out);

// Rebuilds missing sources. `have` holds exactly k symbols with generator
// rows `rows` (distinct, in 0..254); `missing` lists the source indices to
// rebuild into `out`. Returns false if the rows do not form an invertible
// matrix (duplicate or out-of-range rows).
bool decode(Backend b, int k, int len, const uint8_t* const* have, const int* rows, int nmissing, const int* missing,
            uint8_t* const* out);

}  // namespace blockcast::fec
