// A failed check prints its place and counts; the test's exit status says
// whether any failed.
#pragma once

#include <cstdio>

extern int failures;

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                \
    }                                                            \
  } while (0)

// test/native/engine_test.cc
void engineRoundTrip();
// test/native/seal_test.cc
void sealTests();
// test/native/zstd_test.cc
void zstdTests();
