/*
 * Checks rocksdb-crc32c.c's checksum against the plain byte-at-a-time CRC32C over every length up
 * to a few three-block runs and every alignment, on random bytes, and against the standard check
 * value; build.sh runs it after building the library and fails the build on any difference.
 */
#include "rocksdb-crc32c.c"

#include <stdio.h>
#include <stdlib.h>

int main(void) {
  if (_ZN7rocksdb6crc32c6ExtendEjPKcm(0, "123456789", 9) != 0xE3069283u) {
    fprintf(stderr, "crc32c check: wrong checksum of \"123456789\"\n");
    return 1;
  }
  size_t size = 3 * LONG_BLOCK * 2 + 3 * SHORT_BLOCK + 64;
  unsigned char *buffer = malloc(size + 8);
  srand(7);
  for (size_t i = 0; i < size + 8; i++) {
    buffer[i] = (unsigned char)rand();
  }
  for (size_t offset = 0; offset < 8; offset++) {
    for (size_t n = 0; n <= size; n += (n < 4 * SHORT_BLOCK ? 1 : 61)) {
      uint32_t seed = (uint32_t)(n * 2654435761u);
      uint32_t want = ~update_bytewise(~seed, buffer + offset, n);
      uint32_t got = _ZN7rocksdb6crc32c6ExtendEjPKcm(seed, (const char *)buffer + offset, n);
      if (got != want) {
        fprintf(stderr, "crc32c check: %zu bytes at offset %zu: %08x, expected %08x\n", n, offset, got, want);
        return 1;
      }
    }
  }
  free(buffer);
  return 0;
}
