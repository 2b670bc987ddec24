// SPDX-License-Identifier: BSD-2-Clause
/*
 * ucchan-upcase: a complete ucchan service and its client in one file.
 *
 *   ucchan-upcase serve [NAME]        serve until killed
 *   ucchan-upcase call NAME TEXT...   print TEXT in upper case
 *
 * The request is the inline message; the reply is written in place into
 * the inline reply area. See docs/sqlproxy.md, "Writing a ucchan service".
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <libucchan.h>

/* Runs on the worker of the caller's CPU: one call, no copies. */
static int32_t upcase(struct ucchan_req *req, size_t *reply_len, void *arg)
{
	const char *in = req->data;
	char *out = req->reply;
	size_t i;

	if (req->len > req->reply_cap)
		return -EMSGSIZE;
	for (i = 0; i < req->len; i++)
		out[i] = (char)toupper((unsigned char)in[i]);
	*reply_len = req->len;
	return 0;
}

static void gone(uint64_t client_id, void *arg)
{
	fprintf(stderr, "client %llu disconnected\n",
		(unsigned long long)client_id);
}

static const struct ucchan_server_ops ops = {
	.size = sizeof(ops),
	.handle = upcase,
	.disconnect = gone,
};

static int serve(const char *name)
{
	struct ucchan_server_opts o = {
		.size = sizeof(o), .name = name, .mode = 0666,
	};
	struct ucchan_server *srv;
	int ret;

	ret = ucchan_server_create(&srv, &o, &ops, NULL);
	if (!ret)
		ret = ucchan_server_start(srv);
	if (ret) {
		fprintf(stderr, "upcase: %s\n", strerror(-ret));
		return 1;
	}
	printf("serving '%s'\n", name);
	fflush(stdout);
	pause();			/* workers do the rest */
	ucchan_server_destroy(srv);
	return 0;
}

static int call(const char *name, int argc, char **argv)
{
	struct ucchan_client *cl = NULL;
	char reply[4096];
	size_t len;
	int i, ret;

	ret = ucchan_client_connect(&cl, name);
	for (i = 0; !ret && i < argc; i++) {
		ret = ucchan_client_call_simple(cl, argv[i], strlen(argv[i]),
						reply, sizeof(reply), &len);
		if (!ret)
			printf("%.*s\n", (int)len, reply);
	}
	if (ret)
		fprintf(stderr, "upcase: %s\n", strerror(-ret));
	if (cl)
		ucchan_client_close(cl);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return serve(argc > 2 ? argv[2] : "upcase");
	if (argc >= 4 && !strcmp(argv[1], "call"))
		return call(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: ucchan-upcase serve [NAME] | call NAME TEXT...\n");
	return 2;
}
