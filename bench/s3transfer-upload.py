"""Baseline for `npm run bench ingest`: boto3's s3transfer (the engine of `aws s3 cp`) uploads
every file under a folder, with its default configuration, to a bucket at an endpoint. Prints
the seconds it took as JSON. Arguments: folder bucket endpoint prefix."""
import json
import os
import sys
import time

import boto3
from boto3.s3.transfer import TransferConfig
from s3transfer.manager import TransferManager

folder, bucket, endpoint, prefix = sys.argv[1:5]
client = boto3.client("s3", endpoint_url=endpoint, region_name="ap-northeast-2",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
files = []
for root, _dirs, names in os.walk(folder):
    for n in sorted(names):
        p = os.path.join(root, n)
        files.append((p, prefix + os.path.relpath(p, folder)))

start = time.monotonic()
with TransferManager(client, TransferConfig()) as manager:
    futures = [manager.upload(p, bucket, key) for p, key in files]
    for f in futures:
        f.result()
seconds = time.monotonic() - start
print(json.dumps({"seconds": seconds, "files": len(files), "bytes": sum(os.path.getsize(p) for p, _ in files)}))
