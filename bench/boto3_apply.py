"""The peer for apply: the writes an automation engineer's boto3 script makes for each service
account (CreateUser with tags, CreateGroup, AddUserToGroup, PutGroupPolicy, AttachGroupPolicy,
CreateAccessKey) from 8 threads, verifying nothing (no read-back, no key check, the secret
dropped). Usage: boto3_apply.py ENDPOINT_URL POLICY_DIR NAME..."""
import os
import sys

from boto3_peer import client, run


def one(url, policies, name):
    iam, user = client(url), "service-" + name
    iam.create_user(UserName=user, Tags=[{"Key": "owner", "Value": "bench"},
                                         {"Key": "software", "Value": name},
                                         {"Key": "managed-by", "Value": "keywarden"}])
    iam.create_group(GroupName=user)
    iam.add_user_to_group(GroupName=user, UserName=user)
    with open(os.path.join(policies, name + ".json")) as f:
        iam.put_group_policy(GroupName=user, PolicyName=name, PolicyDocument=f.read())
    iam.attach_group_policy(GroupName=user, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam.create_access_key(UserName=user)


def main():
    url, policies, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    run(one, names, url, policies)


if __name__ == "__main__":
    main()
