/* emit_junit.c -- `racelab grade --junit`: JUnit XML made from the student
 * results, one testsuite per student, one testcase per exercise, one
 * <failure> per finding kind (its stable name as the type). It formats
 * only what the results say. */
#include <string.h>

#include "grade.h"

/* XML 1.0 text or attribute value: markup escaped, the control characters
 * XML cannot carry dropped, newlines kept as references in attributes. */
static void xml_text(FILE *out, const char *s) {
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    switch (c) {
      case '&': fputs("&amp;", out); break;
      case '<': fputs("&lt;", out); break;
      case '>': fputs("&gt;", out); break;
      case '"': fputs("&quot;", out); break;
      case '\n': fputs("&#10;", out); break;
      default:
        if (c >= 0x20 || c == '\t') fputc(c, out);
    }
  }
}

static const char *field(const json_t *j, const char *key) {
  const char *s = json_string_value(json_object_get(j, key));
  return s ? s : "";
}

static double seconds(const json_t *test) { return (double)json_integer_value(json_object_get(test, "elapsed_ms")) / 1000; }

/* One <failure> per kind, the first finding of each kind naming it. */
static void failures(FILE *out, const json_t *test) {
  json_t *findings = json_object_get(test, "findings");
  size_t i, k;
  json_t *f, *g;
  json_array_foreach(findings, i, f) {
    int first = 1;
    json_array_foreach(findings, k, g) {
      if (k >= i) break;
      if (strcmp(field(g, "kind"), field(f, "kind")) == 0) first = 0;
    }
    if (!first) continue;
    fputs("      <failure type=\"", out);
    xml_text(out, field(f, "kind"));
    fprintf(out, "\" message=\"");
    xml_text(out, field(f, "kind"));
    fprintf(out, " in %lld/%lld runs: ", (long long)json_integer_value(json_object_get(f, "count")),
            (long long)json_integer_value(json_object_get(test, "runs")));
    xml_text(out, field(f, "summary"));
    fputs("\"/>\n", out);
  }
}

static void testcase(FILE *out, const char *student, const json_t *test) {
  const char *status = field(test, "status");
  fputs("    <testcase classname=\"", out);
  xml_text(out, student);
  fputs("\" name=\"", out);
  xml_text(out, field(test, "name"));
  fprintf(out, "\" time=\"%.3f\">\n", seconds(test));
  if (strcmp(status, "fail") == 0) {
    failures(out, test);
  } else if (strcmp(status, "error") == 0) {
    json_t *first = json_array_get(json_object_get(test, "findings"), 0);
    const char *type = json_is_true(json_object_get(test, "harness_error")) ? "harness-error"
                       : first                                               ? field(first, "kind")
                                                                             : "submission-error";
    fputs("      <error type=\"", out);
    xml_text(out, type);
    fputs("\" message=\"", out);
    xml_text(out, field(test, "message"));
    fputs("\"/>\n", out);
  }
  if (*field(test, "output")) {
    fputs("      <system-out>", out);
    xml_text(out, field(test, "output"));
    fputs("</system-out>\n", out);
  }
  fputs("    </testcase>\n", out);
}

int rl_emit_junit(const json_t *students, FILE *out) {
  int tests = 0, fails = 0, errors = 0;
  size_t i, k;
  json_t *s, *t;
  json_array_foreach(students, i, s) {
    json_t *list = json_object_get(s, "tests");
    tests += (int)json_array_size(list);
    fails += rl_grade_count_status(list, "fail");
    errors += rl_grade_count_status(list, "error");
  }
  fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<testsuites name=\"racelab grade\" tests=\"%d\" failures=\"%d\" errors=\"%d\">\n",
          tests, fails, errors);
  json_array_foreach(students, i, s) {
    json_t *list = json_object_get(s, "tests");
    double time = 0;
    json_array_foreach(list, k, t) time += seconds(t);
    fputs("  <testsuite name=\"", out);
    xml_text(out, field(s, "student"));
    fprintf(out, "\" tests=\"%zu\" failures=\"%d\" errors=\"%d\" time=\"%.3f\">\n", json_array_size(list),
            rl_grade_count_status(list, "fail"), rl_grade_count_status(list, "error"), time);
    json_array_foreach(list, k, t) testcase(out, field(s, "student"), t);
    fputs("  </testsuite>\n", out);
  }
  fputs("</testsuites>\n", out);
  return ferror(out) ? -1 : 0;
}
