#!/usr/bin/env node
/**
 * The `readroom` command (bundled to dist/readroom.js by `npm run build:cli`). It reads argv and the
 * environment here and nowhere else; the work lives in cli/ingest and cli/dicom.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import * as path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { STUDIES_DIR, loadStudy } from '../bin/load-study';
import { deidentifyFolder } from './dicom/deidentify';
import { parseTag } from './dicom/tags';
import { BucketLookupError, resolveBucket, s3Client } from './ingest/aws';
import { defaultJournalPath } from './ingest/journal';
import { formatBytes } from './ingest/progress';
import { EXIT, runIngest, type IngestReport } from './ingest/run';

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1`);
  return n;
};

interface IngestFlags {
  study: string;
  bucket?: string;
  region?: string;
  endpointUrl?: string;
  studiesDir: string;
  dryRun?: boolean;
  json?: boolean;
  allowImages?: boolean;
  allowPrivateTag: string[];
  uidRoot: string[];
  deidentify?: string;
  keyFile?: string;
  journal?: string;
  concurrency: number;
  maxMemory: number;
  multipartThreshold: number;
  partSize: number;
  progress: boolean;
}

export function program(): Command {
  const p = new Command('readroom').description('ReadRoom command line: ingest a study into its reading room.').showHelpAfterError().exitOverride();
  p.command('ingest')
    .description('Check every file of <folder> with the de-identification gate, then upload the accepted cases and their manifests.')
    .argument('<folder>', 'folder of cases: <folder>/<caseId>/<exam>/… (see README, "Ingest a study")')
    .requiredOption('--study <id>', 'study id: reads studies/<id>.json for the region')
    .option('--bucket <name>', "scans bucket (default: the ScansBucketName output of stack ReadRoom-<study>-Data)")
    .option('--region <region>', "AWS region (default: the study file's region)")
    .addOption(new Option('--endpoint-url <url>', 'AWS endpoint, for the local reading room or moto').env('AWS_ENDPOINT_URL'))
    .option('--studies-dir <dir>', 'folder of study files', STUDIES_DIR)
    .option('--dry-run', 'check and plan only: nothing is uploaded, no AWS call is made')
    .option('--json', 'print the report as JSON on stdout')
    .option('--allow-images', 'accept PNG and JPEG files (only without EXIF, XMP or text metadata)')
    .option('--allow-private-tag <gggg,eeee>', 'a private attribute known to be safe (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--uid-root <root>', 'another root of de-identified UIDs, besides 2.25. (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--deidentify <out>', 'write de-identified copies to <out>, verify them (gate and dcmdump), and upload those')
    .option('--key-file <file>', 'with --deidentify: the re-identification key (UID map, date shifts); stays on this machine (default: beside <out>)')
    .option('--journal <file>', 'resume journal (default: .readroom-ingest-<study>-<folder>.jsonl beside the folder)')
    .option('--concurrency <n>', 'objects uploading (or, on a resume, checked in S3) at once', positiveInt('--concurrency'), 4)
    .option('--max-memory <MB>', 'memory for parts in flight, across all uploads', positiveInt('--max-memory'), 256)
    .option('--multipart-threshold <MB>', 'files above this size go up in parts; smaller ones as one streamed PUT', positiveInt('--multipart-threshold'), 1024)
    .option('--part-size <MB>', 'multipart part size (at least 5)', positiveInt('--part-size'), 16)
    .option('--no-progress', 'no progress bar on stderr')
    .addHelpText(
      'after',
      `
Exit codes: 0 done; 1 unexpected error; 2 bad arguments or study file; 3 the gate refused some cases
(the others were uploaded); 4 an upload failed (run again to resume); 130 interrupted (run again to resume).`,
    )
    .action(async (folder: string, flags: IngestFlags) => {
      process.exitCode = await ingest(folder, flags);
    });
  return p;
}

async function ingest(folder: string, f: IngestFlags): Promise<number> {
  const fail = (code: number, message: string) => {
    if (f.json) process.stdout.write(JSON.stringify({ error: message, exitCode: code }) + '\n');
    else process.stderr.write(`readroom: ${message}\n`);
    return code;
  };
  if (!existsSync(folder) || !statSync(folder).isDirectory()) return fail(EXIT.usage, `${folder} is not a folder of cases`);
  if (f.partSize < 5) return fail(EXIT.usage, '--part-size must be at least 5 (MB): S3 parts are 5 MiB or more');
  const allowPrivate = new Set<number>();
  for (const t of f.allowPrivateTag) {
    const tag = parseTag(t);
    if (tag === undefined || ((tag >>> 16) & 1) === 0) return fail(EXIT.usage, `--allow-private-tag ${t}: must be a private tag gggg,eeee with an odd group`);
    allowPrivate.add(tag);
  }
  let study;
  try {
    study = loadStudy(f.study, f.studiesDir);
  } catch (e) {
    return fail(EXIT.usage, (e as Error).message);
  }
  const region = f.region ?? study.region ?? process.env.AWS_REGION;
  if (!region) return fail(EXIT.usage, `no region: the study file has none; pass --region or set AWS_REGION`);

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    process.stderr.write('\nreadroom: stopping (Ctrl-C again to quit at once); run the same command again to resume.\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    let source = folder;
    if (f.deidentify) {
      const out = path.resolve(f.deidentify);
      const keyFile = f.keyFile ?? path.join(path.dirname(out), `.readroom-deid-key-${f.study}.json`);
      const d = await deidentifyFolder({ input: folder, output: out, keyFile, study: f.study, uidRoots: ['2.25.', ...f.uidRoot], allowPrivate });
      if (!f.json) process.stderr.write(`de-identified ${d.written} file(s) into ${out} (key: ${keyFile}; never upload it)\n`);
      if (d.failures.length > 0) {
        for (const x of d.failures) process.stderr.write(`  not de-identified: ${x.file}: ${x.message}\n`);
        return fail(EXIT.refused, `${d.failures.length} file(s) could not be de-identified or verified (listed above); nothing was uploaded`);
      }
      source = out;
    }
    const target = { region, endpoint: f.endpointUrl };
    const bucket = f.dryRun ? f.bucket : await resolveBucket(f.study, target, f.bucket);
    const report = await runIngest({
      folder: source,
      study: f.study,
      dryRun: f.dryRun,
      client: f.dryRun ? undefined : s3Client(target),
      bucket,
      journalPath: f.journal ?? defaultJournalPath(source, f.study),
      allowImages: f.allowImages,
      allowPrivate,
      uidRoots: ['2.25.', ...f.uidRoot],
      concurrency: f.concurrency,
      maxMemoryBytes: f.maxMemory * 1024 * 1024,
      multipartThreshold: f.multipartThreshold * 1024 * 1024,
      partSize: f.partSize * 1024 * 1024,
      signal: controller.signal,
      progress: f.progress && !f.dryRun ? process.stderr : undefined,
    });
    if (f.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else process.stderr.write(humanReport(report));
    return report.exitCode;
  } catch (e) {
    if (e instanceof BucketLookupError) return fail(EXIT.upload, e.message);
    return fail(EXIT.error, `${(e as Error).name}: ${(e as Error).message}`);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export function humanReport(r: IngestReport): string {
  const lines: string[] = [];
  for (const c of r.cases) {
    if (c.status === 'refused') {
      lines.push(`REFUSED  ${c.caseId}  (${c.findings.length} finding(s); nothing of this case is uploaded)`);
      for (const x of c.findings) lines.push(`  ${x.file}  ${[x.tag, x.keyword].filter(Boolean).join(' ')}  [${x.rule}]  ${x.message}`);
    } else {
      const extra = [c.skipped ? `${c.skipped} already stored` : '', c.unverified ? `${c.unverified} not verified: the store reported no CRC64NVME` : '', c.error ?? ''].filter(Boolean).join('; ');
      lines.push(`${c.status.toUpperCase().padEnd(8)} ${c.caseId}  ${c.files} file(s), ${formatBytes(c.bytes)}${extra ? `  (${extra})` : ''}`);
    }
  }
  const t = r.totals;
  lines.push('');
  lines.push(`${t.cases} case(s): ${t.accepted} accepted, ${t.refused} refused; ${t.files} file(s), ${formatBytes(t.bytes)}${r.dryRun ? ' (dry run)' : `, ${formatBytes(t.uploadedBytes)} uploaded to s3://${r.bucket} in ${t.seconds.toFixed(1)} s`}`);
  lines.push(r.next);
  return lines.join('\n') + '\n';
}

if (require.main === module) {
  program()
    .parseAsync(process.argv)
    .catch((e) => {
      // Commander has printed its own message; help and version are not errors.
      if (e instanceof CommanderError) process.exitCode = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(e.code) ? EXIT.ok : EXIT.usage;
      else {
        process.stderr.write(`readroom: ${(e as Error).message}\n`);
        process.exitCode = EXIT.error;
      }
    });
}
