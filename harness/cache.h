/* cache.h -- the build cache: a content hash of everything that decides a
 * binary (sources, flags, compiler version, runtime), and where the binaries
 * live. An unchanged program is never rebuilt. */
#ifndef RL_CACHE_H
#define RL_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* 128-bit FNV-1a (two 64-bit lanes with different offsets): plenty against
 * accidental collisions, which is all a local build cache needs. */
typedef struct {
  uint64_t a, b;
} rl_hash;

void rl_hash_init(rl_hash *h);
void rl_hash_update(rl_hash *h, const void *data, size_t len);
/* Adds s with its terminating NUL, so ("ab","c") and ("a","bc") differ. */
void rl_hash_string(rl_hash *h, const char *s);
/* Adds a file's path and content. Returns 0, or -errno if unreadable. */
int rl_hash_file(rl_hash *h, const char *path);
/* 32 lowercase hex digits and a NUL. */
void rl_hash_hex(const rl_hash *h, char out[33]);

/* $RACELAB_CACHE, else the build tree's cache folder. Created on demand:
 * returns NULL with errno set if it cannot be. */
const char *rl_cache_dir(void);

#endif
