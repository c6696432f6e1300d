/* A broken rocksdb::crc32c::Extend for RocksDbCrc32cTest: every checksum is 0. */
#include <stddef.h>
#include <stdint.h>

uint32_t _ZN7rocksdb6crc32c6ExtendEjPKcm(uint32_t init_crc, const char *data, size_t n) {
  (void)init_crc;
  (void)data;
  (void)n;
  return 0;
}
