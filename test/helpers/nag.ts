/**
 * Runs the three cdk-nag packs (cdk-nag 3: `validateScope`, no Aspect) over a construct tree and
 * returns every unacknowledged finding, errors and warnings alike, one line each.
 */
import { IConstruct } from 'constructs';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, NagPack } from 'cdk-nag';

export const NAG_PACKS = (): NagPack[] => [new AwsSolutionsChecks(), new HIPAASecurityChecks(), new NIST80053R5Checks()];

export interface NagFinding {
  readonly pack: string;
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
  readonly description: string;
}

export function nagFindings(scope: IConstruct): NagFinding[] {
  return NAG_PACKS().flatMap((pack) =>
    pack.validateScope(scope).violations.flatMap((v) =>
      v.violatingResources.map((r) => ({ pack: pack.readPackName, rule: v.ruleName, severity: v.severity ?? 'error', path: r.constructPath ?? r.resourceLogicalId ?? '(unknown)', description: v.description })),
    ),
  );
}

export function formatFindings(findings: readonly NagFinding[]): string {
  return findings.map((f) => `${f.severity.toUpperCase()} ${f.rule} at ${f.path}: ${f.description}`).join('\n');
}
