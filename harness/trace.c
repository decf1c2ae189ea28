/* trace.c -- reads the runtime's trace rings into ordered events, gives
 * them short ids and source lines, and finds where a finding arose among
 * them. It accepts exactly the layout of rlrt_protocol.h (TRACE): the
 * 64-byte header with its magic, then records; slots with seq 0 or from an
 * older lap are skipped, a partial last record is ignored. */
#include "trace.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* The largest ring the runtime writes (rlrt_trace.c); no more is read. */
#define RING_MAX (sizeof(rlrt_trace_header) + RLRT_TRACE_CAP * sizeof(rlrt_trace_record))
/* The module lines come first in a log: this much of it holds them. */
#define LOG_HEAD_MAX (1024 * 1024)
/* Rings read from one run: a fork bomb's thousands are not worth a trace. */
#define MAX_RINGS 64

static const char *const event_names[RLRT_TEV_COUNT] = {
    [RLRT_TEV_NONE] = "?",
#define XX(e, name) [RLRT_TEV_##e] = name,
    RLRT_TRACE_EVENT_MAP(XX)
#undef XX
};

const char *rl_trace_event_name(int event) {
  return event > 0 && event < RLRT_TEV_COUNT ? event_names[event] : "?";
}

static void object_id(const rlrt_trace_record *r, char *buf, size_t cap) {
  static const char prefix[] = " MRCSBTR"; /* by RLRT_TOBJ_* */
  if (r->obj_kind == RLRT_TOBJ_NONE || r->obj_kind >= sizeof prefix - 1)
    buf[0] = '\0';
  else
    snprintf(buf, cap, "%c%u", prefix[r->obj_kind], r->obj);
}

/* ip as a frame: return addresses are looked up one byte back, in the
 * call (as rl__rlrt_stack does); start and callback ips are functions. */
static void call_site(const rlrt_trace_record *r, const rl__rlrt_modules *mods, rl_frame *fr) {
  memset(fr, 0, sizeof *fr);
  if (!r->ip) return;
  uint64_t ip = r->ip - (r->event != RLRT_TEV_START && r->event != RLRT_TEV_REQ_DONE);
  fr->offset = ip;
  for (size_t m = 0; mods && m < mods->count; m++)
    if (ip >= mods->items[m].lo && ip < mods->items[m].hi) {
      fr->offset = ip - mods->items[m].base;
      fr->module = rl_xstrdup(mods->items[m].path);
      return;
    }
}

static int by_seq(const void *a, const void *b) {
  uint64_t x = ((const rl_trace_event *)a)->seq, y = ((const rl_trace_event *)b)->seq;
  return (x > y) - (x < y);
}

int rl_trace_read_ring(const char *path, const rl__rlrt_modules *mods, rl_trace *out) {
  size_t len;
  char *data = rl_read_untrusted_file(path, RING_MAX, &len);
  if (!data) return -errno;
  rlrt_trace_header h;
  if (len < sizeof h) {
    free(data);
    return -EINVAL;
  }
  memcpy(&h, data, sizeof h);
  if (memcmp(h.magic, RLRT_TRACE_MAGIC, sizeof h.magic) != 0 || h.rec_size != sizeof(rlrt_trace_record) ||
      h.cap == 0) {
    free(data);
    return -EINVAL;
  }
  if (!out->count) out->start_ns = h.start_ns;
  size_t have = (len - sizeof h) / sizeof(rlrt_trace_record);
  if (have > h.cap) have = h.cap;
  /* Only the latest lap is valid: a slot of an older one is stale. */
  uint64_t oldest = h.next > h.cap ? h.next - h.cap + 1 : 1;
  if (h.next > h.cap) out->dropped += h.next - h.cap;
  size_t first = out->count;
  out->items = rl_xrealloc(out->items, (out->count + have) * sizeof *out->items);
  for (size_t i = 0; i < have; i++) {
    rlrt_trace_record r;
    memcpy(&r, data + sizeof h + i * sizeof r, sizeof r);
    if (r.seq < oldest || r.seq > h.next || (r.seq - 1) % h.cap != i) continue;
    rl_trace_event *e = &out->items[out->count++];
    e->seq = r.seq;
    e->ns = h.start_ns + r.ns - out->start_ns;
    e->pid = (int)h.pid;
    e->thread = (int)r.thread;
    e->event = r.event;
    object_id(&r, e->object, sizeof e->object);
    e->arg = r.arg;
    r.name[sizeof r.name - 1] = '\0';
    snprintf(e->name, sizeof e->name, "%s", r.name);
    call_site(&r, mods, &e->at);
    if (e->thread + 1 > out->nthreads) out->nthreads = e->thread + 1;
  }
  qsort(out->items + first, out->count - first, sizeof *out->items, by_seq);
  free(data);
  return 0;
}

typedef struct {
  char *name;
  uint64_t start_ns;
} ring_file;

static int by_start(const void *a, const void *b) {
  uint64_t x = ((const ring_file *)a)->start_ns, y = ((const ring_file *)b)->start_ns;
  return (x > y) - (x < y);
}

/* The modules of log "<prefix>.<pid>" next to ring "<prefix>-trace.<pid>". */
static void read_modules(const char *dir, const char *prefix, const char *ring, rl__rlrt_modules *mods) {
  char *name = rl_xasprintf("%s.%s", prefix, ring + strlen(prefix) + strlen("-trace."));
  char *path = rl_path_join(dir, name);
  size_t len;
  char *text = rl_read_untrusted_file(path, LOG_HEAD_MAX, &len);
  for (int n = 1; text; n++) {
    char *line = rl_text_line(text, n);
    if (!line) break;
    rl__rlrt_module_line(mods, line);
    free(line);
  }
  free(text);
  free(path);
  free(name);
}

int rl_trace_read_dir(const char *dir, const char *prefix, rl_trace *out) {
  DIR *d = opendir(dir);
  if (!d) return -errno;
  char *want = rl_xasprintf("%s-trace.", prefix);
  ring_file *files = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < MAX_RINGS) {
    if (strncmp(e->d_name, want, strlen(want)) != 0) continue;
    char *path = rl_path_join(dir, e->d_name);
    size_t len;
    char *head = rl_read_untrusted_file(path, sizeof(rlrt_trace_header), &len);
    if (head && len == sizeof(rlrt_trace_header)) {
      rlrt_trace_header h;
      memcpy(&h, head, sizeof h);
      files = rl_xrealloc(files, (n + 1) * sizeof *files);
      files[n++] = (ring_file){rl_xstrdup(e->d_name), h.start_ns};
    }
    free(head);
    free(path);
  }
  closedir(d);
  /* Processes in start order, so times from the first start are >= 0. */
  qsort(files, n, sizeof *files, by_start);
  int read = 0;
  for (size_t i = 0; i < n; i++) {
    rl__rlrt_modules mods = {0};
    read_modules(dir, prefix, files[i].name, &mods);
    char *path = rl_path_join(dir, files[i].name);
    read += rl_trace_read_ring(path, &mods, out) == 0;
    free(path);
    rl__rlrt_modules_free(&mods);
    free(files[i].name);
  }
  free(files);
  free(want);
  return read;
}

/* ---- symbols --------------------------------------------------------------- */

static int same_site(const rl_frame *a, const rl_frame *b) {
  return a->module && b->module && a->offset == b->offset && strcmp(a->module, b->module) == 0;
}

/* One location per distinct call site, symbolized in one batch. */
void rl_trace_symbolize(rl_trace *t, rl_symbolizer *s, const char *binary) {
  rl_findings list = {0};
  rl_finding *f = rl_findings_add(&list, RL_FINDING_DATA_RACE);
  size_t *site = rl_xcalloc(t->count + 1, sizeof *site);
  for (size_t i = 0; i < t->count; i++) {
    const rl_frame *fr = &t->items[i].at;
    if (!fr->module) continue;
    size_t k = 0;
    while (k < f->nlocations && !same_site(&f->locations[k].stack.frames[0], fr)) k++;
    if (k == f->nlocations) {
      rl_frame *copy = rl_stack_push(&rl_finding_add_location(f)->stack);
      copy->module = rl_xstrdup(fr->module);
      copy->offset = fr->offset;
    }
    site[i] = k + 1;
  }
  rl_symbolize_findings(s, binary, &list);
  for (size_t i = 0; i < t->count; i++) {
    if (!site[i]) continue;
    const rl_frame *src = &f->locations[site[i] - 1].stack.frames[0];
    rl_frame *dst = &t->items[i].at;
    if (src->function && !dst->function) dst->function = rl_xstrdup(src->function);
    if (src->file && !dst->file) dst->file = rl_xstrdup(src->file);
    dst->line = src->line;
  }
  free(site);
  rl_findings_free(&list);
}

/* ---- words and intervals ----------------------------------------------------- */

static int is_lock_wait(const rl_trace_event *e) {
  return strcmp(e->name, "mutex") == 0 || strcmp(e->name, "rdlock") == 0 || strcmp(e->name, "wrlock") == 0;
}

char *rl_trace_label(const rl_trace_event *e, char *buf, size_t cap) {
  const char *o = e->object;
  switch (e->event) {
    case RLRT_TEV_WAIT:
      if (strcmp(e->name, "mutex") == 0) snprintf(buf, cap, "lock %s", o);
      else if (is_lock_wait(e)) snprintf(buf, cap, "%s %s", e->name, o);
      else if (strcmp(e->name, "cond") == 0) snprintf(buf, cap, "wait %s", o);
      else snprintf(buf, cap, "%s%s%s", e->name, *o ? " " : "", o);
      break;
    case RLRT_TEV_WOKEN:
      if (is_lock_wait(e)) buf[0] = '\0';
      else if (strcmp(e->name, "join") == 0) snprintf(buf, cap, "joined%s%s", *o ? " " : "", o);
      else if (strcmp(e->name, "uv_run") == 0) snprintf(buf, cap, "uv_run returned");
      else snprintf(buf, cap, "woken%s%s (%s)", *o ? " " : "", o, e->name);
      break;
    case RLRT_TEV_ACQUIRED:
      snprintf(buf, cap, "acquired %s%s", o, e->arg ? "" : " (read)");
      break;
    case RLRT_TEV_SIGNAL:
    case RLRT_TEV_BROADCAST:
      snprintf(buf, cap, "%s %s (%" PRIu64 " waiting)", rl_trace_event_name(e->event), o, e->arg);
      break;
    case RLRT_TEV_DELAY:
      if (e->arg) snprintf(buf, cap, "delay %" PRIu64 " us (%s)", e->arg / 1000, e->name);
      else snprintf(buf, cap, "yield (%s)", e->name);
      break;
    case RLRT_TEV_REQ_START:
      snprintf(buf, cap, "request %s %s", o, e->name);
      break;
    default:
      snprintf(buf, cap, "%s%s%s", rl_trace_event_name(e->event), *o ? " " : "", o);
  }
  return buf;
}

/* Does slice s, open, end at event e? */
static int closes(const rl_trace *t, const rl_trace_slice *s, const rl_trace_event *e) {
  const rl_trace_event *b = &t->items[s->begin];
  if (b->pid != e->pid) return 0;
  switch (s->kind) {
    case RL_SLICE_HOLD: return e->event == RLRT_TEV_RELEASED && b->thread == e->thread && !strcmp(b->object, e->object);
    case RL_SLICE_WAIT: return e->event == RLRT_TEV_WOKEN && b->thread == e->thread;
    case RL_SLICE_REQUEST: return e->event == RLRT_TEV_REQ_DONE && !strcmp(b->object, e->object);
    case RL_SLICE_DELAY: return 0;
  }
  return 0;
}

size_t rl_trace_slices(const rl_trace *t, rl_trace_slice **out) {
  rl_trace_slice *s = NULL;
  size_t n = 0, nopen = 0;
  size_t *open = rl_xcalloc(t->count + 1, sizeof *open); /* indices into s */
  uint64_t last_ns = t->count ? t->items[t->count - 1].ns : 0;
  for (size_t i = 0; i < t->count; i++) {
    const rl_trace_event *e = &t->items[i];
    for (size_t k = nopen; k-- > 0;)
      if (closes(t, &s[open[k]], e)) {
        s[open[k]].end = (long)i;
        s[open[k]].end_ns = e->ns;
        /* In order: a wait inside uv_run closes before it. */
        memmove(&open[k], &open[k + 1], (--nopen - k) * sizeof *open);
        break;
      }
    int kind = e->event == RLRT_TEV_ACQUIRED ? RL_SLICE_HOLD : e->event == RLRT_TEV_WAIT ? RL_SLICE_WAIT
             : e->event == RLRT_TEV_DELAY ? RL_SLICE_DELAY : e->event == RLRT_TEV_REQ_START ? RL_SLICE_REQUEST : -1;
    if (kind < 0) continue;
    s = rl_xrealloc(s, (n + 1) * sizeof *s);
    s[n] = (rl_trace_slice){.kind = (rl_slice_kind)kind, .begin = i, .end = -1, .begin_ns = e->ns, .end_ns = last_ns};
    if (kind == RL_SLICE_DELAY) {
      /* Recorded when it ended: it began arg ns earlier, but not before
       * the thread's previous event. */
      uint64_t from = e->ns > e->arg ? e->ns - e->arg : 0;
      for (size_t j = i; j-- > 0;)
        if (t->items[j].pid == e->pid && t->items[j].thread == e->thread) {
          if (from < t->items[j].ns) from = t->items[j].ns;
          break;
        }
      s[n].begin_ns = from;
      s[n].end = (long)i;
      s[n].end_ns = e->ns;
    } else {
      open[nopen++] = n;
    }
    n++;
  }
  free(open);
  *out = s;
  return n;
}

/* ---- where a finding arose --------------------------------------------------- */

static int at_line(const rl_trace_event *e, const rl_location *loc) {
  return e->at.file && loc->file && e->at.line == loc->line &&
         strcmp(rl_path_basename(e->at.file), rl_path_basename(loc->file)) == 0;
}

static int in_function(const rl_trace_event *e, const rl_location *loc) {
  return e->at.function && loc->function && strcmp(e->at.function, loc->function) == 0;
}

static long last(const rl_trace *t, const rl_location *loc, int thread,
                 int (*match)(const rl_trace_event *, const rl_location *)) {
  for (size_t i = t->count; i-- > 0;)
    if ((thread < 0 || t->items[i].thread == thread) && match(&t->items[i], loc)) return (long)i;
  return -1;
}

long rl_trace_mark(const rl_trace *t, const rl_finding *f) {
  long latest = -1;
  for (size_t i = 0; i < f->nlocations; i++) {
    long at = rl_trace_locate(t, &f->locations[i]);
    if (at > latest) latest = at;
  }
  return latest;
}

long rl_trace_locate(const rl_trace *t, const rl_location *loc) {
  long i = -1;
  if (loc->thread >= 0) i = last(t, loc, loc->thread, at_line);
  if (i < 0) i = last(t, loc, -1, at_line);
  if (i < 0 && loc->thread >= 0) i = last(t, loc, loc->thread, in_function);
  return i;
}

void rl_trace_free(rl_trace *t) {
  for (size_t i = 0; i < t->count; i++) {
    free(t->items[i].at.module);
    free(t->items[i].at.function);
    free(t->items[i].at.file);
  }
  free(t->items);
  memset(t, 0, sizeof *t);
}
