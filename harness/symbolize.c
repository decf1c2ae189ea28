/* symbolize.c -- batch symbolization of findings' frames with
 * llvm-symbolizer (or addr2line), cached by (binary, address); it never
 * parses sanitizer reports and never runs a tool per frame.
 *
 * Input written to the tool, one request a line: "0xADDR" for code,
 * "DATA 0xADDR" for a global (llvm-symbolizer only).
 * Accepted output:
 *   llvm-symbolizer  per request a block ended by an empty line:
 *                      code: (FUNC "\n" FILE:LINE[:COL] "\n")+  innermost first
 *                      data: NAME "\n" START " " SIZE "\n"
 *                    unknown parts are "??".
 *   addr2line -a -f -i  per request "0x" ADDR "\n" then (FUNC "\n" FILE:LINE
 *                    [" (discriminator N)"] "\n")+, innermost first.
 * Of the FUNC/FILE pairs (innermost first) the first outside /usr/ is used.
 */
#include "symbolize.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report_text.h"
#include "util.h"

extern char **environ;

/* One cached answer. */
typedef struct rl__sym_entry {
  struct rl__sym_entry *next; /* hash chain */
  char *binary;
  uint64_t addr;              /* address looked up (offset-1 for callers) */
  int data;                   /* 1: a DATA (global variable) lookup */
  int done;                   /* 0 while the request is pending */
  char *function;             /* or the variable's name; NULL if unknown */
  char *file;
  int line;
} rl__sym_entry;

#define RL__SYM_BUCKETS 4096

struct rl_symbolizer {
  char *tool;  /* path of the tool, NULL if none was found */
  int llvm;    /* 1: llvm-symbolizer, 0: addr2line */
  rl__sym_entry *buckets[RL__SYM_BUCKETS];
};

/* ---- setup --------------------------------------------------------------- */

rl_symbolizer *rl_symbolizer_new(void) {
  rl_symbolizer *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  const char *forced = getenv("RL_SYMBOLIZER");
  if (forced && *forced) {
    s->tool = strchr(forced, '/') ? strdup(forced) : rl_find_program(forced);
    s->llvm = strstr(forced, "addr2line") == NULL;
  } else if ((s->tool = rl_find_program("llvm-symbolizer"))) {
    s->llvm = 1;
  } else {
    s->tool = rl_find_program("addr2line");
  }
  return s;
}

void rl_symbolizer_free(rl_symbolizer *s) {
  if (!s)
    return;
  for (size_t i = 0; i < RL__SYM_BUCKETS; i++) {
    rl__sym_entry *e = s->buckets[i];
    while (e) {
      rl__sym_entry *next = e->next;
      free(e->binary);
      free(e->function);
      free(e->file);
      free(e);
      e = next;
    }
  }
  free(s->tool);
  free(s);
}

/* ---- cache --------------------------------------------------------------- */

static size_t rl__sym_hash(const char *binary, uint64_t addr, int data) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (const char *p = binary; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ull;
  h = (h ^ addr) * 1099511628211ull;
  h = (h ^ (uint64_t)data) * 1099511628211ull;
  return (size_t)(h % RL__SYM_BUCKETS);
}

/* Finds the entry, creating a pending one if create is set. */
static rl__sym_entry *rl__sym_get(rl_symbolizer *s, const char *binary,
                                  uint64_t addr, int data, int create) {
  size_t h = rl__sym_hash(binary, addr, data);
  for (rl__sym_entry *e = s->buckets[h]; e; e = e->next)
    if (e->addr == addr && e->data == data && strcmp(e->binary, binary) == 0)
      return e;
  if (!create)
    return NULL;
  rl__sym_entry *e = calloc(1, sizeof *e);
  if (!e || !(e->binary = strdup(binary))) {
    free(e);
    return NULL;
  }
  e->addr = addr;
  e->data = data;
  e->next = s->buckets[h];
  s->buckets[h] = e;
  return e;
}

/* ---- walking the findings ------------------------------------------------ */

static const char *rl__base(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static int rl__is_binary(const rl_frame *fr, const char *binary) {
  return fr->module && (strcmp(fr->module, binary) == 0 ||
                        strcmp(rl__base(fr->module), rl__base(binary)) == 0);
}

static int rl__is_global(const rl_finding *f) {
  return f->object && strncmp(f->object, "global", 6) == 0 &&
         f->object_origin.count == 1;
}

/* Called with each frame that needs symbolizing, the address to look up,
 * whether it is a global (data), and its finding; returns how many frames
 * it handled (0 or 1) or a negative errno, which stops the walk. */
typedef int (*rl__frame_visit)(rl_symbolizer *s, const char *binary,
                               rl_frame *fr, uint64_t addr, int data,
                               rl_finding *f);

static int rl__visit_stack(rl_symbolizer *s, const char *binary, rl_stack *st,
                           rl_finding *f, rl__frame_visit visit) {
  int n = 0;
  for (size_t i = 0; i < st->count; i++) {
    rl_frame *fr = &st->frames[i];
    if (fr->function || !rl__is_binary(fr, binary))
      continue;
    /* Below the top, offset-1: symbolize.h says why. */
    uint64_t addr = i > 0 && fr->offset ? fr->offset - 1 : fr->offset;
    int r = visit(s, binary, fr, addr, 0, f);
    if (r < 0)
      return r;
    n += r;
  }
  return n;
}

static int rl__visit_all(rl_symbolizer *s, const char *binary,
                         rl_findings *list, rl__frame_visit visit) {
  int n = 0, r;
  for (size_t i = 0; i < list->count; i++) {
    rl_finding *f = &list->items[i];
    for (size_t j = 0; j < f->nlocations; j++) {
      if ((r = rl__visit_stack(s, binary, &f->locations[j].stack, f, visit)) < 0)
        return r;
      n += r;
    }
    for (size_t j = 0; j < f->nthreads; j++) {
      if ((r = rl__visit_stack(s, binary, &f->threads[j].created_at, f, visit)) < 0)
        return r;
      n += r;
    }
    if (rl__is_global(f)) {
      rl_frame *fr = &f->object_origin.frames[0];
      if (!fr->function && rl__is_binary(fr, binary)) {
        if ((r = visit(s, binary, fr, fr->offset, 1, f)) < 0)
          return r;
        n += r;
      }
    } else if ((r = rl__visit_stack(s, binary, &f->object_origin, f, visit)) < 0) {
      return r;
    } else {
      n += r;
    }
  }
  return n;
}

/* First pass: count the requests not yet in the cache (they become
 * pending entries). */
static int rl__want(rl_symbolizer *s, const char *binary, rl_frame *fr,
                    uint64_t addr, int data, rl_finding *f) {
  if (data && !s->llvm)
    return 0; /* addr2line cannot name data */
  rl__sym_entry *e = rl__sym_get(s, binary, addr, data, 0);
  if (e)
    return 0;
  return rl__sym_get(s, binary, addr, data, 1) ? 1 : -ENOMEM;
}

/* Writes one pending request line per pending entry of binary to out, in
 * the order they will be answered; fills order[] with the entries. */
static size_t rl__pending(rl_symbolizer *s, const char *binary, FILE *out,
                          rl__sym_entry **order, size_t cap) {
  size_t n = 0;
  for (size_t i = 0; i < RL__SYM_BUCKETS; i++)
    for (rl__sym_entry *e = s->buckets[i]; e; e = e->next)
      if (!e->done && strcmp(e->binary, binary) == 0 && n < cap) {
        fprintf(out, "%s0x%llx\n", e->data ? "DATA " : "",
                (unsigned long long)e->addr);
        order[n++] = e;
      }
  return n;
}

/* Second pass: copy the cached answer into the frame. */
static int rl__apply(rl_symbolizer *s, const char *binary, rl_frame *fr,
                     uint64_t addr, int data, rl_finding *f) {
  rl__sym_entry *e = rl__sym_get(s, binary, addr, data, 0);
  if (!e || !e->done || !e->function)
    return 0;
  if (!(fr->function = strdup(e->function)))
    return -ENOMEM;
  if (e->file && !(fr->file = strdup(e->file)))
    return -ENOMEM;
  fr->line = e->line;
  if (data && strcmp(f->object, "global") == 0) {
    char *object = rl__fmt("global `%s`", e->function);
    if (!object)
      return -ENOMEM;
    free(f->object);
    f->object = object;
  }
  return 1;
}

/* ---- running the tool ---------------------------------------------------- */

/* Runs the tool on the requests in fd (rewound), returns its stdout as a
 * NUL-terminated heap string in *out, or a negative errno. */
static int rl__run_tool(rl_symbolizer *s, const char *binary, int fd, char **out) {
  char *obj = s->llvm ? rl__fmt("--obj=%s", binary) : NULL;
  char *argv_llvm[] = {s->tool, obj, "--inlines", NULL};
  char *argv_a2l[] = {s->tool, "-a", "-f", "-i", "-e", (char *)binary, NULL};
  int pipefd[2] = {-1, -1};
  int rc = -ENOMEM;
  posix_spawn_file_actions_t fa;
  pid_t pid;
  if ((s->llvm && !obj) || pipe(pipefd) < 0)
    goto out;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fd, 0);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclose(&fa, pipefd[0]);
  rc = posix_spawn(&pid, s->tool, &fa, NULL, s->llvm ? argv_llvm : argv_a2l,
                   environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipefd[1]);
  if (rc != 0) {
    rc = -rc;
    goto out;
  }
  /* The input is a file, so the tool never blocks on us: read to EOF. */
  size_t len = 0, cap = 4096;
  char *buf = malloc(cap);
  for (;;) {
    if (buf && len + 1024 > cap) {
      char *bigger = realloc(buf, cap * 2);
      if (!bigger) {
        free(buf);
        buf = NULL;
      } else {
        buf = bigger;
        cap *= 2;
      }
    }
    char sink[1024];
    ssize_t r = buf ? read(pipefd[0], buf + len, cap - len - 1)
                    : read(pipefd[0], sink, sizeof sink);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    if (buf)
      len += (size_t)r;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!buf) {
    rc = -ENOMEM;
    goto out;
  }
  buf[len] = '\0';
  *out = buf;
  rc = 0;
out:
  if (pipefd[0] >= 0)
    close(pipefd[0]);
  free(obj);
  return rc;
}

/* Stores FUNC and "FILE:LINE[:COL][ (discriminator N)]" into e. */
static int rl__store(rl__sym_entry *e, rl__line func, rl__line src) {
  /* The sanitizers print their interceptors under the intercepted name;
   * so do we, or the same frame would read differently in symbolize=1
   * reports. */
  if (rl__starts_with(func, "__interceptor_")) {
    func.s += 14;
    func.len -= 14;
  }
  if (func.len && !(func.len == 2 && memcmp(func.s, "??", 2) == 0) &&
      !(e->function = rl__strndup(func.s, func.len)))
    return -ENOMEM;
  if (e->data)
    return 0; /* the second line is "START SIZE" */
  const char *disc = rl__find(src, " (discriminator");
  const char *end = disc ? disc - 15 : src.s + src.len;
  rl_frame fr = {0};
  if (rl__parse_source(src.s, end, &fr) < 0)
    return -ENOMEM;
  e->file = fr.file;
  e->line = fr.line;
  return 0;
}

/* One inlined frame of an answer: function and source lines. */
typedef struct {
  rl__line func;
  rl__line src;
} rl__sym_pair;

/* Reads one answer's frames (at most max are kept) into pairs; returns
 * how many, or -1 when the output has no more answers. */
static int rl__next_answer(const rl_symbolizer *s, rl__lines *it,
                           rl__sym_pair *pairs, int max) {
  rl__line line;
  int n = 0;
  if (!s->llvm) /* addr2line -a: an answer starts with the "0x..." line */
    do
      if (!rl__next_line(it, &line))
        return -1;
    while (!rl__starts_with(line, "0x"));
  for (;;) {
    rl__lines save = *it;
    if (!rl__next_line(it, &line))
      break;
    if (s->llvm && line.len == 0) {
      if (n == 0)
        continue; /* not yet in a block */
      break;
    }
    if (!s->llvm && rl__starts_with(line, "0x")) {
      *it = save; /* the next answer */
      break;
    }
    rl__sym_pair p = {line, {"", 0}};
    rl__next_line(it, &p.src);
    if (n < max)
      pairs[n] = p;
    n += n < max;
  }
  return s->llvm && n == 0 ? -1 : n;
}

/* Reads the answers in text into order[0..n), marking each done. Of an
 * address's inlined frames (innermost first) the first one outside /usr/
 * is kept: a system header's inline function (a fortified memcpy) says
 * less than the line of the learner's code it was inlined into. */
static int rl__read_answers(const rl_symbolizer *s, const char *text,
                            rl__sym_entry **order, size_t n) {
  rl__lines it = {text, text + strlen(text)};
  size_t k = 0;
  while (k < n) {
    rl__sym_pair pairs[16];
    int np = rl__next_answer(s, &it, pairs, 16);
    if (np < 0)
      break;
    int pick = 0;
    while (pick + 1 < np && rl__starts_with(pairs[pick].src, "/usr/"))
      pick++;
    if (np > 0 && rl__store(order[k], pairs[pick].func, pairs[pick].src) < 0)
      return -ENOMEM;
    order[k++]->done = 1;
  }
  /* Whatever got no answer is settled as unknown, not asked again. */
  for (; k < n; k++)
    order[k]->done = 1;
  return 0;
}

int rl_symbolize_findings(rl_symbolizer *s, const char *binary, rl_findings *list) {
  if (!s || !s->tool || !binary)
    return 0;
  int want = rl__visit_all(s, binary, list, rl__want);
  if (want < 0)
    return want;
  if (want > 0) {
    rl__sym_entry **order = calloc((size_t)want, sizeof *order);
    char tmpl[] = "/tmp/rl_symbolize.XXXXXX";
    int fd = order ? mkstemp(tmpl) : -1;
    FILE *in = fd >= 0 ? fdopen(fd, "w+") : NULL;
    int rc = 0;
    if (fd >= 0)
      unlink(tmpl);
    if (!in) {
      rc = order ? -errno : -ENOMEM;
      if (fd >= 0)
        close(fd);
    } else {
      size_t n = rl__pending(s, binary, in, order, (size_t)want);
      char *answers = NULL;
      if (fflush(in) != 0 || lseek(fd, 0, SEEK_SET) < 0)
        rc = -errno;
      else
        rc = rl__run_tool(s, binary, fd, &answers);
      if (rc == 0)
        rc = rl__read_answers(s, answers, order, n);
      else
        for (size_t k = 0; k < n; k++)
          order[k]->done = 1; /* do not retry a tool that fails */
      free(answers);
      fclose(in);
    }
    free(order);
    if (rc < 0)
      return rc;
  }
  return rl__visit_all(s, binary, list, rl__apply);
}
