/* The CLI's event input: --event-file with --repeat N holds one event per
 * line. Apart from cli/mica.c so that fuzz/ can reach it. */
#ifndef MICA_CLI_EVENTS_H
#define MICA_CLI_EVENTS_H

#include <stddef.h>

/* Splits buf[0..len) into lines, skipping blank ones (spaces, tabs, \r
 * only), NUL-terminating each in place; the first max go to ev[] and
 * ev_len[]. Returns how many events there are (may exceed max). */
size_t mica_cli_split_events(char *buf, size_t len, char **ev, size_t *ev_len, size_t max);

#endif
