#!/usr/bin/env python3
"""A loopback S3 server for the tests: moto, with the bucket `cache`, a user whose access key may
use it, and a role assumed for session credentials (a token). Authentication is then switched on,
so every request must be signed (Signature Version 4) with one of them. Prints one JSON line
({"port", "user": {"id", "secret"}, "session": {"id", "secret", "token"}}) and serves until killed.
Runs with the Python of the virtual environment scripts/install-test-tools makes.
"""
import json, logging, threading, urllib.request

import boto3
from moto.server import ThreadedMotoServer

# Quiet: the tests' output is theirs, not a log of every request.
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
port = server.get_host_and_port()[1]
endpoint = f"http://127.0.0.1:{port}"
setup = dict(
    endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup"
)
iam, s3, sts = (boto3.client(name, **setup) for name in ("iam", "s3", "sts"))
s3.create_bucket(Bucket="cache")
policy = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)
iam.create_user(UserName="pusher")
key = iam.create_access_key(UserName="pusher")["AccessKey"]
iam.put_user_policy(UserName="pusher", PolicyName="s3", PolicyDocument=policy)
trust = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)
role = iam.create_role(RoleName="ci", AssumeRolePolicyDocument=trust)["Role"]
iam.put_role_policy(RoleName="ci", PolicyName="s3", PolicyDocument=policy)
session = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci")["Credentials"]
urllib.request.urlopen(
    urllib.request.Request(
        endpoint + "/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}
    )
)
print(
    json.dumps(
        {
            "port": port,
            "user": {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]},
            "session": {
                "id": session["AccessKeyId"],
                "secret": session["SecretAccessKey"],
                "token": session["SessionToken"],
            },
        }
    ),
    flush=True,
)
threading.Event().wait()
