/*
 * The CLI's commands and options: one table that getopt_long, `mica --help`,
 * `mica COMMAND --help`, the man page and the bash completion
 * (cli/gendoc.c) are all made from, so none of them can drift from what
 * mica accepts.
 *
 * Help text is plain text, filled when printed: "\n" ends a paragraph, and
 * a paragraph "\tTAG\tTEXT" is an item of a list (TAG, then TEXT beside it).
 */
#ifndef MICA_CLI_HELP_H
#define MICA_CLI_HELP_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* The commands, as bits of mica_cli_option.cmds. */
enum {
	MICA_CMD_RUN = 1,
	MICA_CMD_SNAPSHOT = 2,
	MICA_CMD_COMPILE = 4,
	MICA_CMD_EVAL = 8,
	MICA_CMD_INFO = 16,
	MICA_CMD_SERVE = 32,
	MICA_CMD_ALL = 63,
};

/* What getopt_long returns for the options of serve alone (server/serve.c):
 * past any character, as the table may hold an option's name twice for
 * commands that read it differently (--timeout: run's whole run, serve's
 * one request). */
enum {
	MICA_OPT_LISTEN = 256,
	MICA_OPT_WORKERS,
	MICA_OPT_SERVE_ISOLATION,
	MICA_OPT_SERVE_TIMEOUT,
	MICA_OPT_SERVE_MEMORY,
	MICA_OPT_MAX_BODY,
	MICA_OPT_MAX_HEADER,
	MICA_OPT_MAX_URI,
	MICA_OPT_QUEUE_TIMEOUT,
	MICA_OPT_HEADER_TIMEOUT,
	MICA_OPT_BODY_TIMEOUT,
	MICA_OPT_ENV,
	MICA_OPT_ENV_FILE,
	MICA_OPT_ACCESS_LOG,
	MICA_OPT_DEV,
	MICA_OPT_ADMIN,
	MICA_OPT_ALLOW_FETCH,
	MICA_OPT_MAX_SUBREQUESTS,
	MICA_OPT_PIN,
	MICA_OPT_GRACE,
};

struct mica_cli_command {
	const char *name;
	unsigned bit;
	const char *usage; /* what follows "mica NAME ", one form per line */
	const char *note;  /* a line after the usage, or NULL */
	const char *about; /* what it does */
};

struct mica_cli_option {
	const char *name;   /* the long option, without "--" */
	char letter;	    /* the short option, or 0 */
	int val;	    /* what getopt_long returns for it */
	const char *arg;    /* the name of its value; NULL: it takes none */
	const char *values; /* the values it takes, for completion, or NULL */
	char complete;	    /* its value is a path: 'f' a file, 'd' a directory */
	unsigned cmds;	    /* the commands that take it (MICA_CMD_*) */
	const char *help;
};

struct mica_cli_note {
	const char *name; /* an exit code or a variable */
	const char *help;
};

#define MICA_CLI_NCOMMANDS 6
#define MICA_CLI_NOPTIONS  38
#define MICA_CLI_NEXITS	   7
#define MICA_CLI_NENV	   2

extern const struct mica_cli_command *const mica_cli_commands; /* MICA_CLI_NCOMMANDS of them */
extern const struct mica_cli_option *const mica_cli_options;   /* MICA_CLI_NOPTIONS of them */
extern const struct mica_cli_note *const mica_cli_exits;       /* MICA_CLI_NEXITS of them */
extern const struct mica_cli_note *const mica_cli_env;	       /* MICA_CLI_NENV of them */
/* What happens when a call of several fails. */
extern const char mica_cli_failing_call[];

/* Fills getopt_long's table (MICA_CLI_NOPTIONS + 1 entries) and option
 * string (at most 3 * MICA_CLI_NOPTIONS + 3 bytes) from the options of
 * mica_cli_options that the commands in mask take (a name is there once
 * per command). */
void mica_cli_getopt(unsigned mask, struct option *longopts, char *shortopts);

/* MICA_CLI_OPERAND from mica_cli_next: *operand is one. */
#define MICA_CLI_OPERAND 1

/* getopt_long over that table, with the operands in place: an option's
 * value, MICA_CLI_OPERAND with *operand set (everything after "--" is one),
 * or -1 at the end. *ended starts at 0 and is the caller's to keep. */
int mica_cli_next(int argc, char **argv, const char *shortopts, const struct option *longopts,
		  int *ended, const char **operand);
/* The index in mica_cli_options of the option getopt_long returned val
 * for, or -1. */
int mica_cli_option_index(int val);
/* The position of word among the values of the option getopt_long returns
 * val for (mica_cli_option.values, listed in the order of the enum each
 * maps to), or -1 when it is none of them. */
int mica_cli_value(int val, const char *word);
/* The command called name, or NULL. */
const struct mica_cli_command *mica_cli_command(const char *name);
/* Writes `mica --help` (cmd NULL) or `mica COMMAND --help`. */
void mica_cli_help(FILE *out, const struct mica_cli_command *cmd);

#endif
