#include "memory.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

long proc_kb(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0; /* a process that just went away */
	char line[512];
	size_t klen = strlen(key);
	long v = 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static long private_kb(const char *smaps_rollup)
{
	return proc_kb(smaps_rollup, "Private_Clean") + proc_kb(smaps_rollup, "Private_Dirty");
}

/* The parent of pid from /proc/pid/stat, or -1. */
static long parent_of(long pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')'); /* the name may hold anything */
	long ppid;
	return p && sscanf(p + 1, " %*c %ld", &ppid) == 1 ? ppid : -1;
}

struct mem mem_now(void)
{
	const char *mi = "/proc/meminfo";
	struct mem m = {
	    .self_priv = private_kb("/proc/self/smaps_rollup"),
	    .self_rss = proc_kb("/proc/self/smaps_rollup", "Rss"),
	    .shmem = proc_kb(mi, "Shmem"),
	    .kernel = proc_kb(mi, "Slab") + proc_kb(mi, "KernelStack") + proc_kb(mi, "PageTables") +
		      proc_kb(mi, "SecPageTables"),
	    .avail = proc_kb(mi, "MemAvailable"),
	};
	/* Descendants: processes whose parent is us or a descendant. */
	size_t cap = 1024, n = 0, nk = 1;
	long(*all)[2] = malloc(cap * sizeof(*all));
	long *kin = malloc(cap * sizeof(*kin));
	DIR *d = opendir("/proc");
	if (!all || !kin || !d)
		die("reading /proc: %s", strerror(errno));
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		if (n == cap) {
			cap *= 2;
			all = realloc(all, cap * sizeof(*all));
			kin = realloc(kin, cap * sizeof(*kin));
			if (!all || !kin)
				die("out of memory");
		}
		all[n][0] = pid;
		all[n][1] = parent_of(pid);
		n++;
	}
	closedir(d);
	kin[0] = getpid();
	for (size_t k = 0; k < nk; k++) /* breadth first: kin grows as we go */
		for (size_t i = 0; i < n; i++)
			if (all[i][1] == kin[k] && all[i][0] != kin[0])
				kin[nk++] = all[i][0];
	for (size_t k = 1; k < nk; k++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", kin[k]);
		m.kids_priv += private_kb(path);
		m.kids_rss += proc_kb(path, "Rss");
	}
	m.kids = (long)nk - 1;
	free(all);
	free(kin);
	return m;
}

double mem_per(const struct mem *a, const struct mem *b, long n)
{
	long kb = (b->self_priv - a->self_priv) + (b->kids_priv - a->kids_priv) +
		  (b->shmem - a->shmem) + (b->kernel - a->kernel);
	return (double)kb / (double)n;
}

long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ., .. and the DIR's own fd */
}

long count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	long n = 0;
	int c;
	if (!f)
		return -1;
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}
