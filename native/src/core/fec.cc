#include "core/fec.h"

#include <array>
#include <cstring>

#ifdef BLOCKCAST_HAVE_ISAL
#include <isa-l/erasure_code.h>
#if __has_include(<isa-l.h>)
#include <isa-l.h>  // the version macros
#endif
#endif

namespace blockcast::fec {

namespace {

constexpr int kIsalMinLen = 64;

// GF(2^8) with polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), generator 2:
// the field ISA-L uses.
struct Tables {
  std::array<uint8_t, 512> exp{};
  std::array<int, 256> log{};
  std::array<std::array<uint8_t, 256>, 256> mul{};  // mul[a][b] = a * b

  Tables() {
    int x = 1;
    for (int i = 0; i < 255; i++) {
      exp[i] = uint8_t(x);
      log[x] = i;
      x <<= 1;
      if (x & 0x100) x ^= 0x11D;
    }
    for (int i = 255; i < 512; i++) exp[i] = exp[i - 255];
    for (int a = 1; a < 256; a++)
      for (int b = 1; b < 256; b++) mul[a][b] = exp[log[a] + log[b]];
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

uint8_t gfInv(uint8_t a) { return a == 0 ? 0 : tables().exp[255 - tables().log[a]]; }

// Gauss-Jordan inversion of an n x n matrix; false if singular.
bool invertPortable(int n, std::vector<uint8_t> m, uint8_t* out) {
  const auto& mul = tables().mul;
  std::memset(out, 0, size_t(n) * n);
  for (int i = 0; i < n; i++) out[i * n + i] = 1;
  for (int col = 0; col < n; col++) {
    int pivot = col;
    while (pivot < n && m[pivot * n + col] == 0) pivot++;
    if (pivot == n) return false;
    if (pivot != col) {
      for (int j = 0; j < n; j++) {
        std::swap(m[col * n + j], m[pivot * n + j]);
        std::swap(out[col * n + j], out[pivot * n + j]);
      }
    }
    uint8_t inv = gfInv(m[col * n + col]);
    for (int j = 0; j < n; j++) {
      m[col * n + j] = mul[inv][m[col * n + j]];
      out[col * n + j] = mul[inv][out[col * n + j]];
    }
    for (int r = 0; r < n; r++) {
      uint8_t f = m[r * n + col];
      if (r == col || f == 0) continue;
      for (int j = 0; j < n; j++) {
        m[r * n + j] ^= mul[f][m[col * n + j]];
        out[r * n + j] ^= mul[f][out[col * n + j]];
      }
    }
  }
  return true;
}

void multiplyPortable(int k, int rows, const uint8_t* coeffs, int len, const uint8_t* const* src, uint8_t* const* out) {
  const auto& mul = tables().mul;
  for (int r = 0; r < rows; r++) {
    uint8_t* o = out[r];
    std::memset(o, 0, size_t(len));
    for (int j = 0; j < k; j++) {
      uint8_t c = coeffs[r * k + j];
      const uint8_t* s = src[j];
      if (c == 0) continue;
      if (c == 1) {
        for (int b = 0; b < len; b++) o[b] ^= s[b];
      } else {
        const uint8_t* t = mul[c].data();
        for (int b = 0; b < len; b++) o[b] ^= t[s[b]];
      }
    }
  }
}

}  // namespace

Backend bestBackend() {
#ifdef BLOCKCAST_HAVE_ISAL
  return Backend::Isal;
#else
  return Backend::Portable;
#endif
}

const char* backendName(Backend b) { return b == Backend::Isal ? "isa-l" : "portable"; }

const char* backendVersion() {
#if defined(BLOCKCAST_HAVE_ISAL) && __has_include(<isa-l.h>)
#define BLOCKCAST_STR2(x) #x
#define BLOCKCAST_STR(x) BLOCKCAST_STR2(x)
  return "isa-l " BLOCKCAST_STR(ISAL_MAJOR_VERSION) "." BLOCKCAST_STR(ISAL_MINOR_VERSION) "." BLOCKCAST_STR(ISAL_PATCH_VERSION);
#undef BLOCKCAST_STR
#undef BLOCKCAST_STR2
#else
  return backendName(bestBackend());
#endif
}

void generatorRow(int k, int row, uint8_t* out) {
  for (int j = 0; j < k; j++) out[j] = row < k ? uint8_t(row == j) : gfInv(uint8_t(row ^ j));
}

void multiply(Backend b, int k, int rows, const uint8_t* coeffs, int len, const uint8_t* const* src, uint8_t* const* out) {
#ifdef BLOCKCAST_HAVE_ISAL
  // ISA-L's vector kernels read blocks of at least 64 bytes (shorter ones
  // crash the AVX-512 path); symbols on the wire are >= 256 bytes, and the
  // rare short block costs nothing on the portable path, which agrees.
  if (b == Backend::Isal && len >= kIsalMinLen) {
    std::vector<uint8_t> gftbls(size_t(32) * k * rows);
    ec_init_tables(k, rows, const_cast<uint8_t*>(coeffs), gftbls.data());
    ec_encode_data(len, k, rows, gftbls.data(), const_cast<uint8_t**>(src), const_cast<uint8_t**>(out));
    return;
  }
#endif
  (void)b;
  multiplyPortable(k, rows, coeffs, len, src, out);
}

void encode(Backend b, int k, int len, const uint8_t* const* src, int n, const int* parity, uint8_t* const* out) {
  std::vector<uint8_t> coeffs(size_t(n) * k);
  for (int i = 0; i < n; i++) generatorRow(k, k + parity[i], coeffs.data() + size_t(i) * k);
  multiply(b, k, n, coeffs.data(), len, src, out);
}

// Syndrome decoding: with the r unknown sources U and r parity symbols P
// among `have`, each parity gives one equation
//   sum_{u in U} C[p][u] x_u = parity_p + sum_{j known} C[p][j] s_j
// (in GF(2^8) subtraction is addition). So: r syndromes cost r * k symbol
// multiply-adds, then an r x r system is solved. Typical r is a handful, so
// this is far cheaper than inverting the whole k x k matrix.
bool decode(Backend b, int k, int len, const uint8_t* const* have, const int* rows, int nmissing, const int* missing,
            uint8_t* const* out) {
  if (k < 1 || k > kMaxRows) return false;
  std::array<bool, kMaxRows> seen{};
  std::vector<int> parityRows;   // generator rows of the parity symbols held
  std::vector<int> parityAt;     // their positions in `have`
  std::vector<bool> known(size_t(k), false);
  for (int i = 0; i < k; i++) {
    if (rows[i] < 0 || rows[i] >= kMaxRows || seen[size_t(rows[i])]) return false;
    seen[size_t(rows[i])] = true;
    if (rows[i] < k) {
      known[size_t(rows[i])] = true;
    } else {
      parityRows.push_back(rows[i]);
      parityAt.push_back(i);
    }
  }
  std::vector<int> unknown;
  for (int j = 0; j < k; j++)
    if (!known[size_t(j)]) unknown.push_back(j);
  int r = int(unknown.size());  // == parityRows.size(), since `have` holds k distinct symbols
  for (int i = 0; i < nmissing; i++)
    if (missing[i] < 0 || missing[i] >= k || known[size_t(missing[i])]) return false;
  if (r == 0) return nmissing == 0;

  // Syndromes: for parity row p, coefficient C[p][j] on each known source and
  // 1 on the parity symbol itself, over `have` in its order.
  std::vector<uint8_t> gen(static_cast<size_t>(k));
  std::vector<uint8_t> synCoeffs(size_t(r) * k, 0);
  for (int i = 0; i < r; i++) {
    generatorRow(k, parityRows[size_t(i)], gen.data());
    for (int h = 0; h < k; h++) {
      int row = rows[h];
      synCoeffs[size_t(i) * k + h] = row < k ? gen[size_t(row)] : uint8_t(h == parityAt[size_t(i)]);
    }
  }
  std::vector<uint8_t> syn(size_t(r) * len);
  std::vector<uint8_t*> synPtrs(static_cast<size_t>(r));
  for (int i = 0; i < r; i++) synPtrs[size_t(i)] = syn.data() + size_t(i) * len;
  multiply(b, k, r, synCoeffs.data(), len, have, synPtrs.data());

  // Solve A x = syndromes with A[i][u] = C[p_i][unknown_u].
  std::vector<uint8_t> a(size_t(r) * r);
  for (int i = 0; i < r; i++) {
    generatorRow(k, parityRows[size_t(i)], gen.data());
    for (int u = 0; u < r; u++) a[size_t(i) * r + u] = gen[size_t(unknown[size_t(u)])];
  }
  std::vector<uint8_t> inv(size_t(r) * r);
  if (!invertPortable(r, a, inv.data())) return false;
  // Only the rows of the requested sources.
  std::vector<uint8_t> coeffs(size_t(nmissing) * r);
  for (int i = 0; i < nmissing; i++) {
    int u = 0;
    while (unknown[size_t(u)] != missing[i]) u++;
    std::memcpy(coeffs.data() + size_t(i) * r, inv.data() + size_t(u) * r, size_t(r));
  }
  std::vector<const uint8_t*> synIn(synPtrs.begin(), synPtrs.end());
  multiply(b, r, nmissing, coeffs.data(), len, synIn.data(), out);
  return true;
}

}  // namespace blockcast::fec
