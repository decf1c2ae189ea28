/* cache.c -- content hashing and the cache folder. It does not decide what
 * goes into a key: build.c does. */
#include "cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define FNV_PRIME 0x100000001b3ULL

void rl_hash_init(rl_hash *h) {
  h->a = 0xcbf29ce484222325ULL;
  h->b = 0x84222325cbf29ce4ULL;
}

void rl_hash_update(rl_hash *h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++) {
    h->a = (h->a ^ p[i]) * FNV_PRIME;
    h->b = (h->b ^ (unsigned char)(p[i] + 0x5b)) * FNV_PRIME;
  }
}

void rl_hash_string(rl_hash *h, const char *s) { rl_hash_update(h, s, strlen(s) + 1); }

int rl_hash_file(rl_hash *h, const char *path) {
  size_t len;
  char *data = rl_read_file(path, &len);
  if (!data) return -1;
  rl_hash_string(h, path);
  rl_hash_update(h, &len, sizeof len);
  rl_hash_update(h, data, len);
  free(data);
  return 0;
}

void rl_hash_hex(const rl_hash *h, char out[33]) {
  snprintf(out, 33, "%016llx%016llx", (unsigned long long)h->a, (unsigned long long)h->b);
}

const char *rl_cache_dir(void) {
  static char *dir;
  if (!dir) {
    const char *env = getenv("RACELAB_CACHE");
    dir = rl_xstrdup(env && *env ? env : RL_DEFAULT_CACHE_DIR);
  }
  return rl_mkdirs(dir) == 0 ? dir : NULL;
}
