/* util.h -- small helpers every stage needs: allocation that aborts on
 * exhaustion, formatted strings, whole-file reads, paths and the clock. */
#ifndef RL_UTIL_H
#define RL_UTIL_H

#include <stddef.h>

/* Allocation failure is not recoverable for a command-line tool: these
 * print one line and exit with the internal-error code. */
void *rl_xmalloc(size_t n);
void *rl_xcalloc(size_t count, size_t n);
void *rl_xrealloc(void *p, size_t n);
char *rl_xstrdup(const char *s);
char *rl_xstrndup(const char *s, size_t n);
char *rl_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Read a whole file; NUL-terminated. Returns NULL and sets errno on failure. */
char *rl_read_file(const char *path, size_t *len);
/* Read a file the program under test could have tampered with: only a
 * regular file, never through a link (to /etc/shadow, /dev/zero) and never
 * a FIFO (its open would wait for ever), at most max bytes of it. Returns
 * NULL and sets errno otherwise (EINVAL: not a regular file). */
char *rl_read_untrusted_file(const char *path, size_t max, size_t *len);
/* Write a whole file atomically (temporary file, then rename). 0 or -errno. */
int rl_write_file_atomic(const char *path, const char *data, size_t len);

/* The path of an executable: name itself if it holds a '/', else the first
 * match on $PATH. NULL if none. */
char *rl_find_program(const char *name);
char *rl_path_join(const char *dir, const char *name);
const char *rl_path_basename(const char *path);
int rl_is_dir(const char *path);
int rl_is_file(const char *path);
/* mkdir -p; 0 or -errno. */
int rl_mkdirs(const char *path);
/* rm -rf of a folder racelab made; 0 or -errno. */
int rl_remove_tree(const char *path);

/* Split s at spaces into a NULL-terminated array of fresh strings. */
char **rl_split_words(const char *s, size_t *count);
void rl_free_strv(char **v);

/* Line n (1-based) of text, without its newline, or NULL. */
char *rl_text_line(const char *text, int n);

/* Milliseconds on the monotonic clock, for durations and deadlines. */
long rl_now_ms(void);
/* Sleeps ms milliseconds, the whole of them even when a signal comes.
 * Async-signal-safe. */
void rl_sleep_ms(long ms);

#endif
