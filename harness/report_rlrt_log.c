/* report_rlrt_log.c -- the runtime log's module table and raw stacks as
 * finding frames; the grammar is runtime/rlrt_protocol.h. It knows no event
 * line. */
#include "report_rlrt_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The hex value after " key=" in [s, end), or -1 in *ok. */
static uint64_t hex_field(const char *s, const char *end, const char *key, int *ok) {
  size_t k = strlen(key);
  for (const char *p = s; p + k + 1 < end; p++)
    if (p[-1] == ' ' && strncmp(p, key, k) == 0 && p[k] == '=') {
      char *stop;
      uint64_t v = strtoull(p + k + 1, &stop, 16);
      if (stop != p + k + 1)
        return v;
      break;
    }
  *ok = 0;
  return 0;
}

int rl__rlrt_module_line(rl__rlrt_modules *mods, const char *line) {
  if (strncmp(line, "module ", 7) != 0)
    return 0;
  /* The path may hold spaces: it runs to the end of the line. */
  const char *path = strstr(line, " path=");
  if (!path)
    return 0;
  int ok = 1;
  rl__rlrt_module m = {
      .base = hex_field(line + 7, path, "base", &ok),
      .lo = hex_field(line + 7, path, "lo", &ok),
      .hi = hex_field(line + 7, path, "hi", &ok),
  };
  if (!ok)
    return 0;
  rl__rlrt_module *grown = realloc(mods->items, (mods->count + 1) * sizeof *grown);
  if (!grown)
    return -ENOMEM;
  mods->items = grown;
  if (!(m.path = strdup(path + 6)))
    return -ENOMEM;
  mods->items[mods->count++] = m;
  return 1;
}

void rl__rlrt_modules_free(rl__rlrt_modules *mods) {
  for (size_t i = 0; i < mods->count; i++)
    free(mods->items[i].path);
  free(mods->items);
  mods->items = NULL;
  mods->count = 0;
}

int rl__rlrt_stack(const rl__rlrt_modules *mods, const char *ips, rl_stack *out) {
  if (strcmp(ips, "-") == 0)
    return 0;
  for (size_t n = 0; *ips; n++) {
    char *end;
    uint64_t ip = strtoull(ips, &end, 16);
    if (end == ips || (*end && *end != ','))
      return -EINVAL;
    rl_frame *fr = rl_stack_push(out);
    if (!fr)
      return -ENOMEM;
    ip -= n == 0;
    fr->offset = ip;
    for (size_t m = 0; m < mods->count; m++) {
      const rl__rlrt_module *mod = &mods->items[m];
      if (ip >= mod->lo && ip < mod->hi) {
        fr->offset = ip - mod->base;
        if (!(fr->module = strdup(mod->path)))
          return -ENOMEM;
        break;
      }
    }
    ips = *end ? end + 1 : end;
  }
  return 0;
}
