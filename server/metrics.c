/* mica serve: counting, and /metrics in Prometheus' text exposition format. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>

static const double bounds[SERVE_LATENCY_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
						     0.05,   0.1,   0.25,   0.5,   1,	 5};

static void add(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

void serve_metrics_request(struct serve_metrics *m, int status, int64_t ns)
{
	int cls = status >= 100 && status < 600 ? status / 100 : 0;
	add(&m->by_class[cls], 1);
	double s = (double)(ns > 0 ? ns : 0) / 1e9;
	int b = 0;
	while (b < SERVE_LATENCY_BUCKETS && s > bounds[b])
		b++;
	add(&m->latency[b], 1);
	add(&m->latency_sum_us, (uint64_t)(ns > 0 ? ns : 0) / 1000);
}

void serve_metrics_count(struct serve_metrics *m, enum serve_metric what)
{
	uint64_t *c[] = {&m->resets,	 &m->timeouts,	  &m->memory_kills, &m->faults,
			 &m->exceptions, &m->subrequests, &m->batched,	    &m->reruns};
	add(c[what], 1);
}

void serve_metrics_busy(struct serve_metrics *m, int delta)
{
	__atomic_add_fetch(&m->busy, (uint64_t)(int64_t)delta, __ATOMIC_RELAXED);
}

char *serve_metrics_render(const struct serve_metrics *m, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	fputs("# HELP mica_requests_total Requests answered, by status class.\n"
	      "# TYPE mica_requests_total counter\n",
	      f);
	static const char *const cls[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
	for (int i = 0; i < 6; i++)
		fprintf(f, "mica_requests_total{class=\"%s\"} %llu\n", cls[i],
			(unsigned long long)get(&m->by_class[i]));
	fputs("# HELP mica_request_duration_seconds From the request line to the response handed "
	      "over.\n"
	      "# TYPE mica_request_duration_seconds histogram\n",
	      f);
	uint64_t cum = 0;
	for (int b = 0; b <= SERVE_LATENCY_BUCKETS; b++) {
		cum += get(&m->latency[b]);
		if (b < SERVE_LATENCY_BUCKETS)
			fprintf(f, "mica_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
				bounds[b], (unsigned long long)cum);
		else
			fprintf(f, "mica_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
				(unsigned long long)cum);
	}
	fprintf(f, "mica_request_duration_seconds_sum %.6f\n",
		(double)get(&m->latency_sum_us) / 1e6);
	fprintf(f, "mica_request_duration_seconds_count %llu\n", (unsigned long long)cum);
	uint64_t busy = get(&m->busy);
	busy = busy > m->workers ? m->workers : busy;
	fprintf(f,
		"# HELP mica_sandboxes Sandboxes, running a request or idle.\n"
		"# TYPE mica_sandboxes gauge\n"
		"mica_sandboxes{state=\"busy\"} %llu\n"
		"mica_sandboxes{state=\"idle\"} %llu\n",
		(unsigned long long)busy, (unsigned long long)(m->workers - busy));
	const struct {
		const char *name, *help;
		const uint64_t *v;
	} counters[] = {
	    {"mica_resets_total", "Sandboxes reset to the snapshot.", &m->resets},
	    {"mica_timeouts_total", "Requests that hit the time limit.", &m->timeouts},
	    {"mica_memory_kills_total", "Requests that hit the memory limit.", &m->memory_kills},
	    {"mica_faults_total", "Sandboxes that faulted or died.", &m->faults},
	    {"mica_exceptions_total", "Requests that ended in an uncaught exception.",
	     &m->exceptions},
	    {"mica_subrequests_total", "Outbound fetch() calls made.", &m->subrequests},
	    {"mica_batched_requests_total",
	     "Requests run with others in one call of a reused sandbox.", &m->batched},
	    {"mica_batch_reruns_total",
	     "Requests run again, alone, after the batch they were in failed.", &m->reruns},
	};
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name,
			counters[i].help, counters[i].name, counters[i].name,
			(unsigned long long)get(counters[i].v));
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
