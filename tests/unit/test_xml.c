/*
 * Unit tests for src/aws/xml and src/aws/query: answers parsed with libxml2 (well-formed,
 * malformed, truncated, huge, hostile), AWS error values and their kinds, times, base64 blobs,
 * and Query-protocol form encoding.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/query.h"
#include "aws/xml.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/vocab.h"

static const char GET_USER[] =
        "<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n"
        "  <GetUserResult>\n"
        "    <User>\n"
        "      <Path>/service/</Path><UserName>svc &amp; co</UserName>\n"
        "      <CreateDate>2026-11-29T17:55:00Z</CreateDate>\n"
        "      <Tags><member><Key>a</Key><Value><![CDATA[x<y]]></Value></member></Tags>\n"
        "    </User>\n"
        "  </GetUserResult>\n"
        "  <ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>\n"
        "</GetUserResponse>\n";

static void xml_parses_answers_and_walks_by_local_name(void **state)
{
	xmlDoc *doc = NULL;
	xmlNode *user;
	struct kw_error err;
	char *s;

	assert_int_equal(kw_xml_parse(GET_USER, strlen(GET_USER), "iam:GetUser", &doc, &err), 0);
	user = kw_xml_path(xmlDocGetRootElement(doc), "GetUserResult/User");
	assert_non_null(user);
	s = kw_xml_text(kw_xml_child(user, "UserName"), NULL);
	assert_string_equal(s, "svc & co");
	free(s);
	s = kw_xml_text(kw_xml_path(user, "Tags/member/Value"), NULL);
	assert_string_equal(s, "x<y");
	free(s);
	assert_int_equal(kw_xml_time(kw_xml_child(user, "CreateDate")), 1795974900);
	assert_null(kw_xml_child(user, "PasswordLastUsed"));
	assert_null(kw_xml_text(NULL, NULL));
	assert_null(kw_xml_path(user, "Nope/Deeper"));
	xmlFreeDoc(doc);
}

static void xml_refuses_malformed_truncated_huge_and_hostile_documents(void **state)
{
	static const char *const bad[] = {
	        "",
	        "not xml at all",
	        "<a><b></a>",
	        "<GetUserResponse><GetUserResult><User><UserName>trunc",
	        ("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
	         "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]><a>&lol2;</a>"),
	        "<!DOCTYPE a SYSTEM \"http://example.com/evil.dtd\"><a/>",
	        "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>",
	        "<a>&undefined;</a>",
	};
	xmlDoc *doc = (xmlDoc *)1;
	struct kw_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kw_xml_parse(bad[i], strlen(bad[i]), "iam:X", &doc, &err), -1);
		assert_null(doc);
		assert_int_equal(err.kind, KW_ERR_AWS);
		assert_string_equal(err.where, "iam:X");
		assert_non_null(strstr(err.msg, "unreadable answer"));
	}
	/* larger than the limit: refused before parsing */
	assert_int_equal(kw_xml_parse("<a/>", (size_t)KW_XML_MAX_SIZE + 1, "iam:X", &doc, &err), -1);
	assert_non_null(strstr(err.msg, "larger than"));
	/* a big but legal answer is fine */
	{
		size_t n = 4 * 1024 * 1024;
		char *big = malloc(n + 32);
		size_t len = (size_t)sprintf(big, "<a>");
		memset(big + len, 'x', n);
		len += n;
		len += (size_t)sprintf(big + len, "</a>");
		assert_int_equal(kw_xml_parse(big, len, "iam:X", &doc, &err), 0);
		xmlFreeDoc(doc);
		free(big);
	}
}

static void xml_error_answers_become_typed_errors(void **state)
{
	static const char body[] = "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">"
	                           "<Error><Type>Sender</Type><Code>NoSuchEntity</Code>"
	                           "<Message>The user with name x cannot be found.</Message></Error>"
	                           "<RequestId>req-1</RequestId></ErrorResponse>";
	struct kw_aws_error e;
	struct kw_error err;

	kw_aws_error_parse(404, body, strlen(body), &e);
	assert_int_equal(e.http_status, 404);
	assert_string_equal(e.type, "Sender");
	assert_string_equal(e.code, "NoSuchEntity");
	assert_string_equal(e.request_id, "req-1");
	assert_int_equal(kw_aws_error_set(&err, &e, "iam:GetUser"), -1);
	assert_int_equal(err.kind, KW_ERR_NOT_FOUND);
	assert_string_equal(err.aws_code, "NoSuchEntity");
	assert_string_equal(err.request_id, "req-1");
	assert_int_equal(err.http_status, 404);
	assert_string_equal(err.msg, "NoSuchEntity: The user with name x cannot be found.");
	/* other codes */
	snprintf(e.code, sizeof(e.code), "SignatureDoesNotMatch");
	kw_aws_error_set(&err, &e, "sts:GetCallerIdentity");
	assert_int_equal(err.kind, KW_ERR_AUTH);
	snprintf(e.code, sizeof(e.code), "LimitExceeded");
	kw_aws_error_set(&err, &e, "iam:CreateAccessKey");
	assert_int_equal(err.kind, KW_ERR_AWS);
	assert_string_equal(err.aws_code, "LimitExceeded");
	/* a body that is not an error document */
	kw_aws_error_parse(503, "<html>busy</html", 16, &e);
	assert_string_equal(e.code, "");
	assert_string_equal(e.message, "HTTP 503 with an unreadable body");
	kw_aws_error_set(&err, &e, "iam:GetUser");
	assert_int_equal(err.kind, KW_ERR_AWS);
	assert_int_equal(err.http_status, 503);
	kw_aws_error_parse(500, "", 0, &e);
	assert_string_equal(e.message, "HTTP 500 with an empty body");
}

static void xml_times_as_aws_writes_them(void **state)
{
	time_t t;

	assert_int_equal(kw_iso8601_parse("2015-08-30T12:36:00Z", &t), 0);
	assert_int_equal(t, 1440938160);
	assert_int_equal(kw_iso8601_parse("2015-08-30T12:36:00.123456Z", &t), 0);
	assert_int_equal(t, 1440938160);
	assert_int_equal(kw_iso8601_parse("2015-08-30T14:36:00+02:00", &t), 0);
	assert_int_equal(t, 1440938160);
	assert_int_equal(kw_iso8601_parse("2015-08-30T10:36:00-02:00", &t), 0);
	assert_int_equal(t, 1440938160);
	assert_int_equal(kw_iso8601_parse("2015-08-30 12:36:00Z", &t), -1);
	assert_int_equal(kw_iso8601_parse("2015-08-30T12:36:00", &t), -1);
	assert_int_equal(kw_iso8601_parse("2015-13-30T12:36:00Z", &t), -1);
	assert_int_equal(kw_iso8601_parse("2015-08-30T12:36:00Zjunk", &t), -1);
	assert_int_equal(kw_iso8601_parse(NULL, &t), -1);
}

static void xml_base64_blobs(void **state)
{
	/* CreateVirtualMFADevice: base64 of the base32 text */
	static const char doc_text[] = "<r><Seed>SkJTV1kzRFBFSFBLM1BYUA==</Seed><Csv>dXNlcixhcm4K\n</Csv>"
	                               "<Bad>***</Bad></r>";
	xmlDoc *doc = NULL;
	xmlNode *r;
	struct kw_secret *s;
	size_t len = 0;
	char *csv;

	assert_int_equal(kw_xml_parse(doc_text, strlen(doc_text), "t", &doc, NULL), 0);
	r = xmlDocGetRootElement(doc);
	s = kw_xml_base64_secret(kw_xml_child(r, "Seed"));
	assert_non_null(s);
	assert_string_equal(kw_secret_str(s), "JBSWY3DPEHPK3PXP");
	assert_int_equal(s->len, 16);
	kw_secret_free(s);
	csv = kw_xml_base64_text(kw_xml_child(r, "Csv"), &len);
	assert_string_equal(csv, "user,arn\n");
	assert_int_equal(len, 9);
	free(csv);
	assert_null(kw_xml_base64_secret(kw_xml_child(r, "Bad")));
	assert_null(kw_xml_base64_secret(kw_xml_child(r, "Missing")));
	xmlFreeDoc(doc);
}

static void query_form_encoding_and_members(void **state)
{
	struct kw_query q;
	struct kw_error err;

	kw_query_init(&q, "TagUser", "2010-05-08");
	kw_query_add(&q, "UserName", "service-ansible");
	kw_query_add(&q, "Skipped", NULL);
	kw_query_add_member(&q, "Tags", 1, "Key", "owner");
	kw_query_add_member(&q, "Tags", 1, "Value", "platform team/ops & co=1+1~é");
	kw_query_add_member(&q, "TagKeys", 2, NULL, "a*b");
	assert_int_equal(kw_query_finish(&q, &err), 0);
	assert_string_equal(q.body.data,
	                    "Action=TagUser&Version=2010-05-08&UserName=service-ansible"
	                    "&Tags.member.1.Key=owner"
	                    "&Tags.member.1.Value=platform%20team%2Fops%20%26%20co%3D1%2B1~%C3%A9"
	                    "&TagKeys.member.2=a%2Ab");
	assert_string_equal(q.action, "TagUser");
	kw_query_release(&q);
	/* a policy document travels intact */
	kw_query_init(&q, "PutGroupPolicy", "2010-05-08");
	kw_query_add(&q, "PolicyDocument", "{\"Version\": \"2012-10-17\"}");
	assert_string_equal(q.body.data, "Action=PutGroupPolicy&Version=2010-05-08"
	                                 "&PolicyDocument=%7B%22Version%22%3A%20%222012-10-17%22%7D");
	kw_query_release(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(xml_parses_answers_and_walks_by_local_name),
	        cmocka_unit_test(xml_refuses_malformed_truncated_huge_and_hostile_documents),
	        cmocka_unit_test(xml_error_answers_become_typed_errors),
	        cmocka_unit_test(xml_times_as_aws_writes_them),
	        cmocka_unit_test(xml_base64_blobs),
	        cmocka_unit_test(query_form_encoding_and_members),
	};

	return cmocka_run_group_tests_name("xml", tests, NULL, NULL);
}
