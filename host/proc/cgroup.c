#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"

static int put(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path))
		return -1;
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

/* This process's cgroup path in the hierarchy of controller (v1), or in
 * the unified one (controller NULL), from /proc/self/cgroup. */
static int own_path(const char *controller, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -1;
	char line[1024];
	int found = -1;
	while (found && fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = 0;
		ctl++;
		path[strcspn(path, "\n")] = 0;
		int match = 0;
		if (!controller)
			match = !strcmp(line, "0") && !*ctl;
		else
			for (char *save = NULL, *t = strtok_r(ctl, ",", &save); t && !match;
			     t = strtok_r(NULL, ",", &save))
				match = !strcmp(t, controller);
		if (match) {
			found =
			    (size_t)snprintf(out, len, "%s", strcmp(path, "/") ? path : "") >= len
				? -1
				: 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Where the hierarchy holding controller is mounted (v1), from mountinfo. */
static int mount_point(const char *controller, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[2048];
	int found = -1;
	while (found && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		char mnt[1024], type[64], src[256], opts[512];
		if (sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s %255s %511s", type, src, opts) != 3)
			continue;
		if (!strcmp(type, "cgroup")) {
			for (char *o = strtok(opts, ","); o && found; o = strtok(NULL, ","))
				if (!strcmp(o, controller))
					found = 0;
			if (!found && (size_t)snprintf(out, len, "%s", mnt) >= len)
				found = -1;
		}
	}
	fclose(f);
	return found;
}

/* base + own + "/mica-<pid>-<n>", made. In v1 (nest), where own's
 * directory is read-only even to its owner (the pids hierarchy's root, 0555,
 * on some hosts), in a "mica" directory made there once: the zygote, which
 * removes the runtime's directory when it ends, has no capability that
 * would let it write to that one. */
static int make_runtime_dir(char *dir, size_t len, const char *base, const char *own, int nest)
{
	static atomic_uint seq;
	char parent[PATH_MAX];
	struct stat st;
	int n = snprintf(parent, sizeof(parent), "%s%s", base, own);
	if (nest && n > 0 && (size_t)n < sizeof(parent) && !stat(parent, &st) &&
	    !(st.st_mode & S_IWUSR)) {
		n = snprintf(parent, sizeof(parent), "%s%s/mica", base, own);
		if (n > 0 && (size_t)n < sizeof(parent) && mkdir(parent, 0755) && errno != EEXIST)
			return -1;
	}
	if (n < 0 || (size_t)n >= sizeof(parent) ||
	    (size_t)snprintf(dir, len, "%s/mica-%d-%u", parent, (int)getpid(),
			     atomic_fetch_add(&seq, 1)) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdir(dir, 0755);
}

static int add_slot(struct mica_cgroups *cg);

/* Slots for the first sandboxes, made now: a runtime locked down after its
 * first sandbox still makes the next (a clone's) without opening a file. */
static void first_slots(struct mica_cgroups *cg)
{
	for (int i = 0; i < 2; i++)
		if (add_slot(cg))
			break;
}

void mica_cgroups_open(struct mica_cgroups *cg)
{
	memset(cg, 0, sizeof(*cg));
	pthread_mutex_init(&cg->lock, NULL);
	char own[PATH_MAX], base[PATH_MAX], controllers[256] = "";
	/* v2, if its memory controller is there */
	FILE *f = fopen("/sys/fs/cgroup/cgroup.controllers", "re");
	if (f) {
		if (!fgets(controllers, sizeof(controllers), f))
			controllers[0] = 0;
		fclose(f);
	}
	if (strstr(controllers, "memory") && !own_path(NULL, own, sizeof(own))) {
		/* A child can only use the controllers its parent hands down. */
		if (!make_runtime_dir(cg->dir[0], sizeof(cg->dir[0]), "/sys/fs/cgroup", own, 0)) {
			if (put(cg->dir[0], "cgroup.subtree_control", "+memory +pids") == 0) {
				cg->version = 2;
				first_slots(cg);
				return;
			}
			rmdir(cg->dir[0]);
		}
		snprintf(cg->why, sizeof(cg->why),
			 "cgroup v2: cannot make a cgroup with the memory controller under "
			 "/sys/fs/cgroup%.120s: %s",
			 own, strerror(errno));
		return;
	}
	/* v1: the memory and pids hierarchies */
	const char *ctl[2] = {"memory", "pids"};
	for (int i = 0; i < 2; i++) {
		if (mount_point(ctl[i], base, sizeof(base)) || own_path(ctl[i], own, sizeof(own))) {
			snprintf(cg->why, sizeof(cg->why),
				 "no cgroup with a %s controller is mounted", ctl[i]);
			goto fail;
		}
		if (make_runtime_dir(cg->dir[i], sizeof(cg->dir[i]), base, own, 1)) {
			snprintf(cg->why, sizeof(cg->why), "cgroup v1: cannot make %.160s: %s",
				 cg->dir[i], strerror(errno));
			cg->dir[i][0] = 0;
			goto fail;
		}
	}
	cg->version = 1;
	first_slots(cg);
	return;
fail:
	for (int i = 0; i < 2; i++)
		if (cg->dir[i][0])
			rmdir(cg->dir[i]);
	memset(cg->dir, 0, sizeof(cg->dir));
}

static void slot_dir(const struct mica_cgroups *cg, int h, unsigned slot, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s/sb%u", cg->dir[h], slot) >= len)
		out[0] = 0; /* no such directory: mkdir and open fail */
}

static int hierarchies(const struct mica_cgroups *cg)
{
	return cg->version == 1 ? 2 : cg->version == 2 ? 1 : 0;
}

static int open_in(const char *dir, const char *file, int flags)
{
	char path[PATH_MAX + 32];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, file) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return open(path, flags | O_CLOEXEC);
}

static void close_files(struct mica_cgroup_slot *s)
{
	for (int h = 0; h < 2; h++) {
		if (s->procs[h] >= 0)
			close(s->procs[h]);
		s->procs[h] = -1;
	}
	if (s->limit_fd >= 0)
		close(s->limit_fd);
	s->limit_fd = -1;
}

/* Opens slot i's files (if they are not open). 0 or -1 with errno. */
static int open_files(struct mica_cgroups *cg, unsigned i)
{
	struct mica_cgroup_slot *s = &cg->slots[i];
	if (s->procs[0] >= 0)
		return 0;
	for (int h = 0; h < hierarchies(cg); h++) {
		char dir[PATH_MAX];
		slot_dir(cg, h, i, dir, sizeof(dir));
		if ((s->procs[h] = open_in(dir, "cgroup.procs", O_RDWR)) < 0)
			goto fail;
		if (h == 0 && (s->limit_fd = open_in(
				   dir, cg->version == 2 ? "memory.max" : "memory.limit_in_bytes",
				   O_WRONLY)) < 0)
			goto fail;
	}
	return 0;
fail:;
	int saved = errno;
	close_files(s);
	errno = saved;
	return -1;
}

/* Makes the next slot (under cg->lock): its directories, a limit of one
 * process, and its files, open. 0 or -1 with errno. */
static int add_slot(struct mica_cgroups *cg)
{
	struct mica_cgroup_slot *all = realloc(cg->slots, (cg->nslots + 1) * sizeof(*all));
	if (!all)
		return -1;
	cg->slots = all;
	struct mica_cgroup_slot *s = &all[cg->nslots];
	*s = (struct mica_cgroup_slot){.procs = {-1, -1}, .limit_fd = -1};
	for (int h = 0; h < hierarchies(cg); h++) {
		char dir[PATH_MAX];
		slot_dir(cg, h, cg->nslots, dir, sizeof(dir));
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -1;
		if ((cg->version == 2 || h == 1) && put(dir, "pids.max", "1"))
			return -1;
	}
	if (open_files(cg, cg->nslots))
		return -1;
	cg->nslots++;
	return 0;
}

void mica_cgroups_close(struct mica_cgroups *cg)
{
	char dir[PATH_MAX];
	for (unsigned i = 0; i < cg->nslots; i++) {
		close_files(&cg->slots[i]);
		for (int h = 0; h < hierarchies(cg); h++) {
			slot_dir(cg, h, i, dir, sizeof(dir));
			rmdir(dir);
		}
	}
	for (int h = 0; h < hierarchies(cg); h++)
		rmdir(cg->dir[h]);
	free(cg->slots);
	pthread_mutex_destroy(&cg->lock);
	memset(cg, 0, sizeof(*cg));
}

/* 1 if a process is still in the slot's cgroup: the one a freed sandbox
 * had, killed but not gone yet, whose memory still counts. */
static int occupied(const struct mica_cgroup_slot *s)
{
	char c;
	return pread(s->procs[0], &c, 1, 0) != 0;
}

/* 1 if slot i is free, its files are (or, before a lockdown, can be) open,
 * and its last process is gone; a slot passed over holds no files then,
 * unless a lockdown keeps them. */
static int usable(struct mica_cgroups *cg, unsigned i)
{
	struct mica_cgroup_slot *s = &cg->slots[i];
	if (s->used || (cg->keep && s->procs[0] < 0) || open_files(cg, i))
		return 0;
	if (!occupied(s))
		return 1;
	if (!cg->keep)
		close_files(s);
	return 0;
}

int mica_cgroups_get(struct mica_cgroups *cg, uint64_t limit, int fds[2], int *slot)
{
	if (!cg->version)
		return 0;
	pthread_mutex_lock(&cg->lock);
	unsigned i = 0;
	while (i < cg->nslots && !usable(cg, i))
		i++;
	int rc = i == cg->nslots ? add_slot(cg) : 0, n = 0;
	struct mica_cgroup_slot *s = &cg->slots[i];
	if (!rc && s->limit != limit) { /* its file is open: a write, no path */
		char value[32];
		int len = snprintf(value, sizeof(value), "%llu", (unsigned long long)limit);
		rc = pwrite(s->limit_fd, value, (size_t)len, 0) == len ? 0 : -1;
		if (!rc)
			s->limit = limit;
	}
	for (; !rc && n < hierarchies(cg); n++)
		if ((fds[n] = fcntl(s->procs[n], F_DUPFD_CLOEXEC, 3)) < 0)
			rc = -1;
	if (rc) {
		int saved = errno ? errno : EIO;
		while (n > 0)
			if (fds[--n] >= 0)
				close(fds[n]);
		pthread_mutex_unlock(&cg->lock);
		errno = saved;
		return -1;
	}
	s->used = 1;
	if (!cg->keep)
		close_files(s); /* the child joins through fds, its copies */
	pthread_mutex_unlock(&cg->lock);
	*slot = (int)i;
	return n;
}

void mica_cgroups_put(struct mica_cgroups *cg, int slot)
{
	if (slot < 0 || !cg->version)
		return;
	pthread_mutex_lock(&cg->lock);
	cg->slots[slot].used = 0;
	pthread_mutex_unlock(&cg->lock);
}

void mica_cgroups_keep(struct mica_cgroups *cg)
{
	if (!cg->version)
		return;
	pthread_mutex_lock(&cg->lock);
	cg->keep = 1;
	for (unsigned i = 0; i < cg->nslots; i++)
		open_files(cg, i); /* one that fails stays closed: never used again */
	pthread_mutex_unlock(&cg->lock);
}
