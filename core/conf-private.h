/* Maildock - SPDX-License-Identifier: MIT
 *
 * Between the configuration loader and its value parsers.
 */
#ifndef CORE_CONF_PRIVATE_H
#define CORE_CONF_PRIVATE_H

#include "core/conf.h"

/* conf_fill_one: parse value per st's type and store it at st->offset in
 * section. Returns 0 or -ERR_INVAL. value must outlive section (strings
 * are stored as pointers). */
int conf_fill_one(const struct conf_setting *st, void *section,
		  const char *value);

/* conf_expected: "one of a b c", "a number from 1 to 100", ... into buf
 * (size bytes); returns buf. */
const char *conf_expected(const struct conf_setting *st, char *buf,
			  size_t size);

#endif
