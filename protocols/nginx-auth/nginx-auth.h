/* Maildock - SPDX-License-Identifier: MIT
 *
 * The auth_http endpoint for nginx's mail proxy (nginx_auth.listen):
 * nginx_auth_proto for the core.
 */
#ifndef PROTOCOLS_NGINX_AUTH_NGINX_AUTH_H
#define PROTOCOLS_NGINX_AUTH_NGINX_AUTH_H

#include "core/proto.h"

/* The core's entry point (protocols/protocols.c lists it): one HTTP/1.0
 * request per connection, answered with Auth-Status and, on success,
 * Auth-Server and Auth-Port (ngx_mail_auth_http_module's protocol). */
extern const struct proto_ops nginx_auth_proto;

#endif
