/*
 * endpointlib.h - for unit tests that talk to the local endpoint (tests/iam-endpoint/server.py):
 * start it on a free port with a fixed admin key, point the environment's AWS settings at it,
 * read its control routes (counts, faults), and make clients with a fake retry sleep.
 * Include once per test program, after cmocka.h.
 */
#ifndef KW_TEST_ENDPOINTLIB_H
#define KW_TEST_ENDPOINTLIB_H

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/client.h"
#include "aws/call.h"
#include "aws/retry.h"
#include "util/buf.h"
#include "util/error.h"

#define ADMIN_KEY    "AKIAKWTESTADMIN00001"
#define ADMIN_SECRET "kw/test+Admin+Secret+0000000000000000000"
#define ACCOUNT      "123456789012"

static pid_t server_pid = -1;
static char endpoint[64];

/* --- the endpoint ------------------------------------------------------------------------ */

static int start_endpoint(void **state)
{
	const char *src = getenv("KW_SOURCE_DIR");
	char script[1024], line[256] = "";
	int fds[2];
	FILE *fp;

	snprintf(script, sizeof(script), "%s/tests/iam-endpoint/server.py", src ? src : ".");
	if (pipe(fds))
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execl("/usr/bin/python3", "python3", script, "--port", "0", "--access-key-id", ADMIN_KEY,
		      "--secret-access-key", ADMIN_SECRET, "--account-id", ACCOUNT, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	fp = fdopen(fds[0], "r");
	if (!fp || !fgets(line, sizeof(line), fp) || sscanf(line, "listening on %63s", endpoint) != 1) {
		fprintf(stderr, "endpoint did not start: '%s'\n", line);
		return -1;
	}
	/* keep the pipe open (the server never writes again) */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setenv("AWS_ACCESS_KEY_ID", ADMIN_KEY, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET, 1);
	setenv("AWS_ENDPOINT_URL", endpoint, 1);
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/kw-config", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/kw-credentials", 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_MAX_ATTEMPTS");
	unsetenv("AWS_ENDPOINT_URL_IAM");
	unsetenv("AWS_ENDPOINT_URL_STS");
	unsetenv("AWS_ENDPOINT_URL_SECRETS_MANAGER");
	unsetenv("AWS_ENDPOINT_URL_SSM");
	return 0;
}

static int stop_endpoint(void **state)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	curl_global_cleanup();
	return 0;
}

static size_t collect_body(char *p, size_t s, size_t n, void *ud)
{
	return kw_buf_append(ud, p, s * n) ? 0 : s * n;
}

/* A control route of the endpoint; returns the JSON answer (decref it) or NULL. */
static json_t *control(const char *method, const char *route, const char *body)
{
	CURL *c = curl_easy_init();
	struct kw_buf b = KW_BUF_INIT;
	char url[256];
	json_t *j;

	snprintf(url, sizeof(url), "%s/_endpoint/%s", endpoint, route);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	j = json_loads(b.data ? b.data : "null", JSON_DECODE_ANY, NULL);
	kw_buf_release(&b);
	return j;
}

static long count_of(const char *action)
{
	json_t *j = control("GET", "counts", NULL);
	long n = (long)json_integer_value(json_object_get(j, action));

	json_decref(j);
	return n;
}

/* Count requests from zero and inject the faults of spec (server.py's --faults syntax). */
static void set_faults(const char *spec)
{
	char body[512];

	assert_true(snprintf(body, sizeof(body), "{\"spec\": \"%s\"}", spec) < (int)sizeof(body));
	json_decref(control("DELETE", "counts", NULL));
	json_decref(control("PUT", "faults", body));
}

/* No more faults (the counts stay). */
static void clear_faults(void)
{
	json_decref(control("DELETE", "faults", NULL));
}

/* --- a client with a fake sleep ---------------------------------------------------------- */

struct fake_env {
	double slept;
	int sleeps;
	double max_delay;
	pthread_mutex_t lock;
};

static double fake_random(void *ctx)
{
	return 0.999; /* the largest delay: shows the cap */
}

static void fake_sleep(void *ctx, double seconds)
{
	struct fake_env *f = ctx;

	pthread_mutex_lock(&f->lock);
	f->slept += seconds;
	f->sleeps++;
	if (seconds > f->max_delay)
		f->max_delay = seconds;
	pthread_mutex_unlock(&f->lock);
}

static struct fake_env fenv = {.lock = PTHREAD_MUTEX_INITIALIZER};
static const struct kw_retry_env retry_env = {fake_random, fake_sleep, &fenv};

static struct kw_aws_client *new_client(int max_attempts)
{
	struct kw_aws_options opt = {.max_attempts = max_attempts};
	struct kw_aws_client *c = NULL;
	struct kw_error err;

	if (kw_aws_client_new(&opt, &c, &err))
		fail_msg("client: %s: %s", err.where, err.msg);
	kw_aws_client_set_retry_env(c, &retry_env);
	return c;
}

#define OK(call)                                                                           \
	do {                                                                               \
		struct kw_error e_;                                                        \
		kw_error_clear(&e_);                                                       \
		if ((call) != 0)                                                           \
			fail_msg("%s: %s: %s (%s)", #call, e_.where, e_.msg, e_.aws_code); \
	} while (0)
#define E (&e_)

#endif
