/* Maildock - SPDX-License-Identifier: MIT
 *
 * The metrics endpoint (metrics.listen, off by default): HTTP GET /metrics
 * answered with the counters of core/stats in the Prometheus text format,
 * by one thread of the process that calls metrics_start.
 */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

struct conf;

/* metrics_register_settings: register metrics.listen. Start-up only. */
void metrics_register_settings(void);

/* metrics_check: parse metrics.listen without binding (maildockd -t).
 * Returns 0, or -ERR_INVAL with *error_r malloc'd naming file:line. */
int metrics_check(const struct conf *conf, char **error_r);

/* metrics_bind: bind metrics.listen when set (before dropping
 * privileges). Returns 0 (also when off), or a negative error with
 * *error_r malloc'd naming file:line. Start-up only. */
int metrics_bind(const struct conf *conf, char **error_r);

/* metrics_start: start the serving thread when metrics_bind bound a
 * socket; call in the process that serves (after any fork), after the
 * privilege drop. Returns 0, or -ERR_NOMEM with *error_r malloc'd. */
int metrics_start(char **error_r);

#endif
