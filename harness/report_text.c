/* report_text.c -- line, frame and thread-id scanning shared by the TSan and
 * ASan report parsers; it knows line shapes, never what a report means. */
#include "report_text.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- strings ------------------------------------------------------------- */

char *rl__strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *rl__fmt(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *p = malloc((size_t)n + 1);
  if (!p)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

/* ---- lines --------------------------------------------------------------- */

int rl__next_line(rl__lines *it, rl__line *line) {
  if (it->p >= it->end)
    return 0;
  const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
  const char *stop = nl ? nl : it->end;
  line->s = it->p;
  line->len = (size_t)(stop - it->p);
  if (line->len && line->s[line->len - 1] == '\r')
    line->len--;
  it->p = nl ? nl + 1 : it->end;
  return 1;
}

rl__line rl__trim(rl__line line) {
  while (line.len && (*line.s == ' ' || *line.s == '\t')) {
    line.s++;
    line.len--;
  }
  while (line.len && isspace((unsigned char)line.s[line.len - 1]))
    line.len--;
  /* "==1234==" prefixes ASan's and TSan's error lines. */
  if (line.len > 4 && line.s[0] == '=' && line.s[1] == '=' &&
      isdigit((unsigned char)line.s[2])) {
    size_t i = 2;
    while (i < line.len && isdigit((unsigned char)line.s[i]))
      i++;
    if (i + 1 < line.len && line.s[i] == '=' && line.s[i + 1] == '=') {
      line.s += i + 2;
      line.len -= i + 2;
    }
  }
  return line;
}

int rl__starts_with(rl__line line, const char *prefix) {
  size_t n = strlen(prefix);
  return line.len >= n && memcmp(line.s, prefix, n) == 0;
}

const char *rl__find(rl__line line, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; n <= line.len && i <= line.len - n; i++)
    if (memcmp(line.s + i, needle, n) == 0)
      return line.s + i + n;
  return NULL;
}

long rl__parse_num(const char **s, const char *end) {
  const char *p = *s;
  long v = 0;
  if (p >= end || !isdigit((unsigned char)*p))
    return -1;
  while (p < end && isdigit((unsigned char)*p) && v < 100000000)
    v = v * 10 + (*p++ - '0');
  *s = p;
  return v;
}

int rl__parse_thread(const char *s, const char *end) {
  while (s < end && *s == ' ')
    s++;
  if ((size_t)(end - s) >= 11 && memcmp(s, "main thread", 11) == 0)
    return 0;
  if ((size_t)(end - s) >= 7 && memcmp(s, "thread ", 7) == 0)
    s += 7;
  if (s < end && *s == 'T') {
    s++;
    long id = rl__parse_num(&s, end);
    return id > (long)0x7fffffff ? -1 : (int)id;
  }
  return -1;
}

/* ---- frames -------------------------------------------------------------- */

/* Parses "0xHEX" exactly filling [s,end); returns 1 on success. */
static int rl__parse_hex(const char *s, const char *end, uint64_t *v) {
  if (end - s < 3 || s[0] != '0' || s[1] != 'x')
    return 0;
  uint64_t x = 0;
  for (s += 2; s < end; s++) {
    int c = tolower((unsigned char)*s);
    if (isdigit(c))
      x = x * 16 + (uint64_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      x = x * 16 + (uint64_t)(c - 'a' + 10);
    else
      return 0;
  }
  *v = x;
  return 1;
}

int rl__parse_module_ref(const char *s, const char *end, rl_frame *fr) {
  static const char unknown[] = "<unknown module>";
  if ((size_t)(end - s) == sizeof unknown - 1 &&
      memcmp(s, unknown, sizeof unknown - 1) == 0)
    return 1;
  const char *plus = end;
  while (plus > s && plus[-1] != '+')
    plus--;
  if (plus == s)
    return rl__parse_hex(s, end, &fr->offset);
  plus--; /* at the '+' */
  if (plus == s || !rl__parse_hex(plus + 1, end, &fr->offset))
    return 0;
  fr->module = rl__strndup(s, (size_t)(plus - s));
  return fr->module ? 1 : -ENOMEM;
}

/* Does this token look like a source location rather than part of a
 * function name? "<null>", a path, or something ending in ":LINE". */
static int rl__looks_like_file(const char *s, const char *end) {
  if (end - s == 6 && memcmp(s, "<null>", 6) == 0)
    return 1;
  if (memchr(s, '/', (size_t)(end - s)))
    return 1;
  const char *p = end;
  while (p > s && isdigit((unsigned char)p[-1]))
    p--;
  return p < end && p > s && p[-1] == ':';
}

int rl__parse_source(const char *s, const char *end, rl_frame *fr) {
  if ((end - s == 6 && memcmp(s, "<null>", 6) == 0) ||
      (end - s >= 2 && memcmp(s, "??", 2) == 0))
    return 0;
  long nums[2];
  int n = 0;
  while (n < 2) {
    const char *p = end;
    while (p > s && isdigit((unsigned char)p[-1]))
      p--;
    if (p == end || p - 1 <= s || p[-1] != ':')
      break;
    const char *q = p;
    nums[n++] = rl__parse_num(&q, end);
    end = p - 1;
  }
  /* Parsed right to left: with two numbers the first seen is the column. */
  fr->line = n == 2 ? (int)nums[1] : n == 1 ? (int)nums[0] : 0;
  fr->file = rl__strndup(s, (size_t)(end - s));
  return fr->file ? 0 : -ENOMEM;
}

static int rl__is_null_name(const char *s, const char *end) {
  return (end - s == 6 && memcmp(s, "<null>", 6) == 0) ||
         (end - s == 2 && memcmp(s, "??", 2) == 0);
}

int rl__parse_frame(rl__line line, rl_frame *fr) {
  memset(fr, 0, sizeof *fr);
  line = rl__trim(line);
  const char *s = line.s, *end = line.s + line.len;
  if (s >= end || *s != '#')
    return 0;
  s++;
  if (rl__parse_num(&s, end) < 0 || s >= end || *s != ' ')
    return 0;
  while (s < end && *s == ' ')
    s++;

  /* Drop a trailing " (BuildId: ...)". */
  static const char build_id[] = " (BuildId: ";
  for (const char *p = s; p + sizeof build_id - 1 <= end; p++)
    if (memcmp(p, build_id, sizeof build_id - 1) == 0) {
      end = p;
      break;
    }
  while (end > s && end[-1] == ' ')
    end--;

  /* ASan frames start with the pc. */
  int asan = 0;
  uint64_t pc = 0;
  const char *sp = memchr(s, ' ', (size_t)(end - s));
  if (rl__parse_hex(s, sp ? sp : end, &pc)) {
    asan = 1;
    s = sp ? sp : end;
    while (s < end && *s == ' ')
      s++;
    if (end - s >= 3 && memcmp(s, "in ", 3) == 0)
      s += 3;
  }

  int has_module = 0;
  if (end > s && end[-1] == ')') {
    const char *open = end - 1;
    while (open > s && *open != '(')
      open--;
    int r = *open == '(' ? rl__parse_module_ref(open + 1, end - 1, fr) : 0;
    if (r < 0)
      return r;
    if (r == 1) {
      has_module = 1;
      end = open;
      while (end > s && end[-1] == ' ')
        end--;
    }
  }
  if (!asan && !has_module)
    return 0;
  if (asan && !has_module)
    fr->offset = 0; /* symbolized by ASan: the pc is not module-relative */

  /* What is left is "FUNC FILE" (TSan, both always present) or, for ASan,
   * an optional "FUNC" and an optional "FILE". */
  const char *last = end;
  while (last > s && last[-1] != ' ')
    last--;
  const char *fn_end = end;
  if (last < end && (!asan || (last > s && rl__looks_like_file(last, end)))) {
    if (rl__parse_source(last, end, fr) < 0)
      return -ENOMEM;
    fn_end = last;
  }
  while (fn_end > s && fn_end[-1] == ' ')
    fn_end--;
  if (fn_end > s && !rl__is_null_name(s, fn_end)) {
    fr->function = rl__strndup(s, (size_t)(fn_end - s));
    if (!fr->function)
      return -ENOMEM;
  }
  return 1;
}

int rl__read_stack(rl__lines *it, rl_stack *stack) {
  for (;;) {
    rl__lines save = *it;
    rl__line line;
    if (!rl__next_line(it, &line))
      return 0;
    rl__line t = rl__trim(line);
    if (rl__starts_with(t, "[failed to restore the stack]"))
      continue;
    rl_frame fr;
    int r = rl__parse_frame(line, &fr);
    if (r < 0)
      return r;
    if (r == 0) {
      *it = save;
      return 0;
    }
    rl_frame *slot = stack ? rl_stack_push(stack) : NULL;
    if (slot) {
      *slot = fr;
    } else {
      free(fr.module);
      free(fr.function);
      free(fr.file);
      if (stack)
        return -ENOMEM;
    }
  }
}

int rl__find_runtime_error(const char *text, size_t len,
                           const char *const needles[], char *msg,
                           size_t msgcap) {
  rl__lines it = {text, text + len};
  rl__line line;
  while (rl__next_line(&it, &line)) {
    for (size_t i = 0; needles[i]; i++) {
      if (!rl__find(line, needles[i]))
        continue;
      rl__line t = rl__trim(line);
      if (msgcap) {
        size_t n = t.len < msgcap - 1 ? t.len : msgcap - 1;
        memcpy(msg, t.s, n);
        msg[n] = '\0';
      }
      return 1;
    }
  }
  return 0;
}
