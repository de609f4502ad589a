/**
 * The export's object sink on S3: each file is written as a multipart upload in parts of
 * `partBytes`, so only one part is ever held in memory; a file smaller than one part is a single
 * PutObject. No encryption parameters are sent: the scans bucket's default (SSE-KMS with the
 * study key) applies, and naming `aws:kms` without the key id here would pick the AWS-managed key.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { ExportSink, ObjectWriter } from './export';

/** S3's minimum part size is 5 MiB (except the last part). */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;

export function s3Sink(s3: S3Client, bucket: string, partBytes = DEFAULT_PART_BYTES): ExportSink {
  return { open: (key, contentType) => new MultipartWriter(s3, bucket, key, contentType, partBytes) };
}

class MultipartWriter implements ObjectWriter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private total = 0;
  private uploadId?: string;
  private readonly parts: { ETag: string; PartNumber: number }[] = [];

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly contentType: string,
    private readonly partBytes: number,
  ) {}

  async write(chunk: string): Promise<void> {
    if (chunk.length === 0) return;
    const buf = Buffer.from(chunk, 'utf8');
    this.chunks.push(buf);
    this.buffered += buf.length;
    this.total += buf.length;
    if (this.buffered >= this.partBytes) await this.flush();
  }

  private async flush(): Promise<void> {
    const body = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    this.uploadId ??= (await this.s3.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, ContentType: this.contentType }))).UploadId!;
    const PartNumber = this.parts.length + 1;
    const out = await this.s3.send(new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: body }));
    this.parts.push({ ETag: out.ETag!, PartNumber });
  }

  async close(): Promise<{ bytes: number }> {
    if (!this.uploadId) {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key, ContentType: this.contentType, Body: Buffer.concat(this.chunks) }));
    } else {
      if (this.buffered > 0) await this.flush();
      await this.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts } }),
      );
    }
    this.chunks = [];
    return { bytes: this.total };
  }

  async abort(): Promise<void> {
    this.chunks = [];
    if (this.uploadId) await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }));
  }
}
