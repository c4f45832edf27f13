/*
 * test_mcp.c - the MCP server's approver: an "ask" put to the client as an
 * elicitation/create request, answered by the client's response (accept
 * with yes / always / no, decline, cancel, an error), or unavailable when
 * the client cannot be asked. The approver is called the way
 * session_call() calls it, from another thread than the reader; for the
 * 2026-07-28 revision's input_required results, through a test hook in
 * place of session_call() that asks it. And the output queue: a client
 * that stops reading blocks neither the reader nor, past MCP_OUTPUT_MAX,
 * anything but the workers.
 */
#define _GNU_SOURCE
#include "mcp.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SENT_MAX 16

/* What the server sent, for the test to read. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	char *msgs[SENT_MAX];
	size_t n;
} sent = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0};

static void capture(void *ctx, const char *msg, size_t len)
{
	(void)ctx;
	pthread_mutex_lock(&sent.lock);
	if (sent.n < SENT_MAX)
		sent.msgs[sent.n++] = strndup(msg, len);
	pthread_cond_broadcast(&sent.more);
	pthread_mutex_unlock(&sent.lock);
}

static const struct tool_registry empty_registry;

static const struct tool_registry *registry(void *ctx)
{
	(void)ctx;
	return &empty_registry;
}

/* No call runs in these tests: only the approver is exercised. */
static int no_call(void *ctx, const char *tool, const cJSON *args,
                   const struct tool_call_opts *opts, struct call_outcome *out,
                   struct corral_error *err)
{
	(void)ctx, (void)tool, (void)args, (void)opts, (void)out;
	return corral_error_set(err, CORRAL_E_INTERNAL, 0, "no call runs in this test");
}

static struct mcp_server *asking_server;

/* A test hook in place of session_call(): every call meets an ask rule and
 * asks the server's approver, as session_call() will once rules apply. */
static int ask_call(void *ctx, const char *tool, const cJSON *args,
                    const struct tool_call_opts *opts, struct call_outcome *out,
                    struct corral_error *err)
{
	const struct approver *ap = mcp_server_approver(asking_server);
	char *args_json = cJSON_PrintUnformatted(args), detail[128] = "";
	struct approval_request req = {.run = "r",
	                               .call_id = "c",
	                               .tool = tool,
	                               .args_json = args_json,
	                               .rule = "write_file",
	                               .reason = "the rule asks"};
	enum approval_answer a = ap->ask(ap->ctx, &req, detail, sizeof(detail));

	(void)ctx, (void)opts, (void)err;
	memset(out, 0, sizeof(*out));
	free(args_json);
	out->stop = a == APPROVAL_YES || a == APPROVAL_ALWAYS ? CALL_RAN
	            : a == APPROVAL_NO                        ? CALL_DECLINED
	                                                      : CALL_NEEDS_APPROVAL;
	out->result.is_error = out->stop != CALL_RAN;
	out->result.text = strdup(call_stop_name(out->stop));
	return 0;
}

/* The next message sent that contains @needle, parsed (waits up to 5 s). */
static cJSON *next_sent(const char *needle)
{
	struct timespec until;
	cJSON *m = NULL;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&sent.lock);
	while (!m) {
		for (size_t i = 0; i < sent.n && !m; i++)
			if (sent.msgs[i] && strstr(sent.msgs[i], needle)) {
				m = cJSON_Parse(sent.msgs[i]);
				free(sent.msgs[i]);
				sent.msgs[i] = NULL;
			}
		if (!m && pthread_cond_timedwait(&sent.more, &sent.lock, &until) != 0)
			break;
	}
	pthread_mutex_unlock(&sent.lock);
	ck_assert_msg(m, "nothing sent containing %s", needle);
	return m;
}

static struct mcp_server *start(bool elicitation)
{
	struct mcp_ops ops = {.write = capture, .registry = registry, .call = no_call};
	struct corral_error err = {0};
	struct mcp_server *s = NULL;
	char line[512];

	ck_assert_int_eq(mcp_server_new(&ops, 1, &s, &err), 0);
	snprintf(line, sizeof(line),
	         "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
	         "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{%s},"
	         "\"clientInfo\":{\"name\":\"unit\",\"version\":\"1\"}}}",
	         elicitation ? "\"elicitation\":{}" : "");
	mcp_handle_line(s, line, strlen(line));
	cJSON_Delete(next_sent("\"protocolVersion\""));
	return s;
}

struct asking {
	pthread_t thread;
	struct mcp_server *s;
	enum approval_answer answer;
	char detail[128];
};

static const struct approval_request request = {
    .run = "run-1",
    .call_id = "abc",
    .tool = "write_file",
    .args_json = "{\"path\":\"a.txt\",\"content\":\"x\"}",
    .rule = "write_file",
    .loc = {.file = "policy.json", .line = 4, .col = 13},
    .reason = "the rule asks for approval",
    .checkpoint = true,
};

static void *ask_main(void *arg)
{
	struct asking *a = arg;
	const struct approver *ap = mcp_server_approver(a->s);
	a->answer = ap->ask(ap->ctx, &request, a->detail, sizeof(a->detail));
	return NULL;
}

/* Ask in a thread, answer the elicitation with @response (its "id" left
 * for this function to fill), and return the answer. */
static enum approval_answer ask_and_answer(struct mcp_server *s, const char *response, char *detail)
{
	struct asking a = {.s = s};
	cJSON *req, *params, *schema;
	static const char other[] = "{\"jsonrpc\":\"2.0\",\"id\":\"other\",\"result\":{}}";
	char line[1024], *id;

	ck_assert_int_eq(pthread_create(&a.thread, NULL, ask_main, &a), 0);
	req = next_sent("elicitation/create");
	params = cJSON_GetObjectItem(req, "params");
	ck_assert_str_eq(cJSON_GetObjectItem(params, "mode")->valuestring, "form");
	ck_assert_ptr_nonnull(
	    strstr(cJSON_GetObjectItem(params, "message")->valuestring, "allow write_file?"));
	ck_assert_ptr_nonnull(
	    strstr(cJSON_GetObjectItem(params, "message")->valuestring, "policy.json:4"));
	schema = cJSON_GetObjectItem(params, "requestedSchema");
	ck_assert_ptr_nonnull(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(schema, "properties"), "decision"));
	id = cJSON_PrintUnformatted(cJSON_GetObjectItem(req, "id"));
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":%s,%s}", id, response);
	/* A response to some other id is not the answer. */
	mcp_handle_line(s, other, strlen(other));
	mcp_handle_line(s, line, strlen(line));
	pthread_join(a.thread, NULL);
	if (detail)
		strcpy(detail, a.detail);
	free(id);
	cJSON_Delete(req);
	return a.answer;
}

START_TEST(test_accept_yes)
{
	struct mcp_server *s = start(true);
	char detail[128];

	ck_assert_int_eq(ask_and_answer(s,
	                                "\"result\":{\"action\":\"accept\",\"content\":{"
	                                "\"decision\":\"yes\"}}",
	                                detail),
	                 APPROVAL_YES);
	ck_assert_str_eq(detail, "unit: accept yes");
	mcp_server_free(s);
}
END_TEST

START_TEST(test_accept_always_and_no)
{
	struct mcp_server *s = start(true);

	ck_assert_int_eq(ask_and_answer(s,
	                                "\"result\":{\"action\":\"accept\",\"content\":{"
	                                "\"decision\":\"always\"}}",
	                                NULL),
	                 APPROVAL_ALWAYS);
	ck_assert_int_eq(ask_and_answer(s,
	                                "\"result\":{\"action\":\"accept\",\"content\":{"
	                                "\"decision\":\"no\"}}",
	                                NULL),
	                 APPROVAL_NO);
	mcp_server_free(s);
}
END_TEST

START_TEST(test_decline_cancel_error)
{
	struct mcp_server *s = start(true);

	ck_assert_int_eq(ask_and_answer(s, "\"result\":{\"action\":\"decline\"}", NULL),
	                 APPROVAL_NO);
	ck_assert_int_eq(ask_and_answer(s, "\"result\":{\"action\":\"cancel\"}", NULL),
	                 APPROVAL_NO);
	ck_assert_int_eq(
	    ask_and_answer(s, "\"error\":{\"code\":-32601,\"message\":\"no elicitation\"}", NULL),
	    APPROVAL_UNAVAILABLE);
	mcp_server_free(s);
}
END_TEST

START_TEST(test_no_capability)
{
	struct mcp_server *s = start(false);
	const struct approver *ap = mcp_server_approver(s);
	char detail[128] = "";

	ck_assert_str_eq(ap->name, "mcp-elicitation");
	ck_assert_int_eq(ap->ask(ap->ctx, &request, detail, sizeof(detail)), APPROVAL_UNAVAILABLE);
	mcp_server_free(s);
}
END_TEST

START_TEST(test_stop_while_asking)
{
	struct mcp_server *s = start(true);
	struct asking a = {.s = s};

	ck_assert_int_eq(pthread_create(&a.thread, NULL, ask_main, &a), 0);
	cJSON_Delete(next_sent("elicitation/create"));
	/* The client goes away: the question is unanswered, nobody can be asked. */
	mcp_server_free(s);
	pthread_join(a.thread, NULL);
	ck_assert_int_eq(a.answer, APPROVAL_UNAVAILABLE);
}
END_TEST

/* A 2026-07-28 tools/call with @extra params; the parsed response. */
static cJSON *stateless_call(const char *id, bool elicitation, const char *extra)
{
	char line[2048], needle[64];

	snprintf(line, sizeof(line),
	         "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"method\":\"tools/call\",\"params\":{"
	         "\"name\":\"write_file\",\"arguments\":{\"path\":\"a\"},%s\"_meta\":{"
	         "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
	         "\"io.modelcontextprotocol/clientCapabilities\":{%s}}}}",
	         id, extra, elicitation ? "\"elicitation\":{}" : "");
	mcp_handle_line(asking_server, line, strlen(line));
	snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
	return next_sent(needle);
}

START_TEST(test_input_required)
{
	struct mcp_ops ops = {.write = capture, .registry = registry, .call = ask_call};
	struct corral_error err = {0};
	cJSON *r, *res, *q;
	char extra[512], *state;

	ck_assert_int_eq(mcp_server_new(&ops, 0, &asking_server, &err), 0);
	/* First try: the result asks the question. */
	r = stateless_call("1", true, "");
	res = cJSON_GetObjectItem(r, "result");
	ck_assert_str_eq(cJSON_GetObjectItem(res, "resultType")->valuestring, "input_required");
	q = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "inputRequests"), "dev.corral/approval");
	ck_assert_str_eq(cJSON_GetObjectItem(q, "method")->valuestring, "elicitation/create");
	ck_assert_ptr_nonnull(
	    strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(q, "params"), "message")->valuestring,
	           "allow write_file?"));
	state = strdup(cJSON_GetObjectItem(res, "requestState")->valuestring);
	cJSON_Delete(r);

	/* The retry with the answer runs. */
	snprintf(extra, sizeof(extra),
	         "\"inputResponses\":{\"dev.corral/approval\":{\"action\":\"accept\","
	         "\"content\":{\"decision\":\"yes\"}}},\"requestState\":\"%s\",",
	         state);
	r = stateless_call("2", true, extra);
	res = cJSON_GetObjectItem(r, "result");
	ck_assert_str_eq(cJSON_GetObjectItem(res, "resultType")->valuestring, "complete");
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(res, "isError")));
	cJSON_Delete(r);

	/* An answer with another call's state is not taken: asked again. */
	r = stateless_call("3", true,
	                   "\"inputResponses\":{\"dev.corral/approval\":{\"action\":\"accept\","
	                   "\"content\":{\"decision\":\"yes\"}}},\"requestState\":\"forged\",");
	res = cJSON_GetObjectItem(r, "result");
	ck_assert_str_eq(cJSON_GetObjectItem(res, "resultType")->valuestring, "input_required");
	cJSON_Delete(r);

	/* Declined: an error result. */
	snprintf(extra, sizeof(extra),
	         "\"inputResponses\":{\"dev.corral/approval\":{\"action\":\"decline\"}},"
	         "\"requestState\":\"%s\",",
	         state);
	r = stateless_call("4", true, extra);
	res = cJSON_GetObjectItem(r, "result");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(res, "isError")));
	ck_assert_str_eq(
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "content"), 0), "text")
	        ->valuestring,
	    "declined");
	cJSON_Delete(r);

	/* A client without elicitation is not asked: needs approval. */
	r = stateless_call("5", false, "");
	res = cJSON_GetObjectItem(r, "result");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(res, "isError")));
	ck_assert_str_eq(cJSON_GetObjectItem(res, "resultType")->valuestring, "complete");
	cJSON_Delete(r);
	free(state);
	mcp_server_free(asking_server);
}
END_TEST

/* ---- a client that stops reading ---- */

#define BIG_CALLS   8
#define BIG_MEMBERS 11    /* strings in each result's structured content */
#define BIG_MEMBER  99000 /* bytes each: under the cut, over 1 MB a result */

/* A stdout the test can stop: write() waits while the gate is shut. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool open;
	unsigned results, pings, calls;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, true, 0, 0, 0};

static void gated_write(void *ctx, const char *msg, size_t len)
{
	(void)ctx;
	pthread_mutex_lock(&gate.lock);
	while (!gate.open)
		pthread_cond_wait(&gate.changed, &gate.lock);
	if (memmem(msg, len, "\"id\":\"big", strlen("\"id\":\"big")))
		gate.results++;
	else if (memmem(msg, len, "\"id\":\"ping", strlen("\"id\":\"ping")))
		gate.pings++;
	pthread_cond_broadcast(&gate.changed);
	pthread_mutex_unlock(&gate.lock);
}

/* Each call returns about 1.1 MB of structured content. */
static int big_call(void *ctx, const char *tool, const cJSON *args,
                    const struct tool_call_opts *opts, struct call_outcome *out,
                    struct corral_error *err)
{
	char *filler = malloc(BIG_MEMBER + 1);

	(void)ctx, (void)tool, (void)args, (void)opts, (void)err;
	memset(out, 0, sizeof(*out));
	ck_assert_ptr_nonnull(filler);
	memset(filler, 'x', BIG_MEMBER);
	filler[BIG_MEMBER] = '\0';
	out->result.structured = cJSON_CreateObject();
	for (int i = 0; i < BIG_MEMBERS; i++) {
		char key[16];
		snprintf(key, sizeof(key), "m%d", i);
		cJSON_AddStringToObject(out->result.structured, key, filler);
	}
	free(filler);
	out->result.text = strdup("");
	pthread_mutex_lock(&gate.lock);
	gate.calls++;
	pthread_cond_broadcast(&gate.changed);
	pthread_mutex_unlock(&gate.lock);
	return 0;
}

START_TEST(test_output_blocked)
{
	struct mcp_ops ops = {.write = gated_write, .registry = registry, .call = big_call};
	struct corral_error err = {0};
	struct mcp_server *s = NULL;
	struct timespec pause = {0, 300 * 1000 * 1000}, until;
	char line[256];
	unsigned calls;

	ck_assert_int_eq(mcp_server_new(&ops, 1, &s, &err), 0);
	pthread_mutex_lock(&gate.lock);
	gate.open = false;
	pthread_mutex_unlock(&gate.lock);
	for (int i = 0; i < BIG_CALLS; i++) {
		snprintf(line, sizeof(line),
		         "{\"jsonrpc\":\"2.0\",\"id\":\"big%d\",\"method\":\"tools/call\","
		         "\"params\":{\"name\":\"t\",\"arguments\":{}}}",
		         i);
		mcp_handle_line(s, line, strlen(line));
	}
	/* stdout is shut: the reader still answers and takes cancellations
	 * (this returns, or the test times out). */
	snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":\"ping1\",\"method\":\"ping\"}");
	mcp_handle_line(s, line, strlen(line));
	snprintf(line, sizeof(line),
	         "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
	         "\"requestId\":\"big%d\"}}",
	         BIG_CALLS - 1);
	mcp_handle_line(s, line, strlen(line));
	nanosleep(&pause, NULL);
	/* Past MCP_OUTPUT_MAX queued, the worker waits: not every call ran. */
	pthread_mutex_lock(&gate.lock);
	calls = gate.calls;
	ck_assert_uint_eq(gate.results, 0);
	ck_assert_msg(calls >= 2 && calls < BIG_CALLS - 1,
	              "%u calls ran while nothing was read: the output is not bounded", calls);
	gate.open = true;
	pthread_cond_broadcast(&gate.changed);
	/* Reading again, every result arrives but the cancelled one's. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (gate.results < BIG_CALLS - 1 &&
	       pthread_cond_timedwait(&gate.changed, &gate.lock, &until) == 0)
		;
	pthread_mutex_unlock(&gate.lock);
	mcp_server_free(s);
	ck_assert_uint_eq(gate.calls, BIG_CALLS - 1);
	ck_assert_uint_eq(gate.results, BIG_CALLS - 1);
	ck_assert_uint_eq(gate.pings, 1);
}
END_TEST

START_TEST(test_utf8)
{
	ck_assert(mcp_utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80", 10));
	ck_assert(!mcp_utf8_valid("\x80", 1));
	ck_assert(!mcp_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	ck_assert(!mcp_utf8_valid("\xed\xa0\x80", 3));     /* a surrogate */
	ck_assert(!mcp_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	ck_assert(!mcp_utf8_valid("\xe2\x82", 2));         /* cut short */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mcp");
	TCase *tc = tcase_create("mcp");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_accept_yes);
	tcase_add_test(tc, test_accept_always_and_no);
	tcase_add_test(tc, test_decline_cancel_error);
	tcase_add_test(tc, test_no_capability);
	tcase_add_test(tc, test_stop_while_asking);
	tcase_add_test(tc, test_input_required);
	tcase_add_test(tc, test_output_blocked);
	tcase_add_test(tc, test_utf8);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
