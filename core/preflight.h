/* Maildock - SPDX-License-Identifier: MIT
 *
 * Start-up checks that need neither a bound socket nor a privilege change,
 * for maildockd -t: server.user and server.group exist, every listen
 * address parses (IP address, port 1-65535), log.file's directory is there,
 * the files that listed auth modules read after start-up are readable by
 * server.user, and the spool directories (CONF_F_WRITABLE_DIR, e.g.
 * lmtp.temp_dir) are writable by it.
 */
#ifndef CORE_PREFLIGHT_H
#define CORE_PREFLIGHT_H

struct conf;

/* preflight_run: run the checks on conf (loaded with conf_load). Forks a
 * child that takes server.user's uid and groups (when run as root) to open
 * the files; the caller keeps its privileges. Returns 0, or a negative
 * error with *error_r malloc'd: "file:line: key: what is wrong". Start-up
 * only (forks; not thread-safe). */
int preflight_run(const struct conf *conf, char **error_r);

#endif
