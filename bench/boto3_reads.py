"""The same reads as aws_cli_reads.sh from one Python process with Debian's boto3, sequential,
as an automation engineer would write them. Usage: boto3_reads.py ENDPOINT_URL NAME..."""
import sys

import boto3
import botocore.config


def main():
    url, names = sys.argv[1], sys.argv[2:]
    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                       config=botocore.config.Config(retries={"mode": "standard"}))
    nosuch = iam.exceptions.NoSuchEntityException
    for name in names:
        user = "service-" + name
        for call in (
            lambda: iam.get_user(UserName=user),
            lambda: iam.list_groups_for_user(UserName=user),
            lambda: iam.list_group_policies(GroupName=user),
            lambda: iam.get_group_policy(GroupName=user, PolicyName=name),
            lambda: iam.list_attached_group_policies(GroupName=user),
            lambda: iam.get_login_profile(UserName=user),
            lambda: iam.list_mfa_devices(UserName=user),
            lambda: iam.list_access_keys(UserName=user),
        ):
            try:
                call()
            except nosuch:
                pass


if __name__ == "__main__":
    main()
