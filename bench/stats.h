/* Samples, their percentiles and the bench's printing. */
#ifndef MICA_BENCH_STATS_H
#define MICA_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "mica.h"

struct samples {
	const char *name;
	double *v; /* ns per operation */
	size_t n, cap;
	double median, p90, p99;
};

/* Prints "bench: error: ..." and exits 1: a benchmark that cannot run. */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* die() unless rc is 0. */
void check(int rc, const mica_error *err, const char *what);
int64_t now_ns(void);

void add(struct samples *s, double ns);
/* Sorts and computes median, p90 and p99 (dies if there are none). */
void finish(struct samples *s);
void samples_free(struct samples *s);

/* A duration, 10 columns wide. */
const char *fmt_time(char *buf, size_t len, double ns);
/* "  name  runs  median  p90  p99" */
void row(const struct samples *s);
/* "  name  value  goal  MET|MISSED"; met < 0: no goal. */
void ratio(const char *name, double value, const char *unit, const char *goal, int met);
/* A section heading with its column titles. */
void heading(const char *title, const char *c1, const char *c2, const char *c3);

#endif
