"""The peer for rotate: what an automation engineer's boto3 script does to rotate each service
account's key (ListAccessKeys, CreateAccessKey, UpdateAccessKey Inactive and DeleteAccessKey of
the old one) from 8 threads, verifying nothing (the new key is not proven to work, not
delivered: the secret is dropped). Usage: boto3_rotate.py ENDPOINT_URL USER..."""
import sys

from boto3_peer import client, run


def one(url, user):
    iam = client(url)
    old = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=user)["AccessKeyMetadata"]]
    iam.create_access_key(UserName=user)
    for key in old:
        iam.update_access_key(UserName=user, AccessKeyId=key, Status="Inactive")
        iam.delete_access_key(UserName=user, AccessKeyId=key)


def main():
    url, users = sys.argv[1], sys.argv[2:]
    run(one, users, url)


if __name__ == "__main__":
    main()
