"""Baseline for `npm run bench ingest`: boto3's s3transfer (the engine of `aws s3 cp`) uploads
every file under a folder to a bucket at an endpoint, with boto3's default TransferConfig (8 MiB
multipart threshold and part size, 10 threads) and botocore's default checksum (CRC32 on every
request; multipart objects get a COMPOSITE CRC32, a checksum of the parts' checksums).
Mode `full-crc32` gives each object a whole-object checksum instead, the nearest s3transfer comes to
`readroom ingest` here: the file's CRC32 is computed first (zlib, a read of the file, timed) and
passed as ChecksumCRC32, which s3transfer sends on PutObject and turns into a FULL_OBJECT multipart
upload. (A whole-object CRC64NVME needs botocore's optional awscrt, which is not installed.)
Prints the seconds it took as JSON. Arguments: folder bucket endpoint prefix [mode]."""
import base64
import json
import os
import sys
import time
import zlib

import boto3
from boto3.s3.transfer import TransferConfig
from s3transfer.manager import TransferManager

folder, bucket, endpoint, prefix = sys.argv[1:5]
mode = sys.argv[5] if len(sys.argv) > 5 else "default"
client = boto3.client("s3", endpoint_url=endpoint, region_name="ap-northeast-2",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
files = []
for root, _dirs, names in os.walk(folder):
    for n in sorted(names):
        p = os.path.join(root, n)
        files.append((p, prefix + os.path.relpath(p, folder)))


def crc32_of(path):
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1024 * 1024):
            crc = zlib.crc32(chunk, crc)
    return base64.b64encode(crc.to_bytes(4, "big")).decode()


start = time.monotonic()
with TransferManager(client, TransferConfig()) as manager:
    futures = []
    for p, key in files:
        extra = {"ChecksumCRC32": crc32_of(p)} if mode == "full-crc32" else None
        futures.append(manager.upload(p, bucket, key, extra_args=extra))
    for f in futures:
        f.result()
seconds = time.monotonic() - start
print(json.dumps({"seconds": seconds, "files": len(files), "bytes": sum(os.path.getsize(p) for p, _ in files), "mode": mode}))
