/*
 * mica serve FILE.js: the options, start-up and shutdown. The contract is
 * docs/serve.md.
 *
 * mica serve does not call mica_runtime_lockdown(): its filter refuses the
 * sockets (accept, epoll on new connections) a server needs after set-up.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../cli/help.h"
#include "fetch.h"
#include "http.h"
#include "log.h"
#include "serve.h"
#include "worker.h"

static int fail(const char *fmt, const char *a)
{
	fprintf(stderr, "mica serve: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return MICA_ERR_INVALID;
}

static int parse_ulong(const char *s, unsigned long long min, unsigned long long max,
		       unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	/* digits only: strtoull would take " 5", "+5" and "-5" (as 2^64 - 5) */
	if (errno || !isdigit((unsigned char)s[0]) || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The field of cfg that millisecond option opt sets. */
static uint32_t *millis_field(struct serve_config *cfg, int opt)
{
	switch (opt) {
	case MICA_OPT_SERVE_TIMEOUT: return &cfg->timeout_ms;
	case MICA_OPT_QUEUE_TIMEOUT: return &cfg->queue_ms;
	case MICA_OPT_GRACE: return &cfg->grace_ms;
	case MICA_OPT_HEADER_TIMEOUT: return &cfg->header_timeout_ms;
	default: return &cfg->body_timeout_ms;
	}
}

/* SIZE: digits with an optional k, m or g (KiB, MiB, GiB; "kb", "mib" too). */
static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || !isdigit((unsigned char)s[0]))
		return -1;
	int shift = 0;
	if (*end)
		switch (*end | 32) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		default: return -1;
		}
	if (shift) {
		end++;
		if (!strcasecmp(end, "ib") || !strcasecmp(end, "b"))
			end += strlen(end);
	}
	if (*end || v > (1ull << 40) >> shift)
		return -1;
	*out = v << shift;
	return 0;
}

/* Workers a reload replaced, finishing what they have on a thread of
 * their own (so that a SIGTERM is not held up by them). */
struct retiring {
	pthread_t thread;
	struct serve_workers *w;
	int done; /* atomic: its thread has ended */
	struct retiring *next;
};

static void *retire_main(void *arg)
{
	struct retiring *r = arg;
	pthread_setname_np(pthread_self(), "mica-retire");
	serve_workers_retire(r->w);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Frees the retired workers whose threads have ended (all, with all: at
 * exit, what they still have queued is answered 503 first, what they run
 * finishes). */
static void retired_join(struct retiring **list, int all)
{
	for (struct retiring **p = list, *r; (r = *p);) {
		if (!all && !__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
			p = &r->next;
			continue;
		}
		serve_workers_cancel(r->w);
		if (all) /* the server stops, past its grace period */
			serve_workers_interrupt(r->w);
		pthread_join(r->thread, NULL);
		serve_workers_stop(r->w);
		*p = r->next;
		free(r);
	}
}

/* SIGHUP: FILE.js (and what it imports) loaded again, into new workers
 * that take the requests from now on; the old ones finish what they have,
 * queued requests included. Connections stay open. A module that no
 * longer loads leaves the old workers serving. */
static void reload(const struct serve_config *cfg, struct serve_http *h, struct serve_workers **w,
		   struct retiring **retired)
{
	char why[1024];
	int code = 0;
	int64_t t0 = serve_now_ns();
	retired_join(retired, 0); /* those done since the last reload */
	fprintf(stderr, "mica serve: SIGHUP: loading %s again\n", cfg->file);
	struct serve_workers *fresh = serve_workers_prepare(cfg, &code, why, sizeof(why));
	if (fresh && serve_workers_start(fresh, why, sizeof(why))) {
		serve_workers_stop(fresh);
		fresh = NULL;
	}
	if (!fresh) {
		fprintf(stderr, "mica serve: SIGHUP: not reloaded, the module before goes on: %s\n",
			why);
		return;
	}
	serve_http_swap_workers(h, fresh);
	struct retiring *old = malloc(sizeof(*old));
	if (old) {
		*old = (struct retiring){.w = *w, .next = *retired};
		if (pthread_create(&old->thread, NULL, retire_main, old)) {
			free(old);
			old = NULL;
		} else
			*retired = old;
	}
	if (!old) {
		serve_workers_retire(*w); /* here, then */
		serve_workers_stop(*w);
	}
	*w = fresh;
	fprintf(stderr, "mica serve: SIGHUP: reloaded %s in %.1f ms\n", cfg->file,
		(double)(serve_now_ns() - t0) / 1e6);
}

int mica_serve_main(int argc, char **argv)
{
	struct option longopts[MICA_CLI_NOPTIONS + 1];
	char shortopts[3 * MICA_CLI_NOPTIONS + 3];
	mica_cli_getopt(MICA_CMD_SERVE, longopts, shortopts);
	struct serve_config cfg = {
	    .isolation = SERVE_RESET,
	    .timeout_ms = 10000,
	    .queue_ms = 5000,
	    .queue_max = 4096,
	    .memory_mb = 64,
	    .max_body = 10u << 20,
	    .max_header = 32u << 10,
	    .max_uri = 8u << 10,
	    .max_response = 64u << 20,
	    .idle_s = 30,
	    .header_timeout_ms = 10000,
	    .body_timeout_ms = 60000,
	    .grace_ms = 10000,
	    .access_log = "-",
	    .max_subrequests = 50,
	};
	if (sched_getaffinity(0, sizeof(cfg.cpus), &cfg.cpus))
		CPU_ZERO(&cfg.cpus); /* then unknown: nothing is pinned */
	long cpus = CPU_COUNT(&cfg.cpus) ? CPU_COUNT(&cfg.cpus) : sysconf(_SC_NPROCESSORS_ONLN);
	cfg.workers = cpus > 0 ? (unsigned)cpus : 1;
	int pin = 0; /* --pin: auto, on, off */
	const char *env_file = NULL, *envs[256];
	int nenv = 0, c, k;
	unsigned long long v;
	const char *b = getenv("MICA_BACKEND");
	if (b && *b) {
		k = mica_cli_value('B', b); /* in mica_backend's order */
		if (k < 0)
			return fail("MICA_BACKEND wants auto, kvm or process, not '%s'", b);
		cfg.backend = (mica_backend)k;
	}
	optind = 1;
	opterr = 0;
	int ended = 0;
	const char *arg;
	while ((c = mica_cli_next(argc, argv, shortopts, longopts, &ended, &arg)) != -1) {
		if (c == MICA_CLI_OPERAND) {
			if (cfg.file)
				return fail("unexpected argument '%s'", arg);
			cfg.file = arg;
			continue;
		}
		switch (c) {
		case MICA_OPT_LISTEN:
			if (cfg.nlisten == SERVE_MAX_LISTEN)
				return fail("at most 16 --listen addresses%s", "");
			cfg.listen[cfg.nlisten++] = optarg;
			break;
		case MICA_OPT_WORKERS:
			if (parse_ulong(optarg, 1, 256, &v))
				return fail("--workers wants a number from 1 to 256, not '%s'",
					    optarg);
			cfg.workers = (unsigned)v;
			break;
		case MICA_OPT_PIN: /* auto on off */
			if ((k = mica_cli_value(c, optarg)) < 0)
				return fail("--pin wants auto, on or off, not '%s'", optarg);
			pin = k;
			break;
		case MICA_OPT_SERVE_ISOLATION: /* in enum serve_isolation's order */
			if ((k = mica_cli_value(c, optarg)) < 0)
				return fail("--isolation wants reset, fresh or reuse, not '%s'",
					    optarg);
			cfg.isolation = (enum serve_isolation)k;
			break;
		case MICA_OPT_SERVE_TIMEOUT:
		case MICA_OPT_QUEUE_TIMEOUT:
		case MICA_OPT_GRACE:
		case MICA_OPT_HEADER_TIMEOUT:
		case MICA_OPT_BODY_TIMEOUT: {
			/* milliseconds; 0 is a wait of none, for the waits that may be */
			unsigned min = c != MICA_OPT_QUEUE_TIMEOUT && c != MICA_OPT_GRACE;
			if (parse_ulong(optarg, min, 3600000, &v)) {
				fprintf(stderr,
					"mica serve: --%s wants milliseconds from %u to 3600000, "
					"not '%s'\n",
					mica_cli_options[mica_cli_option_index(c)].name, min,
					optarg);
				return MICA_ERR_INVALID;
			}
			*millis_field(&cfg, c) = (uint32_t)v;
			break;
		}
		case MICA_OPT_SERVE_MEMORY:
			if (parse_ulong(optarg, 16, 2048, &v))
				return fail("--memory wants MiB from 16 to 2048, not '%s'", optarg);
			cfg.memory_mb = (size_t)v;
			break;
		case MICA_OPT_MAX_BODY:
			if (parse_size(optarg, &v) || v > UINT32_MAX - 1)
				return fail("--max-body wants a size under 4g (e.g. 10m), not '%s'",
					    optarg);
			cfg.max_body = (size_t)v;
			break;
		case MICA_OPT_MAX_HEADER:
			if (parse_size(optarg, &v) || v < 1024 || v > (16u << 20))
				return fail("--max-header wants a size from 1k to 16m, not '%s'",
					    optarg);
			cfg.max_header = (size_t)v;
			break;
		case MICA_OPT_MAX_URI:
			if (parse_size(optarg, &v) || v < 16 || v > (16u << 20))
				return fail("--max-uri wants a size from 16 to 16m, not '%s'",
					    optarg);
			cfg.max_uri = (size_t)v;
			break;
		case MICA_OPT_ENV:
			if (nenv == 256)
				return fail("at most 256 --env options%s", "");
			envs[nenv++] = optarg;
			break;
		case MICA_OPT_ENV_FILE: env_file = optarg; break;
		case 'M': cfg.modules = optarg; break;
		case 's': cfg.snapshot = optarg; break;
		case 'B':
			if ((k = mica_cli_value(c, optarg)) < 0)
				return fail("--backend wants auto, kvm or process, not '%s'",
					    optarg);
			cfg.backend = (mica_backend)k;
			break;
		case MICA_OPT_ACCESS_LOG: cfg.access_log = optarg; break;
		case MICA_OPT_DEV: cfg.dev = 1; break;
		case MICA_OPT_ALLOW_FETCH: {
			char bad[512];
			if (cfg.nallow_fetch == SERVE_MAX_ALLOW_FETCH)
				return fail("at most 64 --allow-fetch origins%s", "");
			if (serve_fetch_origin_check(optarg, bad, sizeof(bad)))
				return fail("%s", bad);
			cfg.allow_fetch[cfg.nallow_fetch++] = optarg;
			break;
		}
		case MICA_OPT_MAX_SUBREQUESTS:
			if (parse_ulong(optarg, 0, 100000, &v))
				return fail(
				    "--max-subrequests wants a number from 0 to 100000, not "
				    "'%s'",
				    optarg);
			cfg.max_subrequests = (unsigned)v;
			break;
		case MICA_OPT_ADMIN: cfg.admin = optarg; break;
		case 'U': /* in MICA_REJECTIONS_*'s order */
			if ((k = mica_cli_value(c, optarg)) < 0)
				return fail(
				    "--unhandled-rejections wants strict, warn or none, not "
				    "'%s'",
				    optarg);
			cfg.rejections = k;
			break;
		case 'h': mica_cli_help(stdout, mica_cli_command("serve")); return 0;
		case 'V': printf("mica %s\n", MICA_VERSION); return 0;
		case ':': return fail("%s needs a value", argv[optind - 1]);
		default:
			return fail("unknown option '%s' (see mica serve --help)",
				    argv[optind - 1]);
		}
	}
	if (!cfg.file)
		return fail("serve needs FILE.js (see mica serve --help)%s", "");

	if (!cfg.nlisten)
		cfg.listen[cfg.nlisten++] = "127.0.0.1:8787";
	/* auto: pinned when the workers cover the CPUs; fewer workers (as in
	 * several servers on one machine, each on all CPUs) would all start
	 * on the first ones */
	cfg.pin = CPU_COUNT(&cfg.cpus) > 0 &&
		  (pin == 1 || (pin == 0 && cfg.workers >= (unsigned)CPU_COUNT(&cfg.cpus)));

	char why[1024];
	int rc = 0;
	if (env_file && serve_env_file(&cfg.env, env_file, why, sizeof(why)))
		rc = fail("%s", why);
	for (int i = 0; !rc && i < nenv; i++)
		if (serve_env_arg(&cfg.env, envs[i], why, sizeof(why)))
			rc = fail("%s", why);
	if (!rc && serve_log_open(cfg.access_log, why, sizeof(why)))
		rc = fail("%s", why);
	if (rc) {
		serve_env_free(&cfg.env);
		return rc;
	}

	/* SIGINT, SIGTERM and SIGHUP (reload) are taken by sigwait below;
	 * every thread started from here on inherits the mask */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* /healthz says 503 until the workers serve, and again once stopping */
	struct serve_metrics metrics = {.workers = cfg.workers};
	int down = 1;
	cfg.metrics = &metrics;
	cfg.down = &down;
	struct serve_workers *w = NULL;
	struct serve_http *h = serve_http_bind(&cfg, why, sizeof(why));
	if (!h) {
		rc = fail("%s", why);
		goto out;
	}
	w = serve_workers_prepare(&cfg, &rc, why, sizeof(why));
	if (!w) {
		fprintf(stderr, "mica serve: %s\n", why);
		goto out;
	}
	if (serve_workers_start(w, why, sizeof(why)) || serve_http_start(h, w, why, sizeof(why))) {
		fprintf(stderr, "mica serve: %s\n", why);
		rc = MICA_ERR_SYSTEM;
		goto out;
	}
	static const char *const iso[] = {"reset", "fresh", "reuse"};
	for (int i = 0; i < cfg.nlisten; i++)
		fprintf(stderr,
			"mica serve: listening on http://%s (%s, backend %s, isolation %s, %u "
			"worker%s%s)\n",
			serve_http_address(h, i), cfg.file, serve_workers_backend(w),
			iso[cfg.isolation], cfg.workers, cfg.workers == 1 ? "" : "s",
			cfg.pin ? ", pinned" : "");
	if (cfg.admin)
		fprintf(stderr, "mica serve: admin on http://%s (/healthz, /metrics)\n",
			serve_http_address(h, cfg.nlisten));
	__atomic_store_n(&down, 0, __ATOMIC_RELAXED);

	int sig = 0;
	struct retiring *retired = NULL;
	while (sigwait(&stop, &sig) || sig == SIGHUP)
		if (sig == SIGHUP) {
			reload(&cfg, h, &w, &retired);
			sig = 0;
		}
	fprintf(stderr, "mica serve: %s: finishing requests in flight\n",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	__atomic_store_n(&down, 1, __ATOMIC_RELAXED);
	serve_http_quiesce(h);
	for (unsigned waited = 0; serve_http_inflight(h) && waited < cfg.grace_ms; waited += 10)
		usleep(10000);
	if (serve_http_inflight(h)) {
		/* what is queued and what runs: 503, and no longer than that */
		fprintf(stderr,
			"mica serve: %u requests still in flight after %u ms: stopping them\n",
			serve_http_inflight(h), cfg.grace_ms);
		serve_workers_cancel(w);
		serve_workers_interrupt(w);
	}
	rc = 0;
	retired_join(&retired, 1);
out:
	serve_workers_stop(w);
	serve_http_free(h);
	serve_log_close();
	serve_env_free(&cfg.env);
	return rc;
}
