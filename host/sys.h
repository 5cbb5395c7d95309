/* Small operating-system helpers the host shares. */
#ifndef MICA_HOST_SYS_H
#define MICA_HOST_SYS_H

#include <stdint.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t mica_now_ns(void);

/* The calling thread's id, cached per thread. */
pid_t mica_thread_id(void);

#endif
