/* The name of the entry file inside --modules (see entry.h). */
#include "entry.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* path made absolute, with "." components and repeated slashes dropped and
 * no trailing slash; NULL if it has a ".." (only the kernel can resolve
 * that past a symlink) or on ENOMEM. */
static char *written(const char *path)
{
	char cwd[PATH_MAX];
	if (path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return NULL;
	const char *base = path[0] == '/' ? "" : cwd;
	char *out = malloc(strlen(base) + strlen(path) + 2);
	if (!out)
		return NULL;
	size_t n = 0;
	for (const char *p = base, *pass = path; p; p = pass, pass = NULL) {
		while (*p) {
			size_t k = strcspn(p, "/");
			if (k == 2 && !strncmp(p, "..", 2)) {
				free(out);
				return NULL;
			}
			if (k && !(k == 1 && p[0] == '.')) {
				out[n++] = '/';
				memcpy(out + n, p, k);
				n += k;
			}
			p += k + (p[k] == '/');
		}
	}
	out[n] = 0;
	return out;
}

/* file's path below dir's, both as given by to(): a malloc'd name or NULL. */
static char *below(const char *dir, const char *file, char *(*to)(const char *))
{
	char *d = to(dir), *f = to(file), *name = NULL;
	size_t k = d ? strlen(d) : 0;
	if (d && f && !strncmp(f, d, k) && f[k] == '/' && f[k + 1])
		name = strdup(f + k + 1);
	free(d);
	free(f);
	return name;
}

static char *real(const char *path)
{
	return realpath(path, NULL);
}

char *mica_cli_entry_name(const char *dir, const char *file)
{
	char *name = below(dir, file, written);
	return name ? name : below(dir, file, real);
}
