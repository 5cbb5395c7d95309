/*
 * mica: run JavaScript in a KVM micro-VM.
 * Exit codes are mica_code values: 0 ok, 1 uncaught exception, 2 usage or
 * bad input, 3 time limit, 4 memory limit, 5 guest fault, 6 hypervisor
 * unavailable or internal error.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mica.h"

#define EXIT_USAGE MICA_ERR_INVALID

static const char usage[] =
	"usage: mica run FILE.js [--handler NAME [--event JSON | --event-file PATH|-]] [options]\n"
	"       mica eval CODE [options]\n"
	"       mica --help | --version\n"
	"\n"
	"  run        evaluate FILE.js as an ES module; with --handler, call its export\n"
	"             NAME (or global function NAME) with the event and print the\n"
	"             JSON result\n"
	"  eval       evaluate CODE as a script and print its completion value\n"
	"\n"
	"options:\n"
	"  --handler NAME       function to call after the module has loaded\n"
	"  --event JSON         the event passed to the handler (default: null)\n"
	"  --event-file PATH    read the event from PATH ('-' for stdin)\n"
	"  --timeout MS         wall-clock limit for the whole run (default 10000)\n"
	"  --memory MB          guest memory in MiB (default 64, 16..2048)\n"
	"  -h, --help           show this help\n"
	"  -V, --version        show the version\n"
	"\n"
	"environment: MICA_KVM_DEVICE  the KVM device (default /dev/kvm)\n"
	"\n"
	"exit codes: 0 ok, 1 uncaught exception, 2 usage or bad input, 3 time limit,\n"
	"            4 memory limit, 5 guest fault, 6 hypervisor unavailable or internal\n";

struct opts {
	const char *cmd, *target, *handler, *event, *event_file;
	long timeout_ms, memory_mb;
};

static int fail(int code, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "mica: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return code;
}

/* Reads a whole file ("-" = stdin) into a NUL-terminated buffer. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (ferror(f) || feof(f))
			break;
		char *nb = cap < ((size_t)1 << 30) ? realloc(buf, cap *= 2) : NULL;
		if (!nb) {
			free(buf);
			buf = NULL;
			errno = EFBIG;
		}
		buf = nb;
	}
	int bad = !buf || ferror(f);
	if (f != stdin)
		fclose(f);
	if (bad) {
		if (buf)
			errno = EIO;
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static void on_console(void *ud, int stream, const char *data, size_t len)
{
	(void)ud;
	if (stream == 2) {
		fflush(stdout);
		fwrite(data, 1, len, stderr);
	} else {
		fwrite(data, 1, len, stdout);
	}
}

static long parse_num(const char *s, const char *flag, long min, long max, int *bad)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "mica: %s wants a whole number from %ld to %ld, not '%s'\n", flag, min, max, s);
		*bad = 1;
	}
	return v;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{"handler", required_argument, 0, 'H'}, {"event", required_argument, 0, 'e'},
		{"event-file", required_argument, 0, 'f'}, {"timeout", required_argument, 0, 't'},
		{"memory", required_argument, 0, 'm'}, {"help", no_argument, 0, 'h'},
		{"version", no_argument, 0, 'V'}, {0, 0, 0, 0}};
	int bad = 0, c;
	o->timeout_ms = 10000;
	o->memory_mb = 64;
	opterr = 0;
	/* '+': stop at each operand, take it, and go on parsing options. */
	for (;;) {
		c = getopt_long(argc, argv, "+:hV", longopts, NULL);
		if (c == -1) {
			if (optind >= argc)
				break;
			const char *arg = argv[optind++];
			if (!o->cmd)
				o->cmd = arg;
			else if (!o->target)
				o->target = arg;
			else
				return fail(EXIT_USAGE, "unexpected argument '%s'", arg, "");
			continue;
		}
		switch (c) {
		case 'H': o->handler = optarg; break;
		case 'e': o->event = optarg; break;
		case 'f': o->event_file = optarg; break;
		case 't': o->timeout_ms = parse_num(optarg, "--timeout", 1, 86400000, &bad); break;
		case 'm': o->memory_mb = parse_num(optarg, "--memory", 16, 2048, &bad); break;
		case 'h': fputs(usage, stdout); exit(0);
		case 'V': printf("mica %s\n", MICA_VERSION); exit(0);
		case ':':
			return fail(EXIT_USAGE, "option '%s' needs a value", argv[optind - 1], "");
		default:
			return fail(EXIT_USAGE, "unknown option '%s' (see mica --help)", argv[optind - 1], "");
		}
		if (bad)
			return EXIT_USAGE;
	}
	if (!o->cmd)
		return fail(EXIT_USAGE, "no command given (see mica --help)", "", "");
	if (strcmp(o->cmd, "run") && strcmp(o->cmd, "eval"))
		return fail(EXIT_USAGE, "unknown command '%s' (see mica --help)", o->cmd, "");
	if (!o->target)
		return fail(EXIT_USAGE, "%s needs %s", o->cmd, strcmp(o->cmd, "run") ? "CODE" : "a FILE");
	if (o->event && o->event_file)
		return fail(EXIT_USAGE, "give --event or --event-file, not both", "", "");
	if ((o->event || o->event_file) && !o->handler)
		return fail(EXIT_USAGE, "--event and --event-file need --handler", "", "");
	if (o->handler && strcmp(o->cmd, "run"))
		return fail(EXIT_USAGE, "--handler works with run only", "", "");
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Prints an error the way the exit-code table promises. */
static int report(const mica_error *err)
{
	fflush(stdout);
	if (err->code == MICA_ERR_JS)
		fprintf(stderr, "Uncaught %s\n", err->message);
	else
		fprintf(stderr, "mica: %s\n", err->message);
	return (int)err->code;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	long long deadline = now_ms() + o.timeout_ms;

	char *source = NULL, *event = NULL, *result = NULL;
	size_t source_len = 0, event_len = 0, result_len = 0;
	mica_runtime *rt = NULL;
	mica_sandbox *sb = NULL;
	mica_error err = {0};

	if (!strcmp(o.cmd, "run")) {
		source = read_file(o.target, &source_len);
		if (!source) {
			rc = fail(EXIT_USAGE, "cannot read '%s': %s", o.target, strerror(errno));
			goto out;
		}
	}
	if (o.event_file) {
		event = read_file(o.event_file, &event_len);
		if (!event) {
			rc = fail(EXIT_USAGE, "cannot read event file '%s': %s", o.event_file, strerror(errno));
			goto out;
		}
	} else if (o.handler) {
		event = strdup(o.event ? o.event : "null");
		event_len = event ? strlen(event) : 0;
	}

	mica_runtime_options ro = {.kvm_path = getenv("MICA_KVM_DEVICE")};
	rt = mica_runtime_new(&ro, &err);
	if (!rt) {
		rc = report(&err);
		goto out;
	}
	mica_limits lim;
	mica_limits_default(&lim);
	lim.memory_bytes = (size_t)o.memory_mb << 20;
	lim.timeout_ms = (uint32_t)o.timeout_ms;
	sb = mica_sandbox_new(rt, &lim, &err);
	if (!sb) {
		rc = report(&err);
		goto out;
	}
	mica_sandbox_set_console(sb, on_console, NULL);

	for (int step = 0; step < 2; step++) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			err.code = MICA_ERR_TIMEOUT;
			snprintf(err.message, sizeof(err.message), "time limit exceeded: %ld ms", o.timeout_ms);
			rc = report(&err);
			goto out;
		}
		mica_sandbox_set_timeout(sb, (uint32_t)left);
		if (!strcmp(o.cmd, "eval"))
			rc = mica_sandbox_eval(sb, "<eval>", o.target, strlen(o.target), &result, &result_len, &err);
		else if (step == 0)
			rc = mica_sandbox_load(sb, o.target, source, source_len, &err);
		else if (o.handler)
			rc = mica_sandbox_call(sb, o.handler, event, event_len, &result, &result_len, &err);
		if (rc) {
			if (rc == MICA_ERR_TIMEOUT)
				snprintf(err.message, sizeof(err.message),
					 "time limit exceeded: the run took longer than %ld ms", o.timeout_ms);
			rc = report(&err);
			goto out;
		}
		if (result) {
			fwrite(result, 1, result_len, stdout);
			if (result_len || o.handler)
				fputc('\n', stdout);
			break;
		}
		if (!strcmp(o.cmd, "eval") || !o.handler)
			break;
	}
out:
	free(result);
	mica_sandbox_free(sb);
	mica_runtime_free(rt);
	free(source);
	free(event);
	if (fflush(stdout) != 0 && rc == 0)
		rc = MICA_ERR_SYSTEM;
	return rc;
}
