/* The CLI's output files (snapshot, compile), written by a process of
 * their own forked before the run is locked down: the confined process
 * hands the bytes over a pipe and can neither open nor rename a file. */
#ifndef MICA_CLI_WRITER_H
#define MICA_CLI_WRITER_H

#include <sys/types.h>

struct mica_cli_writer {
	pid_t pid;
	int data; /* the bytes of the file */
	int ctl;  /* one 'C' commits them; EOF without it leaves no file */
};

/* The file that writing path replaces: path itself, or the regular file
 * its symbolic link names (malloc'd). NULL if something else is there, with
 * *why saying what (NULL: out of memory): mica replaces files, never
 * directories, devices, FIFOs or sockets. */
char *mica_cli_writer_target(const char *path, const char **why);

/* Forks the writer of path (mode, less the umask): 0, or -1 with a message
 * printed. */
int mica_cli_writer_start(struct mica_cli_writer *w, const char *path, mode_t mode);
/* Commits (commit 1) or drops what was written, and waits for the writer:
 * 0 when the file is there (or was dropped as asked), else the exit code of
 * a system error (its message printed by the writer). */
int mica_cli_writer_finish(struct mica_cli_writer *w, int commit);

#endif
