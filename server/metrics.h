/* mica serve: the counters `--admin` shows on /metrics (Prometheus text). */
#ifndef MICA_SERVER_METRICS_H
#define MICA_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Upper bounds of the latency histogram's buckets, in seconds (+Inf last). */
#define SERVE_LATENCY_BUCKETS 12

/* Every counter is updated with atomics: any thread may count. */
struct serve_metrics {
	uint64_t by_class[6];			     /* requests answered, by status / 100 */
	uint64_t latency[SERVE_LATENCY_BUCKETS + 1]; /* requests, by first bucket that holds them */
	uint64_t latency_sum_us;
	uint64_t resets, timeouts, memory_kills, faults, exceptions, subrequests;
	uint64_t batched, reruns; /* reuse: requests run in a batch, and again alone */
	uint64_t busy;		  /* sandboxes running a request or a batch */
	unsigned workers;	  /* sandboxes: busy + idle */
};

enum serve_metric {
	SERVE_M_RESET,
	SERVE_M_TIMEOUT,
	SERVE_M_MEMORY,
	SERVE_M_FAULT,
	SERVE_M_EXCEPTION,
	SERVE_M_SUBREQUEST,
	SERVE_M_BATCHED,
	SERVE_M_RERUN,
};

/* A request answered with status after ns nanoseconds. */
void serve_metrics_request(struct serve_metrics *m, int status, int64_t ns);
/* One more of what. */
void serve_metrics_count(struct serve_metrics *m, enum serve_metric what);
/* A sandbox starts (+1) or ends (-1) running a request, or a batch. */
void serve_metrics_busy(struct serve_metrics *m, int delta);
/* The metrics in Prometheus' text format, malloc'd (NULL: no memory). */
char *serve_metrics_render(const struct serve_metrics *m, size_t *len);

#endif
