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

/* NULL if path may be written (nothing there, a file, or a symbolic link,
 * which is replaced, never followed: a link planted in a shared directory
 * cannot aim the write elsewhere), else why not: the rename would replace a
 * directory, device, FIFO or socket. */
const char *mica_cli_writer_refusal(const char *path);

/* Forks the writer of path (mode, less the umask): 0, or -1 with a message
 * printed. */
int mica_cli_writer_start(struct mica_cli_writer *w, const char *path, mode_t mode);
/* Commits (commit 1) or drops what was written, and waits for the writer:
 * 0 when the file is there (or was dropped as asked), else the exit code of
 * a system error (its message printed by the writer). */
int mica_cli_writer_finish(struct mica_cli_writer *w, int commit);

#endif
