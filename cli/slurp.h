/* Reading a whole stream into memory, for the CLI and mica serve. */
#ifndef MICA_CLI_SLURP_H
#define MICA_CLI_SLURP_H

#include <stddef.h>
#include <stdio.h>

/* Reads f to its end into a malloc'd buffer of *len bytes with a NUL after
 * them, growing it up to max bytes. NULL with errno set: EFBIG when f holds
 * more (having read max + 1 bytes, not all of it), ENOMEM, or what the read
 * failed with (EISDIR for a directory). */
char *mica_cli_slurp(FILE *f, size_t max, size_t *len);

#endif
