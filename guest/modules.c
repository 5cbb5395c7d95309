/* Module names and loading: user modules come from the host's module root. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* Sources of the modules compiled during the current load, kept so that a
 * failed import can name the importing file and line. */
#define MAX_SOURCES 64
static struct {
	char *name, *src;
} sources[MAX_SOURCES];
static int nsources;
static char *importer, *specifier; /* of the import being resolved */

static char *dup_str(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

void mica_sources_add(const char *name, const char *src, size_t len)
{
	if (nsources == MAX_SOURCES)
		return;
	sources[nsources].name = dup_str(name, strlen(name));
	sources[nsources].src = dup_str(src, len);
	nsources++;
}

void mica_sources_clear(void)
{
	for (int i = 0; i < nsources; i++) {
		free(sources[i].name);
		free(sources[i].src);
	}
	nsources = 0;
}

/* Line of the first quoted occurrence of spec in module `name`, or 0. */
static int import_line(const char *name, const char *spec)
{
	size_t n = strlen(spec);
	for (int i = 0; name && i < nsources; i++) {
		if (strcmp(sources[i].name, name) != 0)
			continue;
		int line = 1;
		for (const char *p = sources[i].src; *p; p++) {
			if (*p == '\n')
				line++;
			else if ((*p == '"' || *p == '\'') && !strncmp(p + 1, spec, n) &&
				 p[n + 1] == *p)
				return line;
		}
	}
	return 0;
}

/* "./x.js" and "../x.js" resolve against the importer's directory; other
 * names (host:..., bare names) stay as they are. */
char *mica_module_normalize(JSContext *c, const char *base, const char *name, void *opaque)
{
	(void)opaque;
	free(importer);
	free(specifier);
	importer = dup_str(base, strlen(base));
	specifier = dup_str(name, strlen(name));
	if (name[0] != '.')
		return js_strdup(c, name);
	const char *slash = strrchr(base, '/');
	size_t dir = slash ? (size_t)(slash - base + 1) : 0;
	char *path = js_malloc(c, dir + strlen(name) + 1);
	if (!path)
		return NULL;
	memcpy(path, base, dir);
	strcpy(path + dir, name);
	/* Collapse "." and ".." segments in place; a ".." that would climb
	 * above the root stays, and the host refuses it. */
	char *out = path;
	for (char *p = path; *p;) {
		size_t k = strcspn(p, "/");
		int last = p[k] == 0;
		if (k == 1 && p[0] == '.') {
		} else if (k == 2 && p[0] == '.' && p[1] == '.' && out > path &&
			   !(out - path >= 3 && !strncmp(out - 3, "../", 3))) {
			out--;
			while (out > path && out[-1] != '/')
				out--;
		} else {
			memmove(out, p, k);
			out += k;
			if (!last)
				*out++ = '/';
		}
		p += k + !last;
	}
	*out = 0;
	return path;
}

static JSModuleDef *load_user_module(JSContext *c, const char *name)
{
	struct mica_hc_module hc = {.name = (uint64_t)(uintptr_t)name, .name_len = strlen(name)};
	mica_console_flush();
	mica_hypercall(MICA_HC_MODULE, &hc, sizeof(hc));
	const char *src = (const char *)MICA_GPA_IN;
	size_t len = hc.result_len < MICA_IN_SIZE ? hc.result_len : 0;
	if (hc.failed) {
		int line = import_line(importer, specifier);
		char where[256] = "";
		if (importer)
			snprintf(where, sizeof(where),
				 line ? " (imported at %.200s:%d)" : " (imported by %.200s)",
				 importer, line);
		JS_ThrowReferenceError(c, "could not load module '%s'%s: %.*s",
				       specifier ? specifier : name, where, (int)len, src);
		return NULL;
	}
	mica_sources_add(name, src, len);
	JSValue m = JS_Eval(c, src, len, name, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
	if (JS_IsException(m))
		return NULL;
	JSModuleDef *md = JS_VALUE_GET_PTR(m);
	JS_FreeValue(c, m);
	return md;
}

const char *mica_sources_last(void)
{
	return nsources ? sources[nsources - 1].src : NULL;
}

int mica_compiling;

static int placeholder_init(JSContext *c, JSModuleDef *m)
{
	(void)c;
	(void)m;
	return 0;
}

/* An empty module standing in for an import while compiling. Its own name
 * has a prefix no import can produce by accident, so that later imports of
 * the real module in this sandbox do not find it. */
static JSModuleDef *placeholder(JSContext *c, const char *name)
{
	static const char prefix[] = "mica:compile-placeholder:";
	size_t n = strlen(name);
	char *full = malloc(sizeof(prefix) + n);
	if (!full) {
		JS_ThrowOutOfMemory(c);
		return NULL;
	}
	memcpy(full, prefix, sizeof(prefix) - 1);
	memcpy(full + sizeof(prefix) - 1, name, n + 1);
	JSModuleDef *m = JS_NewCModule(c, full, placeholder_init);
	free(full);
	return m;
}

JSModuleDef *mica_module_load(JSContext *c, const char *name, void *opaque)
{
	(void)opaque;
	if (mica_compiling)
		return placeholder(c, name);
	if (strncmp(name, "host:", 5) == 0)
		return mica_host_module(c, name);
	return load_user_module(c, name);
}
