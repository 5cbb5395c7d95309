/* mica serve: a streamed response body between a worker and the HTTP loop. */
#include "stream.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct serve_stream {
	pthread_mutex_t lock;
	pthread_cond_t room;
	struct serve_chunk *head, *tail;
	size_t unwritten; /* pushed, not yet written */
	enum serve_stream_state state;
	int abandoned;
};

struct serve_stream *serve_stream_new(void)
{
	struct serve_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->room, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void serve_stream_free(struct serve_stream *s)
{
	if (!s)
		return;
	for (struct serve_chunk *c = s->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->room);
	free(s);
}

int serve_stream_push(struct serve_stream *s, const void *p, size_t n)
{
	struct serve_chunk *c = malloc(sizeof(*c) + n);
	if (!c)
		return -1;
	c->next = NULL;
	c->len = n;
	memcpy(c->data, p, n);
	pthread_mutex_lock(&s->lock);
	int gone = s->abandoned || s->state != SERVE_STREAM_OPEN;
	if (!gone) {
		if (s->tail)
			s->tail->next = c;
		else
			s->head = c;
		s->tail = c;
		s->unwritten += n;
	}
	pthread_mutex_unlock(&s->lock);
	if (gone)
		free(c);
	return gone ? -1 : 0;
}

int serve_stream_wait(struct serve_stream *s, int64_t deadline_ns)
{
	struct timespec ts = {.tv_sec = deadline_ns / 1000000000,
			      .tv_nsec = deadline_ns % 1000000000};
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	while (!s->abandoned && s->unwritten >= SERVE_STREAM_MAX)
		if (pthread_cond_timedwait(&s->room, &s->lock, &ts)) {
			rc = -2;
			break;
		}
	if (s->abandoned)
		rc = -1;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void serve_stream_end(struct serve_stream *s, int complete)
{
	pthread_mutex_lock(&s->lock);
	if (s->state == SERVE_STREAM_OPEN)
		s->state = complete ? SERVE_STREAM_COMPLETE : SERVE_STREAM_CUT;
	pthread_mutex_unlock(&s->lock);
}

struct serve_chunk *serve_stream_take(struct serve_stream *s, enum serve_stream_state *state)
{
	pthread_mutex_lock(&s->lock);
	struct serve_chunk *c = s->head;
	s->head = s->tail = NULL;
	*state = s->state;
	pthread_mutex_unlock(&s->lock);
	return c;
}

void serve_stream_written(struct serve_stream *s, size_t n)
{
	pthread_mutex_lock(&s->lock);
	s->unwritten -= n < s->unwritten ? n : s->unwritten;
	if (s->unwritten < SERVE_STREAM_MAX)
		pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
}

void serve_stream_abandon(struct serve_stream *s)
{
	pthread_mutex_lock(&s->lock);
	s->abandoned = 1;
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
}

int serve_stream_gone(struct serve_stream *s)
{
	pthread_mutex_lock(&s->lock);
	int gone = s->abandoned;
	pthread_mutex_unlock(&s->lock);
	return gone;
}

enum serve_stream_state serve_stream_state(struct serve_stream *s)
{
	pthread_mutex_lock(&s->lock);
	enum serve_stream_state st = s->state;
	pthread_mutex_unlock(&s->lock);
	return st;
}
