/*
 * mica-gendoc man|bash: writes mica(1) or the bash completion of mica to
 * stdout, made from the CLI's own table of commands and options
 * (cli/help.c), so that neither can drift from what mica accepts.
 * deploy/install.mk runs it; `make install` installs what it wrote.
 */
#include <stdio.h>
#include <string.h>

#include "help.h"
#include "mica.h"

/* ---- the man page ---- */

/* Writes s[0..n) as troff text: `code` in bold, '-' as a minus (options
 * must survive copy and paste), '\' and a leading '.' or '\'' escaped. */
static void roff(const char *s, size_t n)
{
	int bold = 0;
	if (n && (*s == '.' || *s == '\''))
		fputs("\\&", stdout);
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\': fputs("\\e", stdout); break;
		case '-': fputs("\\-", stdout); break;
		case '`':
			fputs(bold ? "\\fR" : "\\fB", stdout);
			bold = !bold;
			break;
		default: putchar(s[i]);
		}
	}
	if (bold)
		fputs("\\fR", stdout);
}

static void roff_line(const char *s)
{
	roff(s, strlen(s));
	putchar('\n');
}

/* Help text (cli/help.h) as the body of a .TP: paragraphs, and items as
 * nested tagged paragraphs. */
static void roff_help(const char *text)
{
	int items = 0;
	for (int first = 1; *text; first = 0) {
		size_t len = strcspn(text, "\n");
		if (*text == '\t') {
			size_t tag = strcspn(text + 1, "\t");
			size_t skip = tag + 2 < len ? tag + 2 : len;
			if (!items)
				puts(".RS");
			items = 1;
			puts(".TP 8");
			fputs("\\fB", stdout);
			roff(text + 1, tag);
			puts("\\fR");
			roff(text + skip, len - skip);
			putchar('\n');
		} else {
			if (items)
				puts(".RE");
			if (!first)
				puts(".IP");
			items = 0;
			roff(text, len);
			putchar('\n');
		}
		text += len;
		if (*text == '\n')
			text++;
	}
	if (items)
		puts(".RE");
}

static void man(void)
{
	printf(".\\\" mica(1), made by cli/gendoc.c from cli/help.c: edit those, not this.\n"
	       ".TH MICA 1 \"\" \"mica %s\" \"User Commands\"\n"
	       ".nh\n"
	       ".SH NAME\n"
	       "mica \\- run untrusted JavaScript in a sandbox: a KVM micro\\-VM or a confined "
	       "process\n"
	       ".SH SYNOPSIS\n"
	       ".nf\n",
	       MICA_VERSION);
	for (int i = 0; i < MICA_CLI_NCOMMANDS; i++) {
		const struct mica_cli_command *c = &mica_cli_commands[i];
		for (const char *u = c->usage; *u;) {
			size_t n = strcspn(u, "\n");
			printf("\\fBmica %s\\fR ", c->name);
			roff(u, n);
			putchar('\n');
			u += n + (u[n] == '\n');
		}
	}
	puts("\\fBmica\\fR COMMAND \\fB\\-\\-help\\fR\n"
	     "\\fBmica \\-\\-help\\fR | \\fB\\-\\-version\\fR\n"
	     ".fi");
	for (int i = 0; i < MICA_CLI_NCOMMANDS; i++)
		if (mica_cli_commands[i].note) {
			puts(".PP");
			roff_line(mica_cli_commands[i].note);
		}

	puts(".SH DESCRIPTION");
	roff_line("mica runs JavaScript it does not trust (QuickJS: ES2020, modules, top-level "
		  "await) in a sandbox, and prints what it returns. A sandbox is a KVM virtual "
		  "machine with one vCPU, no devices and no guest kernel, or, where /dev/kvm "
		  "cannot be used, a child process confined by seccomp, namespaces and a memory "
		  "cgroup. Both run the same guest image, with no files, network, processes or "
		  "environment. Code reaches the host only through the event it is given and "
		  "what it returns or writes to the console.");
	puts(".PP");
	roff_line("Each command takes the options listed with it below; `mica COMMAND --help` "
		  "lists them too. Any other option is a usage error (exit 2).");

	puts(".SH COMMANDS");
	for (int i = 0; i < MICA_CLI_NCOMMANDS; i++) {
		printf(".TP\n.B %s\n", mica_cli_commands[i].name);
		roff_help(mica_cli_commands[i].about);
	}

	puts(".SH OPTIONS");
	for (int i = 0; i < MICA_CLI_NOPTIONS; i++) {
		const struct mica_cli_option *o = &mica_cli_options[i];
		puts(".TP");
		if (o->letter)
			printf("\\fB\\-%c\\fR, ", o->letter);
		fputs("\\fB", stdout);
		roff("--", 2);
		roff(o->name, strlen(o->name));
		fputs("\\fR", stdout);
		if (o->arg)
			printf(" \\fI%s\\fR", o->arg);
		putchar('\n');
		roff_help(o->help);
		if (o->cmds != MICA_CMD_ALL) {
			fputs(".IP\nCommands:", stdout);
			for (int k = 0, n = 0; k < MICA_CLI_NCOMMANDS; k++)
				if (o->cmds & mica_cli_commands[k].bit)
					printf("%s %s", n++ ? "," : "", mica_cli_commands[k].name);
			puts(".");
		}
	}

	puts(".SH ENVIRONMENT");
	for (int i = 0; i < MICA_CLI_NENV; i++) {
		printf(".TP\n.B %s\n", mica_cli_env[i].name);
		roff_help(mica_cli_env[i].help);
	}

	puts(".SH EXIT STATUS");
	for (int i = 0; i < MICA_CLI_NEXITS; i++) {
		printf(".TP\n.B %s\n", mica_cli_exits[i].name);
		roff_help(mica_cli_exits[i].help);
	}
	puts(".PP");
	roff_line(mica_cli_failing_call);

	puts(".SH EXAMPLES\n.nf");
	static const char *const examples[] = {
	    "mica run app.js",
	    "mica run app.js --handler greet --event '{\"name\":\"x\"}'",
	    "mica run app.js --handler thumb --event-bytes in.png > out.png",
	    "mica eval '1 + 2'",
	    "mica info",
	    "mica snapshot app.js -o app.msnap",
	    "mica run --snapshot app.msnap --handler greet --event '{\"name\":\"x\"}'",
	    "mica compile app.js -o app.mbc",
	    "mica run app.js --handler greet --repeat 3 --isolation fresh --event-file ev.jsonl",
	};
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
		roff_line(examples[i]);
	puts(".fi");

	puts(".SH SEE ALSO\n"
	     ".BR mica (3)\n"
	     "for the C library, libmica, that mica is built on.");
}

/* ---- the bash completion ---- */

/* The long options of the commands in mask, as words. */
static void long_options(unsigned mask)
{
	for (int i = 0, n = 0; i < MICA_CLI_NOPTIONS; i++)
		if (mica_cli_options[i].cmds & mask)
			printf("%s--%s", n++ ? " " : "", mica_cli_options[i].name);
}

/* The options taking a value whose completion is kind ('f', 'd', 0 and
 * no words; -1: all of them), as a case pattern; 0 if there is none. */
static int pattern(int kind, const char *indent)
{
	int n = 0;
	for (int i = 0; i < MICA_CLI_NOPTIONS; i++) {
		const struct mica_cli_option *o = &mica_cli_options[i];
		if (!o->arg || (kind >= 0 && (o->complete != kind || (!kind && o->values))))
			continue;
		printf("%s--%s", n++ ? "|" : indent, o->name);
		if (o->letter)
			printf("|-%c", o->letter);
	}
	return n;
}

static void bash(void)
{
	puts("# bash completion for mica(1): made by cli/gendoc.c from cli/help.c.\n"
	     "_mica()\n"
	     "{\n"
	     "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	     "\tlocal cmd='' i\n"
	     "\t# the command is the first operand that is no option's value\n"
	     "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	     "\t\tcase ${COMP_WORDS[i]} in");
	if (pattern(-1, "\t\t"))
		puts(") ((i++)) ;; # an option's value is no command");
	puts("\t\t-*) ;;\n"
	     "\t\t*) cmd=${COMP_WORDS[i]}; break ;;\n"
	     "\t\tesac\n"
	     "\tdone\n"
	     "\tcase $prev in");
	for (int i = 0; i < MICA_CLI_NOPTIONS; i++)
		if (mica_cli_options[i].values)
			printf("\t--%s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n",
			       mica_cli_options[i].name, mica_cli_options[i].values);
	if (pattern('f', "\t"))
		puts(") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$cur\")); "
		     "return ;;");
	if (pattern('d', "\t"))
		puts(") compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- \"$cur\")); "
		     "return ;;");
	if (pattern(0, "\t"))
		puts(") return ;;");
	puts("\tesac\n"
	     "\tif [[ $cur == -* ]]; then\n"
	     "\t\tcase $cmd in");
	for (int i = 0; i < MICA_CLI_NCOMMANDS; i++) {
		printf("\t\t%s) COMPREPLY=($(compgen -W '", mica_cli_commands[i].name);
		long_options(mica_cli_commands[i].bit);
		puts("' -- \"$cur\")) ;;");
	}
	fputs("\t\t*) COMPREPLY=($(compgen -W '", stdout);
	long_options(MICA_CMD_ALL);
	puts("' -- \"$cur\")) ;;\n"
	     "\t\tesac\n"
	     "\telif [[ -z $cmd ]]; then");
	fputs("\t\tCOMPREPLY=($(compgen -W '", stdout);
	for (int i = 0; i < MICA_CLI_NCOMMANDS; i++)
		printf("%s%s", i ? " " : "", mica_cli_commands[i].name);
	puts("' -- \"$cur\"))");
	/* the commands whose operand is a file */
	fputs("\telif [[ ", stdout);
	for (int i = 0, n = 0; i < MICA_CLI_NCOMMANDS; i++)
		if (!strncmp(mica_cli_commands[i].usage, "FILE", 4))
			printf("%s$cmd == %s", n++ ? " || " : "", mica_cli_commands[i].name);
	puts(" ]]; then\n"
	     "\t\tcompopt -o filenames 2>/dev/null\n"
	     "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	     "\tfi\n"
	     "}\n"
	     "complete -F _mica mica");
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "man"))
		man();
	else if (argc == 2 && !strcmp(argv[1], "bash"))
		bash();
	else {
		fputs("usage: mica-gendoc man|bash\n", stderr);
		return 2;
	}
	return fflush(stdout) ? 1 : 0;
}
