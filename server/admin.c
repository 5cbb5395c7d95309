/* mica serve --admin: a small libmicrohttpd daemon apart from the serving one,
 * so that probes and scrapes are answered whatever the handlers do. */
#include "admin.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

struct serve_admin {
	const struct serve_metrics *m;
	const int *down;
	int fd;
	char addr[80];
	struct MHD_Daemon *d;
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
			      char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *s)
{
	char *b = strdup(s);
	return b ? answer(c, status, "text/plain; charset=utf-8", b, strlen(b)) : MHD_NO;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	struct serve_admin *a = cls;
	(void)version, (void)data, (void)size, (void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return text(c, 405, "only GET\n");
	if (!strcmp(url, "/healthz"))
		return __atomic_load_n(a->down, __ATOMIC_RELAXED) ? text(c, 503, "not serving\n")
								  : text(c, 200, "ok\n");
	if (!strcmp(url, "/metrics")) {
		size_t len = 0;
		char *b = serve_metrics_render(a->m, &len);
		return b ? answer(c, 200, "text/plain; version=0.0.4; charset=utf-8", b, len)
			 : MHD_NO;
	}
	return text(c, 404, "not found: /healthz and /metrics are here\n");
}

struct serve_admin *serve_admin_start(const char *spec, const struct serve_metrics *m,
				      const int *down, char *why, size_t why_len)
{
	struct serve_admin *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(why, why_len, "out of memory");
		return NULL;
	}
	a->m = m;
	a->down = down;
	a->fd = serve_listen("--admin", spec, a->addr, sizeof(a->addr), why, why_len);
	if (a->fd < 0) {
		free(a);
		return NULL;
	}
	a->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
				on_request, a, MHD_OPTION_LISTEN_SOCKET, a->fd,
				MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_CONNECTION_TIMEOUT,
				10u, MHD_OPTION_END);
	if (!a->d) {
		snprintf(why, why_len, "--admin %s: cannot start its HTTP daemon", spec);
		close(a->fd);
		free(a);
		return NULL;
	}
	return a;
}

const char *serve_admin_address(const struct serve_admin *a)
{
	return a->addr;
}

void serve_admin_stop(struct serve_admin *a)
{
	if (!a)
		return;
	MHD_stop_daemon(a->d); /* closes the listening socket too */
	free(a);
}
