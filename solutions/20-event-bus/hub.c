/* hub.c -- the event bus of a home-automation hub.
 *
 * The story: sensors publish readings on an in-process event bus; modules
 * subscribe with a callback. The dashboard module shows the latest
 * reading and, every few milliseconds, publishes a statistics event of its
 * own. Each module protects its own state with its own mutex, and the bus
 * protects its subscriber list. Every part was reviewed on its own and
 * looks right. Since the dashboard learned to publish, the hub locks up
 * within seconds of starting: lights stop responding, the screen freezes.
 *
 * Usage: hub
 */
#define _POSIX_C_SOURCE 200809L /* POSIX declarations under -std=c11 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_SUBSCRIBERS 8
#define READINGS 40
#define REPORTS 4

static void sleep_us(long us) {
  struct timespec t = {0, us * 1000L};
  nanosleep(&t, NULL);
}

typedef void (*handler_fn)(const char *topic, int value);

/* ---- the bus ------------------------------------------------------------ */

static struct {
  pthread_mutex_t lock; /* guards the subscriber list */
  handler_fn handlers[MAX_SUBSCRIBERS];
  int n;
} bus = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void bus_subscribe(handler_fn fn) {
  pthread_mutex_lock(&bus.lock);
  if (bus.n < MAX_SUBSCRIBERS)
    bus.handlers[bus.n++] = fn;
  pthread_mutex_unlock(&bus.lock);
}

/* racelab: your work is here -------------------------------------------- */

/* Deliver an event to every subscriber. The list is copied under the lock
 * and the handlers are called after it is released: the bus cannot know
 * which locks a handler takes, or what a handler's own thread holds while
 * it publishes, so it must never call out while holding its own lock. A
 * subscriber added meanwhile gets the next event. */
static void bus_publish(const char *topic, int value) {
  handler_fn handlers[MAX_SUBSCRIBERS];
  pthread_mutex_lock(&bus.lock);
  int n = bus.n;
  memcpy(handlers, bus.handlers, (size_t)n * sizeof handlers[0]);
  pthread_mutex_unlock(&bus.lock);

  for (int i = 0; i < n; i++)
    handlers[i](topic, value);
}

/* racelab: end of your work --------------------------------------------- */

/* ---- the modules -------------------------------------------------------- */

/* Metrics: counts what goes over the bus. */
static struct {
  pthread_mutex_t lock; /* guards everything below */
  int readings;
  long sum;
  int reports_seen;
} metrics = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void metrics_on_event(const char *topic, int value) {
  pthread_mutex_lock(&metrics.lock);
  if (strcmp(topic, "sensor/temperature") == 0) {
    metrics.readings++;
    metrics.sum += value;
  } else if (strcmp(topic, "hub/stats") == 0) {
    metrics.reports_seen++;
  }
  pthread_mutex_unlock(&metrics.lock);
}

/* Dashboard: shows the latest reading, and regularly publishes a
 * statistics event numbered in sequence. */
static struct {
  pthread_mutex_t lock; /* guards everything below */
  int latest;           /* the latest temperature shown */
  int published;        /* statistics events sent */
} dashboard = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void dashboard_on_event(const char *topic, int value) {
  if (strcmp(topic, "sensor/temperature") != 0)
    return;
  pthread_mutex_lock(&dashboard.lock);
  dashboard.latest = value;
  pthread_mutex_unlock(&dashboard.lock);
}

/* Publish the next statistics event. The lock is held throughout so that
 * two reports can never go out with the same sequence number. */
static void dashboard_report(void) {
  pthread_mutex_lock(&dashboard.lock);
  int seq = ++dashboard.published;
  sleep_us(2000); /* rendering the payload takes a while */
  bus_publish("hub/stats", seq);
  pthread_mutex_unlock(&dashboard.lock);
}

/* Logger: counts log lines, one per event. */

static int log_lines; /* guarded by log_lock */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void logger_on_event(const char *topic, int value) {
  (void)topic;
  (void)value;
  pthread_mutex_lock(&log_lock);
  log_lines++;
  pthread_mutex_unlock(&log_lock);
}

static void *sensor_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < READINGS; i++) {
    bus_publish("sensor/temperature", 18 + i % 5);
    sleep_us(300);
  }
  return NULL;
}

static void *dashboard_thread(void *arg) {
  (void)arg;
  for (int i = 0; i < REPORTS; i++) {
    sleep_us(1500);
    dashboard_report();
  }
  return NULL;
}

int main(void) {
  bus_subscribe(metrics_on_event);
  bus_subscribe(dashboard_on_event);
  bus_subscribe(logger_on_event);
  pthread_t sensor, reporter;
  pthread_create(&sensor, NULL, sensor_thread, NULL);
  pthread_create(&reporter, NULL, dashboard_thread, NULL);
  pthread_join(sensor, NULL);
  pthread_join(reporter, NULL);
  printf("readings %d, average %ld\n", metrics.readings,
         metrics.sum / (metrics.readings ? metrics.readings : 1));
  printf("stats reports %d\n", metrics.reports_seen);
  printf("log lines %d\n", log_lines);
  printf("latest %d, reports published %d\n", dashboard.latest,
         dashboard.published);
  return 0;
}
