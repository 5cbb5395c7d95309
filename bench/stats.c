#include "stats.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("bench: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void check(int rc, const mica_error *err, const char *what)
{
	if (rc)
		die("%s: %s (%s)", what, err->message, mica_code_name((mica_code)rc));
}

int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void add(struct samples *s, double ns)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("out of memory");
	}
	s->v[s->n++] = ns;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples. */
static double pct(const struct samples *s, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)s->n + 0.5);
	if (i > 0)
		i--;
	return s->v[i < s->n ? i : s->n - 1];
}

void finish(struct samples *s)
{
	if (s->n == 0)
		die("%s: no samples", s->name);
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	s->median = s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
	s->p90 = pct(s, 90);
	s->p99 = pct(s, 99);
}

void samples_free(struct samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

const char *fmt_time(char *buf, size_t len, double ns)
{
	if (ns < 1e4)
		snprintf(buf, len, "%7.0f ns", ns);
	else if (ns < 1e7)
		snprintf(buf, len, "%7.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%7.2f ms", ns / 1e6);
	return buf;
}

void row(const struct samples *s)
{
	char a[32], b[32], c[32];
	printf("  %-48s %7zu  %s  %s  %s\n", s->name, s->n, fmt_time(a, sizeof(a), s->median),
	       fmt_time(b, sizeof(b), s->p90), fmt_time(c, sizeof(c), s->p99));
}

void ratio(const char *name, double value, const char *unit, const char *goal, int met)
{
	char v[32];
	snprintf(v, sizeof(v), "%.3f%s", value, unit);
	printf("  %-48s %12s  %-10s %s\n", name, v, goal, met < 0 ? "" : met ? "MET" : "MISSED");
}

void heading(const char *title, const char *c1, const char *c2, const char *c3)
{
	printf("\n  %-48s %12s  %-10s %s\n", title, c1, c2, c3);
}
