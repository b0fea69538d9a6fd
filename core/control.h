/* Maildock - SPDX-License-Identifier: MIT
 *
 * The control socket that maildock-admin talks to: control.<pid> in
 * control.socket_dir, one per server process, for root and the members of
 * control.admin_group only. Commands: who, kick USER|IP, reload, stats,
 * log level LEVEL. Replies: "OK" then tab-separated rows (the first names
 * the columns), or "ERR reason".
 */
#ifndef CORE_CONTROL_H
#define CORE_CONTROL_H

struct conf;

/* control_register_settings: register control.socket_dir and
 * control.admin_group. Start-up only. */
void control_register_settings(void);

/* control_socket_dir: the directory of conf's control sockets ("" when
 * off). Valid while conf is referenced. */
const char *control_socket_dir(const struct conf *conf);

/* control_check: control.admin_group names a group (maildockd -t).
 * Returns 0, or -ERR_NOTFOUND with *error_r malloc'd naming file:line. */
int control_check(const struct conf *conf, char **error_r);

/* control_bind: make this process's socket (after detach_start(): the name
 * holds the pid; before the privilege drop: the directory is root's),
 * removing sockets of processes that have gone. A socket that cannot be
 * made is a warning in the log, not an error. Returns 0, or -ERR_NOTFOUND
 * (no such control.admin_group) with *error_r malloc'd naming file:line.
 * Not thread-safe (umask). */
int control_bind(const struct conf *conf, char **error_r);

/* control_start: start the serving thread, after the privilege drop.
 * Returns 0, or -ERR_NOMEM with *error_r malloc'd. */
int control_start(char **error_r);

#endif
