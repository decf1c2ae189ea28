/* report_text.h -- reading sanitizer report text line by line: frames,
 * thread ids and string helpers shared by report_tsan.c and report_asan.c.
 * It knows the line shapes both runtimes print, not what a report means. */
#ifndef RL_REPORT_TEXT_H
#define RL_REPORT_TEXT_H

#include <stddef.h>

#include "finding.h"

/* A cursor over text; lines are returned without their '\n' (or "\r\n"). */
typedef struct {
  const char *p;
  const char *end;
} rl__lines;

/* One line of text: not NUL-terminated, so always used with its length. */
typedef struct {
  const char *s;
  size_t len;
} rl__line;

/* Returns 1 and the next line, or 0 at the end of the text. */
int rl__next_line(rl__lines *it, rl__line *line);

/* The line without leading blanks and without a "==PID==" prefix. */
rl__line rl__trim(rl__line line);
int rl__starts_with(rl__line line, const char *prefix);
/* Pointer just past the first occurrence of needle in line, or NULL. */
const char *rl__find(rl__line line, const char *needle);

/* Parses one stack frame line in either grammar:
 *   TSan  "#N FUNC FILE[:LINE[:COL]] (MODULE+0xOFF)[ (BuildId: HEX)]"
 *         with FUNC and FILE possibly "<null>"
 *   ASan  "#N 0xPC [in FUNC] [FILE[:LINE[:COL]]] [(MODULE+0xOFF)][ (BuildId: HEX)]"
 * Returns 1 and fills *fr (heap strings), 0 if the line is not a frame,
 * -ENOMEM on out-of-memory. */
int rl__parse_frame(rl__line line, rl_frame *fr);

/* Parses the inside of "(MODULE+0xOFF)", "(0xPC)" or "(<unknown module>)"
 * given as [s,end) into fr->module and fr->offset. Returns 1, 0 if it is
 * not such a reference, or -ENOMEM. */
int rl__parse_module_ref(const char *s, const char *end, rl_frame *fr);

/* Parses "FILE[:LINE[:COL]]" at [s,end) into fr->file and fr->line; an
 * unknown file ("<null>", "??") leaves them empty. Returns 0 or -ENOMEM. */
int rl__parse_source(const char *s, const char *end, rl_frame *fr);

/* Appends the frame lines that follow the cursor to stack (NULL: skip
 * them), stopping before the first line that is not a frame. Returns 0 or
 * -ENOMEM. "[failed to restore the stack]" counts as an empty stack. */
int rl__read_stack(rl__lines *it, rl_stack *stack);

/* Parses a thread reference at s: "thread T3", "T3", "main thread" (T0).
 * Returns the id, or -1. */
int rl__parse_thread(const char *s, const char *end);

/* Parses an unsigned decimal at *s, advancing *s; -1 if there is none. */
long rl__parse_num(const char **s, const char *end);

/* strndup and a formatting asprintf; both return NULL on out-of-memory. */
char *rl__strndup(const char *s, size_t n);
char *rl__fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Scans text for a line containing one of needles (NULL-terminated list);
 * if found copies that line (trimmed, at most msgcap-1 bytes) into msg and
 * returns 1, else 0. */
int rl__find_runtime_error(const char *text, size_t len,
                           const char *const needles[], char *msg,
                           size_t msgcap);

#endif
