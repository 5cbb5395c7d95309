/* mica serve --admin: /healthz and /metrics. */
#include "admin.h"

#include <stdlib.h>
#include <string.h>

/* r's response: status, a Content-Type (and an Allow for 405), body. */
static int answer(struct serve_request *r, int status, const char *type, char *body, size_t len)
{
	if (!body)
		return -1;
	const char *h[] = {"Content-Type", type, "Allow", "GET, HEAD"};
	unsigned n = status == 405 ? 2 : 1;
	size_t cap = 0;
	for (unsigned i = 0; i < 2 * n; i++)
		if (serve_frame_field(&r->resp_head, &r->resp_head_len, &cap, h[i], strlen(h[i]))) {
			free(body);
			return -1;
		}
	r->resp_nheaders = n;
	r->resp_body = (unsigned char *)body;
	r->resp_body_len = len;
	r->status = status;
	return 0;
}

static int text(struct serve_request *r, int status, const char *s)
{
	return answer(r, status, "text/plain; charset=utf-8", strdup(s), strlen(s));
}

int serve_admin_answer(const struct serve_config *cfg, struct serve_request *r)
{
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
		return text(r, 405, "only GET and HEAD\n");
	size_t path = strcspn(r->target, "?");
	if (path == 8 && !strncmp(r->target, "/healthz", 8))
		return __atomic_load_n(cfg->down, __ATOMIC_RELAXED) ? text(r, 503, "not serving\n")
								    : text(r, 200, "ok\n");
	if (path == 8 && !strncmp(r->target, "/metrics", 8)) {
		size_t len = 0;
		char *b = serve_metrics_render(cfg->metrics, &len);
		return answer(r, 200, "text/plain; version=0.0.4; charset=utf-8", b, len);
	}
	return text(r, 404, "not found: /healthz and /metrics are here\n");
}
