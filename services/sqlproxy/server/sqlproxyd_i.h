/* SPDX-License-Identifier: BSD-2-Clause */
/* sqlproxyd transports. */
#ifndef SQLPROXYD_I_H
#define SQLPROXYD_I_H

#include <stdbool.h>
#include <stdio.h>
#include "engine_i.h"

struct sqlp_unix;
struct sqlp_ucchan;

/* Listen on path (replacing a stale socket); one thread per connection. */
int sqlp_unix_start(struct sqlp_unix **up, struct sqlp_engine *e,
		    const char *path, unsigned int mode);
void sqlp_unix_stop(struct sqlp_unix *u);

/* Create ucchan service name and start its workers (-ENOENT: no ucchan). */
int sqlp_ucchan_start(struct sqlp_ucchan **up, struct sqlp_engine *e,
		      const char *name, unsigned int mode,
		      unsigned int slots, const char *cpus);
void sqlp_ucchan_stop(struct sqlp_ucchan *u);

#define sqlp_log(...) do { fprintf(stderr, "sqlproxyd: " __VA_ARGS__); \
			   fputc('\n', stderr); } while (0)

#endif /* SQLPROXYD_I_H */
