/* mica serve: the access log. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static FILE *out;

int serve_log_open(const char *spec, char *why, size_t why_len)
{
	if (!spec || !strcmp(spec, "-")) {
		out = stdout;
		setvbuf(stdout, NULL, _IOLBF, 0);
	} else if (!strcmp(spec, "off")) {
		out = NULL;
	} else if (!(out = fopen(spec, "ae"))) {
		snprintf(why, why_len, "cannot open the access log '%s': %s", spec,
			 strerror(errno));
		return -1;
	} else {
		setvbuf(out, NULL, _IOLBF, 0);
	}
	return 0;
}

/* The request-target as it may go in a line: no control bytes, no spaces. */
static void put_target(FILE *f, const char *t)
{
	for (size_t i = 0; t && t[i] && i < 2048; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c <= 0x20 || c >= 0x7f)
			fprintf(f, "%%%02X", c);
		else
			fputc(c, f);
	}
}

void serve_log_request(const struct serve_request *r)
{
	if (!out)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[40];
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	double ms = (double)(serve_now_ns() - r->t_start_ns) / 1e6;
	flockfile(out);
	fprintf(out, "%s.%03ldZ %s ", when, ts.tv_nsec / 1000000, r->idstr);
	put_target(out, r->method[0] ? r->method : "-");
	fputc(' ', out);
	put_target(out, r->target ? r->target : "-");
	fprintf(out, " %d %zu %.3fms\n", r->status, r->resp_bytes, ms);
	funlockfile(out);
}

/* stderr is unbuffered: a byte at a time would be a write(2) each. */
struct line_buf {
	char b[4096];
	size_t n;
};

static void line_put(struct line_buf *l, const char *s, size_t n)
{
	if (l->n + n > sizeof(l->b)) {
		fwrite(l->b, 1, l->n, stderr);
		l->n = 0;
	}
	memcpy(l->b + l->n, s, n);
	l->n += n;
}

void serve_log_guest(const char *tag, const char *data, size_t len)
{
	char head[64];
	int hn = snprintf(head, sizeof(head), "mica serve: [%s] ", tag);
	size_t head_len = hn < 0 ? 0 : (size_t)hn < sizeof(head) ? (size_t)hn : sizeof(head) - 1;
	struct line_buf l = {.n = 0};
	flockfile(stderr);
	for (size_t i = 0; i < len;) {
		line_put(&l, head, head_len);
		for (; i < len && data[i] != '\n'; i++) {
			unsigned char c = (unsigned char)data[i];
			char esc[5];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				line_put(&l, esc, (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c));
			else
				line_put(&l, (const char *)&c, 1);
		}
		line_put(&l, "\n", 1);
		i += i < len; /* the newline */
	}
	fwrite(l.b, 1, l.n, stderr);
	funlockfile(stderr);
}

void serve_log_close(void)
{
	if (out && out != stdout)
		fclose(out);
	else if (out)
		fflush(out);
	out = NULL;
}
