/* mica serve: the command. */
#ifndef MICA_SERVER_SERVE_H
#define MICA_SERVER_SERVE_H

/* Runs `mica serve`; argv[0] is "serve". Returns the exit code: 0 after a
 * clean stop (SIGINT, SIGTERM), 2 for usage errors, a module that is
 * refused or an address that cannot be bound, else the mica_code of what
 * failed at start. */
int mica_serve_main(int argc, char **argv);

#endif
