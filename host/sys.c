#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"

int64_t mica_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

pid_t mica_thread_id(void)
{
	static __thread pid_t tid;
	if (!tid)
		tid = (pid_t)syscall(SYS_gettid);
	return tid;
}
