/* mica serve: the `env` of the handler, from --env K=V and --env-file. */
#ifndef MICA_SERVER_ENV_H
#define MICA_SERVER_ENV_H

#include <stddef.h>

/* Keys and values, in the order first set; setting a key again replaces
 * its value in place. */
struct serve_env {
	char **keys, **values;
	size_t *value_lens;
	size_t n, cap;
};

/* Sets key (an identifier: [A-Za-z_][A-Za-z0-9_]*) to value[0..len).
 * -1 when out of memory. */
int serve_env_set(struct serve_env *e, const char *key, size_t key_len, const char *value,
		  size_t len);

/* --env K=V: 0, or -1 with the reason in why (NUL-terminated). */
int serve_env_arg(struct serve_env *e, const char *kv, char *why, size_t why_len);

/* The largest --env-file read. */
#define SERVE_ENV_FILE_MAX ((size_t)1 << 20)

/* --env-file PATH, dotenv syntax: KEY=VALUE lines, optional `export `,
 * blank lines and # comments; VALUE unquoted (trimmed, a ` #` starts a
 * comment), 'single-quoted' (literal) or "double-quoted" (\n \r \t \" \\
 * escapes), a quoted one may go on over lines. CRLF ends lines as LF does,
 * and a UTF-8 BOM first is skipped. 0, or -1 with "PATH:LINE: reason" in
 * why (the line where the entry starts); nothing of a file with a
 * malformed entry is kept. */
int serve_env_file(struct serve_env *e, const char *path, char *why, size_t why_len);

void serve_env_free(struct serve_env *e);

#endif
