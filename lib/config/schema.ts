/**
 * The study file: one validated object that describes a whole reading room.
 *
 * Everything below `bin/` receives a parsed {@link StudyConfig}; nothing else reads the file. Limits
 * are AppStream's own (see ../shared/domain/appstream.md) so that a wrong value fails `cdk synth`
 * with the field path instead of failing a deploy half-way.
 */
import * as z from 'zod';
import { ReadingConfigSchema } from '../../domain/reading-config';

/** AppStream limits, from the CreateFleet / CreateStreamingURL API references. */
export const APPSTREAM_LIMITS = {
  idleDisconnectSeconds: { min: 60, max: 36_000 },
  disconnectSeconds: { min: 60, max: 36_000 },
  maxUserDurationSeconds: { min: 600, max: 360_000 },
  streamingUrlValiditySeconds: { min: 1, max: 604_800 },
  embedHostDomains: 20,
} as const;

/**
 * ReadRoom's own cap on a streaming URL's lifetime, far below AppStream's 7 days: the URL is a bearer
 * credential (whoever opens it streams as the reader, without MFA), and the portal asks for one
 * just before it opens the session.
 */
export const STREAMING_URL_MAX_SECONDS = 300;

/** Retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const DAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour time HH:MM');
const int = (min: number, max: number) => z.number().int().min(min).max(max);

const ScheduleWindowSchema = z
  .object({
    /** Short name, used in the scheduled action's name. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be lowercase letters, digits and dashes'),
    days: z.array(z.enum(DAYS)).min(1).refine((d) => new Set(d).size === d.length, 'must not repeat a day'),
    start: hhmm,
    end: hhmm,
    /** Capacity (instances, one reader each) kept warm during the window. */
    capacity: int(1, 500),
  })
  .strict()
  .refine((w) => w.start < w.end, { message: 'start must be before end (windows do not cross midnight)', path: ['end'] });

const TimeoutsSchema = z
  .object({
    /** Seconds without keyboard or mouse input before a reader is disconnected; 0 turns it off. */
    idleDisconnectSeconds: z
      .number()
      .int()
      .refine((v) => v === 0 || (v >= 60 && v <= 36_000), 'must be 0 (off) or 60–36000 seconds')
      .default(900),
    /** Seconds a disconnected session waits for the reader to come back. */
    disconnectSeconds: int(APPSTREAM_LIMITS.disconnectSeconds.min, APPSTREAM_LIMITS.disconnectSeconds.max).default(900),
    /** Hard cap on one streaming session. */
    maxUserDurationSeconds: int(APPSTREAM_LIMITS.maxUserDurationSeconds.min, APPSTREAM_LIMITS.maxUserDurationSeconds.max).default(14_400),
  })
  .strict();

// One object with a refinement rather than a union of two: a union only reports "Invalid input",
// this names the field and the rule.
const imageRef = z
  .object({
    name: z.string().min(1).max(100).optional(),
    arn: z.string().regex(/^arn:aws[a-z-]*:appstream:[a-z0-9-]+:\d{0,12}:image\/.+$/, 'must be an AppStream image ARN').optional(),
  })
  .strict()
  .refine((i) => (i.name === undefined) !== (i.arn === undefined), 'needs exactly one of name or arn');

/** True when the runtime knows the IANA zone (Application Auto Scaling rejects unknown ones at deploy). */
const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};
const unique = <T>(values: readonly T[]): boolean => new Set(values).size === values.length;

const instanceType = z.string().regex(/^stream\.[a-z0-9-]+\.[a-z0-9]+$/, "must be an AppStream instance type such as 'stream.standard.medium'");

/** A lowercase DNS host name without scheme, port or path. */
const hostName = z.string().regex(/^(?=.{1,128}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lowercase host name without scheme or path, e.g. readroom.example.org');

const s3Location = z.object({ bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'), key: z.string().min(1) }).strict();

const commonFleet = {
  instanceType,
  streamView: z.enum(['APP', 'DESKTOP']).default('APP'),
  /** Let readers paste text into the session; nothing ever leaves it. */
  allowPasteIn: z.boolean().default(false),
  timeouts: TimeoutsSchema.default({ idleDisconnectSeconds: 900, disconnectSeconds: 900, maxUserDurationSeconds: 14_400 }),
};

const InstanceFleetSchema = z
  .object({
    type: z.enum(['ALWAYS_ON', 'ON_DEMAND']),
    ...commonFleet,
    image: imageRef,
    /** Instances outside every schedule window. 0 lets an idle study cost (almost) nothing. */
    minCapacity: int(0, 500).default(0),
    maxCapacity: int(1, 500),
    /** Target capacity utilisation (percent) for target-tracking scaling. */
    targetUtilizationPercent: int(10, 95).default(75),
    /** Grading windows (in `scheduleTimeZone`) with the capacity kept warm during each. */
    schedule: z.array(ScheduleWindowSchema).default([]),
    scheduleTimeZone: z.string().min(1).refine(isTimeZone, "must be an IANA time zone such as 'Asia/Seoul'").default('Asia/Seoul'),
  })
  .strict();

const ElasticFleetSchema = z
  .object({
    type: z.literal('ELASTIC'),
    ...commonFleet,
    platform: z.enum(['AMAZON_LINUX2', 'RHEL8', 'WINDOWS_SERVER_2019', 'WINDOWS_SERVER_2022']).default('AMAZON_LINUX2'),
    maxConcurrentSessions: int(1, 500),
    /** The viewer as an app block: a VHD and its setup script in S3. */
    appBlock: z
      .object({
        source: s3Location,
        setupScript: s3Location.extend({ executablePath: z.string().min(1), timeoutSeconds: int(1, 3600).default(600) }),
      })
      .strict(),
    application: z.object({ name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,99}$/), launchPath: z.string().min(1), icon: s3Location }).strict(),
  })
  .strict();

export const FleetSchema = z.discriminatedUnion('type', [InstanceFleetSchema, ElasticFleetSchema]);

export const StudyConfigSchema = z
  .object({
    /** Short, DNS-safe id: the name prefix of every named resource (AppStream fleet and stack, stacks). */
    studyId: z.string().regex(/^[a-z][a-z0-9-]{1,18}[a-z0-9]$/, 'must be 3–20 characters: lowercase letters, digits and dashes, starting with a letter'),
    displayName: z.string().min(1).max(100),
    /** Deploy account; when absent the CLI's default account is used. */
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id').optional(),
    /**
     * Deploy region. Required: the reading table's customer-key encryption and the fixed zones need a
     * concrete region at synth, and a study's data must stay in the region it was approved for.
     */
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "must be an AWS region such as 'ap-northeast-2'"),
    tags: z
      .object({ owner: z.string().min(1).max(256), costCentre: z.string().min(1).max(256) })
      .catchall(z.string().max(256))
      .refine((t) => Object.keys(t).every((k) => /^[\w .:/=+@-]{1,128}$/.test(k) && !k.startsWith('aws:')), 'tag keys must be 1–128 valid characters and not start with aws:'),
    network: z
      .object({
        cidr: z
          .string()
          .regex(/^(\d{1,3}\.){3}\d{1,3}\/(1[6-9]|2[0-4])$/, 'must be an IPv4 CIDR with a prefix of /16 to /24')
          .refine((c) => c.split('/')[0].split('.').every((o) => Number(o) <= 255), 'has an octet above 255')
          .refine((c) => !c.startsWith('198.19.'), '198.19.0.0/16 is reserved for AppStream management interfaces'),
        /** Two AZs; required when `region` is set so synth never looks them up. */
        availabilityZones: z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/)).length(2).optional(),
      })
      .strict(),
    fleet: FleetSchema,
    /** Optional image builder in the private subnets, for installing the viewer into an image. */
    imageBuilder: z.object({ instanceType, image: imageRef }).strict().optional(),
    /** Lifetime of a streaming URL (AppStream default 60 s; the portal asks for one per case, right before it opens it). */
    streamingUrlValiditySeconds: z
      .number()
      .int()
      .min(APPSTREAM_LIMITS.streamingUrlValiditySeconds.min)
      .max(STREAMING_URL_MAX_SECONDS, {
        message: `must be at most ${STREAMING_URL_MAX_SECONDS} seconds: a streaming URL is a bearer credential (whoever opens it streams as the reader, without MFA) and the portal requests one just before opening the session`,
      })
      .default(60),
    readers: z
      .object({
        mfa: z.enum(['REQUIRED', 'OPTIONAL']).default('REQUIRED'),
        groups: z
          .array(z.enum(['reader', 'adjudicator', 'coordinator', 'admin']))
          .refine(unique, 'must not repeat a group')
          .default(['reader', 'adjudicator', 'coordinator', 'admin']),
        /** Minutes an access/ID token stays valid (5–60); short, because the portal refreshes with the refresh token. */
        tokenValidityMinutes: int(5, 60).default(15),
        /** Cognito threat protection (Plus feature plan); turn off only where the region lacks it. */
        threatProtection: z.boolean().default(true),
      })
      .strict()
      .default({ mfa: 'REQUIRED', groups: ['reader', 'adjudicator', 'coordinator', 'admin'], tokenValidityMinutes: 15, threatProtection: true }),
    portal: z
      .object({
        /**
         * The portal's own domain. Without it the portal is served on CloudFront's
         * `<id>.cloudfront.net` name (TLS policy fixed by CloudFront, no custom streaming domain).
         */
        domain: z
          .object({
            /** Host name readers open, e.g. readroom.example.org (a CNAME or alias to the distribution). */
            name: hostName,
            /** ACM certificate in us-east-1 (CloudFront takes no other region) covering `name` and `streamingName`. */
            certificateArn: z.string().regex(/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/, 'must be an ACM certificate ARN in us-east-1 (the only region CloudFront takes certificates from)'),
            /**
             * AppStream custom streaming domain: a subdomain of `name` (e.g. stream.readroom.example.org)
             * proxied by CloudFront to AppStream, so embedded sessions keep their cookies in browsers
             * that block third-party cookies (Safari, Firefox).
             */
            streamingName: hostName.optional(),
          })
          .strict()
          .optional(),
        /**
         * AWS's `appstream-embed.js` (from AWS's embed kit; not on npm), as a path relative to the
         * repository root. Deployed beside the portal at `/vendor/appstream-embed.js`; without it
         * streaming sessions open in a new tab.
         */
        embedScript: z
          .string()
          .regex(/^(?!\/)(?!.*\.\.)[\w./-]+\.js$/, 'must be a relative path to a .js file inside the repository, e.g. vendor/appstream-embed.js')
          .optional(),
      })
      .strict()
      .default({}),
    retention: z
      .object({
        /** `retain` keeps the data stack's stores (and turns on termination protection); `destroy` removes them. */
        data: z.enum(['retain', 'destroy']).default('retain'),
        logRetentionDays: z
          .number()
          .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), `must be one of ${LOG_RETENTION_DAYS.join(', ')}`)
          .default(365),
        /** Days before noncurrent versions of scan objects expire. */
        noncurrentVersionDays: int(1, 3650).default(90),
      })
      .strict()
      .default({ data: 'retain', logRetentionDays: 365, noncurrentVersionDays: 90 }),
    budget: z
      .object({
        monthlyUsd: z.number().positive().max(1_000_000),
        alertEmails: z.array(z.string().email()).min(1).max(10),
        /** Percent of the monthly budget that triggers an alert (actual and forecast). */
        thresholdsPercent: z.array(int(1, 500)).min(1).refine(unique, 'must not repeat a threshold (AWS Budgets rejects duplicate notifications)').default([80, 100]),
      })
      .strict(),
    reading: ReadingConfigSchema.default(ReadingConfigSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.region && !c.network.availabilityZones) {
      ctx.addIssue({ code: 'custom', path: ['network', 'availabilityZones'], message: 'is required when region is set (synth must not look up AZs)' });
    }
    if (c.region && c.network.availabilityZones?.some((az) => !az.startsWith(c.region!))) {
      ctx.addIssue({ code: 'custom', path: ['network', 'availabilityZones'], message: `must be zones of ${c.region}` });
    }
    if (c.network.availabilityZones && c.network.availabilityZones[0] === c.network.availabilityZones[1]) {
      ctx.addIssue({ code: 'custom', path: ['network', 'availabilityZones'], message: 'must be two different zones' });
    }
    const f = c.fleet;
    if (f.type !== 'ELASTIC') {
      if (f.minCapacity > f.maxCapacity) ctx.addIssue({ code: 'custom', path: ['fleet', 'minCapacity'], message: 'must not exceed fleet.maxCapacity' });
      f.schedule.forEach((w, i) => {
        if (w.capacity > f.maxCapacity) ctx.addIssue({ code: 'custom', path: ['fleet', 'schedule', i, 'capacity'], message: 'must not exceed fleet.maxCapacity' });
      });
      const names = f.schedule.map((w) => w.name);
      if (new Set(names).size !== names.length) ctx.addIssue({ code: 'custom', path: ['fleet', 'schedule'], message: 'window names must be unique' });
    }
    // One interface per instance; AWS keeps 5 addresses of each subnet, the endpoints and functions need a few more.
    const prefix = Number(c.network.cidr.split('/')[1]);
    const usable = 2 * (2 ** (32 - Math.min(prefix + 2, 28)) - 5) - 40;
    const peak = f.type === 'ELASTIC' ? f.maxConcurrentSessions : f.maxCapacity;
    if (peak > usable) {
      ctx.addIssue({ code: 'custom', path: ['network', 'cidr'], message: `leaves ${usable} addresses for ${peak} streaming instances; use a larger network` });
    }
    const d = c.portal.domain;
    if (d?.streamingName && !d.streamingName.endsWith(`.${d.name}`)) {
      ctx.addIssue({ code: 'custom', path: ['portal', 'domain', 'streamingName'], message: `must be a subdomain of portal.domain.name (e.g. stream.${d.name}): AppStream's cookies are first-party only under the portal's domain` });
    }
    if (f.timeouts.disconnectSeconds > f.timeouts.maxUserDurationSeconds) {
      ctx.addIssue({ code: 'custom', path: ['fleet', 'timeouts', 'disconnectSeconds'], message: 'must not exceed maxUserDurationSeconds' });
    }
  });

/** The study file as written (defaults optional). */
export type StudyConfigInput = z.input<typeof StudyConfigSchema>;
/** The validated study, every default filled in. */
export type StudyConfig = z.output<typeof StudyConfigSchema>;
export type FleetConfig = StudyConfig['fleet'];
export type InstanceFleetConfig = Extract<FleetConfig, { type: 'ALWAYS_ON' | 'ON_DEMAND' }>;
export type ElasticFleetConfig = Extract<FleetConfig, { type: 'ELASTIC' }>;
export type ScheduleWindow = z.output<typeof ScheduleWindowSchema>;

/** Thrown when a study file is invalid; the message lists every field path and rule. */
export class StudyConfigError extends Error {
  constructor(
    readonly source: string,
    readonly issues: ReadonlyArray<{ path: string; message: string }>,
  ) {
    super(`Invalid study config ${source}:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'StudyConfigError';
  }
}

/** Validates a parsed study file. Throws {@link StudyConfigError} naming every bad field. */
export function parseStudyConfig(input: unknown, source = 'study'): StudyConfig {
  const result = StudyConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new StudyConfigError(
    source,
    result.error.issues.map((i) => ({ path: i.path.length ? i.path.join('.') : '(root)', message: i.message })),
  );
}
