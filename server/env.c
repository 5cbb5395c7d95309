/* mica serve: --env and --env-file (dotenv). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/slurp.h"
#include "env.h"

static int is_key(const char *k, size_t n)
{
	if (!n || !(k[0] == '_' || ((k[0] | 32) >= 'a' && (k[0] | 32) <= 'z')))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(k[i] == '_' || (k[i] >= '0' && k[i] <= '9') ||
		      ((k[i] | 32) >= 'a' && (k[i] | 32) <= 'z')))
			return 0;
	return 1;
}

int serve_env_set(struct serve_env *e, const char *key, size_t key_len, const char *value,
		  size_t len)
{
	char *v = malloc(len + 1);
	if (!v)
		return -1;
	memcpy(v, value, len);
	v[len] = 0;
	for (size_t i = 0; i < e->n; i++)
		if (strlen(e->keys[i]) == key_len && !memcmp(e->keys[i], key, key_len)) {
			free(e->values[i]);
			e->values[i] = v;
			e->value_lens[i] = len;
			return 0;
		}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		char **k = realloc(e->keys, cap * sizeof(*k));
		if (k)
			e->keys = k;
		char **vs = realloc(e->values, cap * sizeof(*vs));
		if (vs)
			e->values = vs;
		size_t *l = realloc(e->value_lens, cap * sizeof(*l));
		if (l)
			e->value_lens = l;
		if (!k || !vs || !l) {
			free(v);
			return -1;
		}
		e->cap = cap;
	}
	char *k = malloc(key_len + 1);
	if (!k) {
		free(v);
		return -1;
	}
	memcpy(k, key, key_len);
	k[key_len] = 0;
	e->keys[e->n] = k;
	e->values[e->n] = v;
	e->value_lens[e->n] = len;
	e->n++;
	return 0;
}

int serve_env_arg(struct serve_env *e, const char *kv, char *why, size_t why_len)
{
	const char *eq = strchr(kv, '=');
	if (!eq || !is_key(kv, (size_t)(eq - kv))) {
		snprintf(why, why_len,
			 "--env wants KEY=VALUE with KEY a name ([A-Za-z_][A-Za-z0-9_]*), not '%s'",
			 kv);
		return -1;
	}
	if (serve_env_set(e, kv, (size_t)(eq - kv), eq + 1, strlen(eq + 1))) {
		snprintf(why, why_len, "out of memory");
		return -1;
	}
	return 0;
}

/* The entry at p (a line, or more for a quoted value with newlines in it)
 * into e; *next: where the next line begins. A quoted value is unescaped
 * into scratch (room for the file's bytes): the file's text stays as it
 * was, for line numbers. NULL, or what is wrong. */
static const char *parse_entry(struct serve_env *e, char *p, char *end, char **next, char *scratch)
{
	char *eol = memchr(p, '\n', (size_t)(end - p));
	eol = eol ? eol : end;
	*next = eol < end ? eol + 1 : end;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p == eol || *p == '#')
		return NULL;
	if (eol - p > 7 && !memcmp(p, "export", 6) && (p[6] == ' ' || p[6] == '\t')) {
		p += 7;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
	}
	char *key = p;
	while (p < eol && *p != '=' && *p != ' ' && *p != '\t')
		p++;
	size_t key_len = (size_t)(p - key);
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p == eol || *p != '=')
		return "expected KEY=VALUE";
	if (!is_key(key, key_len))
		return "the key is not a name ([A-Za-z_][A-Za-z0-9_]*)";
	p++;
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	char *v = p, *out;
	if (p < eol && (*p == '\'' || *p == '"')) {
		/* up to the closing quote, on this line or a later one */
		char q = *p++;
		v = out = scratch;
		for (;; p++) {
			if (p == end)
				return q == '"' ? "unterminated double-quoted value"
						: "unterminated single-quoted value";
			if (*p == q)
				break;
			if (q == '"' && *p == '\\' && p + 1 < end) {
				p++;
				switch (*p) {
				case 'n': *out++ = '\n'; break;
				case 'r': *out++ = '\r'; break;
				case 't': *out++ = '\t'; break;
				case '"': *out++ = '"'; break;
				case '\\': *out++ = '\\'; break;
				default: *out++ = '\\'; *out++ = *p;
				}
				continue;
			}
			*out++ = *p;
		}
		size_t len = (size_t)(out - v);
		eol = memchr(p, '\n', (size_t)(end - p));
		eol = eol ? eol : end;
		*next = eol < end ? eol + 1 : end;
		p++;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p < eol && *p != '#')
			return "text after the closing quote";
		return serve_env_set(e, key, key_len, v, len) ? "out of memory" : NULL;
	}
	/* unquoted: up to a ` #` comment, trailing blanks trimmed */
	char *stop = v;
	for (; stop < eol; stop++)
		if (*stop == '#' && stop > v && (stop[-1] == ' ' || stop[-1] == '\t'))
			break;
	while (stop > v && (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r'))
		stop--;
	for (char *c = v; c < stop; c++)
		if (*c == '"' || *c == '\'')
			return "a quote inside an unquoted value";
	return serve_env_set(e, key, key_len, v, (size_t)(stop - v)) ? "out of memory" : NULL;
}

/* The line of p in buf, from 1. */
static int line_of(const char *buf, const char *p)
{
	int n = 1;
	for (const char *c = buf; c < p; c++)
		n += *c == '\n';
	return n;
}

int serve_env_file(struct serve_env *e, const char *path, char *why, size_t why_len)
{
	FILE *f = fopen(path, "rb");
	size_t len = 0;
	char *buf = f ? mica_cli_slurp(f, SERVE_ENV_FILE_MAX, &len) : NULL;
	if (!buf) {
		snprintf(why, why_len, "cannot read --env-file '%s': %s", path,
			 errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	char *nul = memchr(buf, 0, len);
	if (nul) {
		snprintf(why, why_len, "%s:%d: a NUL byte", path, line_of(buf, nul));
		free(buf);
		return -1;
	}
	/* CRLF line ends (in quoted values too) as LF, as dotenv reads them,
	 * and a CR that ends the file as nothing */
	size_t o = 0;
	for (size_t i = 0; i < len; i++)
		if (!(buf[i] == '\r' && (i + 1 == len || buf[i + 1] == '\n')))
			buf[o++] = buf[i];
	len = o;
	char *scratch = malloc(len + 1);
	if (!scratch) {
		snprintf(why, why_len, "out of memory");
		free(buf);
		return -1;
	}
	/* a UTF-8 byte order mark, as some editors begin a file with */
	char *p = len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? buf + 3 : buf, *end = buf + len;
	struct serve_env tmp = {0};
	int rc = 0;
	while (!rc && p < end) {
		char *next;
		const char *bad = parse_entry(&tmp, p, end, &next, scratch);
		if (bad) {
			snprintf(why, why_len, "%s:%d: %s", path, line_of(buf, p), bad);
			rc = -1;
		}
		p = next;
	}
	for (size_t i = 0; !rc && i < tmp.n; i++)
		if (serve_env_set(e, tmp.keys[i], strlen(tmp.keys[i]), tmp.values[i],
				  tmp.value_lens[i])) {
			snprintf(why, why_len, "out of memory");
			rc = -1;
		}
	serve_env_free(&tmp);
	free(scratch);
	free(buf);
	return rc;
}

void serve_env_free(struct serve_env *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->keys[i]);
		free(e->values[i]);
	}
	free(e->keys);
	free(e->values);
	free(e->value_lens);
	memset(e, 0, sizeof(*e));
}
