/*
 * The CLI's commands and options (cli/help.h), and `mica [COMMAND] --help`
 * made from them.
 */
#include "help.h"

#include <string.h>

#define RUN	 MICA_CMD_RUN
#define SNAPSHOT MICA_CMD_SNAPSHOT
#define COMPILE	 MICA_CMD_COMPILE
#define EVAL	 MICA_CMD_EVAL
#define INFO	 MICA_CMD_INFO
#define SERVE	 MICA_CMD_SERVE
/* the commands that make a sandbox */
#define SANDBOXED (RUN | SNAPSHOT | COMPILE | EVAL)

/* Each table is checked against its count in help.h. */
#define COUNTED(table, n) _Static_assert(sizeof(table) / sizeof(table[0]) == (n), #n)

static const struct mica_cli_command commands[] = {
    {"run", RUN,
     "FILE.js [--handler NAME [EVENT]] [options]\n"
     "--snapshot SNAP --handler NAME [EVENT] [options]",
     "EVENT: --event JSON | --event-file PATH|- | --event-bytes PATH|-",
     "evaluate FILE.js as an ES module; with --handler, call its export NAME (or global "
     "function NAME) with the event and print the JSON result, one line per call; a result "
     "that is binary data (ArrayBuffer, typed array, DataView) is written raw instead, its "
     "bytes only, without a newline"},
    {"snapshot", SNAPSHOT, "FILE.js -o SNAP [options]", NULL,
     "evaluate FILE.js as an ES module and save the sandbox, as it is then, to SNAP; `run "
     "--snapshot SNAP` starts from there instead of booting and loading FILE.js again"},
    {"compile", COMPILE, "FILE.js -o FILE.mbc [--modules DIR] [options]", NULL,
     "compile FILE.js (an ES module) to bytecode, without running it, in a sandbox; `run "
     "FILE.mbc` (and `snapshot FILE.mbc`) load the bytecode instead of parsing the source. A "
     ".mbc file is known by its contents, not its name, and only this mica build runs it. "
     "Imports are not compiled: they are resolved when it runs (give compile the same "
     "--modules DIR as run, to name FILE.js alike)"},
    {"eval", EVAL, "CODE [options]", NULL,
     "evaluate CODE as a script and print its completion value"},
    {"info", INFO, "[--backend auto|kvm|process]", NULL,
     "the version, the backend runs would use, which backends work here (and why not), what "
     "each isolates with, the default limits"},
    {"serve", SERVE, "FILE.js [--listen HOST:PORT]... [options]",
     "SIZE: bytes, or with a k, m or g suffix (KiB, MiB, GiB)",
     "answer HTTP with FILE.js's `export default { async fetch(request, env, ctx) }` (or a "
     ".mbc file), each request in a sandbox (docs/serve.md); a module without it is exit 2. "
     "SIGINT or SIGTERM stop it: the requests in flight finish, then exit 0"},
};
COUNTED(commands, MICA_CLI_NCOMMANDS);
const struct mica_cli_command *const mica_cli_commands = commands;

static const struct mica_cli_option options[] = {
    {"handler", 0, 'H', "NAME", NULL, 0, RUN, "function to call after the module has loaded"},
    {"event", 0, 'e', "JSON", NULL, 0, RUN, "the event passed to the handler (default: null)"},
    {"event-file", 0, 'f', "PATH", NULL, 'f', RUN,
     "read the event from PATH ('-' for stdin); with --repeat, one event per line (blank "
     "lines skipped), N of them"},
    {"event-bytes", 0, 'b', "PATH", NULL, 'f', RUN,
     "pass the bytes of PATH ('-' for stdin) as a Uint8Array event, unparsed (at most 3 "
     "MiB); with --repeat, the same bytes for every call"},
    {"modules", 0, 'M', "DIR", NULL, 'd', SANDBOXED | SERVE,
     "let modules import files under DIR (relative imports, resolved against the importer); "
     "a FILE.js given must be in DIR. Without it only host: modules can be imported"},
    {"snapshot", 0, 's', "SNAP", NULL, 'f', RUN | SERVE,
     "run: start from a snapshot file instead of FILE.js; serve: a start-up cache, FILE.js "
     "evaluated: used while newer than FILE.js and the files under --modules, and of "
     "--memory's size; else made again"},
    {"output", 'o', 'o', "FILE", NULL, 'f', SNAPSHOT | COMPILE,
     "snapshot, compile: the file to write; '-' writes it to stdout (then the module's "
     "console goes to stderr, and a failure may leave part of it written)"},
    {"repeat", 0, 'n', "N", NULL, 0, RUN,
     "call the handler N times (default 1); with --event, the same event each time"},
    {"isolation", 0, 'i', "MODE", "reuse reset fresh", 0, RUN,
     "what one call sees of the calls before it (default reuse):\n"
     "\treuse\tone sandbox for all calls: module state (and anything a call leaves behind) "
     "carries over\n"
     "\treset\tone sandbox, reset to the post-load snapshot before every call: nothing "
     "carries over\n"
     "\tfresh\ta new sandbox from the post-load snapshot for every call: nothing carries "
     "over\n"
     "(reset and fresh get fresh Math.random seeds per call)"},
    {"timeout", 0, 't', "MS", NULL, 0, SANDBOXED,
     "wall-clock limit for the whole run, all calls together (default 10000)"},
    {"memory", 0, 'm', "MB", NULL, 0, SANDBOXED,
     "guest memory in MiB (default 64, 16..2048; a snapshot keeps the size it was made "
     "with)"},
    {"unhandled-rejections", 0, 'U', "MODE", "strict warn none", 0, RUN | SNAPSHOT | EVAL | SERVE,
     "a promise rejection no code handles: strict (default) fails the run as an uncaught "
     "exception, warn prints it to stderr and goes on, none ignores it (as Node's)"},
    {"deterministic", 0, 'D', NULL, NULL, 0, SANDBOXED,
     "replayable runs: fixed Math.random seed, virtual clock (starts at 2024-01-01, 1 us per "
     "read, jumps to due timers without sleeping); a snapshot keeps its mode"},
    {"backend", 0, 'B', "B", "auto kvm process", 0, SANDBOXED | INFO | SERVE,
     "where sandboxes run: auto (KVM if /dev/kvm opens, else a process), kvm (KVM or "
     "nothing: exit 6 with the reason) or process (a confined child process); default auto, "
     "or MICA_BACKEND"},
    {"verbose", 'v', 'v', NULL, NULL, 0, SANDBOXED,
     "say on stderr which backend runs the sandboxes"},
    {"no-lockdown", 0, 'L', NULL, NULL, 0, SANDBOXED,
     "do not confine mica itself: by default, once the first sandbox is set up and before any "
     "guest code runs, a seccomp filter leaves mica only what running sandboxes needs (no "
     "opening files, no sockets, no new processes)"},
    /* serve's own (server/serve.c) */
    {"listen", 0, MICA_OPT_LISTEN, "HOST:PORT", NULL, 0, SERVE,
     "address to serve on (default 127.0.0.1:8787; repeatable; port 0 picks a free one, "
     "printed at start)"},
    {"workers", 0, MICA_OPT_WORKERS, "N", NULL, 0, SERVE,
     "sandboxes running requests at once (default: the CPUs mica may use)"},
    {"pin", 0, MICA_OPT_PIN, "MODE", "auto on off", 0, SERVE,
     "on: each worker runs on one of the CPUs mica may use, in turn, and so does its sandbox "
     "(a request's hand-offs stay on one CPU); off: the kernel places them; auto (default): "
     "on when there are at least as many workers as those CPUs, else off"},
    {"isolation", 0, MICA_OPT_SERVE_ISOLATION, "MODE", "reset fresh reuse", 0, SERVE,
     "what one request sees of the ones before it (default reset):\n"
     "\treset\tevery request starts from the snapshot taken after loading\n"
     "\tfresh\ta new sandbox from that snapshot for every request\n"
     "\treuse\tone sandbox per worker, kept across requests (weaker: state carries over)"},
    {"timeout", 0, MICA_OPT_SERVE_TIMEOUT, "MS", NULL, 0, SERVE,
     "time limit per request, waitUntil work included (default 10000): then 504"},
    {"memory", 0, MICA_OPT_SERVE_MEMORY, "MB", NULL, 0, SERVE,
     "guest memory per sandbox in MiB (default 64, 16..2048): a handler that runs out is "
     "answered 503"},
    {"max-body", 0, MICA_OPT_MAX_BODY, "SIZE", NULL, 0, SERVE,
     "request body limit (default 10m): then 413"},
    {"max-header", 0, MICA_OPT_MAX_HEADER, "SIZE", NULL, 0, SERVE,
     "request line and headers limit (default 32k): then 431"},
    {"max-uri", 0, MICA_OPT_MAX_URI, "SIZE", NULL, 0, SERVE,
     "request-target limit (default 8k): then 414"},
    {"queue-timeout", 0, MICA_OPT_QUEUE_TIMEOUT, "MS", NULL, 0, SERVE,
     "how long a request may wait for a free sandbox (default 5000): then 503 with "
     "Retry-After"},
    {"grace", 0, MICA_OPT_GRACE, "MS", NULL, 0, SERVE,
     "on SIGTERM or SIGINT, how long requests in flight may finish (default 10000): then "
     "what still runs or waits is stopped with 503"},
    {"header-timeout", 0, MICA_OPT_HEADER_TIMEOUT, "MS", NULL, 0, SERVE,
     "time a request line and its headers may take to arrive (default 10000): then 408 "
     "and the connection is closed"},
    {"body-timeout", 0, MICA_OPT_BODY_TIMEOUT, "MS", NULL, 0, SERVE,
     "time a request body may take to arrive once its headers have (default 60000): then "
     "408 and the connection is closed"},
    {"env", 0, MICA_OPT_ENV, "KEY=VALUE", NULL, 0, SERVE,
     "a value of the handler's env (repeatable; wins over --env-file)"},
    {"env-file", 0, MICA_OPT_ENV_FILE, "PATH", NULL, 'f', SERVE,
     "env values from a dotenv file (a malformed line is exit 2 with its number)"},
    {"access-log", 0, MICA_OPT_ACCESS_LOG, "DEST", NULL, 'f', SERVE,
     "- (stdout, the default), a file to append to, or off"},
    {"allow-fetch", 0, MICA_OPT_ALLOW_FETCH, "ORIGIN", NULL, 0, SERVE,
     "let handlers fetch() from ORIGIN (scheme://host[:port]; repeatable); * allows any "
     "public address. Private and loopback addresses need their origin listed exactly"},
    {"max-subrequests", 0, MICA_OPT_MAX_SUBREQUESTS, "N", NULL, 0, SERVE,
     "fetch() calls per request (default 50): then fetch() rejects"},
    {"dev", 0, MICA_OPT_DEV, NULL, NULL, 0, SERVE,
     "error responses carry the exception and its stack"},
    {"admin", 0, MICA_OPT_ADMIN, "HOST:PORT", NULL, 0, SERVE,
     "serve /healthz (200, or 503 while stopping) and /metrics (Prometheus text: requests "
     "by status class, a latency histogram, sandboxes busy and idle, resets, timeouts, "
     "memory kills, faults, subrequests) on this address"},
    {"help", 'h', 'h', NULL, NULL, 0, MICA_CMD_ALL,
     "show this help (after a COMMAND: that command's)"},
    {"version", 'V', 'V', NULL, NULL, 0, MICA_CMD_ALL, "show the version"},
};
COUNTED(options, MICA_CLI_NOPTIONS);
const struct mica_cli_option *const mica_cli_options = options;

static const struct mica_cli_note exits[] = {
    {"0", "ok"},
    {"1", "uncaught exception"},
    {"2", "usage or bad input (also a bad snapshot or bytecode file)"},
    {"3", "time limit"},
    {"4", "memory limit"},
    {"5", "guest fault"},
    {"6", "backend unavailable or internal"},
};
COUNTED(exits, MICA_CLI_NEXITS);
const struct mica_cli_note *const mica_cli_exits = exits;

static const struct mica_cli_note env[] = {
    {"MICA_BACKEND", "the backend when --backend is not given"},
    {"MICA_KVM_DEVICE", "the KVM device (default /dev/kvm)"},
};
COUNTED(env, MICA_CLI_NENV);
const struct mica_cli_note *const mica_cli_env = env;

const char mica_cli_failing_call[] =
    "A call that fails ends the run with its exit code; the lines of the calls before it have "
    "been printed.";

int mica_cli_next(int argc, char **argv, const char *shortopts, const struct option *longopts,
		  int *ended, const char **operand)
{
	if (!*ended) {
		int at = optind;
		int c = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (c != -1)
			return c;
		/* Called again after "--", getopt would go back to options. */
		*ended = optind == at + 1 && !strcmp(argv[at], "--");
	}
	if (optind >= argc)
		return -1;
	*operand = argv[optind++];
	return MICA_CLI_OPERAND;
}

void mica_cli_getopt(unsigned mask, struct option *longopts, char *shortopts)
{
	*shortopts++ = '+'; /* stop at each operand: mica_cli_next takes it and goes on */
	*shortopts++ = ':'; /* a missing value is ':', not '?' */
	int n = 0;
	for (int i = 0; i < MICA_CLI_NOPTIONS; i++) {
		const struct mica_cli_option *o = &mica_cli_options[i];
		if (!(o->cmds & mask))
			continue;
		longopts[n++] = (struct option){o->name, o->arg ? required_argument : no_argument,
						NULL, o->val};
		if (o->letter) {
			*shortopts++ = o->letter;
			if (o->arg)
				*shortopts++ = ':';
		}
	}
	longopts[n] = (struct option){0};
	*shortopts = 0;
}

int mica_cli_option_index(int val)
{
	for (int i = 0; i < MICA_CLI_NOPTIONS; i++)
		if (mica_cli_options[i].val == val)
			return i;
	return -1;
}

int mica_cli_value(int val, const char *word)
{
	int k = mica_cli_option_index(val);
	const char *v = k >= 0 ? mica_cli_options[k].values : NULL;
	size_t n = strlen(word);
	for (int i = 0; v && *v; i++) {
		size_t len = strcspn(v, " ");
		if (len == n && !strncmp(v, word, n))
			return i;
		v += len + (v[len] == ' ');
	}
	return -1;
}

const struct mica_cli_command *mica_cli_command(const char *name)
{
	for (int i = 0; i < MICA_CLI_NCOMMANDS; i++)
		if (!strcmp(mica_cli_commands[i].name, name))
			return &mica_cli_commands[i];
	return NULL;
}

/* ---- filling text to the terminal's width ---- */

#define WIDTH	 80
#define OPTCOL	 23 /* where an option's help starts */
#define CMDCOL	 13 /* where a command's help starts */
#define ITEM_TAG 7  /* the width of a list item's tag column, at least */

static void pad(FILE *out, int *col, int to)
{
	for (; *col < to; ++*col)
		fputc(' ', out);
}

/* Writes the words of text[0..len) from column *col, a new line at column
 * indent when the next word would pass WIDTH. */
static void words(FILE *out, const char *text, size_t len, int *col, int indent)
{
	const char *end = text + len;
	int first = 1;
	while (text < end) {
		while (text < end && *text == ' ')
			text++;
		size_t n = 0;
		while (text + n < end && text[n] != ' ')
			n++;
		if (!n)
			break;
		if (!first && *col + 1 + (int)n > WIDTH) {
			fputc('\n', out);
			*col = 0;
			pad(out, col, indent);
		} else if (!first) {
			fputc(' ', out);
			++*col;
		}
		fwrite(text, 1, n, out);
		*col += (int)n;
		text += n;
		first = 0;
	}
}

/* Writes help text (paragraphs and items, cli/help.h) from column col, where
 * the cursor is, every further line at column indent; ends the line. */
static void fill(FILE *out, const char *text, int col, int indent)
{
	for (int first = 1; *text; first = 0) {
		size_t len = strcspn(text, "\n");
		if (!first) {
			fputc('\n', out);
			col = 0;
			pad(out, &col, indent);
		}
		if (*text == '\t') {
			size_t tag = strcspn(text + 1, "\t");
			int tagw = (int)tag + 2 > ITEM_TAG ? (int)tag + 2 : ITEM_TAG;
			pad(out, &col, indent + 2);
			fwrite(text + 1, 1, tag, out);
			col += (int)tag;
			pad(out, &col, indent + 2 + tagw);
			size_t skip = tag + 2 < len ? tag + 2 : len;
			words(out, text + skip, len - skip, &col, indent + 2 + tagw);
		} else {
			words(out, text, len, &col, indent);
		}
		text += len;
		if (*text == '\n')
			text++;
	}
	fputc('\n', out);
}

/* "  LABEL" then text from column at, or from the next line if LABEL is too
 * long. */
static void labelled(FILE *out, const char *label, const char *text, int at)
{
	int col = fprintf(out, "  %s", label);
	if (col >= at - 1) {
		fputc('\n', out);
		col = 0;
	}
	pad(out, &col, at);
	fill(out, text, col, at);
}

static void usage(FILE *out, const struct mica_cli_command *c, int *first)
{
	const char *u = c->usage;
	while (*u) {
		size_t n = strcspn(u, "\n");
		fprintf(out, "%s mica %s %.*s\n", *first ? "usage:" : "      ", c->name, (int)n, u);
		*first = 0;
		u += n + (u[n] == '\n');
	}
}

/* The first option listed under pass's heading (mica_cli_help), or -1. */
static int first_option(const struct mica_cli_command *cmd, int pass)
{
	for (int i = 0; i < MICA_CLI_NOPTIONS; i++) {
		const struct mica_cli_option *o = &mica_cli_options[i];
		if (cmd ? (o->cmds & cmd->bit) && !pass : (o->cmds == MICA_CMD_SERVE) == pass)
			return i;
	}
	return -1;
}

void mica_cli_help(FILE *out, const struct mica_cli_command *cmd)
{
	int first = 1;
	for (int i = 0; i < MICA_CLI_NCOMMANDS; i++)
		if (!cmd || cmd == &mica_cli_commands[i])
			usage(out, &mica_cli_commands[i], &first);
	if (!cmd)
		fputs("       mica COMMAND --help\n"
		      "       mica --help | --version\n",
		      out);
	for (int i = 0; i < MICA_CLI_NCOMMANDS; i++)
		if ((!cmd || cmd == &mica_cli_commands[i]) && mica_cli_commands[i].note)
			fprintf(out, "  %s\n", mica_cli_commands[i].note);
	fputc('\n', out);
	for (int i = 0; i < MICA_CLI_NCOMMANDS; i++)
		if (!cmd || cmd == &mica_cli_commands[i])
			labelled(out, mica_cli_commands[i].name, mica_cli_commands[i].about,
				 CMDCOL);

	/* without a command: serve's own options after the others' */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < MICA_CLI_NOPTIONS; i++) {
			const struct mica_cli_option *o = &mica_cli_options[i];
			if (cmd ? pass || !(o->cmds & cmd->bit)
				: (o->cmds == MICA_CMD_SERVE) != pass)
				continue;
			if (i == first_option(cmd, pass))
				fputs(pass ? "\nserve options:\n" : "\noptions:\n", out);
			char label[64];
			int k = o->letter ? snprintf(label, sizeof(label), "-%c, ", o->letter) : 0;
			snprintf(label + k, sizeof(label) - (size_t)k, "--%s%s%s", o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
			labelled(out, label, o->help, OPTCOL);
		}

	if (!cmd || cmd->bit == MICA_CMD_RUN) {
		fputc('\n', out);
		fill(out, mica_cli_failing_call, 0, 0);
	}
	fputc('\n', out);
	for (int i = 0; i < MICA_CLI_NENV; i++) {
		int col = fprintf(out, "%-13s%-17s", i ? "" : "environment:", mica_cli_env[i].name);
		fill(out, mica_cli_env[i].help, col, 30);
	}
	char codes[512];
	size_t n = 0;
	for (int i = 0; i < MICA_CLI_NEXITS && n < sizeof(codes); i++)
		n += (size_t)snprintf(codes + n, sizeof(codes) - n, "%s%s %s", i ? ", " : "",
				      mica_cli_exits[i].name, mica_cli_exits[i].help);
	fputc('\n', out);
	fill(out, codes, fprintf(out, "exit codes: "), 12);
}
