/*
 * fuzz_replay: runs every fuzz target (fuzz/fuzz_*.c, built with the
 * project's compiler) over every file of its corpus, fuzz/corpus/TARGET/,
 * so that `make test` replays what the fuzzers found, plain and under
 * ASan+UBSan, in seconds. Each target runs in a child process of its own
 * (one runtime per process, as under libFuzzer): a crash, an abort or a
 * sanitizer report there fails that target's file and the others still run.
 *
 * Prints "ok - TARGET/FILE" per corpus file and the harness's closing line;
 * a missing or empty corpus directory is a failure.
 *
 * Usage: fuzz_replay [CORPUS_DIR [TARGET...]]   (default fuzz/corpus, all)
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TARGETS(X) X(snapfile) X(bytecode) X(image) X(hypercall) X(modules) X(events) X(json)

#define DECLARE(name) int fuzz_one_##name(const uint8_t *data, size_t size);
TARGETS(DECLARE)

static const struct target {
	const char *name;
	int (*one)(const uint8_t *, size_t);
} targets[] = {
#define ENTRY(name) {#name, fuzz_one_##name},
    TARGETS(ENTRY)};

static int passed, failed;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files of dir, sorted; NULL if dir cannot be read. */
static char **list(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	size_t cap = 16;
	char **names = malloc(cap * sizeof(*names));
	*n = 0;
	struct dirent *e;
	while (names && (e = readdir(d))) {
		char path[8192];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (*n == cap) {
			char **more = realloc(names, (cap *= 2) * sizeof(*names));
			if (!more)
				break;
			names = more;
		}
		names[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (names)
		qsort(names, *n, sizeof(*names), by_name);
	return names;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		unsigned char *more = realloc(buf, cap *= 2);
		if (!more)
			free(buf);
		buf = more;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* In the child: every file, "# FILE" before and "ok - T/FILE" after each. */
static int run_files(const struct target *t, const char *dir, char **names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		printf("# %s\n", names[i]);
		fflush(stdout);
		size_t len = 0;
		unsigned char *data = slurp(path, &len);
		if (!data) {
			printf("FAIL - %s/%s: cannot read %s: %s\n", t->name, names[i], path,
			       strerror(errno));
			fflush(stdout);
			return 1;
		}
		t->one(data, len);
		free(data);
		printf("ok - %s/%s\n", t->name, names[i]);
		fflush(stdout);
	}
	return 0;
}

static void run_target(const struct target *t, const char *corpus)
{
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/%s", corpus, t->name);
	size_t n = 0;
	char **names = list(dir, &n);
	if (!names || n == 0) {
		printf("FAIL - %s: no corpus in %s%s%s\n", t->name, dir, names ? "" : ": ",
		       names ? "" : strerror(errno));
		failed++;
		free(names);
		return;
	}
	int fds[2];
	if (pipe(fds)) {
		printf("FAIL - %s: pipe: %s\n", t->name, strerror(errno));
		failed++;
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 1);
		close(fds[1]);
		exit(run_files(t, dir, names, n));
	}
	close(fds[1]);
	/* Pass the child's lines on, counting them; the last "# FILE" without
	 * its "ok" is the file that killed it. */
	FILE *in = fdopen(fds[0], "r");
	char line[4400], last[4400] = "";
	size_t oks = 0;
	while (in && fgets(line, sizeof(line), in)) {
		if (!strncmp(line, "# ", 2)) {
			snprintf(last, sizeof(last), "%s", line + 2);
			last[strcspn(last, "\n")] = 0;
			continue;
		}
		if (!strncmp(line, "ok - ", 5)) {
			oks++;
			last[0] = 0;
		}
		fputs(line, stdout);
	}
	if (in)
		fclose(in);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		status = -1;
	passed += (int)oks;
	if (status != 0 || oks != n) {
		failed++;
		if (status == -1)
			printf("FAIL - %s: cannot run it: %s\n", t->name, strerror(errno));
		else if (WIFSIGNALED(status))
			printf("FAIL - %s/%s: killed by signal %d\n", t->name, last[0] ? last : "?",
			       WTERMSIG(status));
		else
			printf("FAIL - %s/%s: exit %d\n", t->name, last[0] ? last : "?",
			       WEXITSTATUS(status));
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *corpus = argc > 1 ? argv[1] : "fuzz/corpus";
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		int wanted = argc <= 2;
		for (int k = 2; k < argc; k++)
			wanted |= !strcmp(argv[k], targets[i].name);
		if (wanted)
			run_target(&targets[i], corpus);
	}
	printf("%d passed, %d failed, 0 skipped\n", passed, failed);
	return failed ? 1 : 0;
}
