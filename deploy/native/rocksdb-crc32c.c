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
/*
 * The crc32 instruction takes 3 cycles and can start one per cycle: one chain of them runs at a
 * third of the CPU's speed. Blocks of three are checksummed side by side, each from register 0,
 * and joined: a register carried past n more bytes is, CRC being linear, the register after n
 * zero bytes XOR the register of those bytes from 0. Carrying a register past a block of zeros
 * takes four lookups in a table made for that block size.
 */
#define SHORT_BLOCK 256
#define LONG_BLOCK 8192

static uint32_t byte_table[256];
static uint32_t past_short_block[4][256];
static uint32_t past_long_block[4][256];
static int has_sse42;

/* The register after n zero bytes, from register reg (no inversions). */
__attribute__((target("sse4.2"))) static uint32_t past_zeros(uint32_t reg, size_t n) {
  uint64_t c = reg;
  for (; n >= 8; n -= 8) {
    c = _mm_crc32_u64(c, 0);
  }
  for (; n > 0; n--) {
    c = _mm_crc32_u8((uint32_t)c, 0);
  }
  return (uint32_t)c;
}

static void make_past_table(uint32_t table[4][256], size_t n) {
  for (int k = 0; k < 4; k++) {
    for (uint32_t b = 0; b < 256; b++) {
      table[k][b] = past_zeros(b << (8 * k), n);
    }
  }
}

static uint32_t carry_past(uint32_t table[4][256], uint32_t reg) {
  return table[0][reg & 0xff] ^ table[1][(reg >> 8) & 0xff] ^ table[2][(reg >> 16) & 0xff] ^ table[3][reg >> 24];
}

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
  if (has_sse42) {
    make_past_table(past_short_block, SHORT_BLOCK);
    make_past_table(past_long_block, LONG_BLOCK);
  }
}

static inline uint64_t word_at(const unsigned char *p) {
  uint64_t word;
  memcpy(&word, p, sizeof word);
  return word;
}

/* Three blocks of block bytes each, side by side, while n holds them; returns the register. */
__attribute__((target("sse4.2"))) static uint64_t update_three_ways(
    uint64_t c, const unsigned char **data, size_t *n, size_t block, uint32_t past_block[4][256]) {
  const unsigned char *p = *data;
  for (; *n >= 3 * block; *n -= 3 * block, p += 2 * block) {
    uint64_t c1 = 0;
    uint64_t c2 = 0;
    for (const unsigned char *end = p + block; p < end; p += 8) {
      c = _mm_crc32_u64(c, word_at(p));
      c1 = _mm_crc32_u64(c1, word_at(p + block));
      c2 = _mm_crc32_u64(c2, word_at(p + 2 * block));
    }
    c = carry_past(past_block, (uint32_t)c) ^ (uint32_t)c1;
    c = carry_past(past_block, (uint32_t)c) ^ (uint32_t)c2;
  }
  *data = p;
  return c;
}

__attribute__((target("sse4.2"))) static uint32_t update_sse42(uint32_t crc, const unsigned char *p, size_t n) {
  uint64_t c = crc;
  for (; n > 0 && ((uintptr_t)p & 7) != 0; n--) {
    c = _mm_crc32_u8((uint32_t)c, *p++);
  }
  c = update_three_ways(c, &p, &n, LONG_BLOCK, past_long_block);
  c = update_three_ways(c, &p, &n, SHORT_BLOCK, past_short_block);
  for (; n >= 8; n -= 8, p += 8) {
    c = _mm_crc32_u64(c, word_at(p));
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
