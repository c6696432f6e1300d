/*
 * rocksdb::crc32c::Extend computed with SSE4.2's crc32 instruction, for RocksDB's published Java
 * library (rocksdbjni), which is built portable and so without it: its LOG says "Fast CRC32
 * supported: Not supported on x86", and its table-driven CRC32C took 12% of a node's CPU while
 * producing (every write-ahead log record, every blob written) and a third of it while consuming
 * (every blob read is verified). RocksDB calls the function through its PLT, so this library,
 * preloaded into the node's JVM (LD_PRELOAD, set by bin/ordo-node, bin/ordo-cluster and the
 * image's entrypoint), replaces it for every caller. Same checksum, bit for bit: data written
 * with it is read without it and the other way round (RocksDbCrc32cTest).
 */
#include <nmmintrin.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CASTAGNOLI_REFLECTED 0x82F63B78u

static uint32_t byte_table[256];
static int has_sse42;

__attribute__((constructor)) static void init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; bit++) {
      c = (c >> 1) ^ (CASTAGNOLI_REFLECTED & (0u - (c & 1)));
    }
    byte_table[i] = c;
  }
  __builtin_cpu_init();
  has_sse42 = __builtin_cpu_supports("sse4.2");
}

__attribute__((target("sse4.2"))) static uint32_t update_sse42(uint32_t crc, const unsigned char *p, size_t n) {
  uint64_t c = crc;
  for (; n > 0 && ((uintptr_t)p & 7) != 0; n--) {
    c = _mm_crc32_u8((uint32_t)c, *p++);
  }
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t word;
    memcpy(&word, p, sizeof word);
    c = _mm_crc32_u64(c, word);
  }
  for (; n > 0; n--) {
    c = _mm_crc32_u8((uint32_t)c, *p++);
  }
  return (uint32_t)c;
}

/* Only for x86-64 CPUs older than SSE4.2 (before 2009-2011), where it is slower than RocksDB's own. */
static uint32_t update_bytewise(uint32_t crc, const unsigned char *p, size_t n) {
  for (; n > 0; n--) {
    crc = (crc >> 8) ^ byte_table[(crc ^ *p++) & 0xff];
  }
  return crc;
}

/* uint32_t rocksdb::crc32c::Extend(uint32_t init_crc, const char* data, size_t n) */
uint32_t _ZN7rocksdb6crc32c6ExtendEjPKcm(uint32_t init_crc, const char *data, size_t n) {
  const unsigned char *p = (const unsigned char *)data;
  uint32_t crc = ~init_crc;
  crc = has_sse42 ? update_sse42(crc, p, n) : update_bytewise(crc, p, n);
  return ~crc;
}
