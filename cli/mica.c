/*
 * mica: run JavaScript in a sandbox (a KVM micro-VM or a confined process).
 * Exit codes are mica_code values: 0 ok, 1 uncaught exception, 2 usage or
 * bad input, 3 time limit, 4 memory limit, 5 guest fault, 6 backend
 * unavailable or internal error.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../server/serve.h"
#include "entry.h"
#include "events.h"
#include "help.h"
#include "mica.h"
#include "mica_abi.h"
#include "slurp.h"
#include "writer.h"

#define EXIT_USAGE MICA_ERR_INVALID

/* in the order of --isolation's values in cli/help.c */
enum isolation { ISO_REUSE, ISO_RESET, ISO_FRESH };

struct opts {
	const char *cmd, *target, *handler, *event, *event_file, *event_bytes, *snapshot, *output,
	    *modules;
	long timeout_ms, memory_mb, repeat;
	int memory_set, repeat_set, iso_set, deterministic, verbose, rejections, rejections_set;
	int no_lockdown;
	enum isolation iso;
	mica_backend backend;
	const char *backend_from; /* "--backend" or "MICA_BACKEND" */
};

/* The events of the calls: one (used for every call) or one per call. */
struct events {
	char *buf;
	char **ev;
	size_t *len;
	size_t n;
};

static int fail(int code, const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "mica: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
	return code;
}

/* rc, or MICA_ERR_SYSTEM with the reason if anything written to stdout was
 * lost (a large fwrite skips the buffer: its error shows in ferror only). */
static int stdout_done(int rc)
{
	errno = 0;
	if ((fflush(stdout) || ferror(stdout)) && !rc)
		rc = fail(MICA_ERR_SYSTEM, "cannot write the output to stdout%s%s",
			  errno ? ": " : "", errno ? strerror(errno) : "");
	return rc;
}

/* Reads a whole file ("-" = stdin) of at most max bytes into a
 * NUL-terminated buffer; NULL with errno set (EFBIG: larger). */
static char *read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f)
		return NULL;
	char *buf = mica_cli_slurp(f, max, len);
	int e = errno;
	if (f != stdin)
		fclose(f);
	errno = e;
	return buf;
}

/* Exit 2 for the input at path that read_file could not read (what: "" or
 * "event file "), saying why; one larger than max says so and stops there. */
static int unreadable(const char *what, const char *path, size_t max)
{
	if (errno == EFBIG)
		fprintf(stderr, "mica: cannot read %s'%s': larger than %zu bytes (%s)\n", what,
			path, max,
			max == MICA_IN_SIZE ? "3 MiB, the largest request"
					    : "what --repeat's requests may hold");
	else
		fprintf(stderr, "mica: cannot read %s'%s': %s\n", what, path, strerror(errno));
	return EXIT_USAGE;
}

/* The length of the valid UTF-8 sequence at p (at most n bytes) that is
 * not a C1 control, or 0. */
static size_t utf8_printable(const unsigned char *p, size_t n)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	if (!len || len > n)
		return 0;
	uint32_t cp = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	static const uint32_t least[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
		return 0;
	return len;
}

/* Writes what the guest decided (console output, results, messages) to f.
 * To a terminal, control characters but \n and \t are shown escaped
 * (\x1b...), so that a guest cannot drive the terminal; to a pipe or a
 * file, the bytes are exact. */
static int tty[3];

/* Which of stdout and stderr are terminals (asks the terminal: before a
 * lockdown, which refuses that ioctl). */
static void tty_probe(void)
{
	tty[1] = isatty(1);
	tty[2] = isatty(2);
}

static void put_guest(FILE *f, const void *data, size_t len)
{
	int k = f == stderr ? 2 : 1;
	const unsigned char *p = data;
	if (!tty[k]) {
		fwrite(p, 1, len, f);
		return;
	}
	for (size_t i = 0; i < len;) {
		size_t n = p[i] >= 0x80 ? utf8_printable(p + i, len - i) : 1;
		if (n == 1 && (p[i] >= 0x20 || p[i] == '\n' || p[i] == '\t') && p[i] != 0x7f) {
			fputc(p[i], f);
		} else if (n > 1) {
			fwrite(p + i, 1, n, f);
		} else {
			fprintf(f, "\\x%02x", p[i]);
			n = 1;
		}
		i += n;
	}
}

/* ud: non-NULL when stdout carries the output file (-o -): then the
 * guest's stdout goes to stderr too. */
static void on_console(void *ud, int stream, const char *data, size_t len)
{
	if (stream == 2 || ud) {
		fflush(stdout);
		put_guest(stderr, data, len);
	} else {
		put_guest(stdout, data, len);
	}
}

static int parse_backend(const char *s, mica_backend *b)
{
	int k = mica_cli_value('B', s); /* auto kvm process: mica_backend's order */
	if (k >= 0)
		*b = (mica_backend)k;
	return k < 0 ? -1 : 0;
}

static long parse_num(const char *s, const char *flag, long min, long max, int *bad)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	/* digits only: strtol would take " 5" and "+5" */
	if (errno || !isdigit((unsigned char)s[0]) || *end || v < min || v > max) {
		fprintf(stderr, "mica: %s wants a whole number from %ld to %ld, not '%s'\n", flag,
			min, max, s);
		*bad = 1;
	}
	return v;
}

/* The combinations of commands and options that make sense. */
static int check_args(const struct opts *o)
{
	int run = !strcmp(o->cmd, "run"), snap = !strcmp(o->cmd, "snapshot"),
	    eval = !strcmp(o->cmd, "eval");
	int comp = !strcmp(o->cmd, "compile"), info = !strcmp(o->cmd, "info");
	if (!run && !snap && !eval && !comp && !info)
		return fail(EXIT_USAGE, "unknown command '%s' (see mica --help)", o->cmd, "");
	if (info) {
		if (o->target)
			return fail(EXIT_USAGE, "info takes no argument ('%s')", o->target, "");
		if (o->handler || o->event || o->event_file || o->event_bytes || o->snapshot ||
		    o->output || o->modules || o->repeat_set || o->iso_set || o->memory_set ||
		    o->deterministic || o->rejections_set)
			return fail(EXIT_USAGE, "info takes only --backend", "", "");
		return 0;
	}
	if (run && o->snapshot && o->target)
		return fail(EXIT_USAGE, "give FILE.js or --snapshot, not both", "", "");
	if (!o->target && !(run && o->snapshot))
		return fail(EXIT_USAGE, "%s needs %s", o->cmd, eval ? "CODE" : "a FILE");
	if (o->snapshot && !run)
		return fail(EXIT_USAGE, "--snapshot works with run only", "", "");
	if (o->snapshot && !o->handler)
		return fail(EXIT_USAGE, "--snapshot needs --handler (the module has already run)",
			    "", "");
	if (o->snapshot && o->memory_set)
		return fail(EXIT_USAGE,
			    "--memory cannot change a snapshot (it keeps its memory size)", "", "");
	if (o->snapshot && o->deterministic)
		return fail(EXIT_USAGE,
			    "--deterministic cannot change a snapshot (it keeps its mode)", "", "");
	if (snap && !o->output)
		return fail(EXIT_USAGE, "snapshot needs -o SNAP, the file to write", "", "");
	if (comp && !o->output)
		return fail(EXIT_USAGE, "compile needs -o FILE.mbc, the file to write", "", "");
	if (o->output && !snap && !comp)
		return fail(EXIT_USAGE, "-o works with snapshot and compile only", "", "");
	if (!!o->event + !!o->event_file + !!o->event_bytes > 1)
		return fail(EXIT_USAGE,
			    "give one of --event, --event-file and --event-bytes, not several", "",
			    "");
	if ((o->event || o->event_file || o->event_bytes) && !o->handler)
		return fail(EXIT_USAGE, "--event, --event-file and --event-bytes need --handler",
			    "", "");
	if ((o->repeat_set || o->iso_set) && !o->handler)
		return fail(EXIT_USAGE, "--repeat and --isolation need --handler", "", "");
	if (o->handler && !run)
		return fail(EXIT_USAGE, "--handler works with run only", "", "");
	if (o->rejections_set && comp)
		return fail(EXIT_USAGE, "--unhandled-rejections works with run, eval and snapshot",
			    "", "");
	return 0;
}

/* --help: the command's help, or everything's; an operand that is no
 * command is a usage error. */
static int help(const char *name)
{
	const struct mica_cli_command *cmd = NULL;
	if (name && *name != '-' && !(cmd = mica_cli_command(name)))
		return fail(EXIT_USAGE, "unknown command '%s' (see mica --help)", name, "");
	mica_cli_help(stdout, cmd);
	return stdout_done(0);
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	struct option longopts[MICA_CLI_NOPTIONS + 1];
	char shortopts[3 * MICA_CLI_NOPTIONS + 3];
	mica_cli_getopt(MICA_CMD_ALL & ~MICA_CMD_SERVE, longopts, shortopts);
	_Static_assert(MICA_CLI_NOPTIONS <= 64, "seen has a bit per option");
	uint64_t seen = 0; /* the options given, by index in mica_cli_options */
	int bad = 0, ended = 0, c;
	const char *arg;
	o->timeout_ms = 10000;
	o->memory_mb = 64;
	o->repeat = 1;
	o->iso = ISO_REUSE;
	opterr = 0;
	while ((c = mica_cli_next(argc, argv, shortopts, longopts, &ended, &arg)) != -1) {
		if (c == MICA_CLI_OPERAND) {
			if (!o->cmd)
				o->cmd = arg;
			else if (!o->target)
				o->target = arg;
			else
				return fail(EXIT_USAGE, "unexpected argument '%s'", arg, "");
			continue;
		}
		int k = mica_cli_option_index(c);
		if (k >= 0)
			seen |= 1ull << k;
		switch (c) {
		case 'H': o->handler = optarg; break;
		case 'M': o->modules = optarg; break;
		case 'D': o->deterministic = 1; break;
		case 'v': o->verbose = 1; break;
		case 'B':
			if (parse_backend(optarg, &o->backend))
				return fail(EXIT_USAGE,
					    "--backend wants auto, kvm or process, not '%s'",
					    optarg, "");
			o->backend_from = "--backend";
			break;
		case 'e': o->event = optarg; break;
		case 'f': o->event_file = optarg; break;
		case 'b': o->event_bytes = optarg; break;
		case 's': o->snapshot = optarg; break;
		case 'o': o->output = optarg; break;
		case 't': o->timeout_ms = parse_num(optarg, "--timeout", 1, 86400000, &bad); break;
		case 'm':
			o->memory_mb = parse_num(optarg, "--memory", 16, 2048, &bad);
			o->memory_set = 1;
			break;
		case 'n':
			o->repeat = parse_num(optarg, "--repeat", 1, 1000000, &bad);
			o->repeat_set = 1;
			break;
		case 'i': {
			int k = mica_cli_value('i', optarg);
			if (k < 0)
				return fail(EXIT_USAGE,
					    "--isolation wants reuse, reset or fresh, not '%s'",
					    optarg, "");
			o->iso = (enum isolation)k;
			o->iso_set = 1;
			break;
		}
		case 'L': o->no_lockdown = 1; break;
		case 'U': {
			int k = mica_cli_value('U', optarg);
			if (k < 0)
				return fail(
				    EXIT_USAGE,
				    "--unhandled-rejections wants strict, warn or none, not '%s'",
				    optarg, "");
			o->rejections = k;
			o->rejections_set = 1;
			break;
		}
		case 'h': exit(help(o->cmd ? o->cmd : optind < argc ? argv[optind] : NULL));
		case 'V': printf("mica %s\n", MICA_VERSION); exit(0);
		case ':':
			return fail(EXIT_USAGE, "option '%s' needs a value", argv[optind - 1], "");
		default:
			return fail(EXIT_USAGE, "unknown option '%s' (see mica --help)",
				    argv[optind - 1], "");
		}
		if (bad)
			return EXIT_USAGE;
	}
	if (!o->cmd)
		return fail(EXIT_USAGE, "no command given (see mica --help)", "", "");
	/* The flag wins over the variable. */
	const char *env = getenv("MICA_BACKEND");
	if (!o->backend_from && env && *env) {
		if (parse_backend(env, &o->backend))
			return fail(EXIT_USAGE, "MICA_BACKEND wants auto, kvm or process, not '%s'",
				    env, "");
		o->backend_from = "MICA_BACKEND";
	}
	int rc = check_args(o);
	if (rc)
		return rc;
	/* what check_args lets through, the table has the last word on */
	const struct mica_cli_command *cmd = mica_cli_command(o->cmd);
	for (int i = 0; i < MICA_CLI_NOPTIONS; i++)
		if ((seen >> i & 1) && !(mica_cli_options[i].cmds & cmd->bit)) {
			fprintf(stderr, "mica: %s does not take --%s (see mica %s --help)\n",
				o->cmd, mica_cli_options[i].name, o->cmd);
			return EXIT_USAGE;
		}
	return 0;
}

/* The events: --event (or null) for every call; --event-file as one event,
 * or with --repeat N as N lines of one event each. */
static int read_events(const struct opts *o, struct events *ev)
{
	size_t len = 0;
	/* a request; an --event-file with --repeat N holds N (1 GiB at most) */
	size_t max = MICA_IN_SIZE, most = (size_t)1 << 30;
	if (o->event_file && o->repeat_set)
		max = (size_t)o->repeat > most / max ? most : max * (size_t)o->repeat;
	const char *path = o->event_bytes ? o->event_bytes : o->event_file;
	if (path) {
		ev->buf = read_file(path, max, &len);
		if (!ev->buf)
			return unreadable("event file ", path, max);
	} else {
		ev->buf = strdup(o->event ? o->event : "null");
		len = ev->buf ? strlen(ev->buf) : 0;
	}
	size_t cap = o->event_file && o->repeat_set ? (size_t)o->repeat : 1;
	ev->ev = calloc(cap, sizeof(*ev->ev));
	ev->len = calloc(cap, sizeof(*ev->len));
	if (!ev->buf || !ev->ev || !ev->len)
		return fail(MICA_ERR_SYSTEM, "out of memory", "", "");
	if (!(o->event_file && o->repeat_set)) {
		ev->ev[0] = ev->buf;
		ev->len[0] = len;
		ev->n = 1;
		return 0;
	}
	size_t lines = mica_cli_split_events(ev->buf, len, ev->ev, ev->len, cap);
	if (lines != cap) {
		char a[32], b[32];
		snprintf(a, sizeof(a), "%zu", lines);
		snprintf(b, sizeof(b), "%zu", cap);
		fprintf(stderr,
			"mica: event file '%s' has %s events (one per line); --repeat wants %s\n",
			o->event_file, a, b);
		return EXIT_USAGE;
	}
	ev->n = cap;
	return 0;
}

static void free_events(struct events *ev)
{
	free(ev->buf);
	free(ev->ev);
	free(ev->len);
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
	fputs(err->code == MICA_ERR_JS ? "Uncaught " : "mica: ", stderr);
	put_guest(stderr, err->message, strlen(err->message)); /* guest text in it */
	fputc('\n', stderr);
	return (int)err->code;
}

/* One run: options, inputs, deadline. */
struct ctx {
	const struct opts *o;
	int out_stdout; /* -o -: the output file is stdout */
	long long deadline;
	char *source; /* FILE.js */
	size_t source_len;
	char *entry;	  /* FILE.js's module name: its path relative to --modules */
	int bytecode;	  /* FILE is a bytecode file (by its magic): load, not parse */
	struct events ev; /* with --handler */
	mica_runtime *rt;
	mica_error err;
	struct mica_cli_writer out; /* snapshot, compile: the output's writer */
	int modules_fd;		    /* --modules, opened once (a lockdown opens nothing) */
	int locked;		    /* mica_runtime_lockdown is in force */
};

/* Confines the process (mica_runtime_lockdown) once the first sandbox is
 * set up, before any guest code runs; --no-lockdown leaves it out. */
static int confine(struct ctx *c, const mica_sandbox *sb)
{
	if (c->locked || c->o->no_lockdown)
		return 0;
	if (mica_runtime_lockdown(c->rt, sb, 0, &c->err))
		return report(&c->err);
	c->locked = 1;
#ifdef MICA_LOCKDOWN_PROBE
	/* test builds: what a process that took over the CLI would try */
	if (getenv("MICA_LOCKDOWN_PROBE")) {
		int fd = open("/etc/hostname", O_RDONLY);
		fprintf(stderr, "probe: open: %s\n", fd < 0 ? strerror(errno) : "allowed");
		int s = socket(AF_INET, SOCK_STREAM, 0);
		fprintf(stderr, "probe: socket: %s\n", s < 0 ? strerror(errno) : "allowed");
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		fprintf(stderr, "probe: fork: %s\n", p < 0 ? strerror(errno) : "allowed");
	}
#endif
	return 0;
}

/* Gives sb what is left of the run's time, or fails with a time-limit error. */
static int budget(struct ctx *c, mica_sandbox *sb)
{
	long long left = c->deadline - now_ms();
	if (left <= 0) {
		c->err.code = MICA_ERR_TIMEOUT;
		snprintf(c->err.message, sizeof(c->err.message), "time limit exceeded: %ld ms",
			 c->o->timeout_ms);
		return MICA_ERR_TIMEOUT;
	}
	mica_sandbox_set_timeout(sb, (uint32_t)left);
	return 0;
}

/* Names the line of the --event-file that call k's bad event came from
 * (with --repeat, one event a line; blank lines are skipped). */
static void locate_event(struct ctx *c, size_t k)
{
	const struct events *ev = &c->ev;
	if (ev->n < 2 || c->err.code != MICA_ERR_INVALID ||
	    strncmp(c->err.message, "invalid event JSON", 18))
		return;
	size_t line = 1 + k; /* each earlier event's newline is a NUL now */
	for (const char *p = ev->buf; p < ev->ev[k]; p++)
		line += *p == '\n';
	char msg[sizeof(c->err.message)];
	snprintf(msg, sizeof(msg), "%.150s, line %zu: %.800s", c->o->event_file, line,
		 c->err.message);
	memcpy(c->err.message, msg, sizeof(msg));
}

/* An operation's outcome, with the time-limit message of the whole run. */
static int outcome(struct ctx *c, int rc)
{
	if (rc == MICA_ERR_TIMEOUT)
		snprintf(c->err.message, sizeof(c->err.message),
			 "time limit exceeded: the run took longer than %ld ms", c->o->timeout_ms);
	return rc;
}

/* Console and module root for a new sandbox (NULL passes through). */
static mica_sandbox *setup(struct ctx *c, mica_sandbox *sb)
{
	if (!sb)
		return NULL;
	mica_sandbox_set_console(sb, on_console, c->out_stdout ? c : NULL);
	mica_sandbox_set_unhandled_rejections(sb, c->o->rejections);
	if (c->modules_fd >= 0 && mica_sandbox_set_modules_fd(sb, c->modules_fd, &c->err)) {
		mica_sandbox_free(sb);
		return NULL;
	}
	return sb;
}

/* The sandbox limits the options ask for. */
static mica_limits limits_from(const struct opts *o)
{
	mica_limits lim;
	mica_limits_default(&lim);
	lim.memory_bytes = (size_t)o->memory_mb << 20;
	lim.timeout_ms = (uint32_t)o->timeout_ms;
	lim.deterministic = o->deterministic;
	return lim;
}

/* Boots a sandbox and loads FILE.js into it. */
static int boot_and_load(struct ctx *c, mica_sandbox **out)
{
	mica_limits lim = limits_from(c->o);
	/* A bad bytecode file is refused before a sandbox is made for it. */
	if (c->bytecode && mica_bytecode_check(c->rt, c->source, c->source_len, &c->err)) {
		fflush(stdout);
		fprintf(stderr, "mica: %s: %s\n", c->o->target, c->err.message);
		return c->err.code;
	}
	int rc = MICA_OK;
	mica_sandbox *sb = setup(c, mica_sandbox_new(c->rt, &lim, &c->err));
	if (!sb)
		rc = c->err.code;
	else if ((rc = confine(c, sb))) {
		mica_sandbox_free(sb);
		return rc;
	} else if (!(rc = budget(c, sb)) && c->bytecode)
		rc = outcome(c, mica_sandbox_load_bytecode(sb, c->source, c->source_len, &c->err));
	else if (!rc)
		rc = outcome(c, mica_sandbox_load(sb, c->entry ? c->entry : c->o->target, c->source,
						  c->source_len, &c->err));
	if (rc) {
		mica_sandbox_free(sb);
		return report(&c->err);
	}
	*out = sb;
	return 0;
}

/* A sandbox from snap, or an error report. */
static int sandbox_from(struct ctx *c, mica_snapshot *snap, mica_sandbox **out)
{
	*out = setup(c, mica_sandbox_from_snapshot(c->rt, snap, &c->err));
	return *out ? 0 : report(&c->err);
}

/* The calls: one result line each; the sandbox for each as the isolation
 * mode says. sb (booted, loaded; NULL when starting from snap) is used by
 * reuse; snap by reset and fresh. */
static int calls(struct ctx *c, mica_sandbox *sb, mica_snapshot *snap)
{
	const struct opts *o = c->o;
	const struct events *ev = &c->ev;
	int rc = 0;
	if (!sb && o->iso != ISO_FRESH && (rc = sandbox_from(c, snap, &sb)))
		return rc;
	for (long i = 0; i < o->repeat && !rc; i++) {
		if (o->iso == ISO_FRESH) {
			mica_sandbox_free(sb);
			if ((rc = sandbox_from(c, snap, &sb)))
				break;
		} else if (o->iso == ISO_RESET && i > 0) {
			/* a reset drops the console and module root: give them again */
			if (mica_sandbox_reset(sb, &c->err) || !(sb = setup(c, sb))) {
				rc = report(&c->err);
				break;
			}
		}
		size_t k = ev->n > 1 ? (size_t)i : 0;
		char *result = NULL;
		size_t result_len = 0;
		int is_bytes = 0;
		if ((rc = confine(c, sb)))
			break;
		rc = budget(c, sb);
		if (!rc && o->event_bytes) {
			void *res = NULL;
			rc = outcome(c, mica_sandbox_call_bytes(sb, o->handler, ev->ev[k],
								ev->len[k], &res, &result_len,
								&is_bytes, &c->err));
			result = res;
		} else if (!rc) {
			rc = outcome(c, mica_sandbox_call(sb, o->handler, ev->ev[k], ev->len[k],
							  &result, &result_len, &c->err));
			is_bytes = mica_sandbox_result_is_bytes(sb);
		}
		if (rc) {
			locate_event(c, k);
			rc = report(&c->err);
		} else {
			put_guest(stdout, result, result_len);
			if (!is_bytes) /* bytes are written raw: no newline */
				fputc('\n', stdout);
		}
		free(result);
	}
	mica_sandbox_free(sb);
	return rc;
}

static int cmd_run(struct ctx *c)
{
	const struct opts *o = c->o;
	mica_sandbox *sb = NULL;
	mica_snapshot *snap = NULL;
	int rc = 0;
	if (o->snapshot) {
		snap = mica_snapshot_load(c->rt, o->snapshot, &c->err);
		if (!snap)
			return report(&c->err);
	} else {
		if ((rc = boot_and_load(c, &sb)))
			return rc;
		/* reset and fresh start every call from the state after loading */
		if (o->handler && o->iso != ISO_REUSE) {
			snap = mica_snapshot_take(sb, &c->err);
			mica_sandbox_free(sb);
			sb = NULL;
			if (!snap)
				return report(&c->err);
		}
	}
	if (o->handler)
		rc = calls(c, sb, snap);
	else
		mica_sandbox_free(sb);
	mica_snapshot_free(snap);
	return rc;
}

static int cmd_snapshot(struct ctx *c)
{
	mica_sandbox *sb = NULL;
	int rc = boot_and_load(c, &sb);
	if (rc)
		return rc;
	mica_snapshot *snap = mica_snapshot_take(sb, &c->err);
	if (!snap || mica_snapshot_write(snap, c->out.data, &c->err))
		rc = report(&c->err);
	mica_snapshot_free(snap);
	mica_sandbox_free(sb);
	return rc;
}

/* The bytes of the output file, to its writer. */
static int put_output(struct ctx *c, const void *data, size_t len)
{
	const char *p = data;
	for (size_t done = 0; done < len;) {
		ssize_t k = write(c->out.data, p + done, len - done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 && c->out_stdout)
			return fail(MICA_ERR_SYSTEM, "cannot write the output to stdout: %s%s",
				    strerror(k ? errno : EIO), "");
		if (k <= 0)
			return fail(MICA_ERR_SYSTEM, "cannot hand '%s' to its writer: %s",
				    c->o->output, strerror(k ? errno : EIO));
		done += (size_t)k;
	}
	return 0;
}

static int cmd_compile(struct ctx *c)
{
	if (c->bytecode)
		return fail(EXIT_USAGE, "'%s' is already a bytecode file%s", c->o->target, "");
	mica_limits lim = limits_from(c->o);
	/* No module root: compiling reads no imports. */
	mica_sandbox *sb = mica_sandbox_new(c->rt, &lim, &c->err);
	if (!sb)
		return report(&c->err);
	mica_sandbox_set_console(sb, on_console, c->out_stdout ? c : NULL);
	void *file = NULL;
	size_t file_len = 0;
	int rc = confine(c, sb);
	if (rc) {
		mica_sandbox_free(sb);
		return rc;
	}
	rc = budget(c, sb);
	if (!rc)
		rc = outcome(c,
			     mica_sandbox_compile(sb, c->entry ? c->entry : c->o->target, c->source,
						  c->source_len, &file, &file_len, &c->err));
	mica_sandbox_free(sb);
	if (rc)
		rc = report(&c->err);
	else
		rc = put_output(c, file, file_len);
	free(file);
	return rc;
}

static int cmd_eval(struct ctx *c)
{
	mica_limits lim = limits_from(c->o);
	mica_sandbox *sb = setup(c, mica_sandbox_new(c->rt, &lim, &c->err));
	if (!sb)
		return report(&c->err);
	char *result = NULL;
	size_t result_len = 0;
	const char *code = c->o->target;
	int rc = confine(c, sb);
	if (rc) {
		mica_sandbox_free(sb);
		return rc;
	}
	rc = budget(c, sb);
	if (!rc)
		rc = outcome(c, mica_sandbox_eval(sb, "<eval>", code, strlen(code), &result,
						  &result_len, &c->err));
	if (rc) {
		rc = report(&c->err);
	} else if (result_len) {
		put_guest(stdout, result, result_len);
		fputc('\n', stdout);
	}
	free(result);
	mica_sandbox_free(sb);
	return rc;
}

/* Reads and checks every input before any VM is made: usage errors first. */
static int read_inputs(struct ctx *c)
{
	const struct opts *o = c->o;
	if (strcmp(o->cmd, "eval") && o->target) {
		c->source = read_file(o->target, MICA_IN_SIZE, &c->source_len);
		if (!c->source)
			return unreadable("", o->target, MICA_IN_SIZE);
		c->bytecode = c->source_len >= 8 && !memcmp(c->source, "MICABC\0\0", 8);
	}
	if (o->handler) {
		int rc = read_events(o, &c->ev);
		if (rc)
			return rc;
	}
	if (o->modules) {
		c->modules_fd = open(o->modules, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c->modules_fd < 0)
			return fail(EXIT_USAGE, "cannot use '%s' as the module root: %s",
				    o->modules, strerror(errno));
	}
	if (o->modules && o->target && strcmp(o->cmd, "eval") && !c->bytecode) {
		/* FILE.js is named by its path inside the root, so that its
		 * relative imports resolve there. */
		if (!(c->entry = mica_cli_entry_name(o->modules, o->target)))
			return fail(EXIT_USAGE, "'%s' is not inside the module root '%s'",
				    o->target, o->modules);
	}
	if (o->snapshot) {
		/* unreadable is a usage error, like a missing FILE.js */
		int fd = open(o->snapshot, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return fail(EXIT_USAGE, "cannot read snapshot '%s': %s", o->snapshot,
				    strerror(errno));
		close(fd);
	}
	if (c->out_stdout && tty[1]) /* a terminal shows no binary file */
		return fail(EXIT_USAGE,
			    "-o - writes the %s file to stdout, which is a terminal: redirect it%s",
			    !strcmp(o->cmd, "snapshot") ? "snapshot" : "bytecode",
			    ", or give -o FILE");
	if (o->output && !c->out_stdout) {
		/* an unwritable destination is found before the work, not after */
		const char *why = mica_cli_writer_refusal(o->output);
		char *dir = why ? NULL : strdup(o->output);
		if (!why && (!dir || access(dirname(dir), W_OK | X_OK)))
			why = dir ? strerror(errno) : "out of memory";
		free(dir);
		if (why)
			return fail(EXIT_USAGE, "cannot write '%s': %s", o->output, why);
	}
	return 0;
}

/* The backend lines of `mica info`: whether each works here, and why not. */
static void info_backend(mica_backend b, const char *kvm_path)
{
	mica_runtime_options ro = {.kvm_path = kvm_path, .backend = b};
	mica_error err;
	mica_runtime *rt = mica_runtime_new(&ro, &err);
	if (!rt) {
		printf("%s: unavailable: %s\n", mica_backend_name(b), err.message);
		return;
	}
	char facts[2048];
	mica_runtime_describe(rt, facts, sizeof(facts));
	printf("%s: available\n", mica_backend_name(b));
	for (char *line = strtok(facts, "\n"); line; line = strtok(NULL, "\n"))
		printf("  %s\n", line);
	mica_runtime_free(rt);
}

static int cmd_info(const struct opts *o)
{
	const char *kvm_path = getenv("MICA_KVM_DEVICE");
	printf("mica %s, guest ABI %d\n", MICA_VERSION, MICA_ABI_VERSION);
	mica_runtime_options ro = {.kvm_path = kvm_path, .backend = o->backend};
	mica_error err;
	mica_runtime *rt = mica_runtime_new(&ro, &err);
	printf("backend: %s (%s%s)\n", rt ? mica_backend_name(mica_runtime_backend(rt)) : "none",
	       o->backend_from ? "from " : "auto", o->backend_from ? o->backend_from : "");
	/* A backend asked for that cannot be used is exit 6, as for every command. */
	int rc = !rt && o->backend_from ? MICA_ERR_SYSTEM : 0;
	mica_runtime_free(rt);
	info_backend(MICA_BACKEND_KVM, kvm_path);
	info_backend(MICA_BACKEND_PROCESS, kvm_path);
	mica_limits l;
	mica_limits_default(&l);
	printf("default limits: memory %zu MiB (16..2048), stack %zu KiB, time %u ms per run, "
	       "console %zu KiB per "
	       "call, JS heap: what memory leaves\n",
	       l.memory_bytes >> 20, l.stack_bytes >> 10, l.timeout_ms, l.output_bytes >> 10);
	if (rc) /* err is mica_runtime_new's */
		fail(rc, "%s", err.message, "");
	return stdout_done(rc);
}

/* Opens /dev/null on whichever of descriptors 0, 1 and 2 is closed (under
 * some daemons and `>&-`): else the first file, socket or KVM descriptor
 * opened would take its number, and output meant for stdout would go
 * there. A bit per descriptor that was closed. */
static int std_fds_open(void)
{
	int closed = 0;
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			closed |= 1 << fd;
			int n = open("/dev/null", O_RDWR); /* the lowest free: fd */
			if (n > fd)			   /* a lower one could not be opened */
				close(n);
		}
	return closed;
}

int main(int argc, char **argv)
{
	int closed = std_fds_open();
	/* `mica serve` has options of its own: server/serve.c */
	if (argc > 1 && !strcmp(argv[1], "serve"))
		return mica_serve_main(argc - 1, argv + 1);
	struct opts o = {0};
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	if (!strcmp(o.cmd, "info"))
		return cmd_info(&o);
	struct ctx c = {.o = &o,
			.out_stdout = o.output && !strcmp(o.output, "-"),
			.deadline = now_ms() + o.timeout_ms,
			.out = {.pid = -1, .data = STDOUT_FILENO},
			.modules_fd = -1};
	tty_probe(); /* before a lockdown: it asks the terminal */
	if (c.out_stdout && (closed & 2))
		return fail(EXIT_USAGE, "-o - writes to stdout, which is closed%s%s", "", "");
	if (c.out_stdout) /* a reader gone is a write error (exit 6), not a signal */
		signal(SIGPIPE, SIG_IGN);
	rc = read_inputs(&c);
	/* the output's writer, before the runtime: it holds nothing of it */
	int writing = !rc && o.output && !c.out_stdout;
	if (writing &&
	    mica_cli_writer_start(&c.out, o.output, !strcmp(o.cmd, "snapshot") ? 0600 : 0644))
		rc = MICA_ERR_SYSTEM;
	if (!rc) {
		mica_runtime_options ro = {.kvm_path = getenv("MICA_KVM_DEVICE"),
					   .backend = o.backend};
		c.rt = mica_runtime_new(&ro, &c.err);
		if (!c.rt)
			rc = report(&c.err);
		else if (o.verbose) {
			char facts[1024];
			mica_runtime_describe(c.rt, facts, sizeof(facts));
			const char *why = strncmp(facts, "kvm not used: ", 14) ? NULL : facts + 14;
			fprintf(stderr, "mica: backend: %s%s%.*s%s\n",
				mica_backend_name(mica_runtime_backend(c.rt)), why ? " (kvm: " : "",
				why ? (int)strcspn(why, "\n") : 0, why ? why : "", why ? ")" : "");
		}
		if (!c.rt)
			;
		else if (!strcmp(o.cmd, "eval"))
			rc = cmd_eval(&c);
		else if (!strcmp(o.cmd, "snapshot"))
			rc = cmd_snapshot(&c);
		else if (!strcmp(o.cmd, "compile"))
			rc = cmd_compile(&c);
		else
			rc = cmd_run(&c);
	}
	if (writing && c.out.pid > 0) {
		int w = mica_cli_writer_finish(&c.out, rc == 0);
		rc = rc ? rc : w;
	}
	mica_runtime_free(c.rt);
	if (c.modules_fd >= 0)
		close(c.modules_fd);
	free(c.source);
	free(c.entry);
	free_events(&c.ev);
	return stdout_done(rc);
}
