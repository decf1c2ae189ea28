/* finding.c -- the finding-kind table, building and freeing findings, and
 * deduplicating them across runs; it never reads raw sanitizer text. */
#include "finding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- kind table ---------------------------------------------------------- */

static const struct {
  const char *name;
  const char *title;
  const char *fix;
} rl__kinds[RL_FINDING_KIND_COUNT] = {
#define XX(e, name, title, fix) [RL_FINDING_##e] = {name, title, fix},
    RL_FINDING_KIND_MAP(XX)
#undef XX
};

const char *rl_finding_kind_name(rl_finding_kind kind) {
  return (unsigned)kind < RL_FINDING_KIND_COUNT ? rl__kinds[kind].name : "unknown";
}

const char *rl_finding_kind_title(rl_finding_kind kind) {
  return (unsigned)kind < RL_FINDING_KIND_COUNT ? rl__kinds[kind].title : "Unknown";
}

const char *rl_finding_kind_fix(rl_finding_kind kind) {
  return (unsigned)kind < RL_FINDING_KIND_COUNT ? rl__kinds[kind].fix : "";
}

int rl_finding_kind_parse(const char *name, rl_finding_kind *kind) {
  for (int k = 0; name && k < RL_FINDING_KIND_COUNT; k++) {
    if (strcmp(name, rl__kinds[k].name) == 0) {
      *kind = (rl_finding_kind)k;
      return 0;
    }
  }
  return -1;
}

/* ---- building ------------------------------------------------------------ */

/* Grows an array of `count` elements of `size` bytes by one element. The
 * public structs carry no capacity field, so anyone may build these arrays;
 * growing by exactly one keeps that safe, and the lists are short. */
static void *rl__grow(void *items, size_t count, size_t size) {
  return realloc(items, (count + 1) * size);
}

rl_finding *rl_findings_add(rl_findings *list, rl_finding_kind kind) {
  rl_finding *items = rl__grow(list->items, list->count, sizeof *items);
  if (!items)
    return NULL;
  list->items = items;
  rl_finding *f = &items[list->count++];
  memset(f, 0, sizeof *f);
  f->kind = kind;
  /* A finding stands for one sighting until merged with others. */
  f->count = 1;
  return f;
}

rl_location *rl_finding_add_location(rl_finding *f) {
  rl_location *items = rl__grow(f->locations, f->nlocations, sizeof *items);
  if (!items)
    return NULL;
  f->locations = items;
  rl_location *loc = &items[f->nlocations++];
  memset(loc, 0, sizeof *loc);
  loc->thread = -1;
  return loc;
}

rl_thread *rl_finding_add_thread(rl_finding *f, int id) {
  rl_thread *items = rl__grow(f->threads, f->nthreads, sizeof *items);
  if (!items)
    return NULL;
  f->threads = items;
  rl_thread *t = &items[f->nthreads++];
  memset(t, 0, sizeof *t);
  t->id = id;
  return t;
}

rl_frame *rl_stack_push(rl_stack *stack) {
  rl_frame *items = rl__grow(stack->frames, stack->count, sizeof *items);
  if (!items)
    return NULL;
  stack->frames = items;
  rl_frame *fr = &items[stack->count++];
  memset(fr, 0, sizeof *fr);
  return fr;
}

static char *rl__dup(const char *s) { return s ? strdup(s) : NULL; }

void rl_stack_free(rl_stack *stack) {
  for (size_t i = 0; i < stack->count; i++) {
    free(stack->frames[i].module);
    free(stack->frames[i].function);
    free(stack->frames[i].file);
  }
  free(stack->frames);
  stack->frames = NULL;
  stack->count = 0;
}

/* Deep copy; on out-of-memory dst is left with the frames copied so far. */
void rl_stack_copy(rl_stack *dst, const rl_stack *src) {
  dst->frames = NULL;
  dst->count = 0;
  for (size_t i = 0; i < src->count; i++) {
    rl_frame *fr = rl_stack_push(dst);
    if (!fr)
      return;
    const rl_frame *s = &src->frames[i];
    fr->module = rl__dup(s->module);
    fr->offset = s->offset;
    fr->function = rl__dup(s->function);
    fr->file = rl__dup(s->file);
    fr->line = s->line;
  }
}

void rl_finding_free(rl_finding *f) {
  free(f->summary);
  free(f->explanation);
  free(f->detail);
  free(f->object);
  rl_stack_free(&f->object_origin);
  for (size_t i = 0; i < f->nlocations; i++) {
    rl_location *loc = &f->locations[i];
    free(loc->file);
    free(loc->function);
    free(loc->role);
    rl_stack_free(&loc->stack);
  }
  free(f->locations);
  for (size_t i = 0; i < f->nthreads; i++)
    rl_stack_free(&f->threads[i].created_at);
  free(f->threads);
  memset(f, 0, sizeof *f);
}

void rl_findings_free(rl_findings *list) {
  for (size_t i = 0; i < list->count; i++)
    rl_finding_free(&list->items[i]);
  free(list->items);
  list->items = NULL;
  list->count = 0;
}

/* ---- user frames --------------------------------------------------------- */

static int rl__starts(const char *s, const char *prefix) {
  return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Is the frame's module a shared library (libc.so.6, libtsan.so.2, ...)?
 * The program under test is an executable, so such a frame is never the
 * learner's code even when debug info gives it a file. */
static int rl__module_is_library(const char *module) {
  if (!module)
    return 0;
  const char *base = strrchr(module, '/');
  base = base ? base + 1 : module;
  return rl__starts(base, "lib") && strstr(base, ".so") != NULL;
}

static int rl__frame_is_user(const rl_frame *fr) {
  /* Racelab's runtime and the sanitizers' entry points, by name prefix. */
  static const char *const fn_prefixes[] = {
      "rlrt_",  "__wrap_", "__real_",     "__tsan",         "__asan",
      "__lsan", "__ubsan", "__sanitizer", "__interceptor_", "__libc_start",
      "__GI_",  "__pthread_kill",
  };
  /* libc's thread and process start-up, when it has debug info. */
  static const char *const fn_names[] = {"start_thread", "clone", "clone3",
                                         "_start"};
  /* Source trees that are not the learner's: system headers, the sanitizer
   * runtimes (gcc's libsanitizer prints relative ../../../../src/ paths,
   * clang's compiler-rt), glibc's own sources and racelab's runtime. */
  static const char *const file_parts[] = {
      "/libsanitizer/", "compiler-rt/", "/sanitizer_common/",
      "sysdeps/",       "nptl/",        "harness/runtime/",
  };
  /* A sanitizer that symbolizes (symbolize=1) prints glibc's frames with
   * paths relative to glibc's tree and no module; these are its top-level
   * directories that show up in stacks. */
  static const char *const glibc_dirs[] = {
      "csu/",   "stdlib/", "libio/", "stdio-common/", "string/", "malloc/",
      "misc/",  "posix/",  "signal/", "elf/",         "io/",     "assert/",
  };
  if (!fr->file || !fr->file[0] || rl__starts(fr->file, "/usr/") ||
      rl__starts(fr->file, "../") || rl__module_is_library(fr->module))
    return 0;
  for (size_t i = 0; i < sizeof glibc_dirs / sizeof *glibc_dirs; i++)
    if (rl__starts(fr->file, glibc_dirs[i]))
      return 0;
  for (size_t i = 0; i < sizeof fn_prefixes / sizeof *fn_prefixes; i++)
    if (rl__starts(fr->function, fn_prefixes[i]))
      return 0;
  for (size_t i = 0; fr->function && i < sizeof fn_names / sizeof *fn_names; i++)
    if (strcmp(fr->function, fn_names[i]) == 0)
      return 0;
  for (size_t i = 0; i < sizeof file_parts / sizeof *file_parts; i++)
    if (strstr(fr->file, file_parts[i]))
      return 0;
  return 1;
}

/* The pipeline numbers every run's findings from 1. */
int rl_finding_before_runs(const rl_finding *f) { return f->first_run == 0; }

const rl_frame *rl_stack_user_frame(const rl_stack *stack) {
  for (size_t i = 0; i < stack->count; i++)
    if (rl__frame_is_user(&stack->frames[i]))
      return &stack->frames[i];
  return NULL;
}

void rl_finding_locate(rl_finding *f) {
  for (size_t i = 0; i < f->nlocations; i++) {
    rl_location *loc = &f->locations[i];
    if (loc->file)
      continue;
    const rl_frame *fr = rl_stack_user_frame(&loc->stack);
    if (!fr)
      continue;
    loc->file = rl__dup(fr->file);
    loc->line = fr->line;
    if (!loc->function)
      loc->function = rl__dup(fr->function);
  }
}

/* ---- deduplication ------------------------------------------------------- */

/* A location's identity for deduplication: file:line once located; before
 * that (binary gone, symbolization failed) the top frame's module+offset,
 * which is just as stable for one binary. */
static char *rl__location_key(const rl_location *loc) {
  if (loc->file)
    return rl_xasprintf("%s:%d", loc->file, loc->line);
  if (loc->stack.count)
    return rl_xasprintf("%s+0x%llx",
                        loc->stack.frames[0].module ? loc->stack.frames[0].module : "?",
                        (unsigned long long)loc->stack.frames[0].offset);
  return rl_xstrdup("-");
}

static int rl__cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "kind|loc|loc|...". For a data race the two accesses are sorted, so
 * T1-writes/T2-reads and the same race seen the other way round share a
 * key. A lock cycle is the same cycle whichever edge a report starts from
 * (TSan starts from the thread that closed it), so all of its locations
 * are sorted. */
static char *rl__finding_key(const rl_finding *f) {
  size_t n = f->nlocations;
  char **parts = rl_xcalloc(n ? n : 1, sizeof *parts);
  for (size_t i = 0; i < n; i++)
    parts[i] = rl__location_key(&f->locations[i]);
  if (f->kind == RL_FINDING_DATA_RACE && n >= 2)
    qsort(parts, 2, sizeof *parts, rl__cmp_str);
  else if (f->kind == RL_FINDING_LOCK_ORDER_INVERSION)
    qsort(parts, n, sizeof *parts, rl__cmp_str);
  char *key = rl_xstrdup(rl_finding_kind_name(f->kind));
  for (size_t i = 0; i < n; i++) {
    char *longer = rl_xasprintf("%s|%s", key, parts[i]);
    free(key);
    free(parts[i]);
    key = longer;
  }
  free(parts);
  return key;
}

/* Gives keep the words of other (summary, object, locations, threads: all
 * but its place among the runs), and other keep's old ones, to be freed. */
static void rl__take_words(rl_finding *keep, rl_finding *other) {
  rl_finding words = *other;
  words.first_run = keep->first_run;
  words.seed = keep->seed;
  words.mode = keep->mode;
  words.build = keep->build;
  words.count = keep->count;
  *other = *keep;
  *keep = words;
}

/* Allocation failure while merging exits through util.c's rl_x* helpers:
 * merge has no error path, and half-merged findings would be wrong. */
void rl_findings_merge(rl_findings *into, rl_findings *more) {
  /* Room for every finding of more, so moving one in cannot fail. */
  into->items = rl_xrealloc(into->items,
                            (into->count + more->count + 1) * sizeof *into->items);
  char **keys = rl_xcalloc(into->count + more->count + 1, sizeof *keys);
  for (size_t j = 0; j < into->count; j++)
    keys[j] = rl__finding_key(&into->items[j]);
  for (size_t i = 0; i < more->count; i++) {
    rl_finding *m = &more->items[i];
    char *key = rl__finding_key(m);
    rl_finding *same = NULL;
    for (size_t j = 0; j < into->count && !same; j++)
      if (strcmp(keys[j], key) == 0)
        same = &into->items[j];
    if (same) {
      if (m->runtime_ids && !same->runtime_ids)
        rl__take_words(same, m);
      same->count += m->count;
      rl_finding_free(m);
      free(key);
      continue;
    }
    keys[into->count] = key;
    into->items[into->count++] = *m;
  }
  for (size_t j = 0; j < into->count; j++)
    free(keys[j]);
  free(keys);
  free(more->items);
  more->items = NULL;
  more->count = 0;
}
