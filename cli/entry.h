/* The name of the entry file inside --modules, for the CLI and mica serve. */
#ifndef MICA_CLI_ENTRY_H
#define MICA_CLI_ENTRY_H

/* The name file has in the module root dir: its path below dir as both are
 * written (made absolute, "." components and repeated slashes dropped),
 * else, where that is not below dir or has a "..", its real path below
 * dir's real path. Written paths come first because a Kubernetes ConfigMap
 * volume holds symlinks into "..data/": by real path every name there
 * would start with '.', which import() takes for a relative specifier.
 * A malloc'd name, or NULL when file is not below dir (or on ENOMEM). */
char *mica_cli_entry_name(const char *dir, const char *file);

#endif
