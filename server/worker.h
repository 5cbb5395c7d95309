/* mica serve: the sandboxes, and the worker threads that run requests in them. */
#ifndef MICA_SERVER_WORKER_H
#define MICA_SERVER_WORKER_H

#include "server.h"

struct serve_workers;

/* Opens the backend, registers host:serve, loads cfg->file in a sandbox,
 * checks it has `export default { fetch }`, gives it env, and snapshots
 * it. On failure returns NULL with the exit code in *code (2: the module is
 * refused, or cannot be read; else the mica_code of the failure) and the
 * reason in why. */
struct serve_workers *serve_workers_prepare(const struct serve_config *cfg, int *code, char *why,
					    size_t why_len);

/* Starts cfg->workers threads, each with its sandbox (per the isolation
 * mode). -1 with the reason in why. */
int serve_workers_start(struct serve_workers *w, char *why, size_t why_len);

/* Queues r (taking a reference) for the next free worker. A full queue, or
 * workers that are stopping, answer 503 at once (r->ready is called). */
void serve_workers_submit(struct serve_workers *w, struct serve_request *r);

/* Requests queued or running now. */
unsigned serve_workers_busy(struct serve_workers *w);

/* Lets the workers finish what they run, answers what is still queued with
 * 503, joins the threads and frees everything. */
void serve_workers_stop(struct serve_workers *w);

/* Stops w's threads like serve_workers_stop, but what is queued is run
 * first (or answered 503 past --queue-timeout), not refused, and w is not
 * freed: for workers no new request goes to (a reload). Blocks until they
 * are done; serve_workers_stop frees w after. */
void serve_workers_retire(struct serve_workers *w);

/* Answers 503 to what is queued on w now (a retiring pool when the server
 * stops: what runs still finishes). Any thread. */
void serve_workers_cancel(struct serve_workers *w);

/* Interrupts the sandbox of every worker (mica_sandbox_interrupt): what runs
 * now ends at once with 503, when the grace period of a stop has passed.
 * Any thread. */
void serve_workers_interrupt(struct serve_workers *w);

/* The backend the sandboxes run on, for the start-up line. */
const char *serve_workers_backend(const struct serve_workers *w);

#endif
