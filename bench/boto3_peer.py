"""What the boto3 peers of the benchmark share (boto3_apply.py, boto3_rotate.py): an IAM client
per thread, as an automation engineer's script makes one, and 8 threads working one item each."""
import concurrent.futures
import threading

import boto3
import botocore.config

_local = threading.local()


def client(url):
    """This thread's IAM client for the endpoint url (standard retry mode)."""
    if not hasattr(_local, "iam"):  # boto3 clients are not shared between threads
        _local.iam = boto3.session.Session().client(
            "iam", endpoint_url=url, region_name="us-east-1",
            config=botocore.config.Config(retries={"mode": "standard"}))
    return _local.iam


def run(one, items, *args):
    """one(*args, item) for every item, from 8 threads; the first failure is raised."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for f in [pool.submit(one, *args, item) for item in items]:
            f.result()
